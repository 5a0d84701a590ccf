// ISC's `failover peer "NAME" { … }` blocks, mapped to a Kea-style HA pair. Triad does not
// speak ISC's failover wire protocol (ISC has retired it with dhcpd); two servers with these
// blocks pair with Kea's HA protocol instead:
//   primary / secondary  → roles primary and standby (hot-standby) or primary and secondary
//   split 128 (hba half) → load-balancing;  split 255/256, hba all-ones or none → hot-standby
//   address, port        → this server's HA listener, http://ADDRESS:PORT/
//   peer address/port    → the partner's url
//   max-response-delay S → max-response-delay S×1000 ms; heartbeats every third of it (at most 10 s)
//   mclt S               → kept: the survivor caps leases it cannot confirm at MCLT
//   (max-unacked-clients is 0: the survivor takes over after max-response-delay)
// The server names are NAME-primary and NAME-secondary on both sides, so their scopes match.

import type { DiagnosticSink, Position } from './diagnostics.js';
import type { Token } from './tokenizer.js';
import { HA_DEFAULTS, validateHa, type HaConfig } from './ha-conf.js';

/** What the dhcpd.conf parser lends this module: its token stream and its error path. */
export interface FailoverCursor {
  peek(): Token;
  next(): Token;
  /** Reports an error at `at` and abandons the statement. */
  fail(at: Position, message: string): never;
  warn(at: Position, message: string): void;
}

export interface FailoverPeerDecl {
  name: string;
  pos: Position;
  role?: 'primary' | 'secondary';
  address?: string;
  port?: number;
  peerAddress?: string;
  peerPort?: number;
  maxResponseDelay?: number;
  maxUnackedUpdates?: number;
  mclt?: number;
  split?: number;
  hbaBits?: number;
  loadBalanceMaxSeconds?: number;
}

/** ISC's default failover port. */
export const FAILOVER_PORT = 647;

const isP = (t: Token, v: string): boolean => t.kind === 'punct' && t.value === v;

function semi(c: FailoverCursor): void {
  const t = c.next();
  if (!isP(t, ';')) c.fail(t, 'semicolon expected.');
}

function num(c: FailoverCursor, max: number): number {
  const t = c.next();
  if (t.kind !== 'word' || !/^[0-9]+$/.test(t.value)) c.fail(t, 'expecting numeric value.');
  const n = Number(t.value);
  if (n > max) c.fail(t, `${t.value} exceeds max (${max})`);
  return n;
}

function addr(c: FailoverCursor): string {
  const t = c.next();
  if (t.kind !== 'word' || !/^\d+\.\d+\.\d+\.\d+$/.test(t.value) || t.value.split('.').some((x) => Number(x) > 255))
    c.fail(t, `${t.value} : expecting an IPv4 address (Triad does not resolve names here)`);
  return t.value;
}

/**
 * After `failover` has been read: `peer "NAME" { … }` (a declaration, returned) or
 * `peer "NAME";` (a pool's reference, returned as a name only).
 */
export function parseFailoverStatement(c: FailoverCursor, at: Token): { decl?: FailoverPeerDecl; ref?: { name: string; pos: Position } } {
  const p = c.next();
  if (p.kind !== 'word' || p.value !== 'peer') c.fail(p, 'expecting "peer"');
  const n = c.next();
  if (n.kind !== 'string' && n.kind !== 'word') c.fail(n, 'expecting failover peer name.');
  const name = n.value;
  const after = c.next();
  if (isP(after, ';')) return { ref: { name, pos: n } };
  if (after.kind === 'word' && after.value === 'state') c.fail(after, 'failover peer state belongs in the lease file, not in dhcpd.conf');
  if (!isP(after, '{')) c.fail(after, 'expecting left brace.');
  const d: FailoverPeerDecl = { name, pos: at };
  for (;;) {
    const t = c.next();
    if (t.kind === 'eof') c.fail(t, "unexpected end of file: missing '}'");
    if (isP(t, '}')) break;
    if (t.kind !== 'word') c.fail(t, 'expecting a failover statement');
    switch (t.value) {
      case 'primary':
      case 'secondary':
        if (d.role && d.role !== t.value) c.fail(t, 'a failover peer is either primary or secondary');
        d.role = t.value;
        semi(c);
        break;
      case 'address':
        d.address = addr(c);
        semi(c);
        break;
      case 'port':
        d.port = num(c, 65535);
        semi(c);
        break;
      case 'peer': {
        const w = c.next();
        if (w.kind === 'word' && w.value === 'address') d.peerAddress = addr(c);
        else if (w.kind === 'word' && w.value === 'port') d.peerPort = num(c, 65535);
        else c.fail(w, 'expecting address or port');
        semi(c);
        break;
      }
      case 'max-response-delay':
        d.maxResponseDelay = num(c, 0xffffffff);
        semi(c);
        break;
      case 'max-unacked-updates':
        d.maxUnackedUpdates = num(c, 0xffffffff);
        semi(c);
        break;
      case 'mclt':
        d.mclt = num(c, 0xffffffff);
        semi(c);
        break;
      case 'split':
        d.split = num(c, 256);
        semi(c);
        break;
      case 'hba': {
        let bits = 0;
        let bytes = 0;
        for (;;) {
          const h = c.next();
          if (isP(h, ';')) break;
          if (h.kind === 'eof') c.fail(h, 'semicolon expected.');
          for (const x of h.value.split(':').filter((s) => s !== '')) {
            if (!/^[0-9a-fA-F]{1,2}$/.test(x)) c.fail(h, `${h.value}: expecting colon-separated hex octets`);
            bytes++;
            for (let v = parseInt(x, 16); v; v >>= 1) bits += v & 1;
          }
        }
        if (bytes !== 32) c.fail(t, `hba must have 32 octets (found ${bytes})`);
        d.hbaBits = bits;
        break;
      }
      case 'load': {
        for (const w of ['balance', 'max', 'seconds']) {
          const x = c.next();
          if (x.kind !== 'word' || x.value !== w) c.fail(x, `expecting "${w}"`);
        }
        d.loadBalanceMaxSeconds = num(c, 0xffffffff);
        semi(c);
        break;
      }
      case 'auto-partner-down':
      case 'max-lease-misbalance':
      case 'max-lease-ownership':
      case 'min-balance':
      case 'max-balance':
        num(c, 0xffffffff);
        semi(c);
        c.warn(t, `failover ${t.value} has no counterpart in the HA protocol Triad speaks; ignored`);
        break;
      default:
        c.fail(t, `unknown failover statement "${t.value}"`);
    }
  }
  return { decl: d };
}

/** Builds the HA pair of dhcpd.conf's failover declarations; every mistake goes to `sink`. */
export function failoverToHa(decls: FailoverPeerDecl[], refs: { name: string; pos: Position }[], sink: DiagnosticSink): HaConfig | undefined {
  for (const r of refs) if (!decls.some((d) => d.name === r.name)) sink.error(r.pos, `failover peer ${r.name}: unknown failover peer`);
  if (decls.length === 0) return undefined;
  if (decls.length > 1) {
    sink.error(decls[1].pos, 'Triad pairs with one partner: only one failover peer may be declared');
    return undefined;
  }
  const d = decls[0];
  const errs = sink.items.length;
  if (!d.role) sink.error(d.pos, `failover peer ${d.name}: primary or secondary must be declared`);
  if (!d.address) sink.error(d.pos, `failover peer ${d.name}: address must be declared`);
  if (!d.peerAddress) sink.error(d.pos, `failover peer ${d.name}: peer address must be declared`);
  if (d.role === 'primary' && d.mclt === undefined) sink.error(d.pos, `failover peer ${d.name}: the primary must declare mclt`);
  if (d.role === 'secondary' && (d.mclt !== undefined || d.split !== undefined || d.hbaBits !== undefined))
    sink.error(d.pos, `failover peer ${d.name}: mclt and split/hba belong in the primary's declaration only`);
  if (d.split !== undefined && d.hbaBits !== undefined) sink.error(d.pos, `failover peer ${d.name}: split and hba are exclusive`);
  const bits = d.hbaBits ?? (d.split === undefined ? 256 : d.split === 255 ? 256 : d.split);
  if (bits !== 128 && bits !== 256) sink.error(d.pos, `failover peer ${d.name}: Triad pairs servers either half and half (split 128) or as primary and standby (split 255); split ${d.split ?? bits} is not supported`);
  if (sink.items.length > errs && sink.items.slice(errs).some((x) => x.severity === 'error')) return undefined;
  // ISC forbids split in the secondary's block (it learns the split from its partner);
  // here both sides must know the mode from their own file: a secondary pairs in
  // load-balancing when its block has `load balance max seconds` (ISC's balanced pairs
  // carry it on both sides), else in hot-standby.
  const lb = d.role === 'primary' ? bits === 128 : d.loadBalanceMaxSeconds !== undefined;
  const mode = lb ? 'load-balancing' : 'hot-standby';
  const selfName = `${d.name}-${d.role}`;
  const otherRole = d.role === 'primary' ? 'secondary' : 'primary';
  const url = (a: string, p: number): string => `http://${a}:${p}/`;
  const port = d.port ?? FAILOVER_PORT;
  const peerPort = d.peerPort ?? FAILOVER_PORT;
  const roleOf = (r: 'primary' | 'secondary'): 'primary' | 'secondary' | 'standby' => (r === 'primary' ? 'primary' : lb ? 'secondary' : 'standby');
  const mrd = (d.maxResponseDelay ?? HA_DEFAULTS.maxResponseDelay / 1000) * 1000;
  const c: HaConfig = {
    thisServerName: selfName,
    mode,
    heartbeatDelay: Math.max(100, Math.min(HA_DEFAULTS.heartbeatDelay, Math.floor(mrd / 3))),
    maxResponseDelay: mrd,
    maxAckDelay: HA_DEFAULTS.maxAckDelay,
    // An ISC survivor keeps answering its partner's clients once contact is lost; the
    // nearest Kea behaviour is partner-down after max-response-delay, without waiting for
    // unanswered clients to pile up.
    maxUnackedClients: 0,
    sendLeaseUpdates: true,
    syncLeases: true,
    syncPageLimit: HA_DEFAULTS.syncPageLimit,
    syncTimeout: HA_DEFAULTS.syncTimeout,
    waitBackupAck: false,
    ...(d.mclt !== undefined ? { mclt: d.mclt } : {}),
    peers: [
      { name: selfName, url: url(d.address!, port), host: d.address!, port, role: roleOf(d.role!), autoFailover: true, pos: d.pos },
      { name: `${d.name}-${otherRole}`, url: url(d.peerAddress!, peerPort), host: d.peerAddress!, port: peerPort, role: roleOf(otherRole), autoFailover: true, pos: d.pos },
    ],
    pos: d.pos,
  };
  validateHa(c, sink);
  return c;
}

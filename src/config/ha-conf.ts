// The DHCP high-availability pair, in Kea's terms: Triad reads the parameters of Kea's HA
// hook (`high-availability`: this-server-name, mode, timers, peers) from a small JSON file
// (CONF_DIR/dhcp-ha.json), so a Kea user can paste the hook's parameters as they are, and
// builds the same settings from ISC's `failover peer` blocks (dhcpd-failover.ts).
// Times are in milliseconds as in Kea's configuration.

import { readConfigText } from './config-file.js';
import type { DiagnosticSink, Position } from './diagnostics.js';
import { parseJsonWithPositions, type JNode } from './json-pos.js';

export type HaMode = 'hot-standby' | 'load-balancing' | 'passive-backup';
export type HaRole = 'primary' | 'secondary' | 'standby' | 'backup';

export interface HaPeer {
  name: string;
  url: string;
  host: string;
  port: number;
  role: HaRole;
  autoFailover: boolean;
  basicAuthUser?: string;
  basicAuthPassword?: string;
  pos: Position;
}

export interface HaConfig {
  thisServerName: string;
  mode: HaMode;
  heartbeatDelay: number;
  maxResponseDelay: number;
  maxAckDelay: number;
  maxUnackedClients: number;
  sendLeaseUpdates: boolean;
  syncLeases: boolean;
  syncPageLimit: number;
  syncTimeout: number;
  waitBackupAck: boolean;
  /** From ISC's mclt (seconds): the longest lease the survivor gives a client it cannot confirm. */
  mclt?: number;
  peers: HaPeer[];
  pos: Position;
}

/** Kea 2.2's defaults for the HA hook. */
export const HA_DEFAULTS = {
  heartbeatDelay: 10000,
  maxResponseDelay: 60000,
  maxAckDelay: 10000,
  maxUnackedClients: 10,
  syncPageLimit: 10000,
  syncTimeout: 60000,
};

/** The peers a server sends its lease updates to: in passive-backup the primary's backups, else the partner. */
export function haUpdateTargets(c: HaConfig): HaPeer[] {
  const self = haSelf(c);
  if (self.role === 'backup') return [];
  if (c.mode === 'passive-backup') return c.peers.filter((p) => p.role === 'backup');
  const p = haPartner(c);
  return p ? [p] : [];
}

/** This server's own peer entry and its partner (the other primary/secondary/standby; in passive-backup a backup's primary, the primary's first backup). */
export function haSelf(c: HaConfig): HaPeer {
  return c.peers.find((p) => p.name === c.thisServerName)!;
}
export function haPartner(c: HaConfig): HaPeer | undefined {
  if (haSelf(c)?.role === 'backup') return c.peers.find((p) => p.role === 'primary');
  return c.peers.find((p) => p.name !== c.thisServerName && (p.role !== 'backup' || c.mode === 'passive-backup'));
}

/** Parses `http://host:port/`, as Kea's peer url. */
export function parseHaUrl(url: string): { host: string; port: number } | undefined {
  const m = /^http:\/\/([0-9.]+|\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(url);
  if (!m) return undefined;
  const port = m[2] ? Number(m[2]) : 80;
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/** Checks the roles, the names and the mode together, the way Kea refuses a pair. */
export function validateHa(c: HaConfig, sink: DiagnosticSink): void {
  const names = new Set<string>();
  for (const p of c.peers) {
    if (names.has(p.name)) sink.error(p.pos, `peer name "${p.name}" is given twice`);
    names.add(p.name);
  }
  if (!names.has(c.thisServerName)) sink.error(c.pos, `this-server-name "${c.thisServerName}" is not one of the peers`);
  const count = (r: HaRole): number => c.peers.filter((p) => p.role === r).length;
  if (count('primary') !== 1) sink.error(c.pos, `exactly one peer must have role "primary" (found ${count('primary')})`);
  if (c.mode === 'hot-standby' && (count('standby') !== 1 || count('secondary') !== 0))
    sink.error(c.pos, 'hot-standby needs one "primary" and one "standby" peer');
  if (c.mode === 'load-balancing' && (count('secondary') !== 1 || count('standby') !== 0))
    sink.error(c.pos, 'load-balancing needs one "primary" and one "secondary" peer');
  if (c.mode === 'passive-backup' && (count('secondary') !== 0 || count('standby') !== 0))
    sink.error(c.pos, 'passive-backup takes one "primary" and "backup" peers only');
  if (c.mode !== 'passive-backup' && count('backup') > 0) {
    for (const p of c.peers) if (p.role === 'backup' && p.name !== c.thisServerName) sink.warning(p.pos, `backup peer "${p.name}": in ${c.mode}, Triad sends lease updates to its partner only; this peer gets none`);
  }
  if (c.heartbeatDelay >= c.maxResponseDelay) sink.warning(c.pos, 'heartbeat-delay should be shorter than max-response-delay');
}

/** Reads CONF_DIR/dhcp-ha.json: `{"high-availability": [ {...} ]}`, or a whole hook entry `{"library": …, "parameters": {...}}`. */
export function parseHaFile(file: string, text: string | undefined, sink: DiagnosticSink): HaConfig | undefined {
  let src = text;
  if (src === undefined) {
    src = readConfigText(file, sink);
    if (src === undefined) return undefined;
  }
  const root = parseJsonWithPositions(file, src, sink);
  if (!root) return undefined;
  const before = sink.items.filter((d) => d.severity === 'error').length;
  let top: JNode = root;
  if (top.kind === 'object' && top.entries.has('parameters')) top = top.entries.get('parameters')!.value;
  if (top.kind !== 'object') {
    sink.error(top.pos, 'expecting an object with "high-availability"');
    return undefined;
  }
  const ha = top.entries.get('high-availability');
  if (!ha) {
    sink.error(top.pos, 'missing "high-availability"');
    return undefined;
  }
  let rel: JNode = ha.value;
  if (rel.kind === 'array') {
    if (rel.items.length !== 1) {
      sink.error(rel.pos, 'Triad takes one relationship in "high-availability" (found ' + rel.items.length + ')');
      if (rel.items.length === 0) return undefined;
    }
    rel = rel.items[0];
  }
  if (rel.kind !== 'object') {
    sink.error(rel.pos, 'expecting an object');
    return undefined;
  }
  const r = new Reader(rel, sink);
  const modeNode = r.str('mode', true);
  let mode: HaMode = 'hot-standby';
  if (modeNode !== undefined) {
    if (modeNode === 'hot-standby' || modeNode === 'load-balancing' || modeNode === 'passive-backup') mode = modeNode;
    else sink.error(r.at('mode'), `mode "${modeNode}": expecting hot-standby, load-balancing or passive-backup`);
  }
  const peers: HaPeer[] = [];
  const peersNode = rel.entries.get('peers')?.value;
  if (!peersNode) sink.error(rel.pos, 'missing "peers"');
  else if (peersNode.kind !== 'array') sink.error(peersNode.pos, '"peers" must be a list');
  else {
    for (const pn of peersNode.items) {
      if (pn.kind !== 'object') {
        sink.error(pn.pos, 'a peer must be an object');
        continue;
      }
      const pr = new Reader(pn, sink);
      const name = pr.str('name', true) ?? '';
      const url = pr.str('url', true) ?? '';
      const roleS = pr.str('role', true) ?? 'primary';
      const role = (['primary', 'secondary', 'standby', 'backup'] as const).find((x) => x === roleS);
      if (!role) sink.error(pr.at('role'), `role "${roleS}": expecting primary, secondary, standby or backup`);
      const hp = parseHaUrl(url);
      if (url && !hp) sink.error(pr.at('url'), `url "${url}": expecting http://ADDRESS:PORT/`);
      const user = pr.str('basic-auth-user', false);
      const password = pr.str('basic-auth-password', false);
      pr.done(['name', 'url', 'role', 'auto-failover', 'basic-auth-user', 'basic-auth-password', 'trust-anchor', 'cert-file', 'key-file', 'require-client-certs']);
      for (const tls of ['trust-anchor', 'cert-file', 'key-file']) if (pn.entries.has(tls)) sink.error(pr.at(tls), `${tls}: TLS between the peers is not supported by Triad yet`);
      peers.push({
        name,
        url,
        host: hp?.host ?? '',
        port: hp?.port ?? 0,
        role: role ?? 'primary',
        autoFailover: pr.bool('auto-failover') ?? true,
        ...(user !== undefined ? { basicAuthUser: user, basicAuthPassword: password ?? '' } : {}),
        pos: pn.pos,
      });
    }
  }
  const c: HaConfig = {
    thisServerName: r.str('this-server-name', true) ?? '',
    mode,
    heartbeatDelay: r.num('heartbeat-delay', 0) ?? HA_DEFAULTS.heartbeatDelay,
    maxResponseDelay: r.num('max-response-delay', 1) ?? HA_DEFAULTS.maxResponseDelay,
    maxAckDelay: r.num('max-ack-delay', 0) ?? HA_DEFAULTS.maxAckDelay,
    maxUnackedClients: r.num('max-unacked-clients', 0) ?? HA_DEFAULTS.maxUnackedClients,
    sendLeaseUpdates: r.bool('send-lease-updates') ?? true,
    syncLeases: r.bool('sync-leases') ?? true,
    syncPageLimit: r.num('sync-page-limit', 1) ?? HA_DEFAULTS.syncPageLimit,
    syncTimeout: r.num('sync-timeout', 1) ?? HA_DEFAULTS.syncTimeout,
    waitBackupAck: r.bool('wait-backup-ack') ?? false,
    peers,
    pos: rel.pos,
  };
  // Kea parameters that only concern Kea's own threads and hooks: accepted, not needed here.
  r.done(['this-server-name', 'mode', 'heartbeat-delay', 'max-response-delay', 'max-ack-delay', 'max-unacked-clients', 'send-lease-updates', 'sync-leases', 'sync-page-limit', 'sync-timeout', 'wait-backup-ack', 'peers', 'multi-threading', 'delayed-updates-limit', 'state-machine', 'require-client-certs', 'trust-anchor', 'cert-file', 'key-file', 'restrict-commands', 'max-rejected-lease-updates']);
  if (c.heartbeatDelay === 0) c.heartbeatDelay = HA_DEFAULTS.heartbeatDelay;
  if (sink.items.filter((d) => d.severity === 'error').length > before) return undefined;
  validateHa(c, sink);
  return c;
}

class Reader {
  constructor(private o: Extract<JNode, { kind: 'object' }>, private sink: DiagnosticSink) {}
  at(k: string): Position {
    return this.o.entries.get(k)?.value.pos ?? this.o.pos;
  }
  str(k: string, required: boolean): string | undefined {
    const e = this.o.entries.get(k);
    if (!e) {
      if (required) this.sink.error(this.o.pos, `missing "${k}"`);
      return undefined;
    }
    if (e.value.kind !== 'string') {
      this.sink.error(e.value.pos, `"${k}" must be a string`);
      return undefined;
    }
    if (required && e.value.value === '') this.sink.error(e.value.pos, `"${k}" must not be empty`);
    return e.value.value;
  }
  num(k: string, min: number): number | undefined {
    const e = this.o.entries.get(k);
    if (!e) return undefined;
    if (e.value.kind !== 'number' || !Number.isInteger(e.value.value) || e.value.value < min || e.value.value > 0xffffffff) {
      this.sink.error(e.value.pos, `"${k}" must be a whole number of at least ${min}`);
      return undefined;
    }
    return e.value.value;
  }
  bool(k: string): boolean | undefined {
    const e = this.o.entries.get(k);
    if (!e) return undefined;
    if (e.value.kind !== 'bool') {
      this.sink.error(e.value.pos, `"${k}" must be true or false`);
      return undefined;
    }
    return e.value.value;
  }
  done(known: string[]): void {
    for (const [k, e] of this.o.entries) if (!known.includes(k)) this.sink.error(e.key, `unknown parameter "${k}"`);
  }
}

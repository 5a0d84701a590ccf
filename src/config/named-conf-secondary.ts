// named.conf clauses of secondary zones (BIND 9.18): allow-notify, transfer-source,
// masterfile-format, the refresh/retry bounds, and the expansion of named
// `primaries`/`masters` lists into addresses. named-conf.ts dispatches here.

import type { DiagnosticSink } from './diagnostics.js';
import type { Token } from './tokenizer.js';
import type { AddressMatchList } from '../net/address-match.js';
import { parsePrefix } from '../net/ip.js';
import type { NStatement, RemoteServer } from './named-conf.js';

/** Settings a secondary zone takes from its own clauses, else from options. */
export interface SecondarySettings {
  /** Who may send a NOTIFY besides the primaries (BIND's default: the primaries only). */
  allowNotify?: AddressMatchList;
  /** Source address (and port) of SOA queries and transfers. */
  transferSource?: { address: string; port?: number };
  /** masterfile-format: Triad writes and reads `text` only. */
  masterfileFormat?: 'text' | 'raw';
  /** Bounds on the SOA timers, seconds (BIND defaults 300, 2419200, 500, 1209600). */
  minRefresh?: number;
  maxRefresh?: number;
  minRetry?: number;
  maxRetry?: number;
  /** max-transfer-time-in and max-transfer-idle-in, minutes (BIND defaults 120 and 60). */
  maxTransferTimeIn?: number;
  maxTransferIdleIn?: number;
}

/** A named `primaries`/`masters` list: its addresses, the lists it names, its default port. */
export interface RemoteList {
  servers: RemoteServer[];
  lists: string[];
  port?: number;
}

const BOUNDS: Record<string, 'minRefresh' | 'maxRefresh' | 'minRetry' | 'maxRetry' | 'maxTransferTimeIn' | 'maxTransferIdleIn'> = {
  'min-refresh-time': 'minRefresh',
  'max-refresh-time': 'maxRefresh',
  'min-retry-time': 'minRetry',
  'max-retry-time': 'maxRetry',
  'max-transfer-time-in': 'maxTransferTimeIn',
  'max-transfer-idle-in': 'maxTransferIdleIn',
};

export interface ClauseParser {
  aml(block: NStatement[], used: boolean): AddressMatchList;
}

/**
 * One clause of `options` or a `zone`; true when it is a secondary clause (stored
 * in `into`), false to let the caller treat it as before.
 */
export function secondaryClause(p: ClauseParser, sink: DiagnosticSink, s: NStatement, into: SecondarySettings): boolean {
  const head = s.words[0];
  const name = head.value.toLowerCase();
  const v = s.words[1];
  if (name === 'allow-notify') {
    into.allowNotify = p.aml(s.block ?? [], true);
    return true;
  }
  if (name === 'masterfile-format' && v) {
    const f = v.value.toLowerCase();
    into.masterfileFormat = f === 'raw' ? 'raw' : 'text';
    // Triad keeps secondary copies as text, which named-checkzone and people can read.
    if (f === 'raw') sink.warning(v, "'masterfile-format raw' is not supported by Triad: zone files are written and read as text");
    return true;
  }
  if (name === 'transfer-source' && v) {
    const src = sourceAddress(s.words, sink);
    if (src) into.transferSource = src;
    return true;
  }
  const bound = BOUNDS[name];
  if (bound && v) {
    into[bound] = Number(v.value);
    return true;
  }
  return false;
}

/** `transfer-source ( ADDR | * ) [ port ( N | * ) ] [ dscp N ]`; `*` leaves the choice to the system. */
function sourceAddress(words: Token[], sink: DiagnosticSink): { address: string; port?: number } | undefined {
  const a = words[1];
  let port: number | undefined;
  for (let i = 2; i + 1 < words.length; i += 2) {
    if (words[i].value.toLowerCase() === 'port' && words[i + 1].value !== '*') {
      const n = Number(words[i + 1].value);
      if (!Number.isInteger(n) || n < 0 || n > 65535) sink.error(words[i + 1], `port value '${words[i + 1].value}' is out of range`);
      else port = n;
    }
  }
  if (a.value === '*') return port === undefined ? undefined : { address: '0.0.0.0', port };
  if (!parsePrefix(a.value) || a.value.includes('/')) {
    sink.error(a, `expected IP address near '${a.value}'`);
    return undefined;
  }
  return port === undefined ? { address: a.value } : { address: a.value, port };
}

/** `primaries NAME [port N] { … }` or `primaries [port N] { … }`: the port given before the block. */
export function listPort(words: Token[]): number | undefined {
  for (let i = 1; i + 1 < words.length; i++) {
    if (words[i].value.toLowerCase() === 'port') {
      const n = Number(words[i + 1].value);
      if (Number.isInteger(n) && n >= 0 && n <= 65535) return n;
    }
  }
  return undefined;
}

/**
 * A zone's primaries with the named lists expanded (recursively, each list once):
 * the addresses written in the zone first, then each list's addresses before the
 * lists it names; duplicates removed. `port` is the zone clause's default port.
 */
export function expandPrimaries(direct: RemoteServer[], lists: string[], named: ReadonlyMap<string, RemoteList>, port?: number): RemoteServer[] {
  const out: RemoteServer[] = [];
  const seen = new Set<string>();
  const add = (r: RemoteServer, defPort: number | undefined): void => {
    const e: RemoteServer = { ...r };
    if (e.port === undefined && defPort !== undefined) e.port = defPort;
    const k = `${e.address}#${e.port ?? 53}#${e.key ?? ''}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push(e);
  };
  const visited = new Set<string>();
  const visit = (name: string, defPort: number | undefined): void => {
    if (visited.has(name)) return;
    visited.add(name);
    const l = named.get(name);
    if (!l) return;
    for (const r of l.servers) add(r, l.port ?? defPort);
    for (const n of l.lists) visit(n, l.port ?? defPort);
  };
  for (const r of direct) add(r, port);
  for (const n of lists) visit(n, port);
  return out;
}

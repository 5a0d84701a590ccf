// named.conf TCP client limits (BIND 9.18, `options` only): `tcp-clients`,
// `tcp-initial-timeout` and `tcp-idle-timeout` (both in units of 100 ms). A timeout
// outside BIND's range is brought into it with named's warning, as named does at load.

import type { DiagnosticSink } from './diagnostics.js';
import type { NStatement } from './named-conf.js';

export interface TcpSettings {
  /** Most simultaneous TCP connections (BIND's default 150). */
  clients?: number;
  /** Milliseconds a new connection may take to send its first message (default 30 s). */
  initialTimeoutMs?: number;
  /** Milliseconds a connection may stay idle after that (default 30 s). */
  idleTimeoutMs?: number;
}

export const TCP_DEFAULTS = { clients: 150, initialTimeoutMs: 30_000, idleTimeoutMs: 30_000 };

/** BIND's bounds, in its units of 100 ms. */
const BOUNDS: Record<string, [number, number]> = { 'tcp-initial-timeout': [25, 1200], 'tcp-idle-timeout': [1, 1200] };

/** Reads one of the clauses into `into`; false for any other clause. The value is already checked to be an integer. */
export function tcpClause(s: NStatement, into: TcpSettings, sink: DiagnosticSink): boolean {
  const name = s.words[0].value.toLowerCase();
  if (name !== 'tcp-clients' && !(name in BOUNDS)) return false;
  const v = s.words[1];
  let n = Number(v.value);
  if (name === 'tcp-clients') {
    into.clients = n;
    return true;
  }
  const [min, max] = BOUNDS[name];
  if (n < min) {
    sink.warning(v, `${name} value is out of range: raising to ${min}`);
    n = min;
  } else if (n > max) {
    sink.warning(v, `${name} value is out of range: lowering to ${max}`);
    n = max;
  }
  if (name === 'tcp-initial-timeout') into.initialTimeoutMs = n * 100;
  else into.idleTimeoutMs = n * 100;
  return true;
}

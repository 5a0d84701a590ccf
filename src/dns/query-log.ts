// The query log: one line per query in BIND 9.18's layout (query.c log_query and
// client.c ns_client_logv), so the parsers written for named's query log read Triad's:
//
//   client @0x7f3c1a2b3c40 127.0.0.1#53535 (www.example.com): query: www.example.com IN A +E(0)K (127.0.0.1)
//
// Flags after the type: `+` recursion desired (else `-`), `S` signed (TSIG verified),
// `E(v)` EDNS version v, `T` TCP, `D` DNSSEC OK, `C` checking disabled, `V` a valid
// server cookie, `K` a cookie without a valid server part; then the address the query
// arrived on, and ` [ECS addr/source/scope]` with a client-subnet option.
//
// Off (the default) costs the query path one boolean check (`queryLog.on`). On, each
// process buffers its lines and hands them over in batches (`queryLog.emit`): a DNS
// worker sends them to the main process, which alone writes the files (query-log-writer.ts),
// so lines from several workers never interleave and size rotation has one owner.

import { OPCODE_QUERY, type ParsedQuery } from './message.js';
import type { ClientInfo } from './pipeline.js';
import { nameToText } from '../wire/dns-name.js';
import { classToText, typeToText } from '../wire/rr-type.js';
import { formatAddress } from '../net/ip.js';

/** A forked DNS worker starts with the query log on when this is `1`. */
export const QUERYLOG_ENV = 'TRIAD_QUERYLOG';

/** One logged query: when (ms since the epoch) and the line without time, category or severity. */
export type QueryLogEntry = [number, string];

/** What the query path knows beyond the parsed message. */
export interface QueryLogFacts {
  /** The name of the TSIG key that signed the query, verified. */
  signer?: string;
  /** The client sent a COOKIE option, and whether its server part is one we issued. */
  cookie?: 'valid' | 'client';
  /** The view that answers, when views are configured (BIND leaves `_default` out). */
  view?: string;
}

/**
 * BIND names each client by the address of its client object (`@0x…`). Triad has no
 * such object; a stable per-process value in the same shape keeps the field parseable.
 */
const CLIENT_ID = `@0x${(0x7f0000000000 + ((process.pid * 0x10c3) % 0xffffffff) * 8).toString(16)}`;

/** A name as dns_name_format prints it: no trailing dot except for the root. */
function nameText(wire: Uint8Array): string {
  const t = nameToText(wire);
  return t === '.' ? t : t.slice(0, -1);
}

/** RFC 7871 §6 option data as dns_ecs_format prints it: ADDRESS/SOURCE/SCOPE. */
export function ecsText(data: Uint8Array): string | undefined {
  if (data.length < 4) return undefined;
  const family = (data[0] << 8) | data[1];
  const size = family === 1 ? 4 : family === 2 ? 16 : 0;
  if (size === 0) return undefined;
  const bytes = new Uint8Array(size);
  bytes.set(data.subarray(4, 4 + size));
  return `${formatAddress({ family: family === 1 ? 4 : 6, bytes })}/${data[2]}/${data[3]}`;
}

/** Whether BIND logs this query: opcode QUERY with a question and EDNS version 0 or none (BADVERS is answered first). */
export function loggable(q: ParsedQuery): boolean {
  return q.opcode === OPCODE_QUERY && (q.edns === undefined || q.edns.version === 0);
}

/** The line for one query (no time, category or severity: those are the channel's). */
export function queryLogLine(q: ParsedQuery, client: ClientInfo, facts: QueryLogFacts = {}): string {
  const name = nameText(q.question.name);
  const peer = `${client.address}#${client.port}${facts.signer !== undefined ? `/key ${facts.signer}` : ''}`;
  const view = facts.view !== undefined && facts.view !== '_default' && facts.view !== '_bind' ? `: view ${facts.view}` : '';
  const flags = `${(q.flags & 0x0100) !== 0 ? '+' : '-'}${facts.signer !== undefined ? 'S' : ''}${q.edns ? `E(${q.edns.version})` : ''}`
    + `${client.transport === 'tcp' ? 'T' : ''}${q.edns?.do ? 'D' : ''}${(q.flags & 0x0010) !== 0 ? 'C' : ''}`
    + `${facts.cookie === 'valid' ? 'V' : facts.cookie === 'client' ? 'K' : ''}`;
  const ecs = q.ecs ? ecsText(q.ecs) : undefined;
  return `client ${CLIENT_ID} ${peer} (${name})${view}: query: ${name} ${classToText(q.question.class)} ${typeToText(q.question.type)} ${flags} (${client.destination ?? (client.address.includes(':') ? '::' : '0.0.0.0')})${ecs ? ` [ECS ${ecs}]` : ''}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');
const p3 = (n: number): string => String(n).padStart(3, '0');

/** The last prefix made per layout: lines of one batch mostly share their millisecond. */
const lastTime = new Map<string, [number, string]>();

/** A channel's `print-time` prefix (with its trailing space), as BIND 9.18 writes it. */
export function logTime(ms: number, mode: 'local' | 'iso8601' | 'iso8601-utc'): string {
  const last = lastTime.get(mode);
  if (last && last[0] === ms) return last[1];
  const text = formatTime(ms, mode);
  lastTime.set(mode, [ms, text]);
  return text;
}

function formatTime(ms: number, mode: 'local' | 'iso8601' | 'iso8601-utc'): string {
  const d = new Date(ms);
  if (mode === 'iso8601-utc') {
    return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${p3(d.getUTCMilliseconds())}Z `;
  }
  const time = `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${p3(d.getMilliseconds())}`;
  if (mode === 'iso8601') return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}T${time} `;
  return `${p2(d.getDate())}-${MONTHS[d.getMonth()]}-${d.getFullYear()} ${time} `;
}

/**
 * This process's switch and outlet. `on` is the one check on the query path; `emit`
 * queues a line and `flush` hands the queue to `deliver` (set by whoever owns the
 * process: the worker's IPC, or the main process's writer).
 */
export class QueryLogQueue {
  on = false;
  deliver: ((entries: QueryLogEntry[]) => void) | undefined;
  private pending: QueryLogEntry[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** Hand over at most this late (ms), so `tail -f` follows the queries. */
    private readonly delayMs = 50,
    /** …or as soon as this many lines wait. */
    private readonly batch = 512,
  ) {}

  emit(line: string): void {
    this.pending.push([Date.now(), line]);
    if (this.pending.length >= this.batch) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.delayMs);
  }

  flush(): void {
    const out = this.take();
    if (out.length > 0) this.deliver?.(out);
  }

  /** The lines waiting, handed to the caller instead (a stopping worker sends them itself and waits). */
  take(): QueryLogEntry[] {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

/** The one queue of this process (DNS worker or main process). */
export const queryLog = new QueryLogQueue();

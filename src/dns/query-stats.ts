// Per-listener query counters, kept where the bytes pass (server.ts), so the answer
// pipeline stays untouched. The hot path only indexes typed arrays: nothing is
// allocated and no label is built per query; names and labels are made at scrape
// time (dns/metrics.ts for Prometheus, dns/bind-stats.ts for BIND's channel).
//
// Each DNS worker process has its own; snapshots are plain arrays so they cross IPC
// and are summed field by field (mergeSnapshots).

/** Request size buckets are 16 octets wide up to 288+, responses up to 4096+ (BIND's traffic statistics). */
export const REQ_SIZE_BUCKETS = 19;
export const RESP_SIZE_BUCKETS = 257;
/** CoreDNS's request duration buckets: 0.25 ms doubling 16 times (seconds). */
export const DURATION_BUCKETS: readonly number[] = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i);

/** proto × family: 0 udp/v4, 1 udp/v6, 2 tcp/v4, 3 tcp/v6. */
export const PATHS = [
  { proto: 'udp', family: '1' },
  { proto: 'udp', family: '2' },
  { proto: 'tcp', family: '1' },
  { proto: 'tcp', family: '2' },
] as const;

/** nsstats-like counters, by index (names in NS_COUNTERS). */
export const NS_COUNTERS = [
  'ReqEdns0', 'ReqTSIG', 'Response', 'TruncatedResp', 'RespEDNS0', 'QrySuccess', 'QryAuthAns', 'QryNoauthAns', 'QryReferral', 'QryNxrrset',
  'QrySERVFAIL', 'QryFORMERR', 'QryNXDOMAIN', 'QryRecursion', 'QryDropped', 'QryFailure', 'QryUDP', 'QryTCP', 'XfrReqDone', 'XfrRej', 'UpdateDone', 'UpdateRej',
  'AuthQryRej',
] as const;
const NS = Object.fromEntries(NS_COUNTERS.map((n, i) => [n, i])) as Record<(typeof NS_COUNTERS)[number], number>;

/** A listener's counters as plain arrays (one worker's, or the sum of several). */
export interface QueryStatsSnapshot {
  /** CoreDNS's server label: dns://ADDRESS:PORT. */
  server: string;
  /** [path][qtype] for qtype < 256, flattened (4 × 256). */
  requests: number[];
  /** Requests of types ≥ 256, as [path, qtype, count]. */
  otherTypes: [number, number, number][];
  /** Header opcodes 0..15. */
  opcodes: number[];
  /** Header rcodes 0..15 of the responses sent. */
  rcodes: number[];
  /** Cumulative-free bucket counts (DURATION_BUCKETS, then +Inf), the sum in seconds and the count. */
  durationBuckets: number[];
  durationSum: number;
  durationCount: number;
  /** [path][bucket] flattened. */
  requestSizes: number[];
  responseSizes: number[];
  ns: number[];
  /** Highest number of TCP connections open at once (BIND TCPConnHighWater). */
  tcpHighWater: number;
  /** Top clients and query names (space-saving counters; empty when not counted). */
  topClients?: TopEntry[];
  topNames?: TopEntry[];
  /** The last RECENT_NAMES query names of each top client, oldest first. */
  recent?: Record<string, string[]>;
}

/** Query names remembered per client, for the clients among the top clients only. */
export const RECENT_NAMES = 10;

import { MAX_NAME, mergeTop, nameText, NameTopK, TopK, wireName, wireNameHash, type TopEntry } from './top-k.js';

const T_AXFR = 252;
const T_IXFR = 251;
const T_OPT = 41;

export class QueryStats {
  readonly requests = new Float64Array(4 * 256);
  private readonly other = new Map<number, number>();
  readonly opcodes = new Float64Array(16);
  readonly rcodes = new Float64Array(16);
  readonly duration = new Float64Array(DURATION_BUCKETS.length + 1);
  durationSum = 0;
  durationCount = 0;
  readonly requestSizes = new Float64Array(4 * REQ_SIZE_BUCKETS);
  readonly responseSizes = new Float64Array(4 * RESP_SIZE_BUCKETS);
  readonly ns = new Float64Array(NS_COUNTERS.length);
  tcpHighWater = 0;
  /** Whether the request `request` last read carried an OPT record (read once, with its qtype). */
  lastEdns = false;

  /**
   * Top clients and names, counted only while the statistics channel is configured;
   * null otherwise. Names are kept as octets and made text at snapshot time.
   */
  top: TopCounters | null = null;

  constructor(readonly server: string) {}

  /**
   * Whether requests are counted at all: only while a statistics channel shows them, so a
   * Triad without one spends nothing per query on them (server.ts checks it first).
   */
  on = true;

  /** Turns counting (and the top clients/names with it) on, keeping what was counted, or off. */
  counting(on: boolean): void {
    this.on = on;
    if (!on) this.top = null;
    else if (!this.top) this.top = new TopCounters();
  }

  /** A request from `client` (its address string, already made by the socket layer). */
  topRequest(msg: Uint8Array, client: string): void {
    this.top?.request(msg, client);
  }

  /**
   * One request arrived. Returns its qtype (0 when it has no readable question),
   * which `response` takes back to tell zone transfers apart.
   */
  request(msg: Uint8Array, tcp: boolean, v6: boolean): number {
    const path = (tcp ? 2 : 0) + (v6 ? 1 : 0);
    const len = msg.length;
    this.requestSizes[path * REQ_SIZE_BUCKETS + Math.min(len >> 4, REQ_SIZE_BUCKETS - 1)]++;
    this.ns[tcp ? NS.QryTCP : NS.QryUDP]++;
    this.lastEdns = false;
    if (len < 12) return 0;
    this.opcodes[(msg[2] >> 3) & 0xf]++;
    let qtype = 0;
    if (((msg[4] << 8) | msg[5]) > 0) {
      let i = 12;
      while (i < len && msg[i] !== 0 && msg[i] < 64) i += msg[i] + 1;
      if (i + 4 < len) {
        qtype = (msg[i + 1] << 8) | msg[i + 2];
        // The usual query holds only its question and an OPT record right after it.
        const j = i + 5;
        if (((msg[10] << 8) | msg[11]) > 0 && j + 3 <= len && msg[j] === 0 && ((msg[j + 1] << 8) | msg[j + 2]) === T_OPT) {
          this.ns[NS.ReqEdns0]++;
          this.lastEdns = true;
        }
      }
    }
    if (qtype < 256) this.requests[path * 256 + qtype]++;
    else {
      const k = path * 65536 + qtype;
      this.other.set(k, (this.other.get(k) ?? 0) + 1);
    }
    return qtype;
  }

  /** The response to a request went out (or was dropped: `out` null), `seconds` after it came. */
  response(out: Uint8Array | null, tcp: boolean, v6: boolean, qtype: number, seconds: number, deferred: boolean, edns: boolean): void {
    if (deferred) this.ns[NS.QryRecursion]++;
    if (out === null || out.length < 12) {
      this.ns[NS.QryDropped]++;
      return;
    }
    const path = (tcp ? 2 : 0) + (v6 ? 1 : 0);
    this.responseSizes[path * RESP_SIZE_BUCKETS + Math.min(out.length >> 4, RESP_SIZE_BUCKETS - 1)]++;
    const rcode = out[3] & 0xf;
    this.rcodes[rcode]++;
    const ns = this.ns;
    ns[NS.Response]++;
    if (edns && rcode !== 1) ns[NS.RespEDNS0]++;
    if (out[2] & 0x02) ns[NS.TruncatedResp]++;
    const aa = (out[2] & 0x04) !== 0;
    const answers = (out[6] << 8) | out[7];
    const opcode = (out[2] >> 3) & 0xf;
    if (opcode === 5) ns[rcode === 0 ? NS.UpdateDone : NS.UpdateRej]++;
    else if (qtype === T_AXFR || qtype === T_IXFR) ns[rcode === 0 ? NS.XfrReqDone : NS.XfrRej]++;
    else if (opcode === 0) {
      if (rcode === 0) {
        ns[aa ? NS.QryAuthAns : NS.QryNoauthAns]++;
        if (answers > 0) ns[NS.QrySuccess]++;
        else if (!aa && ((out[8] << 8) | out[9]) > 0) ns[NS.QryReferral]++;
        else ns[NS.QryNxrrset]++;
      } else if (rcode === 3) {
        ns[aa ? NS.QryAuthAns : NS.QryNoauthAns]++;
        ns[NS.QryNXDOMAIN]++;
      } else if (rcode === 2) ns[NS.QrySERVFAIL]++;
      else if (rcode === 1) ns[NS.QryFORMERR]++;
      else {
        ns[NS.QryFailure]++;
        if (rcode === 5) ns[NS.AuthQryRej]++;
      }
    }
    let b = 0;
    while (b < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[b]) b++;
    this.duration[b]++;
    this.durationSum += seconds;
    this.durationCount++;
  }

  tcpOpen(n: number): void {
    if (n > this.tcpHighWater) this.tcpHighWater = n;
  }

  snapshot(): QueryStatsSnapshot {
    const otherTypes: [number, number, number][] = [];
    for (const [k, n] of this.other) otherTypes.push([Math.floor(k / 65536), k % 65536, n]);
    return {
      server: this.server,
      requests: Array.from(this.requests),
      otherTypes,
      opcodes: Array.from(this.opcodes),
      rcodes: Array.from(this.rcodes),
      durationBuckets: Array.from(this.duration),
      durationSum: this.durationSum,
      durationCount: this.durationCount,
      requestSizes: Array.from(this.requestSizes),
      responseSizes: Array.from(this.responseSizes),
      ns: Array.from(this.ns),
      tcpHighWater: this.tcpHighWater,
      topClients: this.top?.clients.entries() ?? [],
      topNames: this.top?.names.entries() ?? [],
      recent: this.top?.recentNames() ?? {},
    };
  }
}

/** Requests per second (per worker and listener) that the top lists count one by one. */
export const TOP_EXACT_PER_SECOND = 1000;
/** Past that, one request in TOP_SAMPLE is counted, for TOP_SAMPLE. */
export const TOP_SAMPLE = 16;

/**
 * Top clients and names, and the last RECENT_NAMES names of each top client, in
 * preallocated octet rings (one per client slot): a request allocates nothing.
 */
export class TopCounters {
  readonly clients = new TopK();
  readonly names = new NameTopK();
  /** Ring r of client slot c at ((c × RECENT_NAMES) + r) × MAX_NAME; lengths beside. */
  private readonly ring = new Uint8Array(this.clients.capacity * RECENT_NAMES * MAX_NAME);
  private readonly ringLen = new Uint8Array(this.clients.capacity * RECENT_NAMES);
  /** Names pushed into each client slot's ring since the slot became the client's. */
  private readonly pushed = new Int32Array(this.clients.capacity);
  private readonly scratch = new Uint8Array(MAX_NAME);

  /** Requests still counted one by one in the wall-clock second `second` (see request()). */
  private exactLeft: number;
  private second = 0;
  private skipped = 0;

  constructor(private readonly exactPerSecond = TOP_EXACT_PER_SECOND) {
    this.exactLeft = exactPerSecond;
  }

  /**
   * The first `exactPerSecond` requests of a second are counted one by one; past
   * that, one in TOP_SAMPLE is counted for TOP_SAMPLE (a busy server's top lists are
   * estimates then, at a sixteenth of the cost; the clock is read only on those).
   */
  request(msg: Uint8Array, client: string): void {
    let w = 1;
    if (this.exactLeft > 0) this.exactLeft--;
    else {
      if (++this.skipped < TOP_SAMPLE) return;
      this.skipped = 0;
      w = TOP_SAMPLE;
      const s = Math.floor(Date.now() / 1000);
      if (s !== this.second) {
        this.second = s;
        this.exactLeft = this.exactPerSecond;
      }
    }
    const c = this.clients.add(client, w);
    if (this.clients.added) this.pushed[c] = 0;
    const name = this.scratch;
    const len = wireName(msg, name);
    if (len < 0) return;
    this.names.add(name, len, wireNameHash, w);
    const r = c * RECENT_NAMES + (this.pushed[c]++ % RECENT_NAMES);
    const ring = this.ring;
    const at = r * MAX_NAME;
    for (let i = 0; i < len; i++) ring[at + i] = name[i];
    this.ringLen[r] = len;
  }

  /** Each top client's recent names, oldest first (only clients that asked a readable name). */
  recentNames(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (let c = 0; c < this.clients.capacity; c++) {
      const n = this.pushed[c];
      if (!n || this.clients.key(c) === undefined) continue;
      const names: string[] = [];
      for (let m = Math.max(0, n - RECENT_NAMES); m < n; m++) {
        const r = c * RECENT_NAMES + (m % RECENT_NAMES);
        names.push(nameText(this.ring, r * MAX_NAME, this.ringLen[r]) ?? '.');
      }
      out[this.clients.key(c)] = names;
    }
    return out;
  }
}

function addArrays(a: number[], b: readonly number[]): number[] {
  const out = a.slice();
  for (let i = 0; i < b.length; i++) out[i] = (out[i] ?? 0) + b[i];
  return out;
}

/** Two processes' recent names per client: both kept (each in its order), the last RECENT_NAMES. */
export function mergeRecent(a: Record<string, string[]>, b: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = [...(out[k] ?? []), ...v].slice(-RECENT_NAMES);
  return out;
}

/** Sums snapshots of the same listeners (several workers), listener by listener. */
export function mergeSnapshots(all: readonly QueryStatsSnapshot[]): QueryStatsSnapshot[] {
  const by = new Map<string, QueryStatsSnapshot>();
  for (const s of all) {
    const have = by.get(s.server);
    if (!have) {
      by.set(s.server, { ...s, otherTypes: s.otherTypes.map((t) => [...t] as [number, number, number]) });
      continue;
    }
    const other = new Map<string, [number, number, number]>(have.otherTypes.map((t) => [`${t[0]}/${t[1]}`, t]));
    for (const t of s.otherTypes) {
      const o = other.get(`${t[0]}/${t[1]}`);
      if (o) o[2] += t[2];
      else other.set(`${t[0]}/${t[1]}`, [...t]);
    }
    by.set(s.server, {
      server: s.server,
      requests: addArrays(have.requests, s.requests),
      otherTypes: [...other.values()],
      opcodes: addArrays(have.opcodes, s.opcodes),
      rcodes: addArrays(have.rcodes, s.rcodes),
      durationBuckets: addArrays(have.durationBuckets, s.durationBuckets),
      durationSum: have.durationSum + s.durationSum,
      durationCount: have.durationCount + s.durationCount,
      requestSizes: addArrays(have.requestSizes, s.requestSizes),
      responseSizes: addArrays(have.responseSizes, s.responseSizes),
      ns: addArrays(have.ns, s.ns),
      // Connections are per process: the workers' peaks add up at worst.
      tcpHighWater: have.tcpHighWater + s.tcpHighWater,
      topClients: mergeTop([have.topClients ?? [], s.topClients ?? []], Infinity),
      topNames: mergeTop([have.topNames ?? [], s.topNames ?? []], Infinity),
      recent: mergeRecent(have.recent ?? {}, s.recent ?? {}),
    });
  }
  return [...by.values()];
}

/** Requests by qtype over every path of every listener: [qtype, count]. */
export function requestsByType(all: readonly QueryStatsSnapshot[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const s of all) {
    for (let i = 0; i < s.requests.length; i++) if (s.requests[i]) m.set(i % 256, (m.get(i % 256) ?? 0) + s.requests[i]);
    for (const [, t, n] of s.otherTypes) m.set(t, (m.get(t) ?? 0) + n);
  }
  return m;
}

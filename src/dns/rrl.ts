// Response-rate limiting (RRL) as BIND 9.18 does it: a decision per UDP response,
// pure (the clock is passed in). Identical responses to one client prefix share
// an account (a token bucket) credited `rate` tokens a second, capped at `rate`,
// and debited one per response; an account that runs dry may fall to
// -window × rate, so a client that keeps flooding stays limited until its
// average over `window` seconds drops below the rate. A limited response is
// dropped, or "slipped" (sent back empty with TC=1, so a real client retries over
// TCP): the first limited response slips, then every `slip`-th (slip 1: every one,
// 0: never). Errors and `all-per-second` are only ever dropped.
//
// What makes responses identical (BIND's accounts):
//   answers      client prefix, class, type, query name
//   referrals    client prefix, class, the delegation point
//   NODATA       client prefix, class, query name
//   NXDOMAIN     client prefix, the zone (random names under one zone are one account)
//   errors       client prefix (REFUSED, SERVFAIL, FORMERR… alike)
//   all          client prefix (every response, besides the above, with all-per-second)
//
// TCP responses are never limited (TCP proves the source address); with
// qps-scale they mark their client so its limits are not scaled down.

import { typeToText } from '../wire/rr-type.js';
import { formatAddress, parseAddress, type Address } from '../net/ip.js';

export type ResponseKind = 'answer' | 'referral' | 'nodata' | 'nxdomain' | 'error';

/** A response about to be sent, as the limiter sees it. */
export interface RrlResponse {
  kind: ResponseKind;
  /** Lower-case, without the final dot ('' is the root). Answers and NODATA: the query name; referrals: the delegation point; NXDOMAIN: the zone. */
  name: string;
  qtype: number;
  qclass: number;
  /** errors: the rcode's name as BIND logs it (REFUSED, SERVFAIL…). */
  rcode?: string;
}

/** `rate-limit { … }` with BIND 9.18's defaults filled in. */
export interface RrlSettings {
  responsesPerSecond: number;
  referralsPerSecond: number;
  nodataPerSecond: number;
  nxdomainsPerSecond: number;
  errorsPerSecond: number;
  allPerSecond: number;
  window: number;
  slip: number;
  /** 0: no scaling. */
  qpsScale: number;
  ipv4PrefixLength: number;
  ipv6PrefixLength: number;
  logOnly: boolean;
  maxTableSize: number;
  minTableSize: number;
  /** exempt-clients: never limited. */
  exempt?: (address: string) => boolean;
}

export type RrlAction = 'ok' | 'drop' | 'slip';

export interface RrlVerdict {
  action: RrlAction;
  /** Lines for the rate-limit log category (a burst's start, a continuing burst every 30 minutes). */
  log?: string[];
}

interface Account {
  kind: ResponseKind | 'all' | 'tcp';
  /** Tokens left; may be negative down to -window × rate. */
  responses: number;
  slipCount: number;
  /** Seconds (the caller's clock) of the last debit; undefined: never. */
  at: number | undefined;
  logged: boolean;
  /** Seconds since this account's last log line. */
  logSecs: number;
  /** For log lines. */
  prefix: string;
  name: string;
  qtype: number;
  qclass: number;
  rcode?: string;
}

/** BIND: a continuing burst is logged again after 30 minutes, its end after a minute without limiting. */
const MAX_LOG_SECS = 1800;
const STOP_LOG_SECS = 60;

const CLASS_NAMES: Record<number, string> = { 1: 'IN', 3: 'CH', 4: 'HS', 254: 'NONE', 255: 'ANY' };

export class RateLimiter {
  private readonly table = new Map<string, Account>();
  private readonly s: RrlSettings;
  /** This process's part of each rate (several workers share the traffic, each with its own table). */
  private readonly share: number;
  private qpsResponses = 0;
  private qpsTime: number | undefined;
  private qps = 0;
  private scale = 1;
  private lastMaintenance = -1;
  /** Accounts that have logged a "limit" line and may need a "stop limiting" one. */
  private readonly loggedAccounts = new Set<Account>();
  readonly stats = { dropped: 0, slipped: 0, wouldDrop: 0, wouldSlip: 0 };

  constructor(settings: RrlSettings, share = 1) {
    this.s = settings;
    this.share = share;
  }

  get settings(): RrlSettings {
    return this.s;
  }

  get logOnly(): boolean {
    return this.s.logOnly;
  }

  /** The client prefix an account is kept for, as text with its length: `127.0.0.0/24`. */
  prefixOf(address: string): string | undefined {
    const a = parseAddress(address);
    if (!a) return undefined;
    return maskedText(a, a.family === 4 ? this.s.ipv4PrefixLength : this.s.ipv6PrefixLength);
  }

  /** One response to `address` at `now` (seconds). */
  check(address: string, transport: 'udp' | 'tcp', r: RrlResponse, now: number): RrlVerdict {
    const s = this.s;
    if (s.exempt?.(address)) return { action: 'ok' };
    const prefix = this.prefixOf(address);
    if (prefix === undefined) return { action: 'ok' };
    this.estimateQps(now);
    const log: string[] = [];
    if (this.loggedAccounts.size > 0 && this.lastMaintenance !== now) this.logStops(now, log);
    if (transport === 'tcp') {
      if (this.scale < 1) {
        const e = this.account(`${prefix}|t`, 'tcp', prefix, r);
        e.responses = -1;
        e.slipCount = 0;
        e.at = now;
      }
      return log.length > 0 ? { action: 'ok', log } : { action: 'ok' };
    }
    const key = accountKey(prefix, r);
    const e = this.account(key, r.kind, prefix, r);
    let result = this.debit(e, prefix, now);
    let limited = e;
    if (s.allPerSecond > 0) {
      // The all-per-second account decides when both are over (BIND).
      const all = this.account(`${prefix}|a`, 'all', prefix, r);
      const allResult = this.debit(all, prefix, now);
      if (allResult !== 'ok') {
        result = allResult;
        limited = all;
      }
    }
    if (result === 'ok') return log.length > 0 ? { action: 'ok', log } : { action: 'ok' };
    // Errors cannot be slipped (BIND drops them).
    if (limited.kind === 'error' || limited.kind === 'all') result = 'drop';
    if (!limited.logged || limited.logSecs >= MAX_LOG_SECS) {
      log.push(`${s.logOnly ? 'would ' : ''}${limited.logged ? 'continue limiting' : 'limit'} ${describe(limited, true)}`);
      limited.logged = true;
      limited.logSecs = 0;
      this.loggedAccounts.add(limited);
    }
    if (s.logOnly) {
      if (result === 'drop') this.stats.wouldDrop++;
      else this.stats.wouldSlip++;
      return { action: 'ok', log };
    }
    if (result === 'drop') this.stats.dropped++;
    else this.stats.slipped++;
    return log.length > 0 ? { action: result, log } : { action: result };
  }

  /** The line BIND logs per limited query (query-errors category): `rate limit drop response to …`. */
  describeQuery(address: string, r: RrlResponse, action: 'drop' | 'slip'): string {
    const prefix = this.prefixOf(address) ?? address;
    const e = newAccount(r.kind, prefix, r);
    return `${this.s.logOnly ? 'would ' : ''}rate limit ${action} ${describe(e, false)}`;
  }

  /** Accounts kept now (bounded by max-table-size). */
  get size(): number {
    return this.table.size;
  }

  private rateOf(kind: Account['kind']): number {
    const s = this.s;
    const r = kind === 'answer' ? s.responsesPerSecond : kind === 'referral' ? s.referralsPerSecond : kind === 'nodata' ? s.nodataPerSecond
      : kind === 'nxdomain' ? s.nxdomainsPerSecond : kind === 'error' ? s.errorsPerSecond : kind === 'all' ? s.allPerSecond : 1;
    // Rounded up: a worker never allows fewer than one response a second of a rate that is set.
    return r > 0 ? Math.ceil(r * this.share) : 0;
  }

  /** qps-scale: the limits shrink by qps-scale / (responses a second, averaged over the window). */
  private estimateQps(now: number): void {
    if (this.s.qpsScale <= 0) return;
    this.qpsResponses++;
    if (this.qpsTime === undefined) this.qpsTime = now;
    const secs = now - this.qpsTime;
    if (secs > 0) {
      this.qps = this.qpsResponses / secs;
      if (secs >= this.s.window) {
        this.qpsResponses = 0;
        this.qpsTime = now;
      }
    }
    this.scale = this.qps > 0 ? Math.min(1, (this.s.qpsScale * this.share) / this.qps) : 1;
  }

  private account(key: string, kind: Account['kind'], prefix: string, r: RrlResponse): Account {
    let e = this.table.get(key);
    if (e) {
      // Most recently used last: the oldest is what a full table forgets.
      this.table.delete(key);
      this.table.set(key, e);
      return e;
    }
    if (this.table.size >= Math.max(1, this.s.maxTableSize)) {
      const oldest = this.table.keys().next();
      if (!oldest.done) {
        const gone = this.table.get(oldest.value);
        if (gone) this.loggedAccounts.delete(gone);
        this.table.delete(oldest.value);
      }
    }
    e = newAccount(kind, prefix, r);
    this.table.set(key, e);
    return e;
  }

  /** BIND's debit_rrl_entry: credit the seconds since the last response, then take one token. */
  private debit(e: Account, prefix: string, now: number): RrlAction {
    let rate = this.rateOf(e.kind);
    if (rate <= 0) return 'ok';
    let scale = this.scale;
    if (scale < 1) {
      // A client that has used TCP lately is not scaled down.
      const tcp = this.table.get(`${prefix}|t`);
      if (tcp?.at !== undefined && now - tcp.at < this.s.window) scale = 1;
    }
    if (scale < 1) rate = Math.max(1, rate * scale);
    const min = -this.s.window * rate;
    const age = e.at === undefined ? Infinity : now - e.at;
    if (age > 0) {
      if (age > this.s.window) {
        e.responses = rate;
        e.slipCount = 0;
      } else {
        e.responses += rate * age;
        if (e.responses > rate) {
          e.responses = rate;
          e.slipCount = 0;
        }
      }
      if (e.logged && Number.isFinite(age)) e.logSecs = Math.min(MAX_LOG_SECS, e.logSecs + age);
    }
    // A clock that went back counts as no time.
    e.at = e.at === undefined || now > e.at ? now : e.at;
    e.responses -= 1;
    if (e.responses >= 0) return 'ok';
    if (e.responses < min) e.responses = min;
    let slip = this.s.slip;
    if (slip > 2 && scale < 1) slip = Math.max(2, Math.floor(slip * scale));
    if (slip !== 0 && e.kind !== 'all') {
      if (e.slipCount++ === 0) {
        if (e.slipCount >= slip) e.slipCount = 0;
        return 'slip';
      }
      if (e.slipCount >= slip) e.slipCount = 0;
    }
    return 'drop';
  }

  /** "stop limiting …" for accounts that have not been limited for a minute (BIND's log_stops). */
  private logStops(now: number, log: string[]): void {
    this.lastMaintenance = now;
    for (const e of this.loggedAccounts) {
      if (e.at !== undefined && now - e.at > STOP_LOG_SECS) {
        log.push(`${this.s.logOnly ? 'would ' : ''}stop limiting ${describe(e, true)}`);
        e.logged = false;
        this.loggedAccounts.delete(e);
      }
    }
  }
}

function newAccount(kind: Account['kind'], prefix: string, r: RrlResponse): Account {
  return { kind, responses: 0, slipCount: 0, at: undefined, logged: false, logSecs: 0, prefix, name: r.name, qtype: r.qtype, qclass: r.qclass, rcode: r.rcode };
}

function accountKey(prefix: string, r: RrlResponse): string {
  switch (r.kind) {
    case 'answer':
      return `${prefix}|q|${r.qclass}|${r.qtype}|${r.name}`;
    case 'referral':
      return `${prefix}|r|${r.qclass}|${r.name}`;
    case 'nodata':
      return `${prefix}|d|${r.qclass}|${r.name}`;
    case 'nxdomain':
      return `${prefix}|n|${r.name}`;
    case 'error':
      return `${prefix}|e`;
  }
}

/** `NXDOMAIN responses to 127.0.0.0/24 for example.com  (5a2e9ce2)`, as BIND's make_log_buf writes it. */
function describe(e: Account, plural: boolean): string {
  const what = e.kind === 'referral' ? 'referral ' : e.kind === 'nodata' ? 'NODATA ' : e.kind === 'nxdomain' ? 'NXDOMAIN '
    : e.kind === 'error' ? `${e.rcode ?? ''}${e.rcode ? ' ' : ''}error ` : e.kind === 'all' ? 'all ' : '';
  let out = `${what}${plural ? 'responses' : 'response'} to ${e.prefix}`;
  if (e.kind === 'answer' || e.kind === 'referral' || e.kind === 'nodata' || e.kind === 'nxdomain') {
    out += ` for ${e.name === '' ? '.' : e.name}`;
    if (e.kind !== 'nxdomain') {
      out += ` ${CLASS_NAMES[e.qclass] ?? `CLASS${e.qclass}`}`;
      if (e.kind === 'answer') out += ` ${typeToText(e.qtype)}`;
    }
    out += `  (${hash(e.kind === 'answer' ? `${e.qtype}/${e.name}` : e.name)})`;
  }
  return out;
}

/** FNV-1a of the name: tells accounts apart in the log (BIND prints its own hash there). */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** The network of `a` with `len` bits kept, as text with the length. */
function maskedText(a: Address, len: number): string {
  const bytes = Uint8Array.from(a.bytes);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, len - i * 8));
    bytes[i] &= keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
  }
  return `${formatAddress({ family: a.family, bytes })}/${len}`;
}

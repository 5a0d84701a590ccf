// When a secondary zone asks its primary again (pure): the SOA's REFRESH, RETRY and
// EXPIRE (RFC 1035 §3.3.13, RFC 1034 §4.3.5) bounded as BIND 9.18 bounds them
// (min/max-refresh-time, min/max-retry-time; expire at least refresh + retry and at
// most 24 weeks), and the refresh and retry intervals shortened by up to a quarter
// at random, as BIND does, so many secondaries of one primary do not ask at once.

export interface TimerBounds {
  minRefresh: number;
  maxRefresh: number;
  minRetry: number;
  maxRetry: number;
}

/** BIND 9.18's defaults. */
export const BIND_TIMER_BOUNDS: TimerBounds = { minRefresh: 300, maxRefresh: 2419200, minRetry: 500, maxRetry: 1209600 };

/** BIND's DNS_MAX_EXPIRE: 24 weeks. */
export const MAX_EXPIRE = 14515200;

export interface ZoneTimers {
  refresh: number;
  retry: number;
  expire: number;
}

const range = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);

/** The timers in force for a zone whose SOA says `soa` (seconds). */
export function boundedTimers(soa: ZoneTimers, b: TimerBounds = BIND_TIMER_BOUNDS): ZoneTimers {
  const refresh = range(soa.refresh, b.minRefresh, b.maxRefresh);
  const retry = range(soa.retry, b.minRetry, b.maxRetry);
  const expire = range(soa.expire, refresh + retry, MAX_EXPIRE);
  return { refresh, retry, expire };
}

/** `seconds` less a random part of up to a quarter of it, in ms; `rand` in [0, 1). */
export function jittered(seconds: number, rand: number = Math.random()): number {
  const ms = seconds * 1000;
  return Math.round(ms - rand * (ms / 4));
}

/** The next check after a refresh that succeeded (`ok`) or failed, ms after `now`. */
export function nextCheck(t: ZoneTimers, ok: boolean, rand?: number): number {
  return jittered(ok ? t.refresh : t.retry, rand);
}

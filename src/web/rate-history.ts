// The dashboard's last hour of DNS traffic: a ring buffer of per-interval rates
// derived from the DNS collector's counters (requests, responses by rcode), sampled
// by the statistics server. Pure: samples in, points out.

import type { MetricFamily } from '../service.js';

export interface RatePoint {
  /** End of the interval, ms since the epoch. */
  t: number;
  /** Requests per second over the interval. */
  qps: number;
  /** Responses per second by rcode. */
  rcodes: Record<string, number>;
}

interface Totals {
  t: number;
  requests: number;
  rcodes: Record<string, number>;
  /** Resolver cache lookups (zero without recursion). */
  cacheHits: number;
  cacheMisses: number;
}

function totals(families: readonly MetricFamily[], t: number): Totals {
  let requests = 0;
  let cacheHits = 0;
  let cacheMisses = 0;
  const rcodes: Record<string, number> = {};
  for (const f of families) {
    if (f.name === 'triad_dns_cache_hits_total') for (const s of f.samples) cacheHits += s.value;
    if (f.name === 'triad_dns_cache_misses_total') for (const s of f.samples) cacheMisses += s.value;
    if (f.name === 'triad_dns_requests_total') for (const s of f.samples) requests += s.value;
    if (f.name === 'triad_dns_responses_total') {
      for (const s of f.samples) {
        const rc = s.labels?.['rcode'] ?? 'other';
        rcodes[rc] = (rcodes[rc] ?? 0) + s.value;
      }
    }
  }
  return { t, requests, rcodes, cacheHits, cacheMisses };
}

export class RateHistory {
  private readonly points: RatePoint[] = [];
  private last: Totals | undefined;

  /** `capacity` points: an hour at the server's 10 s interval. */
  constructor(private readonly capacity = 360) {}

  add(families: readonly MetricFamily[], now: number): void {
    const cur = totals(families, now);
    const prev = this.last;
    this.last = cur;
    if (!prev || now <= prev.t) return;
    const secs = (now - prev.t) / 1000;
    // A counter that went down (a restarted worker) starts over rather than going negative.
    const rate = (a: number, b: number): number => Math.max(0, b - a) / secs;
    const rcodes: Record<string, number> = {};
    for (const [rc, v] of Object.entries(cur.rcodes)) rcodes[rc] = rate(prev.rcodes[rc] ?? 0, v);
    this.points.push({ t: now, qps: rate(prev.requests, cur.requests), rcodes });
    if (this.points.length > this.capacity) this.points.splice(0, this.points.length - this.capacity);
  }

  /** The points, oldest first, and the counters' totals as of the last sample. */
  snapshot(): { points: RatePoint[]; totals: Omit<Totals, 't'> | null } {
    const l = this.last;
    return { points: [...this.points], totals: l ? { requests: l.requests, rcodes: { ...l.rcodes }, cacheHits: l.cacheHits, cacheMisses: l.cacheMisses } : null };
  }
}

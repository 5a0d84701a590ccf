// The dashboard's DNS rate history: per-interval rates from counters, a bounded ring,
// a counter that restarts never going negative.
import t from 'tap';
import { RateHistory } from '../../src/web/rate-history.js';
import type { MetricFamily } from '../../src/service.js';

const fams = (requests: number, noerror: number, nx: number, hits = 0, misses = 0): MetricFamily[] => [
  { name: 'triad_dns_requests_total', help: '', type: 'counter', samples: [{ labels: { type: 'A' }, value: requests - 1 }, { labels: { type: 'AAAA' }, value: 1 }] },
  { name: 'triad_dns_responses_total', help: '', type: 'counter', samples: [{ labels: { rcode: 'NOERROR' }, value: noerror }, { labels: { rcode: 'NXDOMAIN' }, value: nx }] },
  { name: 'triad_dns_cache_hits_total', help: '', type: 'counter', samples: [{ value: hits }] },
  { name: 'triad_dns_cache_misses_total', help: '', type: 'counter', samples: [{ value: misses }] },
];

t.test('rates between samples, bounded, never negative', async (t) => {
  const h = new RateHistory(2);
  h.add(fams(10, 8, 2), 0);
  t.same(h.snapshot().points, [], 'one sample is no rate yet');
  h.add(fams(30, 26, 4, 3, 1), 10_000);
  t.same(h.snapshot().points, [{ t: 10_000, qps: 2, rcodes: { NOERROR: 1.8, NXDOMAIN: 0.2 } }], 'per second over the interval, summed over labels');
  t.same(h.snapshot().totals, { requests: 30, rcodes: { NOERROR: 26, NXDOMAIN: 4 }, cacheHits: 3, cacheMisses: 1 });
  h.add(fams(5, 5, 0), 20_000);
  t.equal(h.snapshot().points[1].qps, 0, 'a counter that went down (a restarted worker) gives 0, not a negative rate');
  h.add(fams(25, 25, 0), 30_000);
  t.same(h.snapshot().points.map((p) => p.t), [20_000, 30_000], 'only the last `capacity` points are kept');
});

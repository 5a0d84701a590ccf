// The DNS service's Prometheus families, with CoreDNS's names and labels where they
// fit: `server` is the listener (dns://ADDRESS:PORT), `zone` the server block, which
// is "." for Triad (one block answers every zone), `proto` udp|tcp, `family` 1 (IPv4)
// or 2 (IPv6), `type` the query type. Built from the summed model at scrape time.

import { histogramSamples, type MetricFamily, type MetricSample } from '../service.js';
import { DURATION_BUCKETS, NS_COUNTERS, PATHS, type QueryStatsSnapshot } from './query-stats.js';
import type { DnsStats } from './stats-model.js';
import { RCODE_NAMES } from './message.js';
import { typeToText } from '../wire/rr-type.js';

const ZONE = '.';

function rcodeName(r: number): string {
  return RCODE_NAMES[r] ?? (r === 7 ? 'YXRRSET' : r === 8 ? 'NXRRSET' : r === 10 ? 'NOTZONE' : String(r));
}

function requests(l: QueryStatsSnapshot): MetricSample[] {
  const out: MetricSample[] = [];
  for (let i = 0; i < l.requests.length; i++) {
    const n = l.requests[i];
    if (!n) continue;
    const p = PATHS[Math.floor(i / 256)];
    out.push({ labels: { server: l.server, zone: ZONE, proto: p.proto, family: p.family, type: typeName(i % 256) }, value: n });
  }
  for (const [path, t, n] of l.otherTypes) {
    const p = PATHS[path];
    out.push({ labels: { server: l.server, zone: ZONE, proto: p.proto, family: p.family, type: typeName(t) }, value: n });
  }
  return out;
}

function typeName(t: number): string {
  return t === 0 ? 'none' : typeToText(t);
}

export function dnsFamilies(s: DnsStats): MetricFamily[] {
  const ls = s.listeners;
  const ns = (name: (typeof NS_COUNTERS)[number]): number => ls.reduce((a, l) => a + (l.ns[NS_COUNTERS.indexOf(name)] ?? 0), 0);
  const fams: MetricFamily[] = [
    { name: 'triad_dns_requests_total', help: 'DNS requests received, by listener, protocol, address family and query type.', type: 'counter', samples: ls.flatMap(requests) },
    {
      name: 'triad_dns_responses_total', help: 'DNS responses sent, by listener and response code.', type: 'counter',
      samples: ls.flatMap((l) => l.rcodes.flatMap((n, r) => (n ? [{ labels: { server: l.server, zone: ZONE, rcode: rcodeName(r) }, value: n }] : []))),
    },
    {
      name: 'triad_dns_request_duration_seconds', help: 'Time from a request\'s arrival to its response, by listener.', type: 'histogram',
      samples: ls.flatMap((l) => histogramSamples(DURATION_BUCKETS, l.durationBuckets, l.durationSum, l.durationCount, { server: l.server, zone: ZONE })),
    },
    { name: 'triad_dns_requests_dropped_total', help: 'DNS requests given no response (unreadable, blackholed, or failed).', type: 'counter', samples: [{ value: ns('QryDropped') }] },
    { name: 'triad_dns_recursive_requests_total', help: 'DNS requests answered by recursion (the resolver).', type: 'counter', samples: [{ value: ns('QryRecursion') }] },
    { name: 'triad_dns_truncated_responses_total', help: 'DNS responses sent truncated (TC).', type: 'counter', samples: [{ value: ns('TruncatedResp') }] },
    {
      name: 'triad_dns_zone_transfer_requests_total', help: 'Zone transfers (AXFR, IXFR) asked of this server, by result.', type: 'counter',
      samples: [{ labels: { result: 'success' }, value: ns('XfrReqDone') }, { labels: { result: 'refused' }, value: ns('XfrRej') }],
    },
    {
      name: 'triad_dns_zone_serial', help: 'The SOA serial served, by view and zone.', type: 'gauge',
      samples: s.zones.map((z) => ({ labels: { view: z.view, zone: z.name, type: z.type }, value: z.serial })),
    },
    {
      name: 'triad_dns_zone_transfers_total', help: 'Transfers of secondary zones from their primaries, by zone and result.', type: 'counter',
      samples: s.transfers.flatMap((t) => [{ labels: { zone: t.zone, result: 'success' }, value: t.done }, { labels: { zone: t.zone, result: 'failure' }, value: t.failed }]),
    },
    { name: 'triad_dns_workers', help: 'DNS worker processes answering (0 when DNS answers in the main process, which counts as one).', type: 'gauge', samples: [{ value: s.workers }] },
  ];
  if (s.workers > 0) {
    fams.push({ name: 'triad_dns_worker_resident_memory_bytes', help: 'Resident memory of each DNS worker process in bytes.', type: 'gauge', samples: s.processes.map((p) => ({ labels: { pid: String(p.pid) }, value: p.rss })) });
  }
  const r = s.resolver;
  if (r) {
    fams.push(
      { name: 'triad_dns_cache_entries', help: 'Entries in the resolver caches (summed over workers, each has its own).', type: 'gauge', samples: [{ value: r.cache.entries }] },
      { name: 'triad_dns_cache_size_bytes', help: 'Size of the resolver caches in bytes (summed over workers).', type: 'gauge', samples: [{ value: r.cache.bytes }] },
      { name: 'triad_dns_cache_hits_total', help: 'Resolver cache lookups that found data.', type: 'counter', samples: [{ value: r.cache.hits }] },
      { name: 'triad_dns_cache_misses_total', help: 'Resolver cache lookups that found nothing.', type: 'counter', samples: [{ value: r.cache.misses }] },
      { name: 'triad_dns_upstream_requests_total', help: 'Queries the resolver sent to other servers.', type: 'counter', samples: [{ value: r.upstream.sent }] },
      { name: 'triad_dns_upstream_timeouts_total', help: 'Queries to other servers that timed out.', type: 'counter', samples: [{ value: r.upstream.timeouts }] },
      { name: 'triad_dns_upstream_spoofing_drops_total', help: 'Answers dropped because address, port, ID or question did not match the query (RFC 5452).', type: 'counter', samples: [{ value: r.upstream.spoofDrops }] },
      { name: 'triad_dns_upstream_errors_total', help: 'Queries to other servers that failed otherwise.', type: 'counter', samples: [{ value: r.upstream.errors }] },
      { name: 'triad_dns_servfail_resolutions_total', help: 'Resolutions that ended in SERVFAIL.', type: 'counter', samples: [{ value: r.servfail }] },
      { name: 'triad_dns_stale_answers_total', help: 'Answers served from expired cache data (serve-stale, RFC 8767).', type: 'counter', samples: [{ value: r.staleAnswers }] },
    );
  }
  return fams;
}

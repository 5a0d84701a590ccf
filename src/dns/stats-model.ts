// What the DNS service reports to the statistics channel, gathered from one process
// (a worker, or the main process without workers) and summed across workers. Both
// views of it — Prometheus families (dns/metrics.ts) and BIND's statistics
// (dns/bind-stats.ts) — are built from this one model at scrape time.

import type { DnsHost } from './dns-host.js';
import { mergeSnapshots, type QueryStatsSnapshot } from './query-stats.js';
import type { ResolverStats } from './resolver.js';
import { nameKey, nameToText, parseName } from '../wire/dns-name.js';
import { classToText } from '../wire/rr-type.js';

export interface ZoneStat {
  view: string;
  name: string;
  class: string;
  serial: number;
  /** BIND's words: primary, secondary, builtin… */
  type: string;
}

/** One process's statistics. */
export interface DnsProcessStats {
  listeners: QueryStatsSnapshot[];
  /** Every view's resolver, summed (null with recursion off everywhere). */
  resolver: ResolverStats | null;
  /** Each recursing view's resolver. */
  resolverByView: Record<string, ResolverStats>;
  zones: ZoneStat[];
  views: string[];
  /** The processes answering: their PID and resident memory. */
  processes: { pid: number; rss: number }[];
}

/** The whole service's: the processes summed, plus what the main process itself holds. */
export interface DnsStats extends DnsProcessStats {
  workers: number;
  bootTime: string;
  configTime: string;
  transfers: { zone: string; done: number; failed: number; serial?: number }[];
}

const zoneKey = (name: string): string => nameKey(parseName(name === '.' || name.endsWith('.') ? name : `${name}.`));

/** The statistics of the host in this process. */
export function processStats(host: DnsHost): DnsProcessStats {
  const cfg = host.config;
  const zones: ZoneStat[] = [];
  const views: string[] = [];
  for (const v of cfg?.views ?? []) {
    views.push(v.name);
    // The zones named.conf configures (not the automatic empty zones), as BIND lists them.
    const configured = new Map(v.conf.zones.map((z) => [zoneKey(z.name), z.type]));
    for (const z of v.view.zones) {
      const type = configured.get(nameKey(z.origin));
      if (type === undefined) continue;
      const name = nameToText(z.origin);
      zones.push({ view: v.name, name: name === '.' ? name : name.replace(/\.$/, ''), class: classToText(z.class), serial: z.serial, type });
    }
  }
  let resolver: ResolverStats | null = null;
  const resolverByView: Record<string, ResolverStats> = {};
  for (const v of cfg?.views ?? []) {
    const r = host.resolverOf(v.name)?.stats();
    if (!r) continue;
    resolverByView[v.name] = r;
    resolver = resolver ? sumStats(resolver, r) : r;
  }
  return { listeners: host.queryStats(), resolver, resolverByView, zones, views, processes: [{ pid: process.pid, rss: process.memoryUsage.rss() }] };
}

/** Sums numbers field by field (objects recursively). */
function sumStats<T>(a: T, b: T): T {
  if (typeof a === 'number' && typeof b === 'number') return (a + b) as T;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = k in out ? sumStats(out[k], v) : v;
    return out as T;
  }
  return a ?? b;
}

/** Several processes' statistics as one: counters summed, zones as the first process serves them. */
export function mergeProcessStats(all: readonly DnsProcessStats[]): DnsProcessStats {
  let resolver: ResolverStats | null = null;
  for (const p of all) if (p.resolver) resolver = resolver ? sumStats(resolver, p.resolver) : p.resolver;
  let resolverByView: Record<string, ResolverStats> = {};
  for (const p of all) resolverByView = sumStats(resolverByView, p.resolverByView);
  return {
    listeners: mergeSnapshots(all.flatMap((p) => p.listeners)),
    resolver,
    resolverByView,
    zones: all[0]?.zones ?? [],
    views: all[0]?.views ?? [],
    processes: all.flatMap((p) => p.processes),
  };
}

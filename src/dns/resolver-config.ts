// From named.conf to the resolver's settings (pure apart from reading the hints
// file): forwarders and forward zones, root hints, cache limits, serve-stale.

import os from 'node:os';
import type { NamedConfig } from '../config/named-conf.js';
import type { RecursionLimits } from '../config/named-conf-recursion.js';
import type { CacheOptions } from './cache.js';
import { DEFAULT_MAX_CACHE_SIZE } from './cache.js';
import { buildForwardPolicy, type ForwardPolicy } from './forwarding.js';
import { loadRootHints, type RootHints } from './root-hints.js';

export interface ResolverSettings {
  forward: ForwardPolicy;
  /** undefined: the built-in root hints. */
  hints?: RootHints;
  cache: CacheOptions;
  serveStale: boolean;
  /** recursive-clients, clients-per-query, fetches-per-zone as written (shared out among workers by the host). */
  limits?: RecursionLimits;
}

/** BIND 9.18 defaults: max-stale-ttl 12 h, stale-answer-ttl 30 s (RFC 8767 §4). */
const DEFAULT_MAX_STALE_TTL = 12 * 3600;

export function resolverSettings(conf: NamedConfig): ResolverSettings {
  const o = conf.options;
  const c = o.cache;
  const forwardZones = conf.zones.filter((z) => z.type === 'forward').map((z) => ({ name: z.name, forwarders: z.forwarders, forward: z.forward }));
  const hintZone = conf.zones.find((z) => z.type === 'hint' && z.name === '.' && z.file);
  const hints = hintZone?.file ? loadRootHints(hintZone.file, o.directory) : undefined;
  let maxSize: number;
  if (c.maxCacheSize === undefined) maxSize = DEFAULT_MAX_CACHE_SIZE;
  else if (typeof c.maxCacheSize === 'number') maxSize = c.maxCacheSize === 0 ? Math.floor(os.totalmem() / 2) : c.maxCacheSize;
  else maxSize = Math.floor((os.totalmem() * c.maxCacheSize.percent) / 100);
  const serveStale = c.staleAnswerEnable === true;
  return {
    forward: buildForwardPolicy({ forwarders: o.forwarders, forward: o.forward, zones: forwardZones, defaultPort: 53 }),
    hints,
    cache: {
      maxSize,
      maxCacheTtl: c.maxCacheTtl,
      maxNcacheTtl: c.maxNcacheTtl,
      minCacheTtl: c.minCacheTtl,
      minNcacheTtl: c.minNcacheTtl,
      maxStaleTtl: serveStale ? (c.maxStaleTtl ?? DEFAULT_MAX_STALE_TTL) : 0,
      staleAnswerTtl: c.staleAnswerTtl,
    },
    serveStale,
    limits: o.recursionLimits,
  };
}

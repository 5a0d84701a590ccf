// Caps on recursion, as BIND 9.18 applies them (named-conf-recursion.ts reads them):
// - recursive-clients: past the soft quota (90 %, or the cap less 100 above 1000) a
//   new query is taken and the oldest one in progress is answered SERVFAIL ("aborting
//   oldest query"); at the cap itself a new query is answered SERVFAIL at once
//   ("no more recursive clients: quota reached"). Both as named 9.18 does.
// - clients-per-query: a client beyond the cap on one identical fetch in flight is
//   dropped without an answer (BIND's "spilled due to clients per query").
// - fetches-per-zone: a fetch beyond the cap to one zone's servers is dropped, or
//   answered SERVFAIL with `fail` (BIND's "spilled due to zone quota").
// Pure bookkeeping: the resolver asks and releases; no timers, no sockets.

import { RECURSION_DEFAULTS, type RecursionLimits } from '../config/named-conf-recursion.js';

export interface CapLimits {
  /** 0: no limit. */
  recursiveClients: number;
  /** 0: no limit. */
  clientsPerQuery: number;
  /** 0: no limit. */
  fetchesPerZone: number;
  zoneResponse: 'drop' | 'fail';
}

export interface CapCounters {
  /** Recursive queries in progress now (BIND's RecursClients gauge). */
  recursing: number;
  /** Answered SERVFAIL because recursive-clients was reached. */
  recursiveQuota: number;
  /** Oldest queries aborted (SERVFAIL) past the soft quota of recursive-clients. */
  recursiveSoftQuota: number;
  /** Dropped because clients-per-query was reached (BIND ClientQuota). */
  clientQuota: number;
  /** Fetches refused because fetches-per-zone was reached (BIND ZoneQuota). */
  zoneQuota: number;
}

/**
 * The limits one process applies. recursive-clients and fetches-per-zone are shared
 * out among `workers` processes (each takes its ceiling share, at least 1);
 * clients-per-query counts waiters on one fetch, which lives in one process, so it is
 * not divided. BIND raises clients-per-query by itself up to max-clients-per-query;
 * Triad keeps it fixed (README, deliberate differences), so max only lowers it.
 */
export function capLimits(l: RecursionLimits | undefined, workers = 1): CapLimits {
  const w = Math.max(1, workers);
  const share = (n: number): number => (n === 0 ? 0 : Math.max(1, Math.ceil(n / w)));
  const cpq = l?.clientsPerQuery ?? RECURSION_DEFAULTS.clientsPerQuery;
  const max = l?.maxClientsPerQuery ?? RECURSION_DEFAULTS.maxClientsPerQuery;
  return {
    recursiveClients: share(l?.recursiveClients ?? RECURSION_DEFAULTS.recursiveClients),
    // BIND: a max below clients-per-query lowers the cap to it (0 = no upper bound).
    clientsPerQuery: cpq === 0 ? 0 : max > 0 && max < cpq ? max : cpq,
    fetchesPerZone: share(l?.fetchesPerZone?.limit ?? 0),
    zoneResponse: l?.fetchesPerZone?.response ?? 'drop',
  };
}

export class RecursionCaps {
  readonly counters: CapCounters = { recursing: 0, recursiveQuota: 0, recursiveSoftQuota: 0, clientQuota: 0, zoneQuota: 0 };
  private readonly zones = new Map<string, number>();
  /** Queries in progress, oldest first, with how to abort each. */
  private readonly clients = new Map<number, () => void>();
  private nextId = 1;

  constructor(public limits: CapLimits = capLimits(undefined)) {}

  /**
   * A recursive query starts: its id, or undefined when over the cap. Past the soft
   * quota the oldest query in progress is aborted (its `abort` called) to make room.
   */
  admitClient(abort: () => void = () => undefined): number | undefined {
    const max = this.limits.recursiveClients;
    if (max > 0 && this.clients.size >= max) {
      this.counters.recursiveQuota++;
      return undefined;
    }
    if (max > 0 && this.clients.size >= softQuota(max)) {
      const oldest = this.clients.entries().next().value;
      if (oldest) {
        this.clients.delete(oldest[0]);
        this.counters.recursiveSoftQuota++;
        oldest[1]();
      }
    }
    const id = this.nextId++;
    this.clients.set(id, abort);
    this.counters.recursing = this.clients.size;
    return id;
  }

  /** The query is over (answered or aborted); a second release is harmless. */
  releaseClient(id: number): void {
    this.clients.delete(id);
    this.counters.recursing = this.clients.size;
  }

  /** May one more client wait on a fetch that already has `clients` waiting? */
  mayJoin(clients: number): boolean {
    const max = this.limits.clientsPerQuery;
    if (max > 0 && clients >= max) {
      this.counters.clientQuota++;
      return false;
    }
    return true;
  }

  /** A fetch to the servers of `zone` starts: 'ok', or what to do instead ('drop' | 'fail'). */
  admitZoneFetch(zone: string): 'ok' | 'drop' | 'fail' {
    const max = this.limits.fetchesPerZone;
    const n = this.zones.get(zone) ?? 0;
    if (max > 0 && n >= max) {
      this.counters.zoneQuota++;
      return this.limits.zoneResponse;
    }
    this.zones.set(zone, n + 1);
    return 'ok';
  }

  releaseZoneFetch(zone: string): void {
    const n = this.zones.get(zone) ?? 0;
    if (n <= 1) this.zones.delete(zone);
    else this.zones.set(zone, n - 1);
  }
}

/** named's soft quota for recursive-clients: the cap less 100 above 1000, else 90 % of it. */
export function softQuota(max: number): number {
  return max > 1000 ? max - 100 : Math.floor((max * 9) / 10);
}

// One process's share of the DNS service: loads the configuration, opens one
// listener per listen address, and on reload swaps in the new answers without
// closing the sockets that stay (so no query is dropped). Used by each cluster
// worker, and directly by the primary when workers are turned off.

import { formatDiagnostic } from '../config/diagnostics.js';
import type { Logger } from '../log.js';
import { loadDnsConfig, type DnsConfig } from './dns-config.js';
import { servedZones, type FailedZone } from './view-builder.js';
import { cookieSecret } from './cookie-secret.js';
import { Responder, type ResponderStats } from './responder.js';
import { namesTargets, servedViews, type ServedView } from './view-set.js';
import { refusingView, ViewRouter } from './view-router.js';
import { maySign, TsigStage } from './tsig-stage.js';
import { findTsig } from '../wire/tsig.js';
import { FaultLog } from './fault-log.js';
import { Resolver, type ResolverStats } from './resolver.js';
import { resolverSettings } from './resolver-config.js';
import { capLimits } from './recursion-caps.js';
import { startDnsServer, type DnsServer, type ListenAddress, type TcpLimits, type TcpQuota } from './server.js';
import { QueryStats, type QueryStatsSnapshot } from './query-stats.js';
import { namesDiff, primaryZoneAddresses, primaryZoneFacts, recordsByZone, type AppliedNames, type NamesSnapshot, type ZoneFacts } from './dhcp-names.js';
import { nameToText } from '../wire/dns-name.js';
import type { Zone } from './zone.js';
import { applyDiff } from './zone-diff.js';
import type { ZoneJournal } from './zone-journal.js';
import { withSecondaries, zoneOrigin } from './secondary-view.js';
import { withMembers } from './catalog-view.js';
import type { MemberZone } from './catalog-owner.js';
import { withDynamic } from './dynamic-view.js';
import { namesOnDynamic, stepPast } from './dynamic-names.js';
import type { ZoneDiff } from './zone-diff.js';
import { RCODE } from './message.js';
import type { UpdateRequest } from './dynamic-zones.js';
import { nameKey } from '../wire/dns-name.js';
import { RateLimiter } from './rrl.js';
import { RrlStage } from './rrl-stage.js';
import { TCP_DEFAULTS } from '../config/named-conf-tcp.js';

/** The environment variable telling a DNS worker how many workers share the queries (rate-limit shares). */
export const RRL_WORKERS_ENV = 'TRIAD_DNS_WORKERS';
import { configureJournals, journalFor, notifyInfos, recordReload } from './primary-zones.js';
import { ownListen, type NotifyZoneInfo } from './notify-out.js';

const keyOf = (a: ListenAddress): string => `${a.address}#${a.port}`;

export class DnsHost {
  private listeners = new Map<string, DnsServer>();
  /** Open TCP connections of every listener, against tcp-clients. */
  private readonly tcpQuota: TcpQuota = { max: TCP_DEFAULTS.clients, open: 0 };
  /** The views' pipelines (view-router.ts); one view without `view` statements. */
  private router: ViewRouter | undefined;
  /**
   * The caching resolvers (recursion yes), one per view by name, as BIND keeps a
   * cache per view. Per process: each DNS worker has its own caches; they survive
   * reloads (new settings, same cache).
   */
  private resolvers = new Map<string, Resolver>();
  /** The first view's resolver (the only one without views): what `ctl dns` cache commands show. */
  get resolver(): Resolver | undefined {
    const first = this.current?.views[0]?.name;
    return (first !== undefined ? this.resolvers.get(first) : undefined) ?? this.resolvers.values().next().value;
  }
  /** A view's resolver by name (statistics), if that view recurses. */
  resolverOf(view: string): Resolver | undefined {
    return this.resolvers.get(view);
  }
  private current: DnsConfig | undefined;
  /** Counters of responders replaced by reloads, so totals survive them. */
  private retired: ResponderStats = { queries: 0, malformed: 0, internalErrors: 0, byRcode: {} };

  /** Internal errors of the answer pipeline, logged at most once per 10 s for this process. */
  private readonly faults: FaultLog;

  /** Each view's rate limiter (by view name): kept while only DHCP names change, new at each load. */
  private limiters = new Map<string, RrlStage>();

  constructor(
    private readonly namedConf: string,
    private readonly log: Logger,
    /** How many processes share the queries (DNS workers): each allows 1/workers of every rate-limit rate. */
    private readonly workers = 1,
  ) {
    this.faults = new FaultLog(log);
  }

  /** DHCP names (dhcp-names.ts): the snapshot served. */
  private names: NamesSnapshot | undefined;
  /** Per served zone version that carries DHCP names: which, and the file's version it grew from. */
  private carried = new WeakMap<Zone, { applied: AppliedNames; file: Zone }>();
  /** The recent differences of each zone (by origin key): what IXFR will serve. */
  readonly journals = new Map<string, ZoneJournal>();
  /** The primary zones as their files say, before DHCP names are added. */
  facts: ZoneFacts[] = [];
  /** Their A records, for DHCP's `fixed-address NAME` (name-registration channel). */
  addresses: Map<string, number[]> = new Map();

  /** Secondary zones' versions from the main process (secondary.ts), by nameKey of the origin. */
  private held = new Map<string, Zone>();
  /** Where NOTIFYs for secondary zones go (the main process's SecondaryZones). */
  onNotify: ((zone: string, from: string, accepted: boolean, serial?: number) => void) | undefined;

  /** Dynamic zones' versions from the process that decides updates (dynamic-zones.ts), by nameKey of the origin. */
  private dynamic = new Map<string, Zone>();
  /** Where UPDATEs for dynamic zones go. */
  onUpdate: ((req: UpdateRequest) => Promise<number>) | undefined;

  /** The serial a dynamic zone is served at (its file plus its updates), if it is one. */
  dynamicSerial(name: string): number | undefined {
    return this.dynamic.get(nameKey(zoneOrigin(name)))?.serial;
  }

  /** Serves this version of a dynamic zone from now on (in place of its file's). */
  setDynamic(name: string, zone: Zone | undefined, diff?: ZoneDiff): void {
    const key = nameKey(zoneOrigin(name));
    const prev = this.dynamic.get(key);
    if (!zone) {
      this.dynamic.delete(key);
      if (this.current) {
        this.current = this.withNames(this.withHeldViews(this.current), false);
        this.setRouter(this.route(this.current, false));
      }
      return;
    }
    // DHCP names ride on top of the dynamic zone's version (dynamic-names.ts).
    const served = this.current?.view.zones.find((z) => z.originKey === key);
    const named = served !== undefined && this.carried.has(served);
    zone = stepPast(zone, named ? served : undefined);
    // The change joins the zone's history, for IXFR (zone-journal.ts).
    if (prev && diff && !named) journalFor(this.journals, key).record(prev, zone, diff);
    this.dynamic.set(key, zone);
    const cfg = this.current;
    if (!cfg) return;
    this.current = this.withNames(this.withHeldViews(cfg), false);
    const now = this.current.view.zones.find((z) => z.originKey === key);
    // A version carrying DHCP names is not the update's result: its history starts again (IXFR falls back to AXFR).
    if (now && now !== zone) journalFor(this.journals, key).clear(now);
    this.setRouter(this.route(this.current, false));
  }

  /** Serves this version of a secondary zone from now on; undefined answers it SERVFAIL (expired, no copy yet). */
  setSecondary(name: string, zone: Zone | undefined): void {
    const key = nameKey(zoneOrigin(name));
    if (zone) this.held.set(key, zone);
    else this.held.delete(key);
    const cfg = this.current;
    if (!cfg) return;
    this.current = this.withNames(this.withHeldViews(cfg), false);
    this.setRouter(this.route(this.current, false));
  }

  /** Member zones of catalog zones (catalog-owner.ts): secondary zones of the view that has their catalog. */
  private members: MemberZone[] = [];

  setCatalogMembers(members: MemberZone[]): void {
    this.members = members;
    const cfg = this.current;
    if (!cfg) return;
    this.current = this.withNames(this.withHeldViews(cfg), false);
    this.setRouter(this.route(this.current, false));
  }

  /** A refresh moved a secondary zone's expiry (the version served stays). */
  setSecondaryExpiry(name: string, expiresAt: number): void {
    const z = this.held.get(nameKey(zoneOrigin(name)));
    if (z) z.expiresAt = expiresAt;
  }

  /** Every view with the secondary zones' current versions (a zone name has one version, whatever the view). */
  private withHeldViews(cfg: DnsConfig): DnsConfig {
    const views = cfg.views.map((v) => ({ ...v, view: this.withHeld(v.view) }));
    return { ...cfg, views, view: views[0]?.view ?? this.withHeld(cfg.view) };
  }

  private withHeld(view: DnsConfig['view']): DnsConfig['view'] {
    const v = withDynamic(withSecondaries(withMembers(view, this.members), this.held), this.dynamic);
    return { ...v, onNotify: (zone, from, accepted, serial) => this.onNotify?.(zone, from, accepted, serial), onUpdate: (req) => this.onUpdate ? this.onUpdate(req) : Promise.resolve(RCODE.REFUSED) };
  }

  /** Serves this snapshot of DHCP names from now on (replacing the previous one). */
  setNames(snap: NamesSnapshot): void {
    this.names = snap;
    const cfg = this.current;
    if (!cfg) return;
    this.current = this.withNames(cfg);
    // New responders: the old ones' answer caches hold the previous names.
    this.setRouter(this.route(this.current, false));
  }

  /** The pipelines of a configuration's views; `configure` hands the resolvers the new settings (a load). */
  private route(cfg: DnsConfig, configure: boolean): ViewRouter {
    if (configure) {
      const names = new Set(cfg.views.map((v) => v.name));
      for (const k of [...this.resolvers.keys()]) if (!names.has(k)) this.resolvers.delete(k);
    }
    if (configure) this.limiters = new Map();
    const views = cfg.views.map((v) => ({
      name: v.name, matches: v.matches,
      responder: new Responder(v.view, { resolver: configure ? this.resolverFor(v) : this.resolvers.get(v.name), faults: this.faults, cookieSecret: cookieSecret(), rrl: this.limiterFor(v.name, v.view) }),
    }));
    return new ViewRouter(views, refusingView(cfg.view), { faults: this.faults, verifiedKey: viewKeyVerifier(cfg.views) });
  }

  /**
   * tcp-clients, tcp-initial-timeout, tcp-idle-timeout. tcp-clients is one count for every
   * listening address (BIND's TCP quota), shared out among the DNS workers.
   */
  private tcpLimits(cfg: DnsConfig): TcpLimits {
    const t = cfg.conf.options.tcp ?? {};
    return {
      tcpIdleMs: t.idleTimeoutMs ?? TCP_DEFAULTS.idleTimeoutMs,
      tcpInitialMs: t.initialTimeoutMs ?? TCP_DEFAULTS.initialTimeoutMs,
      maxTcpConnections: Math.max(1, Math.ceil((t.clients ?? TCP_DEFAULTS.clients) / Math.max(1, this.workers))),
    };
  }

  /** A view's rate-limit stage: the same one while its settings are the same object (DHCP name changes), else a new one. */
  private limiterFor(name: string, view: DnsConfig['view']): RrlStage | undefined {
    const settings = view.rateLimit;
    if (!settings) return undefined;
    let stage = this.limiters.get(name);
    if (!stage || stage.limiter.settings !== settings) {
      stage = new RrlStage(new RateLimiter(settings, 1 / Math.max(1, this.workers)), this.log);
      this.limiters.set(name, stage);
    }
    return stage;
  }

  private setRouter(router: ViewRouter): void {
    if (this.router) for (const st of this.router.allStats()) addStats(this.retired, st);
    this.router = router;
    for (const l of this.listeners.values()) l.setResponder(router);
  }

  /**
   * A loaded configuration: facts of its zones' file versions (once per load, not per
   * DHCP event), then the configuration whose zones carry the DHCP names.
   */
  private loaded(cfg: DnsConfig, before?: DnsConfig): DnsConfig {
    const targets = namesTargets(cfg.views);
    const files = targets.zones.map((z) => this.carried.get(z)?.file ?? z);
    this.facts = primaryZoneFacts(files, targets.conf);
    this.addresses = primaryZoneAddresses(files, targets.conf);
    configureJournals(this.journals, cfg.conf);
    const held = this.withHeldViews(cfg);
    // IXFR answers from the journals in the first view only: a zone name's journal follows
    // that view's copy (another view's copy of the same name is transferred whole).
    held.view.journals = this.journals;
    // At a reload the journal takes the whole step from the old served version to the new one.
    const next = this.withNames(held, before === undefined);
    if (before) recordReload(this.journals, servedZones(before.view), next.view.zones, next.conf, this.log);
    return next;
  }

  /** What the main process announces by NOTIFY for each primary zone served now (never to our own listen addresses). */
  notifyInfos(cfg = this.current): NotifyZoneInfo[] {
    return cfg ? notifyInfos(cfg.view.zones, cfg.conf, ownListen(cfg.listen)) : [];
  }

  /**
   * The configuration whose zones carry the DHCP names: each zone's next version, made by
   * applying the difference between the names it carries and the snapshot's, and recorded
   * in its journal.
   */
  private withNames(cfg: DnsConfig, journal = true): DnsConfig {
    if (!this.names) return cfg;
    const byZone = recordsByZone(this.names);
    const serials = this.names.serials;
    // Each zone name gets the names once, in the first view serving it; views sharing that zone follow (view-set.ts).
    const targets = namesTargets(cfg.views);
    const next = new Map<Zone, Zone>();
    for (const z of targets.zones) {
      const n = this.zoneWithNames(z, byZone, serials, journal);
      if (!n) continue;
      next.set(z, n);
      for (const other of targets.sharing.get(z) ?? []) next.set(other, n);
    }
    if (next.size === 0) return cfg;
    const views = cfg.views.map((v) => (v.view.zones.some((z) => next.has(z)) ? { ...v, view: { ...v.view, zones: v.view.zones.map((z) => next.get(z) ?? z) } } : v));
    return { ...cfg, views, view: views[0].view };
  }

  /** A zone's next version carrying the snapshot's names (recorded in its journal), or undefined when nothing changes. */
  private zoneWithNames(z: Zone, byZone: ReturnType<typeof recordsByZone>, serials: NamesSnapshot['serials'], journal: boolean): Zone | undefined {
    const c = this.carried.get(z);
    const origin = nameToText(z.origin).toLowerCase();
    const records = byZone.get(origin);
    if (!c && !records && serials[origin] === undefined) return undefined;
    const r = namesDiff(z, c?.applied ?? new Map(), records ?? [], serials[origin]);
    if (!r) return undefined;
    if (this.dynamic.has(z.originKey)) r.diff = namesOnDynamic(z, r.diff);
    let next: Zone;
    try {
      next = applyDiff(z, r.diff);
    } catch (err) {
      this.log.error({ zone: origin, err: err instanceof Error ? err.message : String(err) }, 'DHCP names not applied to the zone');
      return undefined;
    }
    this.carried.set(next, { applied: r.applied, file: c?.file ?? z });
    if (journal) journalFor(this.journals, z.originKey).record(z, next, r.diff);
    return next;
  }

  get config(): DnsConfig | undefined {
    return this.current;
  }

  /**
   * Loads and starts listening; throws (ConfigError for named.conf, or a bind
   * error) when nothing can be served. Zones that do not load are answered SERVFAIL.
   * `onLoaded` sees the configuration before any socket opens.
   */
  async start(onLoaded?: (cfg: DnsConfig) => void): Promise<DnsConfig> {
    const cfg = this.loaded(loadDnsConfig(this.namedConf));
    onLoaded?.(cfg);
    this.router = this.route(cfg, true);
    this.setCounting(cfg);
    await this.applyListeners(cfg.listen, true, this.tcpLimits(cfg));
    this.current = cfg;
    return cfg;
  }

  private queue: Promise<unknown> = Promise.resolve();

  /**
   * Re-reads everything. An error in named.conf keeps the old configuration and
   * throws; a zone that does not load keeps its old data (the others change).
   * Reloads run one at a time.
   */
  reload(): Promise<DnsConfig> {
    const run = this.queue.then(() => this.reloadNow());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(): Promise<DnsConfig> {
    // A zone that fails to load keeps the version it serves now (with its DHCP names);
    // a zone that loads starts again from its file, and the names are applied to it.
    const before = this.current;
    const cfg = this.loaded(loadDnsConfig(this.namedConf, undefined, before ? servedViews(before.views) : undefined), before);
    this.setRouter(this.route(cfg, true));
    // Current before the listeners change, so DHCP names arriving meanwhile go into this configuration.
    this.current = cfg;
    this.setCounting(cfg);
    await this.applyListeners(cfg.listen, false, this.tcpLimits(cfg));
    return cfg;
  }

  /** Creates the resolver on first need, or hands it the new settings (keeping its cache). */
  private resolverFor(v: ServedView): Resolver | undefined {
    if (!v.conf.options.recursion) {
      this.resolvers.delete(v.name);
      return undefined;
    }
    const s = resolverSettings(v.conf);
    let r = this.resolvers.get(v.name);
    // recursive-clients and fetches-per-zone are shared out among the DNS workers.
    const limits = capLimits(s.limits, this.workers);
    if (r) r.reconfigure(s.forward, s.serveStale, s.hints, limits);
    else this.resolvers.set(v.name, (r = new Resolver({ forward: s.forward, hints: s.hints, cache: s.cache, serveStale: s.serveStale, limits })));
    return r;
  }

  /** The resolver's counters (cache hits/misses, upstream timeouts, spoofing drops), if recursion is on. */
  resolverStats(): ResolverStats | undefined {
    return this.resolver?.stats();
  }

  /** Each listener's request and response counters (kept across reloads while it listens). */
  private readonly queryCounters = new Map<string, QueryStats>();
  /** Whether the listeners count requests, top clients and names (only with a statistics channel to show them). */
  private counting = false;

  private setCounting(cfg: DnsConfig): void {
    this.counting = cfg.conf.options.statisticsChannels.length > 0;
    for (const q of this.queryCounters.values()) q.counting(this.counting);
  }

  /** The listeners' counters as plain arrays (statistics channel; summed over workers by the caller). */
  queryStats(): QueryStatsSnapshot[] {
    return [...this.queryCounters.values()].map((q) => q.snapshot());
  }

  /** Queries answered and malformed packets dropped since start (all reloads included). */
  stats(): ResponderStats {
    const total: ResponderStats = { queries: 0, malformed: 0, internalErrors: 0, byRcode: {} };
    addStats(total, this.retired);
    for (const st of this.router?.allStats() ?? []) addStats(total, st);
    return total;
  }

  async stop(): Promise<void> {
    this.waiting.clear();
    const unwatch = this.stopWatch;
    this.stopWatch = undefined;
    if (unwatch) await unwatch.then((f) => f()).catch(() => undefined);
    await this.retrying;
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(all.map((l) => l.close().catch(() => undefined)));
  }

  /**
   * listen-on addresses no interface carries yet (a VRRP virtual address on a backup),
   * bound when the address appears (the rtnetlink watch of net/link-watch.ts), as BIND's
   * automatic-interface-scan does. Once bound the socket stays: the kernel delivers to it
   * whenever the address is on the box again, and never while it is not.
   */
  private waiting = new Map<string, ListenAddress>();
  /** The TCP limits of the running configuration, for listeners opened later. */
  private runningTcp: TcpLimits = {};
  private stopWatch?: Promise<() => Promise<void>>;
  private retrying: Promise<void> = Promise.resolve();

  /** Opens listeners for new addresses and closes those no longer configured. */
  private async applyListeners(wanted: ListenAddress[], initial: boolean, tcp: TcpLimits): Promise<void> {
    const responder = this.router;
    if (!responder) return;
    this.tcpQuota.max = tcp.maxTcpConnections ?? TCP_DEFAULTS.clients;
    this.runningTcp = tcp;
    for (const l of this.listeners.values()) l.setTcpLimits(tcp);
    const want = new Map(wanted.map((a) => [keyOf(a), a]));
    for (const [k, l] of this.listeners) {
      if (!want.has(k)) {
        this.listeners.delete(k);
        await l.close().catch(() => undefined);
        this.log.info({ listen: k }, 'stopped listening');
      }
    }
    for (const k of this.waiting.keys()) if (!want.has(k)) this.waiting.delete(k);
    const failures: string[] = [];
    for (const [k, a] of want) {
      if (this.listeners.has(k)) continue;
      const r = await this.listen(k, a);
      if (r) failures.push(`${k}: ${r}`);
    }
    if (initial && this.listeners.size === 0 && this.waiting.size === 0) {
      throw new Error(want.size === 0 ? 'no listen-on address matches this host' : `cannot listen on any address: ${failures.join('; ')}`);
    }
    if (this.waiting.size > 0) this.watchAddresses();
  }

  /** Opens one listener; the error message when it fails for a reason other than a missing address. */
  private async listen(k: string, a: ListenAddress): Promise<string | undefined> {
    const responder = this.router;
    if (!responder) return undefined;
    try {
      let stats = this.queryCounters.get(k);
      if (!stats) this.queryCounters.set(k, (stats = new QueryStats(`dns://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`)));
      stats.counting(this.counting);
      const server = await startDnsServer({ listen: [a], responder, log: this.log, stats, ...this.runningTcp, tcpQuota: this.tcpQuota });
      this.listeners.set(k, server);
      if (this.waiting.delete(k)) this.log.info({ listen: k }, 'listening (the address is now on this host)');
      return undefined;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (isAddressMissing(err)) {
        if (!this.waiting.has(k)) this.log.warn({ listen: k }, `${a.address} is not on any interface; listening as soon as it appears (a VRRP virtual address on a backup)`);
        this.waiting.set(k, a);
        return undefined;
      }
      this.waiting.delete(k);
      // BIND logs a listen failure and keeps the other interfaces.
      this.log.error({ listen: k, err: msg }, 'cannot listen');
      return msg;
    }
  }

  /** Subscribes to address changes once (loaded only when an address is waited for). */
  private watchAddresses(): void {
    if (this.stopWatch) return;
    this.stopWatch = (async () => {
      const { linkWatcher } = await import('../net/link-watch.js');
      return linkWatcher().subscribe(() => this.retryWaiting(), this.log);
    })();
    this.stopWatch.then(() => this.retryWaiting()).catch((e: Error) => {
      this.log.error({ err: e.message }, 'cannot follow interface addresses; addresses not on this host at start are not listened on');
    });
  }

  /** Tries the waiting addresses again (one pass at a time). */
  private retryWaiting(): void {
    if (this.waiting.size === 0) return;
    this.retrying = this.retrying.then(async () => {
      for (const [k, a] of [...this.waiting]) if (!this.listeners.has(k)) await this.listen(k, a);
    });
  }
}

/** EADDRNOTAVAIL: the address is on no interface (yet). */
function isAddressMissing(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e?.code === 'EADDRNOTAVAIL' || (typeof e?.message === 'string' && e.message.includes('EADDRNOTAVAIL'));
}

function addStats(into: ResponderStats, from: ResponderStats): void {
  into.queries += from.queries;
  into.malformed += from.malformed;
  into.internalErrors += from.internalErrors;
  if (from.rateDropped) into.rateDropped = (into.rateDropped ?? 0) + from.rateDropped;
  if (from.rateSlipped) into.rateSlipped = (into.rateSlipped ?? 0) + from.rateSlipped;
  for (const [k, v] of Object.entries(from.byRcode)) into.byRcode[k] = (into.byRcode[k] ?? 0) + v;
}

/** Logs the warnings, zone errors and zones of a loaded configuration, as named does at start. */
/**
 * What a load tells the log: warnings and zone errors formatted with file:line:col, the
 * zones loaded and those that failed. Plain data, so a cluster worker can send it to the
 * primary, which logs it once.
 */
export interface LoadReport {
  warnings: string[];
  zoneErrors: string[];
  loaded: { name: string; serial: number; view?: string }[];
  failed: FailedZone[];
}

/**
 * `served` gives a dynamic zone's serving serial: after updates it is ahead of its file's,
 * and a reload keeps serving the updated zone, so the log names what is answered.
 */
export function loadReport(cfg: DnsConfig, served?: (zone: string) => number | undefined): LoadReport {
  return {
    warnings: cfg.warnings.map((w) => formatDiagnostic(w)), zoneErrors: cfg.zoneErrors.map((e) => formatDiagnostic(e)),
    loaded: cfg.loaded.map((z) => ({ name: z.name, serial: served?.(z.name) ?? z.serial, view: z.view })), failed: cfg.failed,
  };
}

export function logLoaded(log: Logger, cfg: DnsConfig, served?: (zone: string) => number | undefined): void {
  logLoadReport(log, loadReport(cfg, served));
}

export function logLoadReport(log: Logger, r: LoadReport): void {
  for (const w of r.warnings) log.warn(w);
  for (const e of r.zoneErrors) log.error(e);
  for (const z of r.loaded) log.info({ zone: z.name, serial: z.serial, view: z.view }, `zone ${z.name}/IN${z.view ? `/${z.view}` : ''}: loaded serial ${z.serial}`);
  for (const f of r.failed) log.error({ zone: f.name, keptSerial: f.keptSerial }, failedZoneMessage(f));
}

/** What happens to a zone that did not load, in users' words. */
export function failedZoneMessage(f: FailedZone): string {
  const zone = `zone ${f.name}/IN${f.view ? `/${f.view}` : ''}`;
  return f.keptSerial === undefined
    ? `${zone}: not loaded; answered SERVFAIL until its file loads`
    : `${zone}: not reloaded; still serving serial ${f.keptSerial}`;
}

/**
 * The name of the key whose TSIG on a request verifies, for view selection (a view's
 * match-clients may name a key). Every view's keyring is asked in order; the view then
 * answers with its own keyring (tsig-stage.ts), which checks the signature again.
 */
function viewKeyVerifier(views: readonly ServedView[]): ((msg: Uint8Array) => string | undefined) | undefined {
  if (views.length < 2) return undefined;
  const stages = views.map((v) => new TsigStage(v.view.tsigKeys ?? [], () => Math.floor(Date.now() / 1000)));
  return (msg) => {
    // Most queries carry only an OPT record: look for a TSIG once before asking every keyring.
    if (!maySign(msg) || findTsig(msg).kind !== 'found') return undefined;
    for (const st of stages) {
      const v = st.check(msg);
      if (v.kind === 'signed') return v.keyName;
    }
    return undefined;
  };
}

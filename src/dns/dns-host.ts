// One process's share of the DNS service: loads the configuration, opens one
// listener per listen address, and on reload swaps in the new answers without
// closing the sockets that stay (so no query is dropped). Used by each cluster
// worker, and directly by the primary when workers are turned off.

import { formatDiagnostic } from '../config/diagnostics.js';
import type { Logger } from '../log.js';
import { loadDnsConfig, type DnsConfig } from './dns-config.js';
import { servedZones, type FailedZone } from './view-builder.js';
import { Responder, type ResponderStats } from './responder.js';
import { FaultLog } from './fault-log.js';
import { Resolver, type ResolverStats } from './resolver.js';
import { resolverSettings } from './resolver-config.js';
import { startDnsServer, type DnsServer, type ListenAddress } from './server.js';
import { namesDiff, primaryZoneAddresses, primaryZoneFacts, recordsByZone, type AppliedNames, type NamesSnapshot, type ZoneFacts } from './dhcp-names.js';
import { nameToText } from '../wire/dns-name.js';
import type { Zone } from './zone.js';
import { applyDiff } from './zone-diff.js';
import type { ZoneJournal } from './zone-journal.js';
import { configureJournals, journalFor, notifyInfos, recordReload } from './primary-zones.js';
import { ownListen, type NotifyZoneInfo } from './notify-out.js';

const keyOf = (a: ListenAddress): string => `${a.address}#${a.port}`;

export class DnsHost {
  private listeners = new Map<string, DnsServer>();
  private responder: Responder | undefined;
  /**
   * The caching resolver (recursion yes). One per process: each DNS worker has
   * its own cache; it survives reloads (new settings, same cache).
   */
  resolver: Resolver | undefined;
  private current: DnsConfig | undefined;
  /** Counters of responders replaced by reloads, so totals survive them. */
  private retired: ResponderStats = { queries: 0, malformed: 0, internalErrors: 0, byRcode: {} };

  /** Internal errors of the answer pipeline, logged at most once per 10 s for this process. */
  private readonly faults: FaultLog;

  constructor(
    private readonly namedConf: string,
    private readonly log: Logger,
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

  /** Serves this snapshot of DHCP names from now on (replacing the previous one). */
  setNames(snap: NamesSnapshot): void {
    this.names = snap;
    const cfg = this.current;
    if (!cfg) return;
    this.current = this.withNames(cfg);
    // A new responder: the old one's answer cache holds the previous names.
    const responder = new Responder(this.current.view, { resolver: this.resolver, faults: this.faults });
    if (this.responder) addStats(this.retired, this.responder.stats);
    this.responder = responder;
    for (const l of this.listeners.values()) l.setResponder(responder);
  }

  /**
   * A loaded configuration: facts of its zones' file versions (once per load, not per
   * DHCP event), then the configuration whose zones carry the DHCP names.
   */
  private loaded(cfg: DnsConfig, before?: DnsConfig): DnsConfig {
    const files = cfg.view.zones.map((z) => this.carried.get(z)?.file ?? z);
    this.facts = primaryZoneFacts(files, cfg.conf);
    this.addresses = primaryZoneAddresses(files, cfg.conf);
    configureJournals(this.journals, cfg.conf);
    cfg.view.journals = this.journals;
    // At a reload the journal takes the whole step from the old served version to the new one.
    const next = this.withNames(cfg, before === undefined);
    if (before) recordReload(this.journals, servedZones(before.view), next.view.zones, next.conf, this.log);
    return next;
  }

  /** What the main process announces by NOTIFY for each primary zone served now (never to our own listen addresses). */
  notifyInfos(): NotifyZoneInfo[] {
    const cfg = this.current;
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
    let changed = false;
    const zones = cfg.view.zones.map((z) => {
      const c = this.carried.get(z);
      const origin = nameToText(z.origin).toLowerCase();
      const records = byZone.get(origin);
      if (!c && !records && serials[origin] === undefined) return z;
      const r = namesDiff(z, c?.applied ?? new Map(), records ?? [], serials[origin]);
      if (!r) return z;
      let next: Zone;
      try {
        next = applyDiff(z, r.diff);
      } catch (err) {
        this.log.error({ zone: origin, err: err instanceof Error ? err.message : String(err) }, 'DHCP names not applied to the zone');
        return z;
      }
      this.carried.set(next, { applied: r.applied, file: c?.file ?? z });
      if (journal) journalFor(this.journals, z.originKey).record(z, next, r.diff);
      changed = true;
      return next;
    });
    return changed ? { ...cfg, view: { ...cfg.view, zones } } : cfg;
  }

  get config(): DnsConfig | undefined {
    return this.current;
  }

  /**
   * Loads and starts listening; throws (ConfigError for named.conf, or a bind
   * error) when nothing can be served. Zones that do not load are answered SERVFAIL.
   */
  async start(): Promise<void> {
    const cfg = this.loaded(loadDnsConfig(this.namedConf));
    this.responder = new Responder(cfg.view, { resolver: this.resolverFor(cfg), faults: this.faults });
    await this.applyListeners(cfg.listen, true);
    this.current = cfg;
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
    const cfg = this.loaded(loadDnsConfig(this.namedConf, undefined, before ? servedZones(before.view) : undefined), before);
    const responder = new Responder(cfg.view, { resolver: this.resolverFor(cfg), faults: this.faults });
    if (this.responder) addStats(this.retired, this.responder.stats);
    this.responder = responder;
    for (const l of this.listeners.values()) l.setResponder(responder);
    // Current before the listeners change, so DHCP names arriving meanwhile go into this configuration.
    this.current = cfg;
    await this.applyListeners(cfg.listen, false);
    return cfg;
  }

  /** Creates the resolver on first need, or hands it the new settings (keeping its cache). */
  private resolverFor(cfg: DnsConfig): Resolver | undefined {
    if (!cfg.conf.options.recursion) return undefined;
    const s = resolverSettings(cfg.conf);
    if (this.resolver) this.resolver.reconfigure(s.forward, s.serveStale, s.hints);
    else this.resolver = new Resolver({ forward: s.forward, hints: s.hints, cache: s.cache, serveStale: s.serveStale });
    return this.resolver;
  }

  /** The resolver's counters (cache hits/misses, upstream timeouts, spoofing drops), if recursion is on. */
  resolverStats(): ResolverStats | undefined {
    return this.resolver?.stats();
  }

  /** Queries answered and malformed packets dropped since start (all reloads included). */
  stats(): ResponderStats {
    const total: ResponderStats = { queries: 0, malformed: 0, internalErrors: 0, byRcode: {} };
    addStats(total, this.retired);
    if (this.responder) addStats(total, this.responder.stats);
    return total;
  }

  async stop(): Promise<void> {
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(all.map((l) => l.close().catch(() => undefined)));
  }

  /** Opens listeners for new addresses and closes those no longer configured. */
  private async applyListeners(wanted: ListenAddress[], initial: boolean): Promise<void> {
    const responder = this.responder;
    if (!responder) return;
    const want = new Map(wanted.map((a) => [keyOf(a), a]));
    for (const [k, l] of this.listeners) {
      if (!want.has(k)) {
        this.listeners.delete(k);
        await l.close().catch(() => undefined);
        this.log.info({ listen: k }, 'stopped listening');
      }
    }
    const failures: string[] = [];
    for (const [k, a] of want) {
      if (this.listeners.has(k)) continue;
      try {
        const server = await startDnsServer({ listen: [a], responder, log: this.log });
        this.listeners.set(k, server);
      } catch (err) {
        // BIND logs a listen failure and keeps the other interfaces.
        const msg = err instanceof Error ? err.message : String(err);
        failures.push(`${k}: ${msg}`);
        this.log.error({ listen: k, err: msg }, 'cannot listen');
      }
    }
    if (initial && this.listeners.size === 0) {
      throw new Error(want.size === 0 ? 'no listen-on address matches this host' : `cannot listen on any address: ${failures.join('; ')}`);
    }
  }
}

function addStats(into: ResponderStats, from: ResponderStats): void {
  into.queries += from.queries;
  into.malformed += from.malformed;
  into.internalErrors += from.internalErrors;
  for (const [k, v] of Object.entries(from.byRcode)) into.byRcode[k] = (into.byRcode[k] ?? 0) + v;
}

/** Logs the warnings, zone errors and zones of a loaded configuration, as named does at start. */
export function logLoaded(log: Logger, cfg: Pick<DnsConfig, 'warnings' | 'zoneErrors' | 'loaded' | 'failed'>): void {
  for (const w of cfg.warnings) log.warn(formatDiagnostic(w));
  for (const e of cfg.zoneErrors) log.error(formatDiagnostic(e));
  for (const z of cfg.loaded) log.info({ zone: z.name, serial: z.serial }, `zone ${z.name}/IN: loaded serial ${z.serial}`);
  for (const f of cfg.failed) log.error({ zone: f.name, keptSerial: f.keptSerial }, failedZoneMessage(f));
}

/** What happens to a zone that did not load, in users' words. */
export function failedZoneMessage(f: FailedZone): string {
  return f.keptSerial === undefined
    ? `zone ${f.name}/IN: not loaded; answered SERVFAIL until its file loads`
    : `zone ${f.name}/IN: not reloaded; still serving serial ${f.keptSerial}`;
}

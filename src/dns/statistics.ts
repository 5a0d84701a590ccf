// The DNS service's part of the statistics channel: its Prometheus families, BIND's
// /json/v1 and /xml/v3 routes, and where the channel listens (named.conf's
// `statistics-channels`, read here because named.conf is this service's file). The
// counters come from `gather`: this process's host, or every worker's over IPC,
// summed (stats-model.ts).

import type { NamedConfig } from '../config/named-conf.js';
import type { Logger } from '../log.js';
import { compileAddressMatch } from '../net/address-match.js';
import { hostNetworks } from '../net/interfaces.js';
import type { ActionKey, MetricsRegistry, StatisticsListener } from '../service.js';
import { keyId } from '../config/named-conf-keys.js';
import { bindJson, bindXml } from './bind-stats.js';
import { dnsFamilies } from './metrics.js';
import { mergeProcessStats, type DnsProcessStats, type DnsStats } from './stats-model.js';
import { matchEnvironment } from './view-builder.js';
import { mergeTop } from './top-k.js';
import { mergeRecent } from './query-stats.js';

/** How many top clients and names the dashboard's tables show. */
const TOP_SHOWN = 20;

export interface DnsStatisticsSource {
  /** Every answering process's statistics (one without workers). */
  gather(): Promise<DnsProcessStats[]>;
  /** Secondary zones' transfer counts (kept in the main process). */
  transfers(): DnsStats['transfers'];
  workers: number;
  /** The A and PTR records DHCP clients' names put in the primary zones. */
  dhcpNames(): { name: string; type: string; data: string; expires: number | null }[];
  /** NOTIFY sent to the secondaries of the primary zones: sent, answered, failed. */
  notify?(): { sent: number; answered: number; failed: number };
}

const VERSION = 'Triad';

/** The listeners named.conf's statistics-channels configures, each with its allow list compiled. */
export function statisticsListeners(conf: NamedConfig | undefined): StatisticsListener[] {
  if (!conf || conf.options.statisticsChannels.length === 0) return [];
  const env = matchEnvironment(conf, hostNetworks());
  const actionKeys = controlsKeys(conf);
  return conf.options.statisticsChannels.map((c) => ({ address: c.address, port: c.port, allow: compileAddressMatch(c.allow, env), actionKeys }));
}

/** The secrets of the top-level keys the `controls` channels name: who may run dashboard actions. */
export function controlsKeys(conf: NamedConfig): ActionKey[] {
  const out = new Map<string, ActionKey>();
  for (const c of conf.options.controls) {
    // The channel's keys, resolved by the parser (named.conf's key statements or rndc.key).
    for (const k of c.keys) if (k.secretBytes) out.set(keyId(k.name), { name: k.name, secret: k.secretBytes });
  }
  return [...out.values()];
}

export class DnsStatistics {
  private readonly removals: (() => void)[] = [];
  private readonly bootTime = new Date().toISOString();
  private configTime = this.bootTime;

  constructor(
    private readonly registry: MetricsRegistry | undefined,
    private readonly source: DnsStatisticsSource,
    private readonly log: Logger,
  ) {}

  private async stats(): Promise<DnsStats> {
    const merged = mergeProcessStats(await this.source.gather());
    return { ...merged, workers: this.source.workers, bootTime: this.bootTime, configTime: this.configTime, transfers: this.source.transfers() };
  }

  /** Adds the collector and routes, and listens where named.conf says. */
  async start(conf: NamedConfig | undefined): Promise<void> {
    const reg = this.registry;
    if (!reg) return;
    this.removals.push(reg.collector('dns', async () => dnsFamilies(await this.stats())));
    const json = (part?: 'server' | 'zones' | 'traffic' | 'status') => async () => ({
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify(bindJson({ stats: await this.stats(), version: VERSION, now: new Date() }, part), null, 2),
    });
    const xml = (part?: 'server' | 'zones' | 'traffic' | 'tasks' | 'status') => async () => ({
      contentType: 'text/xml; charset=utf-8',
      body: bindXml({ stats: await this.stats(), version: VERSION, now: new Date() }, part),
    });
    for (const [p, r] of Object.entries({
      '/json/v1': json(), '/json/v1/server': json('server'), '/json/v1/zones': json('zones'), '/json/v1/traffic': json('traffic'), '/json/v1/status': json('status'),
      '/xml/v3': xml(), '/xml/v3/server': xml('server'), '/xml/v3/zones': xml('zones'), '/xml/v3/traffic': xml('traffic'), '/xml/v3/tasks': xml('tasks'), '/xml/v3/status': xml('status'),
      '/': xml(),
    })) this.removals.push(reg.route(p, r));
    // The zones page's transfer and NOTIFY state (both kept in the main process).
    this.removals.push(reg.route('/json/triad/dns/transfers', () => ({
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify({ secondaries: this.source.transfers(), notify: this.source.notify?.() ?? null }),
    })));
    // Top clients and query names, summed over listeners and workers.
    this.removals.push(reg.route('/json/triad/dns/top', async () => {
      const ls = mergeProcessStats(await this.source.gather()).listeners;
      const recent = ls.reduce<Record<string, string[]>>((a, l) => mergeRecent(a, l.recent ?? {}), {});
      const shape = (l: ReturnType<typeof mergeTop>) => l.map(([key, count, error]) => ({ key, count, error }));
      return {
        contentType: 'application/json; charset=utf-8',
        body: JSON.stringify({
          clients: shape(mergeTop(ls.map((l) => l.topClients ?? []), TOP_SHOWN)),
          names: shape(mergeTop(ls.map((l) => l.topNames ?? []), TOP_SHOWN)),
          recent,
        }),
      };
    }));
    this.removals.push(reg.route('/json/triad/dns/dhcp-names', async () => ({
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify(this.source.dhcpNames().map(({ name, type, data, expires }) => ({ name, type, data, expires }))),
    })));
    await this.listen(conf);
  }

  /** A reload accepted named.conf: the channels follow it. */
  async reloaded(conf: NamedConfig | undefined): Promise<void> {
    this.configTime = new Date().toISOString();
    await this.listen(conf);
  }

  private async listen(conf: NamedConfig | undefined): Promise<void> {
    try {
      await this.registry?.listen(statisticsListeners(conf));
    } catch (err) {
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'statistics channels could not be configured');
    }
  }

  async stop(): Promise<void> {
    for (const r of this.removals.splice(0)) r();
    await this.registry?.listen([]);
  }
}

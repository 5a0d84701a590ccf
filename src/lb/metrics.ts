// The load balancer's Prometheus families: ipvsadm's --stats columns (connections,
// packets, bytes in and out) per virtual and real server as counters, its --rate
// columns (per second, over the time since the previous scrape at least a second
// before) as gauges, active connections, weights and health.

import type { MetricFamily, MetricSample } from '../service.js';
import type { ServerCounters } from './datapath.js';
import type { VsView } from './model.js';

const FIELDS = [
  ['conns', 'connections', 'Connections scheduled'],
  ['inPkts', 'packets_in', 'Packets from clients'],
  ['outPkts', 'packets_out', 'Packets to clients'],
  ['inBytes', 'bytes_in', 'Bytes from clients'],
  ['outBytes', 'bytes_out', 'Bytes to clients'],
] as const;

type Key = (typeof FIELDS)[number][0];

export class LbMetrics {
  private prev: { at: number; values: Map<string, ServerCounters> } | undefined;
  private rates = new Map<string, Record<Key, number>>();

  /** The families for the views now and their counters (keyed `vsId/rsId`). */
  collect(views: readonly VsView[], counters: ReadonlyMap<string, ServerCounters>, nowMs: number): MetricFamily[] {
    this.updateRates(counters, nowMs);
    const zero: ServerCounters = { conns: 0, inPkts: 0, inBytes: 0, outPkts: 0, outBytes: 0, active: 0 };
    const rs: Record<string, MetricSample[]> = {};
    const vs: Record<string, MetricSample[]> = {};
    const push = (m: Record<string, MetricSample[]>, k: string, s: MetricSample): void => void (m[k] ??= []).push(s);
    for (const v of views) {
      const vl = { virtual_server: `${v.proto}/${v.vip}:${v.port}` };
      const total: ServerCounters = { ...zero };
      const totalRate: Record<Key, number> = { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
      const servers = [...v.servers, ...(v.sorry ? [v.sorry] : [])];
      for (const s of servers) {
        const key = `${v.id}/${s.id}`;
        const c = counters.get(key) ?? zero;
        const r = this.rates.get(key);
        const l = { ...vl, real_server: `${s.ip}:${s.port}` };
        for (const [f, name] of FIELDS) {
          push(rs, `${name}_total`, { labels: l, value: c[f] });
          push(rs, `${name}_per_second`, { labels: l, value: r?.[f] ?? 0 });
          total[f] += c[f];
          totalRate[f] += r?.[f] ?? 0;
        }
        total.active += c.active;
        push(rs, 'active_connections', { labels: l, value: c.active });
        push(rs, 'weight', { labels: l, value: s.effectiveWeight });
        push(rs, 'up', { labels: { ...l, state: s.state }, value: s.alive ? 1 : 0 });
      }
      for (const [f, name] of FIELDS) {
        push(vs, `${name}_total`, { labels: vl, value: total[f] });
        push(vs, `${name}_per_second`, { labels: vl, value: totalRate[f] });
      }
      push(vs, 'active_connections', { labels: vl, value: total.active });
      push(vs, 'quorum_up', { labels: vl, value: v.quorumUp ? 1 : 0 });
      push(vs, 'sorry_active', { labels: vl, value: v.sorryActive ? 1 : 0 });
    }
    const fams: MetricFamily[] = [];
    const add = (prefix: string, what: string, m: Record<string, MetricSample[]>): void => {
      for (const [, name, help] of FIELDS) {
        fams.push({ name: `triad_lb_${prefix}_${name}_total`, help: `${help} by each ${what} (ipvsadm --stats).`, type: 'counter', samples: m[`${name}_total`] ?? [] });
        fams.push({ name: `triad_lb_${prefix}_${name}_per_second`, help: `${help} per second by each ${what}, since the previous scrape (ipvsadm --rate).`, type: 'gauge', samples: m[`${name}_per_second`] ?? [] });
      }
      fams.push({ name: `triad_lb_${prefix}_active_connections`, help: `Connections tracked now by each ${what} (ipvsadm ActiveConn).`, type: 'gauge', samples: m.active_connections ?? [] });
    };
    add('virtual_server', 'virtual server', vs);
    add('real_server', 'real server', rs);
    fams.push(
      { name: 'triad_lb_virtual_server_quorum_up', help: 'Whether the virtual server has its quorum of healthy real servers.', type: 'gauge', samples: vs.quorum_up ?? [] },
      { name: 'triad_lb_virtual_server_sorry_active', help: 'Whether the sorry server answers for the virtual server.', type: 'gauge', samples: vs.sorry_active ?? [] },
      { name: 'triad_lb_real_server_weight', help: 'The weight the real server is scheduled with now (0 when drained or down).', type: 'gauge', samples: rs.weight ?? [] },
      { name: 'triad_lb_real_server_up', help: 'Whether the real server passes its health checks (its state in the label).', type: 'gauge', samples: rs.up ?? [] },
    );
    return fams;
  }

  private updateRates(counters: ReadonlyMap<string, ServerCounters>, nowMs: number): void {
    const p = this.prev;
    if (p && nowMs - p.at < 1000) return;
    if (p) {
      const dt = (nowMs - p.at) / 1000;
      this.rates = new Map();
      for (const [k, c] of counters) {
        const o = p.values.get(k);
        if (!o) continue;
        const r = {} as Record<Key, number>;
        for (const [f] of FIELDS) r[f] = Math.max(0, c[f] - o[f]) / dt;
        this.rates.set(k, r);
      }
    }
    this.prev = { at: nowMs, values: new Map([...counters].map(([k, c]) => [k, { ...c }])) };
  }
}

// The load balancer's statistics: ipvsadm's --stats per real and virtual server, and
// --rate from two scrapes.
import t from 'tap';
import { LbMetrics } from '../../src/lb/metrics.js';
import type { VsView } from '../../src/lb/model.js';
import type { ServerCounters } from '../../src/lb/datapath.js';

const rs = (ip: string, alive: boolean) => ({ ip, port: 80, weight: 1, effectiveWeight: alive ? 1 : 0, alive, state: alive ? 'up' : 'down', drained: false, id: ip });
const vs: VsView = { key: 'tcp 10.0.0.1:80', id: 'v1', vip: '10.0.0.1', port: 80, proto: 'tcp', kind: 'NAT', algo: 'rr', persistence: 0, quorumUp: true, sorryActive: false,
  servers: [rs('10.0.1.1', true), rs('10.0.1.2', false)] };
const c = (conns: number, bytes: number): ServerCounters => ({ conns, inPkts: conns * 2, inBytes: bytes, outPkts: conns, outBytes: bytes * 3, active: 1 });

t.test('counters per real and virtual server, rates between scrapes, health', async (t) => {
  const m = new LbMetrics();
  m.collect([vs], new Map([['v1/10.0.1.1', c(10, 1000)], ['v1/10.0.1.2', c(0, 0)]]), 0);
  const fams = m.collect([vs], new Map([['v1/10.0.1.1', c(30, 5000)], ['v1/10.0.1.2', c(0, 0)]]), 2000);
  const get = (name: string) => Object.fromEntries(fams.find((f) => f.name === name)!.samples.map((s) => [Object.values(s.labels ?? {}).join(' '), s.value]));
  t.same(get('triad_lb_real_server_connections_total'), { 'tcp/10.0.0.1:80 10.0.1.1:80': 30, 'tcp/10.0.0.1:80 10.0.1.2:80': 0 });
  t.same(get('triad_lb_virtual_server_bytes_out_total'), { 'tcp/10.0.0.1:80': 15000 });
  t.same(get('triad_lb_real_server_connections_per_second'), { 'tcp/10.0.0.1:80 10.0.1.1:80': 10, 'tcp/10.0.0.1:80 10.0.1.2:80': 0 }, '20 connections in 2 s');
  t.same(get('triad_lb_virtual_server_bytes_in_per_second'), { 'tcp/10.0.0.1:80': 2000 });
  t.same(get('triad_lb_real_server_up'), { 'tcp/10.0.0.1:80 10.0.1.1:80 up': 1, 'tcp/10.0.0.1:80 10.0.1.2:80 down': 0 });
  t.same(get('triad_lb_virtual_server_active_connections'), { 'tcp/10.0.0.1:80': 2 });
});

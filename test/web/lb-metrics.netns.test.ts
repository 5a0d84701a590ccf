// The load balancer on the statistics channel: a NAT virtual server with one healthy and
// one dead real server, real TCP clients through it, and /metrics read in the LB's
// namespace: connections counted on the real server that took them (as `triad ctl lb`
// shows), per-second rates between two scrapes, health, and promtool passing.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { missingTools, Topo } from '../lb/topology.js';
import { promtoolCheck, sumOf } from './scrape.js';

const VIP = '10.0.0.100';
const STATS = 8053;

t.test('load balancer metrics: ipvsadm --stats and --rate per virtual and real server, health', { timeout: 90_000 }, async (t) => {
  const missing = missingTools(['ip', 'nft', 'curl', 'promtool']);
  if (missing.length) return t.fail(`missing tools: ${missing.join(', ')} (test/install-deps.sh installs them)`);
  if (process.getuid?.() !== 0) return t.fail('namespace tests need root');
  const topo = new Topo();
  t.teardown(() => topo.cleanup());
  topo.natEdge();
  for (const i of [2, 3]) {
    topo.addNs(`r${i}`);
    topo.attach(`r${i}`, 'eth0', 'b', `10.1.0.${i}/24`);
    topo.ip('-n', topo.ns(`r${i}`), 'route', 'add', 'default', 'via', '10.1.0.1');
  }
  await topo.startRs('r2', 'rs2', 8080); // 10.1.0.3 serves nothing: its TCP_CHECK fails
  const rs = (ip: string) => `  real_server ${ip} 8080 {\n    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n    }\n  }\n`;
  const conf = topo.writeConf(`virtual_server ${VIP} 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${rs('10.1.0.2')}${rs('10.1.0.3')}}\n`);
  // The statistics channel is configured in named.conf (DNS on the LB namespace's loopback).
  writeFileSync(path.join(topo.dir, 'named.conf'), `options { directory "${topo.dir}"; listen-on { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; };\nstatistics-channels { inet 127.0.0.1 port ${STATS}; };\n`);
  topo.startTriad('l', conf, ['--dns-workers', '0']);
  await topo.waitFor((d) => d.length === 1 && d[0].servers.length === 2 && d[0].servers.some((s) => s.alive) && d[0].servers.some((s) => !s.alive && s.state !== 'unknown'));
  const scrape = (): string => topo.sh('l', 'curl', '-s', '-m', '3', `http://127.0.0.1:${STATS}/metrics`);
  const vs = { virtual_server: `tcp/${VIP}:80` };
  const live = { ...vs, real_server: '10.1.0.2:8080' };
  const dead = { ...vs, real_server: '10.1.0.3:8080' };

  const first = scrape();
  const r = topo.client('c', 'tcp', VIP, 80, 60, 10);
  t.equal(r.failures, 0, 'every connection through the VIP succeeded');
  t.same(Object.keys(r.byName), ['rs2'], 'all went to the live real server');
  await new Promise((res) => setTimeout(res, 1100));
  const second = scrape();
  const lint = await promtoolCheck(second);
  t.equal(lint.code, 0, `promtool check metrics passes${lint.output ? `: ${lint.output}` : ''}`);

  const ctl = await topo.ctl();
  const ctlConns = (ctl.body.data as Array<{ servers: Array<{ ip: string; counters?: { conns: number } }> }>)[0].servers.find((s) => s.ip === '10.1.0.2')?.counters?.conns;
  const conns = sumOf(second, 'triad_lb_real_server_connections_total', live);
  t.ok(conns >= 60, `the live real server's connections (${conns}) include the 60 made`);
  t.equal(conns, ctlConns, 'the same count as triad ctl lb');
  t.equal(sumOf(second, 'triad_lb_virtual_server_connections_total', vs), conns, 'the virtual server sums its real servers');
  t.ok(sumOf(second, 'triad_lb_real_server_packets_in_total', live) > conns && sumOf(second, 'triad_lb_real_server_bytes_out_total', live) > 0, 'packets and bytes');
  t.equal(sumOf(second, 'triad_lb_real_server_connections_total', dead), 0, 'the dead server got none');
  t.equal(sumOf(second, 'triad_lb_real_server_up', live), 1, 'the live server is up');
  t.equal(sumOf(second, 'triad_lb_real_server_up', dead), 0, 'the dead one is down');
  t.equal(sumOf(second, 'triad_lb_real_server_weight', dead), 0, 'and has weight 0');
  t.ok(sumOf(second, 'triad_lb_real_server_connections_per_second', live) > 0, 'a connection rate between the two scrapes');
  t.ok(sumOf(first, 'triad_lb_real_server_connections_total', live) < conns, 'the counter rose between the scrapes');
});

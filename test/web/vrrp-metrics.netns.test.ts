// VRRP on the statistics channel: two Triads in a VRRP pair, each read at its own
// /metrics: the MASTER and BACKUP states as gauges, advertisements sent by one and
// received by the other, and promtool passing.
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { instanceConf, VrrpLab } from '../vrrp/lab.js';
import { promtoolCheck, sumOf } from './scrape.js';
import { have } from '../helpers/tools.js';

const STATS = 8053;

t.test('VRRP state and advertisements as metrics', { timeout: 90_000 }, async (t) => {
  for (const tool of ['ip', 'curl', 'promtool']) if (!have(tool)) return t.fail(`${tool} is not installed (test/install-deps.sh installs it)`);
  if (process.getuid?.() !== 0) return t.fail('namespace tests need root');
  const lab = new VrrpLab();
  t.teardown(() => lab.cleanup());
  lab.build(['a', 'b']);
  for (const role of ['a', 'b']) {
    const d = path.join(lab.dir, role);
    mkdirSync(d, { recursive: true });
    // The statistics channel comes with named.conf (DNS on the namespace's loopback).
    writeFileSync(path.join(d, 'named.conf'), `options { directory "${d}"; listen-on { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; };\nstatistics-channels { inet 127.0.0.1 port ${STATS}; };\n`);
  }
  lab.startTriad('a', instanceConf({ prio: 150, version: 3 }));
  lab.startTriad('b', instanceConf({ prio: 100, version: 3 }));
  await lab.waitFor('a MASTER and b BACKUP', async () => (await lab.state('a')) === 'MASTER' && (await lab.state('b')) === 'BACKUP');
  const scrape = (role: string): string => lab.run(role, 'curl', '-s', '-m', '3', `http://127.0.0.1:${STATS}/metrics`) ?? '';
  // At least one advertisement after b became BACKUP (advert_int 1).
  await lab.waitFor('an advertisement received by b', () => sumOf(scrape('b'), 'triad_vrrp_advertisements_received_total') > 0);
  const a = scrape('a');
  const b = scrape('b');
  const inst = { instance: 'VI_1', interface: 'eth0', vrid: '51' };
  t.equal(sumOf(a, 'triad_vrrp_state', { ...inst, state: 'MASTER' }), 1, 'a is MASTER');
  t.equal(sumOf(a, 'triad_vrrp_state', { ...inst, state: 'BACKUP' }), 0);
  t.equal(sumOf(b, 'triad_vrrp_state', { ...inst, state: 'BACKUP' }), 1, 'b is BACKUP');
  t.equal(sumOf(b, 'triad_vrrp_state'), 1, 'one state at a time');
  t.equal(sumOf(a, 'triad_vrrp_priority', inst), 150, 'the priority in effect');
  t.ok(sumOf(a, 'triad_vrrp_advertisements_sent_total', inst) > 0, 'the MASTER sends advertisements');
  t.ok(sumOf(b, 'triad_vrrp_advertisements_received_total', inst) > 0, 'the BACKUP receives them');
  for (const [role, text] of [['a', a], ['b', b]]) {
    const lint = await promtoolCheck(text);
    t.equal(lint.code, 0, `promtool check metrics passes on ${role}${lint.output ? `: ${lint.output}` : ''}`);
  }
});

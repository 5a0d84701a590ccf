// track_service (Triad's keyword): an instance tracking Triad's DNS gives up mastership
// while DNS is not serving — a named.conf that does not load at start (FAULT until a
// SIGHUP with a fixed file starts DNS), and every DNS worker dying (FAULT until one is back).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { instanceConf, VrrpLab } from './lab.js';

const NAMED = `options {\n  listen-on { 127.0.0.1; };\n  listen-on-v6 { none; };\n  recursion no;\n};\n`;

t.test('track_service dns: a box whose DNS is not serving does not hold the VIP', async (t) => {
  const lab = new VrrpLab();
  t.teardown(() => lab.cleanup());
  lab.build(['a', 'b']);
  const extra = '  track_service {\n    dns\n  }\n';
  // a's named.conf is broken: DNS fails at start, so a (priority 150) must leave the VIP to b.
  const a = lab.startTriad('a', instanceConf({ prio: 150, version: 3, extra }), { 'named.conf': NAMED.replace('recursion no;', 'recursion maybe;') }, ['--dns-workers', '1']);
  lab.startTriad('b', instanceConf({ prio: 100, version: 3 }));
  await lab.waitFor('b MASTER with the VIP, a FAULT', async () => (await lab.state('b')) === 'MASTER' && lab.hasVip('b') && (await lab.state('a')) === 'FAULT');
  const why = (await lab.show('a'))?.[0]?.history.find((h) => h.to === 'fault')?.why;
  t.equal(why, 'dns is failed', 'the fault names the service');

  writeFileSync(path.join(lab.confDir('a'), 'named.conf'), NAMED);
  a.kill('SIGHUP');
  await lab.waitFor('DNS started on reload; a MASTER with the VIP', async () => (await lab.state('a')) === 'MASTER' && lab.hasVip('a') && !lab.hasVip('b'));
  t.pass('a took the VIP back once its DNS served');

  // kill -9 of a's only DNS worker: a faults at once and comes back once the worker is restarted.
  const worker = descendants(a.pid ?? 0).find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('dns/worker.js')) ?? 0;
  t.ok(worker > 0, 'found the DNS worker');
  process.kill(worker, 'SIGKILL');
  await lab.waitFor('a faulted because its DNS worker died, then MASTER again', async () => {
    const s = (await lab.show('a'))?.[0];
    return s?.state === 'MASTER' && s.history.some((h) => h.to === 'fault' && h.why === 'every DNS worker died; restarting them');
  });
  t.ok(lab.hasVip('a'), 'a holds the VIP again');
  const sb = (await lab.show('b'))?.[0];
  t.ok(sb?.history.filter((h) => h.to === 'master').length === 2, 'b took over a second time meanwhile');
});

/** The processes started under `pid` (this test's own Triad), children first. */
function descendants(pid: number): number[] {
  const kids = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

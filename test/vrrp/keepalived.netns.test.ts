// Triad and Debian's keepalived in one virtual router: each elects, fails over and
// preempts as two keepalived would (VRRP v2 and v3), and a PASS mismatch makes both
// ignore each other, as keepalived does.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { instanceConf, VrrpLab } from './lab.js';

const keepalivedMissing = spawnSync('sh', ['-c', 'command -v keepalived']).status !== 0;

for (const version of [2, 3] as const) {
  t.test(`Triad (150) + keepalived (100), VRRP v${version}: Triad masters, keepalived takes over after kill -9, Triad preempts back`, async (t) => {
    if (keepalivedMissing) return t.fail('keepalived is not installed (apt-get install keepalived; test/install-deps.sh)');
    const lab = new VrrpLab();
    t.teardown(() => lab.cleanup());
    lab.build(['a', 'k']);
    const pass = version === 2 ? 'labpass' : undefined;
    let a = lab.startTriad('a', instanceConf({ prio: 150, version, pass }));
    const k = lab.startKeepalived('k', instanceConf({ prio: 100, version, pass }));
    await lab.waitFor('Triad MASTER with the VIP, keepalived without it', async () => (await lab.state('a')) === 'MASTER' && lab.hasVip('a') && !lab.hasVip('k'));
    await lab.waitFor('Triad hears keepalived (it answers our adverts only when it is master, so: none needed)', async () => ((await lab.show('a'))?.[0]?.advertisementsSent ?? 0) > 2);
    t.notOk(lab.hasVip('k'), 'keepalived stays backup');

    await lab.kill9(a);
    await lab.waitFor('keepalived holds the VIP after kill -9 of Triad', () => lab.hasVip('k'));
    t.pass('keepalived took over');

    a = lab.startTriad('a', instanceConf({ prio: 150, version, pass }));
    await lab.waitFor('Triad preempts back; keepalived gives the VIP up', async () => (await lab.state('a')) === 'MASTER' && lab.hasVip('a') && !lab.hasVip('k'));
    const s = (await lab.show('a'))?.[0];
    t.ok((s?.advertisementsReceived ?? 0) > 0, 'Triad received keepalived\'s advertisements');
    t.same(s?.dropped, {}, 'none of keepalived\'s packets was dropped');
    await lab.stop(a);
    await lab.killKeepalived('k', k, 'SIGTERM');
  });

  t.test(`keepalived (200) + Triad (100), VRRP v${version}: keepalived masters; its clean stop and kill -9 hand over to Triad`, async (t) => {
    if (keepalivedMissing) return t.fail('keepalived is not installed (apt-get install keepalived; test/install-deps.sh)');
    const lab = new VrrpLab();
    t.teardown(() => lab.cleanup());
    lab.build(['k', 'a']);
    const pass = version === 2 ? 'labpass' : undefined;
    let k = lab.startKeepalived('k', instanceConf({ prio: 200, version, pass }));
    lab.startTriad('a', instanceConf({ prio: 100, version, pass }));
    await lab.waitFor('keepalived master, Triad BACKUP seeing it', async () => lab.hasVip('k') && (await lab.show('a'))?.[0]?.master === '10.77.0.1' && (await lab.state('a')) === 'BACKUP');
    t.notOk(lab.hasVip('a'));
    await lab.killKeepalived('k', k, 'SIGTERM');
    await lab.waitFor('Triad MASTER with the VIP after keepalived stops', async () => (await lab.state('a')) === 'MASTER' && lab.hasVip('a'));
    k = lab.startKeepalived('k', instanceConf({ prio: 200, version, pass }));
    await lab.waitFor('keepalived preempts; Triad gives the VIP up', async () => (await lab.state('a')) === 'BACKUP' && lab.hasVip('k') && !lab.hasVip('a'));
    await lab.killKeepalived('k', k, 'SIGKILL');
    await lab.waitFor('Triad MASTER after kill -9 of keepalived', async () => (await lab.state('a')) === 'MASTER' && lab.hasVip('a'));
    t.pass('Triad took over');
  });
}

t.test('v2 PASS mismatch between Triad and keepalived: each ignores the other, both become master', async (t) => {
  if (keepalivedMissing) return t.fail('keepalived is not installed (apt-get install keepalived; test/install-deps.sh)');
  const lab = new VrrpLab();
  t.teardown(() => lab.cleanup());
  lab.build(['a', 'k']);
  lab.startTriad('a', instanceConf({ prio: 100, version: 2, pass: 'triadpw' }));
  lab.startKeepalived('k', instanceConf({ prio: 200, version: 2, pass: 'otherpw' }));
  await lab.waitFor('both hold the VIP', async () => lab.hasVip('k') && (await lab.state('a')) === 'MASTER' && lab.hasVip('a'));
  await lab.waitFor('Triad counts keepalived\'s adverts as auth mismatches', async () => ((await lab.show('a'))?.[0]?.dropped['auth-mismatch'] ?? 0) >= 2);
  t.equal((await lab.show('a'))?.[0]?.advertisementsReceived, 0);
});

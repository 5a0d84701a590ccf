// Two Triads on one bridge share a VIP: election by priority, takeover after kill -9,
// preemption on restart (and none with nopreempt), clean stop; VRRP v2 and v3. Then
// forged and malformed advertisements are dropped, counted and change nothing.
import t from 'tap';
import { instanceConf, VrrpLab } from './lab.js';

for (const version of [2, 3] as const) {
  t.test(`Triad + Triad, VRRP v${version}: election, kill -9 failover, preemption, clean stop`, async (t) => {
    const lab = new VrrpLab();
    t.teardown(() => lab.cleanup());
    lab.build(['a', 'b']);
    const pass = version === 2 ? 'labpass' : undefined;
    let a = lab.startTriad('a', instanceConf({ prio: 150, version, pass }));
    const b = lab.startTriad('b', instanceConf({ prio: 100, version, pass }));
    await lab.waitFor('a MASTER, b BACKUP', async () => (await lab.state('a')) === 'MASTER' && (await lab.state('b')) === 'BACKUP');
    await lab.waitFor('the VIP on a only', () => lab.hasVip('a') && !lab.hasVip('b'));
    const sb = (await lab.show('b'))?.[0];
    t.equal(sb?.master, '10.77.0.1', 'b sees a as master');
    t.ok((sb?.advertisementsReceived ?? 0) > 0, 'b received advertisements');

    await lab.kill9(a);
    await lab.waitFor('b MASTER with the VIP after kill -9 of a', async () => (await lab.state('b')) === 'MASTER' && lab.hasVip('b'));
    t.pass('b took over');

    a = lab.startTriad('a', instanceConf({ prio: 150, version, pass }));
    await lab.waitFor('a preempts back', async () => (await lab.state('a')) === 'MASTER' && (await lab.state('b')) === 'BACKUP');
    await lab.waitFor('the VIP moves back to a', () => lab.hasVip('a') && !lab.hasVip('b'));
    t.pass('a preempted');

    await lab.stop(a, 'SIGTERM');
    t.notOk(lab.hasVip('a'), 'a clean stop removes the VIP');
    await lab.waitFor('b MASTER after a clean stop of a', async () => (await lab.state('b')) === 'MASTER' && lab.hasVip('b'));

    // nopreempt: a higher-priority box coming back leaves the current master alone.
    a = lab.startTriad('a', instanceConf({ prio: 150, version, pass, extra: '  nopreempt\n' }));
    await lab.waitFor('a up as BACKUP seeing b', async () => (await lab.show('a'))?.[0]?.master === '10.77.0.2');
    // Longer than the master-down interval (3 × 1 s + skew): a would have taken over by now if it preempted.
    await new Promise((r) => setTimeout(r, 5000));
    t.equal(await lab.state('a'), 'BACKUP', 'nopreempt: a stays BACKUP');
    t.equal(await lab.state('b'), 'MASTER', 'b stays MASTER');
    t.ok(lab.hasVip('b') && !lab.hasVip('a'), 'the VIP stays on b');
    await lab.stop(b);
  });
}

t.test('forged and malformed advertisements are dropped and counted; the master stays master', async (t) => {
  const lab = new VrrpLab();
  t.teardown(() => lab.cleanup());
  lab.build(['a', 'f']);
  lab.startTriad('a', instanceConf({ prio: 100, version: 3 }));
  await lab.waitFor('a MASTER', async () => (await lab.state('a')) === 'MASTER');
  for (const kind of ['wrong-vrid', 'bad-checksum', 'ttl', 'truncated']) lab.forge('f', kind);
  await lab.waitFor('four drops counted', async () => {
    const d = (await lab.show('a'))?.[0]?.dropped ?? {};
    return (d['unknown-vrid'] ?? 0) >= 1 && (d['bad-checksum'] ?? 0) >= 1 && (d['bad-ttl'] ?? 0) >= 1 && (d['truncated'] ?? 0) >= 1;
  });
  const s = (await lab.show('a'))?.[0];
  t.equal(s?.state, 'MASTER', 'state unchanged');
  t.equal(s?.advertisementsReceived, 0, 'none of them counted as an advertisement');
  t.ok(lab.hasVip('a'));
  // The same advertisement, well formed, is obeyed: the counters above are not blind.
  lab.forge('f', 'good-v3');
  await lab.waitFor('a BACKUP after a valid priority 254 advertisement', async () => (await lab.state('a')) === 'BACKUP');
  t.pass('a valid advertisement is accepted');
});

t.test('v2 PASS mismatch: the advertisement is dropped as keepalived drops it', async (t) => {
  const lab = new VrrpLab();
  t.teardown(() => lab.cleanup());
  lab.build(['a', 'f']);
  lab.startTriad('a', instanceConf({ prio: 100, version: 2, pass: 'right' }));
  await lab.waitFor('a MASTER', async () => (await lab.state('a')) === 'MASTER');
  lab.forge('f', 'wrong-pass');
  await lab.waitFor('an auth mismatch counted', async () => ((await lab.show('a'))?.[0]?.dropped['auth-mismatch'] ?? 0) >= 1);
  t.equal(await lab.state('a'), 'MASTER');
});

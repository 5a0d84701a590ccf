// SIGHUP: a changed VRRP part restarts the instances with the new values; a broken
// file keeps the running ones (and says where it is broken).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { instanceConf, VrrpLab } from './lab.js';

t.test('reload: new priority taken, broken file keeps the running instance', async (t) => {
  const lab = new VrrpLab();
  t.teardown(() => lab.cleanup());
  lab.build(['a']);
  const p = lab.startTriad('a', instanceConf({ prio: 150, version: 3 }));
  await lab.waitFor('a MASTER', async () => (await lab.state('a')) === 'MASTER');
  const file = path.join(lab.dir, 'a', 'keepalived.conf');
  writeFileSync(file, instanceConf({ prio: 120, version: 3 }));
  p.kill('SIGHUP');
  await lab.waitFor('priority 120 after the reload, master again', async () => {
    const s = (await lab.show('a'))?.[0];
    return s?.state === 'MASTER' && (s as unknown as { priority: number }).priority === 120;
  });
  t.ok(lab.hasVip('a'));
  writeFileSync(file, instanceConf({ prio: 110, version: 3 }).replace('advert_int 1', 'advert_int x'));
  p.kill('SIGHUP');
  await lab.waitFor('the reload error logged with file:line:col', () => (lab.logs.get('a') ?? []).some((l) => /keepalived\.conf:6:\d+/.test(l)));
  const s = (await lab.show('a'))?.[0] as unknown as { state: string; priority: number };
  t.equal(s.state, 'MASTER', 'still master');
  t.equal(s.priority, 120, 'the running configuration is kept');
  t.ok(lab.hasVip('a'));
});

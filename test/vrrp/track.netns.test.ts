// A failing vrrp_script moves the VIP (weight 0: the instance faults), its recovery moves
// it back; notify scripts run with keepalived's arguments.
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { instanceConf, VrrpLab } from './lab.js';

t.test('track_script failure faults the master and the VIP moves; notify runs with INSTANCE NAME STATE PRIORITY', async (t) => {
  const lab = new VrrpLab();
  t.teardown(() => lab.cleanup());
  lab.build(['a', 'b']);
  const ok = path.join(lab.dir, 'a-ok');
  writeFileSync(ok, '');
  const log = path.join(lab.dir, 'notify.log');
  const notify = path.join(lab.dir, 'notify.sh');
  writeFileSync(notify, `#!/bin/sh\necho "$@" >> ${log}\n`);
  chmodSync(notify, 0o755);
  const script = `vrrp_script chk_ok {\n  script "/usr/bin/test -e ${ok}"\n  interval 1\n  fall 1\n  rise 1\n}\n`;
  lab.startTriad('a', script + instanceConf({ prio: 150, version: 3, extra: `  track_script {\n    chk_ok\n  }\n  notify ${notify}\n  notify_master "${notify} master-only"\n` }));
  lab.startTriad('b', instanceConf({ prio: 100, version: 3 }));
  await lab.waitFor('a MASTER with the VIP', async () => (await lab.state('a')) === 'MASTER' && lab.hasVip('a') && (await lab.state('b')) === 'BACKUP');
  await lab.waitFor('notify ran', () => existsSync(log) && readFileSync(log, 'utf8').includes('INSTANCE VI_1 MASTER 150'));
  t.match(readFileSync(log, 'utf8'), /INSTANCE VI_1 BACKUP 150\n/, 'notify at start (BACKUP) with keepalived\'s arguments');
  t.match(readFileSync(log, 'utf8'), /^master-only$/m, 'notify_master runs as written');

  rmSync(ok);
  await lab.waitFor('a FAULT, b MASTER with the VIP', async () => (await lab.state('a')) === 'FAULT' && (await lab.state('b')) === 'MASTER' && lab.hasVip('b') && !lab.hasVip('a'));
  t.match(readFileSync(log, 'utf8'), /INSTANCE VI_1 FAULT 150\n/);

  writeFileSync(ok, '');
  await lab.waitFor('a back to MASTER once the script succeeds', async () => (await lab.state('a')) === 'MASTER' && lab.hasVip('a') && !lab.hasVip('b'));
  t.pass('the VIP came back');
});

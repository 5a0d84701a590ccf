// global_defs' script_user and enable_script_security: notify and vrrp_script scripts run
// as script_user; with enable_script_security, a script that would run as root but that
// any user could modify is refused with a log line (a vrrp_script refused so is not
// tracked, as keepalived disables it), while safe scripts still run.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { instanceConf, VrrpLab } from './lab.js';

function script(file: string, body: string, mode: number): string {
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, mode);
  return file;
}

t.test('scripts run as script_user; enable_script_security refuses unsafe root scripts', async (t) => {
  const lab = new VrrpLab();
  t.teardown(() => lab.cleanup());
  lab.build(['a', 'b']);
  chmodSync(lab.dir, 0o755); // nobody must reach the scripts
  const out = path.join(lab.dir, 'out');
  mkdirSync(out);
  chmodSync(out, 0o777);

  // a: script_user nobody; its notify and vrrp_script record who ran them.
  const whoNotify = script(path.join(lab.dir, 'who-notify.sh'), `id -un > ${out}/notify-user`, 0o755);
  const whoCheck = script(path.join(lab.dir, 'who-check.sh'), `id -un > ${out}/check-user`, 0o755);
  lab.startTriad('a', `global_defs {\n  script_user nobody\n}\nvrrp_script chk {\n  script "${whoCheck}"\n  interval 1\n}\n` +
    instanceConf({ prio: 100, version: 2, vrid: 71, extra: `  notify_master ${whoNotify}\n  track_script {\n    chk\n  }\n` }));

  // b: root, enable_script_security; one safe notify, one unsafe notify, one unsafe failing vrrp_script.
  const safe = script(path.join(lab.dir, 'safe.sh'), `touch ${out}/safe-ran`, 0o755);
  const unsafe = script(path.join(lab.dir, 'unsafe.sh'), `touch ${out}/unsafe-ran`, 0o777);
  const failing = script(path.join(lab.dir, 'fail.sh'), 'exit 1', 0o777);
  lab.startTriad('b', `global_defs {\n  enable_script_security\n}\nvrrp_script chk_bad {\n  script "${failing}"\n  interval 1\n  fall 1\n}\n` +
    instanceConf({ prio: 100, version: 2, vrid: 72, extra: `  notify_master ${safe}\n  notify_backup ${unsafe}\n  track_script {\n    chk_bad\n  }\n` }));

  await lab.waitFor('a ran both scripts', () => existsSync(`${out}/notify-user`) && existsSync(`${out}/check-user`));
  t.equal(readFileSync(`${out}/notify-user`, 'utf8').trim(), 'nobody', 'notify_master ran as nobody');
  t.equal(readFileSync(`${out}/check-user`, 'utf8').trim(), 'nobody', 'the vrrp_script ran as nobody');

  await lab.waitFor('b MASTER, its safe notify_master ran', async () => (await lab.state('b')) === 'MASTER' && existsSync(`${out}/safe-ran`));
  const logs = lab.logs.get('b') ?? [];
  t.ok(logs.some((l) => l.includes(`notify script '${unsafe}' refused: it would run as root and ${unsafe} is writable by every user (enable_script_security)`)), 'the unsafe notify script is refused with a log line');
  t.ok(logs.some((l) => l.includes(`vrrp_script chk_bad '${failing}' refused`)), 'the unsafe vrrp_script is refused with a log line');
  t.notOk(existsSync(`${out}/unsafe-ran`), 'the unsafe notify_backup never ran (b entered BACKUP at start)');
  t.equal(await lab.state('b'), 'MASTER', 'the refused failing vrrp_script is not tracked: b stays MASTER');
});

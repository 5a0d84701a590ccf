// An instance whose interface does not exist at start is not a fatal error: as
// keepalived, it waits in FAULT (notify_fault runs) and starts when the interface
// appears; the other instances and services run meanwhile.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { instanceConf, VrrpLab } from './lab.js';

t.test('a missing interface at start: FAULT until it appears, then the instance runs', async (t) => {
  const lab = new VrrpLab();
  t.teardown(() => lab.cleanup());
  lab.build(['a']);
  const log = path.join(lab.dir, 'notify.log');
  const notify = path.join(lab.dir, 'notify.sh');
  writeFileSync(notify, `#!/bin/sh\necho "$@" >> ${log}\n`);
  chmodSync(notify, 0o755);
  const late = `vrrp_instance VI_LATE {
  state BACKUP
  interface eth1
  virtual_router_id 61
  priority 100
  advert_int 1
  notify ${notify}
  virtual_ipaddress {
    10.77.9.100/24
  }
}
`;
  lab.startTriad('a', instanceConf({ prio: 100, version: 2 }) + late);
  const stateOf = async (name: string): Promise<string | undefined> => (await lab.show('a'))?.find((i) => i.name === name)?.state;
  await lab.waitFor('VI_1 MASTER, VI_LATE FAULT', async () => (await stateOf('VI_1')) === 'MASTER' && (await stateOf('VI_LATE')) === 'FAULT');
  t.ok(lab.logs.get('a')?.some((l) => l.includes('interface eth1 does not exist; entering FAULT state until it appears')), 'the wait is logged');
  await lab.waitFor('notify_fault ran', () => existsSync(log) && readFileSync(log, 'utf8').includes('INSTANCE VI_LATE FAULT 100'));

  // (no dummy driver on every kernel: a veth pair inside the namespace)
  lab.run('a', 'ip', 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p');
  lab.run('a', 'ip', 'link', 'set', 'eth1p', 'up');
  lab.run('a', 'ip', 'addr', 'add', '10.77.9.1/24', 'dev', 'eth1');
  lab.run('a', 'ip', 'link', 'set', 'eth1', 'up');
  await lab.waitFor('VI_LATE MASTER with its address on eth1', async () => (await stateOf('VI_LATE')) === 'MASTER' && (lab.run('a', 'ip', '-4', 'addr', 'show', 'dev', 'eth1') ?? '').includes('inet 10.77.9.100/24'));
  const h = (await lab.show('a'))?.find((i) => i.name === 'VI_LATE')?.history ?? [];
  t.match(h[0]?.why ?? '', /interface eth1 does not exist/, 'its history starts with the wait');
  t.equal(await stateOf('VI_1'), 'MASTER', 'the other instance was not disturbed');

  // The interface goes away (FAULT) and is created again with a new index: the socket follows.
  lab.run('a', 'ip', 'link', 'del', 'eth1');
  await lab.waitFor('VI_LATE FAULT without its interface', async () => (await stateOf('VI_LATE')) === 'FAULT');
  lab.run('a', 'ip', 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p');
  lab.run('a', 'ip', 'link', 'set', 'eth1p', 'up');
  lab.run('a', 'ip', 'addr', 'add', '10.77.9.1/24', 'dev', 'eth1');
  lab.run('a', 'ip', 'link', 'set', 'eth1', 'up');
  await lab.waitFor('the socket reopened, VI_LATE MASTER again', async () => (await stateOf('VI_LATE')) === 'MASTER' && (lab.logs.get('a') ?? []).some((l) => l.includes('VRRP socket reopened')));
  const sent = async (): Promise<number> => (await lab.show('a'))?.find((i) => i.name === 'VI_LATE')?.advertisementsSent ?? 0;
  const before = await sent();
  const mark = (lab.logs.get('a') ?? []).length;
  await lab.waitFor('advertisements sent on the new interface', async () => (await sent()) >= before + 2);
  t.notOk((lab.logs.get('a') ?? []).slice(mark).some((l) => l.includes('sending a VRRP advertisement failed')), 'they leave without errors');
});

// vrrp_sync_group: members move together. A member stepping back to backup takes the
// other with it; a member's fault faults the group, and the other box takes both VIPs.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { VrrpLab, type InstanceData } from './lab.js';

const inst = (name: string, vrid: number, prio: number, vip: string, extra = ''): string =>
  `vrrp_instance ${name} {\n  state BACKUP\n  interface eth0\n  virtual_router_id ${vrid}\n  priority ${prio}\n  advert_int 1\n  version 3\n${extra}  virtual_ipaddress {\n    ${vip}/24\n  }\n}\n`;
const group = 'vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}\n';

t.test('sync group members move together (Triad + Triad)', async (t) => {
  const lab = new VrrpLab();
  t.teardown(() => lab.cleanup());
  lab.build(['a', 'b', 'f']);
  const ok = path.join(lab.dir, 'a-ok');
  writeFileSync(ok, '');
  const script = `vrrp_script chk {\n  script "/usr/bin/test -e ${ok}"\n  interval 1\n}\n`;
  lab.startTriad('a', script + inst('VI_1', 51, 150, '10.77.0.100') + inst('VI_2', 52, 150, '10.77.0.101', '  track_script {\n    chk\n  }\n') + group);
  lab.startTriad('b', inst('VI_1', 51, 100, '10.77.0.100') + inst('VI_2', 52, 100, '10.77.0.101') + group);
  const states = async (role: string): Promise<string> => ((await lab.show(role)) ?? []).map((i) => i.state).join(',');
  const show = async (role: string, name: string): Promise<InstanceData | undefined> => (await lab.show(role))?.find((i) => i.name === name);
  await lab.waitFor('a MASTER of both, b BACKUP of both', async () => (await states('a')) === 'MASTER,MASTER' && (await states('b')) === 'BACKUP,BACKUP');

  // A better master for VI_1 alone (a forged priority 254 advertisement): VI_2 steps back with it.
  lab.forge('f', 'good-v3');
  await lab.waitFor("a's VI_2 followed VI_1 to backup", async () => ((await show('a', 'VI_2'))?.history ?? []).some((h) => h.to === 'backup' && /sync group/.test(h.why)));
  t.pass('VI_2 followed');
  await lab.waitFor('a MASTER of both again', async () => (await states('a')) === 'MASTER,MASTER' && (await states('b')) === 'BACKUP,BACKUP');

  // VI_2's script fails: the whole group faults on a, b takes both addresses.
  rmSync(ok);
  await lab.waitFor('a FAULT for both, b MASTER of both with both VIPs', async () => {
    if ((await states('a')) !== 'FAULT,FAULT' || (await states('b')) !== 'MASTER,MASTER') return false;
    const addrs = lab.run('b', 'ip', '-4', 'addr', 'show', 'dev', 'eth0') ?? '';
    return addrs.includes('inet 10.77.0.100/') && addrs.includes('inet 10.77.0.101/');
  });
  t.notOk(lab.hasVip('a'), 'a holds neither address');
});

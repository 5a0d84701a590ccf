// The VRRP → DHCP channel: an interface is on standby while VRRP instances live there
// and none is master; interfaces without an instance are never on standby.
import t from 'tap';
import { VrrpRoles } from '../../src/channels/vrrp-roles.js';

t.test('standby while no instance on the interface is master', async (t) => {
  const r = new VrrpRoles();
  t.notOk(r.standby('eth0'), 'no VRRP: never on standby');
  r.set('eth0', 'VI_1', 'backup');
  t.ok(r.standby('eth0'));
  t.notOk(r.standby('eth1'), 'another interface is not concerned');
  r.set('eth0', 'VI_2', 'master');
  t.notOk(r.standby('eth0'), 'one master instance on the interface is enough');
  r.set('eth0', 'VI_2', 'fault');
  t.ok(r.standby('eth0'));
  r.set('eth0', 'VI_1', 'master');
  t.notOk(r.standby('eth0'));
  r.set('eth0', 'VI_1', 'init');
  t.ok(r.standby('eth0'), 'stopped instances are not master');
});

t.test('an instance moved to another interface, or removed by a reload', async (t) => {
  const r = new VrrpRoles();
  r.set('eth0', 'VI_1', 'backup');
  r.set('eth1', 'VI_1', 'backup');
  t.notOk(r.standby('eth0'), 'VI_1 left eth0');
  t.ok(r.standby('eth1'));
  r.retain(['VI_2']);
  t.notOk(r.standby('eth1'), 'VI_1 is no longer configured');
});

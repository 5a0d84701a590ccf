// A load balancer pair behind a VRRP address: both Triads serve the same DR virtual
// server on the VIP, VRRP decides which box holds it. The backup's load balancer does
// not add the VIP (it is VRRP's), a client reaches the real server through the master,
// and after kill -9 of the master through the backup.
import path from 'node:path';
import t from 'tap';
import { REPO_ROOT } from '../helpers/paths.js';
import { instanceConf, VIP, VrrpLab } from './lab.js';

const RS_SERVER = path.join(REPO_ROOT, 'dist', 'test', 'lb', 'rs-server.js');

const vs = `virtual_server ${VIP} 80 {
  delay_loop 1
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server 10.77.0.4 80 {
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
`;

t.test('DR virtual server on a VRRP address: served by the master only; kill -9 of the master moves it', async (t) => {
  const lab = new VrrpLab();
  t.teardown(() => lab.cleanup());
  lab.build(['a', 'b', 'c', 'r']);
  // The real server: VIP on lo, never answering ARP for it (DR).
  lab.run('r', 'ip', 'addr', 'add', `${VIP}/32`, 'dev', 'lo');
  lab.run('r', 'sysctl', '-q', '-w', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2');
  lab.spawnIn('r', [process.execPath, RS_SERVER, 'rs1', '0.0.0.0', '80']);
  let a = lab.startTriad('a', instanceConf({ prio: 150, version: 3 }) + vs);
  lab.startTriad('b', instanceConf({ prio: 100, version: 3 }) + vs);
  await lab.waitFor('a MASTER with the VIP, b BACKUP without it', async () => (await lab.state('a')) === 'MASTER' && lab.hasVip('a') && (await lab.state('b')) === 'BACKUP');
  const curl = (): string | undefined => lab.run('c', 'curl', '-s', '-m', '2', `http://${VIP}/`);
  await lab.waitFor('the client served through a', () => curl()?.startsWith('rs1 10.77.0.3') ?? false, 30000);
  t.notOk(lab.hasVip('b'), "b's load balancer left the VIP to VRRP");

  await lab.kill9(a);
  await lab.waitFor('b MASTER with the VIP', async () => (await lab.state('b')) === 'MASTER' && lab.hasVip('b'));
  await lab.waitFor('the client served through b', () => curl()?.startsWith('rs1 10.77.0.3') ?? false, 30000);
  t.pass('served through b after the failover');
  a = lab.startTriad('a', instanceConf({ prio: 150, version: 3 }) + vs);
  await lab.waitFor('a preempts; b gives the VIP up', async () => (await lab.state('a')) === 'MASTER' && !lab.hasVip('b'));
  await lab.waitFor('the client served through a again', () => curl()?.startsWith('rs1 10.77.0.3') ?? false, 30000);
  t.pass('served through a again');
});

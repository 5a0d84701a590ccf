// Unicast VRRP (unicast_src_ip / unicast_peer) between Triad and Debian's keepalived:
// no multicast, each sends its advertisements to the other's address.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { instanceConf, VrrpLab } from './lab.js';

const peers = (src: string, peer: string): string => `  unicast_src_ip ${src}\n  unicast_peer {\n    ${peer}\n  }\n`;

t.test('unicast peers, Triad (150) + keepalived (100), v2: Triad masters, keepalived takes over after kill -9', async (t) => {
  if (spawnSync('sh', ['-c', 'command -v keepalived']).status !== 0) return t.fail('keepalived is not installed (apt-get install keepalived; test/install-deps.sh)');
  const lab = new VrrpLab();
  t.teardown(() => lab.cleanup());
  lab.build(['a', 'k']);
  const a = lab.startTriad('a', instanceConf({ prio: 150, version: 2, extra: peers('10.77.0.1', '10.77.0.2') }));
  lab.startKeepalived('k', instanceConf({ prio: 100, version: 2, extra: peers('10.77.0.2', '10.77.0.1') }));
  await lab.waitFor('Triad MASTER with the VIP, keepalived without it', async () => (await lab.state('a')) === 'MASTER' && lab.hasVip('a') && !lab.hasVip('k'));
  await lab.kill9(a);
  await lab.waitFor('keepalived holds the VIP', () => lab.hasVip('k'));
  lab.startTriad('a', instanceConf({ prio: 150, version: 2, extra: peers('10.77.0.1', '10.77.0.2') }));
  await lab.waitFor('Triad preempts back over unicast', async () => (await lab.state('a')) === 'MASTER' && lab.hasVip('a') && !lab.hasVip('k'));
  const s = (await lab.show('a'))?.[0];
  t.ok((s?.advertisementsReceived ?? 0) > 0, "keepalived's unicast advertisements were received");
  t.same(s?.dropped, {});
});

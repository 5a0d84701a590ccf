import t from 'tap';
import { ethtoolArgs, offloadsToRestore, offloadsToTurnOff, parseFeatures } from '../../src/lb/offloads.js';

// `ethtool -k` output as ethtool 6.1 prints it (abridged).
const K = `Features for eth0:
rx-checksumming: on
tx-checksumming: on
	tx-checksum-ipv4: off [fixed]
generic-segmentation-offload: on
generic-receive-offload: on
large-receive-offload: off [fixed]
rx-vlan-offload: on
`;

t.test('parseFeatures reads on/off and [fixed], indented sub-features too', async (t) => {
  const f = parseFeatures(K);
  t.same(f.get('generic-receive-offload'), { on: true, fixed: false });
  t.same(f.get('large-receive-offload'), { on: false, fixed: true });
  t.same(f.get('tx-checksum-ipv4'), { on: false, fixed: true });
  t.notOk(f.has('Features for eth0'), 'the heading is not a feature');
});

t.test('only offloads that are on and changeable are turned off', async (t) => {
  t.same(offloadsToTurnOff(parseFeatures(K)), ['gro']);
  t.same(offloadsToTurnOff(parseFeatures('generic-receive-offload: on\nlarge-receive-offload: on\n')), ['gro', 'lro']);
  t.same(offloadsToTurnOff(parseFeatures('generic-receive-offload: off\nlarge-receive-offload: off [fixed]\n')), [], 'nothing to do on a default veth');
  t.same(offloadsToTurnOff(parseFeatures('generic-receive-offload: on [fixed]\n')), [], 'a fixed feature is left alone');
  t.same(offloadsToTurnOff(new Map()), [], 'unknown output: nothing');
});

t.test('restore turns on only what was turned off and is still off', async (t) => {
  t.same(offloadsToRestore(['gro', 'lro'], parseFeatures('generic-receive-offload: off\nlarge-receive-offload: off\n')), ['gro', 'lro']);
  t.same(offloadsToRestore(['gro'], parseFeatures('generic-receive-offload: on\n')), [], 'already back on: nothing');
  t.same(offloadsToRestore(['gro'], new Map()), [], 'interface gone or unreadable: nothing');
  t.same(offloadsToRestore([], parseFeatures(K)), [], 'nothing turned off: nothing restored');
});

t.test('ethtool -K arguments', async (t) => {
  t.same(ethtoolArgs('eth1', ['gro', 'lro'], false), ['-K', 'eth1', 'gro', 'off', 'lro', 'off']);
  t.same(ethtoolArgs('eth1', ['gro'], true), ['-K', 'eth1', 'gro', 'on']);
});

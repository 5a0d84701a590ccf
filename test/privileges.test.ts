import t from 'tap';
import { capMask, procStatus } from '../src/privileges.js';

t.test('capMask: the capset bits of capabilities(7)', async (t) => {
  t.equal(capMask([]), 0n);
  t.equal(capMask(['CAP_NET_BIND_SERVICE']), 1n << 10n);
  t.equal(capMask(['CAP_NET_ADMIN', 'CAP_NET_RAW']).toString(16), '3000');
});

t.test('procStatus reads Uid, Gid and the capability sets of /proc/PID/status', async (t) => {
  const s = procStatus('Name:\tnode\nUid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\nCapInh:\t0000000000002400\nCapPrm:\t0000000000002400\nCapEff:\t0000000000002400\nCapBnd:\t0000000000002400\nCapAmb:\t0000000000002400\n');
  t.equal(s.uid, 65534);
  t.equal(s.gid, 65534);
  t.equal(s.caps.CapEff, capMask(['CAP_NET_BIND_SERVICE', 'CAP_NET_RAW']));
  t.equal(s.caps.CapBnd, 0x2400n);
});

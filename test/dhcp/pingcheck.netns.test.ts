// ping-check: an address of the range already used by a host that answers ping is not
// offered; it is abandoned (quarantined) and the client gets the next one.

import t from 'tap';
import { readFileSync } from 'node:fs';
import { NetnsLab, sh, labPrerequisites } from './netns-lab.js';
import { parseLeaseFile } from '../../src/dhcp/lease-file.js';
import { parseIPv4 } from '../../src/config/dhcp-options.js';

t.test('ping-check skips an address in use', { timeout: 120_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'busybox']))) return;
  const lab = new NetnsLab('tdp');
  t.teardown(() => lab.cleanup());
  await lab.setupServer('192.168.117.1/24');
  const conf = lab.file(
    'dhcpd.conf',
    `authoritative;\nping-check true;\ndefault-lease-time 600;\nsubnet 192.168.117.0 netmask 255.255.255.0 {\n  range 192.168.117.100 192.168.117.110;\n}\n`,
  );
  const leases = lab.file('dhcpd.leases');
  const server = await lab.startTriad(conf, leases, 'br0');
  const squatter = await lab.addClient('sq');
  await sh(`ip -n ${squatter} addr add 192.168.117.100/24 dev eth0`);
  const cl = await lab.addClient('cl');
  const out = lab.file('cl.out', '');
  await sh(`UDHCPC_OUT=${out} ip netns exec ${cl} busybox udhcpc -i eth0 -f -q -n -t 5 -T 3 -s ${lab.udhcpcScript()} 2>&1`, 60_000);
  t.match(lab.read('cl.out'), /bound ip=192\.168\.117\.101 /, 'client got the next address');
  t.match(server.output(), /Abandoning IP address 192\.168\.117\.100: pinged before offer/, 'server logged the abandon');
  const l = parseLeaseFile(leases, readFileSync(leases, 'utf8')).leases.get(parseIPv4('192.168.117.100')!);
  t.equal(l?.state, 'abandoned', 'the address is quarantined in the lease file');
  server.kill('SIGTERM');
});

// 12,000 malformed DHCP messages against the running server: it never crashes, counts
// them as dropped, and still serves a real client (busybox udhcpc) afterwards.

import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetnsLab, sh, labPrerequisites } from './netns-lab.js';

const SENDER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fuzz-sender.js');

t.test('fuzzed DHCP packets never crash the server', { timeout: 300_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'busybox']))) return;
  const lab = new NetnsLab('tdf');
  t.teardown(() => lab.cleanup());
  await lab.setupServer('192.168.117.1/24');
  const conf = lab.file(
    'dhcpd.conf',
    `authoritative;
default-lease-time 600;
subnet 192.168.117.0 netmask 255.255.255.0 {
  range 192.168.117.100 192.168.117.199;
  option routers 192.168.117.254;
}
`,
  );
  const leases = lab.file('dhcpd.leases');
  const server = await lab.startTriad(conf, leases, 'br0');
  const fz = await lab.addClient('fz');
  await sh(`ip -n ${fz} addr add 192.168.117.250/24 dev eth0`);
  const r = await sh(`ip netns exec ${fz} ${process.execPath} ${SENDER} 192.168.117.1 12000 4242`, 120_000);
  t.match(r.stdout, /sent 12000/, 'sent 12,000 malformed messages');
  t.equal(server.exitCode, null, 'server still running');
  const handled = (server.output().match(/DHCP(OFFER|NAK|ACK|REQUEST|DISCOVER|DECLINE|RELEASE|INFORM)|BOOT/g) ?? []).length;
  t.ok(handled > 1000, `the server saw the flood (${handled} decisions logged; malformed ones are dropped silently)`);
  t.notMatch(server.output(), /"level":(50|60)/, 'no errors or crashes logged');
  const cl = await lab.addClient('cl');
  const out = lab.file('cl.out', '');
  await sh(`UDHCPC_OUT=${out} ip netns exec ${cl} busybox udhcpc -i eth0 -f -q -n -t 5 -T 2 -s ${lab.udhcpcScript()} 2>&1`, 60_000);
  t.match(lab.read('cl.out'), /bound ip=192\.168\.117\.\d+ /, 'a real client still gets an address afterwards');
  server.kill('SIGTERM');
});

// A plain BOOTP client (RFC 951, no magic cookie; sent with scapy) on the wire: the fixed
// host gets its address, next-server and boot file in a 300-octet reply without cookie.

import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NetnsLab, sh, labPrerequisites } from './netns-lab.js';
import { REPO_ROOT } from '../helpers/paths.js';

const SCAPY = `
import sys
from scapy.all import Ether, IP, UDP, BOOTP, Raw, srp1, conf
conf.checkIPaddr = False
mac = bytes.fromhex("ae86cafebabe")
req = (Ether(src="ae:86:ca:fe:ba:be", dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") /
       UDP(sport=68, dport=67) / BOOTP(op=1, chaddr=mac + b"\\0" * 10, xid=0x1234, flags=0x8000) / Raw(b"\\0" * 64))
r = srp1(req, iface="eth0", timeout=8, verbose=0)
if r is None:
    print("no reply"); sys.exit(1)
payload = bytes(r[UDP].payload)
b = BOOTP(payload)
print("yiaddr=%s siaddr=%s file=%s len=%d cookie=%s" % (b.yiaddr, b.siaddr, b.file.rstrip(b"\\0").decode(), len(payload), payload[236:240].hex()))
`;

t.test('BOOTP without cookie on the wire', { timeout: 120_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'python3'], { scapy: true }))) return;
  const lab = new NetnsLab('tdo');
  t.teardown(() => lab.cleanup());
  await lab.setupServer('192.168.117.1/24');
  const conf = lab.file('dhcpd.conf', readFileSync(path.join(REPO_ROOT, 'conf', 'dhcpd.conf'), 'utf8'));
  const server = await lab.startTriad(conf, lab.file('dhcpd.leases'), 'br0');
  const ns = await lab.addClient('bp', 'ae:86:ca:fe:ba:be');
  const script = lab.file('bootp.py', SCAPY);
  const r = await sh(`ip netns exec ${ns} /usr/bin/python3 ${script}`, 60_000).catch((e) => { console.error(server.output()); throw e; });
  t.match(r.stdout, /yiaddr=192\.168\.117\.86 siaddr=192\.168\.117\.10 file=pxelinux\.0 len=300 cookie=00000000/, `BOOTP reply: ${r.stdout.trim()}`);
  t.match(server.output(), /BOOTREPLY for 192\.168\.117\.86 to ae86/, 'server logged the BOOTP reply');
  server.kill('SIGTERM');
});

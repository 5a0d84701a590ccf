// iPXE, the network boot firmware, as a DHCP client: a qemu VM (TCG, Debian's ipxe-qemu
// ROM on a virtio NIC) on a tap in the server namespace's bridge boots from Triad. iPXE
// retransmits its DISCOVER with the same xid while it waits for a ProxyDHCP answer; each
// DISCOVER must be offered the same address, and the client must end with one lease. The
// boot file is an iPXE script (over HTTP from the server namespace) that prints what iPXE
// was given: address, router, DNS server, domain.

import t from 'tap';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { NetnsLab, sh, sleep, labPrerequisites } from './netns-lab.js';
import { parseLeaseFile } from '../../src/dhcp/lease-file.js';
import { formatIPv4 } from '../../src/config/dhcp-options.js';

const ROM = '/usr/lib/ipxe/qemu/pxe-virtio.rom';
const HTTP_PORT = 8080; // inside the test's own namespace

t.test('iPXE in qemu: retransmitted DISCOVERs get one address, one lease, and the options', { timeout: 150_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'qemu-system-x86_64', 'python3']))) return;
  if (!existsSync(ROM)) {
    t.fail(`${ROM} is missing (Debian's ipxe-qemu; test/install-deps.sh installs it)`);
    return;
  }
  const lab = new NetnsLab('tdx');
  t.teardown(() => lab.cleanup());
  await lab.setupServer('192.168.117.1/24');
  const ns = lab.serverNs;
  const mac = `52:54:00:${randomBytes(3).toString('hex').replace(/(..)(?!$)/g, '$1:')}`;
  // An OFFER without PXE options (no vendor class "PXEClient") leaves iPXE waiting for a
  // ProxyDHCP server; meanwhile its DISCOVER timer runs out and it sends the DISCOVER again
  // (same xid). Both must be offered the one address.
  const conf = lab.file(
    'dhcpd.conf',
    `authoritative;
ddns-update-style none;
default-lease-time 600;
option domain-name "cafe.babe";
option domain-name-servers 192.168.117.1;
subnet 192.168.117.0 netmask 255.255.255.0 {
  range 192.168.117.100 192.168.117.199;
  option routers 192.168.117.254;
  filename "http://192.168.117.1:${HTTP_PORT}/boot.ipxe";
}
`,
  );
  const www = path.join(lab.dir, 'www');
  await sh(`mkdir -p ${www}`);
  // One value a line: the console wraps at 80 columns.
  lab.file('www/boot.ipxe', '#!ipxe\necho IPXE-IP=${net0/ip}\necho IPXE-GW=${net0/gateway}\necho IPXE-DNS=${net0/dns}\necho IPXE-DOMAIN=${net0/domain}\necho IPXE-MAC=${net0/mac}\necho IPXE-END\n');
  lab.spawnIn(ns, 'python3', ['-m', 'http.server', String(HTTP_PORT), '--bind', '192.168.117.1', '--directory', www]);
  const leases = lab.file('dhcpd.leases');
  const server = await lab.startTriad(conf, leases, 'br0');
  // The tap joins the bridge after Triad has read br0's address: a bridge whose only port
  // has no carrier yet (until qemu opens the tap) is not RUNNING, and such interfaces are
  // not listed with their addresses.
  await sh(`ip -n ${ns} tuntap add tap0 mode tap && ip -n ${ns} link set tap0 master br0 && ip -n ${ns} link set tap0 up`);

  const serial = path.join(lab.dir, 'serial.log');
  // TCG: iPXE hangs under KVM on this kind of machine. disable-legacy=on: the ROM declares
  // the modern virtio-net PCI ID, which a transitional device does not match.
  const vm = lab.spawnIn(ns, 'qemu-system-x86_64', [
    '-nographic', '-vga', 'none', '-monitor', 'none', '-serial', `file:${serial}`,
    '-m', '64', '-no-reboot', '-boot', 'n',
    '-netdev', 'tap,id=n0,ifname=tap0,script=no,downscript=no',
    '-device', `virtio-net-pci,disable-legacy=on,netdev=n0,mac=${mac},romfile=${ROM}`,
  ]);
  const console = (): string => (existsSync(serial) ? readFileSync(serial, 'latin1') : '');
  const end = Date.now() + 90_000;
  while (!/IPXE-END/.test(console())) {
    if (vm.exitCode !== null || Date.now() > end) break;
    await sleep(500);
  }
  vm.kill('SIGKILL');
  const text = console();
  const value = (k: string): string | undefined => new RegExp(`IPXE-${k}=(\\S*)`).exec(text)?.[1];
  if (!t.ok(/IPXE-END/.test(text), 'iPXE ran the boot script')) t.comment(`console:\n${text.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '').slice(-1500)}\nqemu: ${vm.output()}`);
  const ip = value('IP') ?? '';
  t.match(ip, /^192\.168\.117\.1\d\d$/, `iPXE's address ${ip}`);
  t.equal(value('GW'), '192.168.117.254', 'router');
  t.equal(value('DNS'), '192.168.117.1', 'DNS server');
  t.equal(value('DOMAIN'), 'cafe.babe', 'domain name');
  t.equal(value('MAC'), mac, 'the VM\'s MAC');

  const log = server.output();
  const offers = [...log.matchAll(new RegExp(`DHCPOFFER on (\\S+) to ${mac}`, 'g'))].map((m) => m[1]);
  t.ok(offers.length >= 2, `iPXE sent its DISCOVER more than once (${offers.length} offers)`);
  t.same([...new Set(offers)], [ip], `every offer names ${ip}`);
  t.match(log, new RegExp(`DHCPACK on ${ip.replace(/\./g, '\\.')} to ${mac}`), 'the REQUEST for it is ACKed');
  const { leases: all } = parseLeaseFile(leases, readFileSync(leases, 'utf8'));
  const held = [...all.values()].filter((l) => l.state === 'active' && l.ends > Date.now() / 1000);
  t.same(held.map((l) => `${formatIPv4(l.ip)} ${l.hwAddr?.toString('hex')}`), [`${ip} ${mac.replace(/:/g, '')}`], 'one lease, for iPXE\'s address');
});

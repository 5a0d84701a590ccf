// proxyDHCP with a real network-boot firmware: a qemu VM (TCG, Debian's iPXE ROM on a
// virtio NIC) on a tap in the lab's bridge. ISC dhcpd, the lab's router, hands out the
// address and no boot options; Triad, in its own namespace on the same bridge, answers
// only the boot part with a proxy offer and serves the boot file, an iPXE script, over
// TFTP. The script prints what iPXE was given. (Debian's iPXE takes the file from the proxy
// offer itself and sends no request to port 4011; that exchange, as PXE ROMs make it, is
// tested in proxy.netns.test.ts.)

import t from 'tap';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { BIN_TRIAD } from '../helpers/paths.js';
import { NetnsLab, sh, sleep, labPrerequisites } from './netns-lab.js';

const ROM = '/usr/lib/ipxe/qemu/pxe-virtio.rom';

t.test('iPXE in qemu boots the file named by Triad\'s proxyDHCP beside ISC dhcpd', { timeout: 150_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'qemu-system-x86_64', 'dhcpd']))) return;
  if (!existsSync(ROM)) {
    t.fail(`${ROM} is missing (Debian's ipxe-qemu; test/install-deps.sh installs it)`);
    return;
  }
  const lab = new NetnsLab('tpq');
  t.teardown(() => lab.cleanup());
  await lab.setupServer('10.94.0.1/24');
  const ns = lab.serverNs;
  const triNs = await lab.addClient('tri');
  await sh(`ip -n ${triNs} addr add 10.94.0.2/24 dev eth0`);
  const mac = `52:54:00:${randomBytes(3).toString('hex').replace(/(..)(?!$)/g, '$1:')}`;

  const iscConf = lab.file('isc.conf', 'authoritative;\nddns-update-style none;\nsubnet 10.94.0.0 netmask 255.255.255.0 {\n  range 10.94.0.100 10.94.0.150;\n  option routers 10.94.0.1;\n}\n');
  const isc = lab.spawnIn(ns, 'dhcpd', ['-4', '-f', '-d', '-cf', iscConf, '-lf', lab.file('isc.leases', ''), '-pf', `${lab.dir}/isc.pid`, 'br0']);
  const until = Date.now() + 20_000;
  while (!/Sending on/.test(isc.output()) && isc.exitCode === null && Date.now() < until) await sleep(100);
  t.match(isc.output(), /Sending on/, 'ISC dhcpd serves the lab');

  const confDir = path.join(lab.dir, 'triad-conf');
  const root = path.join(lab.dir, 'tftproot');
  mkdirSync(confDir);
  mkdirSync(root);
  chmodSync(lab.dir, 0o755);
  chmodSync(root, 0o755);
  // One value a line: the console wraps at 80 columns.
  writeFileSync(path.join(root, 'proxy.ipxe'), '#!ipxe\necho PXE-IP=${net0/ip}\necho PXE-NEXT=${next-server}\necho PXE-FILE=${filename}\necho PXE-END\n', { mode: 0o644 });
  writeFileSync(path.join(confDir, 'pxe-proxy.conf'), 'dhcp-range=10.94.0.0,proxy\npxe-service=x86PC,"Network boot",proxy.ipxe\n');
  writeFileSync(path.join(confDir, 'tftpd-hpa'), `TFTP_USERNAME="tftp"\nTFTP_DIRECTORY="${root}"\nTFTP_ADDRESS=":69"\nTFTP_OPTIONS="--secure"\n`);
  const triad = lab.spawnIn(triNs, process.execPath, [BIN_TRIAD, 'run', '--conf-dir', confDir, '--data-dir', lab.dir]);
  const ready = Date.now() + 20_000;
  while (!/pxe proxy listening/.test(triad.output()) && triad.exitCode === null && Date.now() < ready) await sleep(100);
  t.match(triad.output(), /pxe proxy listening/, 'Triad answers PXE clients');

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
  while (!/PXE-END/.test(console())) {
    if (vm.exitCode !== null || Date.now() > end) break;
    await sleep(500);
  }
  vm.kill('SIGKILL'); // by the PID this test started
  const text = console();
  const value = (k: string): string | undefined => new RegExp(`PXE-${k}=(\\S*)`).exec(text)?.[1];
  if (!t.ok(/PXE-END/.test(text), 'iPXE fetched and ran the boot script named by the proxy')) {
    t.comment(`console:\n${text.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '').slice(-1500)}\nqemu: ${vm.output()}\ntriad: ${triad.output()}`);
  }
  t.match(value('IP') ?? '', /^10\.94\.0\.1\d\d$/, 'the address is dhcpd\'s');
  t.equal(value('NEXT'), '10.94.0.2', 'next-server: Triad');
  t.equal(value('FILE'), 'proxy.ipxe', 'the boot file: Triad\'s');
  t.match(triad.output(), new RegExp(`"client":"${mac}"[^\\n]*"msg":"pxe proxy offer"`), 'Triad sent the VM a proxy offer');
  t.match(isc.output(), new RegExp(`DHCPACK on 10\\.94\\.0\\.1\\d\\d to ${mac}`), 'dhcpd acknowledged the VM\'s address');
  triad.kill('SIGTERM');
});

// A real virtual machine network-boots from Triad. qemu-system-x86_64 (TCG: iPXE hangs
// under this kind of machine's KVM) with Debian's iPXE ROM on a virtio NIC, on a tap in
// the server namespace's bridge. Triad runs DHCP with the lab example's dhcpd.conf
// (conf/examples/pxe), TFTP and HTTP boot from one tftpd-hpa file. The chain:
//
//   1. the ROM's DHCP (vendor class PXEClient, user-class "iPXE")  -> iPXE-detected branch:
//      http://…/boot.ipxe, over HTTP
//   2. boot.ipxe asks again as PXE firmware does (a user class that is not "iPXE")
//                                                                    -> BIOS branch:
//      undionly.kpxe from next-server, fetched over TFTP (here a script standing in for it)
//   3. that script asks again as the iPXE it stands for (user-class "iPXE")
//                                                                    -> iPXE-detected branch
//      again, not undionly.kpxe: the loop is broken; boot.ipxe over HTTP, second stage
//   4. the second stage prints the marker on the serial console, which this test reads.
//
// Steps 2-4 are what a PXE-firmware machine does with undionly.kpxe; step 1 is how a VM
// whose NIC ROM is iPXE already starts. Each DHCP answer is printed by the scripts and
// checked here, with Triad's own log of what it served.

import t from 'tap';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { NetnsLab, sh, sleep, labPrerequisites, which } from '../dhcp/netns-lab.js';
import { REPO_ROOT } from '../helpers/paths.js';

const ROM = '/usr/lib/ipxe/qemu/pxe-virtio.rom';
const NET = '192.168.119.';
const SERVER = `${NET}1`;

t.test('a qemu VM boots: DHCP, a script by TFTP, a script by HTTP, the iPXE class breaking the loop', { timeout: 150_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'qemu-system-x86_64']))) return;
  if (!(await which('qemu-system-x86_64'))) return; // failed above, with the reason
  if (!existsSync(ROM)) {
    t.fail(`${ROM} is missing (Debian's ipxe-qemu; test/install-deps.sh installs it)`);
    return;
  }
  const lab = new NetnsLab('tnb');
  t.teardown(() => lab.cleanup());
  await lab.setupServer(`${SERVER}/24`);
  const ns = lab.serverNs;
  const mac = `52:54:00:${randomBytes(3).toString('hex').replace(/(..)(?!$)/g, '$1:')}`;

  // The lab example as it is, on this test's link.
  const example = readFileSync(path.join(REPO_ROOT, 'conf/examples/pxe/dhcpd.conf'), 'utf8').replaceAll('192.168.50.', NET);
  const conf = lab.file('dhcpd.conf', example);
  const root = path.join(lab.dir, 'root');
  mkdirSync(root, { mode: 0o755 });
  mkdirSync(path.join(lab.dir, 'confdir'));
  lab.file('confdir/tftpd-hpa', `TFTP_USERNAME="tftp"\nTFTP_DIRECTORY="${root}"\nTFTP_ADDRESS="${SERVER}:69"\nTFTP_OPTIONS="--secure"\nTRIAD_HTTP_ADDRESS="${SERVER}:8080"\n`);
  // One value a line: the console wraps at 80 columns. `ifconf -c dhcp` skips the wait
  // for an IPv6 router that plain `dhcp` does.
  writeFileSync(
    path.join(root, 'boot.ipxe'),
    `#!ipxe
isset \${nb-stage} && goto second ||
echo NB1-FILE=\${filename}
set nb-stage firmware
set user-class PXE-firmware
ifconf -c dhcp net0 || goto failed
echo NB2-FILE=\${filename}
echo NB2-NEXT=\${next-server}
chain tftp://\${next-server}/\${filename} || goto failed
:second
echo NB-SECOND-STAGE=\${nb-stage}
echo NB-IP=\${net0/ip}
echo NB-END-OK
exit
:failed
echo NB-END-FAILED
`,
    { mode: 0o644 },
  );
  writeFileSync(
    path.join(root, 'undionly.kpxe'),
    `#!ipxe
echo NB-TFTP-SCRIPT
clear user-class
ifconf -c dhcp net0 || goto failed
echo NB3-FILE=\${filename}
set nb-stage ipxe
chain \${filename} || goto failed
:failed
echo NB-END-FAILED
`,
    { mode: 0o644 },
  );

  const leases = lab.file('dhcpd.leases');
  const server = await lab.startTriad(conf, leases, 'br0');
  const end0 = Date.now() + 15_000;
  while (!(server.output().includes('tftp: serving') && server.output().includes('httpboot: serving'))) {
    if (Date.now() > end0 || server.exitCode !== null) break;
    await sleep(100);
  }
  if (!t.ok(server.output().includes('tftp: serving') && server.output().includes('httpboot: serving'), 'Triad serves TFTP and HTTP')) {
    t.comment(server.output());
    return;
  }
  // The tap joins the bridge after Triad has read br0's address (see test/dhcp/ipxe.netns.test.ts).
  await sh(`ip -n ${ns} tuntap add tap0 mode tap && ip -n ${ns} link set tap0 master br0 && ip -n ${ns} link set tap0 up`);

  const serial = path.join(lab.dir, 'serial.log');
  // disable-legacy=on: the ROM declares the modern virtio-net PCI ID; -nographic sends
  // iPXE's text to the serial file.
  const vm = lab.spawnIn(ns, 'qemu-system-x86_64', [
    '-nographic', '-vga', 'none', '-monitor', 'none', '-serial', `file:${serial}`,
    '-m', '64', '-no-reboot', '-boot', 'n',
    '-netdev', 'tap,id=n0,ifname=tap0,script=no,downscript=no',
    '-device', `virtio-net-pci,disable-legacy=on,netdev=n0,mac=${mac},romfile=${ROM}`,
  ]);
  const console = (): string => (existsSync(serial) ? readFileSync(serial, 'latin1').replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '') : '');
  const end = Date.now() + 100_000;
  while (!/NB-END-(OK|FAILED)/.test(console())) {
    if (vm.exitCode !== null || Date.now() > end) break;
    await sleep(500);
  }
  vm.kill('SIGKILL');
  const text = console();
  const value = (k: string): string | undefined => new RegExp(`${k}=(\\S*)`).exec(text)?.[1];
  if (!t.match(text, /NB-END-OK/, 'the VM reached the second-stage script and printed the marker')) {
    t.comment(`console:\n${text.slice(-2500)}\nqemu: ${vm.output()}\ntriad:\n${server.output().slice(-3000)}`);
  }
  const http = `http://${SERVER}:8080/boot.ipxe`;
  t.equal(value('NB1-FILE'), http, "the ROM's DHCP (user-class iPXE): the script over HTTP");
  t.equal(value('NB2-FILE'), 'undionly.kpxe', 'asked as BIOS PXE firmware: undionly.kpxe');
  t.equal(value('NB2-NEXT'), SERVER, 'from next-server');
  t.match(text, /NB-TFTP-SCRIPT/, 'the file came by TFTP and ran');
  t.equal(value('NB3-FILE'), http, 'asked again as iPXE: the script, not undionly.kpxe again (the loop is broken)');
  t.equal(value('NB-SECOND-STAGE'), 'ipxe', 'the script chained over HTTP ran its second stage');
  t.match(value('NB-IP') ?? '', new RegExp(`^${NET.replace(/\./g, '\\.')}1\\d\\d$`), 'with an address from the pool');

  const log = server.output();
  t.match(log, /"file":"undionly\.kpxe"[^\n]*"msg":"tftp: sent"|"msg":"tftp: sent"[^\n]*"file":"undionly\.kpxe"/, 'Triad sent undionly.kpxe by TFTP');
  t.equal((log.match(/httpboot: GET \/boot\.ipxe: 200/g) ?? []).length, 2, 'Triad served boot.ipxe over HTTP twice');
  t.ok((log.match(new RegExp(`DHCPACK on ${NET.replace(/\./g, '\\.')}\\d+ to ${mac}`, 'g')) ?? []).length >= 3, 'three DHCP exchanges were acknowledged');
});

// proxyDHCP in namespaces: ISC dhcpd (the lab's router) hands out the address, Triad
// answers only the boot part. A PXE-like client (pxe-client.ts, Triad's DHCP codec over
// a real socket in its own namespace) must see both offers, take the address from
// dhcpd, get the boot file from Triad's port 4011, and fetch that file over Triad's TFTP
// byte-identical; an ordinary client gets no proxy offer.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { BIN_TRIAD, REPO_ROOT } from '../helpers/paths.js';
import { NetnsLab, labPrerequisites, sh, sleep } from './netns-lab.js';

async function waitFor(what: string, cond: () => boolean, out: () => string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${out()}`);
    await sleep(100);
  }
}

interface Seen {
  type: number;
  yiaddr: string;
  siaddr: string;
  serverId: string;
  vendor: string;
  file: string;
  option43: number[];
  guid: number[];
}

t.test('proxyDHCP beside ISC dhcpd', { timeout: 120_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'dhcpd', 'tftp']))) return;
  const lab = new NetnsLab('tpx');
  t.teardown(() => lab.cleanup());
  // The router: ISC dhcpd on the bridge, no boot options of its own.
  await lab.setupServer('10.93.0.1/24');
  const triNs = await lab.addClient('tri');
  await sh(`ip -n ${triNs} addr add 10.93.0.2/24 dev eth0`);
  const cliNs = await lab.addClient('cli');

  const iscConf = lab.file('isc.conf', 'authoritative;\nsubnet 10.93.0.0 netmask 255.255.255.0 {\n  range 10.93.0.100 10.93.0.150;\n  option routers 10.93.0.1;\n}\n');
  const leases = lab.file('isc.leases', '');
  const isc = lab.spawnIn(lab.serverNs, 'dhcpd', ['-4', '-f', '-d', '-cf', iscConf, '-lf', leases, '-pf', `${lab.dir}/isc.pid`, 'br0']);
  await waitFor('dhcpd start', () => /Sending on/.test(isc.output()) || isc.exitCode !== null, isc.output);
  t.match(isc.output(), /Sending on/, 'ISC dhcpd serves the lab');

  const confDir = path.join(lab.dir, 'triad-conf');
  const root = path.join(lab.dir, 'tftproot');
  mkdirSync(confDir);
  mkdirSync(root);
  chmodSync(lab.dir, 0o755);
  chmodSync(root, 0o755);
  const loader = randomBytes(70_000);
  writeFileSync(path.join(root, 'undionly.kpxe'), loader, { mode: 0o644 });
  writeFileSync(path.join(confDir, 'pxe-proxy.conf'), '# the router hands out addresses; Triad only the boot file\ndhcp-range=10.93.0.0,proxy,255.255.255.0\npxe-service=x86PC,"Network boot",undionly.kpxe\npxe-service=X86-64_EFI,"UEFI",ipxe.efi\n');
  writeFileSync(path.join(confDir, 'tftpd-hpa'), `TFTP_USERNAME="tftp"\nTFTP_DIRECTORY="${root}"\nTFTP_ADDRESS=":69"\nTFTP_OPTIONS="--secure"\n`);
  const triad = lab.spawnIn(triNs, process.execPath, [BIN_TRIAD, 'run', '--conf-dir', confDir, '--data-dir', lab.dir]);
  await waitFor('Triad proxyDHCP', () => /pxe proxy listening/.test(triad.output()) || triad.exitCode !== null, triad.output);
  t.match(triad.output(), /pxe proxy listening/, 'Triad answers PXE clients on eth0');

  type ClientRun = { offers: Seen[]; ack?: Seen; bootAck?: Seen; plainOffers: Seen[] };
  const pxeClient = async (): Promise<ClientRun> => {
    // No address (the kernel drops the device's routes with its last address): a device
    // route lets the client broadcast from 0.0.0.0.
    await sh(`ip -n ${cliNs} addr flush dev eth0 && ip -n ${cliNs} route replace default dev eth0`);
    const client = await sh(`ip netns exec ${cliNs} ${process.execPath} ${path.join(REPO_ROOT, 'dist', 'test', 'dhcp', 'pxe-client.js')} eth0`, 60_000);
    return JSON.parse(client.stdout.trim().split('\n').pop() ?? '{}') as ClientRun;
  };
  const r = await pxeClient();
  const fromIsc = r.offers.find((o) => o.serverId === '10.93.0.1');
  const fromTriad = r.offers.find((o) => o.serverId === '10.93.0.2');
  t.ok(fromIsc && /^10\.93\.0\.1\d\d$/.test(fromIsc.yiaddr), `dhcpd offers an address (${JSON.stringify(fromIsc)})`);
  t.ok(fromTriad, `Triad sends a proxy offer (${JSON.stringify(r.offers)}\n${triad.output()})`);
  if (fromTriad) {
    t.equal(fromTriad.yiaddr, '0.0.0.0', 'the proxy offer carries no address');
    t.equal(fromTriad.vendor, 'PXEClient');
    t.equal(fromTriad.file, 'undionly.kpxe', 'the BIOS boot file');
    t.equal(fromTriad.siaddr, '10.93.0.2', 'next-server: Triad');
    t.same(fromTriad.option43, [6, 1, 8, 255], 'PXE vendor options: boot the file named here');
    t.equal(fromTriad.guid.length, 17, 'the client GUID comes back');
  }
  t.ok(r.ack && r.ack.serverId === '10.93.0.1', `the address is acknowledged by dhcpd (${JSON.stringify(r.ack)})`);
  t.ok(r.bootAck, 'port 4011 answers the boot-server request');
  if (r.bootAck) {
    t.equal(r.bootAck.type, 5, 'a DHCPACK');
    t.equal(r.bootAck.file, 'undionly.kpxe');
    t.equal(r.bootAck.yiaddr, '0.0.0.0');
  }
  t.same(r.plainOffers.map((o) => o.serverId), ['10.93.0.1'], 'an ordinary client hears only dhcpd');
  t.notMatch(isc.output(), /DHCPOFFER on 0\.0\.0\.0/, 'dhcpd is not confused by the proxy');

  // The boot file named by the proxy, fetched from next-server as the ROM would.
  const out = path.join(lab.dir, 'fetched');
  await sh(`cd ${lab.dir} && ip netns exec ${cliNs} tftp ${fromTriad?.siaddr ?? '10.93.0.2'} -m binary -c get ${r.bootAck?.file ?? 'undionly.kpxe'} ${out}`, 30_000);
  t.ok(readFileSync(out).equals(loader), 'the boot file arrives byte-identical over Triad\'s TFTP');
  t.match(triad.output(), /pxe proxy offer/, 'Triad logs the offer');
  const ctl = JSON.parse((await sh(`${process.execPath} ${BIN_TRIAD} ctl --data-dir ${lab.dir} pxe-proxy --json`)).stdout) as { interfaces: string[]; offers: number; acks: number; ignored: number };
  t.same(ctl.interfaces, ['eth0'], 'ctl pxe-proxy: the interface answered');
  t.ok(ctl.offers >= 1 && ctl.acks === 1, `ctl pxe-proxy counts offers and acks: ${JSON.stringify(ctl)}`);
  t.ok(ctl.ignored >= 1, 'and the ordinary client it did not answer');

  // A broken file on reload: the running settings stay; a good one takes effect.
  const proxyConf = path.join(confDir, 'pxe-proxy.conf');
  const good = readFileSync(proxyConf, 'utf8');
  writeFileSync(proxyConf, 'dhcp-range=10.93.0.0,proxy\npxe-service=Amiga,"x",a.0\n');
  triad.kill('SIGHUP');
  await waitFor('the refused reload', () => /pxe-proxy: reload failed; keeping the running configuration/.test(triad.output()), triad.output);
  t.match(triad.output(), /pxe-proxy\.conf:2:13: error: Amiga: a client architecture is expected/, 'the mistake at file:line:col');
  const still = await pxeClient();
  t.equal(still.bootAck?.file, 'undionly.kpxe', 'the previous boot file is still offered');
  writeFileSync(proxyConf, good.replace('undionly.kpxe', 'snponly.efi'));
  const reloads = (triad.output().match(/"service":"pxe-proxy"[^\n]*"msg":"reloaded"/g) ?? []).length;
  triad.kill('SIGHUP');
  await waitFor('the reload', () => (triad.output().match(/"service":"pxe-proxy"[^\n]*"msg":"reloaded"/g) ?? []).length > reloads, triad.output);
  const fixed = await pxeClient();
  t.equal(fixed.offers.find((o) => o.serverId === '10.93.0.2')?.file, 'snponly.efi', 'the new file is offered after a good reload');

  triad.kill('SIGTERM');
  await new Promise((res) => (triad.exitCode !== null ? res(undefined) : triad.once('exit', res)));
});

// Moving from ISC dhcpd: a lease file written by the real dhcpd 4.4 loads into Triad, which
// lists the lease and gives the client the same address; then ISC reads Triad's file back.

import t from 'tap';
import { readFileSync } from 'node:fs';
import { NetnsLab, sh, sleep, which, labPrerequisites } from './netns-lab.js';
import { BIN_TRIAD } from '../helpers/paths.js';

t.test('ISC dhcpd lease file → Triad → ISC dhcpd', { timeout: 180_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'busybox', 'dhcpd']))) return;
  const lab = new NetnsLab('tdi');
  t.teardown(() => lab.cleanup());
  await lab.setupServer('192.168.117.1/24');
  // ISC's range starts at .150, Triad's at .100: a fresh client would get .100 from Triad,
  // so getting ISC's address proves the lease was read.
  const confFor = (first: number): string =>
    `authoritative;\ndefault-lease-time 3600;\nsubnet 192.168.117.0 netmask 255.255.255.0 {\n  range 192.168.117.${first} 192.168.117.199;\n  option routers 192.168.117.254;\n}\n`;
  const conf = lab.file('isc.conf', confFor(150));
  const triadConf = lab.file('triad.conf', confFor(100));
  const leases = lab.file('dhcpd.leases', '');
  const cl = await lab.addClient('c', '02:00:00:00:55:01');
  const udhcpc = (out: string): Promise<unknown> =>
    sh(`UDHCPC_OUT=${lab.dir}/${out} ip netns exec ${cl} busybox udhcpc -i eth0 -f -q -n -t 5 -T 2 -s ${lab.udhcpcScript()} -x hostname:migrant 2>&1`, 60_000);

  // 1. ISC dhcpd hands out a lease.
  const isc = lab.spawnIn(lab.serverNs, 'dhcpd', ['-4', '-f', '-d', '-cf', conf, '-lf', leases, '-pf', `${lab.dir}/isc.pid`, 'br0']);
  await sleep(1500);
  await udhcpc('isc.out');
  const iscIp = /ip=(\S+)/.exec(lab.read('isc.out'))?.[1];
  t.equal(iscIp, '192.168.117.150', `ISC dhcpd leased ${iscIp}`);
  isc.kill('SIGTERM');
  await new Promise((r) => (isc.exitCode !== null ? r(null) : isc.once('exit', r)));
  t.match(readFileSync(leases, 'utf8'), /written by isc-dhcp-4/, 'the lease file was written by ISC dhcpd');

  // 2. Triad loads it.
  const listed = (await sh(`${process.execPath} ${BIN_TRIAD} leases --leases ${leases}`)).stdout;
  t.match(listed, new RegExp(`^${(iscIp ?? 'x').replace(/\./g, '\\.')} +02:00:00:00:55:01 +migrant `, 'm'), 'triad leases lists the ISC lease with MAC and hostname');
  const triad = await lab.startTriad(triadConf, leases, 'br0');
  await udhcpc('triad.out');
  t.equal(/ip=(\S+)/.exec(lab.read('triad.out'))?.[1], iscIp, 'Triad gives the client its ISC address');
  triad.kill('SIGTERM');
  await new Promise((r) => (triad.exitCode !== null ? r(null) : triad.once('exit', r)));

  // 3. And back: ISC dhcpd accepts Triad's file (dhcpd -T checks a lease file) and serves from it.
  const check = await sh(`dhcpd -4 -T -cf ${triadConf} -lf ${leases} 2>&1; echo rc=$?`);
  t.match(check.stdout, /rc=0/, `dhcpd -T accepts Triad's lease file`);
  const isc2 = lab.spawnIn(lab.serverNs, 'dhcpd', ['-4', '-f', '-d', '-cf', triadConf, '-lf', leases, '-pf', `${lab.dir}/isc2.pid`, 'br0']);
  await sleep(1500);
  await udhcpc('isc2.out');
  t.equal(/ip=(\S+)/.exec(lab.read('isc2.out'))?.[1], iscIp, 'ISC dhcpd, reading Triad\'s file, gives the same address');
  isc2.kill('SIGTERM');
});

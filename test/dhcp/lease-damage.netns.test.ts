// Triad started on a lease file damaged on disk (garbage in the middle, a record cut
// short at the end): it serves, keeps every intact lease (`triad leases` lists them),
// reports the damage with file:line and keeps the damaged file aside; a new client
// still gets a lease and the intact ones stay.

import t from 'tap';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NetnsLab, sh, labPrerequisites } from './netns-lab.js';
import { formatLease, LEASE_FILE_HEADER, parseLeaseFile } from '../../src/dhcp/lease-file.js';
import { parseIPv4 } from '../../src/config/dhcp-options.js';
import { BIN_TRIAD } from '../helpers/paths.js';

t.test('a damaged lease file: intact leases kept and listed, damage reported, damaged copy aside', { timeout: 90_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'busybox']))) return;
  const lab = new NetnsLab('tld');
  t.teardown(() => lab.cleanup());
  await lab.setupServer('10.78.0.1/16');
  const conf = lab.file('dhcpd.conf', 'authoritative;\ndefault-lease-time 3600;\nsubnet 10.78.0.0 netmask 255.255.0.0 {\n  range 10.78.1.0 10.78.1.200;\n}\n');
  const now = Math.floor(Date.now() / 1000);
  const lease = (ip: string, mac: string, name: string): string =>
    formatLease({ ip: parseIPv4(ip) ?? 0, starts: now - 60, ends: now + 3000, cltt: now - 60, state: 'active', hwType: 1, hwAddr: Buffer.from(mac, 'hex'), hostname: name });
  const intact = [lease('10.78.1.50', '02aa00000001', 'one'), lease('10.78.1.51', '02aa00000002', 'two'), lease('10.78.1.52', '02aa00000003', 'three')];
  const torn = lease('10.78.1.53', '02aa00000004', 'four');
  const text = LEASE_FILE_HEADER + intact[0] + '\x00\x00\xff\xfe"garbage { from a bad sector\n' + intact[1] + intact[2] + torn.slice(0, torn.length / 2);
  const leases = lab.file('dhcpd.leases');
  writeFileSync(leases, text, 'latin1');
  const garbageLine = (LEASE_FILE_HEADER + intact[0]).split('\n').length;
  const tornLine = (LEASE_FILE_HEADER + intact[0] + '\n' + intact[1] + intact[2]).split('\n').length;

  const server = await lab.startTriad(conf, leases, 'br0');
  const out = server.output();
  t.match(out, new RegExp(`${leases.replace(/[.]/g, '\\.')}:${garbageLine}:\\d+`), 'the garbage is reported with file:line');
  t.match(out, new RegExp(`${leases.replace(/[.]/g, '\\.')}:${tornLine}:\\d+: error: lease 10\\.78\\.1\\.53: record cut short`), 'the torn record too');
  const aside = readdirSync(lab.dir).filter((f) => f.startsWith('dhcpd.leases.damaged-'));
  t.equal(aside.length, 1, 'the damaged file is kept aside');
  t.equal(readFileSync(path.join(lab.dir, aside[0] ?? 'none'), 'latin1'), text, 'untouched');

  const listed = (await sh(`${process.execPath} ${BIN_TRIAD} leases --leases ${leases}`)).stdout;
  for (const ip of ['10.78.1.50', '10.78.1.51', '10.78.1.52']) t.match(listed, new RegExp(`^${ip.replace(/\./g, '\\.')}\\s`, 'm'), `${ip} listed`);
  t.notMatch(listed, /10\.78\.1\.53/, 'the torn record is not');

  // A client still gets a lease; the intact ones stay on disk.
  const ns = await lab.addClient('c');
  const got = await sh(`ip netns exec ${ns} busybox udhcpc -i eth0 -f -q -n -t 4 -T 1 -s /bin/true 2>&1`);
  t.match(got.stdout + got.stderr, /lease of 10\.78\.1\.\d+ obtained/, 'a new client is served');
  const after = parseLeaseFile(leases, readFileSync(leases, 'latin1'));
  t.notOk(after.damaged, 'the file is clean again');
  for (const ip of ['10.78.1.50', '10.78.1.51', '10.78.1.52']) t.ok(after.leases.has(parseIPv4(ip) ?? 0), `${ip} still in the file`);
  t.ok(after.leases.size >= 4, 'with the new lease');
  server.kill('SIGTERM');
});

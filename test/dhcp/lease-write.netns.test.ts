// A lease Triad cannot write is never acknowledged: with the lease file at its size limit
// (the soft limit of prlimit --fsize, set on the running server), a client's REQUEST gets
// no DHCPACK and the lease is not in memory; once the file can grow again the client gets
// its lease, which is in the lease file even after kill -9.

import t from 'tap';
import { readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { NetnsLab, sh, sleep, labPrerequisites } from './netns-lab.js';
import { parseLeaseFile } from '../../src/dhcp/lease-file.js';
import { formatIPv4 } from '../../src/config/dhcp-options.js';
import { BIN_TRIAD } from '../helpers/paths.js';

t.test('a lease write that fails: no DHCPACK, nothing in memory; a written one survives kill -9', { timeout: 120_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'busybox', 'prlimit']))) return;
  const lab = new NetnsLab('tdw');
  t.teardown(() => lab.cleanup());
  await lab.setupServer('10.78.0.1/24');
  const conf = lab.file('dhcpd.conf', 'authoritative;\ndefault-lease-time 600;\nsubnet 10.78.0.0 netmask 255.255.255.0 {\n  range 10.78.0.100 10.78.0.120;\n}\n');
  const leases = lab.file('dhcpd.leases');
  const server = await lab.startTriad(conf, leases, 'br0');
  const ns = await lab.addClient('c', '02:00:00:00:78:01');
  const script = lab.udhcpcScript();
  const ctl = (...args: string[]) => spawnSync(process.execPath, [BIN_TRIAD, 'ctl', ...args, '--data-dir', lab.dir], { encoding: 'utf8' });
  const udhcpc = async (out: string): Promise<string> => {
    await sh(`ip netns exec ${ns} env UDHCPC_OUT=${out} busybox udhcpc -i eth0 -f -q -n -t 3 -T 1 -s ${script} >/dev/null 2>&1 || true`, 60_000);
    return lab.read(out.split('/').pop()!);
  };

  // Let the startup rewrite of the lease file finish, then forbid it to grow.
  await sleep(1000);
  const size = statSync(leases).size;
  await sh(`prlimit --pid ${server.pid} --fsize=${size}:`);
  const first = await udhcpc(lab.file('first.out'));
  t.notMatch(first, /bound/, 'the client got no lease');
  t.match(server.output(), /lease write failed; reply not sent/, 'the server says why it did not answer');
  const stats = JSON.parse(ctl('dhcp', 'stats', '--json').stdout) as { acks: number; received: number; leaseWriteErrors: number };
  t.ok(stats.received >= 2, `the DISCOVER and REQUEST arrived (${stats.received} received)`);
  t.equal(stats.acks, 0, 'no DHCPACK was sent');
  t.ok(stats.leaseWriteErrors >= 1, `the failed writes are counted (${stats.leaseWriteErrors})`);
  const rows = JSON.parse(ctl('dhcp', 'leases', '--all', '--json').stdout) as { ip: string }[];
  t.same(rows, [], 'no lease in memory');
  t.equal(statSync(leases).size, size, 'the lease file is as it was');

  // The file may grow again: the client is answered, and its lease is on disk before the ACK.
  await sh(`prlimit --pid ${server.pid} --fsize=unlimited:`);
  const second = await udhcpc(lab.file('second.out'));
  const m = /bound ip=(\S+)/.exec(second);
  t.ok(m, `the client got a lease once the file could grow (${second.trim()})`);
  server.kill('SIGKILL');
  await new Promise((r) => (server.exitCode !== null || server.signalCode !== null ? r(undefined) : server.once('exit', r)));
  const { leases: onDisk, sink } = parseLeaseFile(leases, readFileSync(leases, 'utf8'));
  t.same(sink.errors, [], 'the lease file has no torn record');
  const l = [...onDisk.values()].find((x) => m && formatIPv4(x.ip) === m[1]);
  t.equal(l?.state, 'active', `the acknowledged lease ${m?.[1]} is in the file after kill -9`);
  t.equal(l?.hwAddr?.toString('hex'), '020000007801');
});

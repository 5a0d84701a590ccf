// Two Triads paired from ISC `failover peer` blocks (split 128 → load-balancing), in
// network namespaces, with perfdhcp's clients broadcasting to both: both servers answer
// (each its hash scope, each from its half of the pool), no address is held by two clients
// in either lease file, and both lease files know every lease. When one dies (kill -9) the
// other takes over in partner-down; restarted, the dead one syncs and they balance again.

import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NetnsLab, sh, sleep, labPrerequisites } from '../netns-lab.js';
import { parseLeaseFile } from '../../../src/dhcp/lease-file.js';
import { BIN_TRIAD } from '../../helpers/paths.js';
import { pollFor as waitFor } from '../../helpers/tools.js';

const TOOLS = ['ip', 'perfdhcp', 'curl'];

/** Active leases of a lease file: address → MAC. */
function active(file: string): Map<number, string> {
  const { leases } = parseLeaseFile(file, readFileSync(file, 'utf8'));
  const now = Date.now() / 1000;
  const out = new Map<number, string>();
  for (const l of leases.values()) if (l.state === 'active' && l.ends > now) out.set(l.ip, l.hwAddr?.toString('hex') ?? '');
  return out;
}

/** No client holds two addresses and no address two clients (one record per address by construction). */
function duplicates(m: Map<number, string>): string[] {
  const seen = new Map<string, number>();
  const dup: string[] = [];
  for (const [ip, mac] of m) {
    if (seen.has(mac)) dup.push(`${mac} holds ${seen.get(mac)} and ${ip}`);
    seen.set(mac, ip);
  }
  return dup;
}

t.test('two Triads in load-balancing from failover peer blocks', { timeout: 300_000 }, async (t) => {
  if (!(await labPrerequisites(t, TOOLS))) return;
  const lab = new NetnsLab('ttp');
  t.teardown(() => lab.cleanup());
  await lab.setupServer('10.79.0.1/24');
  const bNs = await lab.addClient('b', '02:00:00:00:79:02');
  await sh(`ip -n ${bNs} addr add 10.79.0.2/24 dev eth0`);
  const pfNs = await lab.addClient('pf', '02:00:00:00:79:50');
  await sh(`ip -n ${pfNs} addr add 10.79.0.50/24 dev eth0`);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const subnet = 'subnet 10.79.0.0 netmask 255.255.255.0 {\n  pool {\n    failover peer "lab";\n    range 10.79.0.100 10.79.0.250;\n  }\n}\n';
  const confA = lab.file('a.conf', `authoritative;\ndefault-lease-time 600;\nfailover peer "lab" {\n  primary;\n  address 10.79.0.1; port ${port};\n  peer address 10.79.0.2; peer port ${port};\n  max-response-delay 3;\n  mclt 600;\n  split 128;\n  load balance max seconds 3;\n}\n${subnet}`);
  const confB = lab.file('b.conf', `authoritative;\ndefault-lease-time 600;\nfailover peer "lab" {\n  secondary;\n  address 10.79.0.2; port ${port};\n  peer address 10.79.0.1; peer port ${port};\n  max-response-delay 3;\n  load balance max seconds 3;\n}\n${subnet}`);
  const check = await sh(`${process.execPath} ${BIN_TRIAD} check --conf-dir ${lab.dir}/none --dhcpd-conf ${confB}`).catch((e: { stdout: string; stderr: string }) => e);
  t.match(check.stdout, /dhcp HA: lab-secondary in load-balancing with lab-primary \(primary, http:\/\/10\.79\.0\.1:\d+\/\)/, 'triad check prints the pair');

  const leasesA = lab.file('a.leases');
  const leasesB = path.join(lab.dir, 'b', 'b.leases');
  const a = await lab.startTriad(confA, leasesA, 'br0');
  const startB = async () => {
    await sh(`mkdir -p ${lab.dir}/b/conf`);
    const b = lab.spawnIn(bNs, process.execPath, [BIN_TRIAD, 'run', '--conf-dir', `${lab.dir}/b/conf`, '--data-dir', `${lab.dir}/b`, '--dhcpd-conf', confB, '--leases', leasesB, '--interfaces', 'eth0']);
    await waitFor('the second Triad serving', async () => (b.output().includes('dhcp serving') ? true : undefined), 20_000, () => b.output());
    return b;
  };
  let b = await startB();
  const state = async (ip: string): Promise<string | undefined> => {
    const r = await sh(`ip netns exec ${pfNs} curl -s -m 2 -X POST -d '{"command":"ha-heartbeat"}' http://${ip}:${port}/`);
    return /"state":"([a-z-]+)"/.exec(r.stdout)?.[1];
  };
  const logs = (): string => `--- a\n${a.output().slice(-3000)}\n--- b\n${b.output().slice(-3000)}`;
  await waitFor('both in load-balancing', async () => ((await state('10.79.0.1')) === 'load-balancing' && (await state('10.79.0.2')) === 'load-balancing' ? true : undefined), 60_000, logs);

  // perfdhcp relays (giaddr 10.79.0.50) to the broadcast address: both servers see every client.
  const perf = async (clients: number, base: string): Promise<string> =>
    (await sh(`ip netns exec ${pfNs} perfdhcp -4 -l eth0 -r 20 -R ${clients} -n ${clients} -p 20 -b mac=${base} -W 2000000 2>&1; true`, 60_000)).stdout;
  const out1 = await perf(60, '02:aa:00:00:00:00');
  await sleep(500);
  const la = active(leasesA);
  const lb = active(leasesB);
  if (!t.ok(la.size >= 30, `a good share of perfdhcp's clients got leases (${la.size})`)) t.comment(out1);
  t.same([...la.keys()].sort(), [...lb.keys()].sort(), 'both lease files know every lease');
  const even = [...la.keys()].filter((ip) => (ip & 1) === 0).length;
  t.ok(even > 0 && even < la.size, `both servers answered (${even} even from the primary, ${la.size - even} odd from the secondary)`);
  t.same(duplicates(la), [], 'no client holds two addresses (primary\'s file)');
  t.same(duplicates(lb), [], 'no client holds two addresses (secondary\'s file)');

  // The secondary dies in the middle of a run; the primary takes over all clients.
  const before = new Map(la);
  const run = perf(60, '02:bb:00:00:00:00');
  await sleep(1500);
  b.kill('SIGKILL');
  await waitFor('the primary in partner-down', async () => ((await state('10.79.0.1')) === 'partner-down' ? true : undefined), 30_000, logs);
  await run;
  await sleep(500);
  const la2 = active(leasesA);
  for (const [ip, mac] of before) if (la2.get(ip) !== mac) t.fail(`the lease of ${ip} changed hands`);
  t.ok(la2.size > la.size, `the primary served the run's clients (${la2.size - la.size})`);
  t.same(duplicates(la2), [], 'no duplicates in the primary\'s file');

  // Back again: the secondary syncs, both balance again, and its file knows what happened meanwhile.
  b = await startB();
  await waitFor('both in load-balancing again', async () => ((await state('10.79.0.1')) === 'load-balancing' && (await state('10.79.0.2')) === 'load-balancing' ? true : undefined), 60_000, logs);
  const lb2 = active(leasesB);
  t.same([...lb2.keys()].sort(), [...la2.keys()].sort(), 'the secondary synced every lease');
});

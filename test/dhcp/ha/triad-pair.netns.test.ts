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
import { parseIPv4 } from '../../../src/wire/ipv4.js';
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

/** The ACKs in tcpdump -v output: [address, MAC] in the order they were sent. */
function acks(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const block of text.split(/\n(?=\d\d:\d\d:\d\d\.)/)) {
    if (!/DHCP-Message \(53\), length 1: ACK/.test(block)) continue;
    const ip = /Your-IP (\S+)/.exec(block)?.[1];
    const mac = /Client-Ethernet-Address (\S+)/.exec(block)?.[1];
    if (ip && mac) out.push([ip, mac.replace(/:/g, '')]);
  }
  return out;
}

/** Addresses two running servers' lease files give to different clients. */
function conflicts(x: Map<number, string>, y: Map<number, string>): string[] {
  const out: string[] = [];
  for (const [ip, mac] of x) {
    const other = y.get(ip);
    if (other !== undefined && other !== mac) out.push(`${ip}: ${mac} / ${other}`);
  }
  return out;
}

t.test('1,000 clients over a load-balancing pair; kill -9 of one in the run and its restart', { timeout: 300_000 }, async (t) => {
  if (!(await labPrerequisites(t, [...TOOLS, 'tcpdump']))) return;
  const lab = new NetnsLab('ttk');
  t.teardown(() => lab.cleanup());
  await lab.setupServer('10.83.0.1/21');
  const bNs = await lab.addClient('b', '02:00:00:00:83:02');
  await sh(`ip -n ${bNs} addr add 10.83.0.2/21 dev eth0`);
  const pfNs = await lab.addClient('pf', '02:00:00:00:83:50');
  await sh(`ip -n ${pfNs} addr add 10.83.0.50/21 dev eth0`);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const subnet = 'subnet 10.83.0.0 netmask 255.255.248.0 {\n  pool {\n    failover peer "big";\n    range 10.83.1.0 10.83.7.250;\n  }\n}\n';
  const peer = (me: string, other: string, primary: boolean): string =>
    `authoritative;\ndefault-lease-time 600;\nfailover peer "big" {\n  ${primary ? 'primary' : 'secondary'};\n  address ${me}; port ${port};\n  peer address ${other}; peer port ${port};\n  max-response-delay 2;\n${primary ? '  mclt 600;\n  split 128;\n' : ''}  load balance max seconds 3;\n}\n${subnet}`;
  const confA = lab.file('a.conf', peer('10.83.0.1', '10.83.0.2', true));
  const confB = lab.file('b.conf', peer('10.83.0.2', '10.83.0.1', false));
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
  const balancing = async (): Promise<true | undefined> => ((await state('10.83.0.1')) === 'load-balancing' && (await state('10.83.0.2')) === 'load-balancing' ? true : undefined);
  await waitFor('both in load-balancing', balancing, 60_000, logs);

  // Every ACK either server sends, as the relay (perfdhcp) receives it.
  const capture = lab.file('acks.txt', '');
  const td = lab.spawnIn(pfNs, 'sh', ['-c', `exec tcpdump -l -n -v -i eth0 'udp port 67 and (src host 10.83.0.1 or src host 10.83.0.2)' > ${capture} 2>${capture}.err`]);
  await waitFor('tcpdump listening', async () => (/listening on/.test(lab.read('acks.txt.err')) ? true : undefined), 10_000, () => lab.read('acks.txt.err'));

  // While both run, their lease files never give one address to two clients.
  let bAlive = true;
  const seen: string[] = [];
  let samples = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      if (bAlive) {
        const x = active(leasesA);
        const y = active(leasesB);
        if (bAlive) {
          seen.push(...conflicts(x, y));
          samples++;
        }
      }
      await sleep(300);
    }
  })();

  // 1,000 clients at once (perfdhcp's avalanche: each retransmits until it has a lease).
  const perf = sh(`ip netns exec ${pfNs} timeout 70 perfdhcp -4 -l eth0 --scenario avalanche -R 1000 -b mac=02:cc:00:00:00:00 2>&1; true`, 80_000);
  await waitFor('some leases granted', async () => (active(leasesA).size >= 150 ? true : undefined), 30_000, logs);
  bAlive = false;
  b.kill('SIGKILL');
  const firstB = b.output();
  await waitFor('the primary in partner-down', async () => ((await state('10.83.0.1')) === 'partner-down' ? true : undefined), 30_000, logs);
  b = await startB();
  bAlive = true;
  const out = (await perf).stdout;
  await waitFor('both in load-balancing again', balancing, 60_000, logs);
  sampling = false;
  await sampler;
  td.kill('SIGINT');
  await new Promise((r) => (td.exitCode !== null ? r(undefined) : td.once('exit', r)));

  const acked = acks(lab.read('acks.txt'));
  const clients = new Set(acked.map(([, mac]) => mac));
  if (!t.ok(clients.size >= 950, `nearly all 1,000 clients were ACKed (${clients.size}, ${acked.length} ACKs)`)) t.comment(out);
  // No address ACKed to two clients (perfdhcp never releases).
  const holder = new Map<string, string>();
  const twice: string[] = [];
  for (const [ip, mac] of acked) {
    const h = holder.get(ip);
    if (h !== undefined && h !== mac) twice.push(`${ip}: ${h} then ${mac}`);
    holder.set(ip, mac);
  }
  t.same(twice, [], 'no address was ACKed to two clients');
  t.ok(samples > 5, `lease files compared while both ran (${samples} times)`);
  t.same([...new Set(seen)], [], 'the two lease files never gave one address to two clients');
  // No ACKed lease lost: every ACKed binding is in both lease files after the restart.
  const la = active(leasesA);
  const lb = active(leasesB);
  const missing = (m: Map<number, string>): string[] => [...holder].filter(([ip, mac]) => m.get(parseIPv4(ip)!) !== mac).map(([ip, mac]) => `${ip} ${mac}`);
  if (!t.same(missing(la), [], "every ACKed lease is in the primary's lease file")) {
    const txt = readFileSync(leasesA, 'utf8');
    for (const m of missing(la).slice(0, 3)) {
      const ip = m.split(' ')[0];
      t.comment(`${m}: ${txt.split(/\n(?=lease )/).filter((r) => r.startsWith(`lease ${ip} `)).join('\n') || 'no record in the primary\'s file'}`);
      t.comment(acked.filter(([x]) => x === ip).map((x) => x.join(' ')).join(', '));
    }
  }
  t.same(missing(lb), [], "every ACKed lease is in the restarted secondary's lease file");
  t.same(conflicts(la, lb), [], 'and the two files agree');
  t.same(duplicates(la), [], "no client holds two addresses (primary's file)");
});

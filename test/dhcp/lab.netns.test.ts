// Triad's DHCP server with real clients in network namespaces (the seed lab's dhcpd.conf):
// dhclient and busybox udhcpc get addresses with routers, DNS servers and the domain;
// host ae86 gets its fixed address; renew keeps it; release frees it; a restarted server
// keeps every lease; ISC dhcrelay in a middle namespace relays a client of another subnet.

import t from 'tap';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { NetnsLab, sh, sleep, labPrerequisites } from './netns-lab.js';
import { parseLeaseFile } from '../../src/dhcp/lease-file.js';
import { formatIPv4 } from '../../src/config/dhcp-options.js';
import { BIN_TRIAD, REPO_ROOT } from '../helpers/paths.js';

const TOOLS = ['ip', 'dhclient', 'busybox', 'dhcrelay', 'tcpdump'];

function activeLeases(file: string): Map<string, string> {
  const { leases } = parseLeaseFile(file, readFileSync(file, 'utf8'));
  const now = Date.now() / 1000;
  const out = new Map<string, string>();
  for (const l of leases.values()) if (l.state === 'active' && l.ends > now) out.set(formatIPv4(l.ip), l.hwAddr?.toString('hex') ?? '');
  return out;
}

async function waitFor(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

t.test('DHCP lab in namespaces', { timeout: 300_000 }, async (t) => {
  if (!(await labPrerequisites(t, TOOLS))) return;
  const lab = new NetnsLab('tdl');
  t.teardown(() => lab.cleanup());
  await lab.setupServer('192.168.117.1/24');
  const relayNs = lab.name('rel');
  await lab.addNs(relayNs);
  const farNs = lab.name('far');
  await lab.addNs(farNs);
  await lab.link(lab.serverNs, 'up0', '10.97.0.1/24', relayNs, 'rup', '10.97.0.2/24');
  await lab.link(relayNs, 'rdown', '192.168.118.1/24', farNs, 'eth0', '');
  await sh(`ip -n ${lab.serverNs} route add 192.168.118.0/24 via 10.97.0.2`);

  const labConf = readFileSync(path.join(REPO_ROOT, 'conf', 'dhcpd.conf'), 'utf8');
  const conf = lab.file(
    'dhcpd.conf',
    labConf +
      `
subnet 10.97.0.0 netmask 255.255.255.0 { }
subnet 192.168.118.0 netmask 255.255.255.0 {
  range 192.168.118.100 192.168.118.150;
  option routers 192.168.118.1;
}
`,
  );
  const leases = lab.file('dhcpd.leases');
  let server = await lab.startTriad(conf, leases, 'br0,up0');

  const dhcNs = await lab.addClient('dhc', '02:00:00:00:11:01');
  const udhNs = await lab.addClient('udh', '02:00:00:00:11:02');
  const aeNs = await lab.addClient('ae86', 'ae:86:ca:fe:ba:be');

  await t.test('dhclient gets an address from the range with routers, DNS and domain', async (t) => {
    const out = lab.file('dhclient.out', '');
    const r = await sh(
      `ip netns exec ${dhcNs} dhclient -4 -v -1 -sf ${lab.dhclientScript(out)} -lf ${lab.dir}/dhc.leases -pf ${lab.dir}/dhc.pid eth0 2>&1; echo rc=$?`,
      60_000,
    );
    const line = readFileSync(out, 'utf8').split('\n').find((l) => l.startsWith('BOUND'));
    t.ok(line, `dhclient bound (${r.stdout.trim().split('\n').slice(-3).join(' | ')})`);
    const ip = /ip=(\S+)/.exec(line ?? '')?.[1] ?? '';
    const n = Number(ip.split('.')[3]);
    t.match(ip, /^192\.168\.117\./, `address ${ip} on the lab subnet`);
    t.ok(n >= 100 && n <= 199, 'address from the range');
    t.match(line ?? '', /routers=192\.168\.117\.254/, 'router');
    t.match(line ?? '', /dns=192\.168\.117\.1\b/, 'DNS server');
    t.match(line ?? '', /domain=cafe\.babe/, 'domain name');
    t.match(line ?? '', /mask=255\.255\.255\.0/, 'subnet mask');
    await sh(`kill $(cat ${lab.dir}/dhc.pid)`).catch(() => undefined);
  });

  let udhIp = '';
  await t.test('udhcpc gets an address, renews it (same address) and releases it', async (t) => {
    const out = lab.file('udhcpc.out', '');
    const cl = lab.spawnIn(udhNs, 'env', [`UDHCPC_OUT=${out}`, 'busybox', 'udhcpc', '-i', 'eth0', '-f', '-t', '5', '-T', '2', '-s', lab.udhcpcScript(), '-x', 'hostname:udhcpc-client']);
    await waitFor('udhcpc bound', () => lab.read('udhcpc.out').includes('bound'));
    const bound = lab.read('udhcpc.out').split('\n').find((l) => l.startsWith('bound'))!;
    udhIp = /ip=(\S+)/.exec(bound)![1];
    t.match(udhIp, /^192\.168\.117\.1\d\d$/, `udhcpc got ${udhIp}`);
    t.match(bound, /router=192\.168\.117\.254/, 'router');
    t.match(bound, /dns=192\.168\.117\.1\b/, 'dns');
    t.match(bound, /domain=cafe\.babe/, 'domain');
    t.match(bound, /siaddr=192\.168\.117\.10 boot_file=pxelinux\.0/, 'PXE next-server and filename');
    t.ok(activeLeases(leases).has(udhIp), 'lease on disk after ACK');
    cl.kill('SIGUSR1'); // renew: unicast RENEWING request with ciaddr
    await waitFor('udhcpc renew', () => lab.read('udhcpc.out').includes('renew'));
    const renew = lab.read('udhcpc.out').split('\n').find((l) => l.startsWith('renew'))!;
    t.equal(/ip=(\S+)/.exec(renew)?.[1], udhIp, 'renew keeps the address');
    t.match(server.output(), /DHCPACK on \S+ to 02:00:00:00:11:02 via br0 \(RENEWING\)/, 'server saw a RENEWING request');
    cl.kill('SIGUSR2'); // release
    await waitFor('release logged', () => /DHCPRELEASE of \S+ from 02:00:00:00:11:02 via br0 \(found\)/.test(server.output()));
    await sleep(300);
    t.notOk(activeLeases(leases).has(udhIp), 'released lease is no longer active on disk');
    cl.kill('SIGTERM');
  });

  await t.test('host ae86 gets its fixed address', async (t) => {
    const out = lab.file('ae86.out', '');
    await sh(`UDHCPC_OUT=${out} ip netns exec ${aeNs} busybox udhcpc -i eth0 -f -q -n -t 5 -T 2 -s ${lab.udhcpcScript()} 2>&1`, 60_000);
    t.match(readFileSync(out, 'utf8'), /bound ip=192\.168\.117\.86 /, 'fixed address 192.168.117.86');
    t.match(server.output(), /DHCPACK on 192\.168\.117\.86 to ae:86:ca:fe:ba:be \(ae86\)/, 'server names the host');
  });

  await t.test('triad ctl dhcp: counters and the leases in memory', async (t) => {
    const ctl = (...args: string[]) => spawnSync(process.execPath, [BIN_TRIAD, 'ctl', ...args, '--data-dir', lab.dir], { encoding: 'utf8' });
    const stats = ctl('dhcp', 'stats', '--json');
    t.equal(stats.status, 0, stats.stderr);
    const s = JSON.parse(stats.stdout) as { serving: boolean; received: number; acks: number; malformed: number; leases: Record<string, number> };
    t.equal(s.serving, true);
    t.ok(s.received >= 3 && s.acks >= 2, `packets counted (${s.received} received, ${s.acks} acks)`);
    t.ok((s.leases.active ?? 0) >= 1, 'active leases counted by state');
    t.match(ctl('dhcp').stdout, /^received: \d+$/m, 'ctl dhcp alone shows the counters');
    const leases = ctl('dhcp', 'leases');
    t.equal(leases.status, 0, leases.stderr);
    t.match(leases.stdout, /^IP\s+MAC\s+HOSTNAME\s+EXPIRES$/m);
    t.match(leases.stdout, /^192\.168\.117\.1\d\d\s+02:00:00:00:11:01\s/m, "dhclient's lease");
    const rows = JSON.parse(ctl('dhcp', 'leases', '--all', '--json').stdout) as { ip: string; state: string }[];
    t.ok(rows.some((r) => r.ip === udhIp && r.state !== 'active'), `the released ${udhIp} is listed with --all (${JSON.stringify(rows)})`);
    const bad = ctl('dhcp', 'nonsense');
    t.not(bad.status, 0);
    t.match(bad.stderr, /unknown dhcp command 'nonsense' \(have: leases, ha, stats, release, fixed-host\)/);
    // Kea's statistic names: packets by type, and per subnet (numbered in the file's order).
    const kea = s as unknown as { kea: Record<string, number>; subnets: { id: number; prefix: string }[] };
    t.ok(kea.kea['pkt4-discover-received'] >= 2 && kea.kea['pkt4-request-received'] >= 2, `pkt4-*-received (${JSON.stringify(kea.kea)})`);
    t.ok(kea.kea['pkt4-offer-sent'] >= 2 && kea.kea['pkt4-ack-sent'] >= 2, 'pkt4-*-sent');
    t.ok(kea.kea['pkt4-release-received'] >= 1, "udhcpc's DHCPRELEASE counted");
    const lan = kea.subnets.find((x) => x.prefix === '192.168.117.0/24');
    t.ok(lan, 'the lab subnet has an id');
    t.equal(kea.kea[`subnet[${lan?.id}].total-addresses`], 100, 'range .100-.199');
    t.ok(kea.kea[`subnet[${lan?.id}].assigned-addresses`] >= 1, 'assigned addresses');
    t.match(ctl('dhcp', 'stats').stdout, /^subnet\[\d+\]\.assigned-addresses: \d+$/m, 'and in the text');
  });

  await t.test('triad ctl dhcp release ADDR: durable, as a DHCPRELEASE', async (t) => {
    const ctl = (...args: string[]) => spawnSync(process.execPath, [BIN_TRIAD, 'ctl', ...args, '--data-dir', lab.dir], { encoding: 'utf8' });
    const ns = await lab.addClient('rel1', '02:00:00:00:33:01');
    await sh(`UDHCPC_OUT=${lab.dir}/rel1.out ip netns exec ${ns} busybox udhcpc -i eth0 -f -q -n -t 5 -T 2 -s ${lab.udhcpcScript()} 2>&1`, 60_000);
    const ip = /ip=(\S+)/.exec(lab.read('rel1.out'))?.[1] ?? '';
    t.ok(activeLeases(leases).has(ip), `${ip} leased`);
    const r = ctl('dhcp', 'release', ip);
    t.equal(r.status, 0, r.stderr);
    t.match(r.stdout, new RegExp(`^released ${ip.replace(/\./g, '\\.')} \\(was 02:00:00:00:33:01\\)`));
    t.notOk(activeLeases(leases).has(ip), 'free on disk when the command answers');
    t.notMatch(ctl('dhcp', 'leases').stdout, new RegExp(`^${ip.replace(/\./g, '\\.')}\\s`, 'm'), 'gone from triad ctl dhcp leases');
    const again = ctl('dhcp', 'release', ip);
    t.not(again.status, 0);
    t.match(again.stderr, /no active lease for /);
    const usage = ctl('dhcp', 'release', 'nonsense');
    t.match(usage.stderr, /usage: triad ctl dhcp release ADDR/);
  });

  await t.test('dhcrelay in a middle namespace relays a client of another subnet', async (t) => {
    const relay = lab.spawnIn(relayNs, 'dhcrelay', ['-4', '-d', '-a', '-id', 'rdown', '-iu', 'rup', '10.97.0.1']);
    await sleep(1000);
    const out = lab.file('far.out', '');
    let serverSide = '';
    const clientSide = await lab.capture(farNs, 'eth0', async () => {
      serverSide = await lab.capture(lab.serverNs, 'up0', async () => {
        await sh(`UDHCPC_OUT=${out} ip netns exec ${farNs} busybox udhcpc -i eth0 -f -q -n -t 6 -T 2 -s ${lab.udhcpcScript()} 2>&1`, 60_000).catch((e: Error) => t.fail(`udhcpc via relay: ${e.message}`));
      });
    });
    t.match(serverSide, /Circuit-ID SubOption 1, length 5: rdown/, 'option 82 from dhcrelay -a reaches Triad');
    t.match(serverSide, /BOOTP\/DHCP, Reply[^]*Agent-Information/, 'Triad echoes option 82 to the relay (RFC 3046 §2.2)');
    t.notMatch(clientSide, /Agent-Information/, 'and dhcrelay strips it on the way to the client');
    const bound = readFileSync(out, 'utf8');
    t.match(bound, /bound ip=192\.168\.118\.1\d\d router=192\.168\.118\.1 /, `relayed client got an address of its subnet (${bound.trim()})`);
    t.match(server.output(), /DHCPACK on 192\.168\.118\.\d+ to \S+ via 192\.168\.118\.1/, 'server saw the relayed request via giaddr');
    t.match(relay.output(), /Forwarded BOOTREPLY/, 'relay forwarded the reply');
    relay.kill('SIGTERM');
  });

  await t.test('a restarted server keeps every lease', async (t) => {
    // Two more clients bind, then the server restarts.
    for (const [i, mac] of [
      [1, '02:00:00:00:22:01'],
      [2, '02:00:00:00:22:02'],
    ] as const) {
      const ns = await lab.addClient(`k${i}`, mac);
      await sh(`UDHCPC_OUT=${lab.dir}/k${i}.out ip netns exec ${ns} busybox udhcpc -i eth0 -f -q -n -t 5 -T 2 -s ${lab.udhcpcScript()} 2>&1`, 60_000);
    }
    const before = activeLeases(leases);
    t.ok(before.size >= 3, `${before.size} active leases before the restart`);
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    server = await lab.startTriad(conf, leases, 'br0,up0');
    await sleep(500); // initial compaction
    const after = activeLeases(leases);
    t.same([...after.entries()].sort(), [...before.entries()].sort(), 'same active leases after restart (and compaction)');
    const listed = (await sh(`${process.execPath} ${BIN_TRIAD} leases --leases ${leases}`)).stdout;
    for (const ip of before.keys()) t.match(listed, new RegExp(`^${ip.replace(/\./g, '\\.')} `, 'm'), `triad leases lists ${ip}`);
    // A client coming back gets its own address again.
    const k1 = lab.name('k1');
    const first = /ip=(\S+)/.exec(lab.read('k1.out'))![1];
    await sh(`UDHCPC_OUT=${lab.dir}/k1b.out ip netns exec ${k1} busybox udhcpc -i eth0 -f -q -n -t 5 -T 2 -s ${lab.udhcpcScript()} 2>&1`, 60_000);
    t.equal(/ip=(\S+)/.exec(lab.read('k1b.out'))?.[1], first, 'returning client gets the same address');
    // dhclient remembers its lease and asks for it again (INIT-REBOOT) after the server restarted.
    const dout = lab.file('dhclient2.out', '');
    await sh(`ip netns exec ${dhcNs} dhclient -4 -v -1 -sf ${lab.dhclientScript(dout)} -lf ${lab.dir}/dhc.leases -pf ${lab.dir}/dhc2.pid eth0 2>&1`, 60_000);
    const firstDhc = /ip=(\S+)/.exec(lab.read('dhclient.out'))?.[1];
    t.match(lab.read('dhclient2.out'), new RegExp(`^(REBOOT|BOUND) ip=${(firstDhc ?? 'x').replace(/\./g, '\\.')} `, 'm'), `dhclient keeps ${firstDhc} across the server restart`);
    t.match(server.output(), /DHCPACK on \S+ to 02:00:00:00:11:01 via br0 \(INIT-REBOOT\)/, 'via an INIT-REBOOT request');
    await sh(`kill $(cat ${lab.dir}/dhc2.pid)`).catch(() => undefined);
  });

  await t.test('SIGHUP reloads dhcpd.conf; a broken file keeps the running configuration', async (t) => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('option domain-name "cafe.babe";', 'option domain-name "reloaded.babe";'));
    server.kill('SIGHUP');
    await waitFor('reload', () => /"service":"dhcp".*reloaded|reloaded.*"service":"dhcp"/.test(server.output()));
    const ns = await lab.addClient('rl', '02:00:00:00:33:01');
    await sh(`UDHCPC_OUT=${lab.dir}/rl.out ip netns exec ${ns} busybox udhcpc -i eth0 -f -q -n -t 5 -T 2 -s ${lab.udhcpcScript()} 2>&1`, 60_000);
    t.match(lab.read('rl.out'), /domain=reloaded\.babe/, 'new option value served after SIGHUP');
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('option domain-name "reloaded.babe";', 'option domain-name reloaded.babe;'));
    server.kill('SIGHUP');
    await waitFor('reload failure', () => /reload failed; keeping the running configuration/.test(server.output()));
    t.match(server.output(), /dhcpd\.conf:\d+:\d+: error: option domain-name: text must be quoted/, 'the error is logged with its position');
    await sh(`UDHCPC_OUT=${lab.dir}/rl2.out ip netns exec ${ns} busybox udhcpc -i eth0 -f -q -n -t 5 -T 2 -s ${lab.udhcpcScript()} 2>&1`, 60_000);
    t.match(lab.read('rl2.out'), /domain=reloaded\.babe/, 'still serving the last good configuration');
  });

  server.kill('SIGTERM');
});

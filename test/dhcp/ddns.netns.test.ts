// DHCP names in DNS, end to end in network namespaces: `triad run` with dhcpd.conf
// (ddns-update-style interim) and named.conf (cafe.babe and its reverse zone, answered by
// cluster workers); a dhclient sending a host name gets a lease and `dig` then resolves
// the name and its PTR; the SOA serial moves; a restart keeps the names (journal); a
// release removes them; a name the zone file defines is never replaced.

import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NetnsLab, sh, sleep, labPrerequisites } from './netns-lab.js';
import { REPO_ROOT } from '../helpers/paths.js';

const ZONE = `$TTL 300
@      IN SOA ns.cafe.babe. admin.cafe.babe. 2026112201 3600 600 86400 300
@      IN NS  ns
ns     IN A   192.168.117.1
taken  IN A   192.168.117.250
fixed  IN A   192.168.117.60
`;
const REV = `$TTL 300
@      IN SOA ns.cafe.babe. admin.cafe.babe. 7 3600 600 86400 300
@      IN NS  ns.cafe.babe.
1      IN PTR ns.cafe.babe.
`;

t.test('DHCP names in DNS', { timeout: 300_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'dhclient', 'dig']))) return;
  const lab = new NetnsLab('tdn');
  t.teardown(() => lab.cleanup());
  await lab.setupServer('192.168.117.1/24');
  lab.file('cafe.babe.zone', ZONE);
  lab.file('rev.zone', REV);
  const named = lab.file(
    'named.conf',
    `options { directory "${lab.dir}"; listen-on port 53 { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; pid-file none; };
zone "cafe.babe" { type primary; file "cafe.babe.zone"; };
zone "117.168.192.in-addr.arpa" { type primary; file "rev.zone"; };
`,
  );
  const labConf = readFileSync(path.join(REPO_ROOT, 'conf', 'dhcpd.conf'), 'utf8');
  t.match(labConf, /ddns-update-style none;/, 'the lab dhcpd.conf has ddns-update-style none to replace');
  // A host whose fixed-address is a name: looked up in the DNS service's zones.
  const conf = lab.file('dhcpd.conf', labConf.replace('ddns-update-style none;', 'ddns-update-style interim;\nddns-updates on;\nignore client-updates;') +
    '\nhost fixedpc { hardware ethernet 02:00:00:00:66:04; fixed-address fixed.cafe.babe; }\n');
  const leases = lab.file('dhcpd.leases');
  // DNS answers from cluster workers (names sent over IPC) until the restart, then from the
  // main process (--dns-workers 0), so both ways of serving the names are covered.
  const start = (extra: string[] = []): ReturnType<NetnsLab['startTriad']> => lab.startTriad(conf, leases, 'br0', ['--named-conf', named, ...extra]);
  let server = await start();

  const dig = async (q: string): Promise<string> => (await sh(`ip netns exec ${lab.serverNs} dig @127.0.0.1 +short +time=2 +tries=1 ${q}`)).stdout.trim();
  const until = async (q: string, want: (s: string) => boolean): Promise<{ answer: string; ms: number }> => {
    const t0 = Date.now();
    let answer = '';
    while (Date.now() - t0 < 10_000) {
      answer = await dig(q);
      if (want(answer)) break;
      await sleep(100);
    }
    return { answer, ms: Date.now() - t0 };
  };

  const serial0 = Number((await dig('cafe.babe SOA')).split(/\s+/)[2]);
  t.equal(serial0, 2026112201, 'zone served with the file serial');

  const ns = await lab.addClient('pc', '02:00:00:00:66:01');
  const cf = lab.file('dhclient.conf', 'send host-name "labpc";\nrequest subnet-mask, routers, domain-name, domain-name-servers;\n');
  const out = lab.file('pc.out', '');
  const dhclient = (extra: string): Promise<{ stdout: string }> =>
    sh(`ip netns exec ${ns} dhclient -4 -v -1 ${extra} -cf ${cf} -sf ${lab.dhclientScript(out)} -lf ${lab.dir}/pc.leases -pf ${lab.dir}/pc.pid eth0 2>&1; echo rc=$?`, 60_000);
  await dhclient('');
  const ip = /BOUND ip=(\S+)/.exec(lab.read('pc.out'))?.[1] ?? '';
  t.match(ip, /^192\.168\.117\.\d+$/, `dhclient bound ${ip}`);
  await sh(`kill $(cat ${lab.dir}/pc.pid)`).catch(() => undefined);

  const a = await until('labpc.cafe.babe A', (s) => s === ip);
  t.equal(a.answer, ip, 'dig resolves the client\'s name to its address');
  t.comment(`name visible ${a.ms} ms after dhclient returned`);
  const rev = ip.split('.').reverse().join('.') + '.in-addr.arpa';
  t.equal((await until(`${rev} PTR`, (s) => s !== '')).answer, 'labpc.cafe.babe.', 'and the PTR');
  const serial1 = Number((await dig('cafe.babe SOA')).split(/\s+/)[2]);
  t.ok(serial1 > serial0, `SOA serial bumped (${serial0} → ${serial1})`);
  t.match(server.output(), /DHCP name: added labpc\.cafe\.babe\. A/, 'logged');

  // dhclient in a fresh lease file, so it asks with DISCOVER; the address it was bound to.
  let fixedRuns = 0;
  const fixedClient = async (ns: string): Promise<string> => {
    const run = ++fixedRuns;
    const outFile = lab.file(`fx${run}.out`, '');
    await sh(`ip netns exec ${ns} dhclient -4 -v -1 -cf ${lab.file('dhclient-fx.conf', '')} -sf ${lab.dhclientScript(outFile)} -lf ${lab.dir}/fx${run}.leases -pf ${lab.dir}/fx.pid eth0 2>&1`, 60_000);
    await sh(`kill $(cat ${lab.dir}/fx.pid)`).catch(() => undefined);
    return /BOUND ip=(\S+)/.exec(lab.read(`fx${run}.out`))?.[1] ?? '';
  };
  const fxNs = await lab.addClient('fx', '02:00:00:00:66:04');
  t.equal(await fixedClient(fxNs), '192.168.117.60', 'fixed-address fixed.cafe.babe: the address the DNS zone gives the name');

  await t.test('a name the zone file defines is never replaced', async (t) => {
    const ns2 = await lab.addClient('tk', '02:00:00:00:66:02');
    const cf2 = lab.file('dhclient2.conf', 'send host-name "taken";\n');
    await sh(`ip netns exec ${ns2} dhclient -4 -v -1 -cf ${cf2} -sf ${lab.dhclientScript(lab.file('tk.out', ''))} -lf ${lab.dir}/tk.leases -pf ${lab.dir}/tk.pid eth0 2>&1`, 60_000);
    await sh(`kill $(cat ${lab.dir}/tk.pid)`).catch(() => undefined);
    const tkIp = /BOUND ip=(\S+)/.exec(lab.read('tk.out'))?.[1] ?? '';
    t.match(tkIp, /^192\.168\.117\.\d+$/, 'the client still gets its lease');
    const end = Date.now() + 5000;
    while (!/not adding taken\.cafe\.babe\. A/.test(server.output()) && Date.now() < end) await sleep(100);
    t.match(server.output(), /not adding taken\.cafe\.babe\. A: the name is defined in zone cafe\.babe\.'s file/, 'refused, with the reason');
    t.equal(await dig('taken.cafe.babe A'), '192.168.117.250', 'the zone file\'s address stays');
  });

  await t.test('a reload in the cluster: the workers tell the main process what the new zone file defines', async (t) => {
    const before = (server.output().match(/zone cafe\.babe\/IN: loaded serial 2026112210/g) ?? []).length;
    lab.file('cafe.babe.zone', ZONE.replace('2026112201', '2026112210').replace('192.168.117.60', '192.168.117.61') + 'fromfile IN A 192.168.117.251\n');
    server.kill('SIGHUP');
    const end = Date.now() + 10_000;
    while ((server.output().match(/zone cafe\.babe\/IN: loaded serial 2026112210/g) ?? []).length === before && Date.now() < end) await sleep(100);
    t.match(server.output(), /zone cafe\.babe\/IN: loaded serial 2026112210/, 'reloaded');
    t.equal((await until('labpc.cafe.babe A', (s) => s === ip)).answer, ip, 'the DHCP name is still served from the re-read zone');
    t.equal(await dig('fromfile.cafe.babe A'), '192.168.117.251', 'with the file\'s new name');
    const ns3 = await lab.addClient('ff', '02:00:00:00:66:03');
    const cf3 = lab.file('dhclient3.conf', 'send host-name "fromfile";\n');
    await sh(`ip netns exec ${ns3} dhclient -4 -v -1 -cf ${cf3} -sf ${lab.dhclientScript(lab.file('ff.out', ''))} -lf ${lab.dir}/ff.leases -pf ${lab.dir}/ff.pid eth0 2>&1`, 60_000);
    await sh(`kill $(cat ${lab.dir}/ff.pid)`).catch(() => undefined);
    const end2 = Date.now() + 5000;
    while (!/not adding fromfile\.cafe\.babe\. A/.test(server.output()) && Date.now() < end2) await sleep(100);
    t.match(server.output(), /not adding fromfile\.cafe\.babe\. A: the name is defined in zone cafe\.babe\.'s file/, 'the name the reloaded file defines is refused');
    t.equal(await dig('fromfile.cafe.babe A'), '192.168.117.251', 'the file\'s address stays');
    t.equal(await fixedClient(fxNs), '192.168.117.61', 'fixed-address follows the reloaded zone');
  });

  await t.test('a restart keeps the names (journal)', async (t) => {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    t.match(readFileSync(path.join(lab.dir, 'dhcp-names.jnl'), 'utf8'), /labpc\.cafe\.babe\./, 'journal in the data dir');
    server = await start(['--dns-workers', '0']);
    t.equal((await until('labpc.cafe.babe A', (s) => s === ip)).answer, ip, 'name still resolves after the restart');
    t.equal(await dig(`${rev} PTR`), 'labpc.cafe.babe.', 'PTR too');
    const serial2 = Number((await dig('cafe.babe SOA')).split(/\s+/)[2]);
    t.ok(serial2 >= serial1, `serial not moved backwards (${serial2})`);
    t.equal(await fixedClient(fxNs), '192.168.117.61', 'fixed-address names resolve when DNS serves in the main process too');
  });

  await t.test('a reload (SIGHUP) keeps the names in the re-read zones', async (t) => {
    const before = (server.output().match(/"service":"dns".*reloaded|reloaded.*"service":"dns"/g) ?? []).length;
    server.kill('SIGHUP');
    const end = Date.now() + 10_000;
    while ((server.output().match(/"service":"dns".*reloaded|reloaded.*"service":"dns"/g) ?? []).length === before && Date.now() < end) await sleep(100);
    t.ok((server.output().match(/"service":"dns".*reloaded|reloaded.*"service":"dns"/g) ?? []).length > before, 'DNS reloaded');
    t.equal(await dig('labpc.cafe.babe A'), ip, 'name still served after the reload');
    t.equal(await dig('taken.cafe.babe A'), '192.168.117.250', 'file data too');
  });

  await t.test('release removes the names', async (t) => {
    await dhclient('-r');
    const gone = await until('labpc.cafe.babe A', (s) => s === '');
    t.equal(gone.answer, '', 'A gone after DHCPRELEASE');
    t.equal(await dig(`${rev} PTR`), '', 'PTR gone');
    const status = (await sh(`ip netns exec ${lab.serverNs} dig @127.0.0.1 +time=2 +tries=1 labpc.cafe.babe A`)).stdout;
    t.match(status, /status: NXDOMAIN/, 'NXDOMAIN');
  });
  server.kill('SIGTERM');
});

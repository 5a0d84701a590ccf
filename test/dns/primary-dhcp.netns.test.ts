// DHCP names reach a BIND secondary: `triad run` (DHCP + DNS, with workers and without) is the primary of
// cafe.babe, and a `named` secondary in the same namespace, one of the zone's NS hosts
// (notify yes: found from the zone's own NS and A records), hears the NOTIFY Triad sends
// when a lease adds a name, and transfers the change by IXFR; a release removes it there too.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NetnsLab, sh, sleep, labPrerequisites } from '../dhcp/netns-lab.js';
import { REPO_ROOT } from '../helpers/paths.js';

const ZONE = `$TTL 300
@      IN SOA ns.cafe.babe. admin.cafe.babe. 2026112201 3600 600 86400 300
@      IN NS  ns
@      IN NS  ns2
ns     IN A   192.168.117.1
ns2    IN A   127.0.0.2
www    IN A   192.168.117.80
`;
/** The secondary: ns2.cafe.babe. (added to lo inside the namespace, which goes with it). */
const BIND_ADDR = '127.0.0.2';
const TRIAD_ADDR = '127.0.0.1';

async function namesToBind(t: Test, workers: string[]): Promise<void> {
  if (!(await labPrerequisites(t, ['ip', 'dhclient', 'dig', 'named']))) return;
  const lab = new NetnsLab('tpx');
  t.teardown(() => lab.cleanup());
  await lab.setupServer('192.168.117.1/24');
  lab.file('cafe.babe.zone', ZONE);
  const named = lab.file(
    'named.conf',
    `options { directory "${lab.dir}"; listen-on port 53 { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; pid-file none;
  allow-transfer { 127.0.0.0/8; }; notify-source 127.0.0.1; notify-delay 0; };
zone "cafe.babe" { type primary; file "cafe.babe.zone"; };
`,
  );
  await sh(`mkdir -p ${lab.dir}/bind`);
  const bindConf = lab.file(
    'bind/named.conf',
    `options { directory "${lab.dir}/bind"; pid-file none; listen-on port 53 { ${BIND_ADDR}; }; listen-on-v6 { none; };
  recursion no; dnssec-validation no; notify no; allow-notify { 127.0.0.1; }; transfer-source ${BIND_ADDR}; allow-transfer { 127.0.0.0/8; }; };
controls { };
zone "cafe.babe" { type secondary; primaries { 127.0.0.1 port 53; }; file "cafe.babe.bk"; };
`,
  );
  await sh(`ip -n ${lab.serverNs} addr add ${BIND_ADDR}/32 dev lo`);
  // Debug level 3: named logs whether a transfer came as an IXFR ("got incremental response").
  const bind = lab.spawnIn(lab.serverNs, 'named', ['-g', '-d', '3', '-c', bindConf, '-n', '1']);
  const labConf = readFileSync(path.join(REPO_ROOT, 'conf', 'dhcpd.conf'), 'utf8');
  const conf = lab.file('dhcpd.conf', labConf.replace('ddns-update-style none;', 'ddns-update-style interim;\nddns-updates on;\nignore client-updates;'));
  const server = await lab.startTriad(conf, lab.file('dhcpd.leases'), 'br0', ['--named-conf', named, ...workers]);

  const dig = async (server: string, q: string): Promise<string> => (await sh(`ip netns exec ${lab.serverNs} dig @${server} +time=2 +tries=1 ${q}`)).stdout.trim();
  const until = async (server: string, q: string, want: (s: string) => boolean, ms = 15_000): Promise<string> => {
    const t0 = Date.now();
    let answer = '';
    while (Date.now() - t0 < ms) {
      answer = await dig(server, `+short ${q}`);
      if (want(answer)) break;
      await sleep(100);
    }
    return answer;
  };
  const axfr = async (server: string): Promise<string[]> =>
    (await dig(server, '+nocmd +nostats +nocomments +onesoa +nottlunits cafe.babe AXFR'))
      .split('\n')
      .filter((l) => l && !l.startsWith(';'))
      .map((l) => l.split(/\s+/).join(' ').toLowerCase())
      .sort();
  const serialOf = (s: string): number => Number(s.split(/\s+/)[2]);

  t.ok(/running/.test(bind.output()) || (await until(BIND_ADDR, 'cafe.babe SOA', (s) => serialOf(s) === 2026112201)) !== '', `named runs:\n${bind.output().slice(-2000)}`);
  t.equal(serialOf(await until(BIND_ADDR, 'cafe.babe SOA', (s) => serialOf(s) === 2026112201)), 2026112201, 'BIND transferred the zone Triad loaded');

  const ns = await lab.addClient('pc', '02:00:00:00:67:01');
  const cf = lab.file('dhclient.conf', 'send host-name "labpc";\n');
  const out = lab.file('pc.out', '');
  const dhclient = (extra: string): Promise<{ stdout: string }> =>
    sh(`ip netns exec ${ns} dhclient -4 -v -1 ${extra} -cf ${cf} -sf ${lab.dhclientScript(out)} -lf ${lab.dir}/pc.leases -pf ${lab.dir}/pc.pid eth0 2>&1; echo rc=$?`, 60_000);
  await dhclient('');
  const ip = /BOUND ip=(\S+)/.exec(lab.read('pc.out'))?.[1] ?? '';
  t.match(ip, /^192\.168\.117\.\d+$/, `dhclient bound ${ip}`);
  await sh(`kill $(cat ${lab.dir}/pc.pid)`).catch(() => undefined);

  t.equal(await until(BIND_ADDR, 'labpc.cafe.babe A', (s) => s === ip), ip, "BIND serves the client's name");
  const serial = serialOf(await dig(TRIAD_ADDR, '+short cafe.babe SOA'));
  t.ok(serial > 2026112201, `Triad stepped the serial (${serial})`);
  t.match(server.output(), new RegExp(`sending notifies \\(serial ${serial}\\)`), 'Triad sent NOTIFY for the new serial');
  t.match(server.output(), /"targets":\["127\.0\.0\.2#53"\]/, 'to ns2 (not to ns, the SOA primary): the address the zone gives it');
  t.match(bind.output(), /requesting IXFR for serial 2026112201[\s\S]*got incremental response/, 'BIND asked for an IXFR and got an incremental answer');
  t.same(await axfr(BIND_ADDR), await axfr(TRIAD_ADDR), 'dig AXFR: the same records at both');

  await dhclient('-r');
  t.equal(await until(BIND_ADDR, 'labpc.cafe.babe A', (s) => s === ''), '', 'after the release BIND no longer has the name');
  t.same(await axfr(BIND_ADDR), await axfr(TRIAD_ADDR), 'dig AXFR after the release: the same records');
  const xfr = bind.output().split('\n').filter((l) => /requesting [AI]XFR for serial|got (non)?incremental response|transferred serial/.test(l));
  t.equal(xfr.filter((l) => /got nonincremental response/.test(l)).length, 1, `only the first transfer was a full one, every change came by IXFR:\n${xfr.join('\n')}`);
  server.kill('SIGTERM');
}

t.test('DHCP names reach a BIND secondary by NOTIFY and IXFR, with DNS workers', { timeout: 300_000 }, (t) => namesToBind(t, []));
t.test('DHCP names reach a BIND secondary by NOTIFY and IXFR, --dns-workers 0', { timeout: 300_000 }, (t) => namesToBind(t, ['--dns-workers', '0']));

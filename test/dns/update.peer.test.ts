// Dynamic updates (RFC 2136) against named 9.18 as the reference: the same
// `nsupdate` sequences (with and without a key; granted and refused by allow-update
// and update-policy; prerequisites that hold and that fail; CNAME conflicts; apex
// NS/SOA rules) sent to named and to Triad give the same rcodes, and `dig AXFR` of
// both gives the same zone. Then `nsupdate -l` with Triad's session key, and a
// Triad killed with SIGKILL right after an acknowledged update serves the change
// once restarted. Cluster workers and --dns-workers 0.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNamed } from '../helpers/resolver-lab.js';
import { dig, randomPort, startTriad, waitFor, type TriadProcess } from '../helpers/triad-run.js';

for (const tool of ['dig', 'named', 'nsupdate']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    t.fail(`${tool} is not installed (test/install-deps.sh installs it)`);
    process.exit(1);
  }
}

const ADDR = '127.0.0.1';
const UPD_SECRET = Buffer.alloc(32, 5).toString('base64');
const OTHER_SECRET = Buffer.alloc(32, 6).toString('base64');
const UPD = `hmac-sha256:upd:${UPD_SECRET}`;
const OTHER = `hmac-sha256:other:${OTHER_SECRET}`;

function zoneText(origin: string): string {
  return `$TTL 300\n$ORIGIN ${origin}.\n@ SOA ns.${origin}. hostmaster.${origin}. 1 3600 600 86400 300\n@ NS ns\nns A 192.0.2.53\nwww A 192.0.2.1\nmail MX 10 www\nalias CNAME www\ntxt TXT "one"\n`;
}

const ZONES = ['open.test', 'keyed.test', 'pol.test', 'static.test', 'self.test', '0.0.127.in-addr.arpa'];
const H1 = `hmac-sha256:h1.self.test:${Buffer.alloc(32, 11).toString('base64')}`;

function conf(dir: string, port: number, extra: string): string {
  return `options {
    directory "${dir}";
    pid-file none;
    listen-on port ${port} { ${ADDR}; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
    notify no;
    allow-transfer { any; };
    ${extra}
};
controls { };
key "upd" { algorithm hmac-sha256; secret "${UPD_SECRET}"; };
key "other" { algorithm hmac-sha256; secret "${OTHER_SECRET}"; };
zone "open.test" { type primary; file "open.zone"; allow-update { 127.0.0.1; }; };
zone "keyed.test" { type primary; file "keyed.zone"; allow-update { key upd; }; };
zone "pol.test" { type primary; file "pol.zone"; update-policy { grant upd name www.pol.test. A; grant upd zonesub TXT; deny other zonesub ANY; }; };
zone "static.test" { type primary; file "static.zone"; };
key "h1.self.test" { algorithm hmac-sha256; secret "${Buffer.alloc(32, 11).toString('base64')}"; };
zone "0.0.127.in-addr.arpa" { type primary; file "0.zone"; update-policy { grant * tcp-self . PTR; }; };
zone "self.test" { type primary; file "self.zone"; update-policy { grant * self * A; grant upd wildcard *.w.self.test. TXT; grant h1.self.test. selfsub h1.self.test. TXT; grant *.self.test selfwild *.self.test AAAA; }; };
`;
}

/** One `nsupdate` message; the rcode it reports (NOERROR when it succeeded). */
function nsupdate(port: number, commands: string, key?: string, tcp = true): string {
  const args = [...(tcp ? ['-v'] : []), ...(key ? ['-y', key] : [])];
  const r = spawnSync('nsupdate', ['-t', '4', ...args], { input: `server ${ADDR} ${port}\n${commands}\nsend\n`, encoding: 'utf8' });
  if (r.status === 0) return 'NOERROR';
  return /update failed: ([A-Z]+)/.exec(r.stderr)?.[1] ?? /status: ([A-Z]+)/.exec(r.stdout + r.stderr)?.[1] ?? `nsupdate exited ${String(r.status)}: ${r.stderr.trim()}`;
}

function axfr(port: number, zone: string): string[] {
  const out = dig(ADDR, port, ['+nocmd', '+nostats', '+nocomments', zone, 'AXFR']);
  const lines = out.split('\n').filter((l) => l.trim() && !l.startsWith(';')).map((l) => l.trim().split(/\s+/).join(' ').toLowerCase());
  return [...new Set(lines)].sort();
}

/** [what, zone, commands, key?, udp?]: each sent to both servers in this order. */
const SEQUENCE: [string, string, string, string?, boolean?][] = [
  ['add a record', 'open.test', 'update add www2.open.test. 300 A 192.0.2.2'],
  ['yxdomain holds', 'open.test', 'prereq yxdomain www2.open.test.\nupdate add x.open.test. 300 A 192.0.2.3'],
  ['nxdomain fails (YXDOMAIN)', 'open.test', 'prereq nxdomain www2.open.test.\nupdate add y.open.test. 300 A 192.0.2.4'],
  ['nxdomain holds', 'open.test', 'prereq nxdomain new.open.test.\nupdate add new.open.test. 300 TXT "new"'],
  ['yxdomain fails (NXDOMAIN)', 'open.test', 'prereq yxdomain nope.open.test.\nupdate add y.open.test. 300 A 192.0.2.4'],
  ['yxrrset fails (NXRRSET)', 'open.test', 'prereq yxrrset www2.open.test. AAAA\nupdate add y.open.test. 300 A 192.0.2.4'],
  ['nxrrset fails (YXRRSET)', 'open.test', 'prereq nxrrset www2.open.test. A\nupdate add y.open.test. 300 A 192.0.2.4'],
  ['value-dependent yxrrset holds', 'open.test', 'prereq yxrrset www2.open.test. A 192.0.2.2\nupdate add www2.open.test. 300 A 192.0.2.22'],
  ['value-dependent yxrrset fails', 'open.test', 'prereq yxrrset www2.open.test. A 192.0.2.2\nupdate add z.open.test. 300 A 192.0.2.5'],
  ['prerequisite outside the zone (NOTZONE)', 'open.test', 'prereq yxdomain www.example.\nupdate add z.open.test. 300 A 192.0.2.5'],
  ['CNAME beside an A is ignored', 'open.test', 'update add www2.open.test. 300 CNAME www.open.test.'],
  ['A beside a CNAME is ignored', 'open.test', 'update add alias.open.test. 300 A 192.0.2.9'],
  ['CNAME replaces a CNAME', 'open.test', 'update add alias.open.test. 300 CNAME mail.open.test.'],
  ['apex NS and SOA deletions are ignored', 'open.test', 'update delete open.test. NS\nupdate delete open.test. SOA\nupdate delete open.test. NS ns.open.test.'],
  ['delete all at the apex keeps SOA and NS', 'open.test', 'update add open.test. 300 TXT "apex"\nupdate delete open.test.'],
  ['delete a record and a name', 'open.test', 'update delete www2.open.test. A 192.0.2.2\nupdate delete x.open.test.\nupdate delete absent.open.test. A'],
  ['a new TTL applies to the whole RRset', 'open.test', 'update add www.open.test. 600 A 192.0.2.7'],
  ['SOA with a higher serial is taken', 'open.test', 'update add open.test. 300 SOA ns.open.test. hostmaster.open.test. 100 3600 600 86400 300'],
  ['SOA with a lower serial is ignored', 'open.test', 'update add open.test. 300 SOA ns.open.test. hostmaster.open.test. 50 3600 600 86400 300\nupdate add low.open.test. 300 A 192.0.2.50'],
  ['several changes in one message', 'open.test', 'update add m1.open.test. 300 A 192.0.2.61\nupdate add m1.open.test. 300 A 192.0.2.62\nupdate add m2.open.test. 300 AAAA 2001:db8::2\nupdate delete m1.open.test. A 192.0.2.61'],
  ['unsigned to a key-only zone is REFUSED', 'keyed.test', 'update add a.keyed.test. 300 A 192.0.2.1'],
  ['signed with the key is granted', 'keyed.test', 'update add a.keyed.test. 300 A 192.0.2.1', UPD],
  ['signed with another key is REFUSED', 'keyed.test', 'update add b.keyed.test. 300 A 192.0.2.1', OTHER],
  ['failing prerequisite before the permission check', 'keyed.test', 'prereq yxdomain nope.keyed.test.\nupdate add b.keyed.test. 300 A 192.0.2.1'],
  ['policy: name rule grants A', 'pol.test', 'update add www.pol.test. 300 A 192.0.2.10', UPD],
  ['policy: AAAA not granted', 'pol.test', 'update add www.pol.test. 300 AAAA 2001:db8::1', UPD],
  ['policy: zonesub TXT', 'pol.test', 'update add deep.sub.pol.test. 300 TXT "granted"', UPD],
  ['policy: deny rule', 'pol.test', 'update add d.pol.test. 300 TXT "denied"', OTHER],
  ['policy: unsigned over TCP', 'pol.test', 'update add u.pol.test. 300 TXT "unsigned"'],
  ['policy: unsigned over UDP', 'pol.test', 'update add u.pol.test. 300 TXT "unsigned"', undefined, false],
  ['policy: one change not granted refuses all', 'pol.test', 'update add e.pol.test. 300 TXT "ok"\nupdate add e.pol.test. 300 A 192.0.2.11', UPD],
  ['signed with a key the server does not know', 'keyed.test', 'update add c.keyed.test. 300 A 192.0.2.1', `hmac-sha256:nokey:${Buffer.alloc(32, 8).toString('base64')}`],
  ['signed with a known key name but the wrong secret', 'keyed.test', 'update add c.keyed.test. 300 A 192.0.2.1', `hmac-sha256:upd:${Buffer.alloc(32, 8).toString('base64')}`],
  ['policy self: the name of the key', 'self.test', 'update add h1.self.test. 300 A 192.0.2.101', H1],
  ['policy self: another name', 'self.test', 'update add h2.self.test. 300 A 192.0.2.102', H1],
  ['policy wildcard: a name below', 'self.test', 'update add a.w.self.test. 300 TXT "w"', UPD],
  ['policy wildcard: the name itself', 'self.test', 'update add w.self.test. 300 TXT "w"', UPD],
  ['policy selfsub', 'self.test', 'update add x.y.h1.self.test. 300 TXT "sub"', H1],
  ['policy selfwild: one label below', 'self.test', 'update add x.h1.self.test. 300 AAAA 2001:db8::5', H1],
  ['policy selfwild: two labels below', 'self.test', 'update add x.y.h1.self.test. 300 AAAA 2001:db8::5', H1],
  ['tcp-self: the client address own reverse name', '0.0.127.in-addr.arpa', 'update add 1.0.0.127.in-addr.arpa. 300 PTR host.example.'],
  ['tcp-self: another reverse name', '0.0.127.in-addr.arpa', 'update add 2.0.0.127.in-addr.arpa. 300 PTR host.example.'],
  ['tcp-self: over UDP', '0.0.127.in-addr.arpa', 'update add 1.0.0.127.in-addr.arpa. 300 PTR other.example.', undefined, false],
  ['zone without allow-update is REFUSED', 'static.test', 'update add a.static.test. 300 A 192.0.2.1'],
  ['over UDP too', 'open.test', 'update add udp.open.test. 300 A 192.0.2.33', undefined, false],
  ['SOA away from the apex is ignored', 'open.test', 'update add sub.open.test. 300 SOA ns.open.test. hostmaster.open.test. 500 3600 600 86400 300\nupdate add sub.open.test. 300 TXT "sub"'],
  ['a delegation with glue', 'open.test', 'update add child.open.test. 300 NS ns.child.open.test.\nupdate add ns.child.open.test. 300 A 192.0.2.80'],
  ['same record, new TTL', 'open.test', 'update add new.open.test. 900 TXT "new"'],
  ['delete one CNAME by value', 'open.test', 'update delete alias.open.test. CNAME mail.open.test.'],
  ['a name inside the zone as the zone section (NOTAUTH)', 'open.test', 'zone www.open.test.\nupdate add q.www.open.test. 300 A 192.0.2.1'],
  ['yxrrset prerequisite, then re-adding a record it has', 'open.test', 'prereq yxrrset www.open.test. A\nupdate add www.open.test. 300 A 192.0.2.1'],
  ['update outside the zone (NOTZONE)', 'open.test', 'zone open.test.\nupdate add www.example. 300 A 192.0.2.1'],
  ['add and delete the same name in one message', 'open.test', 'update add tmp.open.test. 300 A 192.0.2.40\nupdate delete tmp.open.test. A'],
  ['MX to a name without addresses is REFUSED', 'open.test', 'update add open.test. 300 MX 20 mail.open.test.'],
  ['MX to a name with an address', 'open.test', 'update add open.test. 300 MX 20 www.open.test.'],
  ['MX to a name outside the zone', 'open.test', 'update add open.test. 300 MX 30 mx.example.'],
  ['MX to an address added in the same message', 'open.test', 'update add m3.open.test. 300 A 192.0.2.3\nupdate add open.test. 300 MX 40 m3.open.test.'],
  ['SRV', 'open.test', 'update add _sip._tcp.open.test. 300 SRV 0 5 5060 www.open.test.'],
  ['policy: delete a whole name', 'pol.test', 'update delete txt.pol.test.', UPD],
  ['policy: delete the granted A RRset', 'pol.test', 'update delete www.pol.test. A', UPD],
];

async function scenario(t: Test, workers: number): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-update-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const nPort = randomPort();
  let tPort = randomPort();
  while (tPort === nPort) tPort = randomPort();
  const nDir = path.join(dir, 'named');
  const tDir = path.join(dir, 'triad');
  for (const d of [nDir, tDir]) {
    mkdirSync(d, { recursive: true });
    for (const z of ZONES) writeFileSync(path.join(d, `${z.split('.')[0]}.zone`), zoneText(z));
  }
  writeFileSync(path.join(tDir, 'local.zone'), zoneText('local.test'));
  writeFileSync(path.join(nDir, 'named.conf'), conf(nDir, nPort, `session-keyfile "${path.join(nDir, 'session.key')}";`));
  writeFileSync(path.join(tDir, 'named.conf'), `${conf(tDir, tPort, '')}zone "local.test" { type primary; file "local.zone"; update-policy local; };\n`);
  const named = await startNamed(path.join(nDir, 'named.conf'));
  t.teardown(() => named.stop());
  const dataDir = path.join(dir, 'data');
  const args = ['--conf-dir', path.join(dir, 'conf'), '--data-dir', dataDir, '--named-conf', path.join(tDir, 'named.conf'), '--dns-workers', String(workers)];
  let triad: TriadProcess = startTriad(args);
  t.teardown(() => triad.stop());
  t.ok(await waitFor(() => /dns serving/.test(triad.output()), 20000, 100), 'triad serves');

  for (const [what, zone, commands, key, udp] of SEQUENCE) {
    const want = nsupdate(nPort, commands, key, udp !== false);
    const got = nsupdate(tPort, commands, key, udp !== false);
    t.equal(got, want, `${zone}: ${what}: ${want}`);
  }
  t.equal(nsupdate(tPort, 'zone other.example.\nupdate add a.other.example. 300 A 192.0.2.1'), nsupdate(nPort, 'zone other.example.\nupdate add a.other.example. 300 A 192.0.2.1'), 'a zone neither serves: the same answer (NOTAUTH)');
  for (const z of ZONES) {
    const n = axfr(nPort, z);
    t.ok(n.length > 3, `named transfers ${z}`);
    t.same(axfr(tPort, z), n, `${z}: the same records after the updates`);
  }

  // nsupdate -l: the session key Triad wrote (in its data directory here, so no other server's key is touched).
  const keyFile = path.join(dataDir, 'session.key');
  t.ok(existsSync(keyFile), 'the session key file is written at start');
  const local = spawnSync('nsupdate', ['-l', '-k', keyFile, '-p', String(tPort), '-t', '4'], { input: 'update add l.local.test. 300 A 192.0.2.77\nsend\n', encoding: 'utf8' });
  t.equal(local.status, 0, `nsupdate -l succeeds ${local.stderr}`);
  t.equal(dig(ADDR, tPort, ['+short', 'l.local.test', 'A']).trim(), '192.0.2.77', 'the change made with nsupdate -l is served');
  t.equal(nsupdate(tPort, 'update add m.local.test. 300 A 192.0.2.78', UPD), 'REFUSED', 'update-policy local refuses other keys');

  // Durable: acknowledged, then SIGKILL at once; the restarted server serves the change.
  t.equal(nsupdate(tPort, 'update add durable.open.test. 300 A 192.0.2.99'), 'NOERROR', 'update acknowledged');
  triad.signal('SIGKILL');
  await triad.exited;
  triad = startTriad(args);
  t.ok(await waitFor(() => /dns serving/.test(triad.output()), 20000, 100), 'triad restarted');
  t.ok(await waitFor(() => dig(ADDR, tPort, ['+short', 'durable.open.test', 'A']).trim() === '192.0.2.99', 5000), 'the acknowledged change survived kill -9');
  t.equal(dig(ADDR, tPort, ['+short', 'l.local.test', 'A']).trim(), '192.0.2.77', 'so did the earlier ones');
  // A reload does not read a dynamic zone's file again (named does not either).
  triad.signal('SIGHUP');
  await waitFor(() => /reload/i.test(triad.output()), 3000);
  t.equal(dig(ADDR, tPort, ['+short', 'durable.open.test', 'A']).trim(), '192.0.2.99', 'still served after SIGHUP');
  await triad.stop();
  t.match(triad.output(), /dynamic updates/, 'the update counts are logged at stop');
  t.match(spawnSync('cat', [path.join(tDir, 'open.zone')], { encoding: 'utf8' }).stdout, /durable\.open\.test\./, 'the zone file is rewritten at stop');
}

t.test('nsupdate against named and Triad, cluster workers', (t) => scenario(t, 2));
t.test('nsupdate against named and Triad, --dns-workers 0', (t) => scenario(t, 0));

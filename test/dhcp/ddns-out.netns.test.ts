// DHCP names sent to another DNS server, end to end in network namespaces: BIND (named)
// serves ddns.lab and its reverse zone with `allow-update { key ddns-key; }` (the key made
// by tsig-keygen); Triad's DHCP server has `zone` statements sending names there, signed
// with the key. A dhclient gets a lease: its A, PTR and DHCID (standard) or TXT (interim)
// appear in BIND; a second client asking for the same name is refused (RFC 4703) and the
// first one's records stay; a release removes them, also after a restart of Triad. ISC dhcpd
// runs the same against the same BIND, and the records must be the same.

import t from 'tap';
import path from 'node:path';
import { NetnsLab, sh, sleep, labPrerequisites } from './netns-lab.js';
import { dhcidRdata, interimTxt } from '../../src/dhcp/dhcid.js';

const ZONE = `$TTL 300
@      IN SOA ns.ddns.lab. admin.ddns.lab. 1 3600 600 86400 300
@      IN NS  ns
ns     IN A   127.0.0.1
`;
const REV = `$TTL 300
@      IN SOA ns.ddns.lab. admin.ddns.lab. 1 3600 600 86400 300
@      IN NS  ns.ddns.lab.
`;
const MAC1 = '02:00:00:00:77:01';
const MAC2 = '02:00:00:00:77:02';
const MAC3 = '02:00:00:00:77:03';
const UID3 = '01:02:00:00:00:77:03';
const MAC4 = '02:00:00:00:77:04';
const MAC6 = '02:00:00:00:77:06';

/** What BIND holds for the first client once it is bound, per DHCP server and style: to compare. */
const seen = new Map<string, string>();

for (const style of ['standard', 'interim'] as const) for (const dhcpd of ['triad', 'isc'] as const) {
  t.test(`DHCP names to BIND from ${dhcpd === 'triad' ? 'Triad' : 'ISC dhcpd'}, ddns-update-style ${style}`, { timeout: 240_000 }, async (t) => {
    if (!(await labPrerequisites(t, ['ip', 'dhclient', 'dig', 'named', 'tsig-keygen', 'dhcpd']))) return;
    const lab = new NetnsLab('tdo');
    t.teardown(() => lab.cleanup());
    await lab.setupServer('192.168.117.1/24');
    const key = lab.file('ddns.key', (await sh('tsig-keygen -a hmac-sha256 ddns-key')).stdout);
    lab.file('ddns.lab.zone', ZONE);
    lab.file('rev.zone', REV);
    const namedConf = lab.file(
      'named.conf',
      `options { directory "${lab.dir}"; listen-on port 53 { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; dnssec-validation no;
  pid-file none; session-keyfile "${lab.dir}/session.key"; managed-keys-directory "${lab.dir}"; };
controls { };
include "${key}";
zone "ddns.lab" { type primary; file "ddns.lab.zone"; allow-update { key ddns-key; }; };
zone "117.168.192.in-addr.arpa" { type primary; file "rev.zone"; allow-update { key ddns-key; }; };
`,
    );
    const named = lab.spawnIn(lab.serverNs, 'named', ['-g', '-n', '1', '-c', namedConf]);
    const end = Date.now() + 15_000;
    while (!/running/.test(named.output())) {
      if (named.exitCode !== null || Date.now() > end) throw new Error(`named did not start:\n${named.output()}`);
      await sleep(100);
    }
    const conf = lab.file(
      'dhcpd.conf',
      `ddns-update-style ${style};
ddns-domainname "ddns.lab.";
default-lease-time 600;
authoritative;
include "${key}";
zone ddns.lab. { primary 127.0.0.1; key ddns-key; }
zone 117.168.192.in-addr.arpa. { primary 127.0.0.1; key ddns-key; }
subnet 192.168.117.0 netmask 255.255.255.0 { range 192.168.117.100 192.168.117.150; }
host shortlease { hardware ethernet ${MAC4}; default-lease-time 6; max-lease-time 6; min-lease-time 6; }
${dhcpd === 'triad' ? `host ownpc { hardware ethernet ${MAC6}; ddns-domainname "own.lab."; }\n` : ''}`,
    );
    const leases = lab.file('dhcpd.leases', '');
    // Triad also serves a zone of its own (own.lab, on 127.0.0.2 beside BIND's 127.0.0.1).
    lab.file('own.lab.zone', ZONE.replace(/ddns\.lab/g, 'own.lab'));
    const ownConf = lab.file('triad-named.conf', `options { directory "${lab.dir}"; listen-on port 53 { 127.0.0.2; }; listen-on-v6 { none; }; recursion no; };\nzone "own.lab" { type primary; file "own.lab.zone"; };\n`);
    const triadArgs = ['--named-conf', ownConf];
    let server = dhcpd === 'triad' ? await lab.startTriad(conf, leases, 'br0', triadArgs) : await startIsc(lab, conf, leases);

    const dig = async (q: string): Promise<string> => (await sh(`ip netns exec ${lab.serverNs} dig @127.0.0.1 +short +time=2 +tries=1 ${q}`)).stdout.trim();
    const until = async (q: string, want: (s: string) => boolean): Promise<string> => {
      const stop = Date.now() + 10_000;
      let answer = '';
      while (Date.now() < stop) {
        answer = await dig(q);
        if (want(answer)) break;
        await sleep(100);
      }
      return answer;
    };
    const cf = lab.file('dhclient.conf', 'send host-name "labpc";\n');
    const dhclient = async (what: string, ns: string, extra = ''): Promise<string> => {
      const out = path.join(lab.dir, `${what}.out`);
      await sh(`ip netns exec ${ns} dhclient -4 -v -1 ${extra} -cf ${cf} -sf ${lab.dhclientScript(out)} -lf ${lab.dir}/${what}.leases -pf ${lab.dir}/${what}.pid eth0 2>&1; echo rc=$?`, 60_000);
      await sh(`kill $(cat ${lab.dir}/${what}.pid)`).catch(() => undefined);
      return /BOUND ip=(\S+)/.exec(lab.read(`${what}.out`))?.[1] ?? '';
    };

    const ns1 = await lab.addClient('pc1', MAC1);
    const ip = await dhclient('pc1', ns1);
    t.match(ip, /^192\.168\.117\.\d+$/, `the client bound ${ip}`);
    t.equal(await until('labpc.ddns.lab A', (s) => s === ip), ip, 'BIND answers the client\'s name with its address');
    const rev = ip.split('.').reverse().join('.') + '.in-addr.arpa';
    t.equal(await until(`${rev} PTR`, (s) => s !== ''), 'labpc.ddns.lab.', 'and the PTR');
    const client = { hwType: 1, hwAddr: Buffer.from(MAC1.replace(/:/g, ''), 'hex') };
    if (style === 'standard') {
      const want = Buffer.from(dhcidRdata(client, 'labpc.ddns.lab.')).toString('base64');
      t.equal((await dig('labpc.ddns.lab DHCID')).replace(/\s+/g, ''), want, 'the DHCID record (RFC 4701, hardware address)');
    } else {
      t.equal(await dig('labpc.ddns.lab TXT'), `"${interimTxt(client)}"`, 'the TXT record ISC\'s interim style writes');
    }
    t.match(server.output(), /Added new forward map from labpc\.ddns\.lab\.? to /, 'logged');
    const records = (await sh(`ip netns exec ${lab.serverNs} dig @127.0.0.1 +noall +answer +time=2 +tries=1 labpc.ddns.lab ANY ${rev} PTR ${rev} ANY`)).stdout.trim().split('\n').sort().join('\n');
    seen.set(`${style} ${dhcpd}`, records);
    t.comment(records);
    t.match(named.output(), /updating zone 'ddns\.lab\/IN': adding an RR at 'labpc\.ddns\.lab' A/, 'BIND applied a signed update');

    await t.test('a client that sends a client identifier (option 61)', async (t) => {
      const ns3 = await lab.addClient('pc3', MAC3);
      const cf3 = lab.file('dhclient3.conf', `send host-name "idpc";\nsend dhcp-client-identifier ${UID3};\n`);
      const out = path.join(lab.dir, 'pc3.out');
      await sh(`ip netns exec ${ns3} dhclient -4 -v -1 -cf ${cf3} -sf ${lab.dhclientScript(out)} -lf ${lab.dir}/pc3.leases -pf ${lab.dir}/pc3.pid eth0 2>&1`, 60_000);
      await sh(`kill $(cat ${lab.dir}/pc3.pid)`).catch(() => undefined);
      const ip3 = /BOUND ip=(\S+)/.exec(lab.read('pc3.out'))?.[1] ?? '';
      t.equal(await until('idpc.ddns.lab A', (s) => s === ip3), ip3, `idpc.ddns.lab → ${ip3}`);
      const id = { uid: Buffer.from(UID3.replace(/:/g, ''), 'hex'), hwType: 1, hwAddr: Buffer.from(MAC3.replace(/:/g, ''), 'hex') };
      if (style === 'standard') t.equal((await dig('idpc.ddns.lab DHCID')).replace(/\s+/g, ''), Buffer.from(dhcidRdata(id, 'idpc.ddns.lab.')).toString('base64'), 'DHCID of the client identifier (type 1)');
      else t.equal(await dig('idpc.ddns.lab TXT'), `"${interimTxt(id)}"`, 'TXT "31…" of the client identifier');
      const recs = (await sh(`ip netns exec ${lab.serverNs} dig @127.0.0.1 +noall +answer +time=2 +tries=1 idpc.ddns.lab ANY ${ip3.split('.').reverse().join('.')}.in-addr.arpa PTR`)).stdout.trim().split('\n').sort().join('\n');
      seen.set(`${style} ${dhcpd} id`, recs);
    });

    if (style === 'standard') {
      await t.test('a lease that ends without a renewal: the records go', async (t) => {
        const ns4 = await lab.addClient('pc4', MAC4);
        const cf4 = lab.file('dhclient4.conf', 'send host-name "shortpc";\n');
        const out = path.join(lab.dir, 'pc4.out');
        // dhclient is stopped once bound (no renewal); the 6-second lease then ends.
        await sh(`ip netns exec ${ns4} dhclient -4 -v -1 -cf ${cf4} -sf ${lab.dhclientScript(out)} -lf ${lab.dir}/pc4.leases -pf ${lab.dir}/pc4.pid eth0 2>&1`, 60_000);
        await sh(`kill $(cat ${lab.dir}/pc4.pid)`).catch(() => undefined);
        const ip4 = /BOUND ip=(\S+)/.exec(lab.read('pc4.out'))?.[1] ?? '';
        t.equal(await until('shortpc.ddns.lab A', (s) => s === ip4), ip4, `shortpc.ddns.lab → ${ip4}`);
        const stop = Date.now() + 60_000;
        let a = ip4;
        while (a !== '' && Date.now() < stop) {
          await sleep(500);
          a = await dig('shortpc.ddns.lab A');
        }
        t.equal(a, '', 'A removed when the lease ended');
        t.equal(await dig(`${ip4.split('.').reverse().join('.')}.in-addr.arpa PTR`), '', 'PTR too');
        t.equal(await dig('shortpc.ddns.lab DHCID'), '', 'DHCID too');
      });
    }

    await t.test('a second client asking for the same name is refused', async (t) => {
      // ISC: "Has an address record but no DHCID, not mine." (its words for NXRRSET).
      const refusal = dhcpd === 'triad' ? 'Forward map from labpc\\.ddns\\.lab\\. to [0-9.]+ FAILED: the name belongs to another client' : 'Forward map from labpc\\.ddns\\.lab\\.? to [0-9.]+ FAILED';
      const ns2 = await lab.addClient('pc2', MAC2);
      const ip2 = await dhclient('pc2', ns2);
      t.match(ip2, /^192\.168\.117\.\d+$/, `the second client still gets its lease (${ip2})`);
      t.not(ip2, ip);
      const stop = Date.now() + 10_000;
      while (!new RegExp(refusal).test(server.output()) && Date.now() < stop) await sleep(100);
      t.match(server.output(), new RegExp(refusal), 'refused, with the reason');
      t.equal(await dig('labpc.ddns.lab A'), ip, 'the first client\'s address stays');
      t.equal(await dig(`${ip2.split('.').reverse().join('.')}.in-addr.arpa PTR`), '', 'no PTR for the refused client (ISC adds it only with the name)');
    });

    if (dhcpd === 'triad') {
      await t.test('a restart remembers what was sent (the data directory)', async (t) => {
        server.kill('SIGTERM');
        await new Promise((r) => (server.exitCode !== null ? r(undefined) : server.once('exit', r)));
        t.match(lab.read('dhcp-ddns.json'), /labpc\.ddns\.lab\./, 'kept in DATA_DIR/dhcp-ddns.json');
        server = await lab.startTriad(conf, leases, 'br0', triadArgs);
        t.equal(await dig('labpc.ddns.lab A'), ip, 'the name is still there');
      });
    }

    await t.test('release removes the records', async (t) => {
      await dhclient('pc1', ns1, '-r');
      t.equal(await until('labpc.ddns.lab A', (s) => s === ''), '', 'A gone');
      t.equal(await until(`${rev} PTR`, (s) => s === ''), '', 'PTR gone');
      t.equal(await until(`labpc.ddns.lab ${style === 'standard' ? 'DHCID' : 'TXT'}`, (s) => s === ''), '', `${style === 'standard' ? 'DHCID' : 'TXT'} gone`);
      t.match((await sh(`ip netns exec ${lab.serverNs} dig @127.0.0.1 +time=2 +tries=1 labpc.ddns.lab A`)).stdout, /status: NXDOMAIN/, 'the name no longer exists');
      t.match(server.output(), /Removed forward map from labpc\.ddns\.lab\.?/, 'logged');
    });
    if (dhcpd === 'triad') {
      await t.test('beside it, names of Triad\'s own zones go there (unchanged)', async (t) => {
        const ns6 = await lab.addClient('pc6', MAC6);
        const cf6 = lab.file('dhclient6.conf', 'send host-name "ownpc";\n');
        const out = path.join(lab.dir, 'pc6.out');
        await sh(`ip netns exec ${ns6} dhclient -4 -v -1 -cf ${cf6} -sf ${lab.dhclientScript(out)} -lf ${lab.dir}/pc6.leases -pf ${lab.dir}/pc6.pid eth0 2>&1`, 60_000);
        await sh(`kill $(cat ${lab.dir}/pc6.pid)`).catch(() => undefined);
        const ip6 = /BOUND ip=(\S+)/.exec(lab.read('pc6.out'))?.[1] ?? '';
        const stop = Date.now() + 10_000;
        let a = '';
        while (a !== ip6 && Date.now() < stop) {
          a = (await sh(`ip netns exec ${lab.serverNs} dig @127.0.0.2 +short +time=2 +tries=1 ownpc.own.lab A`)).stdout.trim();
          if (a !== ip6) await sleep(100);
        }
        t.equal(a, ip6, 'Triad\'s own zone answers ownpc.own.lab');
        t.equal(await until(`${ip6.split('.').reverse().join('.')}.in-addr.arpa PTR`, (s) => s !== ''), 'ownpc.own.lab.', 'its PTR went to BIND (the reverse zone is BIND\'s)');
        t.equal(await dig('ownpc.own.lab A'), '', 'BIND was not sent the own zone\'s name');
        t.notMatch(server.output(), /not adding [a-z0-9.]*ddns\.lab\.|not adding [0-9.]*in-addr\.arpa\./, 'Triad\'s DNS is not offered the names that went to BIND');
      });
    }

    if (dhcpd === 'triad' && style === 'standard') {
      await t.test('a wrong key: BIND refuses the update, nothing is added, the client keeps its lease', async (t) => {
        const wrong = (await sh('tsig-keygen -a hmac-sha256 ddns-key')).stdout;
        lab.file('ddns.key', wrong);
        const count = (): number => (server.output().match(/"service":"dhcp"[^\n]*"reloaded"|"reloaded"[^\n]*"service":"dhcp"/g) ?? []).length;
        const before = count();
        server.kill('SIGHUP');
        const stop = Date.now() + 10_000;
        while (count() === before && Date.now() < stop) await sleep(100);
        t.ok(count() > before, 'DHCP reloaded with the other secret');
        const ns5 = await lab.addClient('pc5', '02:00:00:00:77:05');
        const cf5 = lab.file('dhclient5.conf', 'send host-name "badkey";\n');
        const out = path.join(lab.dir, 'pc5.out');
        await sh(`ip netns exec ${ns5} dhclient -4 -v -1 -cf ${cf5} -sf ${lab.dhclientScript(out)} -lf ${lab.dir}/pc5.leases -pf ${lab.dir}/pc5.pid eth0 2>&1`, 60_000);
        await sh(`kill $(cat ${lab.dir}/pc5.pid)`).catch(() => undefined);
        t.match(/BOUND ip=(\S+)/.exec(lab.read('pc5.out'))?.[1] ?? '', /^192\.168\.117\.\d+$/, 'the client gets its lease');
        const end = Date.now() + 10_000;
        while (!/Forward map from badkey\.ddns\.lab\. to [0-9.]+ FAILED/.test(server.output()) && Date.now() < end) await sleep(100);
        t.match(server.output(), /Forward map from badkey\.ddns\.lab\. to [0-9.]+ FAILED: the answer from 127\.0\.0\.1 failed its TSIG check/, 'logged with the reason');
        t.equal(await dig('badkey.ddns.lab A'), '', 'no record added');
        t.match(named.output(), /request has invalid signature|tsig verify failure|BADSIG/i, 'BIND saw a bad signature');
      });
    }
    server.kill('SIGTERM');
    named.kill('SIGTERM');
  });
}

t.test('Triad leaves in BIND the records ISC dhcpd leaves', async (t) => {
  for (const style of ['standard', 'interim']) {
    const triad = seen.get(`${style} triad`);
    t.ok(triad, `Triad's ${style} records were read`);
    t.equal(triad, seen.get(`${style} isc`), `${style}: the same names, TTLs and data`);
    t.ok(seen.get(`${style} triad id`), `Triad's ${style} records for a client identifier were read`);
    t.equal(seen.get(`${style} triad id`), seen.get(`${style} isc id`), `${style}, client identifier: the same records`);
  }
});

/** ISC dhcpd (Debian's isc-dhcp-server) in the server namespace, in the foreground, on br0. */
async function startIsc(lab: NetnsLab, conf: string, leases: string): ReturnType<NetnsLab['startTriad']> {
  const p = lab.spawnIn(lab.serverNs, 'dhcpd', ['-4', '-f', '-d', '-cf', conf, '-lf', leases, '-pf', path.join(lab.dir, 'dhcpd.pid'), 'br0']);
  const end = Date.now() + 15_000;
  while (!/Sending on/.test(p.output())) {
    if (p.exitCode !== null || Date.now() > end) throw new Error(`dhcpd did not start:\n${p.output()}`);
    await sleep(100);
  }
  return p;
}

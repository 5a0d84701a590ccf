// ISC dhcpd's DDNS updates received by Triad's DNS, end to end in network namespaces: ISC dhcpd
// (Debian's isc-dhcp-server) has `zone` statements with a key made by tsig-keygen pointing at
// 127.0.0.1, where Triad serves ddns.lab and its reverse zone with `allow-update { key ddns-key; }`.
// A dhclient gets a lease: its A, PTR and DHCID (standard) or TXT (interim) are served by Triad;
// `dhclient -r` removes them. The same dhcpd configuration pointed at BIND (named) leaves the same
// records. Triad runs with cluster workers for one style and in-process for the other.

import t from 'tap';
import path from 'node:path';
import { NetnsLab, sh, sleep, labPrerequisites } from '../dhcp/netns-lab.js';
import { BIN_TRIAD } from '../helpers/paths.js';
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
const MAC1 = '02:00:00:00:78:01';
const MAC2 = '02:00:00:00:78:02';

/** What the DNS server holds for the client once it is bound, per server and style: to compare. */
const seen = new Map<string, string>();

for (const style of ['standard', 'interim'] as const) for (const dns of ['triad', 'bind'] as const) {
  t.test(`ISC dhcpd's DDNS to ${dns === 'triad' ? 'Triad' : 'BIND'}, ddns-update-style ${style}`, { timeout: 180_000 }, async (t) => {
    if (!(await labPrerequisites(t, ['ip', 'dhclient', 'dig', 'named', 'tsig-keygen', 'dhcpd']))) return;
    const lab = new NetnsLab('tdi');
    t.teardown(() => lab.cleanup());
    await lab.setupServer('192.168.118.1/24');
    const key = lab.file('ddns.key', (await sh('tsig-keygen -a hmac-sha256 ddns-key')).stdout);
    lab.file('ddns.lab.zone', ZONE);
    lab.file('rev.zone', REV);
    const zones = `include "${key}";
zone "ddns.lab" { type primary; file "ddns.lab.zone"; allow-update { key ddns-key; }; };
zone "118.168.192.in-addr.arpa" { type primary; file "rev.zone"; allow-update { key ddns-key; }; };
`;
    let server: ReturnType<NetnsLab['spawnIn']>;
    if (dns === 'bind') {
      const namedConf = lab.file(
        'named.conf',
        `options { directory "${lab.dir}"; listen-on port 53 { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; dnssec-validation no;
  pid-file none; session-keyfile "${lab.dir}/session.key"; managed-keys-directory "${lab.dir}"; };
controls { };
${zones}`,
      );
      server = lab.spawnIn(lab.serverNs, 'named', ['-g', '-n', '1', '-c', namedConf]);
    } else {
      const namedConf = lab.file('named.conf', `options { directory "${lab.dir}"; listen-on port 53 { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; };\n${zones}`);
      await sh(`mkdir -p ${lab.dir}/confdir`);
      // Cluster workers for one style, in-process DNS for the other: both paths see the updates.
      const workers = style === 'standard' ? [] : ['--dns-workers', '0'];
      server = lab.spawnIn(lab.serverNs, process.execPath, [BIN_TRIAD, 'run', '--conf-dir', `${lab.dir}/confdir`, '--data-dir', lab.dir, '--named-conf', namedConf, ...workers]);
    }
    const ready = dns === 'bind' ? /running/ : /dns serving/;
    const end = Date.now() + 20_000;
    while (!ready.test(server.output())) {
      if (server.exitCode !== null || Date.now() > end) throw new Error(`${dns} did not start:\n${server.output()}`);
      await sleep(100);
    }
    t.teardown(() => void server.kill('SIGTERM'));

    const conf = lab.file(
      'dhcpd.conf',
      `ddns-update-style ${style};
ddns-domainname "ddns.lab.";
default-lease-time 600;
authoritative;
include "${key}";
zone ddns.lab. { primary 127.0.0.1; key ddns-key; }
zone 118.168.192.in-addr.arpa. { primary 127.0.0.1; key ddns-key; }
subnet 192.168.118.0 netmask 255.255.255.0 { range 192.168.118.100 192.168.118.150; }
`,
    );
    const leases = lab.file('dhcpd.leases', '');
    const dhcpd = lab.spawnIn(lab.serverNs, 'dhcpd', ['-4', '-f', '-d', '-cf', conf, '-lf', leases, '-pf', path.join(lab.dir, 'dhcpd.pid'), 'br0']);
    const end2 = Date.now() + 15_000;
    while (!/Sending on/.test(dhcpd.output())) {
      if (dhcpd.exitCode !== null || Date.now() > end2) throw new Error(`dhcpd did not start:\n${dhcpd.output()}`);
      await sleep(100);
    }
    t.teardown(() => void dhcpd.kill('SIGTERM'));

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
    const dhclient = async (ns: string, extra = '', what = 'pc1'): Promise<string> => {
      const out = path.join(lab.dir, `${what}.out`);
      await sh(`ip netns exec ${ns} dhclient -4 -v -1 ${extra} -cf ${cf} -sf ${lab.dhclientScript(out)} -lf ${lab.dir}/${what}.leases -pf ${lab.dir}/${what}.pid eth0 2>&1; echo rc=$?`, 60_000);
      await sh(`kill $(cat ${lab.dir}/${what}.pid)`).catch(() => undefined);
      return /BOUND ip=(\S+)/.exec(lab.read(`${what}.out`))?.[1] ?? '';
    };

    const ns1 = await lab.addClient('pc1', MAC1);
    const ip = await dhclient(ns1);
    t.match(ip, /^192\.168\.118\.\d+$/, `the client bound ${ip}`);
    t.equal(await until('labpc.ddns.lab A', (s) => s === ip), ip, 'the client\'s name answers with its address');
    const rev = ip.split('.').reverse().join('.') + '.in-addr.arpa';
    t.equal(await until(`${rev} PTR`, (s) => s !== ''), 'labpc.ddns.lab.', 'and the PTR');
    const client = { hwType: 1, hwAddr: Buffer.from(MAC1.replace(/:/g, ''), 'hex') };
    if (style === 'standard') {
      const want = Buffer.from(dhcidRdata(client, 'labpc.ddns.lab.')).toString('base64');
      t.equal((await dig('labpc.ddns.lab DHCID')).replace(/\s+/g, ''), want, 'the DHCID record (RFC 4701, hardware address)');
    } else {
      t.equal(await dig('labpc.ddns.lab TXT'), `"${interimTxt(client)}"`, 'the TXT record ISC\'s interim style writes');
    }
    t.match(dhcpd.output(), /Added new forward map from labpc\.ddns\.lab\.? to /, 'dhcpd logs the forward map added');
    t.match(dhcpd.output(), /Added reverse map from /, 'and the reverse map');
    const records = (await sh(`ip netns exec ${lab.serverNs} dig @127.0.0.1 +noall +answer +time=2 +tries=1 labpc.ddns.lab ANY ${rev} PTR`)).stdout.trim().split('\n').sort().join('\n');
    seen.set(style, (seen.get(style) ?? '') + `${dns}\n${records}\n`);
    t.comment(records);
    const soa = (await dig('ddns.lab SOA')).split(/\s+/)[2];
    t.not(soa, '1', `the zone's serial moved on (${soa})`);

    await t.test('a second client asking for the same name is refused by the prerequisites (RFC 4703)', async (t) => {
      const ns2 = await lab.addClient('pc2', MAC2);
      const ip2 = await dhclient(ns2, '', 'pc2');
      t.match(ip2, /^192\.168\.118\.\d+$/, `the second client gets its lease (${ip2})`);
      const failed = new RegExp(`Forward map from labpc\\.ddns\\.lab\\.? to ${ip2.replace(/\./g, '\\.')} FAILED: (.*)`);
      const stop = Date.now() + 10_000;
      while (!failed.test(dhcpd.output()) && Date.now() < stop) await sleep(100);
      const why = failed.exec(dhcpd.output())?.[1] ?? '';
      t.ok(why, `dhcpd logs the refusal: ${why}`);
      seen.set(`${style} refusal`, (seen.get(`${style} refusal`) ?? '') + `${dns}\n${why}\n`);
      t.equal(await dig('labpc.ddns.lab A'), ip, 'the first client\'s address stays');
      t.equal(await dig(`${ip2.split('.').reverse().join('.')}.in-addr.arpa PTR`), '', 'no PTR for the refused client');
    });

    await t.test('dhclient -r removes the records', async (t) => {
      const from = dhcpd.output().length;
      await dhclient(ns1, '-r');
      t.equal(await until('labpc.ddns.lab A', (s) => s === ''), '', 'A gone');
      t.equal(await until(`${rev} PTR`, (s) => s === ''), '', 'PTR gone');
      t.equal(await until(`labpc.ddns.lab ${style === 'standard' ? 'DHCID' : 'TXT'}`, (s) => s === ''), '', `${style === 'standard' ? 'DHCID' : 'TXT'} gone`);
      t.match((await sh(`ip netns exec ${lab.serverNs} dig @127.0.0.1 +time=2 +tries=1 labpc.ddns.lab A`)).stdout, /status: NXDOMAIN/, 'the name no longer exists');
      t.match(dhcpd.output(), /Removed forward map from labpc\.ddns\.lab\.?/, 'dhcpd logs the removal');
      t.notMatch(dhcpd.output().slice(from), /FAILED|REFUSED|NOTAUTH|SERVFAIL|FORMERR/, 'no update was refused');
    });
  });
}

t.test('Triad holds what BIND holds after the same updates from ISC dhcpd', async (t) => {
  for (const style of ['standard', 'interim']) {
    const both = seen.get(style) ?? '';
    const [, triad = '', bind = ''] = /^triad\n([\s\S]*?)bind\n([\s\S]*)$/.exec(both) ?? [];
    t.ok(triad.trim(), `${style}: Triad's records were read`);
    t.equal(triad, bind, `${style}: the same names, TTLs and data`);
    const refusal = /^triad\n([\s\S]*?)bind\n([\s\S]*)$/.exec(seen.get(`${style} refusal`) ?? '');
    t.ok(refusal?.[1].trim(), `${style}: dhcpd's refusal against Triad was read`);
    t.equal(refusal?.[1], refusal?.[2], `${style}: dhcpd logs the same reason against both servers`);
  }
});

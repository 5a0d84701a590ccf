// A lease turned into a fixed host: the decision, the block's text, and dhcpd.conf's
// loader reading Triad's fixed-host file after the user's file (with its own diagnostics).
import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decideFixedHost, markFixed, renderFixedHost } from '../../src/dhcp/fixed-host.js';
import { loadDhcpdConf, parseDhcpdConf } from '../../src/config/dhcpd-conf.js';
import type { Lease } from '../../src/dhcp/lease.js';
import { formatIPv4, parseIPv4 } from '../../src/wire/ipv4.js';

const ip = (s: string) => parseIPv4(s) as number;
const lease = (over: Partial<Lease> = {}): Lease => ({ ip: ip('10.0.0.150'), starts: 0, ends: 2000, state: 'active', hwType: 1, hwAddr: Buffer.from('020000008650', 'hex'), hostname: 'laptop', ...over });
const conf = (text: string) => parseDhcpdConf('d.conf', `subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.150 10.0.0.199; }\n${text}`).conf;

t.test('the decision', async (t) => {
  t.same(decideFixedHost(conf(''), lease(), ip('10.0.0.150'), 1000), { name: 'laptop', mac: '02:00:00:00:86:50', ip: '10.0.0.150' }, "the lease's MAC, address and hostname");
  t.same(decideFixedHost(conf(''), lease(), ip('10.0.0.150'), 1000, 'printer'), { name: 'printer', mac: '02:00:00:00:86:50', ip: '10.0.0.150' }, 'a NAME given wins');
  t.equal((decideFixedHost(conf(''), lease({ hostname: undefined }), ip('10.0.0.150'), 1000) as { name: string }).name, 'fixed-02-00-00-00-86-50', 'no hostname: a name from the MAC');
  t.equal((decideFixedHost(conf(''), lease({ hostname: 'my laptop' }), ip('10.0.0.150'), 1000) as { name: string }).name, 'fixed-02-00-00-00-86-50', 'an unusable hostname: a name from the MAC');
  const refused = (c: ReturnType<typeof conf>, l: Lease | undefined, name?: string) => (decideFixedHost(c, l, ip('10.0.0.150'), 1000, name) as { refused?: string }).refused;
  t.match(refused(conf(''), undefined), /no active lease for 10\.0\.0\.150/, 'no lease');
  t.match(refused(conf(''), lease({ ends: 900 })), /no active lease/, 'an expired lease');
  t.match(refused(conf(''), lease({ state: 'free' })), /no active lease/, 'a free one');
  t.match(refused(conf('host a { hardware ethernet 02:00:00:00:86:50; }\n'), lease()), /host a already has hardware ethernet 02:00:00:00:86:50/, 'a host with the MAC');
  t.match(refused(conf('host b { hardware ethernet 02:00:00:00:00:01; fixed-address 10.0.0.150; }\n'), lease()), /host b already has fixed-address 10\.0\.0\.150/, 'a host with the address');
  t.match(refused(conf('host laptop { hardware ethernet 02:00:00:00:00:01; }\n'), lease()), /a host named laptop already exists/, 'a host with the name');
  t.match(refused(conf(''), lease(), 'bad name;'), /not a usable host name/, 'a NAME that would not parse');
});

t.test('the block, read back by the loader as if included at the end', async (t) => {
  const text = renderFixedHost({ name: 'laptop', mac: '02:00:00:00:86:50', ip: '10.0.0.150' }, new Date('2026-12-01T01:00:00.123Z'));
  t.equal(text, '# from the lease of 10.0.0.150, 2026-12-01T01:00:00Z\nhost laptop {\n  hardware ethernet 02:00:00:00:86:50;\n  fixed-address 10.0.0.150;\n}\n');
  const dir = mkdtempSync(path.join(tmpdir(), 'triad-fixed-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const main = path.join(dir, 'dhcpd.conf');
  const tail = path.join(dir, 'fixed.conf');
  writeFileSync(main, 'subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.150 10.0.0.199; }\n');
  t.equal(loadDhcpdConf(main, tail).conf.hosts.length, 0, 'no file: nothing read');
  writeFileSync(tail, text);
  const c = loadDhcpdConf(main, tail).conf;
  t.equal(c.hosts.length, 1, 'the host is read');
  t.same(markFixed([{ ip: '10.0.0.150', mac: '02:00:00:00:86:50' }, { ip: '10.0.0.151', mac: '02:00:00:00:86:51' }], c).map((r) => r.fixedHost), ['laptop', null], 'the lease row shows its fixed host');
  writeFileSync(tail, text + 'host broken {\n  hardware ethernet zz;\n}\n');
  const { sink } = parseDhcpdConf(main, undefined, undefined, tail);
  t.ok(sink.errors.length > 0, 'a broken file is an error');
  t.equal(sink.errors[0].file, tail, "in the fixed-host file's name");
  t.equal(sink.errors[0].line, 7, 'at its line');
  t.throws(() => loadDhcpdConf(main, tail), 'and loading it throws (a reload keeps the running configuration)');
  t.equal(loadDhcpdConf(main).conf.hosts.length, 0, 'dhcpd.conf alone still loads');
});

t.test('the client of a lease made fixed keeps its address after the reload', async (t) => {
  const { handleRequest, newEngineState } = await import('../../src/dhcp/engine.js');
  const { IDS, LINK, msg } = await import('./engine-fixture.js');
  const base = 'authoritative;\ndefault-lease-time 600;\nsubnet 192.168.117.0 netmask 255.255.255.0 {\n  range 192.168.117.100 192.168.117.102;\n}\n';
  const NOW = 1_800_000_000_000;
  const a4 = (s: string): number[] => s.split('.').map(Number);
  const m = '02:00:00:00:00:01';
  const before = parseDhcpdConf('d.conf', base).conf;
  const st = newEngineState(before, new (await import('../../src/dhcp/lease.js')).LeaseDb());
  const offer = handleRequest(st, msg(m, 1), LINK, NOW, IDS).reply!.packet.yiaddr;
  const ack = handleRequest(st, msg(m, 3, [[50, 4, ...a4(formatIPv4(offer))], [54, 4, 192, 168, 117, 1]]), LINK, NOW, IDS);
  for (const l of ack.commit) st.db.put(l);
  const host = decideFixedHost(before, st.db.get(offer), offer, NOW / 1000 + 1);
  if ('refused' in host) return t.fail(host.refused);
  const after = parseDhcpdConf('d.conf', base + renderFixedHost(host, new Date(NOW)));
  t.same(after.sink.errors, [], 'the configuration with the host block loads');
  const st2 = newEngineState(after.conf, st.db);
  const renew = handleRequest(st2, msg(m, 3, [], (p) => (p.ciaddr = offer)), LINK, NOW + 300_000, IDS);
  t.equal(renew.reply!.packet.options.get(53)![0], 5, 'RENEWING after the reload: ACK');
  t.equal(formatIPv4(renew.reply!.packet.yiaddr), formatIPv4(offer), 'with the same (now fixed) address');
  const fresh = handleRequest(st2, msg(m, 1), LINK, NOW + 400_000, IDS);
  t.equal(formatIPv4(fresh.reply!.packet.yiaddr), formatIPv4(offer), 'a new DISCOVER is offered the fixed address');
});

t.test('a broken fixed-host file: DHCP starts without it, a reload keeps what runs', async (t) => {
  const { loadDhcpConfig } = await import('../../src/dhcp/load-conf.js');
  const { pino } = await import('pino');
  const dir = mkdtempSync(path.join(tmpdir(), 'triad-fixed-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const main = path.join(dir, 'dhcpd.conf');
  writeFileSync(main, 'subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.150 10.0.0.199; }\n');
  writeFileSync(path.join(dir, 'dhcpd-fixed-hosts.conf'), 'host a {\n  hardware ethernet 02:00:00:00:00:01;\n  fixed-address 10.0.0.5;\n}\nhost b { fixed-address nonsense!; }\n');
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
  const c = loadDhcpConfig(main, { dataDir: dir, log }, true);
  t.equal(c.subnets.length, 1, 'at start dhcpd.conf is served');
  t.equal(c.hosts.length, 0, 'without the broken file');
  t.match(lines.join(''), /dhcpd-fixed-hosts\.conf:5:\d+: error.*fixed-host file is broken/, 'and logs why, at its file:line');
  t.throws(() => loadDhcpConfig(main, { dataDir: dir, log }, false), 'a reload throws (the running configuration stays)');
  writeFileSync(path.join(dir, 'dhcpd-fixed-hosts.conf'), 'host a {\n  hardware ethernet 02:00:00:00:00:01;\n  fixed-address 10.0.0.5;\n}\n');
  t.equal(loadDhcpConfig(main, { dataDir: dir, log }, false).hosts.length, 1, 'once fixed, the reload reads the host');
});

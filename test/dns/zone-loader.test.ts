import t from 'tap';
import path from 'node:path';
import { loadZoneFile, loadZoneText } from '../../src/dns/zone-loader.js';
import { compileZoneText } from '../../src/dns/compile.js';
import { nameKey, parseName } from '../../src/wire/dns-name.js';
import { T } from '../../src/wire/rr-type.js';
import { DEMO_ZONES, REPO_ROOT } from '../helpers/paths.js';

const HEAD = '$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n';

function errors(text: string): string[] {
  return loadZoneText({ origin: 'example', text }).diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
}

t.test('lab zones load with their serial, nodes and empty non-terminals', async (t) => {
  const dir = DEMO_ZONES;
  const r = loadZoneFile({ origin: 'cafe.babe', file: 'cafe.babe.zone', directory: dir });
  t.ok(r.zone, r.diagnostics.map((d) => d.message).join('; '));
  const z = r.zone;
  if (!z) return;
  t.equal(z.serial, 2026112201);
  const www = z.nodes.get(nameKey(parseName('www.cafe.babe.')));
  t.same([...(www?.rrsets.keys() ?? [])].sort(), [T.A, T.AAAA]);
  t.ok(z.nodes.has(nameKey(parseName('dev.cafe.babe.'))), 'empty non-terminal above *.dev');
  t.ok(z.nodes.has(nameKey(parseName('dhcp-119.cafe.babe.'))), '$GENERATE names');
  t.equal(z.nodes.get(nameKey(parseName('pxe.cafe.babe.')))?.rrsets.get(T.A)?.ttl, 300);
  const rev = loadZoneFile({ origin: '117.168.192.in-addr.arpa', file: '192.168.117.rev', directory: dir });
  t.ok(rev.zone);
  t.equal(rev.zone?.nodes.get(nameKey(parseName('128.117.168.192.in-addr.arpa.')))?.rrsets.get(T.PTR)?.rdatas.length, 1);
});

t.test('RRset TTLs: first wins within a run, a later run replaces (as BIND)', async (t) => {
  const r = loadZoneText({ origin: 'example', text: HEAD + 'a 100 A 1.1.1.1\na 200 A 1.1.1.2\nb A 1.1.1.3\nb 50 TXT "x"\na 60 A 1.1.1.4\n' });
  const a = r.zone?.nodes.get(nameKey(parseName('a.example.')))?.rrsets.get(T.A);
  t.equal(a?.ttl, 60);
  t.equal(a?.rdatas.length, 3);
  t.ok(r.diagnostics.some((d) => d.severity === 'warning' && /prior TTL \(100\)/.test(d.message) && d.line === 6));
});

t.test('RRSIGs keep a TTL per covered type', async (t) => {
  const sig = (c: string, ttl: number) => `@ ${ttl} RRSIG ${c} 8 1 ${ttl} 20300101000000 20200101000000 1 example. AwEAAQ==\n`;
  const r = loadZoneText({ origin: 'example', text: HEAD + sig('SOA', 3600) + sig('NS', 60) });
  const lines = compileZoneText(r.records ?? []);
  t.ok(lines.some((l) => l.startsWith('example. 3600 IN RRSIG SOA')));
  t.ok(lines.some((l) => l.startsWith('example. 60 IN RRSIG NS')));
});

t.test('BIND load checks give the same verdicts', async (t) => {
  t.same(errors(HEAD), []);
  t.match(errors('$TTL 1\n@ NS ns\nns A 1.2.3.4\n'), [/no SOA/]);
  t.match(errors('$TTL 1\n@ SOA ns hm 1 2 3 4 5\n'), [/no NS/]);
  t.match(errors(HEAD + 'c CNAME ns\nc TXT "x"\n'), [/CNAME and other data/]);
  t.same(errors(HEAD + 'c CNAME ns\nc KEY 256 3 8 AwEAAQ==\n'), []);
  t.match(errors(HEAD + 'c CNAME ns\nc CNAME ns2\n'), [/singleton/]);
  t.match(errors(HEAD + 'x SOA ns hm 1 2 3 4 5\n'), [/not at top of zone/]);
  t.match(errors(HEAD + 'x CH A 1.2.3.4\n'), [/class 'CH' != zone class 'IN'/]);
  t.match(errors(HEAD + '@ DS 1 8 1 ' + '00'.repeat(20) + '\n'), [/DS record at top of zone/]);
  t.match(errors(HEAD + '@ NS ns2\nns2 TXT "no address"\n'), [/has no address records/]);
  t.match(errors(HEAD + '@ NS ns3\n'), [/has no address records/]);
  t.same(errors(HEAD + '@ NS ns.w\n*.w A 192.0.2.9\n'), [], 'a wildcard supplies the address');
  t.same(errors(HEAD + '@ NS ns.sub\nsub NS ns.sub\n'), [], 'target below a zone cut: a referral, accepted');
  t.same(errors(HEAD + 'sub NS ns.sub\nns.sub TXT "x"\n'), [], 'delegations are not checked, as named-checkzone -i full');
  t.match(errors(HEAD + '@ NS c\nc CNAME ns\n'), [/is a CNAME/]);
  t.match(errors(HEAD + '@ NS ns.d\nd DNAME x.\nns.d A 192.0.2.3\n'), [/below a DNAME/]);
  t.match(errors(HEAD + '*.w NS ns\n'), [/wildcard NS/]);
  t.match(errors(HEAD + 'm MD ns\n'), [/obsolete/]);
  t.match(errors(HEAD + '@ CDS 1 8 2 ' + '00'.repeat(32) + '\n'), [/CDS\/CDNSKEY/]);
  const out = loadZoneText({ origin: 'example', text: HEAD + 'x.other. A 1.2.3.4\n' });
  t.ok(out.zone);
  t.ok(out.diagnostics.some((d) => d.severity === 'warning' && /out-of-zone/.test(d.message)));
});

t.test('duplicates: names compare case-insensitively; the later one of a run is kept', async (t) => {
  const r = loadZoneText({ origin: 'example', text: HEAD + 'a NS NS.example.\na NS ns.example.\nb TXT "x"\nb TXT "X"\n' });
  const lines = compileZoneText(r.records ?? []);
  t.same(lines.filter((l) => l.startsWith('a.')), ['a.example. 300 IN NS ns.example.']);
  t.equal(lines.filter((l) => l.startsWith('b.')).length, 2);
});

t.test('$INCLUDE restores the origin and the current owner', async (t) => {
  const dir = path.join(REPO_ROOT, 'test', 'fixtures', 'zones');
  const r = loadZoneText({ origin: 'example', directory: dir, text: HEAD + 'a A 1.2.3.4\n$INCLUDE inc/included.db sub.example.\n A 1.2.3.5\n' });
  const a = r.zone?.nodes.get(nameKey(parseName('a.example.')))?.rrsets.get(T.A);
  t.equal(a?.rdatas.length, 2);
  t.ok(r.zone?.nodes.has(nameKey(parseName('inc1.sub.example.'))));
});

t.test('every error of a file is reported with its position', async (t) => {
  const r = loadZoneText({ origin: 'example', file: 'e.db', text: HEAD + 'a A 1.2.3.999\nb MX 10\nc AAAA ::g\n' });
  t.notOk(r.zone);
  t.same(r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.line}:${d.col}`), ['e.db:5:5', 'e.db:6:6', 'e.db:7:8']);
});

t.test('a 10,000-name zone loads (time reported, not asserted)', async (t) => {
  let text = HEAD;
  for (let i = 0; i < 10000; i++) text += `host${i} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}\n`;
  const t0 = process.hrtime.bigint();
  const r = loadZoneText({ origin: 'example', text });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  t.equal(r.zone?.nodes.size, 10002);
  t.comment(`10,000-name zone loaded in ${ms.toFixed(0)} ms`);
});

t.test('check-names: warn by default (named-checkzone), fail on request (named for primaries)', async (t) => {
  const text = HEAD + 'xx_xx A 192.0.2.9\n@ MX 10 mail_1\n';
  const warn = loadZoneText({ origin: 'example', text });
  t.ok(warn.zone);
  t.same(warn.diagnostics.filter((d) => /check-names/.test(d.message)).map((d) => `${d.severity} ${d.line}`), ['warning 5', 'warning 6']);
  const fail = loadZoneText({ origin: 'example', text, checkNames: 'fail' });
  t.notOk(fail.zone);
  t.match(fail.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), [/xx_xx.example.: bad owner name/, /mail_1.example.: bad name/]);
  t.same(loadZoneText({ origin: 'example', text, checkNames: 'ignore' }).diagnostics.filter((d) => /check-names/.test(d.message)), []);
  t.ok(loadZoneText({ origin: 'example', text: HEAD + '*.w A 192.0.2.1\n_srv._tcp SRV 0 0 1 ns\n', checkNames: 'fail' }).zone, 'wildcards and service labels pass');
});

t.test('NS written as an address: a warning for checkzone, fatal in compilezone mode', async (t) => {
  const text = HEAD + 'a NS 192.0.2.7\nb MX 10 192.0.2.8\n';
  const warn = loadZoneText({ origin: 'example', text });
  t.ok(warn.zone);
  t.same(warn.diagnostics.filter((d) => /appears to be an address/.test(d.message)).map((d) => `${d.severity} ${d.line}:${d.col}`), ['warning 5:6', 'warning 6:9']);
  const fail = loadZoneText({ origin: 'example', text, checkNsAddress: 'fail' });
  t.notOk(fail.zone);
  t.equal(fail.diagnostics.filter((d) => d.severity === 'error').length, 1, 'only the NS is fatal');
});

t.test('$GENERATE ranges: trailing slash refused, trailing text ignored, huge ranges bounded', async (t) => {
  t.match(errors(HEAD + '$GENERATE 1-3/ h$ A 192.0.2.$\n'), [/bad range/]);
  t.same(errors(HEAD + '$GENERATE 1-3/1x h$ A 192.0.2.$\n'), []);
  t.match(errors(HEAD + '$GENERATE 0-4294967295 h$ TXT x\n'), [/more than 1000000 records/]);
});

// Catalog zone contents (RFC 9432 §4): the version gate, member PTRs under `zones`,
// what is ignored (bad versions, several PTRs under one label, names outside the
// schema, the catalog itself), duplicates, and the primaries properties; the file
// names members get; and the `catalog-zones` statement of named.conf.
import t from 'tap';
import { catalogMemberFile, catalogMembers } from '../../src/dns/catalog.js';
import { loadZoneText } from '../../src/dns/zone-loader.js';
import { buildZone, type Zone } from '../../src/dns/zone.js';
import { parseName } from '../../src/wire/dns-name.js';
import { CLASS_IN } from '../../src/wire/rr-type.js';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { parseNamedConf } from '../../src/config/named-conf.js';

function catalog(body: string, version = '"2"'): Zone {
  const text = `$TTL 0\n$ORIGIN catalog.example.\n@ SOA invalid. invalid. 1 3600 600 86400 0\n@ NS invalid.\n${version === '' ? '' : `version TXT ${version}\n`}${body}`;
  const r = loadZoneText({ origin: 'catalog.example', text });
  if (!r.records) throw new Error(`fixture does not load: ${JSON.stringify(r.diagnostics)}`);
  return buildZone(parseName('catalog.example.'), CLASS_IN, r.records, 1);
}

t.test('members of a version 2 catalog', async (t) => {
  const r = catalogMembers(catalog('m1.zones PTR one.test.\nm2.zones PTR Two.Test.\n'));
  t.equal(r.ok, true);
  t.equal(r.version, '2');
  t.same(r.members.map((m) => [m.name, m.id]), [['one.test', 'm1'], ['Two.Test', 'm2']]);
  t.same(r.problems, []);
});

t.test('an empty catalog has no members and is usable', async (t) => {
  const r = catalogMembers(catalog(''));
  t.equal(r.ok, true);
  t.same(r.members, []);
});

t.test('version: missing, unsupported, several records or strings: the catalog is not used', async (t) => {
  t.equal(catalogMembers(catalog('m1.zones PTR one.test.\n', '')).ok, false, 'no version');
  const v3 = catalogMembers(catalog('m1.zones PTR one.test.\n', '"3"'));
  t.equal(v3.ok, false, 'version 3');
  t.match(v3.problems[0], /unsupported catalog version "3"/);
  t.same(v3.members, []);
  t.equal(catalogMembers(catalog('m1.zones PTR one.test.\nversion TXT "1"\n')).ok, false, 'two version records');
  t.equal(catalogMembers(catalog('', '"2" "2"')).ok, false, 'two strings');
  t.equal(catalogMembers(catalog('m1.zones PTR one.test.\n', '"1"')).ok, true, "BIND's version 1 is read");
});

t.test('names outside the schema and other types are ignored', async (t) => {
  const r = catalogMembers(catalog([
    'zones PTR apex-of-zones.test.',
    'a.b.zones PTR too-deep.test.',
    'm1.other PTR not-zones.test.',
    'm2.zones TXT "not a PTR"',
    'm3.zones PTR ok.test.',
    'group.m3.zones TXT "g"',
  ].join('\n') + '\n'));
  t.equal(r.ok, true);
  t.same(r.members.map((m) => m.name), ['ok.test']);
});

t.test('invalid members: the catalog itself, the root', async (t) => {
  const r = catalogMembers(catalog('m2.zones PTR catalog.example.\nm3.zones PTR .\nm4.zones PTR good.test.\n'));
  t.equal(r.ok, true);
  t.same(r.members.map((m) => m.name), ['good.test']);
  t.equal(r.problems.length, 2);
});

t.test('several PTRs under one unique label: a broken catalog, not processed (§4.1)', async (t) => {
  const r = catalogMembers(catalog('m1.zones PTR a.test.\nm1.zones PTR b.test.\nm4.zones PTR good.test.\n'));
  t.equal(r.ok, false);
  t.same(r.members, []);
  t.match(r.problems.join('\n'), /2 PTR records under one unique label/);
});

t.test('the same zone under two unique labels is taken once, the same one whatever the order', async (t) => {
  const a = catalogMembers(catalog('zz.zones PTR dup.test.\naa.zones PTR DUP.test.\n'));
  const b = catalogMembers(catalog('aa.zones PTR DUP.test.\nzz.zones PTR dup.test.\n'));
  t.equal(a.members.length, 1);
  t.equal(a.members[0].id, 'aa');
  t.same(a.members, b.members);
  t.match(a.problems[0], /listed under two unique labels/);
});

t.test('primaries properties: the member\'s own, else the catalog-wide ones', async (t) => {
  const r = catalogMembers(catalog([
    'primaries.ext A 192.0.2.1',
    'm1.zones PTR one.test.',
    'm2.zones PTR two.test.',
    'primaries.ext.m2.zones A 192.0.2.2',
    'primaries.ext.m2.zones AAAA 2001:db8::2',
    'm3.zones PTR three.test.',
    'signed.primaries.ext.m3.zones A 192.0.2.3',
    'signed.primaries.ext.m3.zones TXT "xfer-key"',
  ].join('\n') + '\n'));
  const by = new Map(r.members.map((m) => [m.name, m.primaries]));
  t.same(by.get('one.test'), [{ address: '192.0.2.1', port: 53 }]);
  t.same(by.get('two.test'), [{ address: '192.0.2.2', port: 53 }, { address: '2001:db8::2', port: 53 }]);
  t.same(by.get('three.test'), [{ address: '192.0.2.3', port: 53, key: 'xfer-key' }]);
  const v1 = catalogMembers(catalog('m1.zones PTR one.test.\nmasters.m1.zones A 192.0.2.9\n', '"1"'));
  t.same(v1.members[0].primaries, [{ address: '192.0.2.9', port: 53 }], 'version 1 spells it masters, beside the member');
  const none = catalogMembers(catalog('m1.zones PTR one.test.\n'));
  t.equal(none.members[0].primaries, undefined, 'none: the configured default-primaries apply');
});

t.test('member file names', async (t) => {
  t.equal(catalogMemberFile('_default', 'catalog.example', 'one.test'), '__catz___default_catalog.example_one.test.db');
  const long = catalogMemberFile('_default', 'catalog.example', 'a-rather-long-member-zone-name.example.test');
  t.match(long, /^__catz__[0-9a-f]{64}\.db$/, 'long: a SHA-256 in hex');
  t.match(catalogMemberFile('_default', 'catalog.example', 'a/b.test'), /^__catz__[0-9a-f]{64}\.db$/, 'a slash never reaches the file system');
});

t.test('catalog-zones in named.conf', async (t) => {
  const sink = new DiagnosticSink();
  const conf = parseNamedConf('/etc/named.conf', `options {
    directory "/var/cache/bind";
    catalog-zones {
      zone "catalog.example" default-primaries port 5300 { 192.0.2.1; 192.0.2.2 port 53 key "k"; upstream; } in-memory no zone-directory "catz" min-update-interval 1m;
      zone "other.example." in-memory yes default-masters { 192.0.2.3; };
    };
};
key "k" { algorithm hmac-sha256; secret "aGVsbG8="; };
primaries upstream { 192.0.2.9; };
zone "catalog.example" { type secondary; primaries { 192.0.2.1; }; file "catalog.db"; };
zone "other.example" { type primary; file "other.db"; };
`, sink);
  t.same(sink.items.filter((d) => d.severity === 'error'), []);
  t.notMatch(sink.items.map((d) => d.message).join('\n'), /catalog-zones/, 'no "not implemented" warning');
  const c = conf.options.catalogZones ?? [];
  t.equal(c.length, 2);
  t.equal(c[0].zone, 'catalog.example');
  t.same(c[0].defaultPrimaries, [{ address: '192.0.2.1', port: 5300 }, { address: '192.0.2.2', port: 53, key: 'k' }, { address: '192.0.2.9', port: 5300 }]);
  t.equal(c[0].inMemory, false);
  t.equal(c[0].zoneDirectory, 'catz');
  t.equal(c[0].minUpdateInterval, 60);
  t.equal(c[1].zone, 'other.example');
  t.equal(c[1].inMemory, true);
  t.equal(c[1].minUpdateInterval, 5, "BIND's default");
  t.same(c[1].defaultPrimaries, [{ address: '192.0.2.3' }]);
});

t.test('catalog-zones mistakes are errors with their place', async (t) => {
  const bad = (body: string): string[] => {
    const sink = new DiagnosticSink();
    parseNamedConf('/etc/named.conf', `options {\n  catalog-zones {\n    ${body}\n  };\n};\nzone "c.example" { type secondary; primaries { 192.0.2.1; }; };\n`, sink);
    return sink.items.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.col} ${d.message}`);
  };
  t.match(bad('zone "c.example" in-memory maybe;'), [/^3:\d+ boolean expected near 'maybe'/]);
  t.match(bad('zone "c.example" frobnicate yes default-primaries { 192.0.2.1; };'), [/^3:\d+ unknown 'catalog-zones' clause 'frobnicate'/]);
  t.match(bad('zone "c.example" default-primaries { 192.0.2.1; } frobnicate yes;'), [/^3:\d+ missing ';' before 'frobnicate'/]);
  t.match(bad('zone "c.example"; zone "C.example.";'), [/catalog zone 'C.example': already added here \/etc\/named.conf:3/]);
  t.match(bad('view "x";'), [/expected 'zone'/]);
  t.match(bad('zone "nosuch.example";'), [/^3:5 catalog zone 'nosuch.example' is not a primary or secondary zone/], 'as named-checkconf: the catalog must be a zone here');
  t.match(bad('zone "c.example" min-update-interval soon;'), [/expected a duration/]);
});

t.test('catalog-zones in a view: its own list, checked against its own zones', async (t) => {
  const sink = new DiagnosticSink();
  const conf = parseNamedConf('/etc/named.conf', `options { directory "/var/cache/bind"; };
view "inside" {
  match-clients { 10.0.0.0/8; };
  catalog-zones { zone "catalog.example" default-primaries { 192.0.2.1; }; };
  zone "catalog.example" { type secondary; primaries { 192.0.2.1; }; file "inside-catalog.db"; };
};
view "outside" {
  catalog-zones { zone "catalog.example" default-primaries { 192.0.2.1; }; };
};
`, sink);
  const errors = sink.items.filter((d) => d.severity === 'error');
  t.equal(errors.length, 1, 'only the view without the catalog zone is wrong');
  t.match(errors[0], { line: 8, message: /catalog zone 'catalog.example' is not a primary or secondary zone/ });
  t.equal(conf.views[0].options.catalogZones?.[0].zone, 'catalog.example');
  t.equal(conf.options.catalogZones, undefined, 'the global options are not changed by a view');
});

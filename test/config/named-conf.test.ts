import t from 'tap';
import path from 'node:path';
import { parseNamedConf, parseStatements } from '../../src/config/named-conf.js';
import { DiagnosticSink, formatDiagnostic } from '../../src/config/diagnostics.js';
import { tokenize } from '../../src/config/tokenizer.js';
import { compileAddressMatch } from '../../src/net/address-match.js';

const FILE = '/etc/triad-test/named.conf';

function load(text: string, files: Record<string, string> = {}) {
  const sink = new DiagnosticSink();
  const conf = parseNamedConf(FILE, text, sink, files);
  return { conf, sink, errors: sink.errors.map((d) => `${d.line}:${d.col} ${d.message}`), warnings: sink.warnings.map((d) => `${d.line}:${d.col} ${d.message}`) };
}

t.test('the options Triad implements', async (t) => {
  const { conf, errors } = load(`
    options {
      directory "../zones";
      listen-on port 5300 { 127.0.0.1; };
      listen-on { 10.0.0.1; };
      listen-on-v6 port 5300 { ::1; };
      port 5353;
      recursion no;
      allow-query { 192.168.0.0/16; !10.0.0.0/8; localhost; };
      version "lab";
      notify no;
      pid-file none;
      max-udp-size 1400;
    };`);
  t.same(errors, []);
  const o = conf.options;
  t.equal(o.directory, path.resolve('/etc/triad-test', '../zones'), 'relative directory resolves against the named.conf folder');
  t.same(o.listenOn.map((l) => l.port), [5300, 5353], 'listen-on without port follows options { port }');
  t.same(o.listenOnV6.map((l) => l.port), [5300]);
  t.equal(o.recursion, false);
  t.equal(o.version, 'lab');
  t.equal(o.pidFile, null);
  t.equal(o.maxUdpSize, 1400);
  t.equal(o.allowQuery?.length, 3);
  t.equal(o.allowQuery?.[1].negated, true);
});

t.test('defaults as BIND', async (t) => {
  const { conf, errors } = load('zone "x" { type master; file "x.zone"; };');
  t.same(errors, []);
  t.equal(conf.options.port, 53);
  t.equal(conf.options.recursion, true);
  t.equal(conf.options.directory, '/etc/triad-test');
  t.same(conf.options.listenOn, []);
  t.equal(conf.zones[0].type, 'primary', 'master is primary');
  t.equal(conf.zones[0].file, '/etc/triad-test/x.zone', 'zone files resolve against directory');
  t.equal(conf.options.version, undefined);
  t.equal(conf.options.pidFile, undefined);
  const pid = load('options { pid-file "run/named.pid"; directory "/var/named"; };');
  t.equal(pid.conf.options.pidFile, '/var/named/run/named.pid', 'pid-file resolves against directory, wherever it is written');
  t.same(pid.warnings, [], 'pid-file is implemented');
});

t.test('zones: types, classes, per-zone ACLs, primaries and forwarders', async (t) => {
  const { conf, errors, warnings } = load(`
    acl lab { 192.168.117.0/24; };
    options { directory "/var/z"; };
    zone "cafe.babe." IN { type primary; file "cafe"; allow-query { lab; }; };
    zone "sec.test" { type slave; masters { 192.0.2.1 port 5353; }; file "sec"; };
    zone "fwd.test" { type forward; forward only; forwarders { 192.0.2.53; 2001:db8::53 port 5353; }; };
    zone "." { type hint; file "root.hints"; };`);
  t.same(errors, []);
  t.same(conf.zones.map((z) => [z.name, z.type]), [['cafe.babe', 'primary'], ['sec.test', 'secondary'], ['fwd.test', 'forward'], ['.', 'hint']]);
  t.equal(conf.zones[0].file, '/var/z/cafe');
  t.same(conf.zones[1].primaries, [{ address: '192.0.2.1', port: 5353 }]);
  t.same(conf.zones[2].forwarders, [{ address: '192.0.2.53' }, { address: '2001:db8::53', port: 5353 }]);
  t.equal(conf.zones[2].forward, 'only');
  const m = compileAddressMatch(conf.zones[0].allowQuery ?? [], { localhost: [], localnets: [], acls: conf.acls });
  t.ok(m('192.168.117.7'));
  t.notOk(m('192.168.118.7'));
  t.notOk(warnings.some((w) => /zone type '(forward|hint|secondary)'/.test(w)), 'forward, hint and secondary zones are implemented');
});

t.test('secondary zones: named primaries lists, ports, keys, allow-notify, transfer-source, refresh bounds', async (t) => {
  const { conf, errors, warnings } = load(`
    key k1 { algorithm hmac-sha256; secret "c2VjcmV0"; };
    primaries inner port 5300 { 192.0.2.7; 192.0.2.8 port 5301 key k1; };
    masters outer { inner; 192.0.2.9; };
    options { directory "/var/z"; allow-notify { 198.51.100.0/24; }; min-refresh-time 10; transfer-source 127.0.0.5 port 5399; };
    zone "a.test" { type secondary; primaries port 5400 { outer; 192.0.2.1; }; file "a.bk"; allow-notify { 203.0.113.1; }; max-retry-time 60; masterfile-format text; max-transfer-idle-in 5; };
    zone "b.test" { type slave; masters { 192.0.2.1 key k1; }; };`);
  t.same(errors, []);
  t.same(warnings.filter((w) => /primaries|masters|allow-notify|transfer-source|refresh|retry|masterfile/.test(w)), [], 'no "not implemented" warning for these');
  t.same(conf.zones[0].primaries, [
    { address: '192.0.2.1', port: 5400 },
    { address: '192.0.2.9', port: 5400 },
    { address: '192.0.2.7', port: 5300 },
    { address: '192.0.2.8', port: 5301, key: 'k1' },
  ], 'addresses first, then each list (its addresses before the lists it names); a list port applies to its own entries');
  t.same(conf.zones[1].primaries, [{ address: '192.0.2.1', key: 'k1' }]);
  t.equal(conf.zones[0].secondary?.maxRetry, 60);
  t.equal(conf.zones[0].secondary?.maxTransferIdleIn, 5);
  t.ok(conf.zones[0].secondary?.allowNotify);
  t.equal(conf.options.secondary?.minRefresh, 10);
  t.same(conf.options.secondary?.transferSource, { address: '127.0.0.5', port: 5399 });
  t.ok(conf.options.secondary?.allowNotify);
  const bad = load(`zone "c.test" { type secondary; primaries { nosuch; }; file "c"; };`);
  t.match(bad.errors.join('\n'), /unable to find primaries list 'nosuch'/);
  const badKey = load(`zone "c.test" { type secondary; primaries { 192.0.2.1 key nokey; }; file "c"; };`);
  t.match(badKey.errors.join('\n'), /unknown key 'nokey'/);
  const loop = load(`primaries x { y; }; primaries y { x; 192.0.2.3; }; zone "d.test" { type secondary; primaries { x; }; file "d"; };`);
  t.same(loop.errors, []);
  t.same(loop.conf.zones[0].primaries, [{ address: '192.0.2.3' }], 'a list naming itself through another is expanded once');
});

t.test('unimplemented options: accepted with one warning each, with position', async (t) => {
  const { errors, warnings, sink } = load(`options {
  dnssec-validation auto;
  minimal-any yes;
  max-cache-size 100M;
};
zone "a" { type primary; file "a"; check-names warn; };
zone "b" { type primary; file "b"; check-names warn; };
logging { channel c { file "/tmp/x" versions 3 size 5m; severity info; }; category default { c; }; };
statistics-channels { inet 127.0.0.1 port 8053 allow { 127.0.0.1; }; };
`);
  t.same(errors, []);
  t.ok(warnings.some((w) => w.startsWith('2:3 ') && w.includes('dnssec-validation')), 'dnssec-validation warned about at its position');
  t.ok(warnings.includes("3:3 option 'minimal-any' is not implemented by Triad; accepted and ignored"));
  t.equal(warnings.filter((w) => w.includes("'check-names'")).length, 1, 'one warning per option, not per use');
  t.ok(warnings.some((w) => w.startsWith('8:1 ') && /logging/.test(w)));
  t.notOk(warnings.some((w) => /statistics-channels/.test(w)), 'statistics-channels is implemented: no warning');
  const dv = sink.warnings.find((w) => w.message.includes('dnssec-validation'));
  t.ok(dv);
  if (dv) t.match(formatDiagnostic(dv), /named\.conf:2:3: warning: .*\n {4} {2}dnssec-validation auto;\n {4} {2}\^/);
});

t.test('errors BIND makes, each with line and column, all reported', async (t) => {
  const cases: [string, RegExp][] = [
    ['options { frobnicate yes; };', /^1:11 unknown option 'frobnicate'/],
    ['options { recursion maybe; };', /^1:21 boolean expected near 'maybe'/],
    ['options { directory ../zones; };', /expected quoted string near '..\/zones'/],
    ['options { tcp-clients abc; };', /expected number near 'abc'/],
    ['options { lame-ttl abc; };', /expected ISO 8601 duration or TTL value/],
    ['options { directory "/a"; directory "/b"; };', /^1:27 'directory' redefined/],
    ['options { }; options { };', /'options' redefined/],
    ['options { listen-on port 99999 { any; }; };', /port value '99999' is out of range/],
    ['options { listen-on port 53 { any; } };', /^1:37 missing ';' before '}'/],
    ['acl a { 1.2.3.4 };', /missing ';' before '}'/],
    ['acl a { 192.168.1.1/24; };', /address\/prefix length mismatch/],
    ['acl a { 192.168.1.0/33; };', /invalid prefix length '33'/],
    ['acl a { 1.2.3; };', /incomplete IPv4 address/],
    ['acl any { 1.2.3.4; };', /attempt to redefine builtin acl 'any'/],
    ['acl a { 1.2.3.4; }; acl a { 1.2.3.5; };', /attempt to redefine acl 'a'/],
    ['options { allow-query { nosuch; }; };', /^1:25 undefined ACL 'nosuch'/],
    ['acl a { b; }; acl b { a; }; options { allow-query { a; }; };', /acl loop detected/],
    ['zone "a" { type master; file "x"; }; zone "A." { type master; file "y"; };', /zone 'A': already exists previous definition/],
    ['zone "a" { type master; };', /zone 'a': missing 'file' entry/],
    ['zone "a" { file "x"; };', /zone 'a': type not present/],
    ['zone "a" { type bogus; file "x"; };', /'bogus' unexpected/],
    ['zone "a" { type secondary; };', /missing 'primaries' entry/],
    ['zone "a" { type primary; file "x"; masters { 1.2.3.4; }; };', /option 'masters' is not allowed in 'primary' zone 'a'/],
    ['zone "a" { type forward; file "x"; };', /option 'file' is not allowed in 'forward' zone/],
    ['zone "a" { type primary; file "x"; recursion no; };', /unknown option 'recursion'/],
    ['zone "a" CH { type master; file "x"; };', /class 'CH' does not match/],
    ['zone "a" { type secondary; masters { nolist; }; };', /unable to find primaries list 'nolist'/],
    ['zone "a" { type primary; file "x"; }', /missing ';' before end of file/],
    ['controls { inet 127.0.0.1 allow { 127.0.0.1; } keys { "rndc-key"; }; };', /unknown key 'rndc-key'/],
    ['view "v" { }; zone "a" { type primary; file "x"; };', /all zones must be in views/],
    ['view "v" { directory "/tmp"; };', /unknown option 'directory'/],
    ['include "missing.conf";', /cannot include .*file not found/],
    ['options { version 5; };', /expected quoted string near '5'/],
    ['logging { category default { nochan; }; };', /undefined channel: 'nochan'/],
    ['logging { category nocat { null; }; };', /undefined category: 'nocat'/],
    ['logging { channel c { severity loud; }; };', /'loud' unexpected/],
    ['zone "a" { type primary; file "x"; dnssec-policy nope; };', /option 'dnssec-policy nope' has no matching dnssec-policy config/],
    ['zone "a" { type primary; file "x"; allow-notify { any; }; };', /option 'allow-notify' is not allowed in 'primary' zone/],
  ];
  for (const [text, re] of cases) {
    const { errors } = load(text);
    t.ok(errors.length > 0, `rejected: ${text}`);
    t.match(errors.join('\n'), re, text);
  }
  const many = load('options {\n  recursion maybe;\n  frobnicate 1;\n};\nzone "z" { file "x"; };\n');
  t.same(many.errors.map((e) => e.split(' ')[0]), ['2:13', '3:3', '5:6'], 'every error of the file, in order');
});

t.test('valid BIND syntax that must load', async (t) => {
  const { errors } = load(`
    key "rndc-key" { algorithm hmac-sha256; secret "aGVsbG8="; };
    controls { inet 127.0.0.1 port 953 allow { 127.0.0.1; } keys { "rndc-key"; }; };
    acl "trusted" { 10/8; 192.168/16; !192.168.5.5; { 172.16.0.0/12; }; key rndc-key; };
    masters upstream { 192.0.2.1; 2001:db8::1 port 5353 key rndc-key; };
    options {
      allow-query { "trusted"; localnets; };  # quoted acl name
      allow-transfer port 53 { none; };
      check-names master warn; check-names response ignore;
      response-policy { zone "rpz"; } qname-wait-recurse no;
      forwarders port 5353 { 192.0.2.9; };
      forward first;
      also-notify { 192.0.2.2; };
      max-cache-ttl P1D; lame-ttl 1h30m;
      listen-on port 0x15b3 dscp 5 { any; };
      version none;
      notify explicit;
    };
    zone "rpz" { type primary; file "rpz"; };
    zone "s" { type secondary; masters { upstream; }; };
    /* multi
       line */ zone "t" in { type stub; primaries { 192.0.2.1; }; };
    ; ; // stray semicolons
  `);
  t.same(errors, []);
});

t.test('include resolves against the main file folder, and cycles are errors', async (t) => {
  const ok = load('include "sub/zones.conf";', { 'sub/zones.conf': 'zone "a" { type primary; file "a"; };\n' });
  t.same(ok.errors, []);
  t.equal(ok.conf.zones.length, 1);
  t.ok(ok.conf.files.includes('/etc/triad-test/sub/zones.conf'));
  const bad = load('include "sub/x.conf";', { 'sub/x.conf': 'options { nosuch yes; };\n' });
  t.equal(bad.sink.errors[0].file, '/etc/triad-test/sub/x.conf', 'errors name the included file');
  t.equal(bad.sink.errors[0].line, 1);
  const cyc = load('include "a.conf";', { 'a.conf': 'include "a.conf";\n' });
  t.match(cyc.errors.join('\n'), /include cycle/);
});

t.test('views: every view keeps its zones; conf.zones is the first view', async (t) => {
  const { conf, errors, warnings } = load(`
    view "inside" { match-clients { 10/8; }; zone "a" { type primary; file "a-in"; }; };
    view "outside" { zone "a" { type primary; file "a-out"; }; };`);
  t.same(errors, []);
  t.same(conf.zones.map((z) => [z.name, z.view, path.basename(z.file ?? '')]), [['a', 'inside', 'a-in']]);
  t.same(conf.views.map((v) => [v.name, v.zones.map((z) => path.basename(z.file ?? ''))]), [['inside', ['a-in']], ['outside', ['a-out']]]);
  t.notOk(warnings.some((w) => /views/.test(w)));
});

t.test('statement parser: multi-part clauses and positions', async (t) => {
  const sink = new DiagnosticSink();
  const sts = parseStatements(tokenize('f', 'inet a allow { c; } keys { e; };\nx { y; } z;', sink, { slashComments: true, hashComments: true }), sink);
  t.equal(sts.length, 3);
  t.equal(sts[0].tail.length, 2, 'keys { … } is part of the inet clause');
  t.equal(sink.errors.length, 1, "only multi-part clauses continue after '}'");
  t.match(sink.errors[0].message, /missing ';' before 'z'/);
  t.equal(`${sink.errors[0].line}:${sink.errors[0].col}`, '2:9', "the caret goes where the ';' belongs");
});

t.test('minimal-responses and allow-transfer are implemented, not warned about', async (t) => {
  const { errors, warnings, conf } = load(`options {
  minimal-responses no-auth;
  allow-transfer { 127.0.0.1; };
};
`);
  t.same(errors, []);
  t.same(warnings, []);
  t.equal(conf.options.minimalResponses, 'no-auth');
  t.ok(conf.options.allowTransfer);
});

t.test('writeable files: BIND decides by zone type and whether updates can match anyone', async (t) => {
  const share = (a: string, b: string, opts = ''): string[] =>
    load(`options { ${opts} };\nzone "a.test" { ${a} file "db"; };\nzone "b.test" { ${b} file "db"; };\n`).errors.filter((e) => /writeable file/.test(e));
  const p = 'type primary;';
  t.same(share(p, p), [], 'two primaries without updates may share a file');
  t.same(share(`${p} allow-update { none; };`, `${p} allow-update { none; };`), [], 'allow-update { none; } is read-only (RHEL named.rfc1912.zones)');
  t.same(share(`${p} allow-update { !any; };`, p), [], '!any is none');
  t.same(share(`${p} allow-update { none; any; };`, p), [], 'the first of any/none decides, as in BIND');
  t.same(share('type stub; primaries { 192.0.2.1; };', p), [], 'BIND 9.18 lets a stub zone share its file');
  t.same(share(`${p} allow-update { any; none; };`, p), ["3:36 writeable file 'db': already in use: /etc/triad-test/named.conf:2"]);
  t.equal(share(`${p} allow-update { 127.0.0.1; };`, p).length, 1, 'an address makes it dynamic');
  t.equal(share(`${p} allow-update { !127.0.0.1; };`, p).length, 1, 'BIND does not analyse what an address list can match');
  t.equal(share(`${p} allow-update { { none; }; };`, p).length, 1, 'a nested list is not "none" for BIND');
  t.equal(share(`${p} update-policy local;`, p).length, 1, 'any update-policy makes it dynamic');
  t.equal(share('type secondary; primaries { 192.0.2.1; };', p).length, 1, 'a secondary writes its file');
  t.equal(share(p, p, 'allow-update { any; };').length, 1, 'allow-update in options is inherited');
  t.same(share(`${p} allow-update { none; };`, `${p} allow-update { none; };`, 'allow-update { any; };'), [], 'the zone overrides options');
  t.same(load('zone "a.test" { type primary; file "db"; allow-update { any; }; };\nzone "b.test" { type primary; file "./db"; };\n').errors, [], 'file names are compared as written, as BIND');
});

t.test('controls inet channels get their keys: named.conf, rndc.key beside it, or refused', async (t) => {
  const keyText = 'key "rndc-key" {\n\talgorithm hmac-sha256;\n\tsecret "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=";\n};\n';
  const inNamed = load(`${keyText}controls { inet 127.0.0.1 port 9953 allow { 127.0.0.1; } keys { "rndc-key"; }; };`);
  t.same(inNamed.errors, []);
  t.same(inNamed.conf.options.controls.map((c) => c.keys.map((k) => [k.name, k.hmac])), [[['rndc-key', 'hmac-sha256']]], 'a key statement of named.conf');
  const fromFile = load('controls { inet 127.0.0.1 allow { 127.0.0.1; } keys { "rndc-key"; }; };', { 'rndc.key': keyText });
  t.same(fromFile.errors, []);
  t.equal(fromFile.conf.options.controls[0].keys[0]?.name, 'rndc-key', 'the key from rndc.key (as rndc-confgen -a writes it)');
  t.equal(Buffer.from(fromFile.conf.options.controls[0].keys[0]?.secretBytes ?? []).toString(), 'hello world hello world');
  const implicit = load('controls { inet 127.0.0.1 allow { 127.0.0.1; }; };', { 'rndc.key': keyText });
  t.same(implicit.errors, []);
  t.equal(implicit.conf.options.controls[0].keys[0]?.name, 'rndc-key', 'no keys clause: the key of rndc.key, as BIND');
  const none = load('controls { inet 127.0.0.1 port 9953 allow { 127.0.0.1; }; };');
  t.match(none.errors, [/^1:12 controls: inet channel 127\.0\.0\.1#9953 has no 'keys' clause and there is no rndc\.key beside named\.conf: requests over the network must be signed/]);
  t.match(load('controls { inet 127.0.0.1 allow { 127.0.0.1; } keys { }; };').errors, [/empty 'keys' list/]);
  t.match(load('controls { inet 127.0.0.1 allow { 127.0.0.1; } keys { "other"; }; };', { 'rndc.key': keyText }).errors, [/unknown key 'other'/]);
  const badFile = load('controls { inet 127.0.0.1 allow { 127.0.0.1; }; };', { 'rndc.key': 'key "rndc-key" { algorithm hmac-sha256; secret "%%%"; };\n' });
  t.ok(badFile.sink.errors.some((d) => d.file.endsWith('rndc.key')), 'a broken rndc.key is reported at its own line');
  t.same(load('controls { };').errors, [], 'an empty controls statement needs no key');
});

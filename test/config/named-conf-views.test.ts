import t from 'tap';
import path from 'node:path';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { DiagnosticSink, formatDiagnostic } from '../../src/config/diagnostics.js';

const FILE = '/etc/triad-test/named.conf';

function load(text: string) {
  const sink = new DiagnosticSink();
  const conf = parseNamedConf(FILE, text, sink);
  const errors = sink.items.filter((d) => d.severity === 'error');
  return { conf, errors, text: errors.map((e) => formatDiagnostic(e)).join('\n'), warnings: sink.items.filter((d) => d.severity === 'warning').map((d) => d.message) };
}

t.test('view options inherit from options and override them per view', async (t) => {
  const { conf, errors } = load(`
    options { recursion no; allow-query { 10/8; }; forwarders { 192.0.2.1; }; };
    view "in" {
      match-clients { 127.0.0.2; };
      match-destinations { 127.0.0.1; };
      match-recursive-only yes;
      recursion yes;
      allow-recursion { any; };
      zone "a.test" { type primary; file "a-in.db"; };
    };
    view "out" { zone "a.test" { type primary; file "a-out.db"; }; zone "b.test" { type primary; file "b.db"; }; };`);
  t.same(errors, []);
  const [vin, vout] = conf.views;
  t.equal(vin.name, 'in');
  t.equal(vin.options.recursion, true, 'the view overrides recursion');
  t.ok(vin.options.allowRecursion, 'allow-recursion of the view');
  t.ok(vin.options.allowQuery, 'allow-query inherited');
  t.same(vin.options.forwarders, [{ address: '192.0.2.1' }], 'forwarders inherited');
  t.equal(vin.matchRecursiveOnly, true);
  t.equal(vin.matchClients?.length, 1);
  t.equal(vin.matchDestinations?.length, 1);
  t.equal(vout.options.recursion, false, 'the other view keeps the global option');
  t.equal(vout.options.allowRecursion, undefined);
  t.equal(conf.options.recursion, false, 'the global options are not changed by a view');
  t.equal(vout.matchClients, undefined, 'no match-clients: every client');
  t.equal(vout.matchRecursiveOnly, false);
  t.same(vout.zones.map((z) => [z.name, z.view, path.basename(z.file ?? '')]), [['a.test', 'out', 'a-out.db'], ['b.test', 'out', 'b.db']]);
  t.same(conf.unservedZones.map((z) => z.name), ['a.test', 'b.test'], 'triad check still loads the other views’ zones');
});

t.test('in-view: the zone of an earlier view', async (t) => {
  const { conf, errors } = load(`
    view "a" { zone "x.test" { type primary; file "x.db"; allow-transfer { none; }; }; };
    view "b" { zone "x.test" { in-view "a"; }; };`);
  t.same(errors, []);
  const z = conf.views[1].zones[0];
  t.equal(z.inView, 'a');
  t.equal(z.view, 'b');
  t.equal(z.type, 'primary');
  t.equal(path.basename(z.file ?? ''), 'x.db');
  t.same(conf.unservedZones, [], 'an in-view zone is not loaded twice');
});

t.test("named-checkconf's errors for views, with file:line:col", async (t) => {
  const cases: [string, RegExp, number][] = [
    ['zone "t" { type primary; file "t"; };\nview "a" { };', /named\.conf:1:1: error: when using 'view' statements, all zones must be in views/, 1],
    ['view "a" { };\nview "a" { };', /named\.conf:2:6: error: view 'a': already exists previous definition: \/etc\/triad-test\/named\.conf:1/, 1],
    ['view "a" {\n zone "x" { type primary; file "x"; };\n zone "x." { type primary; file "y"; };\n};', /named\.conf:3:7: error: zone 'x': already exists previous definition: \/etc\/triad-test\/named\.conf:2/, 1],
    ['view "b" { zone "x" { in-view "nosuch"; }; };', /error: 'in-view' zone 'x' does not exist in view 'nosuch', or view 'nosuch' is not yet defined/, 1],
    ['view "a" { zone "x" { type primary; file "x"; }; };\nview "b" { zone "x" { in-view a; type primary; }; };', /named\.conf:2:17: error: zone 'x': 'in-view' used with incompatible zone options/, 1],
    ['view "a" { directory "/tmp"; };', /unknown option 'directory'/, 1],
    ['view "a" { match-clients { nosuch; }; };', /undefined ACL 'nosuch'/, 1],
  ];
  for (const [text, re, n] of cases) {
    const r = load(text);
    t.match(r.text, re, text);
    t.equal(r.errors.length, n, `${n} error(s): ${text}`);
  }
});

t.test('the same zone in two views is fine; a view per class other than IN is only checked', async (t) => {
  const r = load(`
    view "a" { zone "x" { type primary; file "x1"; }; };
    view "b" { zone "x" { type primary; file "x2"; }; };
    view "c" chaos { zone "bind" { type primary; file "b"; }; };`);
  t.same(r.errors, []);
  t.same(r.conf.views.map((v) => v.name), ['a', 'b']);
  t.ok(r.warnings.some((w) => /class 'chaos' views are not served/.test(w)));
});

t.test('without views nothing changes', async (t) => {
  const r = load('zone "x" { type primary; file "x"; };');
  t.same(r.errors, []);
  t.same(r.conf.views, []);
  t.same(r.conf.zones.map((z) => z.name), ['x']);
});

t.test('keys inside a view are its own', async (t) => {
  const ok = load(`
    view "a" { key "k1" { algorithm hmac-sha256; secret "AAAA"; }; match-clients { key k1; }; };
    view "b" { key "k1" { algorithm hmac-sha256; secret "BBBB"; }; match-clients { key "k1"; }; };`);
  t.same(ok.errors, [], 'two views may each define a key of the same name');
  t.equal(ok.conf.views[0].keys.get('k1')?.secret, 'AAAA');
  t.equal(ok.conf.views[1].keys.get('k1')?.secret, 'BBBB');
  t.equal(ok.conf.keys.has('k1'), false, 'not a server-wide key');
  const clash = load(`key "k1" { algorithm hmac-sha256; secret "AAAA"; };
view "a" { key "k1" { algorithm hmac-sha256; secret "AAAA"; }; };`);
  t.match(clash.text, /named\.conf:2:16: error: key 'k1': already exists previous definition: \/etc\/triad-test\/named\.conf:1/);
});

t.test("a view's key may be named by that view's zones", async (t) => {
  const r = load(`view "a" { key "xfr" { algorithm hmac-sha256; secret "AAAA"; };
    zone "x" { type secondary; file "x"; primaries { 192.0.2.1 key "xfr"; }; }; };`);
  t.same(r.errors, []);
  const bad = load(`view "a" { zone "x" { type secondary; file "x"; primaries { 192.0.2.1 key "nosuch"; }; }; };`);
  t.match(bad.text, /unknown key 'nosuch'/);
});

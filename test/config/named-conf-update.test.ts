// named.conf's dynamic update settings: allow-update, update-policy (local and rules),
// the session key options.
import t from 'tap';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { DiagnosticSink, formatDiagnostic } from '../../src/config/diagnostics.js';

const FILE = '/etc/triad-test/named.conf';

function load(text: string) {
  const sink = new DiagnosticSink();
  const conf = parseNamedConf(FILE, text, sink);
  const errors = sink.items.filter((d) => d.severity === 'error');
  return { conf, errors: errors.map((e) => formatDiagnostic(e)), warnings: sink.items.filter((d) => d.severity === 'warning').map((d) => d.message) };
}

t.test('allow-update, update-policy and the session key', async (t) => {
  const { conf, errors, warnings } = load(`
    options { allow-update { 10/8; }; session-keyfile "/tmp/x/session.key"; session-keyname "my-ddns"; session-keyalg hmac-sha512; };
    key "upd" { algorithm hmac-sha256; secret "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI="; };
    zone "a.test" { type primary; file "a.db"; allow-update { key upd; 127.0.0.1; }; };
    zone "b.test" { type primary; file "b.db"; update-policy local; };
    zone "c.test" { type primary; file "c.db"; update-policy { grant upd name www.c.test. A AAAA; deny * zonesub ANY; grant EXAMPLE.COM krb5-self . A; }; };
    zone "d.test" { type primary; file "d.db"; };`);
  t.same(errors, []);
  t.notOk(warnings.some((w) => /allow-update|update-policy' is not implemented/.test(w)), 'no "not implemented" warning for allow-update or update-policy');
  t.ok(warnings.some((w) => /krb5-self/.test(w)), 'Kerberos rules are accepted with a warning');
  const z = (n: string) => conf.zones.find((x) => x.name === n)!;
  t.equal(z('a.test').update?.allowUpdate?.length, 2, 'the zone allow-update list');
  t.same(z('b.test').update?.updatePolicy, { local: true });
  const pol = z('c.test').update?.updatePolicy;
  t.ok(pol && !pol.local && pol.rules.length === 3);
  if (pol && !pol.local) {
    t.match(pol.rules[0], { grant: true, identity: 'upd', ruleType: 'name', name: 'www.c.test.', types: ['A', 'AAAA'] });
    t.match(pol.rules[1], { grant: false, identity: '*', ruleType: 'zonesub', types: ['ANY'] });
  }
  t.ok(z('d.test').writeable, 'the inherited allow-update makes d.test dynamic (a writeable file)');
  t.same(conf.options.sessionKey, { file: '/tmp/x/session.key', name: 'my-ddns', algorithm: 'hmac-sha512' });
});

t.test('update-policy mistakes are errors at their line', async (t) => {
  const { errors } = load(`zone "a.test" { type primary; file "a.db"; update-policy { grant upd nosuchtype x A; permit upd name x; }; };`);
  t.equal(errors.length, 2);
  t.match(errors[0], /unknown rule type 'nosuchtype'/);
  t.match(errors[1], /starts with 'grant' or 'deny'/);
  const self = load(`zone "a.test" { type primary; file "a.db"; update-policy { grant h1.a.test. selfsub . TXT; grant * self * A; }; };`);
  t.equal(self.errors.length, 1, 'self-type rules take the identity as their name');
  t.match(self.errors[0] ?? '', /identity and name fields are not the same/);
  const bad = load(`zone "a.test" { type primary; file "a.db"; update-policy remote; };`);
  t.match(bad.errors[0] ?? '', /'update-policy' takes 'local'/);
});

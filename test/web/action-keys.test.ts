// Which keys the dashboard's actions accept: the ones named.conf's `controls` channels
// name (as rndc), decoded from the `key` statements; and the Authorization check itself.
import t from 'tap';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { controlsKeys } from '../../src/dns/statistics.js';
import { authorizeAction } from '../../src/web/action-auth.js';

const A = Buffer.from('secret-one-secret-one-secret-one').toString('base64');
const B = Buffer.from('secret-two-secret-two-secret-two').toString('base64');

t.test('controls keys become action keys; other keys do not', async (t) => {
  const sink = new DiagnosticSink();
  const conf = parseNamedConf('/etc/named.conf', `key "Dash" { algorithm hmac-sha256; secret "${A}"; };
key "xfer" { algorithm hmac-sha256; secret "${B}"; };
controls { inet 127.0.0.1 port 953 allow { localhost; } keys { "dash."; }; };
`, sink);
  t.same(sink.errors, []);
  const keys = controlsKeys(conf);
  t.same(keys.map((k) => k.name), ['Dash'], 'only the key controls names (matched as a DNS name)');
  t.same(authorizeAction(`Bearer ${A}`, keys), { ok: true, key: 'Dash' }, 'its secret is accepted');
  t.match(authorizeAction(`Bearer ${B}`, keys), { ok: false, reason: /does not match/ }, "a TSIG key's secret that controls does not name is refused");
  t.match(authorizeAction(undefined, keys), { ok: false, reason: /no key was sent/ });
  t.match(authorizeAction(`Bearer ${A}`, []), { ok: false, reason: /no key is configured/ });
  const none = parseNamedConf('/etc/named.conf', `key "dash" { algorithm hmac-sha256; secret "${A}"; };\n`, new DiagnosticSink());
  t.same(controlsKeys(none), [], 'no controls: no action key');
});

// named.conf clauses of NOTIFY out and the IXFR journal, in options and zones.
import t from 'tap';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { effectivePrimary } from '../../src/config/named-conf-notify.js';

const FILE = '/etc/triad-test/named.conf';
function load(text: string) {
  const sink = new DiagnosticSink();
  const conf = parseNamedConf(FILE, text, sink, {});
  return { conf, errors: sink.errors.map((d) => `${d.line}:${d.col} ${d.message}`), warnings: sink.warnings.map((d) => `${d.line}:${d.col} ${d.message}`) };
}

t.test('options and zone clauses, with lists, ports and keys', async (t) => {
  const { conf, errors, warnings } = load(`
key "xfer" { algorithm hmac-sha256; secret "aGVsbG8="; };
primaries secs { 192.0.2.7 port 5353 key xfer; 192.0.2.8; };
options {
  notify explicit;
  also-notify port 5300 { 192.0.2.1; 192.0.2.2 port 53 key xfer; secs; };
  notify-source 127.0.0.1 port 5399;
  notify-source-v6 *;
  notify-delay 0;
  max-journal-size 64k;
  max-ixfr-ratio 50%;
  ixfr-from-differences yes;
};
zone "a.test" { type primary; file "a"; notify master-only; max-ixfr-ratio unlimited; max-journal-size unlimited; also-notify { 198.51.100.1; }; };
zone "b.test" { type master; file "b"; notify no; ixfr-from-differences no; };
zone "c.test" { type primary; file "c"; };`);
  t.same(errors, []);
  t.notOk(warnings.some((w) => /notify|journal|ixfr/.test(w)), `no "not implemented" warning for these clauses: ${warnings.join('; ')}`);
  const o = conf.options.primary!;
  t.equal(o.notify, 'explicit');
  t.same(o.alsoNotify, [{ address: '192.0.2.1', port: 5300 }, { address: '192.0.2.2', port: 53, key: 'xfer' }, { address: '192.0.2.7', port: 5353, key: 'xfer' }, { address: '192.0.2.8', port: 5300 }], 'statement port, own port, a primaries list with its ports and keys');
  t.same(o.notifySource, { address: '127.0.0.1', port: 5399 });
  t.same(o.notifySourceV6, { address: '*' });
  t.equal(o.notifyDelay, 0);
  t.equal(o.maxJournalSize, 65536);
  t.equal(o.maxIxfrRatio, 50);
  const [a, b, c] = conf.zones.map((z) => effectivePrimary(conf.options.primary, z.primary));
  t.equal(a.notify, 'primary-only', 'master-only is primary-only');
  t.same(a.alsoNotify, [{ address: '198.51.100.1' }], "a zone's also-notify replaces the options'");
  t.equal(a.maxIxfrRatio, 'unlimited');
  t.equal(a.maxJournalSize, 'unlimited');
  t.equal(b.notify, 'no');
  t.equal(b.ixfrFromDifferences, false);
  t.equal(c.notify, 'explicit', 'inherited from options');
  t.equal(c.notifyDelay, 0);
  const d = effectivePrimary(undefined, undefined);
  t.same([d.notify, d.notifyDelay, d.maxIxfrRatio, d.maxJournalSize, d.ixfrFromDifferences], ['yes', 5, 100, 'default', true], 'defaults');
});

t.test('mistakes are errors with their place', async (t) => {
  t.match(load('options { also-notify { nolist; }; };').errors, ["1:25 unable to find primaries list 'nolist'"]);
  t.match(load('options { also-notify { 192.0.2.1 key nokey; }; };').errors, ["1:39 unknown key 'nokey'"]);
  t.match(load('options { also-notify { 192.0.2.1 port 70000; }; };').errors, [/port value '70000' is out of range/]);
  t.match(load('options { notify-source 300.1.1.1; };').errors, [/expected IP address/]);
  t.match(load('options { notify sometimes; };').errors.join(), /sometimes/);
  t.match(load('options { max-journal-size lots; };').errors.join(), /lots/);
});

// named.conf `rate-limit { … }` in options and views: values, BIND's defaults, named-checkconf's range errors.
import t from 'tap';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { effectiveRateLimit } from '../../src/config/named-conf-rrl.js';

const FILE = '/etc/triad-test/named.conf';
function load(text: string) {
  const sink = new DiagnosticSink();
  const conf = parseNamedConf(FILE, text, sink, {});
  return { conf, errors: sink.errors.map((d) => `${d.line}:${d.col} ${d.message}`) };
}

t.test('every clause is read; the per-kind rates default to responses-per-second', async (t) => {
  const { conf, errors } = load(`
options {
  rate-limit {
    responses-per-second 5; nxdomains-per-second 3; errors-per-second 2; all-per-second 50;
    window 10; slip 3; qps-scale 250; ipv4-prefix-length 32; ipv6-prefix-length 64;
    exempt-clients { 127.0.0.9; 10.0.0.0/8; }; log-only yes; max-table-size 1000; min-table-size 10;
  };
};`);
  t.same(errors, []);
  const e = effectiveRateLimit(conf.options.rateLimit ?? {});
  t.match(e, { responsesPerSecond: 5, referralsPerSecond: 5, nodataPerSecond: 5, nxdomainsPerSecond: 3, errorsPerSecond: 2, allPerSecond: 50,
    window: 10, slip: 3, qpsScale: 250, ipv4PrefixLength: 32, ipv6PrefixLength: 64, logOnly: true, maxTableSize: 1000, minTableSize: 10 });
  t.equal(e.exemptClients?.length, 2);
});

t.test("BIND's defaults", async (t) => {
  const { conf, errors } = load('options { rate-limit { responses-per-second 10; }; };');
  t.same(errors, []);
  t.match(effectiveRateLimit(conf.options.rateLimit ?? {}), { window: 15, slip: 2, ipv4PrefixLength: 24, ipv6PrefixLength: 56, logOnly: false, maxTableSize: 20000, minTableSize: 500, allPerSecond: 0, qpsScale: 0 });
});

t.test('a view has its own rate-limit, or the options one', async (t) => {
  const { conf, errors } = load(`
options { rate-limit { responses-per-second 5; }; };
view "a" { match-clients { 127.0.0.2; }; rate-limit { responses-per-second 1; slip 0; }; };
view "b" { };`);
  t.same(errors, []);
  t.equal(conf.views[0].options.rateLimit?.responsesPerSecond, 1);
  t.equal(conf.views[0].options.rateLimit?.slip, 0);
  t.equal(conf.views[1].options.rateLimit?.responsesPerSecond, 5);
});

t.test("named-checkconf's errors, at the value", async (t) => {
  const cases: [string, string][] = [
    ['responses-per-second 2000;', 'responses-per-second 2000 > 1000'],
    ['window 4000;', 'window 4000 < 1 or > 3600'],
    ['window 0;', 'window 0 < 1 or > 3600'],
    ['slip 11;', 'slip 11 > 10'],
    ['ipv4-prefix-length 4;', "invalid 'ipv4-prefix-length 4'"],
    ['ipv6-prefix-length 100;', 'ipv6-prefix-length 100 < 16 or > 64'],
    ['qps-scale 0;', "invalid 'qps-scale 0'"],
    ['bogus 1;', "unknown option 'bogus'"],
    ['slip many;', "'slip': expected integer near 'many'"],
    ['log-only perhaps;', "'log-only': expected a boolean near 'perhaps'"],
    ['window 5; window 6;', "'window' redefined"],
  ];
  for (const [body, msg] of cases) {
    const { errors } = load(`options {\n  rate-limit { ${body} };\n};`);
    t.equal(errors.length, 1, body);
    t.match(errors[0], new RegExp(`^2:\\d+ ${msg.replace(/[()]/g, '\\$&')}$`), body);
  }
  const { errors } = load('options { rate-limit { max-table-size 10; min-table-size 100; }; };');
  t.same(errors.map((e) => e.replace(/^\S+ /, '')), ['max-table-size 10 < min-table-size 100']);
});

// tcp-clients, tcp-initial-timeout and tcp-idle-timeout: read in units of 100 ms, brought into BIND's range with named's warning.
import t from 'tap';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { DiagnosticSink } from '../../src/config/diagnostics.js';

function load(text: string) {
  const sink = new DiagnosticSink();
  const conf = parseNamedConf('/etc/triad-test/named.conf', text, sink, {});
  return { conf, errors: sink.errors.map((d) => d.message), warnings: sink.warnings.map((d) => `${d.line}:${d.col} ${d.message}`) };
}

t.test('values in units of 100 ms', async (t) => {
  const { conf, errors } = load('options { tcp-clients 20; tcp-initial-timeout 50; tcp-idle-timeout 100; };');
  t.same(errors, []);
  t.same(conf.options.tcp, { clients: 20, initialTimeoutMs: 5000, idleTimeoutMs: 10000 });
});

t.test("out of range: raised or lowered, with named's warning at the value", async (t) => {
  const { conf, warnings } = load('options {\n  tcp-initial-timeout 5;\n  tcp-idle-timeout 5000;\n};');
  t.same(conf.options.tcp, { initialTimeoutMs: 2500, idleTimeoutMs: 120000 });
  t.same(warnings, ['2:23 tcp-initial-timeout value is out of range: raising to 25', '3:20 tcp-idle-timeout value is out of range: lowering to 1200']);
});

t.test('not in a view (options only, as BIND)', async (t) => {
  const { errors } = load('view "v" { tcp-clients 5; };');
  t.equal(errors.length, 1);
});

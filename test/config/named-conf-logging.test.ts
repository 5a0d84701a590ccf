// named.conf's logging statement and options { querylog }, read into the query log's channels.
import t from 'tap';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { queryLogWanted } from '../../src/config/named-conf-logging.js';

const FILE = '/etc/triad-test/named.conf';
function load(text: string) {
  const sink = new DiagnosticSink();
  const conf = parseNamedConf(FILE, text, sink, {});
  return { conf, errors: sink.errors.map((d) => `${d.line}:${d.col} ${d.message}`), warnings: sink.warnings.map((d) => d.message) };
}

t.test('file channels with versions, size and the print clauses', async (t) => {
  const { conf, errors, warnings } = load(`
options { directory "/var/cache/bind"; querylog no; };
logging {
  channel ql { file "log/query.log" versions 3 size 20m; print-time yes; print-category yes; print-severity yes; severity info; };
  channel iso { file "/var/log/q.log" versions unlimited; print-time iso8601-utc; };
  channel quiet { file "q2.log" size 1k; severity warning; };
  category queries { ql; iso; quiet; default_stderr; };
  category default { default_syslog; };
};`);
  t.same(errors, []);
  t.ok(warnings.some((w) => /only category 'queries'/.test(w)), 'says what of logging is used');
  t.equal(conf.options.querylog, false);
  const lg = conf.logging;
  t.ok(lg);
  t.same(lg?.queries, ['ql', 'iso', 'quiet', 'default_stderr']);
  t.same(lg?.channels.get('ql'), { name: 'ql', destination: { kind: 'file', path: '/var/cache/bind/log/query.log', versions: 3, size: 20 * 1024 * 1024 }, printTime: 'local', printCategory: true, printSeverity: true, severity: 'info' });
  t.same(lg?.channels.get('iso')?.destination, { kind: 'file', path: '/var/log/q.log', versions: 'unlimited' });
  t.equal(lg?.channels.get('iso')?.printTime, 'iso8601-utc');
  t.same(lg?.channels.get('quiet')?.destination, { kind: 'file', path: '/var/cache/bind/q2.log', size: 1024 });
  t.equal(lg?.channels.get('quiet')?.severity, 'warning');
  t.equal(lg?.channels.get('default_stderr')?.destination.kind, 'stderr');
});

t.test('an undefined channel is still an error', async (t) => {
  const { errors } = load(`logging { category queries { nosuch; }; };`);
  t.match(errors.join('\n'), /undefined channel: 'nosuch'/);
});

t.test('no logging statement: no channels', async (t) => {
  const { conf } = load(`options { querylog yes; };`);
  t.equal(conf.logging, undefined);
  t.equal(conf.options.querylog, true);
});

t.test('whether the query log is on: querylog, else category queries, else as before (BIND 9.18)', async (t) => {
  const withQueries = { channels: new Map(), queries: ['ql'] };
  const without = { channels: new Map() };
  t.equal(queryLogWanted(true, undefined, false), true);
  t.equal(queryLogWanted(false, withQueries, true), false, 'querylog no wins over the category');
  t.equal(queryLogWanted(undefined, withQueries, false), true, 'a queries category turns it on');
  t.equal(queryLogWanted(undefined, without, true), true, 'neither: a reload keeps what ctl set');
  t.equal(queryLogWanted(undefined, undefined, false), false, 'off by default');
});

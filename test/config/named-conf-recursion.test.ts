// recursive-clients, clients-per-query, max-clients-per-query and fetches-per-zone: read into the resolver's caps.
import t from 'tap';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { DiagnosticSink } from '../../src/config/diagnostics.js';

function load(text: string) {
  const sink = new DiagnosticSink();
  const conf = parseNamedConf('/etc/triad-test/named.conf', text, sink, {});
  return { conf, errors: sink.errors.map((d) => `${d.line}:${d.col} ${d.message}`), warnings: sink.warnings.map((d) => d.message) };
}

t.test('every cap read, no "not implemented" warning', async (t) => {
  const { conf, errors, warnings } = load('options { recursive-clients 2; clients-per-query 3; max-clients-per-query 4; fetches-per-zone 5 fail; };');
  t.same(errors, []);
  t.same(warnings.filter((w) => /not implemented/.test(w)), []);
  t.same(conf.options.recursionLimits, { recursiveClients: 2, clientsPerQuery: 3, maxClientsPerQuery: 4, fetchesPerZone: { limit: 5, response: 'fail' } });
});

t.test('fetches-per-zone: drop is the default response', async (t) => {
  const { conf, errors } = load('options { fetches-per-zone 7; };');
  t.same(errors, []);
  t.same(conf.options.recursionLimits?.fetchesPerZone, { limit: 7, response: 'drop' });
});

t.test('fetches-per-zone: a wrong response word or a non-number is an error at the word', async (t) => {
  t.match(load('options {\n  fetches-per-zone 7 maybe;\n};').errors, ['2:22 fetches-per-zone: expected \'drop\' or \'fail\' near \'maybe\'']);
  t.equal(load('options { fetches-per-zone lots; };').errors.length, 1);
});

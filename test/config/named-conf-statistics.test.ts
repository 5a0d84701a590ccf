// statistics-channels in named.conf: addresses, ports, allow lists, and mistakes.
import t from 'tap';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { compileAddressMatch, type MatchEnvironment } from '../../src/net/address-match.js';
import { parsePrefix } from '../../src/net/ip.js';

function load(text: string) {
  const sink = new DiagnosticSink();
  const conf = parseNamedConf('/etc/triad-test/named.conf', text, sink, {});
  return { conf, errors: sink.errors.map((d) => `${d.line}:${d.col} ${d.message}`), warnings: sink.warnings.map((d) => d.message) };
}

const env: MatchEnvironment = { localhost: ['127.0.0.1/32', '::1/128', '192.0.2.2/32'].map((p) => parsePrefix(p)!), localnets: [], acls: new Map() };

t.test('inet channels: address, port (BIND default 80, * any free port), allow', async (t) => {
  const { conf, errors, warnings } = load(`statistics-channels {
  inet 127.0.0.1 port 8053 allow { 127.0.0.1; 10.0.0.0/8; };
  inet ::1;
  inet * port *;
};`);
  t.same(errors, []);
  t.notOk(warnings.some((w) => /statistics/.test(w)));
  const ch = conf.options.statisticsChannels;
  t.same(ch.map((c) => [c.address, c.port]), [['127.0.0.1', 8053], ['::1', 80], ['0.0.0.0', 0]]);
  const allow = compileAddressMatch(ch[0].allow, env);
  t.ok(allow('10.1.2.3'));
  t.notOk(allow('192.0.2.9'));
});

t.test('without allow only this host may connect', async (t) => {
  const { conf } = load('statistics-channels { inet 0.0.0.0 port 8053; };');
  const allow = compileAddressMatch(conf.options.statisticsChannels[0].allow, env);
  t.ok(allow('127.0.0.1'), 'loopback');
  t.ok(allow('192.0.2.2'), 'an address of this host');
  t.notOk(allow('192.0.2.77'), 'another host');
});

t.test('mistakes are errors at their position', async (t) => {
  const { errors } = load('statistics-channels {\n  inet nonsense port 8053;\n  unix "/tmp/x";\n};');
  t.same(errors, ["2:8 statistics-channels: 'nonsense' is not an IP address", "3:3 statistics-channels: expected 'inet ADDRESS [port N] [allow { … }]', found 'unix'"]);
});

t.test('no statement: no channel', async (t) => {
  t.same(load('options { };').conf.options.statisticsChannels, []);
});

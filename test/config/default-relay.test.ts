// Debian's /etc/default/isc-dhcp-relay fragment and dhcrelay flags.
import t from 'tap';
import { parseDefaultRelay } from '../../src/config/default-relay.js';
import { DiagnosticSink, formatDiagnostic } from '../../src/config/diagnostics.js';

t.test('Debian default file', async (t) => {
  const sink = new DiagnosticSink();
  const c = parseDefaultRelay(
    '/etc/default/isc-dhcp-relay',
    `# Defaults for isc-dhcp-relay initscript
# What servers should the DHCP relay forward requests to?
SERVERS="10.97.0.1 10.97.0.9"

# On what interfaces should the DHCP relay (dhrelay) serve DHCP requests?
INTERFACES='rdown rup'
export OPTIONS="-a -m append -c 4 -D -iu wan"   # trailing comment
`,
    sink,
  );
  t.same(sink.items, []);
  t.same(c.servers, ['10.97.0.1', '10.97.0.9']);
  t.same(c.interfaces, [
    { name: 'rdown', upstream: true, downstream: true },
    { name: 'rup', upstream: true, downstream: true },
    { name: 'wan', upstream: true, downstream: false },
  ]);
  t.equal(c.agentInformation, true);
  t.equal(c.policy, 'append');
  t.equal(c.maxHops, 4);
  t.equal(c.dropMismatch, true);
});

t.test('every error reported with file:line:col', async (t) => {
  const sink = new DiagnosticSink();
  parseDefaultRelay('f', `SERVERS="$SRV"\nINTERFACES="eth0\nOPTIONS="-m sideways -c 300 -z"\nrm -rf /\n`, sink);
  const text = sink.items.map((d) => formatDiagnostic(d)).join('\n');
  t.match(text, /f:1:10: error: shell expansion/);
  t.match(text, /f:2:12: error: unterminated double quote/);
  t.match(text, /-m sideways/);
  t.match(text, /-c 300/);
  t.match(text, /unknown dhcrelay option -z/);
  t.match(text, /f:4:1: error: expected NAME="value"/);
  t.notMatch(text, /SERVERS names no DHCP server/, 'a broken SERVERS is not reported twice');
  t.match(text, /f:3:13: error: -m sideways/, 'column of the word inside the quotes');
  const none = new DiagnosticSink();
  parseDefaultRelay('g', 'INTERFACES="eth0"\n', none);
  t.match(formatDiagnostic(none.items[0]), /g:1:1: error: SERVERS names no DHCP server/);
});

t.test('unquoted values, escapes, semicolons', async (t) => {
  const sink = new DiagnosticSink();
  const c = parseDefaultRelay('f', `SERVERS=10.0.0.1; INTERFACES=eth\\1\nOPTIONS=''\n`, sink);
  t.same(sink.errors, []);
  t.same(c.servers, ['10.0.0.1']);
  t.same(c.interfaces.map((i) => i.name), ['eth1']);
});

// The HA pair's configuration: Kea's `high-availability` parameters in dhcp-ha.json, and
// ISC's `failover peer` blocks in dhcpd.conf mapped to the same settings.
import t from 'tap';
import { DiagnosticSink, formatDiagnostic } from '../../src/config/diagnostics.js';
import { parseHaFile } from '../../src/config/ha-conf.js';
import { parseDhcpdConf } from '../../src/config/dhcpd-conf.js';

const KEA = `// pasted from kea-dhcp4.conf
{
  "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so",
  "parameters": {
    "high-availability": [ {
      "this-server-name": "server1",
      "mode": "hot-standby",
      "heartbeat-delay": 2000,
      "max-response-delay": 6000,
      "max-ack-delay": 1000,
      "max-unacked-clients": 0,
      "multi-threading": { "enable-multi-threading": true, "http-dedicated-listener": true },
      "peers": [
        { "name": "server1", "url": "http://10.0.0.1:8001/", "role": "primary", "auto-failover": true,
          "basic-auth-user": "ha", "basic-auth-password": "secret" },
        { "name": "server2", "url": "http://10.0.0.2:8001/", "role": "standby" }
      ]
    } ]
  }
}
`;

t.test('Kea hook parameters are read as Kea writes them', async (t) => {
  const sink = new DiagnosticSink();
  const c = parseHaFile('dhcp-ha.json', KEA, sink);
  t.same(sink.items, []);
  t.ok(c);
  t.equal(c!.thisServerName, 'server1');
  t.equal(c!.mode, 'hot-standby');
  t.equal(c!.heartbeatDelay, 2000);
  t.equal(c!.maxResponseDelay, 6000);
  t.equal(c!.maxUnackedClients, 0);
  t.equal(c!.peers[0].basicAuthUser, 'ha');
  t.equal(c!.peers[1].host, '10.0.0.2');
  t.equal(c!.peers[1].port, 8001);
});

t.test('mistakes are reported with file:line:col', async (t) => {
  const bad = (text: string): string[] => {
    const sink = new DiagnosticSink();
    parseHaFile('dhcp-ha.json', text, sink);
    return sink.items.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.col} ${d.message}`);
  };
  t.match(bad('{ "high-availability": [ { "mode": "hot-standby" "peers": [] } ] }')[0], /^1:50 expecting ',' or '}'/);
  const wrongMode = KEA.replace('"hot-standby"', '"hot-stand"');
  t.match(bad(wrongMode)[0], /^7:15 mode "hot-stand"/);
  t.match(bad(KEA.replace('"http://10.0.0.2:8001/"', '"https://x/"'))[0], /^16:37 url "https:\/\/x\/"/);
  t.match(bad(KEA.replace('"standby"', '"secondary"')).join('\n'), /hot-standby needs one "primary" and one "standby"/);
  t.match(bad(KEA.replace('"server1",\n', '"server9",\n')).join('\n'), /this-server-name "server9" is not one of the peers/);
  t.match(bad(KEA.replace('"max-ack-delay"', '"max-ack-dely"'))[0], /^10:7 unknown parameter "max-ack-dely"/);
  const sink = new DiagnosticSink();
  parseHaFile('dhcp-ha.json', wrongMode, sink);
  t.match(formatDiagnostic(sink.items[0]), /dhcp-ha.json:7:15: error: .*\n {10}"mode": "hot-stand",\n {18}\^$/);
});

const conf = (peer: string, pool = 'failover peer "lab";') => `
${peer}
subnet 10.9.0.0 netmask 255.255.255.0 { pool { ${pool} range 10.9.0.10 10.9.0.100; } }
`;

t.test('failover peer blocks map to an HA pair', async (t) => {
  const lb = parseDhcpdConf('d.conf', conf('failover peer "lab" { primary; address 10.9.0.1; port 647; peer address 10.9.0.2; peer port 847; max-response-delay 30; max-unacked-updates 10; mclt 1800; split 128; load balance max seconds 3; }'));
  t.same(lb.sink.errors, []);
  const ha = lb.conf.ha!;
  t.equal(ha.mode, 'load-balancing');
  t.equal(ha.thisServerName, 'lab-primary');
  t.same(ha.peers.map((p) => [p.name, p.role, p.url]), [['lab-primary', 'primary', 'http://10.9.0.1:647/'], ['lab-secondary', 'secondary', 'http://10.9.0.2:847/']]);
  t.equal(ha.maxResponseDelay, 30000);
  t.equal(ha.heartbeatDelay, 10000);
  t.equal(ha.mclt, 1800);
  t.equal(ha.maxUnackedClients, 0, 'the survivor takes over after max-response-delay');

  const hs = parseDhcpdConf('d.conf', conf('failover peer "lab" { secondary; address 10.9.0.2; peer address 10.9.0.1; max-response-delay 6; }'));
  t.same(hs.sink.errors, []);
  t.equal(hs.conf.ha!.mode, 'hot-standby');
  t.equal(hs.conf.ha!.thisServerName, 'lab-secondary');
  t.equal(hs.conf.ha!.peers[0].role, 'standby');
  t.equal(hs.conf.ha!.heartbeatDelay, 2000);
  t.equal(hs.conf.ha!.peers[1].port, 647);

  const h255 = parseDhcpdConf('d.conf', conf('failover peer "lab" { primary; address 10.9.0.1; peer address 10.9.0.2; mclt 600; split 255; }'));
  t.equal(h255.conf.ha!.mode, 'hot-standby');
});

t.test('failover mistakes are errors with positions', async (t) => {
  const errs = (text: string) => parseDhcpdConf('d.conf', text).sink.errors.map((e) => `${e.line}:${e.col} ${e.message}`);
  t.match(errs(conf('failover peer "lab" { primary; address 10.9.0.1; peer address 10.9.0.2; mclt 600; split 64; }'))[0], /^2:1 .*split 64 is not supported/);
  t.match(errs(conf('failover peer "lab" { secondary; address 10.9.0.1; peer address 10.9.0.2; mclt 600; }'))[0], /mclt and split\/hba belong in the primary/);
  t.match(errs(conf('failover peer "lab" { primary; adress 10.9.0.1; }'))[0], /^2:32 unknown failover statement "adress"/);
  t.match(errs(conf('failover peer "lab" { primary; address 10.9.0.1; peer address 10.9.0.2; mclt 600; }', 'failover peer "other";'))[0], /^3:62 failover peer other: unknown failover peer/);
  t.match(errs(conf('failover peer "lab" { primary; address 10.9.0.1 peer address 10.9.0.2; mclt 600; }'))[0], /semicolon expected/);
});

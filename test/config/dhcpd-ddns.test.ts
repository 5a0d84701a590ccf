// dhcpd.conf `key` and `zone` statements (where DHCP names go when another server holds the zone).
import t from 'tap';
import { parseDhcpdConf } from '../../src/config/dhcpd-conf.js';

const SECRET = 'hDmM0rMhEx0DHaBSpWX91a1c3ZE4B6ZH/gDnCfC8L9g=';

t.test('key and zone statements as ISC writes them', async (t) => {
  const { conf, sink } = parseDhcpdConf('/x/dhcpd.conf', `ddns-update-style standard;
update-conflict-detection false;
update-optimization off;
update-static-leases on;
key "ddns-key" { algorithm hmac-sha256; secret "${SECRET}"; };
key OLD { algorithm HMAC-MD5.SIG-ALG.REG.INT; secret ${SECRET}; }
zone example.org. { primary 192.0.2.53; key ddns-key; }
zone "117.168.192.in-addr.arpa" { primary 192.0.2.53; secondary 192.0.2.54; key "OLD"; }
`);
  t.same(sink.errors.map((e) => e.message), []);
  t.equal(conf.ddns.keys.get('ddns-key')?.hmac, 'hmac-sha256');
  t.equal(Buffer.from(conf.ddns.keys.get('old')!.secret).toString('base64'), SECRET, 'unquoted secret with + / = read whole');
  t.equal(conf.ddns.keys.get('old')?.hmac, 'hmac-md5', 'long algorithm name');
  t.same(conf.ddns.zones.map((z) => [z.name, z.servers, z.key]), [['example.org.', [0xc0000235], 'ddns-key'], ['117.168.192.in-addr.arpa.', [0xc0000235, 0xc0000236], 'OLD']]);
  t.equal(conf.global.params.updateConflictDetection, false);
  t.equal(conf.global.params.updateOptimization, false);
  t.equal(conf.global.params.updateStaticLeases, true);
});

t.test('mistakes are errors with their place', async (t) => {
  const { sink } = parseDhcpdConf('/x/dhcpd.conf', `key k { algorithm hmac-sha999; secret "${SECRET}"; }
key k2 { algorithm hmac-sha256; secret "not*base64"; }
zone a.example. { key k3; }
zone b.example. { primary 192.0.2.1; key nosuch; }
zone c.example. { primary ns.example.org; }
`);
  const msgs = sink.errors.map((e) => `${e.line}: ${e.message}`);
  // ISC dhcpd reads a key it cannot sign with (no error); its updates are not sent: a warning.
  const warned = sink.warnings.map((e) => `${e.line}: ${e.message}`).join('\n');
  t.match(warned, /1: key 'k': unknown algorithm 'hmac-sha999'; updates signed with it are not sent/);
  t.match(warned, /2: key 'k2': bad base64 encoding; updates signed with it are not sent/);
  t.notMatch(msgs.join('\n'), /unknown algorithm|bad base64/, 'not errors');
  t.match(msgs.join('\n'), /3: zone a\.example\.: no primary server/);
  t.match(msgs.join('\n'), /4: zone b\.example\.: key nosuch is not defined/);
  t.match(msgs.join('\n'), /5: ns\.example\.org: expecting an IPv4 address/);
});

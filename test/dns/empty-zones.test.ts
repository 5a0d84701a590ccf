// When named adds its built-in empty zones, and what they hold.
import t from 'tap';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { BUILTIN_EMPTY_ZONES, emptyZones } from '../../src/dns/empty-zones.js';
import { nameToText } from '../../src/wire/dns-name.js';
import { T } from '../../src/wire/rr-type.js';

const zonesFor = (text: string): string[] => {
  const sink = new DiagnosticSink();
  const conf = parseNamedConf('/x/named.conf', text, sink, { '/x/db': '' });
  t.same(sink.errors, [], text);
  return emptyZones(conf).map((z) => nameToText(z.origin));
};

t.test('which zones', async (t) => {
  t.equal(BUILTIN_EMPTY_ZONES.length, 17 + 1 + 64 + 7 + 8 + 3, "BIND 9.18's list");
  t.same(zonesFor('options { recursion no; };'), [], 'none with recursion off');
  t.equal(zonesFor('').length, BUILTIN_EMPTY_ZONES.length, 'all of them with recursion on (the default)');
  t.same(zonesFor('options { empty-zones-enable no; };'), []);
  t.same(zonesFor('options { forward only; forwarders { 192.0.2.1; }; };'), [], 'global forward only skips them all');
  t.equal(zonesFor('options { forward first; forwarders { 192.0.2.1; }; };').length, BUILTIN_EMPTY_ZONES.length, 'forward first does not');
  const some = zonesFor(`options { disable-empty-zone "10.IN-ADDR.ARPA"; };
zone "168.192.in-addr.arpa" { type primary; file "db"; };
zone "home.arpa" { type forward; forward only; forwarders { 192.0.2.1; }; };
zone "e.f.ip6.arpa" { type forward; forward only; forwarders { 192.0.2.1; }; };`);
  for (const gone of ['10.IN-ADDR.ARPA.', '168.192.IN-ADDR.ARPA.', 'HOME.ARPA.', '8.E.F.IP6.ARPA.', 'B.E.F.IP6.ARPA.']) t.notOk(some.includes(gone), `${gone} is not added`);
  t.ok(some.includes('D.F.IP6.ARPA.'), 'a forward-only zone elsewhere does not matter');
});

t.test('what they hold', async (t) => {
  const sink = new DiagnosticSink();
  const conf = parseNamedConf('/x/named.conf', 'zone "1.0.0.127.in-addr.arpa" { type primary; file "db"; };\noptions { empty-contact "hm.example"; };', sink, { '/x/db': '' });
  const zones = emptyZones(conf);
  const ten = zones.find((z) => nameToText(z.origin) === '10.IN-ADDR.ARPA.')!;
  const apex = [...ten.nodes.values()][0];
  t.equal(apex.rrsets.get(T.SOA)?.ttl, 86400);
  t.equal(apex.rrsets.get(T.NS)?.ttl, 0, 'NS TTL 0 in the built-in database');
  t.ok(ten.atQueryName, 'apex written at the name asked');
  const lo = zones.find((z) => nameToText(z.origin) === '127.IN-ADDR.ARPA.')!;
  t.equal([...lo.nodes.values()][0].rrsets.get(T.NS)?.ttl, 86400, 'an ordinary zone when a configured zone lies below');
  t.notOk(lo.atQueryName);
  const soa = apex.rrsets.get(T.SOA)!.rdatas[0];
  t.match(Buffer.from(soa).toString('latin1'), /hm.example/, 'empty-contact is the SOA contact');
});

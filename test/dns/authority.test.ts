import t from 'tap';
import { answerFromZone, type AuthorityAnswer, type SectionRRset } from '../../src/dns/authority.js';
import { ZoneTable } from '../../src/dns/zone-table.js';
import { nameToText, parseName } from '../../src/wire/dns-name.js';
import { rdataToText } from '../../src/wire/rdata.js';
import { typeToText } from '../../src/wire/rr-type.js';
import { miniZone, TRI } from '../helpers/mini-zone.js';

const tri = miniZone('tri.test', TRI);
const other = miniZone('other.test', `
@ 1800 SOA ns admin 42 7200 1800 1209600 3600
@ 1800 NS ns
ns 1800 A 10.1.0.1
www 1800 A 10.1.0.80
`);
const table = new ZoneTable([tri, other]);

function lines(sets: SectionRRset[]): string[] {
  return sets.flatMap((s) => s.rdatas.map((rd) => `${nameToText(s.owner)} ${s.ttl} ${typeToText(s.type)} ${rdataToText(s.type, rd)}`)).sort();
}

function ask(name: string, type: number, minimal = false, noAdditional = false): AuthorityAnswer & { a: string[]; ns: string[]; ad: string[] } {
  const qn = parseName(name);
  const zone = table.find(qn);
  if (!zone) throw new Error('no zone for ' + name);
  const r = answerFromZone(zone, qn, type, { minimal, noAdditional });
  return { ...r, a: lines(r.answer), ns: lines(r.authority), ad: lines(r.additional) };
}

const A = 1, NS = 2, CNAME = 5, MX = 15, TXT = 16, SRV = 33, DS = 43, ANY = 255;

t.test('zone table finds the closest enclosing zone', async (t) => {
  t.equal(table.find(parseName('a.b.WWW.tri.test.')), tri);
  t.equal(table.find(parseName('other.test.')), other);
  t.equal(table.find(parseName('test.')), undefined);
  t.equal(table.find(parseName('xtri.test.')), undefined);
});

t.test('positive answer, no RD: NS in authority with in-zone addresses', async (t) => {
  const r = ask('www.tri.test.', A);
  t.equal(r.rcode, 0);
  t.ok(r.aa);
  t.same(r.a, ['www.tri.test. 3600 A 10.0.0.80']);
  t.same(r.ns, ['tri.test. 3600 NS ns1.tri.test.', 'tri.test. 3600 NS ns2.other.test.']);
  t.same(r.ad, ['ns1.tri.test. 3600 A 10.0.0.1', 'ns1.tri.test. 3600 AAAA 2001:db8::1']);
});

t.test('positive answer with RD: minimal (BIND no-auth-recursive)', async (t) => {
  const r = ask('www.tri.test.', A, true);
  t.same(r.ns, []);
  t.same(r.ad, []);
});

t.test('owner keeps the zone case; case-insensitive match', async (t) => {
  t.same(ask('www2.TRI.test.', A, true).a, ['WWW2.tri.test. 3600 A 10.0.0.81']);
});

t.test('NXDOMAIN and NODATA carry the SOA with the negative TTL', async (t) => {
  const nx = ask('nope.tri.test.', A, true);
  t.equal(nx.rcode, 3);
  t.same(nx.ns, ['tri.test. 600 SOA ns1.tri.test. hostmaster.tri.test. 7 3600 900 604800 600']);
  const nd = ask('www.tri.test.', MX, true);
  t.equal(nd.rcode, 0);
  t.same(nd.a, []);
  t.equal(nd.ns.length, 1);
});

t.test('MX and SRV additional processing in the same zone only', async (t) => {
  const r = ask('mx.tri.test.', MX, true);
  t.same(r.ad, ['mail.tri.test. 3600 A 10.0.0.25']);
  const s = ask('_sip._udp.tri.test.', SRV, true);
  t.same(s.ad, ['sip.tri.test. 3600 A 10.0.0.50']);
});

t.test('referral below a cut: no AA, child NS, glue', async (t) => {
  const r = ask('deep.x.child.tri.test.', A);
  t.notOk(r.aa);
  t.same(r.a, []);
  t.same(r.ns, ['child.tri.test. 3600 NS ns.other.test.', 'child.tri.test. 3600 NS ns1.child.tri.test.']);
  t.same(r.ad, ['ns1.child.tri.test. 3600 A 10.0.1.1']);
  const nsq = ask('child.tri.test.', NS);
  t.notOk(nsq.aa, 'NS at the cut is a referral too');
  const ds = ask('child.tri.test.', DS, true);
  t.ok(ds.aa, 'DS at the cut is answered by the parent');
  t.equal(ds.a.length, 1);
});

t.test('wildcards (RFC 4592)', async (t) => {
  const w = ask('Foo.WILD.tri.test.', A, true);
  t.same(w.a, ['foo.wild.tri.test. 3600 A 10.0.0.99'], 'synthesized owner in lower case');
  t.equal(ask('x.sub.wild.tri.test.', A).rcode, 3, 'existing sub.wild blocks the wildcard below it');
  const ent = ask('b.ent.tri.test.', TXT);
  t.equal(ent.rcode, 0);
  t.same(ent.a, [], 'an empty non-terminal is not covered by the wildcard');
  t.same(ask('x.ent.tri.test.', TXT, true).a, ['x.ent.tri.test. 3600 TXT "under ent"']);
  t.same(ask('*.wild.tri.test.', A, true).a, ['*.wild.tri.test. 3600 A 10.0.0.99'], 'query for * itself');
  t.equal(ask('wild.tri.test.', A).rcode, 0, 'wild is an ENT: NODATA');
});

t.test('CNAME chains', async (t) => {
  const c = ask('c1.tri.test.', A, true);
  t.same(c.a, ['c1.tri.test. 3600 CNAME c2.tri.test.', 'c2.tri.test. 3600 CNAME www.tri.test.', 'www.tri.test. 3600 A 10.0.0.80']);
  const x = ask('cext.tri.test.', A);
  t.same(x.a, ['cext.tri.test. 3600 CNAME www.other.test.'], 'not chased into another zone');
  t.same(x.ns, [], 'no authority when the chain leaves the zone');
  const loop = ask('cloop1.tri.test.', A);
  t.equal(loop.rcode, 2);
  t.equal(loop.a.length, 2);
  t.equal(loop.ede?.text, 'max. restarts reached');
  const nx = ask('cnx.tri.test.', A);
  t.equal(nx.rcode, 3);
  t.equal(nx.a.length, 1);
  t.same(ask('c1.tri.test.', CNAME, true).a, ['c1.tri.test. 3600 CNAME c2.tri.test.']);
});

t.test('DNAME (RFC 6672)', async (t) => {
  const r = ask('X.dn.tri.test.', A);
  t.same(r.a, ['X.dn.tri.test. 3600 CNAME X.other.test.', 'dn.tri.test. 3600 DNAME other.test.']);
  t.equal(ask('dn.tri.test.', A).a.length, 0, 'DNAME does not apply to its owner');
});

t.test('ANY answers every RRset, without additional', async (t) => {
  const r = ask('www.tri.test.', ANY);
  t.equal(r.a.length, 2);
  t.equal(r.ns.length, 2);
  t.same(r.ad, []);
  const apex = ask('tri.test.', ANY);
  t.same(apex.ns, [], 'apex NS already in the answer');
});

t.test('unknown types pass through', async (t) => {
  t.same(ask('unk.tri.test.', 65534, true).a, ['unk.tri.test. 3600 TYPE65534 \\# 3 ABCDEF']);
});

t.test('minimal-responses yes: no MX/SRV addresses, NS answers and referrals keep glue', async (t) => {
  t.same(ask('mx.tri.test.', MX, true, true).ad, []);
  t.same(ask('tri.test.', NS, true, true).ad, ['ns1.tri.test. 3600 A 10.0.0.1', 'ns1.tri.test. 3600 AAAA 2001:db8::1']);
  t.same(ask('x.child.tri.test.', A, true, true).ad, ['ns1.child.tri.test. 3600 A 10.0.1.1']);
});

// Zone versions: a difference applied to one version gives the next; the earlier one stays as it was.
import t, { type Test } from 'tap';
import { applyDiff, ZoneDiffError, type ZoneDiff } from '../../src/dns/zone-diff.js';
import { ZoneJournal } from '../../src/dns/zone-journal.js';
import { nameKey, nameToText, parseName } from '../../src/wire/dns-name.js';
import { CLASS_CH, CLASS_IN, T, type ResourceRecord } from '../../src/wire/rr-type.js';
import type { Zone } from '../../src/dns/zone.js';
import { miniZone } from '../helpers/mini-zone.js';

const BASE = `@ 300 SOA ns.ex.test. admin.ex.test. 10 3600 600 86400 60
@ 300 NS ns
ns 300 A 192.0.2.1
alias 300 CNAME ns
deep.a.b 300 A 192.0.2.7`;
const zone = (): Zone => miniZone('ex.test', BASE);
const rr = (owner: string, type: number, rdata: number[] | Uint8Array, ttl = 300, cls = CLASS_IN): ResourceRecord => ({ owner: parseName(owner), type, class: cls, ttl, rdata: Uint8Array.from(rdata) });
const a = (owner: string, ip: string, ttl = 300): ResourceRecord => rr(owner, T.A, ip.split('.').map(Number), ttl);
const names = (z: Zone): string[] => [...z.nodes.values()].map((n) => `${nameToText(n.name).toLowerCase()}${n.rrsets.size ? '' : ' (empty)'}`).sort();
const soaSerial = (z: Zone): number => {
  const rd = z.apex!.rrsets.get(T.SOA)!.rdatas[0];
  return Buffer.from(rd).readUInt32BE(rd.length - 20);
};
const throwsDiff = (t: Test, z: Zone, d: ZoneDiff, re: RegExp, what: string): void => {
  t.throws(() => applyDiff(z, d), re, what);
  try {
    applyDiff(z, d);
  } catch (e) {
    t.ok(e instanceof ZoneDiffError, `${what}: a ZoneDiffError`);
  }
};

t.test('additions create the node and its empty non-terminals; the old version is unchanged', async (t) => {
  const z = zone();
  const before = names(z);
  const next = applyDiff(z, { deletions: [], additions: [a('x.y.z.ex.test.', '192.0.2.9')], serial: 11 });
  t.same(names(z), before, 'old version untouched');
  t.ok(names(next).includes('y.z.ex.test. (empty)') && names(next).includes('z.ex.test. (empty)'), 'empty non-terminals appear');
  t.same([...next.nodes.get(nameKey(parseName('x.y.z.ex.test.')))!.rrsets.get(T.A)!.rdatas[0]], [192, 0, 2, 9]);
  t.equal(next.serial, 11);
  t.equal(soaSerial(next), 11, 'SOA RDATA carries the serial');
  t.equal(soaSerial(z), 10, 'the old SOA keeps its serial');
  t.equal(next.negativeSoa!.ttl, 60, 'negative SOA recomputed for the version');
  t.equal(Buffer.from(next.negativeSoa!.rdatas[0]).readUInt32BE(next.negativeSoa!.rdatas[0].length - 20), 11);
  t.equal(next.apex, next.nodes.get(next.originKey), 'apex fact belongs to the new version');
  t.equal(next.originLabels, 2);
});

t.test('deletions remove records, then nodes, then empty non-terminals that lead nowhere', async (t) => {
  const z = zone();
  const next = applyDiff(z, { deletions: [a('deep.a.b.ex.test.', '192.0.2.7')], additions: [] });
  t.notOk(next.nodes.has(nameKey(parseName('deep.a.b.ex.test.'))));
  t.notOk(next.nodes.has(nameKey(parseName('a.b.ex.test.'))), 'ENT gone');
  t.notOk(next.nodes.has(nameKey(parseName('b.ex.test.'))), 'ENT gone');
  t.ok(z.nodes.has(nameKey(parseName('b.ex.test.'))), 'the old version keeps them');
  t.equal(next.serial, 10, 'no serial: it stays');
  // An ENT that still leads to data stays.
  const two = applyDiff(zone(), { deletions: [], additions: [a('other.b.ex.test.', '192.0.2.8')] });
  const three = applyDiff(two, { deletions: [a('deep.a.b.ex.test.', '192.0.2.7')], additions: [] });
  t.ok(three.nodes.has(nameKey(parseName('b.ex.test.'))), 'b still leads to other.b');
  t.notOk(three.nodes.has(nameKey(parseName('a.b.ex.test.'))));
  // The result equals a zone built from the same records.
  const built = miniZone('ex.test', `${BASE.split('\n').filter((l) => !l.startsWith('deep')).join('\n')}\nother.b 300 A 192.0.2.8`);
  t.same(names(three), names(built), 'same nodes as a zone built from scratch');
});

t.test('one RRset: an added record joins it (its TTL for all), a duplicate is ignored, a delete leaves the rest', async (t) => {
  const z = applyDiff(zone(), { deletions: [], additions: [a('ns.ex.test.', '192.0.2.2', 120), a('ns.ex.test.', '192.0.2.1')] });
  const set = z.nodes.get(nameKey(parseName('ns.ex.test.')))!.rrsets.get(T.A)!;
  t.equal(set.rdatas.length, 2);
  t.equal(set.ttl, 120, 'the added TTL for the whole RRset; the duplicate changed nothing');
  const z2 = applyDiff(z, { deletions: [a('ns.ex.test.', '192.0.2.1')], additions: [] });
  t.same(z2.nodes.get(nameKey(parseName('ns.ex.test.')))!.rrsets.get(T.A)!.rdatas.map((d) => [...d]), [[192, 0, 2, 2]]);
  t.equal(z.nodes.get(nameKey(parseName('ns.ex.test.')))!.rrsets.get(T.A)!.rdatas.length, 2, 'earlier version keeps both');
});

t.test('refused differences: out of zone, other class, missing record, CNAME and other data, serial going back, SOA removed', async (t) => {
  const z = zone();
  throwsDiff(t, z, { deletions: [], additions: [a('pc.elsewhere.test.', '192.0.2.5')] }, /not in zone ex\.test\./, 'out of zone');
  throwsDiff(t, z, { deletions: [], additions: [rr('pc.ex.test.', T.A, [1, 2, 3, 4], 300, CLASS_CH)] }, /class 3/, 'other class');
  throwsDiff(t, z, { deletions: [a('nope.ex.test.', '192.0.2.5')], additions: [] }, /does not have/, 'missing record');
  throwsDiff(t, z, { deletions: [], additions: [a('alias.ex.test.', '192.0.2.5')] }, /CNAME and other data/, 'data beside a CNAME');
  throwsDiff(t, z, { deletions: [], additions: [rr('ns.ex.test.', T.CNAME, parseName('ex.test.'))] }, /CNAME and other data/, 'a CNAME beside data');
  throwsDiff(t, z, { deletions: [], additions: [], serial: 10 }, /does not follow/, 'same serial');
  throwsDiff(t, z, { deletions: [], additions: [], serial: 9 }, /does not follow/, 'older serial');
  const soa = z.apex!.rrsets.get(T.SOA)!;
  throwsDiff(t, z, { deletions: [{ owner: soa.owner, type: T.SOA, class: CLASS_IN, ttl: soa.ttl, rdata: soa.rdatas[0] }], additions: [] }, /exactly one SOA/, 'SOA removed');
  t.equal(applyDiff(z, { deletions: [], additions: [], serial: 0x80000000 + 9 }).serial, 0x80000000 + 9, 'RFC 1982: the largest step forward');
  t.equal(applyDiff(miniZone('ex.test', BASE.replace(' 10 ', ' 4294967295 ')), { deletions: [], additions: [], serial: 0 }).serial, 0, 'serial wraps (RFC 1982)');
});

t.test('the journal keeps recent differences, bounded, and restarts when a version does not follow', async (t) => {
  const j = new ZoneJournal(3);
  let z = zone();
  const first = z;
  for (let i = 0; i < 5; i++) {
    const d: ZoneDiff = { deletions: [], additions: [a(`h${i}.ex.test.`, `192.0.2.${20 + i}`)], serial: 11 + i };
    const next = applyDiff(z, d);
    j.record(z, next, d);
    z = next;
  }
  t.equal(j.size, 3, 'bounded');
  t.equal(j.current, z);
  t.same(j.since(12)!.map((e) => `${e.fromSerial}>${e.toSerial}`), ['12>13', '13>14', '14>15']);
  t.same(j.since(15), [], 'up to date');
  t.equal(j.since(10), undefined, 'too old: trimmed');
  // A reloaded file: a version that does not follow the last one starts over.
  const d: ZoneDiff = { deletions: [], additions: [a('new.ex.test.', '192.0.2.99')], serial: 11 };
  j.record(first, applyDiff(first, d), d);
  t.equal(j.size, 1);
  t.same(j.since(10)!.map((e) => e.toSerial), [11]);
});

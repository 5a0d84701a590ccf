// IXFR out (RFC 1995) from the journal, decided without sockets: condensed differences,
// the max-ixfr-ratio fallback, serials the journal does not reach, and the difference
// a reloaded zone file makes.
import t from 'tap';
import { applyDiff, type ZoneDiff } from '../../src/dns/zone-diff.js';
import { ZoneJournal } from '../../src/dns/zone-journal.js';
import { condense, diffVersions, planIxfr } from '../../src/dns/ixfr-out.js';
import { nameToText, parseName } from '../../src/wire/dns-name.js';
import { CLASS_IN, T, typeToText, type ResourceRecord } from '../../src/wire/rr-type.js';
import type { SectionRRset } from '../../src/dns/authority.js';
import type { Zone } from '../../src/dns/zone.js';
import { miniZone } from '../helpers/mini-zone.js';

const hosts = (n: number): string => Array.from({ length: n }, (_, i) => `h${i} 300 A 198.51.100.${i + 1}`).join('\n');
const BASE = `@ 300 SOA ns.ex.test. admin.ex.test. 10 3600 600 86400 60
@ 300 NS ns
ns 300 A 192.0.2.1
${hosts(30)}`;
const a = (owner: string, ip: string, ttl = 300): ResourceRecord => ({ owner: parseName(owner), type: T.A, class: CLASS_IN, ttl, rdata: Uint8Array.from(ip.split('.').map(Number)) });
const text = (s: SectionRRset): string => {
  const rd = s.rdatas[0];
  const data = s.type === T.A ? Array.from(rd).join('.') : s.type === T.SOA ? `serial ${Buffer.from(rd).readUInt32BE(rd.length - 20)}` : '';
  return `${nameToText(s.owner)} ${s.ttl} ${typeToText(s.type)} ${data}`;
};

/** A zone and journal after the given differences, applied in order. */
function history(diffs: ZoneDiff[], limit?: number): { zone: Zone; journal: ZoneJournal; first: Zone } {
  const journal = new ZoneJournal(limit);
  const first = miniZone('ex.test', BASE);
  let zone = first;
  for (const d of diffs) {
    const next = applyDiff(zone, d);
    journal.record(zone, next, d);
    zone = next;
  }
  return { zone, journal, first };
}

t.test('an IXFR answer: new SOA, old SOA, deletions, new SOA, additions, new SOA (RFC 1995 §4)', async (t) => {
  const { zone, journal } = history([{ deletions: [a('h1.ex.test.', '198.51.100.2')], additions: [a('new.ex.test.', '192.0.2.50')], serial: 11 }]);
  const plan = planIxfr(zone, journal, 10);
  t.equal(plan.kind, 'incremental');
  if (plan.kind !== 'incremental') return;
  t.same(plan.records.map(text), [
    'ex.test. 300 SOA serial 11',
    'ex.test. 300 SOA serial 10',
    'h1.ex.test. 300 A 198.51.100.2',
    'ex.test. 300 SOA serial 11',
    'new.ex.test. 300 A 192.0.2.50',
    'ex.test. 300 SOA serial 11',
  ]);
});

t.test('several steps are condensed into one difference (RFC 1995 §5)', async (t) => {
  const { zone, journal } = history([
    { deletions: [], additions: [a('tmp.ex.test.', '192.0.2.60')], serial: 11 },
    { deletions: [a('h2.ex.test.', '198.51.100.3')], additions: [a('keep.ex.test.', '192.0.2.61')], serial: 12 },
    { deletions: [a('tmp.ex.test.', '192.0.2.60')], additions: [a('h2.ex.test.', '198.51.100.3')], serial: 13 },
    { deletions: [a('keep.ex.test.', '192.0.2.61')], additions: [a('keep.ex.test.', '192.0.2.61', 60)], serial: 14 },
  ]);
  const plan = planIxfr(zone, journal, 10);
  if (plan.kind !== 'incremental') return t.fail(`expected an incremental answer, got ${plan.kind}`);
  t.same(plan.records.map(text), [
    'ex.test. 300 SOA serial 14',
    'ex.test. 300 SOA serial 10',
    'ex.test. 300 SOA serial 14',
    'keep.ex.test. 60 A 192.0.2.61',
    'ex.test. 300 SOA serial 14',
  ], 'added then deleted: never sent; deleted then added back: nothing; the last TTL wins');
  const mid = planIxfr(zone, journal, 12);
  if (mid.kind !== 'incremental') return t.fail('from serial 12');
  t.same(mid.records.map(text).slice(1, 4), ['ex.test. 300 SOA serial 12', 'tmp.ex.test. 300 A 192.0.2.60', 'keep.ex.test. 300 A 192.0.2.61'], 'from a serial in the middle: the deletions since then');
  t.same(condense([{ deletions: [a('x.ex.test.', '192.0.2.1')], additions: [a('x.ex.test.', '192.0.2.1')] }]), { deletions: [], additions: [] }, 'a record deleted and added back unchanged cancels out');
});

t.test('a full transfer when the difference outgrows max-ixfr-ratio, when the journal does not reach, when there is none', async (t) => {
  const big: ZoneDiff = { deletions: Array.from({ length: 25 }, (_, i) => a(`h${i}.ex.test.`, `198.51.100.${i + 1}`)), additions: Array.from({ length: 25 }, (_, i) => a(`n${i}.ex.test.`, `203.0.113.${i + 1}`)), serial: 11 };
  const { zone, journal } = history([big]);
  t.same(planIxfr(zone, journal, 10), { kind: 'full', reason: 'ratio' }, '50 records changed in a zone of 33: BIND answers with the whole zone (default 100%)');
  journal.maxIxfrRatio = undefined;
  t.equal(planIxfr(zone, journal, 10).kind, 'incremental', 'max-ixfr-ratio unlimited: incremental');
  journal.maxIxfrRatio = 10;
  const small = history([{ deletions: [], additions: [a('one.ex.test.', '192.0.2.70')], serial: 11 }]);
  t.equal(planIxfr(small.zone, small.journal, 10).kind, 'incremental', 'one record: incremental at 100%');
  small.journal.maxIxfrRatio = 1;
  t.same(planIxfr(small.zone, small.journal, 10), { kind: 'full', reason: 'ratio' }, 'max-ixfr-ratio 1%: even one record is too much');
  t.same(planIxfr(small.zone, small.journal, 7), { kind: 'full', reason: 'not-in-journal' }, 'a serial the journal does not hold');
  t.same(planIxfr(small.zone, undefined, 10), { kind: 'full', reason: 'no-journal' }, 'no journal');
  t.same(planIxfr(small.zone, small.journal, 11), { kind: 'up-to-date' }, 'the current serial: the SOA alone');
  t.same(planIxfr(small.zone, small.journal, 12), { kind: 'up-to-date' }, 'a later serial (RFC 1982): the SOA alone');
  const stale = history([{ deletions: [], additions: [a('two.ex.test.', '192.0.2.71')], serial: 12 }]);
  t.same(planIxfr(stale.zone, small.journal, 10), { kind: 'full', reason: 'no-journal' }, 'a journal that ends at another version');
});

t.test('max-journal-size drops the oldest differences (never the newest); the count bound too', async (t) => {
  const diffs: ZoneDiff[] = Array.from({ length: 6 }, (_, i) => ({ deletions: [], additions: [a(`s${i}.ex.test.`, `192.0.2.${100 + i}`)], serial: 11 + i }));
  const j = history(diffs).journal;
  t.equal(j.size, 6, "'default' (twice the zone's size) keeps them all");
  j.maxSize = 1;
  t.equal(j.limitOctets(), 4096, 'values under 4096 octets are rounded up, as BIND does');
  const tiny = new ZoneJournal();
  tiny.maxSize = 4096;
  let zone = miniZone('ex.test', BASE);
  const many = Array.from({ length: 200 }, (_, i) => a(`many${i}.ex.test.`, `192.0.2.${i % 250}`));
  for (let i = 0; i < 3; i++) {
    const d: ZoneDiff = { deletions: [], additions: many.slice(i * 60, i * 60 + 60), serial: 11 + i };
    const next = applyDiff(zone, d);
    tiny.record(zone, next, d);
    zone = next;
  }
  t.ok(tiny.totalOctets <= 4096 || tiny.size === 1, `kept ${tiny.size} differences, ${tiny.totalOctets} octets`);
  t.ok(tiny.size < 3, 'the oldest went');
  t.equal(planIxfr(zone, tiny, 10).kind, 'full', 'a serial trimmed away: full transfer');
  t.equal(planIxfr(zone, tiny, 12).kind, 'incremental', 'the newest difference stays');
  t.equal(history(diffs, 2).journal.size, 2, 'count bound');
});

t.test('the difference between two versions of a zone file (ixfr-from-differences)', async (t) => {
  const before = miniZone('ex.test', BASE);
  const after = miniZone('ex.test', BASE.replace(' 10 ', ' 11 ').replace('h3 300 A 198.51.100.4', 'h3 60 A 198.51.100.4').replace('h4 300 A 198.51.100.5\n', '') + '\nh4b 300 A 192.0.2.9\nns 300 A 192.0.2.2');
  const d = diffVersions(before, after);
  const show = (r: ResourceRecord): string => `${nameToText(r.owner)} ${r.ttl} ${Array.from(r.rdata).join('.')}`;
  t.same(d.deletions.map(show).sort(), ['h3.ex.test. 300 198.51.100.4', 'h4.ex.test. 300 198.51.100.5'].sort());
  t.same(d.additions.map(show).sort(), ['h3.ex.test. 60 198.51.100.4', 'h4b.ex.test. 300 192.0.2.9', 'ns.ex.test. 300 192.0.2.2'].sort(), 'a TTL change replaces the RRset; a record added to an RRset is one addition');
  t.equal(d.serial, 11);
  t.notOk([...d.deletions, ...d.additions].some((r) => r.type === T.SOA), 'the SOA is left to the serial');
  const applied = applyDiff(before, d);
  t.same(diffVersions(applied, after), { deletions: [], additions: [], serial: 11 }, 'applying it gives the new version');
});

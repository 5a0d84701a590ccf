// DHCP names in the zones: decisions, journal, and the zone differences that carry them.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DhcpNames, NamesJournal, namesDiff, recordsByZone, zoneFacts, type NamesSnapshot } from '../../src/dns/dhcp-names.js';
import { applyDiff } from '../../src/dns/zone-diff.js';
import type { Zone } from '../../src/dns/zone.js';
import { miniZone } from '../helpers/mini-zone.js';
import { nameKey, nameToText, parseName } from '../../src/wire/dns-name.js';
import { T } from '../../src/wire/rr-type.js';
import type { NameBinding } from '../../src/net/name-registration.js';

const zones = () => [
  miniZone('cafe.babe', `@ 300 SOA ns.cafe.babe. admin.cafe.babe. 10 3600 600 86400 300\n@ 300 NS ns\nns 300 A 192.168.117.1\ntaken 300 A 192.168.117.250`),
  miniZone('117.168.192.in-addr.arpa', `@ 300 SOA ns.cafe.babe. admin.cafe.babe. 7 3600 600 86400 300\n@ 300 NS ns.cafe.babe.\n1 300 PTR ns.cafe.babe.`),
];
const primaries = new Set(['cafe.babe.', '117.168.192.in-addr.arpa.']);
const IP = 0xc0a87564; // .100
const bind = (over: Partial<NameBinding> = {}): { kind: 'bind'; binding: NameBinding } => ({
  kind: 'bind',
  binding: { fqdn: 'pc.cafe.babe.', ip: IP, ttl: 300, expires: 1000, owner: 'A', forward: true, reverse: true, revDomain: 'in-addr.arpa.', ...over },
});

t.test('bind adds A and PTR in the enclosing primary zones and bumps serials', async (t) => {
  const n = new DhcpNames(zoneFacts(zones(), primaries));
  const r = n.apply(bind(), 100);
  t.same(r.log, ['added pc.cafe.babe. A 192.168.117.100 to zone cafe.babe.', 'added 100.117.168.192.in-addr.arpa. PTR pc.cafe.babe. to zone 117.168.192.in-addr.arpa.']);
  t.same(n.snapshot().serials, { 'cafe.babe.': 11, '117.168.192.in-addr.arpa.': 8 });
  // A renewal moves only the expiry.
  const again = n.apply(bind({ expires: 2000 }), 200);
  t.same(again.changes.map((c) => c.op), ['touch', 'touch']);
  t.same(n.snapshot().serials, { 'cafe.babe.': 11, '117.168.192.in-addr.arpa.': 8 }, 'no serial change for a renewal');
});

t.test('conflicts: zone-file names, other clients, no zone', async (t) => {
  const n = new DhcpNames(zoneFacts(zones(), primaries));
  t.match(n.apply(bind({ fqdn: 'taken.cafe.babe.' }), 100).log[0], /not adding taken\.cafe\.babe\. A: the name is defined in zone cafe\.babe\.'s file/);
  t.match(n.apply(bind({ fqdn: 'ns.cafe.babe.', ip: 0xc0a87501 }), 100).log.join('\n'), /PTR: the name is defined/);
  n.apply(bind(), 100);
  const other = n.apply(bind({ owner: 'B', ip: IP + 1 }), 100);
  t.match(other.log.join('\n'), /not adding pc\.cafe\.babe\. A: held by another client/);
  const later = n.apply(bind({ owner: 'B', ip: IP + 1 }), 1000);
  t.match(later.log.join('\n'), /added pc\.cafe\.babe\. A 192\.168\.117\.101/, 'after the first lease ended another client may take the name');
  t.match(n.apply(bind({ fqdn: 'pc.elsewhere.' }), 100).log[0], /no primary zone/);
});

t.test('a client that changes its name loses the old one; unbind and expiry remove', async (t) => {
  const n = new DhcpNames(zoneFacts(zones(), primaries));
  n.apply(bind(), 100);
  n.apply(bind({ fqdn: 'pc2.cafe.babe.' }), 100);
  t.same(n.snapshot().records.map((r) => `${r.name} ${r.type} ${r.data}`).sort(), ['100.117.168.192.in-addr.arpa. PTR pc2.cafe.babe.', 'pc2.cafe.babe. A 192.168.117.100']);
  t.equal(n.apply({ kind: 'unbind', ip: IP, owner: 'other' }, 100).changes.length, 0, 'only the owner releases');
  t.equal(n.apply({ kind: 'unbind', ip: IP, owner: 'A' }, 100).log.length, 2);
  t.same(n.snapshot().records, []);
  n.apply(bind(), 100);
  t.equal(n.expire(999).changes.length, 0);
  t.equal(n.expire(1000).log.length, 2, 'expired at lease end');
});

t.test('journal: append, replay, compact, torn line skipped', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-names-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const j = new NamesJournal(path.join(dir, 'dhcp-names.jnl'));
  const a = new DhcpNames(zoneFacts(zones(), primaries));
  j.append(a.apply(bind(), 100).changes);
  j.append(a.apply(bind({ fqdn: 'pc2.cafe.babe.', owner: 'B', ip: IP + 1 }), 100).changes);
  j.append(a.apply({ kind: 'unbind', ip: IP + 1, owner: 'B' }, 100).changes);
  appendFileSync(j.file, '{"op":"add","rec');
  const b = new DhcpNames(zoneFacts(zones(), primaries));
  t.same(j.load(b), { entries: 12, bad: 1 });
  t.same(b.snapshot(), a.snapshot(), 'replayed state equals the live state');
  j.compact(b);
  t.equal(readFileSync(j.file, 'utf8').trim().split('\n').length, 4, 'compacted: 2 records + 2 serials');
  const c = new DhcpNames([]);
  j.load(c);
  t.same(c.snapshot(), a.snapshot());
});

/** Each zone's next version carrying the snapshot's names (as DnsHost makes it), and what it carries. */
function withNames(zs: Zone[], snap: NamesSnapshot, applied = new Map<Zone, Map<string, import('../../src/wire/rr-type.js').ResourceRecord>>()): Zone[] {
  const byZone = recordsByZone(snap);
  return zs.map((z) => {
    const origin = nameToText(z.origin).toLowerCase();
    const r = namesDiff(z, applied.get(z) ?? new Map(), byZone.get(origin) ?? [], snap.serials[origin]);
    if (!r) return z;
    const next = applyDiff(z, r.diff);
    applied.set(next, r.applied);
    return next;
  });
}

t.test('names go into a new zone version with the SOA serial, and leave the old one as it was', async (t) => {
  const zs = zones();
  const n = new DhcpNames(zoneFacts(zs, primaries));
  n.apply(bind(), 100);
  const applied = new Map<Zone, Map<string, import('../../src/wire/rr-type.js').ResourceRecord>>();
  const next = withNames(zs, n.snapshot(), applied);
  const fwd = next[0];
  const node = fwd.nodes.get(nameKey(parseName('pc.cafe.babe.')));
  t.same(node && [...node.rrsets.get(T.A)!.rdatas[0]], [192, 168, 117, 100]);
  t.equal(fwd.serial, 11);
  const soa = fwd.nodes.get(nameKey(fwd.origin))!.rrsets.get(T.SOA)!.rdatas[0];
  t.equal(Buffer.from(soa).readUInt32BE(soa.length - 20), 11, 'SOA rdata serial');
  t.equal(Buffer.from(fwd.negativeSoa!.rdatas[0]).readUInt32BE(soa.length - 20), 11, 'negative answers carry the new serial');
  t.ok(next[1].nodes.get(nameKey(parseName('100.117.168.192.in-addr.arpa.')))?.rrsets.has(T.PTR));
  const old = zs[0];
  t.notOk(old.nodes.has(nameKey(parseName('pc.cafe.babe.'))), 'the earlier version has no node');
  t.equal(old.serial, 10);
  t.equal(Buffer.from(old.nodes.get(nameKey(old.origin))!.rrsets.get(T.SOA)!.rdatas[0]).readUInt32BE(soa.length - 20), 10);
  // The lease ends: the next difference deletes the names again.
  n.expire(1000);
  const after = withNames(next, n.snapshot(), applied);
  t.notOk(after[0].nodes.has(nameKey(parseName('pc.cafe.babe.'))), 'node removed');
  t.equal(after[0].serial, 12);
  t.equal(after[1].nodes.has(nameKey(parseName('100.117.168.192.in-addr.arpa.'))), false, 'PTR node removed');
  t.ok(fwd.nodes.has(nameKey(parseName('pc.cafe.babe.'))), 'the version before keeps its names');
});

t.test('a name the zone has from its file is left alone (the file wins)', async (t) => {
  const zs = zones();
  const snap: NamesSnapshot = { records: [{ name: 'taken.cafe.babe.', type: 'A', data: '192.168.117.9', ttl: 300, expires: null, owner: 'X', zone: 'cafe.babe.' }], serials: {} };
  t.equal(namesDiff(zs[0], new Map(), recordsByZone(snap).get('cafe.babe.')!, undefined), undefined, 'no difference');
});

t.test('zone facts cross the worker boundary as JSON and come back the same', async (t) => {
  const { factsToWire, factsFromWire } = await import('../../src/dns/dhcp-names.js');
  const facts = zoneFacts(zones(), primaries);
  const back = factsFromWire(JSON.parse(JSON.stringify(factsToWire(facts))) as ReturnType<typeof factsToWire>);
  t.same(back.map((f) => ({ ...f, owned: [...f.owned].sort() })), facts.map((f) => ({ ...f, owned: [...f.owned].sort() })));
  t.ok(back[0].owned.has('taken.cafe.babe.'), 'owned names are a set again');
});

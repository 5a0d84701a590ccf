// Catalog members in a serving view (catalog-view.ts) and the owner's member set
// (catalog-owner.ts) without sockets: members join the view that holds their catalog,
// a newer member set replaces the older one (a member that left is no longer
// served), a configured zone is never taken over, and NOTIFY is accepted only from
// the member's primaries.
import t from 'tap';
import { withMembers } from '../../src/dns/catalog-view.js';
import { withSecondaries, zoneOrigin } from '../../src/dns/secondary-view.js';
import type { SecondaryEntry, ServingView } from '../../src/dns/pipeline.js';
import { buildZone, type Zone } from '../../src/dns/zone.js';
import { nameKey } from '../../src/wire/dns-name.js';
import { CLASS_IN } from '../../src/wire/rr-type.js';

function view(secondaries: string[]): ServingView {
  const m = new Map<string, SecondaryEntry>();
  for (const n of secondaries) m.set(nameKey(zoneOrigin(n)), { name: n, origin: zoneOrigin(n), notifyAcl: () => false });
  return { zones: [], notLoaded: [], allowQuery: () => true, zoneAllowQuery: new Map(), recursion: false, udpSize: 1232, secondaries: m };
}

const zone = (name: string): Zone => buildZone(zoneOrigin(name), CLASS_IN, [], 1);
const keys = (v: ServingView): string[] => [...(v.secondaries?.values() ?? [])].map((e) => e.name).sort();

t.test('members join the view of their catalog', async (t) => {
  const v = withMembers(view(['catalog.example']), [
    { name: 'one.test', catalog: 'catalog.example', primaries: ['192.0.2.1'] },
    { name: 'other.test', catalog: 'elsewhere.example', primaries: ['192.0.2.1'] },
  ]);
  t.same(keys(v), ['catalog.example', 'one.test'], 'a member of a catalog this view does not hold is not added');
  const e = v.secondaries?.get(nameKey(zoneOrigin('one.test')));
  t.equal(e?.notifyAcl('192.0.2.1'), true, 'NOTIFY from the primary is accepted');
  t.equal(e?.notifyAcl('192.0.2.9'), false, 'from anyone else it is not');
});

t.test('a newer member set replaces the older one', async (t) => {
  const base = view(['catalog.example']);
  const first = withSecondaries(withMembers(base, [
    { name: 'one.test', catalog: 'catalog.example', primaries: ['192.0.2.1'] },
    { name: 'two.test', catalog: 'catalog.example', primaries: ['192.0.2.1'] },
  ]), new Map([[nameKey(zoneOrigin('one.test')), zone('one.test')], [nameKey(zoneOrigin('two.test')), zone('two.test')]]));
  t.same(first.zones.map((z) => z.originKey).sort(), [nameKey(zoneOrigin('one.test')), nameKey(zoneOrigin('two.test'))].sort());
  // The next pass starts from the view already carrying the members (as the host keeps it).
  const second = withSecondaries(withMembers(first, [{ name: 'two.test', catalog: 'catalog.example', primaries: ['192.0.2.1'] }]), new Map([[nameKey(zoneOrigin('two.test')), zone('two.test')]]));
  t.same(keys(second), ['catalog.example', 'two.test'], 'the member that left is gone');
  t.same(second.zones.map((z) => z.originKey), [nameKey(zoneOrigin('two.test'))], 'and its data is no longer served');
  const none = withMembers(second, []);
  t.same(keys(none), ['catalog.example']);
  t.same(none.zones, []);
});

t.test('a zone of the configuration wins over a member of the same name', async (t) => {
  const base = view(['catalog.example', 'one.test']);
  const original = base.secondaries?.get(nameKey(zoneOrigin('one.test')));
  const v = withMembers(base, [{ name: 'ONE.test', catalog: 'catalog.example', primaries: ['192.0.2.1'] }]);
  t.equal(v.secondaries?.get(nameKey(zoneOrigin('one.test'))), original);
});

// Member zones of catalog zones in a process's ServingView: each becomes a secondary
// zone of the view that holds its catalog (SERVFAIL until its first copy arrives,
// then served like any secondary). A member that leaves is no longer served.

import { formatAddress, parseAddress } from '../net/ip.js';
import { nameKey } from '../wire/dns-name.js';
import type { MemberZone } from './catalog-owner.js';
import type { SecondaryEntry, ServingView } from './pipeline.js';
import { zoneOrigin } from './secondary-view.js';

/** Entries made here, so the next member set replaces them (the view passed in may carry the previous ones). */
const made = new WeakSet<SecondaryEntry>();

const canonical = (a: string): string => {
  const p = parseAddress(a);
  return p ? formatAddress(p) : a;
};

/** The view with the catalog members as secondary entries, replacing those of an earlier set. */
export function withMembers(view: ServingView, members: readonly MemberZone[]): ServingView {
  const all = view.secondaries;
  if (!all) return view;
  const base = new Map([...all].filter(([, e]) => !made.has(e)));
  const stale = new Set([...all].filter(([, e]) => made.has(e)).map(([k]) => k));
  if (stale.size === 0 && members.length === 0) return view;
  const secondaries = new Map(base);
  for (const m of members) {
    const origin = zoneOrigin(m.name);
    const k = nameKey(origin);
    // Served in the view of its catalog; a zone of the view's own configuration wins.
    if (!base.has(nameKey(zoneOrigin(m.catalog))) || base.has(k) || secondaries.has(k)) continue;
    const from = new Set(m.primaries.map(canonical));
    const e: SecondaryEntry = { name: m.name, origin, notifyAcl: (addr) => from.has(canonical(addr)) };
    made.add(e);
    secondaries.set(k, e);
    stale.delete(k);
  }
  // Versions of members that left, placed by an earlier pass.
  const zones = view.zones.filter((z) => !stale.has(z.originKey));
  const notLoaded = (view.notLoaded ?? []).filter((o) => !stale.has(nameKey(o)));
  return { ...view, zones, notLoaded, secondaries };
}

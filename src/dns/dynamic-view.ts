// Dynamic zones in a process's ServingView: the version the deciding process sent
// replaces the one read from the zone file (named does not reload a dynamic zone
// from its file), and the view learns which zones take updates.

import type { ServingView } from './pipeline.js';
import type { Zone } from './zone.js';
import { nameKey } from '../wire/dns-name.js';

export function withDynamic(view: ServingView, dynamic: ReadonlyMap<string, Zone>): ServingView {
  if (dynamic.size === 0) return view;
  const have = new Set<string>();
  const zones = view.zones.map((z) => {
    const d = dynamic.get(z.originKey);
    if (!d) return z;
    have.add(z.originKey);
    return d;
  });
  // A zone that failed to load from its file is still served from the held version.
  const notLoaded = (view.notLoaded ?? []).filter((o) => {
    const d = dynamic.get(nameKey(o));
    if (!d) return true;
    zones.push(d);
    have.add(nameKey(o));
    return false;
  });
  return { ...view, zones, notLoaded, dynamicZones: have };
}

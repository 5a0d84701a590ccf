// Secondary zones in a process's ServingView: each configured secondary starts as a
// placeholder answered SERVFAIL (no copy yet, as named answers a secondary that has
// not transferred) and is replaced by the version the main process sends.

import type { ZoneConfig } from '../config/named-conf.js';
import { compileAddressMatch, type AddressMatchList, type MatchEnvironment } from '../net/address-match.js';
import { nameKey, parseName } from '../wire/dns-name.js';
import type { SecondaryEntry, ServingView } from './pipeline.js';
import type { Zone } from './zone.js';

/** The zone's origin (wire form) for a configured name. */
export function zoneOrigin(name: string): Uint8Array {
  return parseName(name === '.' || name.endsWith('.') ? name : `${name}.`);
}

/** Who may NOTIFY a secondary zone: its primaries' addresses, then allow-notify (zone's, else options'). */
export function secondaryEntry(zc: ZoneConfig, env: MatchEnvironment, optionsAllowNotify?: AddressMatchList): SecondaryEntry {
  const extra = zc.secondary?.allowNotify ?? optionsAllowNotify;
  const primaries = new Set(zc.primaries.map((p) => p.address));
  const allow = extra ? compileAddressMatch(extra, env) : undefined;
  return { name: zc.name, origin: zoneOrigin(zc.name), notifyAcl: (addr) => primaries.has(addr) || (allow ? allow(addr) : false) };
}

/** The view with the held secondary versions in place of their placeholders. */
export function withSecondaries(view: ServingView, held: ReadonlyMap<string, Zone>): ServingView {
  if (!view.secondaries || view.secondaries.size === 0) return view;
  const zones = view.zones.filter((z) => !view.secondaries?.has(z.originKey));
  const notLoaded = (view.notLoaded ?? []).filter((o) => !view.secondaries?.has(nameKey(o)));
  for (const [key, e] of view.secondaries) {
    const z = held.get(key);
    if (z) zones.push(z);
    else notLoaded.push(e.origin);
  }
  return { ...view, zones, notLoaded };
}

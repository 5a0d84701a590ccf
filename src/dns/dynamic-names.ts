// DHCP names in a zone that also takes dynamic updates: the names ride on top of the
// version the updates make (dhcp-names.ts applies them as it does to a zone file's
// version), so an update never drops them. The served serial must still rise at every
// change (RFC 1982, RFC 2136 §3.7), although the updates and the names count serials apart.

import type { Zone } from './zone.js';
import { applyDiff, type ZoneDiff } from './zone-diff.js';

/** An update's new version, its serial moved past the version served now (which carries DHCP names) when it is not already. */
export function stepPast(zone: Zone, served: Zone | undefined): Zone {
  if (!served || ((zone.serial - served.serial) | 0) > 0) return zone;
  return applyDiff(zone, { deletions: [], additions: [], serial: (served.serial + 1) >>> 0 });
}

/** The names' difference for a dynamic zone: a change raises the serial even when the names' own count is behind the zone's. */
export function namesOnDynamic(zone: Zone, diff: ZoneDiff): ZoneDiff {
  if (diff.serial !== undefined || (diff.additions.length === 0 && diff.deletions.length === 0)) return diff;
  return { ...diff, serial: (zone.serial + 1) >>> 0 };
}

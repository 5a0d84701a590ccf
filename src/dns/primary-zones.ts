// The primary zones' side of serving secondaries, per serving process: each zone's
// journal settings (max-journal-size, max-ixfr-ratio), the difference a reload makes
// (ixfr-from-differences), and the NOTIFY announcement the main process sends.
// Every DNS worker computes the same differences from the same files and DHCP names,
// so any worker can answer an IXFR; a worker that missed a step answers with a full
// transfer instead (the journal does not reach the client's serial).

import type { Logger } from '../log.js';
import type { NamedConfig, ZoneConfig } from '../config/named-conf.js';
import { effectivePrimary } from '../config/named-conf-notify.js';
import { nameKey, parseName } from '../wire/dns-name.js';
import type { Zone } from './zone.js';
import { ZoneJournal } from './zone-journal.js';
import { diffVersions } from './ixfr-out.js';
import { notifyInfo, type NotifyZoneInfo } from './notify-out.js';

/** The primary zones of a configuration, by nameKey of their origin. */
export function primaryZoneConfigs(conf: NamedConfig): Map<string, ZoneConfig> {
  const out = new Map<string, ZoneConfig>();
  for (const z of conf.zones) {
    if (z.type !== 'primary') continue;
    try {
      out.set(nameKey(parseName(z.name === '.' || z.name.endsWith('.') ? z.name : `${z.name}.`)), z);
    } catch {
      // A zone name that is no DNS name never loaded: nothing to journal.
    }
  }
  return out;
}

/** The journal of a zone, made on first need. */
export function journalFor(journals: Map<string, ZoneJournal>, key: string): ZoneJournal {
  let j = journals.get(key);
  if (!j) journals.set(key, (j = new ZoneJournal()));
  return j;
}

/** Applies each primary zone's max-journal-size and max-ixfr-ratio to its journal. */
export function configureJournals(journals: Map<string, ZoneJournal>, conf: NamedConfig): void {
  const primaries = primaryZoneConfigs(conf);
  // A zone no longer served (or no longer a primary) forgets its differences.
  for (const key of [...journals.keys()]) if (!primaries.has(key)) journals.delete(key);
  for (const [key, zc] of primaries) {
    const s = effectivePrimary(conf.options.primary, zc.primary);
    const j = journalFor(journals, key);
    j.maxSize = s.maxJournalSize;
    j.maxIxfrRatio = s.maxIxfrRatio === 'unlimited' ? undefined : s.maxIxfrRatio;
  }
}

/**
 * A reload replaced `before` (the versions served until now) by `after`: each primary
 * zone whose serial went forward gets the difference recorded in its journal (BIND's
 * ixfr-from-differences); one whose content changed without a higher serial starts a
 * new history (secondaries then need a full transfer), with BIND's warning.
 */
export function recordReload(journals: Map<string, ZoneJournal>, before: ReadonlyMap<string, Zone>, after: readonly Zone[], conf: NamedConfig, log: Logger): void {
  const primaries = primaryZoneConfigs(conf);
  for (const z of after) {
    const zc = primaries.get(z.originKey);
    if (!zc) continue;
    const old = before.get(z.originKey);
    if (!old || old === z) continue;
    const j = journalFor(journals, z.originKey);
    const forward = ((z.serial - old.serial) | 0) > 0;
    if (forward && effectivePrimary(conf.options.primary, zc.primary).ixfrFromDifferences && old.apex?.rrsets.size) {
      j.record(old, z, diffVersions(old, z));
      continue;
    }
    if (!forward) {
      const d = diffVersions(old, z);
      if (d.deletions.length === 0 && d.additions.length === 0) {
        // Nothing changed: the history still leads to this version.
        j.follow(z);
        continue;
      }
      log.warn({ zone: zc.name, serial: z.serial }, `zone ${zc.name}/IN: zone serial (${z.serial}) unchanged. zone may fail to transfer to secondaries.`);
    }
    j.clear(z);
  }
}

/** The NOTIFY announcement of every primary zone served (in-zone NS addresses, also-notify; never `ownListen`). */
export function notifyInfos(zones: readonly Zone[], conf: NamedConfig, ownListen: ReadonlySet<string>): NotifyZoneInfo[] {
  const primaries = primaryZoneConfigs(conf);
  const out: NotifyZoneInfo[] = [];
  for (const z of zones) {
    const zc = primaries.get(z.originKey);
    if (!zc || !z.apex?.rrsets.size) continue;
    out.push(notifyInfo(z, conf.options.primary, zc.primary, ownListen));
  }
  return out;
}

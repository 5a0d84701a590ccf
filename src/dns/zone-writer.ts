// A secondary zone's copy on disk: written in the text format of
// `named-compilezone -s full` (one full record per line), so both Triad and
// named-checkzone load it back (written atomically by fs/atomic-file.ts).

import { compileZoneText } from './compile.js';
import type { Zone } from './zone.js';
import { nameToText } from '../wire/dns-name.js';
import type { ResourceRecord } from '../wire/rr-type.js';

/** Every record of a zone version. */
export function zoneRecords(zone: Zone): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  for (const node of zone.nodes.values()) {
    for (const set of node.rrsets.values()) {
      for (const rdata of set.rdatas) out.push({ owner: set.owner, type: set.type, class: set.class, ttl: set.ttl, rdata });
    }
  }
  return out;
}

/** The file's text: a comment line, then the records, the SOA first. */
export function zoneFileText(zone: Zone, from?: string): string {
  const head = `; zone ${nameToText(zone.origin)} serial ${zone.serial}${from ? ` transferred from ${from}` : ''}\n`;
  return head + compileZoneText(zoneRecords(zone)).join('\n') + '\n';
}


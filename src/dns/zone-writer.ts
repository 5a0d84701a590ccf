// A secondary zone's copy on disk: written in the text format of
// `named-compilezone -s full` (one full record per line), so both Triad and
// named-checkzone load it back, and atomically: a temporary file in the same
// folder, flushed to disk, then renamed over the old one, so a crash leaves the
// old copy or the new one, never half of one.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
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

/** Writes `text` to `file` atomically (temp + fsync + rename + fsync of the folder). */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const dir = path.dirname(file);
  await fsp.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  // Only for Triad's user and group (README: Running with least privilege).
  const fh = await fsp.open(tmp, 'w', 0o640);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  try {
    const d = await fsp.open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // Some file systems cannot fsync a folder; the rename itself is still atomic.
  }
}

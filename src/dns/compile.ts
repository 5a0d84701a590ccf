// The text `named-compilezone -s full -o -` prints: one record a line with
// absolute owner, TTL, class, type and RDATA in BIND's presentation form, and
// BIND's `; resign=` comment after each RRSIG RRset.

import { compareNames, nameKey, nameToText } from '../wire/dns-name.js';
import { classToText, typeToText, T, type ResourceRecord } from '../wire/rr-type.js';
import { rdataToText } from '../wire/rdata.js';
import { bytesEqual } from './zone.js';

/** A loaded record that cannot be printed: a Triad bug (the loader should have refused it). */
export class CompileError extends Error {
  constructor(readonly owner: Uint8Array, readonly type: number, readonly record: string, cause: unknown) {
    super(`cannot print ${record}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'CompileError';
  }
}

interface OutSet {
  owner: Uint8Array;
  type: number;
  covered: number;
  cls: number;
  ttl: number;
  rdatas: Uint8Array[];
}

/** Lines of the full text form of a loaded zone, in DNSSEC name order (SOA first at the apex). */
export function compileZoneText(records: ResourceRecord[]): string[] {
  // BIND 9.18 keeps the owner's case per RRset, as first written for that RRset.
  const sets = new Map<string, OutSet>();
  for (const r of records) {
    const covered = r.type === T.RRSIG || r.type === T.SIG ? (r.rdata[0] << 8) | r.rdata[1] : 0;
    const key = `${nameKey(r.owner)}/${r.type}/${covered}`;
    let s = sets.get(key);
    if (!s) {
      s = { owner: r.owner, type: r.type, covered, cls: r.class, ttl: r.ttl, rdatas: [] };
      sets.set(key, s);
    }
    if (!s.rdatas.some((d) => bytesEqual(d, r.rdata))) s.rdatas.push(r.rdata);
  }
  const list = [...sets.values()];
  list.sort((a, b) => compareNames(a.owner, b.owner) || rank(a) - rank(b) || a.covered - b.covered);
  const lines: string[] = [];
  for (const s of list) {
    const owner = nameToText(s.owner);
    const head = `${owner} ${s.ttl} ${classToText(s.cls)} ${typeToText(s.type)}`;
    let minExpire: number | undefined;
    for (const rd of s.rdatas) {
      let text: string;
      try {
        text = rdataToText(s.type, rd);
      } catch (e) {
        throw new CompileError(s.owner, s.type, `${owner} ${typeToText(s.type)}`, e);
      }
      lines.push(`${head} ${text}`);
      if (s.type === T.RRSIG) {
        const exp = ((rd[8] << 24) >>> 0) + (rd[9] << 16) + (rd[10] << 8) + rd[11];
        if (minExpire === undefined || exp < minExpire) minExpire = exp;
      }
    }
    // BIND prints the resign time as seconds since 1970 (no era chosen, unlike the RRSIG fields).
    if (minExpire !== undefined) lines.push(`; resign=${epochText(minExpire)}`);
  }
  return lines;
}

function rank(s: OutSet): number {
  if (s.type === T.SOA) return -2;
  if (s.type === T.NS) return -1;
  return s.type === T.RRSIG ? s.covered + 0.5 : s.type;
}

function epochText(v: number): string {
  const d = new Date(v * 1000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

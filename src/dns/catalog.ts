// Catalog zones (RFC 9432; BIND 9.18 also reads its earlier version "1"): the member
// zones a catalog zone's records name, with the primaries the catalog gives them.
// Pure: a version of the catalog zone in, the desired member set out. The owner
// (catalog-owner.ts) turns the set into secondary zones.

import { createHash } from 'node:crypto';
import { labelsOf, nameKey, nameToText } from '../wire/dns-name.js';
import { T } from '../wire/rr-type.js';
import type { Zone, ZoneNode } from './zone.js';

export interface CatalogPrimary {
  address: string;
  port: number;
  key?: string;
}

export interface CatalogMember {
  /** The member zone, presentation form without the trailing dot. */
  name: string;
  /** Its unique label under `zones` (RFC 9432 §4.1). */
  id: string;
  /** Primaries the catalog gives this member (its own, else the catalog-wide ones); none: the configured defaults. */
  primaries?: CatalogPrimary[];
}

export interface CatalogContents {
  /** False when the catalog cannot be used (no or unsupported version): the members known before stay. */
  ok: boolean;
  version?: string;
  members: CatalogMember[];
  /** What was ignored and why, for the log. */
  problems: string[];
}

/** Schema versions Triad understands: RFC 9432's "2" and BIND's earlier "1". */
const VERSIONS = new Set(['1', '2']);

/** The member zones of one version of a catalog zone. */
export function catalogMembers(zone: Zone): CatalogContents {
  const problems: string[] = [];
  const originLabels = labelsOf(zone.origin).length;
  const rel = (n: ZoneNode): string[] => labelsOf(n.name).slice(0, -originLabels || undefined).map((l) => Buffer.from(l).toString('latin1'));
  const byRel = new Map<string, ZoneNode>();
  for (const n of zone.nodes.values()) {
    if (labelsOf(n.name).length < originLabels) continue;
    byRel.set(rel(n).map((l) => l.toLowerCase()).join('.'), n);
  }

  // §4.2.1: exactly one TXT record with the version as its only string.
  const vset = byRel.get('version')?.rrsets.get(T.TXT);
  if (!vset || vset.rdatas.length !== 1) {
    return { ok: false, members: [], problems: [vset ? 'more than one version record' : 'no version record (version TXT "2")'] };
  }
  const strings = txtStrings(vset.rdatas[0]);
  const version = strings.length === 1 ? strings[0] : undefined;
  if (version === undefined || !VERSIONS.has(version)) {
    return { ok: false, version, members: [], problems: [`unsupported catalog version ${JSON.stringify(strings.join(' '))}`] };
  }

  // Properties live under `ext` in version 2 (RFC 9432 §4.4); BIND's version 1 put them beside the member.
  const prefixes = (base: string): string[] => (version === '2' ? [`primaries.ext${base}`, `masters.ext${base}`] : [`masters${base}`, `primaries${base}`]);
  const globalPrimaries = primariesFor(byRel, prefixes(''));

  const chosen = new Map<string, CatalogMember>();
  for (const [key, node] of byRel) {
    const labels = key.split('.');
    if (labels.length !== 2 || labels[1] !== 'zones') continue;
    const ptr = node.rrsets.get(T.PTR);
    if (!ptr) continue;
    const id = rel(node)[0];
    // §4.1: the PTR is alone in its RRset; more than one makes the whole catalog broken, not processed.
    if (ptr.rdatas.length !== 1) {
      return { ok: false, version, members: [], problems: [`member ${id}: ${ptr.rdatas.length} PTR records under one unique label (a broken catalog)`] };
    }
    const target = ptr.rdatas[0];
    if (!validName(target)) {
      problems.push(`member ${id}: not a valid zone name; ignored`);
      continue;
    }
    if (target.length === 1 || nameKey(target) === nameKey(zone.origin)) {
      problems.push(`member ${id}: ${nameToText(target)} cannot be a member of this catalog; ignored`);
      continue;
    }
    const name = nameToText(target).replace(/\.$/, '');
    const m: CatalogMember = { name, id };
    const own = primariesFor(byRel, prefixes(`.${labels[0]}.zones`));
    const primaries = own.length > 0 ? own : globalPrimaries;
    if (primaries.length > 0) m.primaries = primaries;
    const mk = nameKey(target);
    const prev = chosen.get(mk);
    // The same zone under two unique labels: one of them is kept, the same one whatever the record order.
    if (prev) {
      const keep = prev.id.toLowerCase() < id.toLowerCase() ? prev : m;
      problems.push(`member ${name}: listed under two unique labels (${prev.id}, ${id}); using ${keep.id}`);
      chosen.set(mk, keep);
      continue;
    }
    chosen.set(mk, m);
  }
  const members = [...chosen.values()].sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
  return { ok: true, version, members, problems };
}

/** A/AAAA at the property name, and at labelled names under it (with a TXT naming the TSIG key). */
function primariesFor(byRel: Map<string, ZoneNode>, prefixes: string[]): CatalogPrimary[] {
  const out: CatalogPrimary[] = [];
  for (const prefix of prefixes) {
    for (const [key, node] of byRel) {
      if (key !== prefix && !(key.endsWith(`.${prefix}`) && key.split('.').length === prefix.split('.').length + 1)) continue;
      const keyName = key === prefix ? undefined : node.rrsets.get(T.TXT)?.rdatas.map(txtStrings)[0]?.[0];
      for (const rd of node.rrsets.get(T.A)?.rdatas ?? []) if (rd.length === 4) out.push(withKey({ address: [...rd].join('.'), port: 53 }, keyName));
      for (const rd of node.rrsets.get(T.AAAA)?.rdatas ?? []) if (rd.length === 16) out.push(withKey({ address: ipv6(rd), port: 53 }, keyName));
    }
  }
  return out;
}

function withKey(p: CatalogPrimary, key: string | undefined): CatalogPrimary {
  if (key) p.key = key.replace(/\.$/, '');
  return p;
}

function ipv6(rd: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((rd[i] << 8) | rd[i + 1]).toString(16));
  // Shortest form of the longest zero run, as people write it.
  const s = parts.join(':');
  const runs = [...s.matchAll(/(^|:)0(:0)+(:|$)/g)].sort((a, b) => b[0].length - a[0].length);
  return runs.length === 0 ? s : s.replace(runs[0][0], '::');
}

function txtStrings(rd: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < rd.length; ) {
    const n = rd[i];
    out.push(Buffer.from(rd.subarray(i + 1, i + 1 + n)).toString('latin1'));
    i += n + 1;
  }
  return out;
}

/** A well-formed uncompressed wire name (the PTR's RDATA as transferred). */
function validName(wire: Uint8Array): boolean {
  let i = 0;
  while (i < wire.length && wire[i] !== 0) {
    const n = wire[i];
    if (n > 63 || i + n + 1 > wire.length) return false;
    i += n + 1;
  }
  return i === wire.length - 1 && i < 255;
}

/**
 * The file BIND 9.18 gives a member zone: `__catz__` and "VIEW_CATALOG_MEMBER", or the
 * SHA-256 of that text in hex when it is long or holds a character a file name cannot.
 */
export function catalogMemberFile(view: string, catalog: string, member: string): string {
  const text = `${view}_${catalog.replace(/\.$/, '')}_${member.replace(/\.$/, '')}`;
  const body = /[\\/:]/.test(text) || text.length > 65 ? createHash('sha256').update(text).digest('hex') : text;
  return `__catz__${body}.db`;
}

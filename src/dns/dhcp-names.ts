// DHCP names in Triad's own primary zones (dnsmasq-like; ISC ddns-update-style interim):
// A and PTR records for leased host names. Three parts:
//  - DhcpNames: the decisions, kept by the one process that owns the journal (the DNS
//    primary): which zone takes a name, conflicts (a name the zone file has is never
//    replaced; a name another client holds is kept until its lease ends, RFC 4703's rule
//    kept simple), expiry, SOA serial bumps. Pure apart from the clock the caller passes.
//  - the journal (JSON lines in the data dir) that makes them survive a restart.
//  - namesDiff: the difference (zone-diff.ts) that takes a zone version to the one carrying
//    a snapshot's names (every serving process); zones are never edited in place.

import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { NameEvent } from '../net/name-registration.js';
import { nameKey, nameToText, parseName } from '../wire/dns-name.js';
import { T, type ResourceRecord } from '../wire/rr-type.js';
import { formatIPv4, ipNumber, ipv4Bytes, ipv4FromBytes, ipv4ReverseName } from '../wire/ipv4.js';
import { bytesEqual, type Zone } from './zone.js';
import type { ZoneDiff } from './zone-diff.js';

export interface DynRecord {
  /** Owner name, absolute, lower case. */
  name: string;
  type: 'A' | 'PTR';
  /** Dotted IPv4 for A, absolute target name for PTR. */
  data: string;
  ttl: number;
  /** Seconds since the epoch; null = never (JSON has no Infinity). */
  expires: number | null;
  owner: string;
  /** The zone (origin text) holding it. */
  zone: string;
}

export interface NamesSnapshot {
  records: DynRecord[];
  /** Zone origin → SOA serial to serve (at least). */
  serials: Record<string, number>;
}

/** What the zone files say, taken before any dynamic name is added. */
export interface ZoneFacts {
  name: string;
  serial: number;
  /** Names that own data in the file. */
  owned: Set<string>;
}

const lower = (s: string): string => s.toLowerCase();

/** Facts of the primary zones among `zones` (origins named in `primaries`, lower case with dot). */
export function zoneFacts(zones: readonly Zone[], primaries: ReadonlySet<string>): ZoneFacts[] {
  const out: ZoneFacts[] = [];
  for (const z of zones) {
    const name = lower(nameToText(z.origin));
    if (!primaries.has(name)) continue;
    const owned = new Set<string>();
    for (const n of z.nodes.values()) if (n.rrsets.size > 0) owned.add(lower(nameToText(n.name)));
    out.push({ name, serial: z.serial, owned });
  }
  return out;
}

const key = (name: string, type: string): string => `${type} ${name}`;

export class DhcpNames {
  private records = new Map<string, DynRecord>();
  private serials = new Map<string, number>();
  private facts: ZoneFacts[];

  constructor(facts: ZoneFacts[]) {
    this.facts = facts;
  }

  setFacts(facts: ZoneFacts[]): void {
    this.facts = facts;
  }

  snapshot(): NamesSnapshot {
    return { records: [...this.records.values()], serials: Object.fromEntries(this.serials) };
  }

  /** The deepest primary zone holding `name`. */
  private zoneFor(name: string): ZoneFacts | undefined {
    let best: ZoneFacts | undefined;
    for (const f of this.facts) {
      if ((name === f.name || name.endsWith(`.${f.name}`) || f.name === '.') && (!best || f.name.length > best.name.length)) best = f;
    }
    return best;
  }

  private bump(zone: string): void {
    const f = this.facts.find((x) => x.name === zone);
    const cur = this.serials.get(zone) ?? 0;
    // RFC 1982: the next serial is above both the file's and the last one served.
    const base = f && ((f.serial - cur) | 0) > 0 ? f.serial : cur;
    this.serials.set(zone, (base + 1) >>> 0);
  }

  private remove(k: string, changes: Change[]): void {
    const r = this.records.get(k);
    if (!r) return;
    this.records.delete(k);
    changes.push({ op: 'del', record: r });
  }

  private add(r: DynRecord, changes: Change[]): void {
    this.records.set(key(r.name, r.type), r);
    changes.push({ op: 'add', record: r });
  }

  /** Applies one DHCP event; returns the changes (empty when nothing changed) and why. */
  apply(e: NameEvent, nowSec: number): { changes: Change[]; log: string[] } {
    const changes: Change[] = [];
    const log: string[] = [];
    if (e.kind === 'unbind') {
      for (const [k, r] of this.records) {
        if (r.owner === e.owner && ((r.type === 'A' && r.data === formatIPv4(e.ip)) || (r.type === 'PTR' && r.name.startsWith(ipv4ReverseName(e.ip, ''))))) {
          this.remove(k, changes);
          log.push(`removed ${r.name} ${r.type} ${r.data} (lease released)`);
        }
      }
      this.finish(changes);
      return { changes, log };
    }
    const b = e.binding;
    const fqdn = lower(b.fqdn);
    const ptr = lower(ipv4ReverseName(b.ip, b.revDomain));
    const expires = Number.isFinite(b.expires) ? b.expires : null;
    const wanted: DynRecord[] = [];
    if (b.forward) wanted.push({ name: fqdn, type: 'A', data: formatIPv4(b.ip), ttl: b.ttl, expires, owner: b.owner, zone: '' });
    if (b.reverse) wanted.push({ name: ptr, type: 'PTR', data: fqdn, ttl: b.ttl, expires, owner: b.owner, zone: '' });
    // The client's older names (another name or address) go first.
    for (const [k, r] of this.records) {
      if (r.owner !== b.owner) continue;
      const keep = wanted.some((w) => w.name === r.name && w.type === r.type);
      if (!keep) {
        this.remove(k, changes);
        log.push(`removed ${r.name} ${r.type} ${r.data} (client's name or address changed)`);
      }
    }
    for (const w of wanted) {
      const zone = this.zoneFor(w.name);
      if (!zone) {
        log.push(`not adding ${w.name} ${w.type}: no primary zone of this server holds it`);
        continue;
      }
      if (zone.owned.has(w.name)) {
        log.push(`not adding ${w.name} ${w.type}: the name is defined in zone ${zone.name}'s file`);
        continue;
      }
      const k = key(w.name, w.type);
      const cur = this.records.get(k);
      if (cur && cur.owner !== w.owner && (cur.expires === null || cur.expires > nowSec)) {
        log.push(`not adding ${w.name} ${w.type}: held by another client until its lease ends`);
        continue;
      }
      if (cur && cur.owner === w.owner && cur.data === w.data && cur.ttl === w.ttl) {
        // Renewal: only the expiry moves (journaled, no serial change).
        cur.expires = w.expires;
        changes.push({ op: 'touch', record: cur });
        continue;
      }
      if (cur) this.remove(k, changes);
      this.add({ ...w, zone: zone.name }, changes);
      log.push(`added ${w.name} ${w.type} ${w.data} to zone ${zone.name}`);
    }
    this.finish(changes);
    return { changes, log };
  }

  /** Removes names whose lease has ended. */
  expire(nowSec: number): { changes: Change[]; log: string[] } {
    const changes: Change[] = [];
    const log: string[] = [];
    for (const [k, r] of this.records) {
      if (r.expires !== null && r.expires <= nowSec) {
        this.remove(k, changes);
        log.push(`removed ${r.name} ${r.type} ${r.data} (lease expired)`);
      }
    }
    this.finish(changes);
    return { changes, log };
  }

  private finish(changes: Change[]): void {
    const zones = new Set<string>();
    for (const c of changes) if (c.op === 'add' || c.op === 'del') zones.add(c.record.zone);
    for (const z of zones) {
      this.bump(z);
      changes.push({ op: 'serial', zone: z, serial: this.serials.get(z)! });
    }
  }

  /** Replays journal entries (no decisions: they were made before). */
  replay(c: Change): void {
    if (c.op === 'add' || c.op === 'touch') this.records.set(key(c.record.name, c.record.type), c.record);
    else if (c.op === 'del') this.records.delete(key(c.record.name, c.record.type));
    else if (c.op === 'serial') this.serials.set(c.zone, c.serial);
  }
}

export type Change = { op: 'add' | 'del' | 'touch'; record: DynRecord } | { op: 'serial'; zone: string; serial: number };

/** The journal: one JSON change a line, appended (and synced by the OS) as changes happen; compacted at open. */
export class NamesJournal {
  constructor(readonly file: string) {}

  /** Reads the journal into `names`; bad lines (a torn last write) are skipped and counted. */
  load(names: DhcpNames): { entries: number; bad: number } {
    let entries = 0;
    let bad = 0;
    if (!existsSync(this.file)) return { entries, bad };
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const c = JSON.parse(line) as Change;
        if (!c || typeof c !== 'object' || !['add', 'del', 'touch', 'serial'].includes(c.op)) throw new Error('bad op');
        names.replay(c);
        entries++;
      } catch {
        bad++;
      }
    }
    return { entries, bad };
  }

  /** Rewrites the journal as the current state (atomic rename). */
  compact(names: DhcpNames): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const snap = names.snapshot();
    const lines = [
      ...snap.records.map((r) => JSON.stringify({ op: 'add', record: r })),
      ...Object.entries(snap.serials).map(([zone, serial]) => JSON.stringify({ op: 'serial', zone, serial })),
    ];
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, lines.length ? lines.join('\n') + '\n' : '');
    renameSync(tmp, this.file);
  }

  append(changes: Change[]): void {
    if (!changes.length) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    appendFileSync(this.file, changes.map((c) => JSON.stringify(c)).join('\n') + '\n');
  }
}

/** The DHCP names a zone version carries, by `TYPE name`: where the next difference starts from. */
export type AppliedNames = ReadonlyMap<string, ResourceRecord>;

/** The snapshot's records by the zone (origin text) holding them. */
export function recordsByZone(snap: NamesSnapshot): Map<string, DynRecord[]> {
  const out = new Map<string, DynRecord[]>();
  for (const r of snap.records) {
    const list = out.get(r.zone);
    if (list) list.push(r);
    else out.set(r.zone, [r]);
  }
  return out;
}

/**
 * The difference that takes `zone` (carrying the DHCP names `applied`) to `records`,
 * the snapshot's names for it: names no longer wanted go, new ones come, and the SOA
 * serial rises to `serial` when that follows the zone's. A name that already has data
 * of that type, or a CNAME, in the zone's own data is left alone (the file wins).
 * Undefined when nothing changes.
 */
export function namesDiff(zone: Zone, applied: AppliedNames, records: readonly DynRecord[], serial: number | undefined): { diff: ZoneDiff; applied: Map<string, ResourceRecord> } | undefined {
  const target = new Map<string, ResourceRecord>();
  for (const r of records) {
    let owner: Uint8Array;
    let rdata: Uint8Array;
    try {
      owner = parseName(r.name);
      rdata = r.type === 'A' ? ipv4Bytes(ipNumber(r.data)) : parseName(r.data);
    } catch {
      continue;
    }
    const type = r.type === 'A' ? T.A : T.PTR;
    const k = key(r.name, r.type);
    const node = zone.nodes.get(nameKey(owner));
    if (node && ((node.rrsets.has(type) && !applied.has(k)) || node.rrsets.has(T.CNAME))) continue;
    target.set(k, { owner, type, class: zone.class, ttl: r.ttl, rdata });
  }
  const same = (a: ResourceRecord, b: ResourceRecord): boolean => a.ttl === b.ttl && bytesEqual(a.rdata, b.rdata) && bytesEqual(a.owner, b.owner);
  const deletions: ResourceRecord[] = [];
  const additions: ResourceRecord[] = [];
  for (const [k, rr] of applied) {
    const want = target.get(k);
    if (!want || !same(want, rr)) deletions.push(rr);
  }
  for (const [k, rr] of target) {
    const cur = applied.get(k);
    if (!cur || !same(cur, rr)) additions.push(rr);
  }
  const next = serial !== undefined && ((serial - zone.serial) | 0) > 0 ? serial >>> 0 : undefined;
  if (deletions.length === 0 && additions.length === 0 && next === undefined) return undefined;
  return { diff: { deletions, additions, serial: next }, applied: target };
}

/** ZoneFacts as they cross process boundaries (IPC messages are JSON: no Set). */
export interface ZoneFactsWire {
  name: string;
  serial: number;
  owned: string[];
}

export const factsToWire = (facts: readonly ZoneFacts[]): ZoneFactsWire[] => facts.map((f) => ({ name: f.name, serial: f.serial, owned: [...f.owned] }));
export const factsFromWire = (facts: readonly ZoneFactsWire[]): ZoneFacts[] => facts.map((f) => ({ name: f.name, serial: f.serial, owned: new Set(f.owned) }));

const primaryNames = (conf: { zones: readonly { name: string; type: string }[] }): Set<string> =>
  new Set(conf.zones.filter((z) => z.type === 'primary').map((z) => (z.name === '.' ? '.' : `${lower(z.name).replace(/\.$/, '')}.`)));

/** Facts of a loaded configuration's primary zones. */
export function primaryZoneFacts(zones: readonly Zone[], conf: { zones: readonly { name: string; type: string }[] }): ZoneFacts[] {
  return zoneFacts(zones, primaryNames(conf));
}

/**
 * The A records of the primary zones (`zones` as their files say): what DHCP's
 * `fixed-address NAME` resolves through. Name (lower case, with the dot) → addresses.
 */
export function primaryZoneAddresses(zones: readonly Zone[], conf: { zones: readonly { name: string; type: string }[] }): Map<string, number[]> {
  const primaries = primaryNames(conf);
  const out = new Map<string, number[]>();
  for (const z of zones) {
    if (!primaries.has(lower(nameToText(z.origin)))) continue;
    for (const n of z.nodes.values()) {
      const set = n.rrsets.get(T.A);
      if (!set) continue;
      const name = lower(nameToText(n.name));
      const ips = set.rdatas.filter((d) => d.length === 4).map((d) => ipv4FromBytes(d));
      const list = out.get(name);
      if (list) list.push(...ips);
      else out.set(name, ips);
    }
  }
  return out;
}

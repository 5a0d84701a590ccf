// Loads one zone file into a Zone, with BIND's load-time rules: RDATA parsed per
// type, out-of-zone data ignored with a warning, RRset TTLs made consistent the
// way BIND's master loader and database do, then the zone checks of zone-check.ts.

import { DiagnosticSink, type Diagnostic, type Position } from '../config/diagnostics.js';
import { parseZoneFile, inZone, type ZoneEntry } from '../config/zone-file.js';
import { parseName, NameError, nameKey, nameToText } from '../wire/dns-name.js';
import { CLASS_IN, classToText, typeToText, T, embeddedNames, type ResourceRecord } from '../wire/rr-type.js';
import { rdataFromText, RdataError } from '../wire/rdata.js';
import { base32hexDecode } from '../wire/rdata/codec.js';
import { ipv4FromText } from '../wire/ipv4.js';
import { ipv6FromText } from '../wire/rdata/addr.js';
import { buildZone, type Zone } from './zone.js';
import { checkZone, checkNames, type CheckOptions, type Locator } from './zone-check.js';

export interface ZoneLoadOptions {
  /** Zone name as configured, e.g. "cafe.babe" (trailing dot optional). */
  origin: string;
  /** Path of the zone file; relative paths resolve against `directory`. */
  file: string;
  /** named.conf `directory`: base for the file and for `$INCLUDE`. */
  directory: string;
  /** Defaults to IN. */
  class?: number;
  /**
   * BIND's `check-names`: named-checkzone warns (the default here); named itself
   * fails primary zones (`check-names primary fail`); `ignore` skips the check.
   */
  checkNames?: 'fail' | 'warn' | 'ignore';
  /**
   * An NS (or MX) target written as an IP address: named-checkzone warns (default),
   * named-compilezone fails (its -n default).
   */
  checkNsAddress?: 'fail' | 'warn' | 'ignore';
}

export interface ZoneLoadResult {
  /** Present when the zone loaded (possibly with warnings); absent when any error was found. */
  zone?: Zone;
  diagnostics: Diagnostic[];
  /**
   * The loaded records in file order, TTLs already made consistent per RRset
   * (RRSIGs per covered type, as BIND keeps them). compilezone prints these.
   */
  records?: ResourceRecord[];
}

export interface ZoneTextOptions extends Partial<Omit<ZoneLoadOptions, 'origin'>> {
  origin: string;
  text: string;
  /** Integrity checks (named-checkzone -i full); on by default. */
  checks?: CheckOptions;
}

export function loadZoneFile(opts: ZoneLoadOptions): ZoneLoadResult {
  return load({ ...opts, text: undefined });
}

/** Loads zone text held in memory (tests, and callers that read the file themselves). */
export function loadZoneText(opts: ZoneTextOptions): ZoneLoadResult {
  return load({
    origin: opts.origin, file: opts.file ?? 'zone.db', directory: opts.directory ?? process.cwd(), class: opts.class,
    text: opts.text, checks: opts.checks, checkNames: opts.checkNames, checkNsAddress: opts.checkNsAddress,
  });
}

interface InternalOptions extends ZoneLoadOptions {
  text: string | undefined;
  checks?: CheckOptions;
}

function load(opts: InternalOptions): ZoneLoadResult {
  const sink = new DiagnosticSink();
  const cls = opts.class ?? CLASS_IN;
  let origin: Uint8Array;
  try {
    const o = opts.origin.endsWith('.') ? opts.origin : `${opts.origin}.`;
    origin = parseName(o);
  } catch (e) {
    if (!(e instanceof NameError)) throw e;
    sink.error({ file: opts.file, line: 0, col: 0 }, `bad zone name '${opts.origin}': ${e.message}`);
    return { diagnostics: sink.items };
  }
  const entries = parseZoneFile({ file: opts.file, text: opts.text, origin, directory: opts.directory, sink });
  const positions = new Map<string, Position>();
  const records = toRecords(entries, origin, cls, sink, positions, opts.checkNames ?? 'warn', opts.checkNsAddress ?? 'warn');
  if (sink.hasErrors()) return { diagnostics: sink.items };
  const originKey = nameKey(origin);
  const soa = records.find((r) => r.type === T.SOA && nameKey(r.owner) === originKey);
  const serial = soa ? serialOf(soa.rdata) : 0;
  const zone = buildZone(origin, cls, records, serial);
  const start: Position = { file: opts.file, line: 1, col: 1 };
  const locate: Locator = (owner, type) => (owner && type !== undefined ? positions.get(`${nameKey(owner)}/${type}`) : undefined) ?? start;
  checkZone(zone, sink, locate, opts.checks);
  if (sink.hasErrors()) return { diagnostics: sink.items };
  return { zone, diagnostics: sink.items, records };
}

function serialOf(soaRdata: Uint8Array): number {
  let i = 0;
  for (let k = 0; k < 2; k++) {
    while (soaRdata[i] !== 0) i += soaRdata[i] + 1;
    i++;
  }
  return ((soaRdata[i] << 24) >>> 0) + (soaRdata[i + 1] << 16) + (soaRdata[i + 2] << 8) + soaRdata[i + 3];
}

/** A run of consecutive records with the same owner: BIND's loader commits these together. */
interface Batch {
  /** Owner exactly as written (BIND compares case-sensitively here). */
  exact: string;
  key: string;
  /** NS targets of this run: their addresses that follow are glue. */
  nsTargets: Set<string>;
  sets: Map<number, { ttl: number; recs: ResourceRecord[]; canon: string[] }>;
}

/**
 * Parses RDATA and applies BIND's TTL rules: inside a run of records for one owner
 * an RRset keeps its first TTL ("TTL set to prior TTL"); a later run for the same
 * RRset replaces the TTL of the whole set, as BIND's database merge does.
 */
function toRecords(
  entries: ZoneEntry[], origin: Uint8Array, cls: number, sink: DiagnosticSink, positions: Map<string, Position>,
  namesMode: 'fail' | 'warn' | 'ignore', nsAddrMode: 'fail' | 'warn' | 'ignore',
): ResourceRecord[] {
  const originKey = nameKey(origin);
  const finalTtl = new Map<string, number>();
  const ordered: ResourceRecord[] = [];
  const orderedKeys: string[] = [];
  const present = new Map<string, Set<string>>();
  const commit = (batch: Batch): void => {
    for (const [type, set] of batch.sets) {
      const k = `${batch.key}/${type}`;
      finalTtl.set(k, set.ttl);
      // A duplicate in an RRset already loaded is dropped (BIND's merge keeps the old one).
      let seen = present.get(k);
      if (!seen) {
        seen = new Set();
        present.set(k, seen);
      }
      for (let i = 0; i < set.recs.length; i++) {
        if (seen.has(set.canon[i])) continue;
        seen.add(set.canon[i]);
        ordered.push(set.recs[i]);
        orderedKeys.push(k);
      }
    }
  };
  // BIND's loader (master.c) keeps the records of the current owner together and
  // commits them when the owner changes, except that the addresses of an NS target
  // right after the NS set are held aside as glue, so the owner's run continues after them.
  let current: Batch | undefined;
  let glue: Batch | undefined;
  const newBatch = (e: ZoneEntry): Batch => ({ exact: latin1(e.owner), key: nameKey(e.owner), sets: new Map(), nsTargets: new Set() });
  let segment = 0;
  const route = (e: ZoneEntry): Batch => {
    if (e.segment !== segment) {
      // $INCLUDE boundaries commit whatever is pending.
      if (glue) commit(glue);
      if (current) commit(current);
      glue = current = undefined;
      segment = e.segment;
    }
    const exact = latin1(e.owner);
    if (glue && glue.exact !== exact) {
      commit(glue);
      glue = undefined;
    }
    if (!glue && (!current || current.exact !== exact)) {
      if (current && current.nsTargets.has(nameKey(e.owner))) {
        glue = newBatch(e);
      } else {
        if (current) commit(current);
        current = newBatch(e);
      }
    }
    return (glue ?? current) as Batch;
  };
  for (const e of entries) {
    const batch = e.generated ? newBatch(e) : route(e);
    if (e.class !== undefined && e.class !== cls) {
      sink.error(e.pos, `class '${classToText(e.class)}' != zone class '${classToText(cls)}'`);
      continue;
    }
    const outside = !inZone(e.owner, origin);
    if (outside) sink.warning(e.pos, `ignoring out-of-zone data (${nameToText(e.owner)})`);
    const key = nameKey(e.owner);
    if (outside) {
      // BIND still parses the RDATA of out-of-zone records: a bad one fails the load.
      parseRdata(e, sink);
      continue;
    }
    if (e.type === T.SOA && key !== originKey) {
      sink.error(e.pos, `SOA record not at top of zone (${nameToText(e.owner)})`);
      continue;
    }
    if (e.type === T.MD || e.type === T.MF) {
      // RFC 973 replaced MD and MF by MX; BIND refuses them in zone files.
      sink.error(e.pos, `type '${e.type === T.MD ? 'MD' : 'MF'}': obsolete`);
      continue;
    }
    if (e.type === T.NS && e.owner[0] === 1 && e.owner[1] === 0x2a) {
      // BIND refuses NS records at a wildcard name (RFC 4592 §4.2 leaves them undefined).
      sink.error(e.pos, `${nameToText(e.owner)}: wildcard NS records are not allowed`);
      continue;
    }
    if (e.type === T.DS && key === originKey) {
      // RFC 4034 §5: DS lives in the parent; BIND refuses it at the apex.
      sink.error(e.pos, `DS record at top of zone (${nameToText(e.owner)})`);
      continue;
    }
    if (e.type === T.NSEC3 && !nsec3OwnerOk(e.owner)) {
      sink.error(e.pos, `${nameToText(e.owner)}: bad owner name (check-names)`);
      continue;
    }
    const rdata = parseRdata(e, sink);
    if (!rdata) continue;
    if ((e.type === T.NS || e.type === T.MX) && nsAddrMode !== 'ignore') {
      const tok = e.rdata[e.type === T.NS ? 0 : 1];
      if (tok && looksLikeAddress(tok.text)) {
        const msg = `${typeToText(e.type)} record '${tok.text}' appears to be an address`;
        // Only NS is fatal in fail mode; BIND keeps MX at a warning (named-compilezone -m).
        if (e.type === T.NS && nsAddrMode === 'fail') {
          sink.error({ file: tok.file, line: tok.line, col: tok.col }, msg);
          continue;
        }
        sink.warning({ file: tok.file, line: tok.line, col: tok.col }, msg);
      }
    }
    if (namesMode !== 'ignore' && cls === CLASS_IN) {
      const p = checkNames(e.owner, e.type, rdata);
      if (p) {
        const msg = p.owner
          ? `${nameToText(e.owner)}: bad owner name (check-names)`
          : `${nameToText(e.owner)}/${typeToText(e.type)}: ${nameToText(p.bad as Uint8Array)}: bad name (check-names)`;
        if (namesMode === 'fail') {
          sink.error(e.pos, msg);
          continue;
        }
        sink.warning(e.pos, msg);
      }
    }
    const posKey = `${key}/${e.type}`;
    if (!positions.has(posKey)) positions.set(posKey, e.pos);
    const setKey = e.type === T.RRSIG || e.type === T.SIG ? e.type * 65536 + coveredType(rdata) : e.type;
    let set = batch.sets.get(setKey);
    if (!set) {
      set = { ttl: e.ttl, recs: [], canon: [] };
      batch.sets.set(setKey, set);
    } else if (set.ttl !== e.ttl) {
      sink.warning(e.pos, `TTL set to prior TTL (${set.ttl})`);
    }
    const rr: ResourceRecord = { owner: e.owner, type: e.type, class: cls, ttl: e.ttl, rdata };
    const canon = canonicalKey(e.type, rdata);
    // Within one run BIND's slab builder keeps the later of two equal records.
    const dup = set.canon.indexOf(canon);
    if (dup >= 0) {
      set.recs.splice(dup, 1);
      set.canon.splice(dup, 1);
    }
    set.recs.push(rr);
    set.canon.push(canon);
    if (e.type === T.NS) batch.nsTargets.add(nameKey(rdata));
    // $GENERATE commits each record on its own, leaving the current run open.
    if (e.generated) commit(batch);
  }
  if (glue) commit(glue);
  if (current) commit(current);
  for (let i = 0; i < ordered.length; i++) ordered[i].ttl = finalTtl.get(orderedKeys[i]) ?? ordered[i].ttl;
  return ordered;
}

/** RFC 5155 §3: an NSEC3 owner's first label is a base32hex hash without padding. */
function nsec3OwnerOk(owner: Uint8Array): boolean {
  const label = Buffer.from(owner.subarray(1, 1 + owner[0])).toString('latin1');
  try {
    base32hexDecode(label);
    return label.length > 0;
  } catch {
    return false;
  }
}

function looksLikeAddress(text: string): boolean {
  const t = text.endsWith('.') ? text.slice(0, -1) : text;
  return ipv4FromText(t) !== undefined || (t.includes(':') && ipv6FromText(t) !== undefined);
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/** RDATA of an entry, or undefined after reporting why it is malformed. */
function parseRdata(e: ZoneEntry, sink: DiagnosticSink): Uint8Array | undefined {
  try {
    return rdataFromText(e.type, e.rdata, e.origin, e.last);
  } catch (err) {
    if (err instanceof RdataError) {
      const at: Position = err.token ? { file: err.token.file, line: err.token.line, col: err.token.col } : e.pos;
      sink.error(at, err.message);
      return undefined;
    }
    throw err;
  }
}

/**
 * RDATA compared as DNSSEC canonical form does (RFC 4034 §6.2): embedded names of
 * the well-known types case-folded, so `NS A.example.` equals `NS a.example.`.
 */
function canonicalKey(type: number, rdata: Uint8Array): string {
  const names = embeddedNames(type, rdata);
  if (names.length === 0) return latin1(rdata);
  const c = Uint8Array.from(rdata);
  for (const { offset } of names) {
    let i = offset;
    while (i < c.length && c[i] !== 0) {
      const len = c[i];
      for (let j = i + 1; j <= i + len && j < c.length; j++) if (c[j] >= 0x41 && c[j] <= 0x5a) c[j] += 32;
      i += len + 1;
    }
  }
  return Buffer.from(c).toString('latin1');
}

/** The type an RRSIG/SIG covers (RFC 4034 §3.1.1): BIND keeps one RRset per covered type. */
export function coveredType(rdata: Uint8Array): number {
  return (rdata[0] << 8) | rdata[1];
}



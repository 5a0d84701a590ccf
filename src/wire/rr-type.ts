// Resource records as the zone store and the wire encoder share them: owner and
// rdata in uncompressed wire form, so a query is answered by copying bytes. And the
// record types: one row per type (RR_TYPES) with its number, its RDATA codec, the
// names inside its RDATA and what goes into the additional section for it.

import type { CodecShape } from './rdata/types.js';

export interface ResourceRecord {
  /** Owner name, wire form (see name.ts), case as written in the zone file. */
  owner: Uint8Array;
  type: number;
  class: number;
  ttl: number;
  /** RDATA in canonical uncompressed wire form. */
  rdata: Uint8Array;
}

export const CLASS_IN = 1;
export const CLASS_CH = 3;
export const CLASS_HS = 4;
export const CLASS_NONE = 254;
export const CLASS_ANY = 255;

/**
 * Where the domain names sit inside a type's RDATA, field by field: a number is that
 * many fixed octets, 'str' one character-string, 'name' an uncompressed domain name.
 * Fields after the last name are listed only where a decoder checks them (SOA).
 */
export type NameField = number | 'str' | 'name';

/** One record type: everything Triad knows about it, in one row of RR_TYPES. */
export interface RRTypeRow {
  /** The type number (IANA "Resource Record (RR) TYPEs"). */
  readonly code: number;
  /** Its RDATA codec, text and wire (wire/rdata/types.ts); none: only RFC 3597 `\# len hex`. */
  readonly codec?: CodecShape;
  /** The domain names in its RDATA (case-folded for comparison, glue, compression). */
  readonly names?: readonly NameField[];
  /** A sender may compress those names: RFC 3597 §4, only the RFC 1035 types. */
  readonly compress?: boolean;
  /** A receiver decompresses them (RFC 3597 §4; BIND also for RP, AFSDB, RT, KX, PX, SRV, DNAME). */
  readonly decompress?: boolean;
  /** Its (first) name's addresses go into the additional section (RFC 1035 §3.3, RFC 2782). */
  readonly additional?: boolean;
  /** At most one record per name, as BIND's rdata table marks it (named-checkzone refuses more). */
  readonly singleton?: boolean;
}

const ONE_NAME = ['name'] as const;
const TWO_NAMES = ['name', 'name'] as const;
const PREF_NAME = [2, 'name'] as const;

/**
 * Every record type Triad names, by mnemonic. Adding a type is one row here (and its
 * codec in wire/rdata/types.ts when its RDATA has a shape no other type has).
 */
export const RR_TYPES = {
  A: { code: 1, codec: 'a' },
  NS: { code: 2, codec: 'oneName', names: ONE_NAME, compress: true, decompress: true, additional: true },
  MD: { code: 3, codec: 'oneName', names: ONE_NAME, compress: true, decompress: true },
  MF: { code: 4, codec: 'oneName', names: ONE_NAME, compress: true, decompress: true },
  CNAME: { code: 5, codec: 'oneName', names: ONE_NAME, compress: true, decompress: true, singleton: true },
  SOA: { code: 6, codec: 'soa', names: ['name', 'name', 20], compress: true, decompress: true, singleton: true },
  MB: { code: 7, codec: 'oneName', names: ONE_NAME, compress: true, decompress: true },
  MG: { code: 8, codec: 'oneName', names: ONE_NAME, compress: true, decompress: true },
  MR: { code: 9, codec: 'oneName', names: ONE_NAME, compress: true, decompress: true },
  NULL: { code: 10, codec: 'nullRdata' },
  WKS: { code: 11, codec: 'wks' },
  PTR: { code: 12, codec: 'oneName', names: ONE_NAME, compress: true, decompress: true },
  HINFO: { code: 13, codec: 'hinfo' },
  MINFO: { code: 14, codec: 'twoNames', names: TWO_NAMES, compress: true, decompress: true },
  MX: { code: 15, codec: 'prefName', names: PREF_NAME, compress: true, decompress: true, additional: true },
  TXT: { code: 16, codec: 'strings' },
  RP: { code: 17, codec: 'twoNames', names: TWO_NAMES, decompress: true },
  AFSDB: { code: 18, codec: 'prefName', names: PREF_NAME, decompress: true },
  X25: { code: 19, codec: 'x25' },
  ISDN: { code: 20, codec: 'isdn' },
  RT: { code: 21, codec: 'prefName', names: PREF_NAME, decompress: true },
  NSAP: { code: 22, codec: 'nsap' },
  'NSAP-PTR': { code: 23, codec: 'oneName' },
  SIG: { code: 24, codec: 'sig', names: [18, 'name'] },
  KEY: { code: 25, codec: 'key' },
  PX: { code: 26, codec: 'px', names: [2, 'name', 'name'], decompress: true },
  GPOS: { code: 27, codec: 'gpos' },
  AAAA: { code: 28, codec: 'aaaa' },
  LOC: { code: 29, codec: 'loc' },
  NXT: { code: 30, codec: 'nxt', names: ONE_NAME },
  EID: { code: 31, codec: 'hexOnly' },
  NIMLOC: { code: 32, codec: 'hexOnly' },
  SRV: { code: 33, codec: 'srv', names: [6, 'name'], decompress: true, additional: true },
  ATMA: { code: 34, codec: 'atma' },
  NAPTR: { code: 35, codec: 'naptr', names: [4, 'str', 'str', 'str', 'name'] },
  KX: { code: 36, codec: 'prefName', names: PREF_NAME, decompress: true },
  CERT: { code: 37, codec: 'cert' },
  A6: { code: 38, codec: 'a6' },
  DNAME: { code: 39, codec: 'oneName', names: ONE_NAME, decompress: true, singleton: true },
  SINK: { code: 40, codec: 'sink' },
  OPT: { code: 41 },
  APL: { code: 42, codec: 'apl' },
  DS: { code: 43, codec: 'ds' },
  SSHFP: { code: 44, codec: 'sshfp' },
  IPSECKEY: { code: 45, codec: 'ipseckey' },
  RRSIG: { code: 46, codec: 'rrsig', names: [18, 'name'] },
  NSEC: { code: 47, codec: 'nsec', names: ONE_NAME },
  DNSKEY: { code: 48, codec: 'dnskey' },
  DHCID: { code: 49, codec: 'b64only' },
  NSEC3: { code: 50, codec: 'nsec3' },
  NSEC3PARAM: { code: 51, codec: 'nsec3param' },
  TLSA: { code: 52, codec: 'tlsa' },
  SMIMEA: { code: 53, codec: 'tlsa' },
  HIP: { code: 55, codec: 'hip' },
  NINFO: { code: 56, codec: 'strings' },
  RKEY: { code: 57, codec: 'rkey' },
  TALINK: { code: 58, codec: 'twoNames', names: TWO_NAMES },
  CDS: { code: 59, codec: 'ds' },
  CDNSKEY: { code: 60, codec: 'dnskey' },
  OPENPGPKEY: { code: 61, codec: 'b64only' },
  CSYNC: { code: 62, codec: 'csync' },
  ZONEMD: { code: 63, codec: 'zonemd' },
  SVCB: { code: 64, codec: 'svcb' },
  HTTPS: { code: 65, codec: 'svcb' },
  DSYNC: { code: 66, codec: 'dsync' },
  HHIT: { code: 67, codec: 'b64only' },
  BRID: { code: 68, codec: 'b64only' },
  SPF: { code: 99, codec: 'strings' },
  UINFO: { code: 100 },
  UID: { code: 101 },
  GID: { code: 102 },
  UNSPEC: { code: 103 },
  NID: { code: 104, codec: 'nid' },
  L32: { code: 105, codec: 'l32' },
  L64: { code: 106, codec: 'nid' },
  LP: { code: 107, codec: 'prefName' },
  EUI48: { code: 108, codec: 'eui48' },
  EUI64: { code: 109, codec: 'eui64' },
  TKEY: { code: 249 },
  TSIG: { code: 250 },
  IXFR: { code: 251 },
  AXFR: { code: 252 },
  MAILB: { code: 253 },
  MAILA: { code: 254 },
  ANY: { code: 255 },
  URI: { code: 256, codec: 'uri' },
  CAA: { code: 257, codec: 'caa' },
  AVC: { code: 258, codec: 'strings' },
  DOA: { code: 259, codec: 'doa' },
  AMTRELAY: { code: 260, codec: 'amtrelay' },
  RESINFO: { code: 261, codec: 'strings', singleton: true },
  WALLET: { code: 262, codec: 'strings' },
  TA: { code: 32768, codec: 'ds' },
  DLV: { code: 32769, codec: 'ds' },
} as const satisfies Record<string, RRTypeRow>;

type Mnemonic = keyof typeof RR_TYPES;

/** Type numbers by mnemonic: T.A, T.MX, T['NSAP-PTR']. */
export const T = Object.fromEntries(Object.entries(RR_TYPES).map(([k, r]) => [k, r.code])) as { readonly [K in Mnemonic]: (typeof RR_TYPES)[K]['code'] };

/** A row of RR_TYPES with its mnemonic, looked up by number. */
export interface RRTypeInfo extends RRTypeRow {
  readonly mnemonic: string;
  /** Offset of the first name when only fixed fields precede it (the additional-section target). */
  readonly firstNameAt?: number;
}

/** What the hot paths (every RR written or compared) need, precomputed per type. */
interface Known extends RRTypeInfo {
  /** The only name sits at this fixed offset (most types with names): no walk needed. */
  readonly onlyNameAt?: number;
}

const BY_CODE = new Map<number, Known>(
  Object.entries(RR_TYPES).map(([mnemonic, row]: [string, RRTypeRow]) => {
    const firstNameAt = fixedPrefix(row.names);
    const single = row.names?.filter((f) => f === 'name').length === 1;
    // Every entry gets every field, in one order: one object shape keeps the lookups monomorphic.
    const info: Known = {
      mnemonic, code: row.code, codec: row.codec, names: row.names, compress: row.compress === true, decompress: row.decompress === true,
      additional: row.additional === true, singleton: row.singleton === true, firstNameAt, onlyNameAt: single ? firstNameAt : undefined,
    };
    return [row.code, info];
  }),
);

function fixedPrefix(names: readonly NameField[] | undefined): number | undefined {
  if (!names) return undefined;
  let at = 0;
  for (const f of names) {
    if (f === 'name') return at;
    if (f === 'str') return undefined;
    at += f;
  }
  return undefined;
}

/** Everything known about a type number; undefined for a type Triad has no name for. */
export function rrType(type: number): RRTypeInfo | undefined {
  return BY_CODE.get(type);
}

/** Mnemonic for a type number, RFC 3597 `TYPEnnn` for unknown ones. */
export function typeToText(type: number): string {
  return BY_CODE.get(type)?.mnemonic ?? `TYPE${type}`;
}

/** Type number for a mnemonic or `TYPEnnn`; undefined when unknown. */
export function typeFromText(text: string): number | undefined {
  const u = text.toUpperCase();
  const known = (T as Record<string, number>)[u];
  if (known !== undefined) return known;
  const m = /^TYPE([0-9]{1,5})$/.exec(u);
  if (m) {
    const n = Number(m[1]);
    if (n <= 0xffff) return n;
  }
  return undefined;
}

export function classToText(cls: number): string {
  switch (cls) {
    case CLASS_IN: return 'IN';
    case CLASS_CH: return 'CH';
    case CLASS_HS: return 'HS';
    case CLASS_NONE: return 'NONE';
    case CLASS_ANY: return 'ANY';
    default: return `CLASS${cls}`;
  }
}

export function classFromText(text: string): number | undefined {
  const u = text.toUpperCase();
  switch (u) {
    case 'IN': return CLASS_IN;
    case 'CH': case 'CHAOS': return CLASS_CH;
    case 'HS': case 'HESIOD': return CLASS_HS;
    case 'NONE': return CLASS_NONE;
    case 'ANY': return CLASS_ANY;
  }
  const m = /^CLASS([0-9]{1,5})$/.exec(u);
  if (m && Number(m[1]) <= 0xffff) return Number(m[1]);
  return undefined;
}

/** Where a domain name sits inside RDATA, and whether a sender may compress it. */
export interface EmbeddedName {
  /** Offset of the name inside RDATA. */
  offset: number;
  /** RFC 3597 §4: only the RFC 1035 types may be compressed on output. */
  compress: boolean;
}

function nameEnd(rdata: Uint8Array, at: number): number {
  let i = at;
  while (i < rdata.length && rdata[i] !== 0) i += rdata[i] + 1;
  return i + 1;
}

/**
 * The domain names embedded in RDATA of a type, in order. Used to compress on
 * output, decompress on input (RFC 3597 §4 lists which types may carry pointers)
 * and to find targets for additional-section processing.
 */
export function embeddedNames(type: number, rdata: Uint8Array): EmbeddedName[] {
  const info = BY_CODE.get(type);
  const fields = info?.names;
  if (!fields) return [];
  const compress = info.compress === true;
  if (info.onlyNameAt !== undefined) return [{ offset: info.onlyNameAt, compress }];
  const out: EmbeddedName[] = [];
  let p = 0;
  for (const f of fields) {
    if (f === 'name') {
      out.push({ offset: p, compress });
      p = nameEnd(rdata, p);
    } else if (f === 'str') {
      if (p < rdata.length) p += rdata[p] + 1;
    } else {
      p += f;
    }
  }
  return out;
}

/** The name whose addresses go into the additional section (RFC 1035 §3.3, RFC 2782), if any. */
export function additionalTarget(type: number, rdata: Uint8Array): number | undefined {
  const info = BY_CODE.get(type);
  return info?.additional ? info.firstNameAt : undefined;
}

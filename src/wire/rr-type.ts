// Resource records as the zone store and the wire encoder share them: owner and
// rdata in uncompressed wire form, so a query is answered by copying bytes.

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

export const T = {
  A: 1, NS: 2, MD: 3, MF: 4, CNAME: 5, SOA: 6, MB: 7, MG: 8, MR: 9, NULL: 10, WKS: 11, PTR: 12,
  HINFO: 13, MINFO: 14, MX: 15, TXT: 16, RP: 17, AFSDB: 18, X25: 19, ISDN: 20, RT: 21, NSAP: 22,
  'NSAP-PTR': 23, SIG: 24, KEY: 25, PX: 26, GPOS: 27, AAAA: 28, LOC: 29, NXT: 30, EID: 31,
  NIMLOC: 32, SRV: 33, ATMA: 34, NAPTR: 35, KX: 36, CERT: 37, A6: 38, DNAME: 39, SINK: 40, OPT: 41,
  APL: 42, DS: 43, SSHFP: 44, IPSECKEY: 45, RRSIG: 46, NSEC: 47, DNSKEY: 48, DHCID: 49, NSEC3: 50,
  NSEC3PARAM: 51, TLSA: 52, SMIMEA: 53, HIP: 55, NINFO: 56, RKEY: 57, TALINK: 58, CDS: 59,
  CDNSKEY: 60, OPENPGPKEY: 61, CSYNC: 62, ZONEMD: 63, SVCB: 64, HTTPS: 65, DSYNC: 66, HHIT: 67, BRID: 68, SPF: 99, UINFO: 100,
  UID: 101, GID: 102, UNSPEC: 103, NID: 104, L32: 105, L64: 106, LP: 107, EUI48: 108, EUI64: 109,
  TKEY: 249, TSIG: 250, IXFR: 251, AXFR: 252, MAILB: 253, MAILA: 254, ANY: 255, URI: 256, CAA: 257,
  AVC: 258, DOA: 259, AMTRELAY: 260, RESINFO: 261, WALLET: 262, TA: 32768, DLV: 32769,
} as const;

const TYPE_NAMES = new Map<number, string>(Object.entries(T).map(([k, v]) => [v, k]));

/** Mnemonic for a type number, RFC 3597 `TYPEnnn` for unknown ones. */
export function typeToText(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
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
  switch (type) {
    case T.NS: case T.MD: case T.MF: case T.CNAME: case T.MB: case T.MG: case T.MR: case T.PTR:
      return [{ offset: 0, compress: true }];
    case T.DNAME:
      return [{ offset: 0, compress: false }];
    case T.SOA: case T.MINFO: {
      const second = nameEnd(rdata, 0);
      return [{ offset: 0, compress: true }, { offset: second, compress: true }];
    }
    case T.RP: case T.TALINK:
      return [{ offset: 0, compress: false }, { offset: nameEnd(rdata, 0), compress: false }];
    case T.MX:
      return [{ offset: 2, compress: true }];
    case T.AFSDB: case T.RT: case T.KX:
      return [{ offset: 2, compress: false }];
    case T.PX:
      return [{ offset: 2, compress: false }, { offset: nameEnd(rdata, 2), compress: false }];
    case T.SRV:
      return [{ offset: 6, compress: false }];
    case T.NAPTR: {
      let i = 4;
      for (let k = 0; k < 3 && i < rdata.length; k++) i += rdata[i] + 1;
      return [{ offset: i, compress: false }];
    }
    case T.NSEC: case T.NXT:
      return [{ offset: 0, compress: false }];
    case T.RRSIG: case T.SIG:
      return [{ offset: 18, compress: false }];
    default:
      return [];
  }
}

/** The name whose addresses go into the additional section (RFC 1035 §3.3, RFC 2782), if any. */
export function additionalTarget(type: number, rdata: Uint8Array): number | undefined {
  switch (type) {
    case T.NS: return 0;
    case T.MX: return 2;
    case T.SRV: return 6;
    default: return undefined;
  }
}

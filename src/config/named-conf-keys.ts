// named.conf `key` statements (TSIG shared secrets), at the top level and in
// views, as BIND 9.18 reads them and as `tsig-keygen`, `ddns-confgen` and
// `rndc-confgen -a` write them:
//
//   key "name" { algorithm hmac-sha256; secret "base64…"; };
//
// Checked as named-checkconf checks them (its wording): unknown algorithm, bad
// base64, a missing algorithm or secret, a name given twice (names are DNS names:
// `K1`, `k1` and `k1.` are the same key), truncated MAC lengths (`hmac-sha256-128`).

import type { Position } from './diagnostics.js';
import type { DiagnosticSink } from './diagnostics.js';
import type { Token } from './tokenizer.js';
import type { NStatement } from './named-conf.js';
import { parseName } from '../wire/dns-name.js';

/** The algorithms BIND 9.18 accepts, with their full MAC length in bits. */
export const KEY_ALGORITHMS: Readonly<Record<string, number>> = {
  'hmac-md5': 128, 'hmac-sha1': 160, 'hmac-sha224': 224, 'hmac-sha256': 256, 'hmac-sha384': 384, 'hmac-sha512': 512,
};

export interface KeyConfig {
  /** As written (without quotes). */
  name: string;
  /** The algorithm as written. */
  algorithm?: string;
  /** The base algorithm (`hmac-sha256`), lower case, once the algorithm is valid. */
  hmac?: string;
  /** A truncated MAC length in bits (`hmac-sha256-128`); undefined for the full digest. */
  digestBits?: number;
  /** The secret as written (base64). */
  secret?: string;
  /** The decoded secret, once it is valid base64. */
  secretBytes?: Uint8Array;
  /** The view it was defined in; undefined at the top level. */
  view?: string;
  pos: Position;
}

/** How key names are compared: as DNS names, without case or the trailing dot. */
export function keyId(name: string): string {
  const t = name.toLowerCase();
  return t.length > 1 ? t.replace(/\.$/, '') : t;
}

/**
 * BIND's base64 (isc_base64_decodestring): whitespace is skipped, the rest comes
 * in groups of four, `=` only as padding at the very end. Undefined when bad.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  const s = text.replace(/[ \t\r\n]/g, '');
  if (s.length % 4 !== 0) return undefined;
  if (!/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return undefined;
  return new Uint8Array(Buffer.from(s, 'base64'));
}

/** Whether a key name is a valid DNS name (labels of at most 63 octets, 255 in all). */
function isDnsName(text: string): boolean {
  try {
    parseName(text.endsWith('.') ? text : `${text}.`);
    return true;
  } catch {
    return false;
  }
}

function positionOf(t: Token): Position {
  return { file: t.file, line: t.line, col: t.col };
}

/**
 * The algorithm clause: a known name, optionally `-BITS` for a truncated MAC
 * (BIND: more than the digest or not a multiple of 8 is an error; less than half
 * the digest or under 80 bits a warning).
 */
function algorithm(k: KeyConfig, tok: Token, sink: DiagnosticSink): void {
  const text = tok.value.toLowerCase();
  const base = text === 'hmac-md5.sig-alg.reg.int' || text === 'hmac-md5.sig-alg.reg.int.' ? 'hmac-md5' : text;
  for (const [alg, size] of Object.entries(KEY_ALGORITHMS)) {
    if (base === alg) {
      k.hmac = alg;
      return;
    }
    if (!base.startsWith(`${alg}-`)) continue;
    const bitsText = base.slice(alg.length + 1);
    const bits = /^[0-9]+$/.test(bitsText) ? Number(bitsText) : NaN;
    if (!Number.isFinite(bits) || bits > size) {
      sink.error(tok, `key '${k.name}' digest-bits too large [${size / 2}..${size}]`);
      return;
    }
    if (bits % 8 !== 0) {
      sink.error(tok, `key '${k.name}' digest-bits not multiple of 8`);
      return;
    }
    if (bits < size / 2 || bits < 80) sink.warning(tok, `key '${k.name}' digest-bits too small [<${size / 2}]`);
    k.hmac = alg;
    // Zero bits is no truncation at all (BIND keeps the full MAC).
    if (bits > 0) k.digestBits = bits;
    return;
  }
  sink.error(tok, `unknown algorithm '${tok.value}'`);
}

/**
 * Reads one `key` statement into `keys` (the top level's map, or a view's).
 * `global`, when given, holds the top-level keys a view's key may not repeat.
 */
export function keyStatement(s: NStatement, sink: DiagnosticSink, keys: Map<string, KeyConfig>, view?: string, global?: ReadonlyMap<string, KeyConfig>): void {
  const name = s.words[1];
  if (!name || !s.block || s.words.length > 2) {
    sink.error(name ?? s.words[0], 'key: expected a name and a block');
    return;
  }
  const k: KeyConfig = { name: name.value, pos: positionOf(name), view };
  if (!/^[^\s]+$/.test(name.value) || /\.\./.test(name.value) || (name.value.startsWith('.') && name.value !== '.') || !isDnsName(name.value)) {
    sink.error(name, `key '${name.value}': bad key name`);
    return;
  }
  const seen = new Set<string>();
  for (const c of s.block) {
    const h = c.words[0];
    const v = c.words[1];
    const what = h?.value.toLowerCase();
    if (!h || !v || c.words.length > 2 || c.block || (what !== 'algorithm' && what !== 'secret')) {
      sink.error(h ?? c.end, `unknown option ${h ? `'${h.value}'` : ''}`.trimEnd());
      continue;
    }
    if (seen.has(what)) {
      sink.error(h, `'${what}' redefined near '${h.value}'`);
      continue;
    }
    seen.add(what);
    if (what === 'algorithm') {
      k.algorithm = v.value;
      algorithm(k, v, sink);
    } else {
      k.secret = v.value;
      k.secretBytes = decodeBase64(v.value);
      if (!k.secretBytes) sink.error(v, "bad secret 'bad base64 encoding'");
    }
  }
  if (k.algorithm === undefined || k.secret === undefined) sink.error(name, `key '${name.value}' must have both 'secret' and 'algorithm' defined`);
  const id = keyId(name.value);
  const prev = keys.get(id) ?? global?.get(id);
  if (prev) {
    sink.error(name, `key '${name.value}': already exists previous definition: ${prev.pos.file}:${prev.pos.line}`);
    return;
  }
  keys.set(id, k);
}

/** A key that can sign and verify: a valid algorithm and secret. */
export function usableKey(k: KeyConfig): k is KeyConfig & { hmac: string; secretBytes: Uint8Array } {
  return k.hmac !== undefined && k.secretBytes !== undefined;
}

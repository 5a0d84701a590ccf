// SVCB and HTTPS RDATA (RFC 9460): priority, target, then key=value parameters
// kept sorted by key on the wire and printed in BIND's form.

import { RdataError, TextCursor, WireReader, WireWriter, unescapeText, quoteText, base64Decode, base64Encode, parseUint, nameFromToken } from './codec.js';
import { ipv4FromText, ipv4ToText } from '../ipv4.js';
import { ipv6FromText, ipv6ToText } from './addr.js';
import type { ZoneToken } from '../zone-token.js';

const KEYS: Record<string, number> = {
  mandatory: 0, alpn: 1, 'no-default-alpn': 2, port: 3, ipv4hint: 4, ech: 5, ipv6hint: 6, dohpath: 7,
};
const KEY_NAMES = new Map<number, string>(Object.entries(KEYS).map(([k, v]) => [v, k]));

/**
 * A key name as BIND 9.18 reads it outside a value's own syntax (mandatory lists,
 * and keys not written exactly in lower case): registered names in any case, or
 * `keyNNNNN` (lower-case "key", no sign, no leading zero, at most 65535).
 */
function keyFromText(s: string, at: ZoneToken): number {
  const k = KEYS[s.toLowerCase()];
  if (k !== undefined) return k;
  const m = /^key(0|[1-9][0-9]*)$/.exec(s);
  if (m && Number(m[1]) <= 0xffff) return Number(m[1]);
  throw new RdataError(`unknown SVCB parameter key '${s}'`, at);
}

/** BIND 9.18 prints only the RFC 9460 keys 0-6 by name (dohpath and later as keyNNN). */
function keyToText(k: number): string {
  return k <= 6 ? (KEY_NAMES.get(k) as string) : `key${k}`;
}

/** Splits a value list on commas not escaped with a backslash (RFC 9460 Appendix A.1). */
function splitList(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\' && i + 1 < s.length) {
      cur += ch + s[i + 1];
      i++;
      continue;
    }
    if (ch === ',') {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out;
}

/** The value of a key written by its exact lower-case name, in that key's own syntax. */
function valueBytes(key: number, raw: string, at: ZoneToken): Uint8Array {
  const w = new WireWriter();
  const tok = (text: string): ZoneToken => ({ ...at, text });
  switch (key) {
    case 0: {
      if (raw === '') throw new RdataError('empty mandatory list', at);
      const keys = raw.split(',').map((k) => keyFromText(k, at));
      const sorted = [...keys].sort((a, b) => a - b);
      for (let i = 0; i < sorted.length; i++) {
        if (i > 0 && sorted[i] === sorted[i - 1]) throw new RdataError('duplicate key in mandatory', at);
        w.u16(sorted[i]);
      }
      return w.done();
    }
    case 1: {
      // Each item is a char-string; `\,` keeps a comma inside an item.
      const unesc = unescapeText(tok(raw), 65535);
      const items = splitList(Buffer.from(unesc).toString('latin1'));
      for (const it of items) {
        const b = unescapeText(tok(it));
        if (b.length === 0) throw new RdataError('empty alpn value', at);
        w.u8(b.length).bytes(b);
      }
      return w.done();
    }
    case 2:
      if (raw !== '') throw new RdataError('no-default-alpn takes no value', at);
      return w.done();
    case 3:
      if (!/^[0-9]+$/.test(raw)) throw new RdataError(`bad port '${raw}'`, at);
      return w.u16(parseUint(tok(raw), 0xffff)).done();
    case 4: {
      for (const a of raw.split(',')) {
        const b = ipv4FromText(a);
        if (!b) throw new RdataError(`bad IPv4 address '${a}'`, at);
        w.bytes(b);
      }
      return w.done();
    }
    case 6: {
      for (const a of raw.split(',')) {
        const b = ipv6FromText(a);
        if (!b) throw new RdataError(`bad IPv6 address '${a}'`, at);
        w.bytes(b);
      }
      return w.done();
    }
    case 5:
      // An empty ech is allowed (BIND prints it as a bare key).
      return base64Decode(raw, at);
    default:
      // dohpath: text, checked as on the wire.
      return unescapeText(tok(raw), 65535);
  }
}

/**
 * Checks a parameter value as BIND's svcb_validate does on the wire (and on text
 * given through a key's generic form: `PORT=53`, `key3=53`).
 */
function validateValue(key: number, v: Uint8Array): string | undefined {
  switch (key) {
    case 0: {
      if (v.length === 0 || v.length % 2) return 'bad mandatory list';
      for (let i = 2; i < v.length; i += 2) if (((v[i - 2] << 8) | v[i - 1]) >= ((v[i] << 8) | v[i + 1])) return 'mandatory list out of order';
      return undefined;
    }
    case 1: {
      if (v.length === 0) return 'empty alpn';
      for (let i = 0; i < v.length;) {
        const l = v[i] + 1;
        if (l === 1 || i + l > v.length) return 'bad alpn';
        i += l;
      }
      return undefined;
    }
    case 2: return v.length === 0 ? undefined : 'no-default-alpn has a value';
    case 3: return v.length === 2 ? undefined : 'bad port';
    case 4: return v.length > 0 && v.length % 4 === 0 ? undefined : 'bad ipv4hint';
    case 6: return v.length > 0 && v.length % 16 === 0 ? undefined : 'bad ipv6hint';
    case 7: {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(v);
      } catch {
        return 'bad dohpath';
      }
      return dohpathValid(Buffer.from(v).toString('latin1')) ? undefined : 'bad dohpath';
    }
  }
  return undefined;
}

/**
 * RFC 9461 §5: a relative URI template (RFC 6570) with a `dns` variable. Checked
 * as BIND 9.18 checks it: expressions with an optional operator, variables with an
 * optional `:N` (1-9999) or `*`, valid %-escapes.
 */
function dohpathValid(s: string): boolean {
  if (!s.startsWith('/')) return false;
  const pct = /^%[0-9A-Fa-f]{2}/;
  const spec = /^((?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})(?:\.?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2}))*)(?::[1-9][0-9]{0,3}|\*)?$/;
  let dns = false;
  for (let i = 0; i < s.length;) {
    const c = s[i];
    if (c === '%') {
      if (!pct.test(s.slice(i))) return false;
      i += 3;
    } else if (c === '{') {
      const end = s.indexOf('}', i);
      if (end < 0) return false;
      let expr = s.slice(i + 1, end);
      if ('+#./;?&'.includes(expr[0] ?? '')) expr = expr.slice(1);
      for (const v of expr.split(',')) {
        const m = spec.exec(v);
        if (!m) return false;
        if (m[1] === 'dns') dns = true;
      }
      i = end + 1;
    } else if (c === '}') {
      return false;
    } else {
      i++;
    }
  }
  return dns;
}

export function svcbFromText(c: TextCursor): Uint8Array {
  const prio = c.u16();
  // BIND reads the target as a string that may be quoted.
  const tt = c.next('a domain name');
  const target = nameFromToken(tt, c.origin);
  const params = new Map<number, Uint8Array>();
  while (!c.atEnd()) {
    const t = c.next('a parameter');
    if (t.quoted) throw new RdataError('unexpected quoted string', t);
    const eq = t.text.indexOf('=');
    const keyText = eq >= 0 ? t.text.slice(0, eq) : t.text;
    let value = eq >= 0 ? t.text.slice(eq + 1) : '';
    if (eq >= 0 && value === '') {
      // key="value": the lexer gives the quoted value as the next token.
      const nx = c.peek();
      if (nx && nx.quoted && nx.line === t.line && nx.col === t.col + t.text.length) {
        value = nx.text;
        c.i++;
      }
    }
    let key: number;
    let bytes: Uint8Array;
    const exact = KEYS[keyText];
    if (exact !== undefined) {
      // The registered name in lower case: the value in that key's own syntax.
      key = exact;
      bytes = valueBytes(key, value, t);
      const bad = key === 7 ? validateValue(key, bytes) : undefined;
      if (bad) throw new RdataError(bad, t);
    } else {
      // Any other spelling is a key number with its value as raw text, checked as on the wire.
      key = keyFromText(keyText, t);
      bytes = unescapeText({ ...t, text: value }, 65535);
      const bad = validateValue(key, bytes);
      if (bad) throw new RdataError(bad, t);
    }
    if (params.has(key)) throw new RdataError(`duplicate SVCB parameter '${keyText}'`, t);
    params.set(key, bytes);
  }
  checkParams(prio, params);
  const w = new WireWriter().u16(prio).bytes(target);
  for (const k of [...params.keys()].sort((a, b) => a - b)) {
    const v = params.get(k) as Uint8Array;
    w.u16(k).u16(v.length).bytes(v);
  }
  return w.done();
}

function checkParams(prio: number, params: Map<number, Uint8Array>): void {
  const mand = params.get(0);
  if (mand) {
    for (let i = 0; i < mand.length; i += 2) {
      const k = (mand[i] << 8) | mand[i + 1];
      if (k === 0) throw new RdataError('mandatory lists itself');
      if (!params.has(k)) throw new RdataError(`mandatory key '${keyToText(k)}' missing`);
    }
  }
  void prio;
  // RFC 9460 §7.1.1: no-default-alpn only makes sense next to alpn.
  if (params.has(2) && !params.has(1)) throw new RdataError('no-default-alpn without alpn');
}

function listText(items: string[]): string {
  return items.join(',');
}

function escapeItem(b: Uint8Array): string {
  // Inside a quoted list an item's comma or backslash needs a double escape.
  let s = '';
  for (const c of b) {
    if (c === 0x2c) s += '\\\\,';
    else if (c === 0x5c) s += '\\\\\\\\';
    else if (c === 0x22) s += '\\"';
    else if (c < 0x20 || c >= 0x7f) s += '\\' + String(c).padStart(3, '0');
    else s += String.fromCharCode(c);
  }
  return s;
}

export function svcbToText(r: WireReader): string {
  const prio = r.u16();
  const target = r.nameText();
  const parts = [`${prio}`, target];
  let last = -1;
  const seen = new Set<number>();
  let mandatory: number[] = [];
  while (r.left > 0) {
    const k = r.u16();
    const len = r.u16();
    const v = r.bytes(len);
    // RFC 9460 §2.2: keys in strictly increasing order.
    if (k <= last) throw new RdataError('SVCB keys out of order');
    last = k;
    seen.add(k);
    const bad = validateValue(k, v);
    if (bad) throw new RdataError(bad);
    if (k === 0) {
      mandatory = [];
      for (let i = 0; i < v.length; i += 2) mandatory.push((v[i] << 8) | v[i + 1]);
      if (mandatory[0] === 0) throw new RdataError('mandatory lists itself');
    }
    const name = keyToText(k);
    if (len === 0) {
      parts.push(name);
      continue;
    }
    const vr = new WireReader(v);
    switch (k) {
      case 0:
        parts.push(`${name}=${mandatory.map(keyToText).join(',')}`);
        break;
      case 1: {
        const items: string[] = [];
        while (vr.left > 0) items.push(escapeItem(vr.str()));
        parts.push(`${name}="${listText(items)}"`);
        break;
      }
      case 3:
        parts.push(`${name}=${vr.u16()}`);
        break;
      case 4: {
        const a: string[] = [];
        while (vr.left > 0) a.push(ipv4ToText(vr.bytes(4)));
        parts.push(`${name}=${a.join(',')}`);
        break;
      }
      case 6: {
        const a: string[] = [];
        while (vr.left > 0) a.push(ipv6ToText(vr.bytes(16)));
        parts.push(`${name}=${a.join(',')}`);
        break;
      }
      case 5:
        parts.push(`${name}=${base64Encode(v)}`);
        break;
      default:
        parts.push(`${name}=${quoteText(v)}`);
    }
  }
  for (const m of mandatory) if (!seen.has(m)) throw new RdataError(`mandatory key '${keyToText(m)}' missing`);
  if (seen.has(2) && !seen.has(1)) throw new RdataError('no-default-alpn without alpn');
  return parts.join(' ');
}

// SVCB and HTTPS RDATA (RFC 9460): priority, target, then key=value parameters
// kept sorted by key on the wire and printed in BIND's form.

import { RdataError, TextCursor, WireReader, WireWriter, unescapeText, quoteText, base64Decode, base64Encode, parseUint } from './codec.js';
import { ipv4FromText, ipv4ToText, ipv6FromText, ipv6ToText } from './addr.js';
import type { ZoneToken } from '../../config/zone-lexer.js';

const KEYS: Record<string, number> = {
  mandatory: 0, alpn: 1, 'no-default-alpn': 2, port: 3, ipv4hint: 4, ech: 5, ipv6hint: 6, dohpath: 7, ohttp: 8,
};
const KEY_NAMES = new Map<number, string>(Object.entries(KEYS).map(([k, v]) => [v, k]));

function keyFromText(s: string, at: ZoneToken): number {
  const k = KEYS[s.toLowerCase()];
  if (k !== undefined) return k;
  const m = /^key([0-9]{1,5})$/i.exec(s);
  if (m && Number(m[1]) <= 0xffff) return Number(m[1]);
  throw new RdataError(`unknown SVCB parameter key '${s}'`, at);
}

/** BIND 9.18 prints only the RFC 9460 keys 0-6 by name (dohpath and ohttp as keyNNN). */
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

function valueBytes(key: number, raw: string, at: ZoneToken): Uint8Array {
  const w = new WireWriter();
  const tok = (text: string): ZoneToken => ({ ...at, text });
  switch (key) {
    case 0: {
      const keys = splitList(raw).map((k) => keyFromText(k, at));
      if (keys.length === 0) throw new RdataError('empty mandatory list', at);
      const sorted = [...keys].sort((a, b) => a - b);
      for (let i = 0; i < sorted.length; i++) {
        if (sorted[i] === 0) throw new RdataError('mandatory lists itself', at);
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
    case 2: case 8:
      throw new RdataError(`${keyToText(key)} takes no value`, at);
    case 3:
      return w.u16(parseUint(tok(raw), 0xffff)).done();
    case 4: {
      for (const a of splitList(raw)) {
        const b = ipv4FromText(a);
        if (!b) throw new RdataError(`bad IPv4 address '${a}'`, at);
        w.bytes(b);
      }
      return w.done();
    }
    case 6: {
      for (const a of splitList(raw)) {
        const b = ipv6FromText(a);
        if (!b) throw new RdataError(`bad IPv6 address '${a}'`, at);
        w.bytes(b);
      }
      return w.done();
    }
    case 5:
      return base64Decode(raw, at);
    case 7: {
      const b = unescapeText(tok(raw), 65535);
      const s = Buffer.from(b).toString('latin1');
      if (!s.startsWith('/') || !s.includes('{?dns}')) throw new RdataError('bad dohpath', at);
      return b;
    }
    default:
      return unescapeText(tok(raw), 65535);
  }
}

export function svcbFromText(c: TextCursor): Uint8Array {
  const prio = c.u16();
  const target = c.name();
  const params = new Map<number, Uint8Array>();
  while (!c.atEnd()) {
    const t = c.next('a parameter');
    if (t.quoted) throw new RdataError('unexpected quoted string', t);
    const eq = t.text.indexOf('=');
    let keyText = t.text;
    let value: string | undefined;
    if (eq >= 0) {
      keyText = t.text.slice(0, eq);
      value = t.text.slice(eq + 1);
      if (value === '') {
        const nx = c.peek();
        if (nx && nx.quoted) {
          value = nx.text;
          c.i++;
        }
      }
    }
    const key = keyFromText(keyText, t);
    if (params.has(key)) throw new RdataError(`duplicate SVCB parameter '${keyText}'`, t);
    let bytes: Uint8Array;
    if (value === undefined) {
      if (key !== 2 && key !== 8 && key < 9) throw new RdataError(`${keyText} requires a value`, t);
      bytes = new Uint8Array(0);
    } else {
      if (value === '' && (key === 2 || key === 8)) bytes = new Uint8Array(0);
      else bytes = valueBytes(key, value, t);
    }
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
  while (r.left > 0) {
    const k = r.u16();
    seen.add(k);
    const len = r.u16();
    const v = new WireReader(r.bytes(len));
    if (k <= last) throw new RdataError('SVCB keys out of order');
    last = k;
    const name = keyToText(k);
    switch (k) {
      case 0: {
        const keys: string[] = [];
        if (v.left === 0 || v.left % 2) throw new RdataError('bad mandatory');
        while (v.left > 0) keys.push(keyToText(v.u16()));
        parts.push(`${name}=${listText(keys)}`);
        break;
      }
      case 1: {
        const items: string[] = [];
        if (v.left === 0) throw new RdataError('bad alpn');
        while (v.left > 0) {
          const b = v.str();
          if (b.length === 0) throw new RdataError('empty alpn');
          items.push(escapeItem(b));
        }
        parts.push(`${name}="${listText(items)}"`);
        break;
      }
      case 2: case 8:
        if (len !== 0) throw new RdataError(`${name} has a value`);
        parts.push(name);
        break;
      case 3:
        if (len !== 2) throw new RdataError('bad port');
        parts.push(`${name}=${v.u16()}`);
        break;
      case 4: {
        if (len === 0 || len % 4) throw new RdataError('bad ipv4hint');
        const a: string[] = [];
        while (v.left > 0) a.push(ipv4ToText(v.bytes(4)));
        parts.push(`${name}=${a.join(',')}`);
        break;
      }
      case 6: {
        if (len === 0 || len % 16) throw new RdataError('bad ipv6hint');
        const a: string[] = [];
        while (v.left > 0) a.push(ipv6ToText(v.bytes(16)));
        parts.push(`${name}=${a.join(',')}`);
        break;
      }
      case 5:
        parts.push(`${name}=${base64Encode(v.rest())}`);
        break;
      default: {
        const b = v.rest();
        parts.push(b.length ? `${name}=${quoteText(b)}` : name);
      }
    }
    v.end();
  }
  if (seen.has(2) && !seen.has(1)) throw new RdataError('no-default-alpn without alpn');
  return parts.join(' ');
}

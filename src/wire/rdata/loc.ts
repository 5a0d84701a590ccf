// LOC RDATA (RFC 1876): degrees/minutes/seconds, altitude and the three
// precision fields as mantissa/exponent centimetres, in BIND's printed form.

import { RdataError, TextCursor, WireReader, WireWriter } from './codec.js';
import { GenericOnly } from './generic.js';

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

function parseMeters(text: string, min: number, max: number, what: string, c: TextCursor): number {
  // A sign only on the altitude (BIND reads it with strtol), the unit in lower case.
  const m = (min < 0 ? /^([-+]?)([0-9]+)(?:\.([0-9]{1,2}))?m?$/ : /^()([0-9]+)(?:\.([0-9]{1,2}))?m?$/).exec(text);
  if (!m) throw new RdataError(`bad LOC ${what} '${text}'`, c.tokens[c.i - 1]);
  const cm = Number(m[2]) * 100 + Number((m[3] ?? '0').padEnd(2, '0'));
  const v = m[1] === '-' ? -cm : cm;
  if (v < min || v > max) throw new RdataError(`LOC ${what} out of range`, c.tokens[c.i - 1]);
  return v;
}

function precision(cm: number): number {
  let exp = 0;
  while (exp < 9 && cm >= POW10[exp + 1]) exp++;
  const man = Math.floor(cm / POW10[exp]);
  return (man << 4) | exp;
}

function coord(c: TextCursor, maxDeg: number, pos: string, neg: string): number {
  const d = c.word('degrees');
  if (!/^[0-9]+$/.test(d.text) || Number(d.text) > maxDeg) throw new RdataError(`bad LOC degrees '${d.text}'`, d);
  let ms = Number(d.text) * 3600000;
  let t = c.word('a direction');
  if (/^[0-9]+$/.test(t.text)) {
    if (Number(t.text) > 59) throw new RdataError(`bad LOC minutes '${t.text}'`, t);
    ms += Number(t.text) * 60000;
    t = c.word('a direction');
    // Seconds as BIND reads them: "1.", ".5" and "1.5" are all numbers.
    const sm = /^([0-9]*)(?:\.([0-9]{0,3}))?$/.exec(t.text);
    if (sm && /[0-9]/.test(t.text)) {
      if (Number(sm[1] || '0') > 59) throw new RdataError(`bad LOC seconds '${t.text}'`, t);
      ms += Number(sm[1] || '0') * 1000 + Number((sm[2] ?? '0').padEnd(3, '0'));
      t = c.word('a direction');
    }
  }
  // The hemisphere letter in upper case only, as BIND accepts it.
  const dir = t.text;
  if (dir !== pos && dir !== neg) throw new RdataError(`bad LOC direction '${t.text}'`, t);
  if (ms > maxDeg * 3600000) throw new RdataError('LOC coordinate out of range', t);
  return dir === pos ? 0x80000000 + ms : 0x80000000 - ms;
}

export function locFromText(c: TextCursor): Uint8Array {
  const lat = coord(c, 90, 'N', 'S');
  const lon = coord(c, 180, 'E', 'W');
  const alt = parseMeters(c.word('an altitude').text, -10000000, 4284967295, 'altitude', c);
  let size = 100;
  let hp = 1000000;
  let vp = 1000;
  if (!c.atEnd()) size = parseMeters(c.word('a size').text, 0, 9000000000, 'size', c);
  if (!c.atEnd()) hp = parseMeters(c.word('a precision').text, 0, 9000000000, 'precision', c);
  if (!c.atEnd()) vp = parseMeters(c.word('a precision').text, 0, 9000000000, 'precision', c);
  return new WireWriter().u8(0).u8(precision(size)).u8(precision(hp)).u8(precision(vp))
    .u32(lat >>> 0).u32(lon >>> 0).u32(alt + 10000000).done();
}

function precText(b: number): string {
  const man = (b >> 4) & 0x0f;
  const exp = b & 0x0f;
  // A non-zero size or precision needs a mantissa of 1-9 (BIND's range check).
  if (man > 9 || exp > 9 || (b !== 0 && man === 0)) throw new RdataError('bad LOC precision');
  if (exp >= 2) return `${man * POW10[exp - 2]}m`;
  return `0.${String(man * POW10[exp]).padStart(2, '0')}m`;
}

function coordText(v: number, maxDeg: number, pos: string, neg: string): string {
  let x = v - 0x80000000;
  const dir = x < 0 ? neg : pos;
  x = Math.abs(x);
  if (x > maxDeg * 3600000) throw new RdataError('LOC coordinate out of range');
  const d = Math.floor(x / 3600000);
  x %= 3600000;
  const m = Math.floor(x / 60000);
  x %= 60000;
  const s = Math.floor(x / 1000);
  const msec = x % 1000;
  return `${d} ${m} ${s}.${String(msec).padStart(3, '0')} ${dir}`;
}

export function locToText(r: WireReader): string {
  const version = r.u8();
  if (version !== 0) {
    // RFC 1876 §2: only version 0 has a text form; BIND keeps others and prints them generically.
    r.rest();
    throw new GenericOnly();
  }
  const size = precText(r.u8());
  const hp = precText(r.u8());
  const vp = precText(r.u8());
  const lat = coordText(r.u32(), 90, 'N', 'S');
  const lon = coordText(r.u32(), 180, 'E', 'W');
  const altRaw = r.u32();
  const below = altRaw < 10000000;
  const alt = below ? 10000000 - altRaw : altRaw - 10000000;
  return `${lat} ${lon} ${below ? '-' : ''}${Math.floor(alt / 100)}.${String(alt % 100).padStart(2, '0')}m ${size} ${hp} ${vp}`;
}

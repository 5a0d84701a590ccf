// RDATA presentation text <-> uncompressed wire form for every type Triad knows,
// with RFC 3597 `\# len hex` for any type (and the only form for unknown ones).

import { typeToText } from './rr-type.js';
import { RdataError, TextCursor, WireReader, hexDecode, hexEncode, chunk } from './rdata/codec.js';
import { codecFor, GenericOnly } from './rdata/types.js';
import type { ZoneToken } from './zone-token.js';

export { RdataError } from './rdata/codec.js';

/**
 * The longest RDATA BIND 9.18's master-file loader takes (longer data, up to
 * RFC 1035's 65535, is refused with "ran out of space").
 */
const MAX_RDATA = 65510;

/** True when the rdata tokens use the RFC 3597 §5 generic form (`\#` and a length at least). */
export function isGenericForm(tokens: ZoneToken[]): boolean {
  // A lone `\#` is ordinary text (a TXT of "#"), as BIND reads it.
  return tokens.length > 1 && !tokens[0].quoted && tokens[0].text === '\\#';
}

/**
 * Parses RDATA tokens of `type` (relative names complete with `origin`).
 * Known types given in generic form are checked by decoding them as BIND does.
 */
export function rdataFromText(type: number, tokens: ZoneToken[], origin: Uint8Array, last?: ZoneToken): Uint8Array {
  if (isGenericForm(tokens)) {
    const c = new TextCursor(tokens, origin, last);
    c.next('\\#');
    const lenTok = c.word('the RDATA length');
    if (!/^[0-9]+$/.test(lenTok.text) || Number(lenTok.text) > 65535) throw new RdataError(`bad RDATA length '${lenTok.text}'`, lenTok);
    const len = Number(lenTok.text);
    const rest = c.rest();
    const q = rest.find((t) => t.quoted);
    if (q) throw new RdataError('unexpected quoted string in \\# data', q);
    const data = hexDecode(rest.map((t) => t.text).join(''), rest[0] ?? lenTok);
    if (data.length !== len) throw new RdataError(`RDATA length ${len} does not match the data (${data.length} octets)`, lenTok);
    if (data.length > MAX_RDATA) throw new RdataError('RDATA too long', lenTok);
    const codec = codecFor(type);
    if (codec) {
      // Known types in generic form get the checks BIND makes on wire data.
      guarded(type, lenTok, () => rdataFromWire(type, data), `bad ${typeToText(type)} RDATA: `);
    }
    return data;
  }
  const codec = codecFor(type);
  if (!codec) {
    throw new RdataError(`${typeToText(type)} RDATA must use the \\# generic form`, tokens[0] ?? last);
  }
  const c = new TextCursor(tokens, origin, last);
  const data = guarded(type, tokens[0] ?? last, () => {
    const d = codec.fromText(c);
    c.end();
    return d;
  });
  if (data.length > MAX_RDATA) throw new RdataError('RDATA too long', tokens[0] ?? last);
  return data;
}

/**
 * Runs a codec step; a failure that is not an RdataError is a Triad bug, reported
 * as an error of this record (never an exception escaping the loader).
 */
function guarded<R>(type: number, at: ZoneToken | undefined, fn: () => R, prefix = ''): R {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RdataError) throw prefix ? new RdataError(prefix + e.message, e.token ?? at) : e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new RdataError(`internal error reading ${typeToText(type)} RDATA: ${msg}`, at);
  }
}

/**
 * Checks uncompressed wire RDATA as BIND does when it reads it (RFC 3597 form in a
 * zone file, or a record off the wire) and returns its presentation form.
 */
export function rdataFromWire(type: number, rdata: Uint8Array): string {
  codecFor(type)?.checkWire?.(rdata);
  return rdataToText(type, rdata);
}

/** BIND's presentation form of RDATA; throws RdataError when it is malformed for its type. */
export function rdataToText(type: number, rdata: Uint8Array): string {
  const codec = codecFor(type);
  if (codec) {
    try {
      const r = new WireReader(rdata);
      const s = codec.toText(r);
      r.end();
      return s;
    } catch (e) {
      // NULL, and data of unknown versions or formats, have no text form but the generic one.
      if (!(e instanceof GenericOnly)) throw e;
    }
  }
  return genericText(rdata);
}

export function genericText(rdata: Uint8Array): string {
  return rdata.length === 0 ? '\\# 0' : `\\# ${rdata.length} ${chunk(hexEncode(rdata))}`;
}

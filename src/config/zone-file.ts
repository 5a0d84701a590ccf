// Master-file parser (RFC 1035 §5 with BIND's extensions): directives, owners,
// TTL/class/type fields and $GENERATE expansion. Produces one entry per record
// with its RDATA still as tokens; the DNS zone loader turns those into wire data.
// TTL defaulting follows BIND's master loader: $TTL, else the previous record's
// TTL (RFC 1035 semantics), else the SOA minimum for an SOA with a warning.

import path from 'node:path';
import { readConfigText, readLatin1, type ReadText } from './config-file.js';
import type { DiagnosticSink, Position } from './diagnostics.js';
import { lexZoneText, type ZoneLine, type ZoneToken } from './zone-lexer.js';
import { parseName, NameError } from '../wire/dns-name.js';
import { classFromText, typeFromText, T } from '../wire/rr-type.js';
import { parseTtl } from '../wire/ttl.js';

export type { ZoneToken } from './zone-lexer.js';

export interface ZoneEntry {
  /** Owner in wire form, case as written. */
  owner: Uint8Array;
  /** TTL after BIND's defaulting rules. */
  ttl: number;
  /** The class field when one was written. */
  class?: number;
  type: number;
  /** RDATA tokens, escapes kept. */
  rdata: ZoneToken[];
  /** $ORIGIN in effect, for relative names in RDATA. */
  origin: Uint8Array;
  /** Where the record starts (owner, or first field of an owner-less line). */
  pos: Position;
  /** The last token of the record, for "unexpected end" positions. */
  last: ZoneToken;
  /** The entry came from a $GENERATE line. */
  generated?: boolean;
  /** Bumped at each $INCLUDE boundary: BIND's loader commits pending records there. */
  segment: number;
}

export interface ZoneFileOptions {
  /** Path as it is shown in diagnostics. */
  file: string;
  /** File text; read from `file` (resolved against `directory`) when absent. */
  text?: string;
  /** Initial $ORIGIN: the zone name (records outside it are out-of-zone). */
  origin: Uint8Array;
  /** Base for a relative file and for `$INCLUDE` paths (named.conf `directory`, or the cwd for checkzone). */
  directory: string;
  sink: DiagnosticSink;
  /** Reads included files; defaults to the file system. */
  readFile?: ReadText;
}

const MAX_TTL = 0x7fffffff; // RFC 2181 §8
const MAX_GENERATE = 1_000_000;

/** BIND's per-load TTL state (master.c: ttl, ttl_known, default_ttl, default_ttl_known). */
interface TtlState {
  ttl: number;
  ttlKnown: boolean;
  defaultTtl: number;
  defaultKnown: boolean;
  warned1035: boolean;
}

interface FileContext {
  file: string;
  origin: Uint8Array;
  lastOwner?: Uint8Array;
  /** Shared counter of $INCLUDE boundaries. */
  seg: { n: number };
}

/** Parses a master file (and its $INCLUDEs). Errors go to the sink; good records are still returned. */
export function parseZoneFile(opts: ZoneFileOptions): ZoneEntry[] {
  const out: ZoneEntry[] = [];
  const ttl: TtlState = { ttl: 0, ttlKnown: false, defaultTtl: 0, defaultKnown: false, warned1035: false };
  const read = opts.readFile ?? readLatin1;
  const stack: string[] = [];
  let text = opts.text;
  const abs = path.resolve(opts.directory, opts.file);
  if (text === undefined) {
    text = readConfigText(abs, opts.sink, undefined, read, opts.file);
    if (text === undefined) return out;
  }
  stack.push(abs);
  const ctx: FileContext = { file: opts.file, origin: opts.origin, seg: { n: 0 } };
  parseText(text, ctx, opts, ttl, out, stack, read);
  return out;
}

function parseText(
  text: string, ctx: FileContext, opts: ZoneFileOptions, ttl: TtlState, out: ZoneEntry[], stack: string[],
  read: ReadText,
): void {
  const sink = opts.sink;
  sink.addSource(ctx.file, text);
  const lines = lexZoneText(ctx.file, text, sink);
  for (const line of lines) {
    if (line.broken) continue;
    const first = line.tokens[0];
    if (!line.blankOwner && !first.quoted && first.text.startsWith('$')) {
      directive(line, ctx, opts, ttl, out, stack, read);
      continue;
    }
    record(line, ctx, opts, ttl, out);
  }
}

function tokPos(t: ZoneToken): Position {
  return { file: t.file, line: t.line, col: t.col };
}

function nameOrError(t: ZoneToken, origin: Uint8Array, sink: DiagnosticSink): Uint8Array | undefined {
  try {
    return parseName(t.text, origin);
  } catch (e) {
    if (e instanceof NameError) {
      sink.error(tokPos(t), e.message);
      return undefined;
    }
    throw e;
  }
}

/** Applies limit_ttl(): a TTL above 2^31-1 becomes 0 with a warning (RFC 2181 §8). */
function limitTtl(v: number, t: ZoneToken, sink: DiagnosticSink, what: string): number {
  if (v > MAX_TTL) {
    sink.warning(tokPos(t), `${what} ${v} > MAXTTL, setting ${what} to 0`);
    return 0;
  }
  return v;
}

function directive(
  line: ZoneLine, ctx: FileContext, opts: ZoneFileOptions, ttl: TtlState, out: ZoneEntry[], stack: string[],
  read: ReadText,
): void {
  const sink = opts.sink;
  const [d, ...args] = line.tokens;
  const name = d.text.toUpperCase();
  if (line.atEof && (name === '$ORIGIN' || name === '$TTL' || name === '$GENERATE')) {
    // BIND wants these directives ended by a newline; at end of file it reports extra input.
    sink.error(tokPos(line.tokens[line.tokens.length - 1]), `extra input text: ${d.text} at end of file without a newline`);
    return;
  }
  if (name === '$ORIGIN') {
    if (args.length !== 1) {
      sink.error(tokPos(args[1] ?? d), args.length === 0 ? '$ORIGIN needs a domain name' : 'extra input text after $ORIGIN');
      return;
    }
    const o = nameOrError(args[0], ctx.origin, sink);
    if (o) ctx.origin = o;
    return;
  }
  if (name === '$TTL') {
    if (args.length !== 1) {
      sink.error(tokPos(args[1] ?? d), args.length === 0 ? '$TTL needs a value' : 'extra input text after $TTL');
      return;
    }
    const v = parseTtl(args[0].text);
    if (v === undefined || Number.isNaN(v) || args[0].quoted) {
      sink.error(tokPos(args[0]), `bad TTL '${args[0].text}'`);
      return;
    }
    ttl.ttl = limitTtl(v, args[0], sink, '$TTL');
    ttl.defaultTtl = ttl.ttl;
    ttl.defaultKnown = true;
    return;
  }
  if (name === '$INCLUDE') {
    if (args.length < 1 || args.length > 2) {
      sink.error(tokPos(args[2] ?? d), args.length === 0 ? '$INCLUDE needs a file name' : 'extra input text after $INCLUDE');
      return;
    }
    let origin = ctx.origin;
    if (args.length === 2) {
      const o = nameOrError(args[1], ctx.origin, sink);
      if (!o) return;
      origin = o;
    }
    const rel = args[0].text;
    const abs = path.resolve(opts.directory, rel);
    if (stack.includes(abs)) {
      sink.error(tokPos(args[0]), `$INCLUDE loop: '${rel}' is already being read`);
      return;
    }
    const text = readConfigText(abs, sink, tokPos(args[0]), read);
    if (text === undefined) return;
    stack.push(abs);
    // RFC 1035 §5.1: origin and current owner revert after the included file; the file starts with the current owner, as in BIND.
    const inner: FileContext = { file: rel, origin, lastOwner: ctx.lastOwner, seg: ctx.seg };
    ctx.seg.n++;
    parseText(text, inner, opts, ttl, out, stack, read);
    ctx.seg.n++;
    stack.pop();
    return;
  }
  if (name === '$GENERATE') {
    generate(line, ctx, sink, ttl, out);
    return;
  }
  sink.error(tokPos(d), `unknown $ directive '${d.text}'`);
}

/** Owner/TTL/class/type of a record line, then its RDATA tokens. */
function record(line: ZoneLine, ctx: FileContext, opts: ZoneFileOptions, ttl: TtlState, out: ZoneEntry[]): void {
  const sink = opts.sink;
  const toks = line.tokens;
  let i = 0;
  let owner: Uint8Array | undefined;
  if (line.blankOwner) {
    owner = ctx.lastOwner;
    if (!owner) {
      sink.error(tokPos(toks[0]), 'no current owner name');
      return;
    }
  } else {
    owner = nameOrError(toks[0], ctx.origin, sink);
    i = 1;
    if (!owner) return;
    ctx.lastOwner = owner;
  }
  const pos = tokPos(toks[0]);
  const f = fields(toks, i, sink, ttl);
  if (!f) return;
  const rdata = toks.slice(f.next);
  const last = toks[toks.length - 1];
  if (!inZone(owner, opts.origin)) {
    // Out-of-zone data is ignored by the loader; BIND skips TTL defaulting for it.
    out.push({ owner, ttl: f.explicitTtl ?? 0, class: f.cls, type: f.type, rdata, origin: ctx.origin, pos, last, segment: ctx.seg.n });
    return;
  }
  const resolved = resolveTtl(f.explicitTtl, f.type, rdata, f.typeTok, sink, ttl);
  if (resolved === undefined) return;
  out.push({ owner, ttl: resolved, class: f.cls, type: f.type, rdata, origin: ctx.origin, pos, last, segment: ctx.seg.n });
}

interface Fields {
  explicitTtl?: number;
  cls?: number;
  type: number;
  typeTok: ZoneToken;
  next: number;
}

/** `[class] [ttl] [class] type`, the order BIND's loader tries them in. */
function fields(toks: ZoneToken[], start: number, sink: DiagnosticSink, ttl: TtlState): Fields | undefined {
  let i = start;
  let cls: number | undefined;
  let explicitTtl: number | undefined;
  const at = (): ZoneToken | undefined => toks[i];
  let t = at();
  if (t && !t.quoted) {
    const c = classFromText(t.text);
    if (c !== undefined) {
      // CLASS0 reads as "no class given" in BIND.
      cls = c === 0 ? undefined : c;
      i++;
    }
  }
  t = at();
  if (t && !t.quoted) {
    const v = parseTtl(t.text);
    if (v !== undefined && !Number.isNaN(v)) {
      explicitTtl = limitTtl(v, t, sink, 'TTL');
      ttl.ttl = explicitTtl;
      ttl.ttlKnown = true;
      i++;
    }
  }
  t = at();
  if (cls === undefined && t && !t.quoted) {
    const c = classFromText(t.text);
    if (c !== undefined) {
      cls = c;
      i++;
    }
  }
  t = at();
  if (!t) {
    const lastTok = toks[toks.length - 1];
    sink.error(tokPos(lastTok), 'unexpected end of line, expected a type');
    return undefined;
  }
  const type = t.quoted ? undefined : typeFromText(t.text);
  if (type === undefined) {
    sink.error(tokPos(t), `unknown RR type '${t.text}'`);
    return undefined;
  }
  if (type === 0 || type === T.OPT || (type >= 128 && type <= 255)) {
    sink.error(tokPos(t), `meta type '${t.text}' not allowed in a zone file`);
    return undefined;
  }
  return { explicitTtl, cls, type, typeTok: t, next: i + 1 };
}

function resolveTtl(
  explicit: number | undefined, type: number, rdata: ZoneToken[], typeTok: ZoneToken, sink: DiagnosticSink, ttl: TtlState,
): number | undefined {
  if (explicit !== undefined) return explicit;
  if (!ttl.ttlKnown && !ttl.defaultKnown) {
    if (type === T.SOA) {
      const minTok = rdata[6];
      const v = minTok ? parseTtl(minTok.text) : undefined;
      sink.warning(tokPos(typeTok), 'no TTL specified; using SOA MINTTL instead');
      ttl.ttl = v === undefined || Number.isNaN(v) ? 0 : limitTtl(v, minTok, sink, 'TTL');
      ttl.defaultTtl = ttl.ttl;
      ttl.defaultKnown = true;
      return ttl.ttl;
    }
    sink.error(tokPos(typeTok), 'no TTL specified; zone rejected');
    return undefined;
  }
  if (ttl.defaultKnown) {
    ttl.ttl = ttl.defaultTtl;
    return ttl.ttl;
  }
  if (!ttl.warned1035) {
    sink.warning(tokPos(typeTok), 'using RFC1035 TTL semantics');
    ttl.warned1035 = true;
  }
  return ttl.ttl;
}

// ---- $GENERATE ------------------------------------------------------------

/** `$GENERATE start-stop[/step] lhs [ttl] [class] type rhs` (BIND ARM, "The $GENERATE Directive"). */
function generate(line: ZoneLine, ctx: FileContext, sink: DiagnosticSink, ttl: TtlState, out: ZoneEntry[]): void {
  const toks = line.tokens;
  const d = toks[0];
  const rangeTok = toks[1];
  const lhsTok = toks[2];
  if (!rangeTok || !lhsTok) {
    sink.error(tokPos(rangeTok ?? d), '$GENERATE: unexpected end of line');
    return;
  }
  if (line.parens) {
    sink.error(tokPos(d), '$GENERATE: parentheses are not allowed');
    return;
  }
  // BIND reads the range like sscanf("%u-%u%1[/]%u"): text after the numbers is
  // ignored, but a '/' must be followed by a step.
  const m = /^([0-9]+)-([0-9]+)(?:(\/)([0-9]+)?)?/.exec(rangeTok.text);
  if (!m || (m[3] !== undefined && m[4] === undefined)) {
    sink.error(tokPos(rangeTok), `$GENERATE: bad range '${rangeTok.text}'`);
    return;
  }
  const start = Number(m[1]);
  const stop = Number(m[2]);
  const step = m[4] === undefined ? 1 : Number(m[4]);
  if (start > 0xffffffff || stop > 0xffffffff || start > stop || step < 1 || step > 0xffffffff) {
    sink.error(tokPos(rangeTok), `$GENERATE: invalid range '${rangeTok.text}'`);
    return;
  }
  // A bound BIND does not have: one line may not make more than a million records,
  // so a typo in a range cannot exhaust the process's memory.
  if (Math.floor((stop - start) / step) + 1 > MAX_GENERATE) {
    sink.error(tokPos(rangeTok), `$GENERATE: range '${rangeTok.text}' makes more than ${MAX_GENERATE} records`);
    return;
  }
  const f = fields(toks, 3, sink, ttl);
  if (!f) return;
  const rhsTok = toks[f.next];
  if (!rhsTok) {
    sink.error(tokPos(toks[toks.length - 1]), '$GENERATE: unexpected end of line, expected the right-hand side');
    return;
  }
  if (toks.length > f.next + 1) {
    sink.error(tokPos(toks[f.next + 1]), 'extra input text');
    return;
  }
  let ttlValue: number;
  if (!ttl.ttlKnown && !ttl.defaultKnown) {
    sink.error(tokPos(d), '$GENERATE: no TTL specified');
    return;
  }
  if (f.explicitTtl !== undefined) ttlValue = f.explicitTtl;
  else if (ttl.defaultKnown) ttlValue = ttl.ttl = ttl.defaultTtl;
  else ttlValue = ttl.ttl;
  // A $GENERATE line does not change the current owner (BIND keeps it).
  for (let it = start; it <= stop; it += step) {
    const ownerText = expand(lhsTok, it, sink);
    const rhsText = expand(rhsTok, it, sink);
    if (ownerText === undefined || rhsText === undefined) return;
    let owner: Uint8Array;
    try {
      owner = parseName(ownerText, ctx.origin);
    } catch (e) {
      if (e instanceof NameError) {
        sink.error(tokPos(lhsTok), `$GENERATE: ${e.message}`);
        return;
      }
      throw e;
    }
    // The expanded right-hand side is lexed again as a line of its own.
    const lexed = lexZoneText(rhsTok.file, rhsText, sink);
    const rdata: ZoneToken[] = [];
    for (const l of lexed) for (const t of l.tokens) rdata.push({ ...t, file: rhsTok.file, line: rhsTok.line, col: rhsTok.col });
    out.push({
      owner, ttl: ttlValue, class: f.cls, type: f.type, rdata, origin: ctx.origin, pos: tokPos(d),
      last: rhsTok, generated: true, segment: ctx.seg.n,
    });
    if (it + step > stop) break;
  }
}

/** Substitutes `$`, `${offset[,width[,base]]}` and `$$`; `\x` is copied with its backslash. */
function expand(tok: ZoneToken, it: number, sink: DiagnosticSink): string | undefined {
  const s = tok.text;
  let outText = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      outText += c;
      if (i + 1 < s.length) outText += s[++i];
      continue;
    }
    if (c !== '$') {
      outText += c;
      continue;
    }
    if (s[i + 1] === '$') {
      outText += '$';
      i++;
      continue;
    }
    let offset = 0;
    let width = 0;
    let base = 'd';
    if (s[i + 1] === '{') {
      const close = s.indexOf('}', i + 2);
      const m = close < 0 ? null : /^(-?[0-9]+)(?:,([0-9]+)(?:,([doxXnN]))?)?$/.exec(s.slice(i + 2, close));
      if (!m) {
        sink.error(tokPos(tok), `$GENERATE: bad modifier in '${s}'`);
        return undefined;
      }
      offset = Number(m[1]);
      width = m[2] === undefined ? 0 : Number(m[2]);
      base = m[3] ?? 'd';
      i = close;
    }
    const v = it + offset;
    // BIND computes in a C int: overflow is an error, negative values print as
    // signed decimal or as their 32-bit two's complement in the other bases.
    if (v > 0x7fffffff || v < -0x80000000) {
      sink.error(tokPos(tok), `$GENERATE: value ${v} out of range`);
      return undefined;
    }
    outText += formatValue(base === 'd' ? v : v >>> 0, width, base);
  }
  return outText;
}

function formatValue(v: number, width: number, base: string): string {
  if (base === 'n' || base === 'N') return nibbles(v, width, base === 'N');
  const radix = base === 'o' ? 8 : base === 'x' || base === 'X' ? 16 : 10;
  let s = Math.abs(v).toString(radix);
  if (base === 'X') s = s.toUpperCase();
  return (v < 0 ? '-' : '') + s.padStart(v < 0 ? width - 1 : width, '0');
}

/** Reverse-nibble labels (`a.b.c`), width counting dots too, as BIND's nibbles(). */
function nibbles(value: number, width: number, upper: boolean): string {
  const hex = upper ? '0123456789ABCDEF' : '0123456789abcdef';
  let s = '';
  let v = value;
  let w = width;
  do {
    s += hex[v % 16];
    v = Math.floor(v / 16);
    if (w > 0) w--;
    if (w > 0 || v !== 0) {
      s += '.';
      if (w > 0) w--;
    }
  } while (v !== 0 || w > 0);
  return s;
}

/**
 * `name` equals `zone` or lies below it, compared case-insensitively without
 * building strings (name.ts's isSubdomain allocates two keys; this runs per record).
 */
export function inZone(name: Uint8Array, zone: Uint8Array): boolean {
  const off = name.length - zone.length;
  if (off < 0) return false;
  let i = 0;
  while (i < off) i += name[i] + 1;
  if (i !== off) return false;
  for (let j = 0; j < zone.length; j++) {
    let a = name[off + j];
    let b = zone[j];
    if (a >= 0x41 && a <= 0x5a) a += 32;
    if (b >= 0x41 && b <= 0x5a) b += 32;
    if (a !== b) return false;
  }
  return true;
}

// The dhcpd.leases format (dhcpd.leases(5)), both ways, so a user can move from ISC
// dhcpd to Triad and back: `lease A.B.C.D { starts W YYYY/MM/DD HH:MM:SS; … }`, times
// in UTC, later records for an address replacing earlier ones.

import { DiagnosticSink } from '../config/diagnostics.js';
import { tokenize, type Token } from '../config/tokenizer.js';
import { formatIPv4, parseHexList, parseIPv4 } from '../config/dhcp-options.js';
import { formatMac } from '../wire/mac.js';
import type { BindingState, Billing, Lease } from './lease.js';
import { keptCopy } from './kept-bytes.js';

const STATES = new Set(['active', 'free', 'abandoned', 'expired', 'released', 'backup', 'reset', 'bootp']);
const HW: Record<string, number> = { ethernet: 1, 'token-ring': 6, fddi: 8, infiniband: 32 };
const HW_NAME: Record<number, string> = { 1: 'ethernet', 6: 'token-ring', 8: 'fddi', 32: 'infiniband' };

export const LEASE_FILE_HEADER =
  '# The format of this file is documented in the dhcpd.leases(5) manual page.\n# This lease file was written by Triad (ISC dhcpd compatible)\n\nauthoring-byte-order little-endian;\n\n';

/** Time as dhcpd writes it: `W YYYY/MM/DD HH:MM:SS` (UTC, W = weekday 0–6). */
const timeMemo = new Map<number, string>();

export function formatLeaseTime(sec: number): string {
  if (!Number.isFinite(sec) || sec >= 0xffffffff) return 'never';
  // Bursts write the same few seconds over and over: remember recent ones.
  const hit = timeMemo.get(sec);
  if (hit !== undefined) return hit;
  const text = formatTime(sec);
  if (timeMemo.size > 64) timeMemo.clear();
  timeMemo.set(sec, text);
  return text;
}

function formatTime(sec: number): string {
  const d = new Date(sec * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCDay()} ${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** Per octet: itself when printable, else its `\ooo` escape (dhcpd's uid form). */
const UID_CHAR = Array.from({ length: 256 }, (_, c) => (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c ? String.fromCharCode(c) : '\\' + c.toString(8).padStart(3, '0')));

/** A uid as dhcpd writes it: a quoted string with octal escapes for non-printables. */
function formatUid(b: Buffer): string {
  let s = '"';
  for (let i = 0; i < b.length; i++) s += UID_CHAR[b[i]];
  return s + '"';
}

function quote(text: string): string {
  return '"' + text.replace(/[\\"]/g, (c) => '\\' + c).replace(/[\x00-\x1f\x7f]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0')) + '"';
}

export function formatLease(l: Lease): string {
  let s = `lease ${formatIPv4(l.ip)} {\n  starts ${formatLeaseTime(l.starts)};\n  ends ${formatLeaseTime(l.ends)};\n`;
  if (l.cltt !== undefined) s += `  cltt ${formatLeaseTime(l.cltt)};\n`;
  s += `  binding state ${l.state};\n`;
  if (l.state === 'active') s += '  next binding state free;\n  rewind binding state free;\n';
  if (l.hwAddr) s += `  hardware ${HW_NAME[l.hwType ?? 1] ?? 'ethernet'} ${formatMac(l.hwAddr)};\n`;
  if (l.uid && l.uid.length) s += `  uid ${formatUid(l.uid)};\n`;
  if (l.hostname) s += `  client-hostname ${quote(l.hostname)};\n`;
  if (l.billing) s += `  ${formatBilling(l.billing)};\n`;
  return s + '}\n';
}

/** dhcpd's form: `billing class "name"`, or `billing subclass "name" data` (a string when printable). */
function formatBilling(b: Billing): string {
  if (b.sub === undefined) return `billing class ${quote(b.cls)}`;
  const d = Buffer.from(b.sub, 'hex');
  const printable = d.length > 0 && d.every((c) => c >= 0x20 && c < 0x7f);
  return `billing subclass ${quote(b.cls)} ${printable ? quote(d.toString('latin1')) : formatMac(d)}`;
}

function decodeEscapes(raw: string): Buffer {
  const out: number[] = [];
  for (let k = 0; k < raw.length; k++) {
    const c = raw[k];
    if (c === '\\' && k + 1 < raw.length) {
      const m = /^[0-7]{1,3}/.exec(raw.slice(k + 1));
      if (m) {
        out.push(parseInt(m[0], 8) & 255);
        k += m[0].length;
        continue;
      }
      out.push(raw.charCodeAt(++k) & 255);
      continue;
    }
    out.push(c.charCodeAt(0) & 255);
  }
  return Buffer.from(out);
}

function parseTime(words: Token[]): number | undefined {
  if (words.length === 1 && words[0].value === 'never') return Infinity;
  if (words.length === 2 && words[0].value === 'epoch') return Number(words[1].value);
  if (words.length !== 3) return undefined;
  const m = /^(\d+)\/(\d+)\/(\d+)$/.exec(words[1].value);
  const n = /^(\d+):(\d+):(\d+)$/.exec(words[2].value);
  if (!m || !n) return undefined;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +n[1], +n[2], +n[3]) / 1000;
}

export interface ParsedLeases {
  leases: Map<number, Lease>;
  /** Problems, reported with positions; a damaged record is skipped, not fatal. */
  sink: DiagnosticSink;
  /** The file is damaged (a record cut short, garbage): the errors in `sink` say where. */
  damaged: boolean;
}

/** Top-level statements dhcpd writes besides `lease` (dhcpd.leases(5)); anything else is damage. */
const TOP_LEVEL = new Set(['authoring-byte-order', 'server-duid', 'failover', 'host', 'group', 'class', 'subclass', 'ia-na', 'ia-ta', 'ia-pd', 'db-time-format', 'lease']);

/**
 * Parses a dhcpd.leases text; the last record of an address wins (the file is a journal).
 * A damaged file (cut short by a power failure, garbage written into it) loses only
 * the damaged records: every `lease ADDRESS {` starts a record afresh, so a torn
 * record never swallows the intact ones after it.
 */
export function parseLeaseFile(file: string, text: string): ParsedLeases {
  const sink = new DiagnosticSink();
  sink.addSource(file, text);
  // A lease file's strings never span lines: a stray quote spoils its own line only.
  const toks = tokenize(file, text, sink, { hashComments: true, punctuation: ['{', '}', ';'], lineStrings: true });
  const leases = new Map<number, Lease>();
  let i = 0;
  let inGarbage = false;
  const isP = (t: Token, v: string): boolean => t.kind === 'punct' && t.value === v;
  /** `lease A.B.C.D {` at toks[k]. */
  const recordAt = (k: number): boolean => toks[k].kind === 'word' && toks[k].value === 'lease' && toks[k + 1]?.kind === 'word' &&
    parseIPv4(toks[k + 1].value) !== undefined && isP(toks[k + 2], '{');
  while (toks[i].kind !== 'eof') {
    const t = toks[i];
    if (recordAt(i)) {
      inGarbage = false;
      const ip = parseIPv4(toks[i + 1].value) ?? 0;
      i += 3;
      const lease: Lease = { ip, starts: 0, ends: 0, state: 'free' };
      let ok = true;
      // statements until the closing brace (or the next record, when this one was cut short)
      while (toks[i].kind !== 'eof' && !isP(toks[i], '}') && !recordAt(i)) {
        const words: Token[] = [];
        while (toks[i].kind !== 'eof' && !isP(toks[i], ';') && !isP(toks[i], '}') && !recordAt(i)) words.push(toks[i++]);
        if (isP(toks[i], ';')) i++;
        else if (words.length > 0) ok = false;
        if (words.length === 0) {
          if (isP(toks[i], '{')) i++;
          continue;
        }
        const kw = words[0].value;
        const rest = words.slice(1);
        if (kw === 'starts' || kw === 'ends' || kw === 'cltt' || kw === 'tstp' || kw === 'tsfp' || kw === 'atsfp') {
          const v = parseTime(rest);
          if (v === undefined) {
            sink.error(words[0], `bad ${kw} time`);
            ok = false;
          } else if (kw === 'starts') lease.starts = v;
          else if (kw === 'ends') lease.ends = v;
          else if (kw === 'cltt') lease.cltt = v;
        } else if (kw === 'binding' && rest[0]?.value === 'state' && rest[1]) {
          const s = rest[1].value;
          if (!STATES.has(s)) sink.warning(rest[1], `unknown binding state ${s}`);
          lease.state = (s === 'bootp' ? 'active' : s) as BindingState;
        } else if (kw === 'hardware' && rest.length === 2) {
          const hw = parseHexList(rest[1].value);
          if (hw) {
            lease.hwType = HW[rest[0].value] ?? 1;
            lease.hwAddr = keptCopy(hw);
          }
        } else if (kw === 'uid' && rest.length === 1) {
          const uid = rest[0].kind === 'string' ? decodeEscapes(rest[0].value) : parseHexList(rest[0].value);
          lease.uid = uid ? keptCopy(uid) : undefined;
        } else if (kw === 'client-hostname' && rest[0]?.kind === 'string') {
          lease.hostname = decodeEscapes(rest[0].value).toString('latin1');
        } else if (kw === 'billing' && rest[0]?.value === 'class' && rest[1]?.kind === 'string') {
          lease.billing = { cls: decodeEscapes(rest[1].value).toString('latin1') };
        } else if (kw === 'billing' && rest[0]?.value === 'subclass' && rest[1]?.kind === 'string' && rest[2]) {
          const d = rest[2].kind === 'string' ? decodeEscapes(rest[2].value) : parseHexList(rest[2].value);
          if (d) lease.billing = { cls: decodeEscapes(rest[1].value).toString('latin1'), sub: d.toString('hex') };
        }
        // Everything else (next binding state, set …, on …, option agent…) is ISC bookkeeping.
      }
      if (isP(toks[i], '}')) {
        i++;
        if (ok) leases.set(lease.ip, lease);
        else sink.error(t, `lease ${formatIPv4(ip)}: damaged record skipped`);
      } else {
        sink.error(t, `lease ${formatIPv4(ip)}: record cut short, skipped`);
      }
      continue;
    }
    if (t.kind !== 'word' || !TOP_LEVEL.has(t.value)) {
      // One error per stretch of garbage, not one per `;` in it.
      if (!inGarbage) sink.error(t, `unexpected ${t.kind === 'word' || t.kind === 'string' ? `'${printable(t.value)}'` : `'${t.value}'`}: skipped to the next lease`);
      inGarbage = true;
    } else {
      inGarbage = false;
      if (t.value === 'lease') sink.error(t, 'damaged lease record header, skipped');
    }
    // Other top-level statements (server-duid, authoring-byte-order, failover, host, …): skip one.
    let depth = 0;
    let first = true;
    while (toks[i].kind !== 'eof' && (first || !recordAt(i))) {
      first = false;
      const u = toks[i++];
      if (isP(u, '{')) depth++;
      else if (isP(u, '}')) {
        depth--;
        if (depth <= 0) break;
      } else if (isP(u, ';') && depth === 0) break;
    }
  }
  return { leases, sink, damaged: sink.errors.length > 0 };
}

/** A bit of garbage as a message may show it. */
function printable(text: string): string {
  const s = text.length > 20 ? `${text.slice(0, 20)}…` : text;
  return s.replace(/[^\x20-\x7e…]/g, '?');
}

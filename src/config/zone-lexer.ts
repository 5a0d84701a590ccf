// Lexer for RFC 1035 master files (§5.1): line oriented, `;` comments, `( )`
// joining lines, quoted strings, and BIND's rule that a line starting with
// whitespace has no owner. Tokens keep their backslash escapes; the rdata and
// name parsers decode them, as BIND's master loader does.

import type { DiagnosticSink } from './diagnostics.js';
import type { ZoneToken } from '../wire/zone-token.js';

export type { ZoneToken };

/** One logical line: the tokens between two newlines outside parentheses. */
export interface ZoneLine {
  tokens: ZoneToken[];
  /** The physical line started with blank space: the owner is the previous one. */
  blankOwner: boolean;
  file: string;
  line: number;
  /** An error was reported while lexing this line; the caller skips it. */
  broken: boolean;
  /** Parentheses appeared on the line ($GENERATE refuses them, as BIND does). */
  parens: boolean;
  /** The file ended on this line without a final newline. */
  atEof?: boolean;
}

/**
 * Splits master-file text into logical lines. Lexical errors (unbalanced quotes
 * or parentheses) go to `sink` with their position and mark the line broken.
 */
export function lexZoneText(file: string, text: string, sink: DiagnosticSink): ZoneLine[] {
  const out: ZoneLine[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let cur: ZoneLine | undefined;
  let parens = 0;
  let parenLine = 0;
  let parenCol = 0;
  const startLine = (blank: boolean): ZoneLine => {
    const l: ZoneLine = { tokens: [], blankOwner: blank, file, line, broken: false, parens: false };
    return l;
  };
  const finish = (): void => {
    if (cur && (cur.tokens.length > 0 || cur.broken)) out.push(cur);
    cur = undefined;
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!cur) {
      // At the start of a physical line outside parentheses.
      cur = startLine(c === 0x20 || c === 0x09);
    }
    if (c === 0x0a) {
      i++;
      line++;
      lineStart = i;
      if (parens === 0) finish();
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0c || c === 0x0b) {
      i++;
      continue;
    }
    if (c === 0x3b /* ; */) {
      while (i < n && text.charCodeAt(i) !== 0x0a) i++;
      continue;
    }
    if (c === 0x28 /* ( */) {
      if (parens === 0) {
        parenLine = line;
        parenCol = i - lineStart + 1;
      }
      parens++;
      cur.parens = true;
      i++;
      continue;
    }
    if (c === 0x29 /* ) */) {
      if (parens === 0) {
        sink.error({ file, line, col: i - lineStart + 1 }, 'unbalanced parentheses');
        cur.broken = true;
      } else {
        parens--;
      }
      i++;
      continue;
    }
    const col = i - lineStart + 1;
    if (c === 0x22 /* " */) {
      const tokLine = line;
      let j = i + 1;
      let closed = false;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 0x5c && j + 1 < n) {
          // A backslash-newline continues the string onto the next line.
          if (text.charCodeAt(j + 1) === 0x0a) {
            line++;
            lineStart = j + 2;
          }
          j += 2;
          continue;
        }
        if (d === 0x22) {
          closed = true;
          break;
        }
        if (d === 0x0a) break;
        j++;
      }
      if (!closed) {
        sink.error({ file, line: tokLine, col }, 'unbalanced quotes');
        cur.broken = true;
        i = j;
        continue;
      }
      // BIND's lexer turns an escaped quote into a plain one inside a quoted string.
      const raw = text.slice(i + 1, j);
      cur.tokens.push({ text: raw.includes('\\"') ? unescapeQuotes(raw) : raw, quoted: true, file, line: tokLine, col });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < n) {
      const d = text.charCodeAt(j);
      if (d === 0x5c /* \ */) {
        if (j + 1 < n && text.charCodeAt(j + 1) !== 0x0a) {
          j += 2;
          continue;
        }
        j++;
        continue;
      }
      if (d === 0x20 || d === 0x09 || d === 0x0a || d === 0x0d || d === 0x0c || d === 0x0b ||
          d === 0x3b || d === 0x28 || d === 0x29 || d === 0x22) break;
      j++;
    }
    cur.tokens.push({ text: text.slice(i, j), quoted: false, file, line, col });
    i = j;
  }
  if (parens > 0 && cur) {
    sink.error({ file, line: parenLine, col: parenCol }, 'unbalanced parentheses');
    cur.broken = true;
  }
  if (cur) cur.atEof = true;
  finish();
  return out;
}

/** Replaces each `\"` by `"`, leaving other escapes (`\\`, `\DDD`) for the field parsers. */
function unescapeQuotes(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\' && i + 1 < raw.length) {
      out += raw[i + 1] === '"' ? '"' : raw[i] + raw[i + 1];
      i++;
      continue;
    }
    out += raw[i];
  }
  return out;
}

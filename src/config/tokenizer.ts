// The one tokenizer behind named.conf, dhcpd.conf and keepalived.conf. The three
// grammars differ only in comment styles, punctuation and whether newlines matter,
// so those are options; everything else (quoted strings, positions) is shared.

import type { DiagnosticSink, Position } from './diagnostics.js';

export type TokenKind = 'word' | 'string' | 'punct' | 'newline' | 'eof';

export interface Token extends Position {
  kind: TokenKind;
  /** For strings: the unescaped content; otherwise the text as written. */
  value: string;
  /** Offset of the first character in the file text. */
  offset: number;
}

export interface TokenizerOptions {
  /** `# comment` to end of line (named.conf, dhcpd.conf, keepalived.conf). */
  hashComments?: boolean;
  /** `// comment` and `/* comment *\/` (named.conf). */
  slashComments?: boolean;
  /** `! comment` to end of line (keepalived.conf). */
  bangComments?: boolean;
  /** Emit `newline` tokens (keepalived.conf is line oriented). */
  newlines?: boolean;
  /** Punctuation tokens, matched longest first. Default `{`, `}`, `;`. */
  punctuation?: readonly string[];
  /** A quoted string ends at the end of its line (files whose strings never span lines: a stray quote spoils one line only). */
  lineStrings?: boolean;
}

const DEFAULT_PUNCT = ['{', '}', ';'];

export function tokenize(file: string, text: string, sink: DiagnosticSink, opts: TokenizerOptions = {}): Token[] {
  const punct = [...(opts.punctuation ?? DEFAULT_PUNCT)].sort((a, b) => b.length - a.length);
  const punctFirst = new Set(punct.map((p) => p[0]));
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const n = text.length;
  const pos = (at: number): Position => ({ file, line, col: at - lineStart + 1 });

  const isCommentStart = (at: number): boolean => {
    const c = text[at];
    if (c === '#' && opts.hashComments) return true;
    if (c === '!' && opts.bangComments) return true;
    if (c === '/' && opts.slashComments && (text[at + 1] === '/' || text[at + 1] === '*')) return true;
    return false;
  };

  while (i < n) {
    const c = text[i];
    if (c === '\n') {
      if (opts.newlines) tokens.push({ kind: 'newline', value: '\n', offset: i, ...pos(i) });
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (isCommentStart(i)) {
      if (c === '/' && text[i + 1] === '*') {
        const start = pos(i);
        const end = text.indexOf('*/', i + 2);
        if (end < 0) {
          sink.error(start, 'unterminated comment');
          i = n;
          break;
        }
        for (let j = i; j < end; j++) {
          if (text[j] === '\n') {
            line++;
            lineStart = j + 1;
          }
        }
        i = end + 2;
        continue;
      }
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '"') {
      const start = pos(i);
      const offset = i;
      let value = '';
      i++;
      let closed = false;
      while (i < n) {
        const d = text[i];
        if (d === '\\' && i + 1 < n && !(opts.lineStrings && text[i + 1] === '\n')) {
          const e = text[i + 1];
          // Keep the escape for anything but a quote or backslash; parsers that
          // care about `\DDD` or `\n` (dhcpd) decode it themselves.
          value += e === '"' || e === '\\' ? e : d + e;
          if (e === '\n') {
            line++;
            lineStart = i + 2;
          }
          i += 2;
          continue;
        }
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\n') {
          if (opts.lineStrings) break;
          line++;
          lineStart = i + 1;
        }
        value += d;
        i++;
      }
      if (!closed) sink.error(start, 'unterminated quoted string');
      tokens.push({ kind: 'string', value, offset, ...start });
      continue;
    }
    if (punctFirst.has(c)) {
      const p = punct.find((q) => text.startsWith(q, i));
      if (p !== undefined) {
        tokens.push({ kind: 'punct', value: p, offset: i, ...pos(i) });
        i += p.length;
        continue;
      }
    }
    const start = i;
    while (i < n) {
      const d = text[i];
      if (d === ' ' || d === '\t' || d === '\n' || d === '\r' || d === '"' || d === '\f' || d === '\v') break;
      if (punctFirst.has(d) && punct.some((q) => text.startsWith(q, i))) break;
      if (isCommentStart(i)) break;
      i++;
    }
    tokens.push({ kind: 'word', value: text.slice(start, i), offset: start, ...pos(start) });
  }
  tokens.push({ kind: 'eof', value: '', offset: n, ...pos(n) });
  return tokens;
}

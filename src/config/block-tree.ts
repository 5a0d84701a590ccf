// A generic statement tree for brace-and-semicolon grammars. named.conf and
// dhcpd.conf are both "words, maybe a { block }, then ;" at every level; the
// per-file parsers give meaning to the tree and report errors at token positions.

import type { DiagnosticSink } from './diagnostics.js';
import type { Token } from './tokenizer.js';

export interface Statement {
  /** Tokens before the block (or before `;`), punctuation other than braces included. */
  words: Token[];
  /** Present when the statement has a `{ … }` block. */
  block?: Statement[];
  /** The `{` that opened the block, for positions. */
  open?: Token;
  /** The token that ended the statement (`;` or `}`), for positions. */
  end: Token;
}

export interface BlockTreeOptions {
  /** named.conf wants `};` after a block; dhcpd.conf does not. */
  semicolonAfterBlock: boolean;
}

/** Builds the statement tree; reports unbalanced braces and missing semicolons and keeps going. */
export function buildBlockTree(tokens: Token[], sink: DiagnosticSink, opts: BlockTreeOptions): Statement[] {
  let i = 0;
  const parseList = (closing: boolean): Statement[] => {
    const out: Statement[] = [];
    for (;;) {
      const t = tokens[i];
      if (t.kind === 'eof') {
        if (closing) sink.error(t, "unexpected end of file: missing '}'");
        return out;
      }
      if (t.kind === 'punct' && t.value === '}') {
        if (closing) return out;
        sink.error(t, "unexpected '}'");
        i++;
        continue;
      }
      if (t.kind === 'punct' && t.value === ';') {
        // An empty statement; both BIND and dhcpd accept a stray semicolon.
        i++;
        continue;
      }
      out.push(parseStatement());
    }
  };
  const parseStatement = (): Statement => {
    const words: Token[] = [];
    for (;;) {
      const t = tokens[i];
      if (t.kind === 'eof') {
        sink.error(words.length ? words[words.length - 1] : t, "missing ';' before end of file");
        return { words, end: t };
      }
      if (t.kind === 'punct' && t.value === ';') {
        i++;
        return { words, end: t };
      }
      if (t.kind === 'punct' && t.value === '}') {
        // Missing `;` before a closing brace: report at the last word, leave the brace.
        sink.error(words.length ? words[words.length - 1] : t, "missing ';'");
        return { words, end: t };
      }
      if (t.kind === 'punct' && t.value === '{') {
        i++;
        const block = parseList(true);
        const close = tokens[i];
        if (close.kind === 'punct' && close.value === '}') i++;
        if (opts.semicolonAfterBlock) {
          const semi = tokens[i];
          if (semi.kind === 'punct' && semi.value === ';') i++;
          else sink.error(close, "missing ';' after '}'");
        }
        return { words, block, open: t, end: close };
      }
      words.push(t);
      i++;
    }
  };
  return parseList(false);
}

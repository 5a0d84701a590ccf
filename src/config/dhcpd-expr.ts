// dhcpd.conf expressions (dhcp-eval(5)): `match if …`, `if …`, `option X = …`, `log(…)`.
// Parsed into a small tree so classes can be evaluated; syntax and kind (boolean vs
// data) are checked like dhcpd -t, which rejects e.g. `match if option host-name;`.

import type { Token } from './tokenizer.js';
import { parseMac } from '../wire/mac.js';
import { MAX_NESTING } from './limits.js';

export type ExprKind = 'bool' | 'data' | 'num' | 'any';

export type Expr =
  | { op: 'const'; data: Buffer }
  | { op: 'num'; value: number }
  | { op: 'option'; space: string; name: string }
  | { op: 'exists'; space: string; name: string }
  | { op: 'hardware' }
  | { op: 'known' }
  | { op: 'var'; name: string }
  | { op: 'not'; a: Expr }
  | { op: 'and' | 'or'; a: Expr; b: Expr }
  | { op: '=' | '!='; a: Expr; b: Expr }
  /** Regular expression match (`~~` ignores case); `re` is the pattern compiled at load when it is a constant. */
  | { op: '~=' | '~~'; a: Expr; b: Expr; re?: RegExp }
  | { op: 'call'; name: string; args: Expr[] };

export interface TypedExpr {
  expr: Expr;
  kind: ExprKind;
}

/** What the expression parser needs from the statement parser. */
export interface ExprHost {
  peek(): Token;
  next(): Token;
  error(at: Token, message: string): void;
  /** Resolves `space.name` / `name` of an option; reports unknown ones; undefined on error. */
  optionRef(at: Token): { space: string; name: string } | undefined;
  classExists(name: string): boolean;
  decodeString(raw: string): Buffer;
}

export class ExprError extends Error {}

const FUNCTIONS = new Set([
  'substring', 'suffix', 'concat', 'ucase', 'lcase', 'binary-to-ascii', 'encode-int', 'extract-int', 'pick-first-value',
  'reverse', 'packet', 'execute', 'log', 'gethostname', 'v6relay', 'encode-int', 'config-option', 'lease-time',
]);

const NULLARY_DATA = new Set(['hardware', 'host-decl-name', 'leased-address', 'filename', 'server-name', 'client-state', 'null', 'iaaddr']);

const isPunct = (t: Token, v: string): boolean => t.kind === 'punct' && t.value === v;
const isWord = (t: Token, v: string): boolean => t.kind === 'word' && t.value === v;

/** Parses and requires a boolean (or untyped) expression. */
export function parseBoolean(h: ExprHost): Expr {
  const start = h.peek();
  const e = parseOr(h);
  if (e.kind !== 'bool' && e.kind !== 'any') {
    h.error(start, 'Expecting a boolean expression.');
    throw new ExprError();
  }
  return e.expr;
}

/** Parses and requires a data (or untyped) expression. */
export function parseData(h: ExprHost): Expr {
  const start = h.peek();
  const e = parseOr(h);
  if (e.kind === 'bool') {
    h.error(start, 'Expecting a data expression.');
    throw new ExprError();
  }
  return e.expr;
}

/** How deep the expression being parsed nests (parentheses, function arguments, `not`). */
let nesting = 0;

/** Runs one nested level of the expression grammar; past MAX_NESTING it is an error, not a stack overflow. */
function nested(h: ExprHost, parse: () => TypedExpr): TypedExpr {
  if (nesting >= MAX_NESTING) {
    h.error(h.peek(), `expression nested too deeply (more than ${MAX_NESTING} levels)`);
    throw new ExprError();
  }
  nesting++;
  try {
    return parse();
  } finally {
    nesting--;
  }
}

function parseOr(h: ExprHost): TypedExpr {
  return nested(h, () => parseOrAt(h));
}

function parseOrAt(h: ExprHost): TypedExpr {
  let a = parseAnd(h);
  while (isWord(h.peek(), 'or') || isPunct(h.peek(), '||')) {
    h.next();
    const b = parseAnd(h);
    a = { expr: { op: 'or', a: a.expr, b: b.expr }, kind: 'bool' };
  }
  return a;
}

function parseAnd(h: ExprHost): TypedExpr {
  let a = parseNot(h);
  while (isWord(h.peek(), 'and') || isPunct(h.peek(), '&&')) {
    h.next();
    const b = parseNot(h);
    a = { expr: { op: 'and', a: a.expr, b: b.expr }, kind: 'bool' };
  }
  return a;
}

function parseNot(h: ExprHost): TypedExpr {
  if (isWord(h.peek(), 'not') || isPunct(h.peek(), '!')) {
    h.next();
    const start = h.peek();
    const a = nested(h, () => parseNot(h));
    if (a.kind !== 'bool' && a.kind !== 'any') {
      h.error(start, 'Expecting a boolean expression.');
      throw new ExprError();
    }
    return { expr: { op: 'not', a: a.expr }, kind: 'bool' };
  }
  return parseCompare(h);
}

function parseCompare(h: ExprHost): TypedExpr {
  let a = parseSum(h);
  const t = h.peek();
  if (t.kind === 'punct' && (t.value === '=' || t.value === '!=')) {
    h.next();
    const b = parseSum(h);
    a = { expr: { op: t.value, a: a.expr, b: b.expr }, kind: 'bool' };
  } else if (t.kind === 'punct' && (t.value === '~=' || t.value === '~~')) {
    h.next();
    const at = h.peek();
    const b = parseSum(h);
    a = { expr: { op: t.value, a: a.expr, b: b.expr, re: compileRegex(h, at, b.expr, t.value === '~~') }, kind: 'bool' };
  }
  return a;
}

/**
 * A constant pattern is compiled once, here: a pattern that does not compile is a mistake
 * in the file, reported at it, not a silent non-match for every packet. A pattern computed
 * from the packet is compiled when it is evaluated.
 */
function compileRegex(h: ExprHost, at: Token, pattern: Expr, ignoreCase: boolean): RegExp | undefined {
  if (pattern.op !== 'const') return undefined;
  const text = pattern.data.toString('latin1');
  try {
    return new RegExp(text, ignoreCase ? 'i' : '');
  } catch (e) {
    h.error(at, `invalid regular expression ${JSON.stringify(text)}: ${(e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '')}`);
    throw new ExprError();
  }
}

function parseSum(h: ExprHost): TypedExpr {
  let a = parsePrimary(h);
  while (isPunct(h.peek(), '+')) {
    h.next();
    const b = parsePrimary(h);
    a = { expr: { op: 'call', name: '+', args: [a.expr, b.expr] }, kind: 'num' };
  }
  return a;
}

function parsePrimary(h: ExprHost): TypedExpr {
  const t = h.next();
  if (t.kind === 'string') return { expr: { op: 'const', data: h.decodeString(t.value) }, kind: 'data' };
  if (isPunct(t, '(')) {
    const e = parseOr(h);
    expect(h, ')');
    return e;
  }
  if (t.kind !== 'word') {
    h.error(t, 'expecting an expression');
    throw new ExprError();
  }
  const w = t.value;
  if (/^-?[0-9]+$/.test(w)) return { expr: { op: 'num', value: Number(w) }, kind: 'num' };
  // Colon-separated hex octets (two or more) are data.
  const hex = w.includes(':') ? parseMac(w) : undefined;
  if (hex) return { expr: { op: 'const', data: hex }, kind: 'data' };
  switch (w) {
    case 'option':
    case 'config-option': {
      const ref = h.optionRef(h.next());
      if (!ref) throw new ExprError();
      return { expr: { op: 'option', ...ref }, kind: 'data' };
    }
    case 'exists': {
      const ref = h.optionRef(h.next());
      if (!ref) throw new ExprError();
      return { expr: { op: 'exists', ...ref }, kind: 'bool' };
    }
    case 'known':
    case 'static':
      return { expr: { op: 'known' }, kind: 'bool' };
    case 'check': {
      const name = h.next();
      if (name.kind !== 'string' || !h.classExists(name.value)) {
        h.error(name, 'unknown collection.');
        throw new ExprError();
      }
      return { expr: { op: 'call', name: 'check', args: [] }, kind: 'bool' };
    }
    case 'hardware':
      return { expr: { op: 'hardware' }, kind: 'data' };
  }
  if (isPunct(h.peek(), '(')) {
    h.next();
    const args: Expr[] = [];
    if (!isPunct(h.peek(), ')')) {
      for (;;) {
        args.push(parseOr(h).expr);
        if (isPunct(h.peek(), ',')) {
          h.next();
          continue;
        }
        break;
      }
    }
    expect(h, ')');
    const kind: ExprKind = w === 'encode-int' || FUNCTIONS.has(w) ? (w === 'extract-int' || w === 'lease-time' ? 'num' : 'data') : 'any';
    return { expr: { op: 'call', name: w, args }, kind };
  }
  if (NULLARY_DATA.has(w)) return { expr: { op: 'call', name: w, args: [] }, kind: 'data' };
  if (/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(w)) return { expr: { op: 'var', name: w }, kind: 'any' };
  h.error(t, 'expecting an expression');
  throw new ExprError();
}

function expect(h: ExprHost, p: string): void {
  const t = h.next();
  if (!isPunct(t, p)) {
    h.error(t, `expecting '${p}'`);
    throw new ExprError();
  }
}

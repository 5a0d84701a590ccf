// JSON with positions, as Kea reads its files: comments (`//`, `#`, `/* */`) are allowed,
// and every value keeps its file:line:col so a mistake can be shown with a caret.

import type { DiagnosticSink, Position } from './diagnostics.js';
import { MAX_NESTING } from './limits.js';

export type JNode =
  | { kind: 'object'; pos: Position; entries: Map<string, { key: Position; value: JNode }> }
  | { kind: 'array'; pos: Position; items: JNode[] }
  | { kind: 'string'; pos: Position; value: string }
  | { kind: 'number'; pos: Position; value: number }
  | { kind: 'bool'; pos: Position; value: boolean }
  | { kind: 'null'; pos: Position };

class JsonError extends Error {
  constructor(readonly pos: Position, message: string) {
    super(message);
  }
}

/** Parses `text`; on a syntax error reports it to `sink` and returns undefined. */
export function parseJsonWithPositions(file: string, text: string, sink: DiagnosticSink): JNode | undefined {
  sink.addSource(file, text);
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const pos = (): Position => ({ file, line, col: i - lineStart + 1 });
  const fail = (msg: string): never => {
    throw new JsonError(pos(), msg);
  };
  const skip = (): void => {
    for (;;) {
      const c = text[i];
      if (c === '\n') {
        i++;
        line++;
        lineStart = i;
      } else if (c === ' ' || c === '\t' || c === '\r') i++;
      else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
        while (i < text.length && text[i] !== '\n') i++;
      } else if (c === '/' && text[i + 1] === '*') {
        const end = text.indexOf('*/', i + 2);
        if (end < 0) fail('unterminated comment');
        while (i < end + 2) {
          if (text[i] === '\n') {
            line++;
            lineStart = i + 1;
          }
          i++;
        }
      } else return;
    }
  };
  const str = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      const c = text[i];
      if (c === undefined || c === '\n') fail('unterminated string');
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\\') {
        const e = text[i + 1];
        const map: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else if (e !== undefined && e in map) {
          out += map[e];
          i += 2;
        } else fail('bad escape in string');
        continue;
      }
      out += c;
      i++;
    }
  };
  let depth = 0;
  const value = (): JNode => {
    skip();
    const p = pos();
    const c = text[i];
    if ((c === '{' || c === '[') && depth >= MAX_NESTING) fail(`nested too deeply (more than ${MAX_NESTING} levels)`);
    depth++;
    try {
      return valueAt(p, c);
    } finally {
      depth--;
    }
  };
  const valueAt = (p: Position, c: string | undefined): JNode => {
    if (c === '{') {
      i++;
      const entries = new Map<string, { key: Position; value: JNode }>();
      skip();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', pos: p, entries };
      }
      for (;;) {
        skip();
        const kp = pos();
        if (text[i] !== '"') fail('expecting a quoted name');
        const k = str();
        if (entries.has(k)) throw new JsonError(kp, `"${k}" given twice`);
        skip();
        if (text[i] !== ':') fail("expecting ':'");
        i++;
        entries.set(k, { key: kp, value: value() });
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { kind: 'object', pos: p, entries };
        }
        fail("expecting ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const items: JNode[] = [];
      skip();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', pos: p, items };
      }
      for (;;) {
        items.push(value());
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { kind: 'array', pos: p, items };
        }
        fail("expecting ',' or ']'");
      }
    }
    if (c === '"') return { kind: 'string', pos: p, value: str() };
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 40));
    if (!m) fail(c === undefined ? 'unexpected end of file' : `unexpected '${c}'`);
    const w = m![0];
    i += w.length;
    if (w === 'true' || w === 'false') return { kind: 'bool', pos: p, value: w === 'true' };
    if (w === 'null') return { kind: 'null', pos: p };
    return { kind: 'number', pos: p, value: Number(w) };
  };
  try {
    const v = value();
    skip();
    if (i < text.length) fail('text after the end of the JSON value');
    return v;
  } catch (e) {
    if (!(e instanceof JsonError)) throw e;
    sink.error(e.pos, e.message);
    return undefined;
  }
}

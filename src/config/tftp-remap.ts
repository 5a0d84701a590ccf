// tftpd-hpa's --map-file: one rule a line, `FLAGS REGEX [REPLACEMENT]`, comments from `#`.
// Parsed here (errors at file:line:col); applied by applyRemap, as tftpd(8) describes:
// rules top-down, all of them unless `e` ends or `s` restarts, `a` refuses the request.

import { loadConfigFile } from './config-file.js';
import type { DiagnosticSink } from './diagnostics.js';

export interface RemapRule {
  flags: Set<string>;
  regex: RegExp;
  replacement: string;
  line: number;
}

const FLAGS = 'rgiesaGP46~';

/** Splits a line into words: whitespace separates, `\` keeps the next character, `#` starts a comment. */
function words(line: string): { text: string; col: number }[] {
  const out: { text: string; col: number }[] = [];
  let cur: { text: string; col: number } | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '#' && !cur) break;
    if (c === ' ' || c === '\t') {
      if (cur) out.push(cur);
      cur = undefined;
      continue;
    }
    cur ??= { text: '', col: i + 1 };
    if (c === '\\' && i + 1 < line.length && ' \t#'.includes(line[i + 1])) {
      cur.text += line[++i];
    } else if (c === '\\' && i + 1 < line.length) {
      cur.text += c + line[++i]; // other escapes are the regex's or the replacement's
    } else if (c === '#') {
      out.push(cur);
      cur = undefined;
      break;
    } else cur.text += c;
  }
  if (cur) out.push(cur);
  return out;
}

export function parseRemap(file: string, text: string, sink: DiagnosticSink): RemapRule[] {
  sink.addSource(file, text);
  const rules: RemapRule[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const w = words(line);
    if (!w.length) return;
    const at = (col: number): { file: string; line: number; col: number } => ({ file, line: i + 1, col });
    const flags = new Set(w[0].text);
    for (const [k, f] of [...w[0].text].entries()) if (!FLAGS.includes(f)) return sink.error(at(w[0].col + k), `unknown map-file flag '${f}' (have ${FLAGS})`);
    if (w.length < 2) return sink.error(at(w[0].col), 'a rule needs a regular expression after its flags');
    if (flags.has('r') && w.length < 3) return sink.error(at(w[1].col), "an 'r' rule needs a replacement");
    if (flags.has('r') && flags.has('~')) return sink.error(at(w[0].col), "'~' cannot be used with 'r'");
    let regex: RegExp;
    try {
      // POSIX extended regular expressions, as egrep; JavaScript's syntax covers what map files use.
      regex = new RegExp(w[1].text, flags.has('i') ? 'i' : '');
    } catch (err) {
      return sink.error(at(w[1].col), `bad regular expression: ${(err as Error).message}`);
    }
    rules.push({ flags, regex, replacement: w[2]?.text ?? '', line: i + 1 });
  });
  return rules;
}

export function loadRemap(file: string, sink: DiagnosticSink): RemapRule[] | undefined {
  return loadConfigFile(file, sink, parseRemap);
}

/** \0–\9, \i (client address), \x (address in hex), \\, \U \L \E. */
function expand(rep: string, m: RegExpExecArray, ip: string): string {
  let out = '';
  let caseMode: 'U' | 'L' | undefined;
  const put = (s: string): void => {
    out += caseMode === 'U' ? s.toUpperCase() : caseMode === 'L' ? s.toLowerCase() : s;
  };
  for (let i = 0; i < rep.length; i++) {
    const c = rep[i];
    if (c !== '\\' || i + 1 >= rep.length) {
      put(c);
      continue;
    }
    const e = rep[++i];
    if (/[0-9]/.test(e)) put(m[Number(e)] ?? '');
    else if (e === 'i') put(ip);
    else if (e === 'x') put(ip.includes(':') ? ip : ip.split('.').map((o) => Number(o).toString(16).toUpperCase().padStart(2, '0')).join(''));
    else if (e === 'U' || e === 'L') caseMode = e;
    else if (e === 'E') caseMode = undefined;
    else put(e);
  }
  return out;
}

/** Loops a rule set may take before the name is refused (a rule that never settles). */
const DEADMAN = 1000;

/** The rewritten name, or `refused` when an `a` rule matched (or the rules never settle). */
export function applyRemap(rules: readonly RemapRule[], name: string, req: { write: boolean; ip: string }): string | { refused: string } {
  const v6 = req.ip.includes(':');
  let steps = 0;
  restart: for (;;) {
    for (const r of rules) {
      if (++steps > DEADMAN) return { refused: 'map file (its rules never settle)' };
      if ((r.flags.has('G') && req.write) || (r.flags.has('P') && !req.write)) continue;
      if ((r.flags.has('4') && v6) || (r.flags.has('6') && !v6)) continue;
      const m = r.regex.exec(name);
      if (r.flags.has('~') ? m !== null : m === null) continue;
      if (r.flags.has('a')) return { refused: `map file line ${r.line}` };
      if (r.flags.has('r') && m) {
        name = name.slice(0, m.index) + expand(r.replacement, m, req.ip) + name.slice(m.index + m[0].length);
        if (r.flags.has('g')) {
          for (let m2 = r.regex.exec(name); m2; m2 = r.regex.exec(name)) {
            if (++steps > DEADMAN) return { refused: 'map file (its rules never settle)' };
            name = name.slice(0, m2.index) + expand(r.replacement, m2, req.ip) + name.slice(m2.index + m2[0].length);
          }
        }
      }
      if (r.flags.has('e')) return name;
      if (r.flags.has('s')) continue restart;
    }
    return name;
  }
}

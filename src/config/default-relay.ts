// Debian's /etc/default/isc-dhcp-relay: a POSIX shell fragment of assignments
// (SERVERS="…", INTERFACES="…", OPTIONS="…") that the init script turns into
// `dhcrelay $OPTIONS -i IF… $SERVERS`. Parsed here without a shell: comments, `export`,
// single/double quotes and backslash escapes; anything else (expansions, commands) is an
// error at its position. OPTIONS is read with dhcrelay(8)'s flags.

import { loadConfigFile } from './config-file.js';
import { DiagnosticSink, type Position } from './diagnostics.js';

export type RelayPolicy = 'forward' | 'append' | 'replace' | 'discard';

export interface RelayIfaceConf {
  name: string;
  upstream: boolean;
  downstream: boolean;
}

export interface RelayConf {
  servers: string[];
  interfaces: RelayIfaceConf[];
  agentInformation?: boolean;
  dropMismatch?: boolean;
  maxHops?: number;
  policy?: RelayPolicy;
  remoteId?: string;
  port?: number;
}

export interface Word {
  text: string;
  pos: Position;
}

/** Splits a shell-quoted value into words (used for OPTIONS and SERVERS/INTERFACES). */
export function splitWords(value: string, pos: Position): Word[] {
  const out: Word[] = [];
  for (const m of value.matchAll(/[^ \t\n]+/g)) out.push({ text: m[0], pos: { ...pos, col: pos.col + (m.index ?? 0) } });
  return out;
}

/** Assignments of the fragment, name → value (unquoted), with each value's position. */
export function parseShellAssignments(file: string, text: string, sink: DiagnosticSink, bad0 = new Set<string>()): Map<string, { value: string; pos: Position }> {
  sink.addSource(file, text);
  const out = new Map<string, { value: string; pos: Position }>();
  const lines = text.split(/\r?\n/);
  for (let ln = 0; ln < lines.length; ln++) {
    let line = lines[ln];
    const lineNo = ln + 1;
    // A line continued with a trailing backslash outside quotes joins the next.
    while (line.endsWith('\\') && ln + 1 < lines.length) line = line.slice(0, -1) + lines[++ln];
    let i = 0;
    const at = (c: number): Position => ({ file, line: lineNo, col: c + 1 });
    const skipWs = (): void => {
      while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
    };
    while (i < line.length) {
      skipWs();
      if (i >= line.length || line[i] === '#') break;
      if (line[i] === ';') {
        i++;
        continue;
      }
      const m = /^(export\s+)?([A-Za-z_][A-Za-z0-9_]*)=/.exec(line.slice(i));
      if (!m) {
        sink.error(at(i), 'expected NAME="value" (only assignments are understood here)');
        break;
      }
      const name = m[2];
      i += m[0].length;
      // Words of a quoted value are placed from the first character inside the quote.
      const vpos = at(line[i] === '"' || line[i] === "'" ? i + 1 : i);
      let value = '';
      let bad = false;
      const badNames = bad0;
      while (i < line.length && line[i] !== ' ' && line[i] !== '\t' && line[i] !== ';' && line[i] !== '#') {
        const c = line[i];
        if (c === '"') {
          const start = i;
          i++;
          while (i < line.length && line[i] !== '"') {
            if (line[i] === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) i++;
            else if (line[i] === '$' || line[i] === '`') {
              sink.error(at(i), 'shell expansion is not supported; write the value literally');
              bad = true;
            }
            value += line[i++];
          }
          if (i >= line.length) {
            sink.error(at(start), 'unterminated double quote');
            bad = true;
            break;
          }
          i++;
        } else if (c === "'") {
          const end = line.indexOf("'", i + 1);
          if (end < 0) {
            sink.error(at(i), 'unterminated single quote');
            bad = true;
            i = line.length;
            break;
          }
          value += line.slice(i + 1, end);
          i = end + 1;
        } else if (c === '$' || c === '`') {
          sink.error(at(i), 'shell expansion is not supported; write the value literally');
          bad = true;
          i++;
        } else if (c === '\\' && i + 1 < line.length) {
          value += line[i + 1];
          i += 2;
        } else value += line[i++];
      }
      if (!bad) out.set(name, { value, pos: vpos });
      else badNames.add(name);
    }
  }
  return out;
}

const POLICIES: readonly RelayPolicy[] = ['forward', 'append', 'replace', 'discard'];

/** dhcrelay(8) flags into `conf`; errors at the OPTIONS value's position. */
export function applyDhcrelayFlags(words: Word[], conf: RelayConf, sink: DiagnosticSink): void {
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const arg = (): Word | undefined => {
      const a = words[i + 1];
      if (!a) sink.error(w.pos, `dhcrelay option ${w.text} needs a value`);
      else i++;
      return a;
    };
    switch (w.text) {
      case '-4':
      case '-d':
      case '-q':
      case '-nw':
        break; // IPv4 is all Triad relays; foreground/quiet are the service's business.
      case '-a':
        conf.agentInformation = true;
        break;
      case '-D':
        conf.dropMismatch = true;
        break;
      case '-c': {
        const a = arg();
        if (!a) break;
        const n = Number(a.text);
        if (!/^[0-9]+$/.test(a.text) || n < 1 || n > 255) sink.error(a.pos, `-c ${a.text}: hop count must be 1..255`);
        else conf.maxHops = n;
        break;
      }
      case '-m': {
        const a = arg();
        if (!a) break;
        if (!POLICIES.includes(a.text as RelayPolicy)) sink.error(a.pos, `-m ${a.text}: expected append, replace, forward or discard`);
        else conf.policy = a.text as RelayPolicy;
        break;
      }
      case '-i':
      case '-iu':
      case '-id': {
        const a = arg();
        if (a) conf.interfaces.push({ name: a.text, upstream: w.text !== '-id', downstream: w.text !== '-iu' });
        break;
      }
      case '-p': {
        const a = arg();
        if (a && /^[0-9]+$/.test(a.text) && Number(a.text) < 65536) conf.port = Number(a.text);
        else if (a) sink.error(a.pos, `-p ${a.text}: port number expected`);
        break;
      }
      case '-A':
      case '-U':
      case '-g':
      case '-pf':
      case '-rp': {
        const a = arg();
        if (a) sink.warning(w.pos, `dhcrelay option ${w.text} is accepted but not acted on by Triad`);
        break;
      }
      default:
        if (w.text.startsWith('-')) sink.error(w.pos, `unknown dhcrelay option ${w.text}`);
        else conf.servers.push(w.text);
    }
  }
}

/** Reads the file; diagnostics (file:line:col) in `sink`. */
export function parseDefaultRelay(file: string, text: string, sink: DiagnosticSink): RelayConf {
  const bad = new Set<string>();
  const vars = parseShellAssignments(file, text, sink, bad);
  const conf: RelayConf = { servers: [], interfaces: [] };
  const servers = vars.get('SERVERS');
  if (servers) conf.servers.push(...splitWords(servers.value, servers.pos).map((w) => w.text));
  const ifs = vars.get('INTERFACES');
  if (ifs) for (const w of splitWords(ifs.value, ifs.pos)) conf.interfaces.push({ name: w.text, upstream: true, downstream: true });
  const options = vars.get('OPTIONS');
  if (options) applyDhcrelayFlags(splitWords(options.value, options.pos), conf, sink);
  if (conf.servers.length === 0 && !bad.has('SERVERS')) sink.error(servers?.pos ?? { file, line: 1, col: 1 }, 'SERVERS names no DHCP server to relay to');
  return conf;
}

/** Reads and parses the file; undefined, with the reason in the sink, when it cannot be read. */
export function loadDefaultRelay(file: string, sink: DiagnosticSink): RelayConf | undefined {
  return loadConfigFile(file, sink, parseDefaultRelay);
}

// Debian's /etc/default/tftpd-hpa: a shell fragment of assignments (TFTP_USERNAME,
// TFTP_DIRECTORY, TFTP_ADDRESS, TFTP_OPTIONS) that the init script turns into
// `in.tftpd --listen --user $TFTP_USERNAME --address $TFTP_ADDRESS $TFTP_OPTIONS $TFTP_DIRECTORY`.
// Read with the same shell-assignment reader as isc-dhcp-relay; TFTP_OPTIONS with
// tftpd(8)'s flags. Mistakes are diagnostics at file:line:col.

import path from 'node:path';
import { loadConfigFile, tryReadText } from './config-file.js';
import { parseShellAssignments, splitWords, type Word } from './default-relay.js';
import type { DiagnosticSink, Position } from './diagnostics.js';
import { parseRemap, type RemapRule } from './tftp-remap.js';

export interface TftpdConf {
  /** TFTP_USERNAME (Triad serves files as the user it runs as; kept for messages). */
  user?: string;
  /** The root every name is confined to. */
  directory: string;
  /** Listening address ('' = every address) and port. */
  address: string;
  port: number;
  secure: boolean;
  create: boolean;
  /** --permissive: no o+r check (tftpd-hpa serves only world-readable files otherwise). */
  permissive: boolean;
  /** --blocksize: the largest blksize granted. */
  maxBlockSize: number;
  /** --port-range LOW:HIGH for the transfer sockets. */
  portRange?: [number, number];
  mapFile?: string;
  /** The map file's rules, once loaded (loadDefaultTftpd). */
  remap?: RemapRule[];
  /** --retransmit, in milliseconds (tftpd-hpa takes microseconds). */
  retransmitMs: number;
  /** --refuse OPTION… */
  refuse: string[];
  /** Where each setting was written (for messages). */
  positions: Partial<Record<'directory' | 'address' | 'mapFile', Position>>;
}

export const TFTP_DEFAULT_PORT = 69;

/** `[addr][:port]`, `[v6addr]:port`; undefined when malformed. */
export function parseTftpAddress(text: string): { address: string; port: number } | undefined {
  let addr = text;
  let port = TFTP_DEFAULT_PORT;
  const v6 = /^\[([^\]]*)\](?::([0-9]+))?$/.exec(text);
  if (v6) {
    addr = v6[1];
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else {
    const i = text.lastIndexOf(':');
    if (i >= 0 && text.indexOf(':') === i) {
      addr = text.slice(0, i);
      const p = text.slice(i + 1);
      if (!/^[0-9]+$/.test(p)) return undefined;
      port = Number(p);
    }
  }
  if (port < 1 || port > 65535) return undefined;
  return { address: addr, port };
}

function applyTftpdFlags(words: Word[], conf: TftpdConf, sink: DiagnosticSink, dirs: Word[]): void {
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    // --flag=value is split here so both spellings work.
    let flag = w.text;
    let inline: string | undefined;
    const eq = flag.indexOf('=');
    if (flag.startsWith('--') && eq > 0) {
      inline = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    const arg = (): Word | undefined => {
      if (inline !== undefined) return { text: inline, pos: { ...w.pos, col: w.pos.col + eq + 1 } };
      const a = words[i + 1];
      if (!a) sink.error(w.pos, `tftpd option ${w.text} needs a value`);
      else i++;
      return a;
    };
    switch (flag) {
      case '-s':
      case '--secure':
        conf.secure = true;
        break;
      case '-c':
      case '--create':
        conf.create = true;
        break;
      case '-p':
      case '--permissive':
        conf.permissive = true;
        break;
      case '-l':
      case '--listen':
      case '-L':
      case '--foreground':
      case '-4':
      case '--ipv4':
      case '-6':
      case '--ipv6':
      case '-v':
      case '--verbose':
        break; // Triad always listens in the foreground; logging has its own level.
      case '-a':
      case '--address': {
        const a = arg();
        if (!a) break;
        const p = parseTftpAddress(a.text);
        if (!p) sink.error(a.pos, `${a.text}: expected [address][:port]`);
        else {
          conf.address = p.address;
          conf.port = p.port;
          conf.positions.address = a.pos;
        }
        break;
      }
      case '-B':
      case '--blocksize': {
        const a = arg();
        if (!a) break;
        const n = Number(a.text);
        if (!/^[0-9]+$/.test(a.text) || n < 512 || n > 65464) sink.error(a.pos, `--blocksize ${a.text}: a number from 512 to 65464 is expected`);
        else conf.maxBlockSize = n;
        break;
      }
      case '-R':
      case '--port-range': {
        const a = arg();
        if (!a) break;
        const m = /^([0-9]+):([0-9]+)$/.exec(a.text);
        const lo = m ? Number(m[1]) : 0;
        const hi = m ? Number(m[2]) : 0;
        if (!m || lo < 1 || hi > 65535 || lo > hi) sink.error(a.pos, `--port-range ${a.text}: expected LOW:HIGH with 1 <= LOW <= HIGH <= 65535`);
        else conf.portRange = [lo, hi];
        break;
      }
      case '-m':
      case '--map-file': {
        const a = arg();
        if (!a) break;
        conf.mapFile = a.text;
        conf.positions.mapFile = a.pos;
        break;
      }
      case '-T':
      case '--retransmit': {
        const a = arg();
        if (!a) break;
        const n = Number(a.text);
        if (!/^[0-9]+$/.test(a.text) || n < 10000 || n > 255_000_000) sink.error(a.pos, `--retransmit ${a.text}: microseconds from 10000 to 255000000 are expected`);
        else conf.retransmitMs = Math.round(n / 1000);
        break;
      }
      case '-r':
      case '--refuse': {
        const a = arg();
        if (a) conf.refuse.push(a.text.toLowerCase());
        break;
      }
      case '-u':
      case '--user': {
        const a = arg();
        if (a) conf.user = a.text;
        break;
      }
      case '-U':
      case '--umask':
      case '-P':
      case '--pidfile':
      case '-t':
      case '--timeout':
      case '--verbosity': {
        const a = arg();
        if (a) sink.warning(w.pos, `tftpd option ${flag} is accepted but not acted on by Triad`);
        break;
      }
      default:
        if (w.text.startsWith('-')) sink.error(w.pos, `unknown tftpd option ${w.text}`);
        else dirs.push(w); // in.tftpd takes its directories after the options
    }
  }
}

/** Parses the file; diagnostics (file:line:col) in `sink`. */
export function parseDefaultTftpd(file: string, text: string, sink: DiagnosticSink): TftpdConf {
  const vars = parseShellAssignments(file, text, sink);
  const conf: TftpdConf = {
    directory: '', address: '', port: TFTP_DEFAULT_PORT, secure: false, create: false, permissive: false,
    maxBlockSize: 65464, retransmitMs: 1000, refuse: [], positions: {},
  };
  const user = vars.get('TFTP_USERNAME');
  if (user) conf.user = user.value;
  const addr = vars.get('TFTP_ADDRESS');
  if (addr && addr.value !== '') {
    const p = parseTftpAddress(addr.value);
    if (!p) sink.error(addr.pos, `TFTP_ADDRESS ${addr.value}: expected [address][:port], e.g. ":69" or "0.0.0.0:69"`);
    else {
      conf.address = p.address;
      conf.port = p.port;
      conf.positions.address = addr.pos;
    }
  }
  const dirs: Word[] = [];
  const dirVar = vars.get('TFTP_DIRECTORY');
  if (dirVar) dirs.push(...splitWords(dirVar.value, dirVar.pos));
  const options = vars.get('TFTP_OPTIONS');
  if (options) applyTftpdFlags(splitWords(options.value, options.pos), conf, sink, dirs);
  if (dirs.length === 0) sink.error(dirVar?.pos ?? { file, line: 1, col: 1 }, 'TFTP_DIRECTORY names no directory to serve');
  else {
    if (dirs.length > 1) sink.error(dirs[1].pos, `${dirs[1].text}: Triad serves one TFTP directory (as tftpd-hpa does with --secure)`);
    if (!dirs[0].text.startsWith('/')) sink.error(dirs[0].pos, `${dirs[0].text}: the TFTP directory must be an absolute path`);
    conf.directory = dirs[0].text;
    conf.positions.directory = dirs[0].pos;
  }
  for (const r of conf.refuse) {
    if (!['blksize', 'tsize', 'timeout', 'windowsize', 'blksize2', 'utimeout', 'rollover'].includes(r)) sink.warning(options?.pos ?? { file, line: 1, col: 1 }, `--refuse ${r}: not a TFTP option Triad knows`);
  }
  return conf;
}

/** Reads and parses the file; undefined, with the reason in the sink, when it cannot be read. */
export function loadDefaultTftpd(file: string, sink: DiagnosticSink): TftpdConf | undefined {
  const conf = loadConfigFile(file, sink, parseDefaultTftpd);
  if (conf?.mapFile) {
    // A relative map file is found beside this file.
    const mf = path.resolve(path.dirname(file), conf.mapFile);
    const r = tryReadText(mf);
    if ('reason' in r) sink.error(conf.positions.mapFile ?? { file, line: 1, col: 1 }, `--map-file ${conf.mapFile}: ${r.reason}`);
    else conf.remap = parseRemap(mf, r.text, sink);
  }
  return conf;
}

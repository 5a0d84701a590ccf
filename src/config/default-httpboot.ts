// HTTP boot settings, written beside tftpd-hpa's in the same Debian-style file
// (CONF_DIR/tftpd-hpa): Triad-specific assignments that in.tftpd's init script ignores.
//
//   TRIAD_HTTP_ADDRESS="0.0.0.0:8080"     where to listen ([address][:port], port 80 by default)
//   TRIAD_HTTP_DIRECTORY="/srv/tftp"      what to serve (the TFTP directory when absent)
//
// Without TRIAD_HTTP_ADDRESS there is no HTTP boot server. The TFTP settings themselves are
// TFTP's to check (default-tftpd.ts); only the directory and --permissive are borrowed.

import { loadConfigFile } from './config-file.js';
import { parseDefaultTftpd } from './default-tftpd.js';
import { parseShellAssignments } from './default-relay.js';
import { DiagnosticSink, type Position } from './diagnostics.js';

export const HTTPBOOT_DEFAULT_PORT = 80;

export interface HttpBootConf {
  /** '' = every address. */
  address: string;
  port: number;
  /** The directory served (absolute). */
  directory: string;
  /** As tftpd-hpa's --permissive: serve files that are not readable by everyone. */
  permissive: boolean;
  positions: Partial<Record<'address' | 'directory', Position>>;
}

/** `[addr][:port]`, `[v6addr][:port]`, `:port`; undefined when malformed. */
export function parseListenAddress(text: string, defaultPort: number): { address: string; port: number } | undefined {
  let addr = text;
  let port = defaultPort;
  const v6 = /^\[([^\]]*)\](?::([0-9]+))?$/.exec(text);
  if (v6) {
    addr = v6[1];
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else if (text.includes('[') || text.includes(']')) return undefined;
  else {
    const i = text.lastIndexOf(':');
    if (i >= 0 && text.indexOf(':') === i) {
      addr = text.slice(0, i);
      const p = text.slice(i + 1);
      if (!/^[0-9]+$/.test(p)) return undefined;
      port = Number(p);
    }
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { address: addr, port };
}

/** True when the file's text asks for an HTTP boot server (a non-empty TRIAD_HTTP_ADDRESS). */
export function wantsHttpBoot(file: string, text: string): boolean {
  const vars = parseShellAssignments(file, text, new DiagnosticSink());
  return (vars.get('TRIAD_HTTP_ADDRESS')?.value ?? '') !== '';
}

/** The HTTP boot settings of the file; undefined when it asks for none. Mistakes in `sink`. */
export function parseHttpBoot(file: string, text: string, sink: DiagnosticSink): HttpBootConf | undefined {
  // The file's shell syntax and TFTP settings are reported by the TFTP service's check.
  const scratch = new DiagnosticSink();
  const vars = parseShellAssignments(file, text, scratch);
  const addr = vars.get('TRIAD_HTTP_ADDRESS');
  if (!addr || addr.value === '') return undefined;
  sink.addSource(file, text);
  const conf: HttpBootConf = { address: '', port: HTTPBOOT_DEFAULT_PORT, directory: '', permissive: false, positions: { address: addr.pos } };
  const p = parseListenAddress(addr.value, HTTPBOOT_DEFAULT_PORT);
  if (!p) sink.error(addr.pos, `TRIAD_HTTP_ADDRESS ${addr.value}: expected [address][:port], e.g. "0.0.0.0:8080" or ":8080"`);
  else {
    conf.address = p.address;
    conf.port = p.port;
  }
  const tftp = parseDefaultTftpd(file, text, scratch);
  conf.permissive = tftp.permissive;
  const dir = vars.get('TRIAD_HTTP_DIRECTORY');
  if (dir && dir.value !== '') {
    if (!dir.value.startsWith('/')) sink.error(dir.pos, `TRIAD_HTTP_DIRECTORY ${dir.value}: an absolute path is expected`);
    conf.directory = dir.value;
    conf.positions.directory = dir.pos;
  } else if (tftp.directory.startsWith('/')) {
    conf.directory = tftp.directory;
    conf.positions.directory = tftp.positions.directory;
  } else {
    sink.error(addr.pos, 'TRIAD_HTTP_ADDRESS: no directory to serve (set TRIAD_HTTP_DIRECTORY, or a valid TFTP_DIRECTORY)');
  }
  return conf;
}

/** Reads and parses the file; undefined when it cannot be read (reason in the sink) or asks for no HTTP server. */
export function loadHttpBoot(file: string, sink: DiagnosticSink): HttpBootConf | undefined {
  return loadConfigFile(file, sink, parseHttpBoot);
}

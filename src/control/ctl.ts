// `triad ctl [SERVICE] COMMAND [ARGS…]`: talks to the control endpoint of a running
// `triad run` (`triad ctl status`, `triad ctl dns stats`, `triad ctl dhcp leases`,
// `triad ctl lb drain VIP:PORT RIP:PORT`). The commands come from the services'
// definitions; `--json` prints the structured reply of any command.

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ParsedArgs } from '../args.js';
import { optString } from '../args.js';
import { SERVICES } from '../services.js';
import { controlRequest, controlSocketPath } from './server.js';
import type { ControlKey } from './auth.js';
import { DiagnosticSink, formatDiagnostic } from '../config/diagnostics.js';
import { loadNamedConf } from '../config/named-conf.js';

/** The key to sign with, from a file of `key` statements (what `rndc-confgen -a` and `tsig-keygen` write). */
export function readControlKey(file: string, name?: string): { key: ControlKey } | { error: string } {
  if (!existsSync(file)) return { error: `${file}: no key file (--key FILE; rndc-confgen -a -c FILE writes one): requests over the network must be signed` };
  const sink = new DiagnosticSink();
  const conf = loadNamedConf(file, sink);
  if (sink.hasErrors()) return { error: sink.errors.map(formatDiagnostic).join('\n') };
  const keys = [...conf.keys.values()];
  const key = name ? keys.find((k) => k.name.toLowerCase().replace(/\.$/, '') === name.toLowerCase().replace(/\.$/, '')) : keys[0];
  if (!key) return { error: `${file}: ${name ? `no key '${name}'` : 'no key statement'}` };
  return { key };
}

/** ctl's own options; any other `--key[=value]` is passed on to the command (e.g. `ctl dhcp leases --all`). */
const OWN = new Set(['json', 'data-dir', 'conf-dir', 'control-socket', 'server', 'key', 'key-name']);

function ctlUsage(): string {
  const lines = ['usage: triad ctl [SERVICE] COMMAND [ARGS…] [--data-dir DIR | --control-socket PATH | --server ADDR[#PORT] (or ADDR:PORT) [--key FILE] [--key-name NAME]] [--json]', '  status                 every service: running, failed (with the reason) or not configured'];
  for (const d of SERVICES) {
    for (const c of d.control?.commands ?? []) {
      const words = `${d.name} ${c.name}${c.args ? ` ${c.args}` : ''}`;
      lines.push(`  ${words.padEnd(22)} ${c.summary}${c.name === d.control?.default ? ` (also: ctl ${d.name})` : ''}${c.alias ? ` (also: ctl ${c.name})` : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}

export async function ctlCommand(args: ParsedArgs): Promise<number> {
  const [name, ...rest] = args.positionals;
  if (!name) {
    process.stderr.write(ctlUsage());
    return 1;
  }
  for (const [k, v] of Object.entries(args.options)) if (!OWN.has(k)) rest.push(v === true ? `--${k}` : `--${k}=${String(v)}`);
  // A place option without its value is a mistake, never a silent fall-back to the default socket.
  for (const k of ['data-dir', 'conf-dir', 'control-socket', 'server']) {
    if (args.options[k] === true || args.options[k] === '') {
      process.stderr.write(`triad ctl: --${k} needs a value\n`);
      return 2;
    }
  }
  const confDir = path.resolve(optString(args, 'conf-dir') ?? 'conf');
  const dataDir = path.resolve(optString(args, 'data-dir') ?? process.env.TRIAD_DATA_DIR ?? path.join(confDir, '..', '.triad-data'));
  // `--server ADDR[#PORT]`: a named.conf `controls { inet … }` channel instead of the Unix socket (BIND's default port 953).
  const inet = optString(args, 'server');
  // ADDR#PORT as rndc writes it; ADDR:PORT too when ADDR is not an IPv6 address.
  const m = inet ? (/^([^:#]+):([0-9]+)$/.exec(inet) ?? /^(.+?)(?:[#]([0-9]+))?$/.exec(inet)) : null;
  const sock = m ? { host: m[1], port: Number(m[2] ?? 953) } : controlSocketPath(dataDir, args.options['control-socket']);
  let key: ControlKey | undefined;
  if (typeof sock !== 'string') {
    // Over the network every request is signed: --key FILE (an rndc.key-style `key` statement), else CONF_DIR/rndc.key (as rndc reads /etc/bind/rndc.key).
    const r = readControlKey(optString(args, 'key') ?? path.join(confDir, 'rndc.key'), optString(args, 'key-name'));
    if ('error' in r) {
      process.stderr.write(`triad ctl: ${r.error}\n`);
      return 1;
    }
    key = r.key;
  }
  let r;
  try {
    r = await controlRequest(sock, name, rest, key);
  } catch (e) {
    process.stderr.write(`triad ctl: cannot reach ${typeof sock === 'string' ? sock : `${sock.host}#${sock.port}`}: ${(e as Error).message} (is 'triad run' running?)\n`);
    return 1;
  }
  if (r.status !== 200) {
    const known = SERVICES.find((d) => d.name === name);
    const hint = r.status === 404 && known ? ` (${name} is not running: see triad ctl status)` : '';
    process.stderr.write(`triad ctl ${name}: ${r.body.error ?? `status ${r.status}`}${hint}\n`);
    return 1;
  }
  process.stdout.write(args.options.json ? JSON.stringify(r.body.data ?? null, null, 2) + '\n' : (r.body.text ?? ''));
  return 0;
}

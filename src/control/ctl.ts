// `triad ctl COMMAND [ARGS…]`: talks to the control endpoint of a running `triad run`
// (e.g. `triad ctl status`, `triad ctl lb`, `triad ctl lb drain VIP:PORT RIP:PORT`).

import path from 'node:path';
import type { ParsedArgs } from '../args.js';
import { optString } from '../args.js';
import { controlRequest, controlSocketPath } from './server.js';

export async function ctlCommand(args: ParsedArgs): Promise<number> {
  const [name, ...rest] = args.positionals;
  if (!name) {
    process.stderr.write('usage: triad ctl COMMAND [ARGS…] [--data-dir DIR | --control-socket PATH | --server ADDR[#PORT]] [--json]\n  triad ctl status: every service, running, failed (with the reason) or not configured\n  e.g. triad ctl lb; triad ctl lb drain 10.0.0.100:80 10.0.0.3:80\n  DNS: triad ctl reload | flush [NAME] | dumpdb | stats | zonestatus ZONE\n');
    return 1;
  }
  const confDir = path.resolve(optString(args, 'conf-dir') ?? 'conf');
  const dataDir = path.resolve(optString(args, 'data-dir') ?? process.env.TRIAD_DATA_DIR ?? path.join(confDir, '..', '.triad-data'));
  // `--server ADDR[#PORT]`: a named.conf `controls { inet … }` channel instead of the Unix socket (BIND's default port 953).
  const inet = optString(args, 'server');
  const m = inet ? /^(.+?)(?:[#]([0-9]+))?$/.exec(inet) : null;
  const sock = m ? { host: m[1], port: Number(m[2] ?? 953) } : controlSocketPath(dataDir, args.options['control-socket']);
  let r;
  try {
    r = await controlRequest(sock, name, rest);
  } catch (e) {
    process.stderr.write(`triad ctl: cannot reach ${typeof sock === 'string' ? sock : `${sock.host}#${sock.port}`}: ${(e as Error).message} (is 'triad run' running?)\n`);
    return 1;
  }
  if (r.status !== 200) {
    process.stderr.write(`triad ctl ${name}: ${r.body.error ?? `status ${r.status}`}\n`);
    return 1;
  }
  process.stdout.write(args.options.json ? JSON.stringify(r.body.data ?? null, null, 2) + '\n' : (r.body.text ?? ''));
  return 0;
}

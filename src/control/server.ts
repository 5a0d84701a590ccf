// The local control endpoint of `triad run`: HTTP/JSON on a Unix socket (mode 0600,
// so only the owner — root on a real host — can drive it). `triad run` registers
// `status`; each running service registers its name (`dns`, `dhcp`, `lb`) with
// `registerServiceControl`, which also answers the spellings from before namespaces
// (`reload`, `flush`, `stats`…) as aliases. `triad ctl NAME …` posts `{args}` to
// `/NAME` and prints the reply. One endpoint per process, started by the first
// registration and closed with the last.

import http from 'node:http';
import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { ControlUsageError, type ControlReply, type ControlSpec } from '../service.js';
import { signReply, signRequest, verifyReply, verifyRequest, type ControlKey, type ReplayGuard } from './auth.js';

export { ControlUsageError, type ControlReply } from '../service.js';
export { ReplayGuard } from './auth.js';

export type ControlHandler = (args: string[]) => Promise<ControlReply>;

const handlers = new Map<string, ControlHandler>();
let server: http.Server | undefined;
let serverPath: string | undefined;

/** Where the endpoint listens: `--control-socket`, else DATA_DIR/control.sock. */
export function controlSocketPath(dataDir: string, flag?: string | boolean): string {
  return typeof flag === 'string' ? path.resolve(flag) : path.join(dataDir, 'control.sock');
}

/** How an inet control channel checks requests: its keys, its replay guard, where refusals are logged. */
export interface ChannelAuth {
  keys: readonly ControlKey[];
  guard: ReplayGuard;
  refused(reason: string): void;
}

/**
 * Serves one request against the registered handlers (also used by TCP control
 * channels, e.g. named.conf `controls`, which pass `auth`: the request must then be
 * signed with one of its keys, and the reply is signed with the same key).
 */
export async function handleControlRequest(req: http.IncomingMessage, res: http.ServerResponse, auth?: ChannelAuth): Promise<void> {
  let signer: { key: ControlKey; nonce: string } | undefined;
  const send = (status: number, body: unknown) => {
    const text = JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signer) headers['x-triad-mac'] = signReply(signer.key, signer.nonce, status, text);
    res.writeHead(status, headers);
    res.end(text);
  };
  const url = req.url ?? '/';
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 65536) return send(413, { error: 'request too large' });
  }
  if (auth) {
    const v = verifyRequest(auth.keys, auth.guard, req.method ?? 'POST', url, body, req.headers);
    if (!v.ok) {
      auth.refused(v.reason);
      return send(401, { error: `request refused: ${v.reason}` });
    }
    signer = v;
  }
  const name = url.replace(/^\//, '').split('?')[0];
  const h = handlers.get(name);
  if (!h) return send(404, { error: `no service '${name}' here (have: ${[...handlers.keys()].join(', ') || 'none'})` });
  let args: string[] = [];
  try {
    const j = body ? (JSON.parse(body) as { args?: unknown }) : {};
    if (Array.isArray(j.args) && j.args.every((a) => typeof a === 'string')) args = j.args as string[];
  } catch {
    return send(400, { error: 'request body is not JSON' });
  }
  try {
    send(200, await h(args));
  } catch (e) {
    send(e instanceof ControlUsageError ? 400 : 500, { error: e instanceof Error ? e.message : String(e) });
  }
}

export async function registerControl(socketPath: string, name: string, handler: ControlHandler): Promise<void> {
  handlers.set(name, handler);
  if (server) return;
  mkdirSync(path.dirname(socketPath), { recursive: true });
  try {
    unlinkSync(socketPath); // a socket file left by a killed process
  } catch {
    // none
  }
  const s = http.createServer((req, res) => void handleControlRequest(req, res));
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    // bind(2) runs synchronously inside listen(): the socket file is created
    // owner-only, never for a moment with the umask's mode; the umask is restored
    // before anything else in the process creates a file.
    const umask = process.umask(0o177);
    try {
      s.listen(socketPath, () => resolve());
    } finally {
      process.umask(umask);
    }
  });
  chmodSync(socketPath, 0o600);
  server = s;
  serverPath = socketPath;
}

/**
 * Registers one service's commands under its name (`triad ctl dns stats`) and, for the
 * commands its spec marks `alias`, under the command's own name (`triad ctl stats`).
 * `run` receives a command of `spec` only; others are refused with the list. Returns
 * the function that unregisters them all.
 */
export async function registerServiceControl(
  socketPath: string, service: string, spec: ControlSpec, run: (cmd: string, args: string[]) => Promise<ControlReply>,
): Promise<() => Promise<void>> {
  const names = spec.commands.map((c) => c.name);
  const dispatch = (cmd: string | undefined, args: string[]): Promise<ControlReply> => {
    const c = cmd ?? spec.default;
    if (c === undefined) throw new ControlUsageError(`usage: triad ctl ${service} ${names.join('|')} …`);
    if (!names.includes(c)) throw new ControlUsageError(`unknown ${service} command '${c}' (have: ${names.join(', ')})`);
    // Every read command answers `--json`: one that has no structured reply gives its text.
    const read = spec.commands.find((x) => x.name === c)?.read ?? false;
    return run(c, args).then((r) => (read && r.data === undefined ? { ...r, data: { text: r.text } } : r));
  };
  await registerControl(socketPath, service, async ([cmd, ...args]) => dispatch(cmd, args));
  const aliases = spec.commands.filter((c) => c.alias).map((c) => c.name);
  for (const a of aliases) await registerControl(socketPath, a, (args) => dispatch(a, args));
  return async () => {
    for (const a of aliases) handlers.delete(a);
    await unregisterControl(service);
  };
}

export async function unregisterControl(name: string): Promise<void> {
  handlers.delete(name);
  if (handlers.size || !server) return;
  const s = server;
  server = undefined;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  s.closeAllConnections();
  try {
    if (serverPath) unlinkSync(serverPath);
  } catch {
    // already gone
  }
}

/** Client side, used by `triad ctl`; with `key`, the request is signed and the reply's signature checked. */
export function controlRequest(socketPath: string | { host: string; port: number }, name: string, args: string[], key?: ControlKey): Promise<{ status: number; body: { text?: string; data?: unknown; error?: string } }> {
  return new Promise((resolve, reject) => {
    const where = typeof socketPath === 'string' ? { socketPath } : { host: socketPath.host, port: socketPath.port };
    const payload = JSON.stringify({ args });
    const signed = key ? signRequest(key, 'POST', `/${name}`, payload) : {};
    // One connection per request: Node 20's global agent keeps sockets alive, and a
    // request racing the server's idle close of such a socket fails with EPIPE.
    const req = http.request({ ...where, agent: false, path: `/${name}`, method: 'POST', headers: { 'content-type': 'application/json', connection: 'close', ...signed } }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const replyMac = res.headers['x-triad-mac'];
        if (key && status !== 401 && status !== 403 && !verifyReply(key, signed['x-triad-nonce'], status, b, Array.isArray(replyMac) ? replyMac[0] : replyMac)) {
          reject(new Error('the reply is not signed with the key (wrong server or wrong key)'));
          return;
        }
        try {
          resolve({ status, body: JSON.parse(b) as { text?: string; error?: string } });
        } catch {
          reject(new Error(`bad reply from ${typeof socketPath === 'string' ? socketPath : `${socketPath.host}#${socketPath.port}`}`));
        }
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

// One health probe of each keepalived checker kind. Each resolves (never rejects)
// with up/down and a short reason, and honours connect_timeout.

import net from 'node:net';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { CheckConfig } from '../config/keepalived-conf.js';
import type { ScriptPolicy } from '../fs/script-security.js';

export interface ProbeResult {
  ok: boolean;
  detail: string;
  /** MISC_CHECK with misc_dynamic: exit status 2..255 sets weight status-2. */
  weight?: number;
}

export interface Target {
  ip: string;
  port: number;
}

function tcpProbe(c: CheckConfig, t: Target): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: c.connectIp ?? t.ip, port: c.connectPort ?? t.port, localAddress: c.bindTo });
    const done = (r: ProbeResult) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, detail: 'connect timeout' }), c.connectTimeout * 1000);
    sock.once('connect', () => done({ ok: true, detail: 'connected' }));
    sock.once('error', (e) => done({ ok: false, detail: e.message }));
  });
}

function statusOk(c: CheckConfig['urls'][number], status: number): boolean {
  // keepalived: without status_code any 2xx passes.
  if (c.statusCodes.length === 0) return status >= 200 && status < 300;
  return c.statusCodes.some(([a, b]) => status >= a && status <= b);
}

function httpProbe(c: CheckConfig, t: Target): Promise<ProbeResult> {
  const one = (u: CheckConfig['urls'][number]): Promise<ProbeResult> =>
    new Promise((resolve) => {
      const host = c.connectIp ?? t.ip;
      const port = c.connectPort ?? t.port;
      const req = http.get({ host, port, path: u.path, localAddress: c.bindTo, headers: { host: c.virtualhost ?? `${host}:${port}`, connection: 'close' }, agent: false });
      const timer = setTimeout(() => {
        req.destroy();
        resolve({ ok: false, detail: 'timeout' });
      }, c.connectTimeout * 1000);
      req.on('response', (res) => {
        const md5 = createHash('md5');
        res.on('data', (d: Buffer) => md5.update(d));
        res.on('end', () => {
          clearTimeout(timer);
          const status = res.statusCode ?? 0;
          if (!statusOk(u, status)) return resolve({ ok: false, detail: `${u.path}: HTTP status ${status}` });
          const digest = md5.digest('hex');
          if (u.digest && digest !== u.digest) return resolve({ ok: false, detail: `${u.path}: digest ${digest} differs` });
          resolve({ ok: true, detail: `${u.path}: HTTP ${status}` });
        });
        res.on('error', (e) => {
          clearTimeout(timer);
          resolve({ ok: false, detail: e.message });
        });
      });
      req.on('error', (e) => {
        clearTimeout(timer);
        resolve({ ok: false, detail: e.message });
      });
    });
  return (async () => {
    let last: ProbeResult = { ok: true, detail: 'no url' };
    for (const u of c.urls) {
      last = await one(u);
      if (!last.ok) return last;
    }
    return last;
  })();
}

/** Runs a command line (keepalived runs misc_path through the shell as well). */
function runCommand(cmd: string, args: string[] | undefined, timeoutSec: number, as: { uid?: number; gid?: number } = {}): Promise<{ code: number | null; timedOut: boolean; error?: string }> {
  return new Promise((resolve) => {
    const child = args ? spawn(cmd, args, { stdio: 'ignore', ...as }) : spawn('/bin/sh', ['-c', cmd], { stdio: 'ignore', ...as });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSec * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, timedOut, error: e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut });
    });
  });
}

async function miscProbe(c: CheckConfig, scripts?: ScriptPolicy): Promise<ProbeResult> {
  const cmd = c.miscPath ?? 'false';
  // keepalived's enable_script_security: an unsafe script never runs, and the check fails.
  if (scripts && !scripts.allowed(cmd, 'MISC_CHECK')) return { ok: false, detail: 'refused by enable_script_security' };
  // keepalived's misc_timeout defaults to delay_loop.
  const r = await runCommand(cmd, undefined, c.miscTimeout ?? c.delayLoop, scripts?.spawnOptions());
  if (r.error) return { ok: false, detail: r.error };
  if (r.timedOut) return { ok: false, detail: 'misc_path timed out' };
  if (r.code === 0) return { ok: true, detail: 'exit 0' };
  if (c.miscDynamic && r.code !== null && r.code >= 2 && r.code <= 255) return { ok: true, detail: `exit ${r.code}`, weight: r.code - 2 };
  return { ok: false, detail: `exit ${r.code}` };
}

async function pingProbe(c: CheckConfig, t: Target): Promise<ProbeResult> {
  const wait = Math.max(1, Math.ceil(c.connectTimeout));
  const r = await runCommand('ping', ['-n', '-q', '-c', '1', '-W', String(wait), c.connectIp ?? t.ip], c.connectTimeout + 1);
  if (r.error) return { ok: false, detail: `ping: ${r.error} (install iputils-ping)` };
  return r.code === 0 ? { ok: true, detail: 'echo reply' } : { ok: false, detail: r.timedOut ? 'timeout' : 'no echo reply' };
}

/** One check of one real server; MISC_CHECK scripts run as `scripts` says (script_user). */
export function probe(c: CheckConfig, t: Target, scripts?: ScriptPolicy): Promise<ProbeResult> {
  switch (c.kind) {
    case 'TCP_CHECK':
      return tcpProbe(c, t);
    case 'HTTP_GET':
      return httpProbe(c, t);
    case 'MISC_CHECK':
      return miscProbe(c, scripts);
    case 'PING_CHECK':
      return pingProbe(c, t);
  }
}

// Shared preamble of peer tests: the real tools must be installed (a missing one
// FAILS the test with the reason), and a port free for both UDP and TCP.
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import type { Test } from 'tap';
import { randomPort } from './triad-run.js';

export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/**
 * Fails `t` with `TOOL is not installed (HINT)` for the first tool missing and
 * returns false; true when all are there.
 */
export function requireTools(t: Test, tools: readonly string[], hint = 'test/install-deps.sh installs it'): boolean {
  for (const tool of tools) {
    if (!have(tool)) {
      t.fail(`${tool} is not installed (${hint})`);
      return false;
    }
  }
  return true;
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const u = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    u.once('error', () => resolve(false));
    u.bind(port, host, () => {
      const s = net.createServer();
      s.once('error', () => u.close(() => resolve(false)));
      s.listen(port, host, () => s.close(() => u.close(() => resolve(true))));
    });
  });
}

/**
 * A random port below the ephemeral range that nobody holds for UDP or TCP on
 * every one of `hosts` (another test's named may hold one with SO_REUSEPORT).
 */
export async function freePort(hosts: readonly string[] = ['127.0.0.1']): Promise<number> {
  for (;;) {
    const port = randomPort();
    let ok = true;
    for (const h of hosts) if (ok) ok = await portFree(port, h);
    if (ok) return port;
  }
}

/** Polls `probe` until it yields a value; throws `timed out waiting for WHAT` with `detail()` after `ms`. */
export async function pollFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000, detail = (): string => ''): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// The options block of the named.conf files peer tests write for a reference
// BIND (`named`) and for Triad: authoritative only, on one loopback address and a
// test's own port. For BIND (`bind: true`) also what keeps a test's named to its
// temporary folder and off the network: no pid file, no session key, no DNSSEC
// trust-anchor upkeep (it would try to reach the root servers), no rndc channel.
// And the reference BIND itself, started and always stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Test } from 'tap';
import { waitFor } from './triad-run.js';

export interface NamedOptions {
  directory: string;
  port: number;
  /** The IPv4 address to listen on. */
  addr: string;
  /** Also listen on this IPv6 address (the same port); otherwise `listen-on-v6 { none; }`. */
  v6?: string;
  /** The file is for BIND (true) or only for Triad (false, the default: the statements above are left out). */
  bind?: boolean;
  /** More statements inside `options { }`, one per entry, e.g. `notify no`. */
  extra?: readonly string[];
}

/** `options { … };` (and for BIND `controls { };`), ending with a newline. */
export function namedOptions(o: NamedOptions): string {
  const lines = [
    `directory "${o.directory}"`,
    ...(o.bind ? ['pid-file none', 'session-keyfile none'] : []),
    `listen-on port ${o.port} { ${o.addr}; }`,
    o.v6 ? `listen-on-v6 port ${o.port} { ${o.v6}; }` : 'listen-on-v6 { none; }',
    'recursion no',
    ...(o.bind ? ['dnssec-validation no'] : []),
    ...(o.extra ?? []),
  ];
  return `options {\n${lines.map((l) => `    ${l};\n`).join('')}};\n${o.bind ? 'controls { };\n' : ''}`;
}

export interface RefNamed {
  child: ChildProcess;
  /** What named logged so far (stderr of `named -g`). */
  log(): string;
  /** It logged "running" within 15 s and had not exited. */
  running: boolean;
}

/**
 * `named -g -n 1 [ARGS] -c CONF`, waited for until it logs "running" (or exits, or
 * 15 s pass). Stopped in `t`'s teardown: SIGTERM, SIGKILL after 5 s.
 */
export async function startRefNamed(t: Test, conf: string, args: readonly string[] = []): Promise<RefNamed> {
  const child = spawn('named', ['-g', ...args, '-c', conf, '-n', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  child.on('error', (e) => (log += String(e)));
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  });
  await waitFor(() => /running/.test(log) || child.exitCode !== null || child.pid === undefined, 15000, 50);
  return { child, log: () => log, running: /running/.test(log) && child.exitCode === null };
}

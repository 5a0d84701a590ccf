// Starts `bin/triad run …` as a real process for peer tests, captures its log,
// and asks it questions with the real `dig`. Always stopped in t.teardown.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { BIN_TRIAD } from './paths.js';

export interface TriadProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout + stderr). */
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `ms`; resolves with how it ended. */
  stop(ms?: number): Promise<number | string>;
}

export function startTriad(args: string[], env: NodeJS.ProcessEnv = {}): TriadProcess {
  const child = spawn(process.execPath, [BIN_TRIAD, 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRIAD_LOG_LEVEL: 'info', ...env } });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, sig) => resolve(code ?? sig ?? 'unknown')));
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    output: () => out,
    exited,
    signal: (sig) => {
      if (!done) child.kill(sig);
    },
    stop: async (ms = 8000) => {
      if (done) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
  };
}

/** `dig +short` (or other flags) against a server; returns stdout, '' on timeout. */
export function dig(server: string, port: number, args: string[]): string {
  const r = spawnSync('dig', [`@${server}`, '-p', String(port), '+time=2', '+tries=1', ...args], { encoding: 'utf8' });
  if (r.error) throw new Error(`dig could not run: ${r.error.message} (install bind9-dnsutils)`);
  return r.stdout;
}

/** The rcode dig printed (NOERROR, NXDOMAIN, …); TIMEOUT when no answer came. */
export function digStatus(server: string, port: number, args: string[]): string {
  return /status: ([A-Z]+)/.exec(dig(server, port, args))?.[1] ?? 'TIMEOUT';
}

/** One dynamic update with `nsupdate -v` (TCP); throws with nsupdate's stderr when it fails. */
export function nsupdate(server: string, port: number, commands: string): void {
  const r = spawnSync('nsupdate', ['-v'], { input: `server ${server} ${port}\n${commands}\nsend\n`, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nsupdate failed: ${r.stderr}`);
}

/** `dig` without blocking the test process (for questions asked of several servers at once); stdout and stderr. */
export function digAsync(server: string, port: number, args: string[], time = 3): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn('dig', [`@${server}`, '-p', String(port), '+tries=1', `+time=${time}`, ...args]);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', () => resolve(out));
    p.on('error', (e) => resolve(String(e)));
  });
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls until `check` returns true or the time is up. */
export async function waitFor(check: () => boolean, ms: number, every = 200): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await sleep(every);
  }
  return check();
}

/** A random 127.x.y.z address (never 127.0.0.1) so parallel tests do not collide. */
export function randomLoopback(): string {
  const b = (): number => 1 + Math.floor(Math.random() * 250);
  return `127.${b()}.${b()}.${b()}`;
}

/** A random port below the ephemeral range (32768+), so no client socket of another test can hold it. */
export function randomPort(): number {
  return 10000 + Math.floor(Math.random() * 22000);
}

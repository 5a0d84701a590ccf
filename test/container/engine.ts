// The container engine the image test drives: rootful podman with the options this
// kind of machine needs, each command reported exactly as it ran when it fails.
//
// - runc with the cgroupfs manager: crun refuses hybrid (v1) cgroup hierarchies, and
//   CI machines need not run systemd.
// - a containers.conf with empty `default_ulimits`: podman's defaults raise
//   RLIMIT_NOFILE/RLIMIT_NPROC, which fails where the session lacks CAP_SYS_RESOURCE;
//   empty keeps the limits the test already has.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const RUNC = '/usr/sbin/runc';

export interface CmdResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The command line as a user would type it (with CONTAINERS_CONF), for error messages. */
  line: string;
}

function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** The last lines of a long output: enough to see why a build failed. */
export function tail(text: string, lines = 25): string {
  const l = text.trimEnd().split('\n');
  return (l.length > lines ? ['…', ...l.slice(-lines)] : l).join('\n');
}

/** Commands still running, so an interrupted test can end them before it cleans up. */
const inFlight = new Set<ChildProcess>();

/** Kills every command runCmd started that has not ended yet. */
export function killInFlight(): void {
  for (const p of inFlight) p.kill('SIGKILL');
}

/** Runs a command to completion (no stdin, as in CI); never throws for a non-zero exit. */
export function runCmd(argv: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<CmdResult> {
  const envPrefix = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${quote(String(v))} `).join('');
  const line = envPrefix + argv.map(quote).join(' ');
  return new Promise((resolve) => {
    const p = spawn(argv[0], argv.slice(1), {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    inFlight.add(p);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          stderr += `\n(killed after ${opts.timeoutMs} ms)`;
          p.kill('SIGKILL');
        }, opts.timeoutMs)
      : undefined;
    p.on('error', (e) => {
      inFlight.delete(p);
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: stderr + e.message, line });
    });
    p.on('close', (code, signal) => {
      inFlight.delete(p);
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, line });
    });
  });
}

/** An Error naming the exact command, its exit status and the end of its output. */
export function commandError(r: CmdResult, what: string): Error {
  const out = tail([r.stdout, r.stderr].filter((s) => s.trim()).join('\n'));
  return new Error(`${what}: \`${r.line}\` exited ${r.code}\n${out}`);
}

export class Podman {
  readonly confFile: string;

  constructor(workDir: string) {
    this.confFile = path.join(workDir, 'containers.conf');
    writeFileSync(this.confFile, '[containers]\ndefault_ulimits = []\n');
  }

  argv(args: string[]): string[] {
    return ['podman', '--runtime', RUNC, '--cgroup-manager', 'cgroupfs', ...args];
  }

  get env(): NodeJS.ProcessEnv {
    return { CONTAINERS_CONF: this.confFile };
  }

  /** `podman ARGS`, optionally inside network namespace `netns` (a name under /run/netns). */
  run(args: string[], opts: { netns?: string; timeoutMs?: number; cwd?: string } = {}): Promise<CmdResult> {
    const argv = this.argv(args);
    const full = opts.netns ? ['nsenter', `--net=/run/netns/${opts.netns}`, ...argv] : argv;
    return runCmd(full, { env: this.env, timeoutMs: opts.timeoutMs ?? 120_000, cwd: opts.cwd });
  }

  /** Like run(), but a non-zero exit throws with the exact command and its error. */
  async ok(args: string[], what: string, opts: { netns?: string; timeoutMs?: number; cwd?: string } = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code !== 0) throw commandError(r, what);
    return r.stdout;
  }

  /** Synchronous removal for teardown and signal handlers; reports but never throws. */
  removeSync(kind: 'container' | 'image', id: string): string | undefined {
    const args = kind === 'container' ? ['rm', '-f', '-v', id] : ['rmi', '-f', id];
    const r = spawnSync(this.argv(args)[0], this.argv(args).slice(1), { env: { ...process.env, ...this.env }, encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return undefined;
    return `podman ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`;
  }
}

/**
 * What an interrupted `podman build` leaves: podman 4 does not clean up when it is
 * killed, so the RUN step's runc container keeps running and the build's working
 * container and its /var/tmp/buildah* bundle stay. A snapshot before the build tells
 * which of them this build made.
 */
export interface BuildSnapshot {
  runc: Set<string>;
  working: Set<string>;
  bundles: Set<string>;
}

function lines(argv: string[], env?: NodeJS.ProcessEnv): Set<string> {
  const r = spawnSync(argv[0], argv.slice(1), { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  return new Set((r.stdout ?? '').split('\n').map((l) => l.trim()).filter(Boolean));
}

export function buildSnapshot(podman: Podman, base: string): BuildSnapshot {
  const tmp = process.env.TMPDIR || '/var/tmp';
  let bundles: string[] = [];
  try {
    bundles = readdirSync(tmp).filter((e) => e.startsWith('buildah')).map((e) => path.join(tmp, e));
  } catch {
    // no such directory: nothing there
  }
  return {
    runc: new Set([...lines([RUNC, 'list', '-q'])].filter((id) => id.startsWith('buildah-'))),
    working: lines(podman.argv(['ps', '-a', '--external', '--no-trunc', '--filter', `ancestor=${base}`, '--format', '{{.ID}}']), podman.env),
    bundles: new Set(bundles),
  };
}

/** Ends a build still running and removes what it made since `before`; returns problems, if any. */
export function removeBuildLeftovers(podman: Podman, base: string, before: BuildSnapshot): string | undefined {
  killInFlight();
  const now = buildSnapshot(podman, base);
  const problems: string[] = [];
  for (const id of now.runc) {
    if (before.runc.has(id)) continue;
    const r = spawnSync(RUNC, ['delete', '--force', id], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) problems.push(`runc delete --force ${id}: ${(r.stderr ?? '').trim()}`);
  }
  for (const id of now.working) {
    if (before.working.has(id)) continue;
    const p = podman.removeSync('container', id);
    if (p) problems.push(p);
  }
  const mounts = readFileSync('/proc/self/mounts', 'utf8');
  for (const dir of now.bundles) {
    if (before.bundles.has(dir)) continue;
    if (mounts.includes(dir)) problems.push(`${dir} is still mounted`);
    else rmSync(dir, { recursive: true, force: true });
  }
  return problems.length ? problems.join('; ') : undefined;
}

/** The tools the image test needs, each with the Debian package that provides it. */
export function missingTools(): string[] {
  const need: [string, string][] = [
    ['podman', 'podman'],
    ['mmdebstrap', 'mmdebstrap'],
    ['nsenter', 'util-linux'],
    ['ip', 'iproute2'],
    ['dig', 'bind9-dnsutils'],
    ['named-compilezone', 'bind9-utils'],
    ['named-checkconf', 'bind9-utils'],
  ];
  const missing = need.filter(([bin]) => spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0).map(([bin, pkg]) => `${bin} (Debian package ${pkg})`);
  if (!existsSync(RUNC)) missing.push(`${RUNC} (Debian package runc)`);
  return missing;
}

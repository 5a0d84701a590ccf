// What the DNS, DHCP and LB benches share: the machine header, options, core pinning,
// a server's CPU time and RSS from /proc, alternating rounds, and the markdown table
// README quotes. Not a test: nothing here passes or fails on a figure.

import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** `--name N` on the command line, else the environment variable, else the default. */
export function option(name: string, env: string | undefined, dflt: number): number {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  if (i >= 0 && args[i + 1] !== undefined) return Number(args[i + 1]);
  if (env && process.env[env] !== undefined) return Number(process.env[env]);
  return dflt;
}

/** `--name a,b` on the command line, else the environment variable, else the default. */
export function listOption(name: string, env: string | undefined, dflt: string): string[] {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? args[i + 1] : env ? process.env[env] : undefined;
  return (v ?? dflt).split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * The two ways every bench runs: `one-core`, each server pinned with taskset to the
 * same core and the load generator to another; `all-cores`, nothing pinned.
 */
export type CoreMode = 'one-core' | 'all-cores';
export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

/** The modes asked for with `--cores one,all` (default both, one-core first). */
export function coreModes(): CoreMode[] {
  const want = listOption('cores', 'BENCH_CORES', 'one,all');
  const modes: CoreMode[] = [];
  if (want.includes('one')) modes.push('one-core');
  if (want.includes('all')) modes.push('all-cores');
  if (modes.length === 0) throw new Error('--cores takes one, all or one,all');
  if (modes.includes('one-core') && os.cpus().length < 2) throw new Error('the one-core table needs a second core for the load generator; run with --cores all');
  return modes;
}

/** The command prefix that pins a server (or, with `load`, the load generator) in this mode. */
export function pin(mode: CoreMode, who: 'server' | 'load'): string[] {
  if (mode === 'all-cores') return [];
  return ['taskset', '-c', String(who === 'server' ? SERVER_CORE : LOAD_CORE)];
}

export function modeTitle(mode: CoreMode): string {
  return mode === 'one-core' ? `one core (servers pinned to CPU ${SERVER_CORE}, load generator to CPU ${LOAD_CORE})` : `all cores (nothing pinned, ${os.cpus().length} CPUs)`;
}

/** Date, nproc, CPU model and kernel: the lines printed above every table. */
export function machineHeader(): string {
  let model = 'unknown CPU';
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? model;
  } catch {
    // not Linux: keep "unknown CPU"
  }
  return [`date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`, `machine: nproc ${os.availableParallelism()}, ${model}, kernel ${os.release()}`, `node ${process.version}`].join('\n');
}

/** The pid and every descendant's pid (DNS workers, Kea's children, `ip netns exec` chains). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let children: string[] = [];
    try {
      for (const tid of readdirSync(`/proc/${out[i]}/task`)) {
        children = children.concat(readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean));
      }
    } catch {
      // the process ended meanwhile
    }
    for (const c of children) out.push(Number(c));
  }
  return out;
}

const CLK_TCK = 100; // Linux's USER_HZ on every architecture Node runs on

/** User + system CPU seconds of the processes and their descendants, from /proc/PID/stat. */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const root of pids) {
    for (const p of processTree(root)) {
      try {
        const s = readFileSync(`/proc/${p}/stat`, 'utf8');
        const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
        ticks += Number(f[11]) + Number(f[12]); // utime, stime
      } catch {
        // ended meanwhile
      }
    }
  }
  return ticks / CLK_TCK;
}

/** Resident memory of the processes and their descendants, in MiB (VmRSS summed). */
export function rssMiB(pids: number[]): number {
  let kib = 0;
  for (const root of pids) {
    for (const p of processTree(root)) {
      try {
        kib += Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
      } catch {
        // ended meanwhile
      }
    }
  }
  return kib / 1024;
}

/**
 * Pins every thread of the processes and their descendants to the server core (one-core),
 * or lets them run on every core again (all-cores: a server kept from the one-core table).
 */
export function pinTree(mode: CoreMode, pids: number[]): void {
  const cpus = mode === 'one-core' ? String(SERVER_CORE) : `0-${os.cpus().length - 1}`;
  for (const root of pids) {
    for (const p of processTree(root)) {
      const r = spawnSync('taskset', ['-a', '-c', '-p', cpus, String(p)], { encoding: 'utf8' });
      if (r.status !== 0 && existsSync(`/proc/${p}`)) throw new Error(`taskset could not pin ${p}: ${r.stderr || r.error?.message}`);
    }
  }
}

/** Samples CPU time over a measured window: call `start()` before the load, `stop()` after. */
export function cpuWindow(pids: () => number[]): { stop: () => { cpu: number; wall: number } } {
  const c0 = cpuSeconds(pids());
  const t0 = performance.now();
  return {
    stop: () => ({ cpu: cpuSeconds(pids()) - c0, wall: (performance.now() - t0) / 1000 }),
  };
}

/** One measured round of one contender. */
export interface Sample {
  /** Queries, exchanges, requests or packets per second. */
  rate: number;
  /** CPU seconds the server's processes used during the round (undefined: not measurable, e.g. the kernel). */
  cpu?: number;
  /** Wall seconds of the round (to turn rate into a count). */
  seconds: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Where the tool gives no percentiles (perfdhcp): its average delay. */
  avgMs?: number;
  rssMiB?: number;
  note?: string;
}

export const perCpu = (s: Sample): number | undefined => (s.cpu && s.cpu > 0 ? (s.rate * s.seconds) / s.cpu : undefined);

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

export interface Contender {
  name: string;
  run: (round: number) => Promise<Sample>;
}

/**
 * Rounds alternate (A, B, C, A, B, C, …) so that load from elsewhere on a shared machine
 * falls on every contender alike. Returns each contender's samples by name.
 */
export async function alternate(rounds: number, contenders: Contender[], progress = true): Promise<Map<string, Sample[]>> {
  const out = new Map<string, Sample[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of contenders) {
      if (progress) process.stdout.write(`  round ${r + 1}/${rounds}: ${c.name}…`);
      const s = await c.run(r);
      out.get(c.name)!.push(s);
      if (progress) process.stdout.write(` ${s.rate.toFixed(0)}/s${s.cpu !== undefined ? `, ${s.cpu.toFixed(2)} CPU-s` : ''}\n`);
    }
  }
  return out;
}

export interface Row {
  name: string;
  samples: Sample[];
  /** Ratio = this row / that row (a Triad row against its peer). */
  vs?: string;
  /** Ratio = that row / this row (a peer row: "Triad is N× this"). */
  over?: string;
}

const fmt = (n: number | undefined, d = 0): string => (n === undefined || !Number.isFinite(n) ? '–' : n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));

/**
 * The markdown table: best and median rate, median per CPU-second, latency, RSS, and the
 * ratio of the medians to the row named in `vs` (rate, and per CPU-second).
 */
export function table(title: string, unit: string, rows: Row[]): string {
  const stat = (r: Row) => {
    const rates = r.samples.map((s) => s.rate);
    const pc = r.samples.map(perCpu).filter((x): x is number => x !== undefined);
    const num = (k: 'p50Ms' | 'p99Ms' | 'avgMs' | 'rssMiB') => {
      const xs = r.samples.map((s) => s[k]).filter((x): x is number => x !== undefined && Number.isFinite(x));
      return xs.length ? median(xs) : undefined;
    };
    return { best: rates.length ? Math.max(...rates) : NaN, med: median(rates), perCpu: pc.length ? median(pc) : undefined, p50: num('p50Ms'), p99: num('p99Ms'), avg: num('avgMs'), rss: num('rssMiB'), notes: [...new Set(r.samples.map((s) => s.note).filter(Boolean))].join('; ') };
  };
  const stats = new Map(rows.map((r) => [r.name, stat(r)]));
  const hasAvg = [...stats.values()].some((s) => s.avg !== undefined);
  const hasPct = [...stats.values()].some((s) => s.p50 !== undefined || s.p99 !== undefined);
  const head = ['server', `best ${unit}/s`, `median ${unit}/s`, `${unit} per CPU-s`];
  if (hasPct) head.push('p50 ms', 'p99 ms');
  if (hasAvg) head.push('avg delay ms');
  head.push('RSS MiB', 'ratio (median /s)', 'ratio (per CPU-s)', 'rounds /s');
  const lines = [`**${title}**`, '', `| ${head.join(' | ')} |`, `|${head.map((h, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const r of rows) {
    const s = stats.get(r.name)!;
    const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}×` : '–');
    const other = r.vs ? stats.get(r.vs) : r.over ? stats.get(r.over) : undefined;
    const [num, den] = r.vs ? [s, other] : [other, s];
    const label = r.vs ? `this / ${r.vs}` : `${r.over} / this`;
    const cells = [r.name + (s.notes ? ` (${s.notes})` : ''), fmt(s.best), fmt(s.med), fmt(s.perCpu)];
    if (hasPct) cells.push(fmt(s.p50, 3), fmt(s.p99, 3));
    if (hasAvg) cells.push(fmt(s.avg, 3));
    cells.push(fmt(s.rss, 1), other ? `${ratio(num?.med, den?.med)} (${label})` : '–', other ? ratio(num?.perCpu, den?.perCpu) : '–', r.samples.map((x) => x.rate.toFixed(0)).join(', '));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

/** Prints the header and the tables of every mode, ready to paste into README. */
export function report(what: string, settings: string, tables: string[]): void {
  process.stdout.write(`\n## ${what}\n\n${machineHeader().split('\n').map((l) => l + '  ').join('\n')}\n${settings}\n\n${tables.join('\n')}`);
}

/** Stops a child the bench started: SIGTERM, then SIGKILL after `killAfterMs` (long under valgrind). */
export async function stopChild(child: ChildProcess, killAfterMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await done;
  clearTimeout(t);
}

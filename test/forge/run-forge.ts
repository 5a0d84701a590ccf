// Runs ISC Forge (ISC's DHCP conformance suite) against this checkout, in network namespaces,
// with the kit in the suite directory (its README says how it works). Prints one line per
// Forge test and `N passed, N failed`; exits non-zero on any failure, and when the suite, a
// tool it needs, or root is missing (never a silent skip).
//
//   node dist/test/forge/run-forge.js --suite ../shared/suites/forge [--set iscdhcp|protocol|extra|all]
//                                     [--sut triad|isc] [--keep]
//
// --sut isc runs the same tests against ISC dhcpd 4.4 (the reference). Not a `*.test.js`: the
// normal test run does not pick it up (it needs the suite, root and ~5 min per set).

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePytest, verdicts, type Verdict } from './forge-results.js';
import { FORGE_SETS, type ForgeSet } from './forge-sets.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SET_TIMEOUT_MS = 25 * 60_000;
/** Forge's fixed namespace names (forge-run.sh): a second run at the same time would collide. */
const NAMESPACES = ['extfsrv', 'extfcli'];

interface Options {
  suite: string;
  sets: ForgeSet[];
  sut: 'triad' | 'isc';
  keep: boolean;
}

function usage(msg: string): never {
  console.error(`run-forge: ${msg}`);
  console.error('usage: node dist/test/forge/run-forge.js --suite DIR [--set iscdhcp|protocol|extra|all] [--sut triad|isc] [--keep]');
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  let suite: string | undefined;
  let set = 'all';
  let sut = 'triad';
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = (): string => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--suite') suite = val();
    else if (a.startsWith('--suite=')) suite = a.slice(8);
    else if (a === '--set') set = val();
    else if (a.startsWith('--set=')) set = a.slice(6);
    else if (a === '--sut') sut = val();
    else if (a.startsWith('--sut=')) sut = a.slice(6);
    else if (a === '--keep') keep = true;
    else usage(`unknown argument ${a}`);
  }
  if (!suite) usage('--suite DIR is required (the Forge suite with its kit, e.g. ../shared/suites/forge)');
  if (sut !== 'triad' && sut !== 'isc') usage(`--sut is triad or isc, not ${sut}`);
  const names = set === 'all' ? Object.keys(FORGE_SETS) : set.split(',');
  const sets = names.map((n) => FORGE_SETS[n] ?? usage(`unknown set ${n} (sets: ${Object.keys(FORGE_SETS).join(', ')}, all)`));
  return { suite: path.resolve(suite), sets, sut, keep };
}

/** Why Forge cannot run here, or undefined when it can. */
function missing(o: Options): string | undefined {
  const s = o.suite;
  if (!existsSync(s) || !statSync(s).isDirectory()) return `suite directory ${s} not found`;
  if (readdirSync(s).length === 0) return `suite directory ${s} is empty`;
  for (const f of ['install.sh', 'forge-run.sh', 'forge', 'forge-kit/iscdhcp-v4.files', 'forge-kit/reference-protocol.passed', 'forge-kit/sut-triad/sbin/dhcpd']) {
    if (!existsSync(path.join(s, f))) return `suite ${s} has no ${f}`;
  }
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, raw sockets)';
  if (!existsSync(path.join(ROOT, 'dist', 'src', 'cli.js'))) return `${ROOT} is not built (npm run build)`;
  const tools = ['/usr/sbin/sshd', '/usr/bin/python3', ...(o.sut === 'isc' ? ['/usr/sbin/dhcpd'] : [])];
  for (const t of tools) if (!existsSync(t)) return `${t} not installed (test/install-deps.sh installs it)`;
  const py = spawnSync('/usr/bin/python3', ['-c', 'import pytest, scapy, paramiko, netifaces, requests, Cryptodome'], { encoding: 'utf8' });
  if (py.status !== 0) return `Forge's Python modules are missing (test/install-deps.sh installs them): ${py.stderr.trim().split('\n').pop()}`;
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (ns.status !== 0) return `ip netns does not work: ${ns.stderr.trim()}`;
  const busy = NAMESPACES.filter((n) => new RegExp(`^${n}\\b`, 'm').test(ns.stdout));
  if (busy.length) return `namespaces ${busy.join(', ')} exist: another Forge run is in progress (Forge's names are fixed)`;
  return undefined;
}

function install(o: Options, dest: string): void {
  const r = spawnSync(path.join(o.suite, 'install.sh'), [dest, ROOT], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`install.sh failed: ${r.stderr || r.stdout}`);
  // Triad's adapter: runs Triad where Forge starts dhcpd, its log where Forge reads dhcpd's.
  const shim = path.join(dest, 'forge-kit', 'sut-triad', 'sbin', 'dhcpd');
  const text = readFileSync(path.join(ROOT, 'test', 'forge', 'sut-triad-dhcpd'), 'utf8')
    .replaceAll('@RUN@', path.join(dest, 'forge-run'))
    .replaceAll('@TRIAD@', path.join(dest, 'triad'));
  rmSync(shim, { force: true });
  writeFileSync(shim, text);
  chmodSync(shim, 0o755);
}

/** SIGTERM to the process group of `pid` and of each of its children (all started by us). */
function signalTree(pid: number): void {
  const groups = new Set([pid]);
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // stat: pid (comm) state ppid pgrp …; comm may hold spaces, so read after the last ')'.
      const f = readFileSync(`/proc/${e}/stat`, 'utf8');
      const [, ppid, pgrp] = f.slice(f.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid) groups.add(Number(pgrp));
    } catch {
      // gone meanwhile
    }
  }
  for (const g of groups) {
    try {
      process.kill(-g, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

function runSet(o: Options, dest: string, set: ForgeSet): Promise<Verdict[]> {
  const args = set.args(o.suite);
  // pytest given no test path would run the whole tree.
  if (!args.pytest.some((a) => a.startsWith('tests/'))) return Promise.resolve([{ id: `(${set.name})`, ok: false, detail: 'the set lists no tests' }]);
  return new Promise((resolve) => {
    const child = spawn(path.join(dest, 'forge-run.sh'), [o.sut, ...args.pytest], { cwd: path.join(dest, 'forge'), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let timedOut = false;
    // Stopped ourselves (CI's time limit, ^C): stop Forge the same way, so its trap removes
    // the namespaces and sshd it started; then end as a signal would.
    const onSignal = (sig: NodeJS.Signals): void => {
      if (child.pid) signalTree(child.pid);
      child.once('close', () => process.kill(process.pid, sig));
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', onSignal);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    const timer = setTimeout(() => {
      timedOut = true;
      // forge-run.sh's trap removes its namespaces and stops what it started once pytest
      // ends; pytest runs under `timeout`, in a process group of its own.
      if (child.pid) signalTree(child.pid);
    }, SET_TIMEOUT_MS);
    child.stdout.resume();
    child.stderr.resume();
    child.on('close', () => {
      clearTimeout(timer);
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', onSignal);
      const run = path.join(dest, 'forge-run');
      const out = path.join(run, 'pytest.out');
      const text = existsSync(out) ? readFileSync(out, 'utf8') : '';
      // forge-run.sh empties forge-run/ on every start: keep each set's logs.
      if (existsSync(run)) cpSync(run, path.join(dest, `${set.name}-${o.sut}`), { recursive: true });
      const v = verdicts(parsePytest(text), args.expected);
      if (timedOut) v.push({ id: `(${set.name})`, ok: false, detail: `timed out after ${SET_TIMEOUT_MS / 60_000} min` });
      resolve(v);
    });
  });
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const why = missing(o);
  if (why) {
    console.log(`FAIL forge: cannot run: ${why}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const dest = mkdtempSync(path.join(tmpdir(), 'triad-forge-'));
  let passed = 0;
  let failed = 0;
  try {
    install(o, dest);
    for (const set of o.sets) {
      console.log(`# forge ${set.name} against ${o.sut}: ${set.description}`);
      for (const n of set.notRun(o.suite)) console.log(`not run ${n.id}: ${n.reason}`);
      for (const v of await runSet(o, dest, set)) {
        if (v.ok) passed++;
        else failed++;
        console.log(v.ok ? `ok   ${v.id}` : `FAIL ${v.id}: ${v.detail ?? ''}`);
      }
    }
  } catch (e) {
    failed++;
    console.log(`FAIL forge: ${(e as Error).message}`);
  }
  if (failed > 0 || o.keep) console.log(`# logs (pytest output, server logs per set): ${dest}`);
  else rmSync(dest, { recursive: true, force: true });
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
}

void main();

// Cost per DHCP exchange (DISCOVER-OFFER-REQUEST-ACK), repeatable on a shared machine
// where wall-clock throughput is not. Not a test and not part of `npm run bench:*`; run by
// hand when changing the DHCP path:
//
//   node dist/test/bench/dhcp-instr.js instr [EXCHANGES] [RUNS]
//   node dist/test/bench/dhcp-instr.js cpu [RATE] [SECONDS] [RUNS]
//
// The set-up is dhcp-bench.ts's: a pair of throwaway namespaces, perfdhcp acting as a relay
// (-l p0) for the same /16 pool, Triad serving s0 with --log-level warn, every lease
// fdatasync'ed before its ACK.
//
// `instr`: Triad under valgrind's callgrind with collection off; WARM (env, default 3000)
// exchanges so the JIT settles, then collection on for EXCHANGES (default 2000) more at a
// low offered rate (RATE env, default 60/s), dumped; prints instructions per completed
// exchange, of all threads (libuv's pool doing the fdatasyncs, V8's compiler and GC helpers)
// and of the main thread alone (steadier: the compiler threads vary with when the JIT runs).
// `cpu`: Triad natively; after a warm-up, utime+stime of its process (/proc/PID/stat) over a
// perfdhcp run at a FIXED offered rate well below saturation (default 1000/s for 20 s),
// divided by the completed exchanges: CPU microseconds per exchange.
// Each run starts a fresh Triad with an empty lease file. Figures vary by some percent
// between runs; compare several runs, not one. STRACE=1 (cpu mode) also counts Triad's
// system calls over the measured window (strace -c -f): fdatasyncs per exchange.
// NODE_FLAGS (cpu mode): node options for Triad, e.g. "--cpu-prof --cpu-prof-dir=DIR".
// KEEP=DIR (instr mode) copies the callgrind profiles to DIR for callgrind_annotate.

import { spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NetnsLab, sh, sleep, which } from '../dhcp/netns-lab.js';
import { BIN_TRIAD } from '../helpers/paths.js';
import { cpuWindow } from './common.js';

const MODE = process.argv[2] === 'cpu' ? 'cpu' : 'instr';
const num = (i: number, d: number): number => (process.argv[i] !== undefined ? Number(process.argv[i]) : d);

interface Perf {
  /** REQUESTs answered with an ACK (perfdhcp's second exchange "received packets"). */
  acks: number;
  sent: number;
  text: string;
}

function parsePerf(out: string): Perf {
  const sent = [...out.matchAll(/sent packets: (\d+)/g)].map((m) => Number(m[1]));
  const recv = [...out.matchAll(/received packets: (\d+)/g)].map((m) => Number(m[1]));
  return { sent: sent[0] ?? 0, acks: recv[1] ?? 0, text: out };
}

async function main(): Promise<void> {
  for (const tool of ['ip', 'perfdhcp', ...(MODE === 'instr' ? ['valgrind', 'callgrind_control'] : [])]) if (!(await which(tool))) throw new Error(`${tool} not installed (test/install-deps.sh)`);
  const lab = new NetnsLab('tdi');
  process.on('SIGINT', () => void lab.cleanup().then(() => process.exit(130)));
  const results: string[] = [];
  try {
    await lab.addNs(lab.serverNs);
    const perfNs = lab.name('prf');
    await lab.addNs(perfNs);
    await lab.link(lab.serverNs, 's0', '10.55.0.1/16', perfNs, 'p0', '10.55.0.2/16');
    const pool = `authoritative;\ndefault-lease-time 3600;\nsubnet 10.55.0.0 netmask 255.255.0.0 {\n  range 10.55.1.1 10.55.254.254;\n}\n`;
    const conf = lab.file('triad.conf', pool);
    const perf = async (rate: number, what: string): Promise<Perf> => {
      const r = await sh(`ip netns exec ${perfNs} perfdhcp -4 -l p0 -r ${rate} -R 60000 ${what} -W 3000000 10.55.0.1 2>&1; true`, 3_600_000);
      return parsePerf(r.stdout);
    };
    const stop = async (c: ChildProcess): Promise<void> => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      const done = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 120_000);
      await done;
      clearTimeout(t);
    };
    const runs = MODE === 'instr' ? num(4, 3) : num(5, 3);
    for (let run = 1; run <= runs; run++) {
      const leases = path.join(lab.dir, `run${run}.leases`);
      const data = path.join(lab.dir, `data${run}`);
      await sh(`mkdir -p ${data}/conf`);
      const args = [BIN_TRIAD, 'run', '--conf-dir', `${data}/conf`, '--data-dir', data, '--dhcpd-conf', conf, '--leases', leases, '--interfaces', 's0', '--log-level', 'warn'];
      if (MODE === 'instr') {
        const exchanges = num(3, 2000);
        const warm = Number(process.env.WARM ?? 3000);
        const rate = Number(process.env.RATE ?? 60);
        const out = path.join(lab.dir, `callgrind${run}.out`);
        const triad = lab.spawnIn(lab.serverNs, 'valgrind', ['--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', '--separate-threads=yes', `--callgrind-out-file=${out}`, process.execPath, ...args]);
        try {
          const deadline = Date.now() + 300_000;
          while (!existsSync(leases)) {
            if (triad.exitCode !== null || Date.now() > deadline) throw new Error(`Triad did not start:\n${triad.output().slice(-3000)}`);
            await sleep(500);
          }
          // Served once a few exchanges complete.
          while ((await perf(5, '-n 5')).acks === 0) if (triad.exitCode !== null || Date.now() > deadline) throw new Error(`Triad does not answer:\n${triad.output().slice(-3000)}`);
          const w = await perf(rate, `-n ${warm}`);
          spawnSync('callgrind_control', ['-i', 'on', String(triad.pid)]);
          const p = await perf(rate, `-n ${exchanges}`);
          spawnSync('callgrind_control', ['-d', String(triad.pid)]);
          spawnSync('callgrind_control', ['-i', 'off', String(triad.pid)]);
          // One file per thread: the main thread (the event loop: every decision, encode, send)
          // is the steadier figure; the others are libuv's pool (the fdatasyncs), koffi's poll
          // and V8's compiler and GC helpers, which vary with when the JIT happens to run.
          let total = 0;
          let main = 0;
          for (const f of readdirSync(lab.dir).filter((f) => f.startsWith(`callgrind${run}.out`))) {
            const t = readFileSync(path.join(lab.dir, f), 'utf8');
            const m = /^summary:\s+(\d+)/m.exec(t) ?? /^totals:\s+(\d+)/m.exec(t);
            if (!m) continue;
            total += Number(m[1]);
            if (/^thread:\s+1\s*$/m.test(t)) main += Number(m[1]);
          }
          const per = (n: number): string => (p.acks ? String(Math.round(n / p.acks)) : '?');
          const line = `instr run ${run}: warm ${w.acks}/${w.sent} acked; measured ${p.sent} sent, ${p.acks} acked; ${total} instructions; ${per(total)} per exchange (main thread ${per(main)})`;
          results.push(line);
          process.stdout.write(`${line}\n`);
          if (process.env.KEEP) {
            // The lab's directory goes at the end: the profile is copied to the directory KEEP names.
            mkdirSync(process.env.KEEP, { recursive: true });
            for (const f of readdirSync(lab.dir).filter((f) => f.startsWith(`callgrind${run}.out`))) copyFileSync(path.join(lab.dir, f), path.join(process.env.KEEP, f));
            process.stdout.write(`  profile kept in ${process.env.KEEP}\n`);
          }
        } finally {
          await stop(triad);
        }
      } else {
        const rate = num(3, 1000);
        const seconds = num(4, 20);
        // NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=DIR", which NODE_OPTIONS refuses): node's own options for Triad.
        const flags = (process.env.NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
        const triad = flags.length ? lab.spawnIn(lab.serverNs, process.execPath, [...flags, ...args]) : await lab.startTriad(conf, leases, 's0', ['--log-level', 'warn']);
        if (flags.length) {
          while (!existsSync(leases)) await sleep(100);
          await sleep(1000);
        }
        try {
          await perf(rate, '-p 5');
          const pid = triad.pid!;
          let strace: ChildProcess | undefined;
          const straceOut = path.join(lab.dir, `strace${run}.txt`);
          if (process.env.STRACE) {
            strace = lab.spawnIn(lab.serverNs, 'strace', ['-c', '-f', '-o', straceOut, '-p', String(pid)]);
            await sleep(1000);
          }
          const win = cpuWindow(() => [pid]);
          const p = await perf(rate, `-p ${seconds}`);
          const { cpu, wall } = win.stop();
          if (strace?.pid) {
            const done = new Promise((r) => strace!.once('exit', r));
            strace.kill('SIGINT');
            await done;
          }
          const line = `cpu run ${run}: -r ${rate} -p ${seconds}: ${p.sent} sent, ${p.acks} acked; ${cpu.toFixed(2)} CPU-s in ${wall.toFixed(1)} s; ${p.acks ? ((cpu / p.acks) * 1e6).toFixed(1) : '?'} µs per exchange`;
          results.push(line);
          process.stdout.write(`${line}\n`);
          if (strace) {
            const s = readFileSync(straceOut, 'utf8');
            // strace -c columns: % time, seconds, usecs/call, calls, [errors,] syscall.
            const row = s.split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[f.length - 1] === 'fdatasync');
            const syncs = Number(row?.[3] ?? 0);
            process.stdout.write(`  strace -c -f: fdatasync ${syncs} (${(syncs / seconds).toFixed(0)}/s, ${syncs ? (p.acks / syncs).toFixed(1) : '?'} leases each)\n${s}\n`);
          }
        } finally {
          await stop(triad);
        }
      }
    }
  } finally {
    await lab.cleanup();
  }
  process.stdout.write(`\n${results.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

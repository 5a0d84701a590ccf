// Records BIND 9.18's verdicts and output for the RR edge cases into
// test/fixtures/zones/rr-edges.jsonl:
//   node dist/test/dns/rr-edge-record.js [--all]   (new cases only; --all re-runs BIND on every case)
// named-checkzone (its defaults) gives `check`; named-compilezone (its defaults:
// check-names fail, NS-as-address fail) gives `compile` and the printed records.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { FIXTURE, ZONE, foldOut, generateCases, readRecorded, zoneText, type EdgeCase, type RecordedCase } from './rr-edge-cases.js';

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.setEncoding('latin1');
    p.stdout.on('data', (d: string) => (out += d));
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

/** BIND's verdicts and output for one case, run in `dir`. */
export async function bindVerdict(c: EdgeCase, dir: string): Promise<Omit<RecordedCase, keyof EdgeCase>> {
  const file = `${c.name}.db`;
  fs.writeFileSync(path.join(dir, file), zoneText(c), 'latin1');
  const check = await run('named-checkzone', ['-q', ZONE, file], dir);
  const comp = await run('named-compilezone', ['-q', '-s', 'full', '-o', '-', ZONE, file], dir);
  fs.rmSync(path.join(dir, file));
  return {
    check: check.code === 0 ? 'accept' : 'reject',
    compile: comp.code === 0 ? 'accept' : 'reject',
    out: comp.code === 0 ? foldOut(comp.out) : [],
  };
}

/** Runs `fn` over `items`, `jobs` at a time, keeping the order. */
export async function pool<A, B>(items: A[], jobs: number, fn: (a: A) => Promise<B>): Promise<B[]> {
  const res = new Array<B>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: jobs }, async () => {
    while (next < items.length) {
      const i = next++;
      res[i] = await fn(items[i]);
    }
  }));
  return res;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-rr-record-'));
  try {
    const cases = generateCases();
    // --all re-runs BIND on every case; by default cases already recorded (same zone text) are kept.
    const old = new Map<string, RecordedCase>();
    if (!process.argv.includes('--all') && fs.existsSync(FIXTURE)) for (const r of readRecorded()) old.set(zoneText(r), r);
    const rec = await pool(cases, 2, async (c): Promise<RecordedCase> => {
      const prev = old.get(zoneText(c));
      return prev ? { ...c, check: prev.check, compile: prev.compile, out: prev.out } : { ...c, ...(await bindVerdict(c, dir)) };
    });
    fs.writeFileSync(FIXTURE, rec.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const acc = rec.filter((r) => r.check === 'accept').length;
    console.log(`${rec.length} cases recorded (${acc} accepted by named-checkzone) in ${FIXTURE}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && process.argv[1].endsWith('rr-edge-record.js')) await main();

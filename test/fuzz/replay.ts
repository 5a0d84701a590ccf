// Replays one input against one parser in a fresh process and prints, as one JSON line,
// how long the parse took (without the start-up) and what it threw, if anything:
//   node dist/test/fuzz/replay.js TARGET FILE
// run-fuzz.ts uses it to confirm what the fuzzer reports before it counts as a failure
// (on a loaded machine a slow start-up of the fuzzer's worker can look like a hang).

import { readFileSync } from 'node:fs';
import { TARGETS, crashOf } from './parsers.js';

const [name, file] = process.argv.slice(2);
const target = TARGETS.find((t) => t.name === name);
if (!target || !file) {
  console.error('usage: replay.js TARGET FILE');
  process.exit(2);
}
const data = readFileSync(file);
const t0 = process.hrtime.bigint();
let error: string | undefined;
for (const text of [data.toString('latin1'), data.toString('utf8')]) {
  const e = crashOf(target, text);
  if (e !== undefined) {
    error = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
    break;
  }
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(JSON.stringify({ ms, error }));

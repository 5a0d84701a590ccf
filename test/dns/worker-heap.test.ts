// A DNS worker's V8 heap flags: accepted by this node, they bound the young
// generation, and an operator's own node flags still win.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { SEMI_SPACE_MB, WORKER_HEAP_FLAGS, workerExecArgv } from '../../src/dns/worker-heap.js';

t.test("the primary's node flags come after ours, so they take precedence", async (t) => {
  const argv = workerExecArgv(['--max-semi-space-size=8', '--enable-source-maps']);
  t.same(argv.slice(0, WORKER_HEAP_FLAGS.length), WORKER_HEAP_FLAGS);
  t.same(argv.slice(WORKER_HEAP_FLAGS.length), ['--max-semi-space-size=8', '--enable-source-maps']);
});

t.test('node accepts the flags and the new space stays small after many allocations', async (t) => {
  // Default V8 grows the new space to 16 MiB semi-spaces under this allocation.
  const script = "const a=[];for(let i=0;i<300000;i++)a.push({i});const s=require('v8').getHeapSpaceStatistics().find((x)=>x.space_name==='new_space');process.stdout.write(String(s.space_size))";
  const r = spawnSync(process.execPath, [...workerExecArgv([]), '-e', script], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.ok(Number(r.stdout) > 0 && Number(r.stdout) <= 2 * SEMI_SPACE_MB * 1024 * 1024, `new space ${r.stdout} bytes, at most two ${SEMI_SPACE_MB} MiB semi-spaces`);
});

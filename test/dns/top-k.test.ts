// The top clients/names counters: exact below capacity, the heavy keys kept past it,
// sums across listeners and workers, and the question name read from the wire.
import t from 'tap';
import { mergeTop, questionName, TopK } from '../../src/dns/top-k.js';
import { QueryStats, TopCounters, mergeSnapshots } from '../../src/dns/query-stats.js';

const query = (labels: string[]): Uint8Array => {
  const parts = [Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'latin1'));
  parts.push(Buffer.from([0, 0, 1, 0, 1]));
  return Buffer.concat(parts);
};

t.test('space-saving keeps the heavy keys within its capacity', async (t) => {
  const k = new TopK(3);
  for (let i = 0; i < 50; i++) k.add('heavy');
  for (let i = 0; i < 20; i++) k.add(`light${i}`);
  for (let i = 0; i < 10; i++) k.add('second');
  const e = k.entries();
  t.equal(e.length, 3, 'never more entries than the capacity');
  t.same(e[0], ['heavy', 50, 0], 'the heavy key counted exactly');
  t.equal(e[1][0], 'second', 'a key arriving late but often is kept');
  t.ok(e[1][1] - e[1][2] <= 10 && e[1][1] >= 10, 'its count is an upper bound with its error beside it');
});

t.test('merging sums key by key and keeps the largest', async (t) => {
  t.same(mergeTop([[['a', 3, 0], ['b', 1, 0]], [['b', 5, 1], ['c', 2, 0]]], 2), [['b', 6, 1], ['a', 3, 0]]);
});

t.test('the question name from the wire', async (t) => {
  t.equal(questionName(query(['WWW', 'Example', 'test'])), 'www.example.test', 'lower case, no trailing dot');
  t.equal(questionName(query([])), '.', 'the root');
  t.equal(questionName(query(['a.b'])), 'a\\.b', 'a dot inside a label escaped');
  t.equal(questionName(query(['www']).subarray(0, 15)), undefined, 'a truncated name is no name');
  const bad = Buffer.from(query(['www']));
  bad[12] = 0xc0;
  t.equal(questionName(bad), undefined, 'a compression pointer in a question is no name');
});

t.test('QueryStats counts top clients and names only when asked, and snapshots merge', async (t) => {
  const a = new QueryStats('dns://10.0.0.1:53');
  a.topRequest(query(['www', 'example', 'test']), '10.0.0.9');
  t.same(a.snapshot().topClients, [], 'nothing counted while off');
  a.counting(true);
  const b = new QueryStats('dns://10.0.0.1:53');
  b.counting(true);
  a.topRequest(query(['www', 'example', 'test']), '10.0.0.9');
  b.topRequest(query(['www', 'example', 'test']), '10.0.0.9');
  b.topRequest(query(['mail', 'example', 'test']), '10.0.0.8');
  const [m] = mergeSnapshots([a.snapshot(), b.snapshot()]);
  t.same(m.topClients, [['10.0.0.9', 2, 0], ['10.0.0.8', 1, 0]], 'clients summed over workers');
  t.same(m.topNames, [['www.example.test', 2, 0], ['mail.example.test', 1, 0]], 'names summed over workers');
});

t.test('the per-query cost of counting (printed, not asserted)', async (t) => {
  const run = (names: number, clients: number): number => {
    const q = new QueryStats('dns://10.0.0.1:53');
    q.counting(true);
    const msgs = Array.from({ length: names }, (_, i) => query([`host${i}`, 'example', 'test']));
    const addrs = Array.from({ length: clients }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const n = 200_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) q.topRequest(msgs[i % names], addrs[i % clients]);
    t.ok((q.snapshot().topNames?.length ?? 0) <= 100, 'bounded at 100 names');
    return Number(process.hrtime.bigint() - t0) / n;
  };
  t.comment(`top clients + names, 50 names from 50 clients (all kept): ~${run(50, 50).toFixed(0)} ns per query`);
  t.comment(`top clients + names, 500 names from 1024 clients in turn (every query evicts): ~${run(500, 1024).toFixed(0)} ns per query`);
});

t.test('recent names are kept for top clients only, the last ten', async (t) => {
  const q = new QueryStats('dns://10.0.0.1:53');
  q.counting(true);
  // Every request counted (no sampling), so the eviction below is certain.
  q.top = new TopCounters(Infinity);
  for (let i = 0; i < 12; i++) q.topRequest(query([`n${i}`, 'test']), '10.0.0.9');
  t.same(q.snapshot().recent?.['10.0.0.9'], Array.from({ length: 10 }, (_, i) => `n${i + 2}.test`), 'the last ten, oldest first');
  for (let i = 0; i < 100; i++) for (let j = 0; j < 20; j++) q.topRequest(query(['x', 'test']), `10.1.0.${i}`);
  t.notOk(q.snapshot().recent?.['10.0.0.9'], 'a client pushed out of the top clients loses its recent names');
  t.ok(Object.keys(q.snapshot().recent ?? {}).length <= 100, 'never more clients than the top-k holds');
});

t.test('past a thousand requests a second, one in sixteen is counted for sixteen', async (t) => {
  const q = new QueryStats('dns://10.0.0.1:53');
  q.counting(true);
  for (let i = 0; i < 1000 + 160; i++) q.topRequest(query([i % 2 ? 'odd' : 'even', 'test']), '10.0.0.9');
  const s = q.snapshot();
  t.same(s.topClients, [['10.0.0.9', 1160, 0]], "the client's count is still the number of its requests");
  const names = new Map(s.topNames?.map(([k, n]) => [k, n]));
  t.equal((names.get('odd.test') ?? 0) + (names.get('even.test') ?? 0), 1160, 'the names share them');
  t.ok((names.get('odd.test') ?? 0) >= 500, 'each name estimated, not lost');
});

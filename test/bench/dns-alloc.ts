// Bytes allocated per DNS query on the answer path, in process (no sockets): the
// Responder with the bench's 10,000-name zone, and QueryStats' per-query hooks as
// server.ts calls them while a statistics channel is configured. Not a test and not
// part of `npm run bench:*`; run by hand when changing the query path:
//
//   node --expose-gc dist/test/bench/dns-alloc.js [QUERIES]
//
// The last figure is the caching resolver's path: the 10,000 names in the resolver's
// cache (as after dns-bench.ts's warm-up, TTL 3600), queried on existing names only, with
// the clock (Date.now) moved on 1/RATE s per query (CACHE_RATE, default 170,000 q/s, the
// cached bench's rate on one core), so answers the response cache stops reusing after a
// while are made anew at the rate they would be under that load (3 s of that clock
// first, so that every name has been through that).
//
// Heap growth over a batch small enough that no collection runs inside it (checked
// with a GC observer; a batch with a collection is measured again), divided by the
// batch's queries. The socket layer's own allocations (the message Buffer, rinfo)
// are not included.

import { PerformanceObserver } from 'node:perf_hooks';
import { Responder, type ServingView, type ClientInfo } from '../../src/dns/responder.js';
import { QueryStats } from '../../src/dns/query-stats.js';
import { miniZone } from '../helpers/mini-zone.js';
import { Resolver } from '../../src/dns/resolver.js';
import { buildForwardPolicy } from '../../src/dns/forwarding.js';
import { RANK } from '../../src/dns/cache.js';
import { parseName } from '../../src/wire/dns-name.js';
import { T } from '../../src/wire/rr-type.js';

const NAMES = 10_000;
const ZONE = 'bench.test';
const BATCH = Number(process.argv[2] ?? 2000);

const zoneLines = ['@ 3600 SOA ns hostmaster 1 3600 900 604800 300', '@ 3600 NS ns', 'ns 3600 A 10.0.0.1'];
for (let i = 0; i < NAMES; i++) zoneLines.push(`h${i} 3600 A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
const view: ServingView = { zones: [miniZone(ZONE, zoneLines.join('\n'))], allowQuery: () => true, zoneAllowQuery: new Map(), recursion: false, udpSize: 1232 };

/** The bench's query: A IN, RD, EDNS 4096 (dns-instr.ts). */
function query(id: number, name: string): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  const head = Buffer.from([id >> 8, id & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]);
  return Buffer.concat([head, ...labels, Buffer.from([0, 0, 1, 0, 1]), Buffer.from([0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0])]);
}

let x = 12345;
const rnd = (m: number): number => {
  x = (x * 1103515245 + 12345) & 0x7fffffff;
  return x % m;
};
const msgs = Array.from({ length: 20_000 }, (_, i) => query(i & 0xffff, rnd(100) < 5 ? `nx${rnd(1_000_000)}.${ZONE}` : `h${rnd(NAMES)}.${ZONE}`));

let gcs = 0;
new PerformanceObserver((l) => (gcs += l.getEntries().length)).observe({ entryTypes: ['gc'] });
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function perQuery(label: string, step: (m: Buffer) => void, list: Buffer[] = msgs, warm = 30_000): void {
  let next = 0;
  for (let i = 0; i < warm; i++) step(list[next++ % list.length]);
  const results: number[] = [];
  for (let round = 0; round < 20 && results.length < 5; round++) {
    gc?.();
    const g0 = gcs;
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < BATCH; i++) step(list[next++ % list.length]);
    const after = process.memoryUsage().heapUsed;
    // The observer's entries arrive later: a batch is trusted only when none arrives for it.
    if (gcs === g0 && after >= before) results.push((after - before) / BATCH);
  }
  results.sort((a, b) => a - b);
  process.stdout.write(`${label}: ${results.length ? results[Math.floor(results.length / 2)].toFixed(0) : '?'} bytes per query (median of ${results.length} batches of ${BATCH})\n`);
}

const client = (): ClientInfo => ({ address: '127.0.0.1', port: 5353, transport: 'udp' });
const r = new Responder(view);
perQuery('responder (authoritative, response cache warm)', (m) => r.respond(m, client()));
const stats = new QueryStats('dns://127.0.0.1:53');
stats.counting(true);
perQuery('statistics hooks (request, top clients/names, response)', (m) => {
  const qt = stats.request(m, false, false);
  stats.topRequest(m, '127.0.0.1');
  stats.response(m, false, false, qt, 0.0001, false, stats.lastEdns);
});

// The caching resolver's path (see the header).
const RATE = Number(process.env.CACHE_RATE ?? 170_000);
let fake = Date.now();
Date.now = () => fake;
const resolver = new Resolver({ forward: buildForwardPolicy({ forwarders: [{ address: '127.0.0.9', port: 5300 }], forward: 'only', zones: [] }) });
for (let i = 0; i < NAMES; i++) {
  resolver.cache.put({ owner: parseName(`h${i}.${ZONE}.`), type: T.A, class: 1, ttl: 3600, rdatas: [Uint8Array.of(10, (i >> 16) & 255, (i >> 8) & 255, i & 255)] }, RANK.ANSWER);
}
const cview: ServingView = { zones: [], allowQuery: () => true, zoneAllowQuery: new Map(), recursion: true, udpSize: 1232, allowRecursion: () => true };
const cr = new Responder(cview, { resolver });
const cmsgs = Array.from({ length: 20_000 }, (_, i) => query(i & 0xffff, `h${rnd(NAMES)}.${ZONE}`));
perQuery(`responder (resolver cache, response cache warm, clock at ${RATE} q/s)`, (m) => {
  fake += 1000 / RATE;
  if (cr.respond(m, client()) === null) throw new Error('not answered from the cache');
}, cmsgs, 3 * RATE);

// The live-count rules of the packet engine, as IPVS picks (ip_vs_lc.c, ip_vs_wlc.c,
// ip_vs_sed.c, ip_vs_nq.c), evaluated through each scheduler's descriptor.
import t from 'tap';
import { PacketScheduler } from '../../src/lb/packet-sched.js';
import { SCHEDULERS } from '../../src/lb/schedulers.js';
import type { LbAlgo } from '../../src/config/keepalived-conf.js';

const srv = (id: string, weight: number, activeConns: number, inactConns = 0, usable = true) => ({ id, weight, activeConns, inactConns, usable });
const pick = (algo: LbAlgo, servers: ReturnType<typeof srv>[]) => new PacketScheduler(algo, servers, false).pick(1, 2, 3)?.id;

t.test('lc: fewest connections, active weighing 256 inactive, weights ignored', async (t) => {
  t.equal(pick('lc', [srv('a', 1, 2), srv('b', 100, 3)]), 'a');
  t.equal(pick('lc', [srv('a', 1, 1, 0), srv('b', 1, 0, 255)]), 'b', '255 inactive cost less than one active');
  t.equal(pick('lc', [srv('a', 1, 1, 0), srv('b', 1, 0, 257)]), 'a');
});

t.test('wlc: connections per weight', async (t) => {
  t.equal(pick('wlc', [srv('a', 1, 2), srv('b', 3, 5)]), 'b', '5/3 < 2/1');
  t.equal(pick('wlc', [srv('a', 1, 1), srv('b', 3, 4)]), 'a', '1/1 < 4/3');
});

t.test('sed and nq: expected delay (active + 1) / weight; nq takes an idle server first', async (t) => {
  t.equal(pick('sed', [srv('a', 1, 0), srv('b', 4, 2)]), 'b', '3/4 < 1/1');
  t.equal(pick('nq', [srv('a', 1, 0), srv('b', 4, 2)]), 'a', 'idle a is never queued behind b');
  t.equal(pick('nq', [srv('a', 1, 1), srv('b', 4, 2)]), 'b');
});

t.test('quiescent and unusable servers take no new flow', async (t) => {
  t.equal(pick('wlc', [srv('a', 0, 0), srv('b', 1, 9)]), 'b');
  t.equal(pick('lc', [srv('a', 1, 0, 0, false), srv('b', 1, 9)]), 'b');
  t.equal(pick('lc', [srv('a', 0, 0)]), undefined);
});

t.test('every scheduler is a slot table, a live rule, or served by neither engine', async (t) => {
  for (const [algo, d] of Object.entries(SCHEDULERS)) t.notOk(d.slots && d.live, `${algo} is not both`);
  t.same(Object.entries(SCHEDULERS).filter(([, d]) => d.live).map(([a]) => a), ['lc', 'wlc', 'sed', 'nq']);
});

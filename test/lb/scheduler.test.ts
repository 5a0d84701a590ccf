import t from 'tap';
import { buildSlotTable, UnsupportedSchedulerError } from '../../src/lb/scheduler.js';
import { wrrSequence, SH_TABLE_SIZE } from '../../src/lb/slot-table.js';

const b = (...w: number[]) => w.map((weight, i) => ({ id: `s${i}`, weight }));

t.test('wrr follows the IPVS interleaving', async (t) => {
  t.same(wrrSequence([4, 3, 2]).map((i) => 'ABC'[i]).join(''), 'AABABCABC');
  t.same(wrrSequence([2, 2]), [0, 1]);
  t.same(wrrSequence([0, 5]), [1]);
  t.same(wrrSequence([0, 0]), []);
  const big = wrrSequence([100000, 1]);
  t.ok(big.length <= 4200 && big.includes(1), 'huge weights are scaled, every server kept');
});

t.test('rr ignores weights but skips quiescent servers', async (t) => {
  t.same(buildSlotTable('rr', b(5, 0, 1), false), { selector: 'numgen', slots: [0, 2] });
});

t.test('sh/dh/mh tables honour weights', async (t) => {
  const sh = buildSlotTable('sh', b(3, 1), false);
  t.equal(sh.selector, 'hash-src');
  t.equal(sh.slots.length, SH_TABLE_SIZE);
  t.equal(sh.slots.filter((x) => x === 0).length, 192);
  t.equal(buildSlotTable('sh', b(1, 1), true).selector, 'hash-src-port');
  t.equal(buildSlotTable('dh', b(1, 1), false).selector, 'hash-dst');
  const mh = buildSlotTable('mh', b(1, 1, 2), false);
  t.equal(mh.slots.length, 65537);
  const c2 = mh.slots.filter((x) => x === 2).length / 65537;
  t.ok(Math.abs(c2 - 0.5) < 0.01);
});

t.test('fo sends everything to the highest weight', async (t) => {
  t.same(buildSlotTable('fo', b(1, 5, 5), false), { selector: 'first', slots: [1] });
});

t.test('no live server gives an empty table', async (t) => {
  t.same(buildSlotTable('wrr', b(0, 0), false).slots, []);
});

t.test('lc and wlc are refused naming the userspace engine', async (t) => {
  for (const a of ['lc', 'wlc', 'sed', 'nq'] as const) {
    t.throws(() => buildSlotTable(a, b(1), false), /connection counts/);
    t.ok((() => { try { buildSlotTable(a, b(1), false); } catch (e) { return e instanceof UnsupportedSchedulerError; } return false; })());
  }
  t.throws(() => buildSlotTable('wlc', b(1), false), /userspace engine/);
});

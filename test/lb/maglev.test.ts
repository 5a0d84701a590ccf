import t from 'tap';
import { maglevTable, MAGLEV_TABLE_SIZE } from '../../src/lb/maglev.js';

const counts = (table: Int32Array, n: number): number[] => {
  const c = new Array<number>(n).fill(0);
  for (const x of table) c[x]++;
  return c;
};

t.test('every entry filled; equal weights spread evenly', async (t) => {
  const bs = ['10.1.0.2:80', '10.1.0.3:80', '10.1.0.4:80'].map((id) => ({ id, weight: 1 }));
  const table = maglevTable(bs);
  t.equal(table.length, MAGLEV_TABLE_SIZE);
  t.notOk(table.includes(-1));
  for (const c of counts(table, 3)) t.ok(Math.abs(c / MAGLEV_TABLE_SIZE - 1 / 3) < 0.01, `share ${c}`);
});

t.test('weights are honoured', async (t) => {
  const table = maglevTable([
    { id: 'a', weight: 3 },
    { id: 'b', weight: 1 },
    { id: 'c', weight: 0 },
  ]);
  const [a, b, c] = counts(table, 3);
  t.equal(c, 0, 'weight 0 gets nothing');
  t.ok(Math.abs(a / (a + b) - 0.75) < 0.01, `a share ${a / (a + b)}`);
});

t.test('removing one of N backends moves little more than its own share', async (t) => {
  const ids = Array.from({ length: 10 }, (_, i) => `10.1.0.${i + 2}:8080`);
  const before = maglevTable(ids.map((id) => ({ id, weight: 1 })));
  const after = maglevTable(ids.map((id, i) => ({ id, weight: i === 4 ? 0 : 1 })));
  let moved = 0;
  for (let i = 0; i < before.length; i++) if (before[i] !== 4 && before[i] !== after[i]) moved++;
  // Maglev paper §3.4 / Fig. 12: disruption stays small with M ≫ 100·N.
  t.ok(moved / before.length < 0.02, `moved ${moved} of ${before.length} unaffected entries`);
  t.notOk(after.includes(4));
});

t.test('deterministic and order independent by id', async (t) => {
  const a = maglevTable([{ id: 'x', weight: 1 }, { id: 'y', weight: 2 }]);
  const b = maglevTable([{ id: 'x', weight: 1 }, { id: 'y', weight: 2 }]);
  t.same(Array.from(a.slice(0, 100)), Array.from(b.slice(0, 100)));
  t.ok(maglevTable([]).every((x) => x === -1));
});

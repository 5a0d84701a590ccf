import t from 'tap';
import { FlowIndex } from '../../src/lb/flow-index.js';

t.test('finds, replaces and deletes flows by 5-tuple, across growth and tombstones', async (t) => {
  const ix = new FlowIndex<number>(16);
  const model = new Map<string, number>();
  let x = 7;
  const rnd = (m: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
    return (x >>> 12) % m;
  };
  const tuple = (): [number, number, number, number, number] => [rnd(2) ? 6 : 17, (0xc0a80000 + rnd(64)) >>> 0, 1024 + rnd(8), 0x0a000064, rnd(2) ? 80 : 65535];
  for (let i = 0; i < 20_000; i++) {
    const k = tuple();
    const name = k.join(':');
    const op = rnd(3);
    if (op === 0) {
      ix.set(...k, i);
      model.set(name, i);
    } else if (op === 1) {
      t.equal(ix.delete(...k), model.delete(name), `delete ${name}`);
    } else if (ix.get(...k) !== model.get(name)) {
      t.fail(`get ${name}: ${ix.get(...k)} != ${model.get(name)}`);
    }
    if (ix.size !== model.size) t.fail(`size ${ix.size} != ${model.size}`);
  }
  for (const [name, v] of model) t.equal(ix.get(...(name.split(':').map(Number) as [number, number, number, number, number])), v);
  t.ok(model.size > 100, 'the walk kept many flows at once');
});

t.test('high addresses and ports are not confused with their sign-wrapped forms', async (t) => {
  const ix = new FlowIndex<string>();
  ix.set(6, 0xffffffff, 65535, 0x80000000, 65535, 'a');
  ix.set(6, 0x7fffffff, 65535, 0x80000000, 65535, 'b');
  t.equal(ix.get(6, 0xffffffff, 65535, 0x80000000, 65535), 'a');
  t.equal(ix.get(6, 0x7fffffff, 65535, 0x80000000, 65535), 'b');
  t.equal(ix.get(17, 0xffffffff, 65535, 0x80000000, 65535), undefined, 'the protocol is part of the key');
  t.equal(ix.delete(6, 0xffffffff, 65535, 0x80000000, 65535, 'b'), false, 'a delete for another value leaves the entry');
  t.equal(ix.get(6, 0xffffffff, 65535, 0x80000000, 65535), 'a');
  ix.clear();
  t.equal(ix.size, 0);
  t.equal(ix.get(6, 0x7fffffff, 65535, 0x80000000, 65535), undefined);
});

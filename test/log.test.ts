// The log limit, with a fake clock: a burst per interval, then silence, and the next
// written line says how many were left out.
import t from 'tap';
import { LogLimit } from '../src/log.js';

t.test('one line per interval, and the count of those not logged', async (t) => {
  let now = 0;
  const th = new LogLimit(1, 10_000, () => now);
  const take = (): number | undefined => {
    const a = th.admit();
    return a.log ? a.notLogged : undefined;
  };
  t.equal(take(), 0, 'the first is logged');
  now = 5_000;
  t.equal(take(), undefined);
  t.equal(take(), undefined);
  now = 10_000;
  t.equal(take(), 2, 'the next line says two were not logged');
  now = 30_000;
  t.equal(take(), 0);
});

t.test('a flood of refusals writes a burst per interval', async (t) => {
  let now = 1000;
  const lim = new LogLimit(3, 10_000, () => now);
  const first = Array.from({ length: 1000 }, () => lim.admit());
  t.equal(first.filter((a) => a.log).length, 3, 'three lines of a thousand refusals');
  t.equal(lim.totalNotLogged, 997);
  now += 5_000;
  t.same(lim.admit(), { log: false, notLogged: 0 }, 'still silent within the interval');
  now += 5_000;
  t.same(lim.admit(), { log: true, notLogged: 998 }, 'the next interval\'s first line counts what was left out');
  t.same(lim.admit(), { log: true, notLogged: 0 });
});

t.test('a quiet server logs every refusal', async (t) => {
  let now = 0;
  const lim = new LogLimit(10, 10_000, () => now);
  for (let i = 0; i < 50; i++) {
    now += 1_001; // ten a 10 s interval at most
    t.ok(lim.admit().log);
  }
  t.equal(lim.totalNotLogged, 0);
});

import t from 'tap';
import { LogThrottle } from '../src/log.js';

t.test('one line per interval, and the count of those not logged', async (t) => {
  let now = 0;
  const th = new LogThrottle(10_000, () => now);
  t.equal(th.take(), 0, 'the first is logged');
  now = 5_000;
  t.equal(th.take(), undefined);
  t.equal(th.take(), undefined);
  now = 10_000;
  t.equal(th.take(), 2, 'the next line says two were not logged');
  now = 30_000;
  t.equal(th.take(), 0);
});

// The pure caps on recursion: recursive-clients, clients-per-query, fetches-per-zone, and their share per worker.
import t from 'tap';
import { capLimits, RecursionCaps, softQuota } from '../../src/dns/recursion-caps.js';
import { InFlight } from '../../src/dns/coalesce.js';

t.test("BIND's defaults, and the share per worker", async (t) => {
  t.same(capLimits(undefined), { recursiveClients: 1000, clientsPerQuery: 10, fetchesPerZone: 0, zoneResponse: 'drop' });
  const l = capLimits({ recursiveClients: 5, fetchesPerZone: { limit: 3, response: 'fail' }, clientsPerQuery: 2 }, 2);
  t.same(l, { recursiveClients: 3, clientsPerQuery: 2, fetchesPerZone: 2, zoneResponse: 'fail' });
  t.equal(capLimits({ recursiveClients: 1 }, 4).recursiveClients, 1, 'never below 1 per worker');
  t.equal(capLimits({ clientsPerQuery: 50, maxClientsPerQuery: 20 }).clientsPerQuery, 20, 'max lowers it');
  t.equal(capLimits({ clientsPerQuery: 0 }).clientsPerQuery, 0, '0: no limit');
});

t.test("recursive-clients: named's soft quota", async (t) => {
  t.equal(softQuota(1000), 900);
  t.equal(softQuota(2000), 1900);
  t.equal(softQuota(10), 9);
  t.equal(softQuota(2), 1);
});

t.test('recursive-clients: past the soft quota the oldest is aborted; at the cap a new one is refused', async (t) => {
  const c = new RecursionCaps(capLimits({ recursiveClients: 20 }));
  const aborted: number[] = [];
  const ids: number[] = [];
  for (let i = 0; i < 18; i++) ids.push(c.admitClient(() => aborted.push(i)) as number);
  t.same(aborted, [], 'up to the soft quota (18 of 20): nothing aborted');
  ids.push(c.admitClient(() => aborted.push(18)) as number);
  t.same(aborted, [0], 'past it: the oldest aborted');
  t.equal(c.counters.recursing, 18);
  t.equal(c.counters.recursiveSoftQuota, 1);
  c.releaseClient(ids[0]);
  t.equal(c.counters.recursing, 18, 'releasing an aborted one changes nothing');
  const hard = new RecursionCaps({ ...capLimits({ recursiveClients: 2 }) });
  // With the soft quota at 1, every new query aborts the one before: the count never reaches 2.
  const a = hard.admitClient();
  const b = hard.admitClient();
  t.ok(a !== undefined && b !== undefined);
  t.equal(hard.counters.recursing, 1);
  t.equal(hard.counters.recursiveSoftQuota, 1);
  const unlimited = new RecursionCaps(capLimits({ recursiveClients: 0 }));
  for (let i = 0; i < 2000; i++) unlimited.admitClient();
  t.equal(unlimited.counters.recursing, 2000, '0: no limit');
});

t.test('clients-per-query: the third client on one fetch is refused', async (t) => {
  const c = new RecursionCaps(capLimits({ clientsPerQuery: 2 }));
  const f = new InFlight<number>();
  let release!: (n: number) => void;
  const start = () => new Promise<number>((r) => (release = r));
  const a = f.run('k', start, (n) => c.mayJoin(n));
  const b = f.run('k', start, (n) => c.mayJoin(n));
  const d = f.run('k', start, (n) => c.mayJoin(n));
  t.ok(a && b);
  t.equal(d, undefined);
  t.equal(c.counters.clientQuota, 1);
  release(7);
  t.equal(await b, 7);
  t.ok(f.run('k', () => Promise.resolve(1), (n) => c.mayJoin(n)), 'a new fetch after the first settled');
});

t.test('fetches-per-zone: per zone, drop or fail', async (t) => {
  const c = new RecursionCaps(capLimits({ fetchesPerZone: { limit: 1, response: 'fail' } }));
  t.equal(c.admitZoneFetch('example.'), 'ok');
  t.equal(c.admitZoneFetch('example.'), 'fail');
  t.equal(c.admitZoneFetch('other.'), 'ok');
  c.releaseZoneFetch('example.');
  t.equal(c.admitZoneFetch('example.'), 'ok');
  t.equal(c.counters.zoneQuota, 1);
  const d = new RecursionCaps(capLimits({ fetchesPerZone: { limit: 1, response: 'drop' } }));
  d.admitZoneFetch('z.');
  t.equal(d.admitZoneFetch('z.'), 'drop');
  const none = new RecursionCaps(capLimits(undefined));
  for (let i = 0; i < 50; i++) t.equal(none.admitZoneFetch('z.'), 'ok');
});

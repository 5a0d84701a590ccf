// The pure caps on recursion: recursive-clients, clients-per-query, fetches-per-zone, and their share per worker.
import t from 'tap';
import { capLimits, RecursionCaps } from '../../src/dns/recursion-caps.js';
import { InFlight } from '../../src/dns/coalesce.js';

t.test("BIND's defaults, and the share per worker", async (t) => {
  t.same(capLimits(undefined), { recursiveClients: 1000, clientsPerQuery: 10, fetchesPerZone: 0, zoneResponse: 'drop' });
  const l = capLimits({ recursiveClients: 5, fetchesPerZone: { limit: 3, response: 'fail' }, clientsPerQuery: 2 }, 2);
  t.same(l, { recursiveClients: 3, clientsPerQuery: 2, fetchesPerZone: 2, zoneResponse: 'fail' });
  t.equal(capLimits({ recursiveClients: 1 }, 4).recursiveClients, 1, 'never below 1 per worker');
  t.equal(capLimits({ clientsPerQuery: 50, maxClientsPerQuery: 20 }).clientsPerQuery, 20, 'max lowers it');
  t.equal(capLimits({ clientsPerQuery: 0 }).clientsPerQuery, 0, '0: no limit');
});

t.test('recursive-clients: beyond the cap refused until one finishes', async (t) => {
  const c = new RecursionCaps(capLimits({ recursiveClients: 2 }));
  t.ok(c.admitClient());
  t.ok(c.admitClient());
  t.notOk(c.admitClient());
  t.equal(c.counters.recursiveQuota, 1);
  c.releaseClient();
  t.ok(c.admitClient());
  t.equal(c.counters.recursing, 2);
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

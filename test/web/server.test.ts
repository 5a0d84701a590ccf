// The statistics server on loopback: routes, the allow list, a failing collector,
// and listeners following a new configuration (as after a reload).
import t from 'tap';
import { StatisticsServer } from '../../src/web/server.js';
import { createLogger } from '../../src/log.js';
import { freePort } from '../helpers/tools.js';
import { get } from './scrape.js';

t.test('routes, allow list, collectors, reconfiguration', async (t) => {
  const srv = new StatisticsServer(createLogger({ level: 'silent' }));
  t.teardown(() => srv.stop());
  const [a, b] = [await freePort(), await freePort()];
  let allowed = true;
  await srv.listen([{ address: '127.0.0.1', port: a, allow: () => allowed }]);
  const remove = srv.collector('x', () => [{ name: 'x_total', help: 'x', type: 'counter', samples: [{ value: 5 }] }]);
  srv.collector('broken', () => {
    throw new Error('boom');
  });
  srv.route('/json/v1/test', () => ({ contentType: 'application/json', body: '{"ok":true}' }));
  const m = await get(`http://127.0.0.1:${a}/metrics`);
  t.equal(m.status, 200);
  t.match(m.body, /^x_total 5$/m, 'a collector\'s samples');
  t.match(m.body, /^triad_process_resident_memory_bytes \d+$/m, 'the process\'s own');
  t.equal((await get(`http://127.0.0.1:${a}/json/v1/test/`)).body, '{"ok":true}', 'an added route (trailing slash ignored)');
  remove();
  t.notMatch((await get(`http://127.0.0.1:${a}/metrics`)).body, /x_total/, 'a removed collector is gone');
  allowed = false;
  t.equal((await get(`http://127.0.0.1:${a}/metrics`)).status, 403, 'the allow list decides per client');
  const post = await fetch(`http://127.0.0.1:${a}/metrics`, { method: 'POST' }).catch(() => undefined);
  t.equal(post?.status, 403, 'refused before anything else');
  // A reload moves the channel: the old port closes, the new one opens.
  await srv.listen([{ address: '127.0.0.1', port: b, allow: () => true }]);
  t.equal((await get(`http://127.0.0.1:${b}/metrics`)).status, 200, 'the new listener serves');
  await t.rejects(get(`http://127.0.0.1:${a}/metrics`), 'the old one is closed');
  t.equal((await fetch(`http://127.0.0.1:${b}/metrics`, { method: 'POST' })).status, 405, 'only GET and HEAD');
});

// The statistics server on loopback: routes, the allow list, a failing collector,
// and listeners following a new configuration (as after a reload).
import t from 'tap';
import { StatisticsServer } from '../../src/web/server.js';
import { createLogger } from '../../src/log.js';
import pino from 'pino';
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

t.test('actions: refused without the key, run and logged with it; the dashboard page', async (t) => {
  const lines: string[] = [];
  const srv = new StatisticsServer(pino({ level: 'info' }, { write: (s: string) => void lines.push(s) }));
  t.teardown(() => srv.stop());
  const port = await freePort();
  const secret = Buffer.from('0123456789abcdef0123456789abcdef');
  await srv.listen([{ address: '127.0.0.1', port, allow: () => true, actionKeys: [{ name: 'dash-key', secret }] }]);
  const seen: unknown[] = [];
  srv.action('/action/x/poke', async (body) => {
    seen.push(body);
    return { text: 'poked\n', data: { poked: body['what'] } };
  });
  const post = (auth?: string, body = '{"what":"it"}') => fetch(`http://127.0.0.1:${port}/action/x/poke`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body });
  const none = await post();
  t.equal(none.status, 403, 'no key: refused');
  t.match(await none.json(), { error: /no key was sent/ });
  t.equal((await post(`Bearer ${Buffer.from('wrong').toString('base64')}`)).status, 403, 'a wrong key: refused');
  t.equal((await post(`Basic ${secret.toString('base64')}`)).status, 403, 'not a bearer credential: refused');
  t.same(seen, [], 'the handler never ran');
  const ok = await post(`Bearer ${secret.toString('base64')}`);
  t.equal(ok.status, 200, 'the key: done');
  t.same(await ok.json(), { ok: true, text: 'poked\n', data: { poked: 'it' } });
  t.equal((await post(`Bearer ${secret.toString('base64')}`, '[1]')).status, 400, 'a body that is not a JSON object: 400');
  t.equal(lines.filter((l) => /action refused/.test(l)).length, 4, 'each refusal is logged');
  t.ok(lines.some((l) => /action done: poked/.test(l) && /dash-key/.test(l)), 'the action is logged with its key name');
  t.notOk(lines.some((l) => l.includes(secret.toString('base64'))), 'the secret is never logged');
  // A channel without controls keys refuses every action.
  await srv.listen([{ address: '127.0.0.1', port, allow: () => true }]);
  t.equal((await post(`Bearer ${secret.toString('base64')}`)).status, 403, 'no key configured: refused');
  const page = await get(`http://127.0.0.1:${port}/dashboard`);
  t.equal(page.status, 200);
  t.match(page.body, /<section id="dhcp">/, 'the dashboard page');
  t.notMatch(page.body, /(src|href)="(https?:)?\/\//, 'nothing loaded from another site');
  const hist = JSON.parse((await get(`http://127.0.0.1:${port}/json/triad/dns/history`)).body) as { points: unknown[] };
  t.ok(Array.isArray(hist.points), 'the DNS rate history');
});

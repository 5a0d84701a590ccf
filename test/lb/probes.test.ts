// Probes against servers on loopback only.
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { probe } from '../../src/lb/probes.js';
import type { CheckConfig } from '../../src/config/keepalived-conf.js';

const check = (over: Partial<CheckConfig>): CheckConfig => ({
  kind: 'TCP_CHECK', connectTimeout: 1, retry: 0, delayBeforeRetry: 1, delayLoop: 1, urls: [], miscDynamic: false, pos: { file: 'f', line: 1, col: 1 }, ...over,
});

t.test('TCP_CHECK up and refused', async (t) => {
  const srv = net.createServer((s) => s.end());
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  t.equal((await probe(check({}), { ip: '127.0.0.1', port })).ok, true);
  await new Promise((r) => srv.close(r));
  const r = await probe(check({}), { ip: '127.0.0.1', port });
  t.equal(r.ok, false);
  t.match(r.detail, /ECONNREFUSED/);
});

t.test('HTTP_GET status and digest', async (t) => {
  const body = 'healthy\n';
  const srv = http.createServer((req, res) => {
    res.statusCode = req.url === '/bad' ? 503 : 200;
    res.end(body);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => srv.close());
  const port = (srv.address() as AddressInfo).port;
  const md5 = createHash('md5').update(body).digest('hex');
  const tgt = { ip: '127.0.0.1', port };
  t.equal((await probe(check({ kind: 'HTTP_GET', urls: [{ path: '/', statusCodes: [], digest: md5 }] }), tgt)).ok, true);
  t.equal((await probe(check({ kind: 'HTTP_GET', urls: [{ path: '/bad', statusCodes: [] }] }), tgt)).ok, false, 'default accepts 2xx only');
  t.equal((await probe(check({ kind: 'HTTP_GET', urls: [{ path: '/bad', statusCodes: [[500, 599]] }] }), tgt)).ok, true, 'status_code range');
  const wrong = await probe(check({ kind: 'HTTP_GET', urls: [{ path: '/', statusCodes: [], digest: '0'.repeat(32) }] }), tgt);
  t.match(wrong.detail, /digest/);
});

t.test('MISC_CHECK exit codes and misc_dynamic', async (t) => {
  const tgt = { ip: '127.0.0.1', port: 1 };
  t.equal((await probe(check({ kind: 'MISC_CHECK', miscPath: 'exit 0' }), tgt)).ok, true);
  t.equal((await probe(check({ kind: 'MISC_CHECK', miscPath: 'exit 1' }), tgt)).ok, false);
  t.same(await probe(check({ kind: 'MISC_CHECK', miscPath: 'exit 12', miscDynamic: true }), tgt), { ok: true, detail: 'exit 12', weight: 10 });
  t.equal((await probe(check({ kind: 'MISC_CHECK', miscPath: 'sleep 5', miscTimeout: 1 }), tgt)).detail, 'misc_path timed out');
});

t.test('PING_CHECK on loopback', async (t) => {
  t.equal((await probe(check({ kind: 'PING_CHECK' }), { ip: '127.0.0.1', port: 0 })).ok, true, 'needs iputils-ping');
});

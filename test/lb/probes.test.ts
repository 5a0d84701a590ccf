// Probes against servers on loopback only.
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { probe } from '../../src/lb/probes.js';
import { ScriptPolicy } from '../../src/fs/script-security.js';
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

t.test('MISC_CHECK runs as script_user; enable_script_security refuses a root script others can change', async (t) => {
  const tgt = { ip: '127.0.0.1', port: 1 };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-misc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const out = path.join(dir, 'uid');
  const logged: string[] = [];
  const log = { warn: (_o: object, m: string) => logged.push(m), error: (_o: object, m: string) => logged.push(m) };
  const nobody = ScriptPolicy.from('nobody', false, log);
  writeFileSync(out, '');
  chmodSync(out, 0o666);
  const r = await probe(check({ kind: 'MISC_CHECK', miscPath: `id -u > ${out}` }), tgt, nobody);
  t.equal(r.ok, true, r.detail);
  t.equal(readFileSync(out, 'utf8').trim(), String(nobody.user.uid), 'the script ran as nobody');

  // A script in a folder everyone may write, run as root: refused with the option, warned without.
  const shared = path.join(dir, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o777);
  const script = path.join(shared, 'check.sh');
  writeFileSync(script, '#!/bin/sh\nexit 0\n');
  chmodSync(script, 0o755);
  const strict = new ScriptPolicy({ name: 'root', uid: 0, gid: 0 }, true, log);
  t.same(await probe(check({ kind: 'MISC_CHECK', miscPath: script }), tgt, strict), { ok: false, detail: 'refused by enable_script_security' });
  t.match(logged.join('\n'), /MISC_CHECK '.*check\.sh' refused: it would run as root and .*shared is writable by every user/);
  const lax = new ScriptPolicy({ name: 'root', uid: 0, gid: 0 }, false, log);
  t.equal((await probe(check({ kind: 'MISC_CHECK', miscPath: script }), tgt, lax)).ok, true, 'without the option it runs');
  t.match(logged.at(-1), /runs as root although/);
});

t.test('PING_CHECK on loopback', async (t) => {
  t.equal((await probe(check({ kind: 'PING_CHECK' }), { ip: '127.0.0.1', port: 0 })).ok, true, 'needs iputils-ping');
});

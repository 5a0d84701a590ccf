// Signed control requests: the pure checks, then a real TCP channel (the same
// handler the named.conf `controls` channels use) driven by the client, by raw
// HTTP without a signature, with a wrong key, and by a captured request resent
// byte for byte.
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { ReplayGuard, signRequest, verifyRequest, CLOCK_WINDOW_S, type ControlKey } from '../../src/control/auth.js';
import { controlRequest, handleControlRequest, registerControl, unregisterControl } from '../../src/control/server.js';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const key: ControlKey = { name: 'rndc-key', hmac: 'hmac-sha256', secretBytes: new Uint8Array(Buffer.from('0123456789abcdef0123456789abcdef')) };
const other: ControlKey = { name: 'rndc-key', hmac: 'hmac-sha256', secretBytes: new Uint8Array(Buffer.from('fedcba9876543210fedcba9876543210')) };

t.test('verifyRequest: good, wrong key, unsigned, tampered, stale, replayed', async (t) => {
  const guard = new ReplayGuard();
  const now = 1_800_000_000;
  const body = '{"args":["stats"]}';
  const h = signRequest(key, 'POST', '/dns', body, now);
  t.match(verifyRequest([key], guard, 'POST', '/dns', body, h, now), { ok: true });
  t.match(verifyRequest([key], guard, 'POST', '/dns', body, h, now + 1), { ok: false, reason: /replayed/ }, 'same nonce again');
  const h2 = signRequest(other, 'POST', '/dns', body, now);
  t.match(verifyRequest([key], guard, 'POST', '/dns', body, h2, now), { ok: false, reason: /bad signature/ });
  t.match(verifyRequest([key], guard, 'POST', '/dns', body, {}, now), { ok: false, reason: /not signed/ });
  const h3 = signRequest(key, 'POST', '/dns', body, now);
  t.match(verifyRequest([key], guard, 'POST', '/dns', '{"args":["flush"]}', h3, now), { ok: false, reason: /bad signature/ }, 'body changed');
  t.match(verifyRequest([key], guard, 'POST', '/stats', body, h3, now), { ok: false, reason: /bad signature/ }, 'path changed');
  const old = signRequest(key, 'POST', '/dns', body, now - CLOCK_WINDOW_S - 1);
  t.match(verifyRequest([key], guard, 'POST', '/dns', body, old, now), { ok: false, reason: /window/ });
  const named = signRequest({ ...key, name: 'other-key' }, 'POST', '/dns', body, now);
  t.match(verifyRequest([key], guard, 'POST', '/dns', body, named, now), { ok: false, reason: /not allowed on this channel/ });
  t.match(verifyRequest([key], guard, 'POST', '/dns', body, h3, now), { ok: true }, 'the untampered request still passes once');
});

t.test('ReplayGuard forgets nonces once they are outside the window', async (t) => {
  const g = new ReplayGuard();
  t.ok(g.accept('aa', 1000));
  t.notOk(g.accept('aa', 1001));
  t.ok(g.accept('bb', 1000 + 2 * CLOCK_WINDOW_S + 1));
  t.equal(g.size, 1, 'the old nonce left');
});

t.test('a TCP channel: signed requests pass, others are refused, a captured request cannot be replayed', async (t) => {
  const sock = path.join(mkdtempSync(path.join(os.tmpdir(), 'ctl-auth-')), 'control.sock');
  await registerControl(sock, 'echo', async (args) => ({ text: args.join(' ') + '\n', data: args }));
  t.teardown(() => unregisterControl('echo'));
  const refusals: string[] = [];
  const guard = new ReplayGuard();
  const srv = http.createServer((req, res) => void handleControlRequest(req, res, { keys: [key], guard, refused: (r) => refusals.push(r) }));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => srv.close(() => r())));
  const port = (srv.address() as net.AddressInfo).port;
  const at = { host: '127.0.0.1', port };

  const ok = await controlRequest(at, 'echo', ['a', 'b'], key);
  t.same(ok, { status: 200, body: { text: 'a b\n', data: ['a', 'b'] } }, 'signed with the key: served, and the reply signature verified');
  const wrong = await controlRequest(at, 'echo', ['a'], other);
  t.equal(wrong.status, 401, 'wrong key');
  t.match(wrong.body.error, /request refused: bad signature/);
  const none = await controlRequest(at, 'echo', ['a']);
  t.equal(none.status, 401, 'no key');
  t.match(none.body.error, /not signed/);

  // Capture one signed request on the wire (a recording proxy), then send the same bytes again.
  let captured = '';
  const proxy = net.createServer((c) => {
    const up = net.connect(port, '127.0.0.1');
    c.on('data', (d) => {
      captured += d.toString('latin1');
      up.write(d);
    });
    up.pipe(c);
    c.on('end', () => up.end());
    c.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => proxy.close(() => r())));
  const viaProxy = await controlRequest({ host: '127.0.0.1', port: (proxy.address() as net.AddressInfo).port }, 'echo', ['once'], key);
  t.equal(viaProxy.status, 200, 'the original request is served');
  t.match(captured, /x-triad-mac: /i, 'the captured request carries its signature');
  const replay = await new Promise<string>((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => c.write(Buffer.from(captured, 'latin1')));
    let out = '';
    c.on('data', (d) => (out += d.toString()));
    c.on('end', () => resolve(out));
    c.on('error', reject);
  });
  t.match(replay, /^HTTP\/1\.1 401/, 'the replayed bytes are refused');
  t.match(replay, /replayed request/);
  t.match(refusals, [/bad signature/, /not signed/, /replayed/], 'every refusal is reported with its reason');
});

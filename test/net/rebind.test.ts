// Reloading a one-address server: in place, rebound, or back on the old address when the new one fails.
import t from 'tap';
import { reloadListener, type Rebindable } from '../../src/net/rebind.js';

interface Conf { address: string; port: number; dir: string }

class Fake implements Rebindable<Conf> {
  static taken = new Set<string>();
  running = false;
  constructor(public conf: Conf) {}
  async start(): Promise<void> {
    const k = `${this.conf.address}:${this.conf.port}`;
    if (Fake.taken.has(k)) throw new Error(`${k}: address in use`);
    Fake.taken.add(k);
    this.running = true;
  }
  async stop(): Promise<void> {
    Fake.taken.delete(`${this.conf.address}:${this.conf.port}`);
    this.running = false;
  }
  setConf(c: Conf): void {
    this.conf = c;
  }
}

t.test('same address: the running server takes the new settings', async (t) => {
  const a = { address: '127.0.0.1', port: 69, dir: '/a' };
  const s = new Fake(a);
  await s.start();
  const r = await reloadListener(s, a, { ...a, dir: '/b' }, (c) => new Fake(c), () => undefined);
  t.equal(r.server, s);
  t.equal(r.server.conf.dir, '/b');
  t.equal(r.error, undefined);
  await s.stop();
});

t.test('a new address: a fresh server there, the old one stopped', async (t) => {
  const a = { address: '127.0.0.1', port: 69, dir: '/a' };
  const s = new Fake(a);
  await s.start();
  const r = await reloadListener(s, a, { ...a, port: 6969 }, (c) => new Fake(c), () => undefined);
  t.not(r.server, s);
  t.ok(r.server.running);
  t.notOk(s.running);
  await r.server.stop();
});

t.test('a new address that cannot be bound: the old address serves again, and the error is returned', async (t) => {
  const a = { address: '127.0.0.1', port: 69, dir: '/a' };
  const s = new Fake(a);
  await s.start();
  Fake.taken.add('127.0.0.1:7000');
  const r = await reloadListener(s, a, { ...a, port: 7000 }, (c) => new Fake(c), () => undefined);
  t.match(String(r.error), /address in use/);
  t.ok(r.server.running, 'a server runs');
  t.same(r.server.conf, a, 'on the old settings');
  Fake.taken.delete('127.0.0.1:7000');
  await r.server.stop();
});

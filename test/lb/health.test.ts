import t from 'tap';
import { HealthMonitor, checkKey, type ProbeFn } from '../../src/lb/health.js';
import type { CheckConfig } from '../../src/config/keepalived-conf.js';

const check = (over: Partial<CheckConfig> = {}): CheckConfig => ({
  kind: 'TCP_CHECK', connectTimeout: 1, retry: 0, delayBeforeRetry: 0.01, delayLoop: 0.02, urls: [], miscDynamic: false, pos: { file: 'f', line: 1, col: 1 }, ...over,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('one checker per endpoint and spec, shared by virtual servers', async (t) => {
  let probes = 0;
  const probe: ProbeFn = async () => {
    probes++;
    return { ok: true, detail: 'ok' };
  };
  const m = new HealthMonitor(() => undefined, probe);
  const tgt = { ip: '10.0.0.3', port: 80 };
  m.sync([
    { target: tgt, check: check({ pos: { file: 'f', line: 3, col: 1 } }), startDown: false },
    { target: tgt, check: check({ pos: { file: 'f', line: 9, col: 1 } }), startDown: false },
    { target: { ip: '10.0.0.4', port: 80 }, check: check(), startDown: false },
  ]);
  t.equal(m.size, 2, 'same endpoint and spec at two places: one checker');
  await sleep(10);
  m.stop();
  t.ok(probes >= 2);
});

t.test('down after retries, up after one success; state survives a re-sync', async (t) => {
  let ok = true;
  let calls = 0;
  const probe: ProbeFn = async () => {
    calls++;
    return ok ? { ok: true, detail: 'up' } : { ok: false, detail: 'refused' };
  };
  const changes: boolean[] = [];
  const m = new HealthMonitor((_k, _t, s) => changes.push(s.up), probe);
  const spec = { target: { ip: '10.0.0.3', port: 80 }, check: check({ retry: 2 }), startDown: false };
  const key = checkKey(spec.target, spec.check);
  m.sync([spec]);
  await sleep(30);
  t.equal(m.state(key)?.up, true);
  ok = false;
  calls = 0;
  await sleep(150);
  t.equal(m.state(key)?.up, false);
  t.same(changes, [false]);
  t.ok(calls >= 3, 'retried before declaring down');
  m.sync([spec]);
  t.equal(m.state(key)?.up, false, 'reload keeps a dead server dead (keepalived#1720)');
  ok = true;
  await sleep(60);
  t.equal(m.state(key)?.up, true);
  t.same(changes, [false, true]);
  m.stop();
});

t.test('alpha starts down; misc_dynamic weight reported', async (t) => {
  const probe: ProbeFn = async () => ({ ok: true, detail: 'exit 7', weight: 5 });
  const m = new HealthMonitor(() => undefined, probe);
  const spec = { target: { ip: '10.0.0.3', port: 80 }, check: check({ kind: 'MISC_CHECK', miscPath: 'x', miscDynamic: true, delayLoop: 10 }), startDown: true };
  m.sync([spec]);
  const key = checkKey(spec.target, spec.check);
  t.equal(m.state(key)?.up, false);
  await sleep(20);
  t.same({ up: m.state(key)?.up, w: m.state(key)?.weight }, { up: true, w: 5 });
  m.sync([]);
  t.equal(m.size, 0);
});

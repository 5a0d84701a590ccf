// The link watcher against the kernel, in a throwaway namespace: the reasons as a veth is
// created, brought up, gets carrier and an address; deletion; a re-created link has a new
// index; and lost notifications (ENOBUFS) are answered by reading everything again.

import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

t.test('LinkWatcher follows a namespace\'s links', { timeout: 60_000 }, async (t) => {
  if (process.getuid?.() !== 0) {
    t.fail('namespace tests need root');
    return;
  }
  const ns = `lw${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  t.teardown(() => void spawnSync('ip', ['netns', 'del', ns]));
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const probe = path.join(REPO_ROOT, 'dist', 'test', 'net', 'link-watch-probe.js');
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, probe], { encoding: 'utf8', timeout: 50_000 });
  t.equal(r.status, 0, `the probe ran (${r.stderr.trim().slice(0, 300)})`);
  const steps = new Map(r.stdout.trim().split('\n').filter(Boolean).map((l) => {
    const o = JSON.parse(l) as { step: string } & Record<string, unknown>;
    return [o.step, o];
  }));
  t.same([...steps.values()].filter((o) => o.timeout), [], 'no step timed out');
  t.equal(steps.get('start')?.reason, 'no such interface');
  t.equal(steps.get('created')?.reason, 'administratively down');
  t.equal(steps.get('up')?.reason, 'no carrier', 'up, peer down: no carrier');
  t.equal(steps.get('peer up')?.reason, 'no IPv4 address');
  t.equal(steps.get('address')?.reason, 'ok');
  t.same(steps.get('address')?.addresses, [{ ip: 0x0a090001, prefixLen: 24 }]);
  t.equal(steps.get('deleted')?.reason, 'no such interface', 'deleted, also when the deletion notice was lost (a fresh dump)');
  t.equal(steps.get('re-created')?.newIndex, true, 'a re-created link has a new index');
  const o = steps.get('overflow');
  t.equal(o?.links, 303, 'every link of the namespace is known after the burst (lo, pa0/pb0, 150 pairs)');
  t.equal(o?.resynced, true, 'the lost notifications were noticed (ENOBUFS) and everything read again');
  t.equal(o?.notified, true, 'subscribers were told');
  t.ok(steps.has('end'), 'the watcher closed');
});

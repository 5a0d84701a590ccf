// The confinement rules TFTP and HTTP boot share: what a client may open under a served directory.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inside, isRefusal, openConfined } from '../../src/fs/confined-file.js';

t.test('inside: a path and its directory, not a sibling with the same prefix', async (t) => {
  t.ok(inside('/srv/tftp', '/srv/tftp/a'));
  t.ok(inside('/srv/tftp/', '/srv/tftp/a/b'));
  t.notOk(inside('/srv/tftp', '/srv/tftp2/a'), 'a sibling sharing the prefix is outside');
  t.notOk(inside('/srv/tftp', '/srv'));
});

t.test('refusals carry a kind each protocol answers in its own way', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-confined-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, 'root');
  mkdirSync(path.join(root, 'sub'), { recursive: true });
  writeFileSync(path.join(dir, 'secret'), 'outside');
  writeFileSync(path.join(root, 'sub', 'file'), 'inside');
  writeFileSync(path.join(root, 'private'), 'p');
  chmodSync(path.join(root, 'private'), 0o600);
  symlinkSync('../secret', path.join(root, 'escape'));
  symlinkSync('sub/file', path.join(root, 'alias'));
  execFileSync('mkfifo', [path.join(root, 'fifo')]);

  const ok = await openConfined(root, 'alias', false, 'the TFTP directory');
  if (isRefusal(ok)) return t.fail(ok.reason);
  t.equal(ok.stat.size, 6, 'a link inside is followed');
  t.equal(ok.real, path.join(root, 'sub', 'file'));
  await ok.handle.close();
  t.same(await openConfined(root, 'escape', false, 'the TFTP directory'), { refused: 'denied', reason: 'a symbolic link leads outside the TFTP directory' });
  t.match(await openConfined(root, 'fifo', false), { refused: 'denied', reason: 'not a regular file' });
  t.match(await openConfined(root, 'sub', false), { refused: 'directory' });
  t.match(await openConfined(root, 'missing', false), { refused: 'missing' });
  t.match(await openConfined(root, 'x'.repeat(300), false), { refused: 'bad-name' });
  t.match(await openConfined(root, 'private', false), { refused: 'denied', reason: /readable by everyone/ });
  const p = await openConfined(root, 'private', true);
  t.notOk(isRefusal(p), 'permissive serves a private file');
  if (!isRefusal(p)) await p.handle.close();
  t.match(await openConfined(path.join(dir, 'nowhere'), 'a', false, 'the HTTP boot directory'), { refused: 'missing', reason: /the HTTP boot directory .* cannot be read/ });
});

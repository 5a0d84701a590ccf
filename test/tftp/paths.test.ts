// Confinement of requested names to the TFTP root: the pure name check and opening with
// symbolic links, devices, FIFOs and permissions on a real directory.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { confineName, openConfined } from '../../src/tftp/paths.js';

t.test('names: --secure treats a leading / as the root; .. is refused', async (t) => {
  t.equal(confineName('pxelinux.0', '/srv/tftp', true), 'pxelinux.0');
  t.equal(confineName('/pxelinux.0', '/srv/tftp', true), 'pxelinux.0');
  t.equal(confineName('./a//b/./c', '/srv/tftp', true), 'a/b/c');
  t.match(confineName('../etc/passwd', '/srv/tftp', true), { code: 2, message: 'Access violation' });
  t.match(confineName('a/../../x', '/srv/tftp', true), { code: 2 });
  t.match(confineName('/', '/srv/tftp', true), { code: 2 });
  t.match(confineName('a'.repeat(256), '/srv/tftp', true), { code: 2 });
});

t.test('names without --secure: an absolute name must lie under the root', async (t) => {
  t.equal(confineName('/srv/tftp/boot/x', '/srv/tftp', false), 'boot/x');
  t.match(confineName('/etc/passwd', '/srv/tftp', false), { code: 2 });
  t.match(confineName('/srv/tftpother/x', '/srv/tftp', false), { code: 2 });
  t.match(confineName('/srv/tftp/../etc/passwd', '/srv/tftp', false), { code: 2 });
  t.equal(confineName('boot/x', '/srv/tftp', false), 'boot/x');
});

t.test('opening: symbolic links stay inside, devices/FIFOs/directories and private files are refused', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-tftp-paths-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, 'root');
  mkdirSync(path.join(root, 'sub'), { recursive: true });
  writeFileSync(path.join(dir, 'secret'), 'outside');
  chmodSync(path.join(dir, 'secret'), 0o644);
  writeFileSync(path.join(root, 'sub', 'file'), 'inside');
  chmodSync(path.join(root, 'sub', 'file'), 0o644);
  writeFileSync(path.join(root, 'private'), 'x');
  chmodSync(path.join(root, 'private'), 0o600);
  symlinkSync('../secret', path.join(root, 'escape'));
  symlinkSync('sub/file', path.join(root, 'alias'));
  symlinkSync('/dev/zero', path.join(root, 'zero'));
  symlinkSync('..', path.join(root, 'up'));
  execFileSync('mkfifo', [path.join(root, 'fifo')]);

  const ok = await openConfined(root, 'alias', false);
  if ('code' in ok) return t.fail(ok.reason);
  t.equal(ok.size, 6, 'a link inside the root is followed');
  await ok.handle.close();
  t.match(await openConfined(root, 'escape', false), { code: 2, reason: /outside the TFTP directory/ });
  t.match(await openConfined(root, 'up/secret', false), { code: 2, reason: /outside/ });
  t.match(await openConfined(root, 'zero', false), { code: 2 });
  t.match(await openConfined(root, 'fifo', false), { code: 2, reason: 'not a regular file' });
  t.match(await openConfined(root, 'sub', false), { code: 2, reason: 'not a regular file' });
  t.match(await openConfined(root, 'missing', false), { code: 1, message: 'File not found' });
  t.match(await openConfined(root, 'sub/file/x', false), { code: 1 });
  t.match(await openConfined(root, 'private', false), { code: 2, reason: /readable by everyone/ });
  const p = await openConfined(root, 'private', true);
  t.notOk('code' in p, '--permissive serves it');
  if (!('code' in p)) await p.handle.close();
});

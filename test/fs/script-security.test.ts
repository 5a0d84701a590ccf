// enable_script_security's decision, without a file system: which script paths a
// non-root user could modify or replace, and how a script's program is found.
import t from 'tap';
import { scriptProgram, unsafeReason, type FileFacts } from '../../src/fs/script-security.js';

const dir = (mode: number, uid = 0, gid = 0): FileFacts => ({ uid, gid, mode: 0o040000 | mode, dir: true });
const file = (mode: number, uid = 0, gid = 0): FileFacts => ({ uid, gid, mode: 0o100000 | mode, dir: false });

function fs(entries: Record<string, FileFacts>): (p: string) => FileFacts | undefined {
  return (p) => entries[p];
}

t.test('root-owned, not writable by others: safe', async (t) => {
  t.equal(unsafeReason('/usr/local/bin/chk', fs({ '/': dir(0o755), '/usr': dir(0o755), '/usr/local': dir(0o755), '/usr/local/bin': dir(0o755), '/usr/local/bin/chk': file(0o755) })), undefined);
  // Group-writable for root's group is still root only.
  t.equal(unsafeReason('/opt/chk', fs({ '/': dir(0o755), '/opt': dir(0o775), '/opt/chk': file(0o775) })), undefined);
});

t.test('a script a non-root user could change is unsafe', async (t) => {
  const base = { '/': dir(0o755), '/opt': dir(0o755) };
  t.equal(unsafeReason('/opt/chk', fs({ ...base, '/opt/chk': file(0o755, 1000) })), '/opt/chk is owned by uid 1000, not root');
  t.equal(unsafeReason('/opt/chk', fs({ ...base, '/opt/chk': file(0o777) })), '/opt/chk is writable by every user');
  t.equal(unsafeReason('/opt/chk', fs({ ...base, '/opt/chk': file(0o775, 0, 100) })), '/opt/chk is writable by group 100');
  // Replaceable through its directory.
  t.equal(unsafeReason('/opt/chk', fs({ '/': dir(0o755), '/opt': dir(0o777), '/opt/chk': file(0o755) })), '/opt is writable by every user');
  t.equal(unsafeReason('/opt/chk', fs({ '/': dir(0o755), '/opt': dir(0o755, 1000), '/opt/chk': file(0o755) })), '/opt is owned by uid 1000, not root');
  t.equal(unsafeReason('/opt/chk', fs({ '/': dir(0o755), '/opt': dir(0o755) })), '/opt/chk cannot be read');
});

t.test('a root-owned script in a sticky world-writable directory (/tmp) is safe; a world-writable one is not', async (t) => {
  const base = { '/': dir(0o755), '/tmp': dir(0o1777) };
  t.equal(unsafeReason('/tmp/chk', fs({ ...base, '/tmp/chk': file(0o755) })), undefined);
  t.equal(unsafeReason('/tmp/chk', fs({ ...base, '/tmp/chk': file(0o757) })), '/tmp/chk is writable by every user');
  t.equal(unsafeReason('/tmp/chk', fs({ ...base, '/tmp/chk': file(0o755, 1000) })), '/tmp/chk is owned by uid 1000, not root');
});

t.test('the program of a script line: absolute as written, else looked up in PATH', async (t) => {
  const exists = (p: string): boolean => p === '/usr/bin/test';
  t.equal(scriptProgram('/usr/local/bin/chk --flag', '/usr/bin', exists), '/usr/local/bin/chk');
  t.equal(scriptProgram('test -e /run/ok', '/usr/sbin:/usr/bin', exists), '/usr/bin/test');
  t.equal(scriptProgram('missing-tool', '/usr/bin', exists), undefined);
});

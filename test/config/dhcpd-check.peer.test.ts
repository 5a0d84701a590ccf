// `triad check` and ISC's `dhcpd -t` on the seed lab's dhcpd.conf: both accept the shipped
// file; on the copy with a human's mistakes both report lines 5 and 8, Triad with columns.

import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BIN_TRIAD, FIXTURES, REPO_ROOT } from '../helpers/paths.js';

const exec = promisify(execFile);
const run = async (cmd: string, args: string[]): Promise<{ code: number; out: string }> => {
  try {
    const r = await exec(cmd, args, { timeout: 60_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, out: (x.stdout ?? '') + (x.stderr ?? '') };
  }
};

const LAB = path.join(REPO_ROOT, 'conf', 'dhcpd.conf');
const BROKEN = path.join(FIXTURES, 'dhcp', 'lab-dhcpd-broken.conf');

t.test('dhcpd -t agrees with triad check on the lab files', async (t) => {
  const dhcpdOk = await run('dhcpd', ['-4', '-t', '-cf', LAB]);
  t.equal(dhcpdOk.code, 0, `dhcpd -t accepts conf/dhcpd.conf ${dhcpdOk.code === 127 || dhcpdOk.code === -1 ? '(is isc-dhcp-server installed?)' : ''}`);
  const dhcpdBad = await run('dhcpd', ['-4', '-t', '-cf', BROKEN]);
  t.not(dhcpdBad.code, 0, 'dhcpd -t rejects the broken copy');
  t.match(dhcpdBad.out, /line 5: expecting a parameter or declaration/);
  t.match(dhcpdBad.out, /line 8: semicolon expected/);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-dcheck-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ok = await run(process.execPath, [BIN_TRIAD, 'check', '--conf-dir', dir, '--dhcpd-conf', LAB]);
  t.equal(ok.code, 0, `triad check accepts conf/dhcpd.conf: ${ok.out}`);
  copyFileSync(BROKEN, path.join(dir, 'dhcpd.conf'));
  const bad = await run(process.execPath, [BIN_TRIAD, 'check', '--conf-dir', dir]);
  t.equal(bad.code, 1, 'triad check fails');
  t.match(bad.out, /dhcpd\.conf:5:25: error: expecting a parameter or declaration\n {4}default-lease-time 600; max\n {4} {24}\^/, 'text after a semicolon: line 5 column 25 with a caret');
  t.match(bad.out, /dhcpd\.conf:8:20: error: option domain-name: text must be quoted/, 'unquoted domain name: line 8 column 20');
});

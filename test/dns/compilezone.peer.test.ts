// Side by side with BIND: `bin/triad compilezone` against `named-compilezone -s full`
// on fixtures that exercise every master-file syntax bullet and the lab zones, and
// `bin/triad checkzone` against `named-checkzone` on broken files.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN_TRIAD, DEMO_ZONES, FIXTURES, REPO_ROOT } from '../helpers/paths.js';

const ZONES = path.join(FIXTURES, 'zones');

function run(cmd: string, args: string[], cwd: string): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'latin1' });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function normalise(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/[ \t]+/g, ' ').trim()).filter((l) => l !== '').sort();
}

function haveTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

const COMPILE: Array<[string, string, string]> = [
  ['syntax.test', 'syntax.db', ZONES],
  ['example', 'types.db', ZONES],
  ['example', 'soa-minimum-ttl.db', ZONES],
  ['cafe.babe', 'cafe.babe.zone', path.join(REPO_ROOT, 'zones')],
  ['cafe.babe', 'cafe.babe.zone', DEMO_ZONES],
  ['117.168.192.in-addr.arpa', '192.168.117.rev', path.join(REPO_ROOT, 'zones')],
  ['117.168.192.in-addr.arpa', '192.168.117.rev', DEMO_ZONES],
];

t.test('compilezone output equals named-compilezone -s full', async (t) => {
  t.ok(haveTool('named-compilezone'), 'named-compilezone is installed (bind9-utils)');
  if (!haveTool('named-compilezone')) return;
  for (const [zone, file, dir] of COMPILE) {
    const bind = run('named-compilezone', ['-q', '-k', 'ignore', '-i', 'none', '-s', 'full', '-o', '-', zone, file], dir);
    const triad = run(BIN_TRIAD, ['compilezone', '--check-names', 'ignore', zone, file], dir);
    t.equal(bind.code, 0, `BIND compiles ${file}`);
    t.equal(triad.code, 0, `Triad compiles ${file}: ${triad.err.slice(0, 300)}`);
    const b = normalise(bind.out);
    t.ok(b.length >= 3, `BIND printed ${file}`);
    t.same(normalise(triad.out), b, `${file}: same records as BIND`);
  }
});

t.test('compilezone fails on check-names by default, as named-compilezone does (its -k fail)', async (t) => {
  t.ok(haveTool('named-compilezone'), 'named-compilezone is installed');
  // syntax.db has owners that are not host names (an escaped dot, a binary label).
  const bind = run('named-compilezone', ['-q', '-s', 'full', '-o', '-', 'syntax.test', 'syntax.db'], ZONES);
  const triad = run(BIN_TRIAD, ['compilezone', 'syntax.test', 'syntax.db'], ZONES);
  t.equal(bind.code, 1, 'BIND refuses syntax.db with its default check-names');
  t.equal(triad.code, 1, 'Triad refuses it too');
  t.match(triad.err, /bad owner name \(check-names\)/);
  const warn = run(BIN_TRIAD, ['compilezone', '--check-names', 'warn', 'syntax.test', 'syntax.db'], ZONES);
  t.equal(warn.code, 0, '--check-names warn compiles it');
  t.match(warn.err, /warning: .*bad owner name \(check-names\)/);
});

t.test('checkzone rejects broken files like named-checkzone, with file:line:col', async (t) => {
  t.ok(haveTool('named-checkzone'), 'named-checkzone is installed');
  if (!haveTool('named-checkzone')) return;
  const files = fs.readdirSync(path.join(ZONES, 'broken')).filter((f) => f.endsWith('.db')).sort();
  t.ok(files.length >= 15, 'broken fixtures present');
  for (const f of files) {
    const rel = path.join('broken', f);
    const bind = run('named-checkzone', ['-q', 'example', rel], ZONES);
    const triad = run(BIN_TRIAD, ['checkzone', 'example', rel], ZONES);
    t.not(bind.code, 0, `BIND rejects ${f}`);
    t.not(triad.code, 0, `Triad rejects ${f}`);
    // Zone-wide findings (no SOA, CNAME and other data…) have no line; the others point at one.
    t.match(triad.err, /^broken\/[\w.-]+:\d+:\d+: error: /m, `${f}: file:line:col error`);
  }
  const several = run(BIN_TRIAD, ['checkzone', 'example', 'broken/several-errors.db'], ZONES);
  t.match(several.err, /several-errors\.db:5:7: error: bad IPv4 address '192\.0\.2\.300'\n {4}www A 192\.0\.2\.300\n {10}\^/);
  t.match(several.err, /several-errors\.db:6:11: error: bad IPv6 address/);
});

t.test('checkzone accepts good files like named-checkzone and prints the serial', async (t) => {
  const ok = run(BIN_TRIAD, ['checkzone', 'syntax.test', 'syntax.db'], ZONES);
  t.equal(ok.code, 0);
  t.equal(ok.out, 'zone syntax.test/IN: loaded serial 2026112201\nOK\n');
  const bind = run('named-checkzone', ['syntax.test', 'syntax.db'], ZONES);
  t.equal(bind.code, 0);
  t.match(bind.out, /loaded serial 2026112201\nOK/);
});

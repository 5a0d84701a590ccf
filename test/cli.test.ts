// The command line reads the service list: bad option values and unknown options stop
// `triad run` and `triad check` before anything starts; `triad --help` and `triad ctl`
// list every service's commands.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN_TRIAD } from './helpers/paths.js';

const empty = mkdtempSync(path.join(os.tmpdir(), 'triad-cli-'));
const triad = (...args: string[]) => spawnSync(process.execPath, [BIN_TRIAD, ...args], { encoding: 'utf8', timeout: 20_000 });

t.test('bad values and unknown options: exit 2 with what is expected', async (t) => {
  const bad = triad('run', '--conf-dir', empty, '--dns-workers', 'two');
  t.equal(bad.status, 2);
  t.equal(bad.stderr, 'triad run: --dns-workers two: a whole number from 0 to 1024 is expected\n');
  const timeout = triad('check', '--conf-dir', empty, '--lb-timeout-tcp', '15m');
  t.equal(timeout.status, 2);
  t.match(timeout.stderr, /--lb-timeout-tcp 15m: a whole number/);
  const typo = triad('run', '--conf-dir', empty, '--dns-worker', '2');
  t.equal(typo.status, 2);
  t.equal(typo.stderr, 'triad run: unknown option --dns-worker (see triad --help)\n');
  const noFile = triad('check', '--conf-dir', empty, '--dhcpd-conf');
  t.equal(noFile.status, 2);
  t.match(noFile.stderr, /--dhcpd-conf needs a value \(a file name\)/);
});

t.test('an explicit file that is missing is an error with its path', async (t) => {
  const missing = path.join(empty, 'nope.conf');
  const r = triad('check', '--conf-dir', empty, '--dhcpd-conf', missing);
  t.equal(r.status, 1);
  t.equal(r.stderr, `${missing}: file not found (named by --dhcpd-conf)\n`);
});

t.test('triad check: a file or include that cannot be read is a diagnostic for every kind, not a stack trace', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-cli-read-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const folder = path.join(dir, 'a-folder');
  mkdirSync(folder);
  for (const option of ['named-conf', 'dhcpd-conf', 'lb-conf', 'relay-conf']) {
    const r = triad('check', '--conf-dir', empty, `--${option}`, folder);
    t.equal(r.status, 1, `--${option} DIR fails`);
    t.equal(r.stderr, `${folder}:1:1: error: cannot read: is a directory, not a file\n`, `--${option} DIR: one diagnostic naming it`);
  }
  const includes: [string, string, string][] = [
    ['named-conf', 'named.conf', 'options { };\ninclude "gone.conf";\n'],
    ['dhcpd-conf', 'dhcpd.conf', 'authoritative;\ninclude "gone.conf";\n'],
    ['lb-conf', 'keepalived.conf', 'global_defs {\n}\ninclude gone.conf\n'],
  ];
  for (const [option, name, text] of includes) {
    const main = path.join(dir, name);
    writeFileSync(main, text);
    const r = triad('check', '--conf-dir', empty, `--${option}`, main);
    t.equal(r.status, 1, `${name} with a missing include fails`);
    const line = text.split('\n').findIndex((l) => l.includes('gone.conf')) + 1;
    t.match(r.stderr, `${main}:${line}:9: error: cannot include '${path.join(dir, 'gone.conf')}': file not found\n`, `${name}: at the include statement`);
    t.notMatch(r.stderr, /\n\s+at /, `${name}: no stack trace`);
  }
});

t.test('help and ctl usage come from the service list', async (t) => {
  const help = triad('--help');
  t.equal(help.status, 0);
  for (const c of ['run', 'check', 'checkzone', 'compilezone', 'leases', 'relay', 'ctl']) t.match(help.stdout, new RegExp(`^  ${c} `, 'm'), `triad ${c}`);
  t.match(help.stdout, /--lb-datapath nft\|packet\|userspace/);
  const ctl = triad('ctl');
  t.equal(ctl.status, 1);
  for (const w of ['status', 'dns stats', 'dns zonestatus ZONE', 'dhcp leases', 'dhcp stats', 'lb show', 'lb drain VIP:PORT']) t.match(ctl.stderr, new RegExp(`^  ${w}`, 'm'), `ctl ${w}`);
  t.match(ctl.stderr, /\(also: ctl stats\)/, 'the alias is shown');
  for (const w of ['dns querylog [on|off]', 'dhcp release ADDR', 'dhcp fixed-host ADDR [NAME]']) t.ok(ctl.stderr.includes(`  ${w}`), `ctl ${w}`);
  const noDir = triad('ctl', 'status', '--data-dir');
  t.equal(noDir.status, 2, 'a place option without its value');
  t.match(noDir.stderr, /--data-dir needs a value/);
});

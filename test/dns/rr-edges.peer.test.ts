// The RR edge-case fixtures against BIND itself: named-checkzone and
// named-compilezone on this machine still give the verdicts and output recorded
// in test/fixtures/zones/rr-edges.jsonl (which rr-edges.test.ts holds Triad to),
// and `bin/triad checkzone`/`compilezone` agree with them on the cases users hit.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN_TRIAD } from '../helpers/paths.js';
import { ZONE, foldOut, readRecorded, zoneText } from './rr-edge-cases.js';
import { bindVerdict, pool } from './rr-edge-record.js';

function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

t.test('recorded verdicts and output are BIND 9.18\'s', { timeout: 900000 }, async (t) => {
  t.ok(have('named-checkzone') && have('named-compilezone'), 'named-checkzone and named-compilezone are installed (bind9-utils)');
  const v = spawnSync('named-checkzone', ['-v'], { encoding: 'utf8' }).stdout;
  t.match(v, /^9\.18\./, `BIND 9.18 (${v.trim()})`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-rr-edges-peer-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cases = readRecorded();
  const live = await pool(cases, 2, (c) => bindVerdict(c, dir));
  let same = 0;
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i];
    const b = live[i];
    if (b.check === c.check && b.compile === c.compile && JSON.stringify(b.out) === JSON.stringify(c.out)) same++;
    else t.fail(`${c.name} (${c.body.trim()}): BIND now says check=${b.check} compile=${b.compile} ${JSON.stringify(b.out)}`);
  }
  t.equal(same, cases.length, `${same}/${cases.length} recorded cases are what BIND says`);
});

// The edge cases named in the project's issue, through the real command line.
const CLI = [
  'x ZONEMD 2021071219 1 3 00', 'x ZONEMD 2021071219 1 1 00', `x ZONEMD 2021071219 1 3 ${'AA'.repeat(12)}`, 'x ZONEMD \\# 7 0000000101 0300',
  'x CERT PKIX 1 ECCGOST AQID', 'x CERT PKIX 1 ECC AQID', 'x CERT pgp 0 RSASHA256 AQID', 'x KEY NOKEY 3 8', 'x KEY NOKEY 3 8 AQID',
  'x KEY 0x0100 3 8 AQID', 'x SVCB 1 . ech', 'x SVCB 1 . ALPN=h2', 'x HTTPS 1 . PORT=53', 'x HTTPS 1 . key7=x', 'x HTTPS 1 . alpn=h2 no-default-alpn=x',
  'x RESINFO "a"\nx RESINFO "b"', 'x SSHFP 1 0', 'x SSHFP 1 1', 'x SSHFP \\# 2 0000', 'x LOC 0 n 0 e 0m', 'x LOC 91 N 0 E 0m',
  'x LOC \\# 16 01121316898a8f0a7fefde2c00989680', 'x DS 1 8 SHA-256 ' + 'AB'.repeat(32), 'a_b A 192.0.2.9', 'x NS 192.0.2.1',
];

t.test('bin/triad checkzone and compilezone against named-checkzone and named-compilezone', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-rr-edges-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cases = CLI.map((body, i) => ({ name: `cli-${i + 1}`, body: body + '\n' }));
  for (const c of cases) {
    const file = `${c.name}.db`;
    fs.writeFileSync(path.join(dir, file), zoneText(c), 'latin1');
    for (const [tool, cmd] of [['named-checkzone', 'checkzone'], ['named-compilezone', 'compilezone']] as const) {
      const bargs = tool === 'named-compilezone' ? ['-q', '-s', 'full', '-o', '-', ZONE, file] : ['-q', ZONE, file];
      const bind = spawnSync(tool, bargs, { cwd: dir, encoding: 'latin1' });
      const triad = spawnSync(BIN_TRIAD, [cmd, ZONE, file], { cwd: dir, encoding: 'latin1' });
      t.equal(triad.status, bind.status, `${c.name} (${c.body.trim()}): ${cmd} exit status as ${tool}`);
      t.notMatch(triad.stderr, /\n\s+at |internal error/, `${c.name}: ${cmd} reports no stack trace and no internal error`);
      if (triad.status !== 0) t.match(triad.stderr, new RegExp(`^${file.replace(/\./g, '\\.')}:\\d+:\\d+: error: `, 'm'), `${c.name}: ${cmd} error has file:line:col`);
      if (cmd === 'compilezone' && bind.status === 0) t.same(foldOut(triad.stdout), foldOut(bind.stdout), `${c.name}: same output as named-compilezone`);
    }
  }
});

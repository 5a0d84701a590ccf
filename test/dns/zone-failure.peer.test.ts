// One broken zone among good ones, side by side: named and `triad run` serve the
// same named.conf and zone files (only the port differs). Zones whose file does
// not load (CNAME beside other data, a bad owner name under check-names, a syntax
// error, a missing file) are answered SERVFAIL by both; the good ones, including
// a zone below a broken one, answer identically. Then both reload (SIGHUP) after
// a good zone changed and another broke: the changed zone serves its new data,
// the newly broken one keeps its old data, in both. `named-checkconf -z` and
// `triad check` both reject the files.
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN_TRIAD } from '../helpers/paths.js';
import { dig, randomPort, sleep, startTriad, waitFor } from '../helpers/triad-run.js';
import { freePort, requireTools } from '../helpers/tools.js';
import { namedOptions } from '../helpers/bind-ref.js';
import { digDiff, parseDig } from '../helpers/dig-compare.js';

const HOST = '127.0.0.1';
const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-zonefail-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const zone = (serial: number, extra: string): string =>
  `$TTL 1h\n@ IN SOA ns hostmaster ( ${serial} 1h 15m 1w 5m )\n  IN NS ns\nns IN A 192.0.2.53\n${extra}`;
const files: Record<string, string> = {
  'good.db': zone(1, 'www IN A 192.0.2.1\n'),
  'later.db': zone(1, 'www IN A 192.0.2.2\n'),
  'cname.db': zone(1, 'www IN CNAME ns\nwww IN A 192.0.2.3\n'),
  'sub.db': zone(1, 'www IN A 192.0.2.4\n'),
  'names.db': zone(1, 'bad_name IN A 192.0.2.5\nwww IN A 192.0.2.5\n'),
  'syntax.db': zone(1, 'www IN A 192.0.2.300\n'),
};
for (const [f, text] of Object.entries(files)) writeFileSync(path.join(dir, f), text);

function namedConf(port: number): string {
  return `${namedOptions({ directory: dir, port, addr: HOST, bind: true, extra: ['notify no'] })}zone "good.test" { type primary; file "good.db"; };
zone "later.test" { type primary; file "later.db"; };
zone "cname.test" { type primary; file "cname.db"; };
zone "sub.cname.test" { type primary; file "sub.db"; };
zone "names.test" { type primary; file "names.db"; };
zone "syntax.test" { type primary; file "syntax.db"; };
zone "missing.test" { type primary; file "missing.db"; };
`;
}

const QUERIES = ['good.test SOA', 'www.good.test', 'www.good.test +norec', 'nope.good.test', 'later.test SOA +norec', 'www.later.test',
  'www.cname.test', 'cname.test SOA +norec', 'www.sub.cname.test', 'nope.sub.cname.test', 'sub.cname.test NS +norec',
  'www.names.test', 'names.test SOA', 'www.syntax.test +norec', 'syntax.test NS', 'missing.test SOA', 'x.missing.test +norec',
  'elsewhere.example'];
const BROKEN = ['cname.test', 'names.test', 'syntax.test', 'missing.test'];

function startNamed(conf: string): { child: ChildProcess; log(): string } {
  const child = spawn('named', ['-g', '-n', '1', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  return { child, log: () => log };
}

t.test('named and triad serve the good zones and SERVFAIL the broken ones, at start and after reload', async (t) => {
  if (!requireTools(t, ['named', 'named-checkconf', 'dig'], 'see test/install-deps.sh')) return;
  const bindPort = await freePort();
  let triadPort = await freePort();
  while (triadPort === bindPort) triadPort = await freePort();
  const bindConf = path.join(dir, 'named.conf');
  const triadConf = path.join(dir, 'triad-named.conf');
  writeFileSync(bindConf, namedConf(bindPort));
  writeFileSync(triadConf, namedConf(triadPort));

  // The checkers agree: the files have errors.
  const bindCheck = spawnSync('named-checkconf', ['-z', bindConf], { encoding: 'utf8' });
  const triadCheck = spawnSync(process.execPath, [BIN_TRIAD, 'check', '--named-conf', triadConf, '--conf-dir', path.join(dir, 'none')], { encoding: 'utf8' });
  t.not(bindCheck.status, 0, 'named-checkconf -z rejects the files');
  t.not(triadCheck.status, 0, 'triad check rejects them too');

  const named = startNamed(bindConf);
  mkdirSync(path.join(dir, 'data'));
  const triad = startTriad(['--named-conf', triadConf, '--conf-dir', path.join(dir, 'none'), '--data-dir', path.join(dir, 'data'), '--dns-workers', '1']);
  t.teardown(() => triad.stop());
  const answers = (port: number): boolean => /status: NOERROR/.test(dig(HOST, port, ['www.good.test']));
  const up = (await waitFor(() => answers(bindPort), 20000, 200)) && (await waitFor(() => answers(triadPort), 20000, 200));
  t.ok(up, 'both serve the good zones although others are broken');
  if (!up) {
    t.comment(`--- named:\n${named.log()}\n--- triad:\n${triad.output()}`);
    return;
  }
  // The zone lines come from the first worker just before it answers; the main process logs
  // `dns serving` after them, so once that line is read every zone line is too.
  await waitFor(() => /dns serving/.test(triad.output()), 10000, 100);
  for (const z of BROKEN) {
    t.match(named.log(), new RegExp(`zone ${z.replace('.', '\\.')}/IN: not loaded due to errors`), `named: ${z} not loaded`);
    t.match(triad.output(), new RegExp(`zone ${z.replace('.', '\\.')}/IN: not loaded due to errors`), `triad: ${z} not loaded`);
  }
  const out = triad.output();
  t.match(out, /cname\.db:\d+:\d+: error: [^"]*CNAME and other data/, 'the CNAME error has file:line:col');
  t.match(out, /names\.db:5:\d+: error: [^"]*bad owner name/, 'the check-names error has file:line:col');
  t.match(out, /syntax\.db:5:\d+: error: /, 'the syntax error has file:line:col');
  t.match(out, /triad-named\.conf:\d+:\d+: error: zone missing\.test\/IN: loading from master file [^"]*missing\.db failed: file not found/, 'the missing file points at named.conf');

  const compare = (label: string): void => {
    for (const q of QUERIES) {
      const args = q.split(' ');
      const b = parseDig(dig(HOST, bindPort, args));
      const o = parseDig(dig(HOST, triadPort, args));
      t.same(digDiff(b, o), [], `${label}: dig ${q} (${b.status || 'no answer'})`);
      const broken = BROKEN.some((z) => args[0] === z || args[0].endsWith(`.${z}`)) && !args[0].includes('sub.cname');
      if (broken) t.equal(o.status, 'SERVFAIL', `${label}: ${args[0]} is SERVFAIL`);
    }
  };
  compare('start');

  // Reload: good.test changes, later.test breaks, the broken ones stay broken.
  // (named reloads a zone only when its file is newer than the loaded data.)
  await sleep(1100);
  writeFileSync(path.join(dir, 'good.db'), zone(2, 'www IN A 192.0.2.11\nnew IN A 192.0.2.12\n'));
  writeFileSync(path.join(dir, 'later.db'), zone(2, 'www IN A 192.0.2.22\nwww IN CNAME ns\n'));
  named.child.kill('SIGHUP');
  triad.signal('SIGHUP');
  const reloaded = (port: number): boolean => /192\.0\.2\.12/.test(dig(HOST, port, ['+short', 'new.good.test']));
  t.ok(await waitFor(() => reloaded(bindPort), 20000, 200), 'named picked up the good change');
  t.ok(await waitFor(() => reloaded(triadPort), 20000, 200), 'triad picked up the good change');
  t.ok(await waitFor(() => /zone later\.test\/IN: not reloaded; still serving serial 1/.test(triad.output()), 10000), 'triad says later.test keeps serial 1');
  t.match(triad.output(), /later\.db:\d+:\d+: error: [^"]*CNAME and other data/, 'with the error at file:line:col');
  t.equal(dig(HOST, triadPort, ['+short', 'www.later.test']).trim(), '192.0.2.2', 'triad: later.test still serves its old data');
  t.equal(dig(HOST, bindPort, ['+short', 'www.later.test']).trim(), '192.0.2.2', 'named: the same');
  QUERIES.push('new.good.test', 'www.later.test +norec');
  compare('after reload');
  t.equal(triad.child.exitCode, null, 'triad is still running');
});

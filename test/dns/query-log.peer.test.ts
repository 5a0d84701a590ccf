// The query log side by side: BIND 9 (`named -f`, which writes its logging channels)
// and Triad (two DNS workers, so the lines travel to the main process) serve the same
// zone with the same `querylog` and `logging { channel … file … versions … size …;
// print-time; print-category; print-severity; category queries { … }; }`. The same dig
// session goes to both; their files must hold the same lines field by field (time,
// client object id and source port aside), and roll the same way. Then `triad ctl dns
// querylog` turns Triad's log off, toggles it back on, and answers --json.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN_TRIAD } from '../helpers/paths.js';
import { dig, startTriad, waitFor } from '../helpers/triad-run.js';
import { freePort, requireTools } from '../helpers/tools.js';
import { namedOptions } from '../helpers/bind-ref.js';

if (!requireTools(t, ['named', 'dig'])) process.exit(1);

const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-querylog-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
// named listens only on addresses an interface has: 127.0.0.1, on ports of this test's own.
const addr = '127.0.0.1';
const SECRET = 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0';
writeFileSync(path.join(dir, 'ex.zone'), '$TTL 300\n@ SOA ns admin 1 3600 600 86400 300\n@ NS ns\nns A 127.0.0.1\nwww A 10.0.0.1\n');

/** The shared part of both configurations: a key, the logging statement, the zone. */
function conf(who: string, port: number, bind: boolean): string {
  const d = path.join(dir, who);
  return `${namedOptions({ directory: dir, port, addr, bind, extra: ['querylog yes', 'notify no'] })}
key k1 { algorithm hmac-sha256; secret "${SECRET}"; };
logging {
  channel ql { file "${d}/query.log" versions 3 size 20k; print-time yes; print-category yes; print-severity yes; severity info; };
  channel small { file "${d}/small.log" versions 2 size 1k; };
  channel iso { file "${d}/iso.log"; print-time iso8601-utc; };
  category queries { ql; small; iso; };
};
zone "ex.test" { type primary; file "ex.zone"; allow-transfer { any; }; };
`;
}

// Every flag named prints: RD or not, EDNS, TCP, DO, CD, cookies (none, client only,
// a valid server cookie), a TSIG signer, CHAOS, AXFR, client subnet, case, names we do
// not serve; and what named leaves out (NOTIFY, a bad key, an EDNS version it refuses).
const SESSION = [
  'www.ex.test', '+norec www.ex.test MX', '+tcp www.ex.test', '+dnssec www.ex.test', '+cd www.ex.test',
  '+noedns www.ex.test', '+nocookie www.ex.test', '+edns=1 +noednsnegotiation www.ex.test', `-y hmac-sha256:k1:${SECRET} www.ex.test`,
  '-y hmac-sha256:k2:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0 www.ex.test', 'ex.test AXFR', '-c CH version.bind TXT',
  '+subnet=10.1.2.0/24 www.ex.test', 'WwW.Ex.TeSt', 'nope.other', 'www.ex.test TYPE65534', '+opcode=notify +norec ex.test SOA',
  '+header-only www.ex.test', '-x 10.0.0.1',
];

async function session(port: number): Promise<void> {
  for (const a of SESSION) dig(addr, port, a.split(' '));
  // A server cookie from this server, sent back: named logs V.
  const cookie = /COOKIE: ([0-9a-f]+)/.exec(dig(addr, port, ['www.ex.test']))?.[1];
  dig(addr, port, [`+cookie=${cookie ?? ''}`, 'www.ex.test']);
  // Enough queries for the small channel to roll twice.
  for (let i = 0; i < 30; i++) dig(addr, port, [`+nocookie`, `n${i}.ex.test`]);
}

const lines = (f: string): string[] => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);
/** Time and client id and source port out: what must be equal. */
const TIME_LOCAL = /^\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\.\d{3} /;
const TIME_ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;
const normal = (l: string, time: RegExp): string => l.replace(time, 'TIME ').replace(/client @0x[0-9a-f]+ /, 'client @ID ').replace(/#\d+([/ ])/, '#PORT$1');
const EXPECTED = SESSION.length - 4 + 1 + 2 + 30; // named logs neither the bad key, NOTIFY, header-only nor EDNS 1; one CH line is two questions

const bindPort = await freePort([addr]);
const triadPort = await freePort([addr]);
for (const who of ['bind', 'triad']) spawnSync('mkdir', ['-p', path.join(dir, who)]);
writeFileSync(path.join(dir, 'bind.conf'), conf('bind', bindPort, true));
writeFileSync(path.join(dir, 'triad.conf'), conf('triad', triadPort, false));

// `named -f` (not -g, which ignores the logging statement) writes to its channels; stopped by its PID.
const named = spawn('named', ['-f', '-n', '1', '-c', path.join(dir, 'bind.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
let namedErr = '';
named.stderr?.on('data', (d: Buffer) => (namedErr += d.toString()));
t.teardown(async () => {
  if (named.exitCode !== null || named.signalCode !== null) return;
  const gone = new Promise((r) => named.once('exit', r));
  named.kill('SIGTERM');
  const timer = setTimeout(() => named.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
});
const bindUp = await waitFor(() => /status: NOERROR/.test(dig(addr, bindPort, ['+nocookie', 'ex.test', 'SOA'])), 15000, 200);
const dataDir = path.join(dir, 'data');
const triad = startTriad(['--conf-dir', path.join(dir, 'conf'), '--data-dir', dataDir, '--named-conf', path.join(dir, 'triad.conf'), '--dns-workers', '2']);
t.teardown(() => triad.stop());
const triadUp = await waitFor(() => /dns serving/.test(triad.output()), 20000, 100);

function ctl(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN_TRIAD, 'ctl', ...args, '--data-dir', dataDir], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

t.test('the same dig session gives the same query-log lines', async (t) => {
  t.ok(bindUp, `named answers (${namedErr.slice(-400)})`);
  t.ok(triadUp, `triad serves (${triad.output().slice(-400)})`);
  if (!bindUp || !triadUp) return;
  // The probe above went to named's log too: start both files from the session.
  const skip = lines(path.join(dir, 'bind', 'query.log')).length;
  await session(bindPort);
  await session(triadPort);
  const file = (who: string, f: string) => path.join(dir, who, f);
  await waitFor(() => lines(file('triad', 'query.log')).length >= EXPECTED, 5000, 50);
  const bind = lines(file('bind', 'query.log')).slice(skip);
  const tri = lines(file('triad', 'query.log'));
  t.equal(bind.length, EXPECTED, 'named logged every query it answers');
  t.equal(tri.length, bind.length, 'triad logged as many');
  t.ok(tri.every((l) => TIME_LOCAL.test(l)), 'print-time yes: dd-Mon-yyyy hh:mm:ss.mmm');
  // Two workers hand their lines over in batches: compare as sorted lists.
  const b = bind.map((l) => normal(l, TIME_LOCAL)).sort();
  const r = tri.map((l) => normal(l, TIME_LOCAL)).sort();
  for (let i = 0; i < Math.max(b.length, r.length); i++) if (b[i] !== r[i]) t.equal(r[i], b[i], `line ${i}`);
  t.same(r, b, 'field by field');
  t.ok(r.some((l) => / \+E\(0\)V \(/.test(l)), 'a valid server cookie is V');
  t.ok(r.some((l) => /#PORT\/key k1 \(www\.ex\.test\): query: www\.ex\.test IN A \+SE\(0\)K /.test(l)), 'the TSIG signer');
  t.ok(r.some((l) => /\[ECS 10\.1\.2\.0\/24\/0\]$/.test(l)), 'client subnet');
  const iso = lines(file('triad', 'iso.log'));
  t.ok(iso.length >= EXPECTED && iso.every((l) => TIME_ISO_UTC.test(l) && !/queries: |info: /.test(l)), 'print-time iso8601-utc, no category or severity');
  // Rolled as named rolls it: with 1k and 2 versions, the current file and .0 and .1 only.
  const rolled = (who: string) => readdirSync(path.join(dir, who)).filter((f) => f.startsWith('small.log')).sort();
  t.same(rolled('triad'), rolled('bind'), 'the same files after rolling');
  t.same(rolled('triad'), ['small.log', 'small.log.0', 'small.log.1']);
  for (const f of rolled('triad')) {
    const size = readFileSync(file('triad', f)).length;
    if (f !== 'small.log') t.ok(size >= 1024 && size < 1024 + 200, `${f}: rolled once past 1k (${size} octets)`);
  }
});

t.test('triad ctl dns querylog: off, toggle, --json', async (t) => {
  if (!triadUp) return t.fail('triad did not start');
  const f = path.join(dir, 'triad', 'iso.log');
  const before = lines(f).length;
  const off = ctl('dns', 'querylog', 'off');
  t.equal(off.code, 0, off.err);
  t.equal(off.out, 'query logging is now off\n');
  t.match(ctl('dns', 'stats').out, /query logging: off/);
  dig(addr, triadPort, ['off.ex.test']);
  const on = ctl('dns', 'querylog', '--json');
  t.equal(on.code, 0, on.err);
  t.same(JSON.parse(on.out), { querylog: true }, 'no argument toggles it back on');
  dig(addr, triadPort, ['on.ex.test']);
  t.ok(await waitFor(() => lines(f).some((l) => / \(on\.ex\.test\): /.test(l)), 3000, 50), 'logged again when on');
  t.notOk(lines(f).slice(before).some((l) => /off\.ex\.test/.test(l)), 'nothing logged while off');
  const bad = ctl('dns', 'querylog', 'maybe');
  t.not(bad.code, 0);
  t.match(bad.err, /usage: triad ctl dns querylog \[on\|off\]/);
  t.match(triad.output(), /query logging is now off/, 'the switch is logged, as named logs it');
});

t.test('a reload sets the switch from named.conf when it says querylog', async (t) => {
  if (!triadUp) return t.fail('triad did not start');
  writeFileSync(path.join(dir, 'triad.conf'), conf('triad', triadPort, false).replace('querylog yes', 'querylog no'));
  const r = ctl('dns', 'reload');
  t.equal(r.code, 0, r.err);
  t.match(ctl('dns', 'stats').out, /query logging: off/, 'querylog no after the reload');
  const f = path.join(dir, 'triad', 'iso.log');
  const before = lines(f).length;
  t.match(dig(addr, triadPort, ['www.ex.test']), /status: NOERROR/, 'answered after the reload');
  // Lines leave a worker within 50 ms: wait well past that before saying none came.
  await new Promise((r) => setTimeout(r, 300));
  t.equal(lines(f).length, before, 'nothing logged');
});

t.test('a query answered just before the stop is still written', async (t) => {
  if (!triadUp) return t.fail('triad did not start');
  t.equal(ctl('dns', 'querylog', 'on').code, 0);
  dig(addr, triadPort, ['last.ex.test']);
  await triad.stop();
  t.ok(lines(path.join(dir, 'triad', 'iso.log')).some((l) => / \(last\.ex\.test\): /.test(l)), 'the worker handed its last lines over before it exited');
});

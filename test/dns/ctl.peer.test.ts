// `triad ctl reload|flush|dumpdb|stats|zonestatus` against a real `triad run`
// with two DNS workers (replies merged by the primary), over the local socket and
// over a named.conf `controls { inet … allow { … } keys { … }; }` channel that
// refuses other clients and requests not signed with the key.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN_TRIAD } from '../helpers/paths.js';
import { dig, startLab } from '../helpers/resolver-lab.js';
import { randomPort, startTriad, waitFor } from '../helpers/triad-run.js';

for (const tool of ['dig', 'curl']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    t.fail(`${tool} is not installed`);
    process.exit(1);
  }
}

const lab = await startLab();
t.teardown(() => lab.close());
const dir = path.join(lab.dir, 'ctl');
mkdirSync(path.join(dir, 'conf'), { recursive: true });
const addr = `${lab.net}.40`;
const port = randomPort();
const ctlAddr = `${lab.net}.41`;
const ctlPort = randomPort();
const keyFile = path.join(dir, 'ctl.key');
writeFileSync(keyFile, `key "ctl-key" {\n\talgorithm hmac-sha256;\n\tsecret "${Buffer.from('a secret for the control channel!').toString('base64')}";\n};\n`);
const wrongKeyFile = path.join(dir, 'wrong.key');
writeFileSync(wrongKeyFile, `key "ctl-key" { algorithm hmac-sha256; secret "${Buffer.from('not the secret of the channel....').toString('base64')}"; };\n`);
writeFileSync(path.join(dir, 'local.zone'), '$TTL 300\n@ SOA ns root 2024010101 1h 10m 1w 5m\n@ NS ns\nns A 127.0.0.1\nwww A 10.1.2.3\n');
writeFileSync(path.join(dir, 'named.conf'), `options {
    directory "${dir}";
    listen-on port ${port} { ${addr}; };
    listen-on-v6 { none; };
    recursion yes;
    allow-recursion { 127.0.0.0/8; };
    forwarders { ${lab.fwd.address} port ${lab.fwd.port}; };
    forward only;
};
key "ctl-key" { algorithm hmac-sha256; secret "${Buffer.from('a secret for the control channel!').toString('base64')}"; };
controls { inet ${ctlAddr} port ${ctlPort} allow { 127.0.0.1; } keys { "ctl-key"; }; };
zone "local.test" { type primary; file "local.zone"; };
`);
const dataDir = path.join(dir, 'data');
const triad = startTriad(['--conf-dir', path.join(dir, 'conf'), '--data-dir', dataDir, '--named-conf', path.join(dir, 'named.conf'), '--dns-workers', '2']);
t.teardown(() => triad.stop());
const up = await waitFor(() => /dns serving/.test(triad.output()), 20000, 100);
if (!up) t.fail(`triad did not start:\n${triad.output()}`);

function ctl(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN_TRIAD, 'ctl', ...args, '--data-dir', dataDir], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

t.test('stats, dumpdb, flush over the local socket', async (t) => {
  const r = await dig(addr, port, ['www.fwd.test', 'A']);
  t.equal(r.status, 'NOERROR');
  // Make sure both workers have seen queries (the kernel spreads them).
  for (let i = 0; i < 6; i++) await dig(addr, port, ['www.fwd.test', 'A']);
  const stats = ctl('stats', '--json');
  t.equal(stats.code, 0, stats.err);
  const data = JSON.parse(stats.out) as { queries: number; workers?: number; resolver: { cache: { hits: number; misses: number }; upstream: { spoofDrops: number; timeouts: number } } };
  t.ok(data.queries >= 7, `queries counted across workers (${data.queries})`);
  t.equal(data.workers, 2, 'merged from two workers');
  t.ok(data.resolver.cache.hits >= 1 && data.resolver.cache.misses >= 1, 'cache hits and misses');
  t.equal(data.resolver.upstream.spoofDrops, 0);
  t.match(ctl('stats').out, /spoofing drops: 0/);
  const ns = ctl('dns', 'stats', '--json');
  t.equal(ns.code, 0, ns.err);
  t.equal((JSON.parse(ns.out) as { workers?: number }).workers, 2, 'triad ctl dns stats: the same command under its service');
  const zs = ctl('dns', 'zonestatus', 'local.test');
  t.match(zs.out, /serial: 20240101/, 'triad ctl dns zonestatus');
  // rndc zonestatus's lines, in its order.
  t.match(zs.out, /^name: local\.test\ntype: primary\nfiles: local\.zone\nserial: 2024010101\nnodes: 3\nlast loaded: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\nsecure: no\ndynamic: no\n/, 'the lines rndc zonestatus prints');
  const zj = JSON.parse(ctl('dns', 'zonestatus', 'local.test', '--json').out) as { serial: number; dynamic: boolean; lastLoaded: string };
  t.equal(zj.serial, 2024010101);
  t.equal(zj.dynamic, false);
  t.match(zj.lastLoaded, /^\d{4}-\d\d-\d\dT/);
  const unknown = ctl('dns', 'frobnicate');
  t.not(unknown.code, 0);
  t.match(unknown.err, /unknown dns command 'frobnicate' \(have: stats, flush, reload, dumpdb, zonestatus, refresh, retransfer, notify, querylog\)/);
  const dump = ctl('dumpdb');
  t.equal(dump.code, 0);
  t.match(dump.out, /www\.fwd\.test\.\s+\d+\s+IN\s+A\s+198\.51\.100\.1/, 'cached record in the dump');
  const fl = ctl('flush', 'www.fwd.test');
  t.equal(fl.code, 0, fl.err);
  t.match(fl.out, /flushed [1-9]/);
  t.notMatch(ctl('dumpdb').out, /www\.fwd\.test/, 'gone after flush');
  t.match(ctl('flush').out, /flushed/);
});

t.test('zonestatus and reload', async (t) => {
  const z = ctl('zonestatus', 'local.test');
  t.equal(z.code, 0, z.err);
  t.match(z.out, /serial: 2024010101/);
  t.not(ctl('zonestatus', 'nope.test').code, 0, 'unknown zone is an error');
  writeFileSync(path.join(dir, 'local.zone'), '$TTL 300\n@ SOA ns root 2024010102 1h 10m 1w 5m\n@ NS ns\nns A 127.0.0.1\nwww A 10.1.2.4\n');
  const r = ctl('reload');
  t.equal(r.code, 0, r.err);
  t.match(r.out, /reload successful/);
  t.match(ctl('zonestatus', 'local.test').out, /serial: 2024010102/);
  // A zone file that breaks keeps the zone's old data, and zonestatus says so.
  const good = '$TTL 300\n@ SOA ns root 2024010102 1h 10m 1w 5m\n@ NS ns\nns A 127.0.0.1\nwww A 10.1.2.4\n';
  writeFileSync(path.join(dir, 'local.zone'), good.replace('2024010102', '2024010103') + 'www CNAME ns\n');
  t.equal(ctl('reload').code, 0, 'the reload goes through for the rest');
  const stale = ctl('zonestatus', 'local.test');
  t.equal(stale.code, 0, stale.err);
  t.match(stale.out, /serial: 2024010102/, 'the old serial is still served');
  t.match(stale.out, /did not load at the last reload/);
  writeFileSync(path.join(dir, 'local.zone'), good);
  t.equal(ctl('reload').code, 0);
  t.notMatch(ctl('zonestatus', 'local.test').out, /did not load/);
});

t.test('controls inet channel: signed requests from allowed clients work, others refused', async (t) => {
  const server = ['--server', `${ctlAddr}#${ctlPort}`, '--conf-dir', path.join(dir, 'conf')];
  const ok = spawnSync(process.execPath, [BIN_TRIAD, 'ctl', 'stats', ...server, '--key', keyFile], { encoding: 'utf8' });
  t.equal(ok.status, 0, ok.stderr);
  t.match(ok.stdout, /queries: \d+/);
  const colon = spawnSync(process.execPath, [BIN_TRIAD, 'ctl', 'stats', '--server', `${ctlAddr}:${ctlPort}`, '--key', keyFile], { encoding: 'utf8' });
  t.equal(colon.status, 0, `--server ADDR:PORT works too: ${colon.stderr}`);
  const wrong = spawnSync(process.execPath, [BIN_TRIAD, 'ctl', 'stats', ...server, '--key', wrongKeyFile], { encoding: 'utf8' });
  t.not(wrong.status, 0, 'a wrong key is refused');
  t.match(wrong.stderr, /request refused: bad signature/);
  const noKey = spawnSync(process.execPath, [BIN_TRIAD, 'ctl', 'stats', ...server], { encoding: 'utf8' });
  t.not(noKey.status, 0, 'no key file: ctl refuses to send unsigned');
  t.match(noKey.stderr, /rndc\.key: no key file .*must be signed/);
  const unsigned = spawnSync('curl', ['-s', '-w', ' %{http_code}', '-X', 'POST', '-d', '{"args":[]}', `http://${ctlAddr}:${ctlPort}/stats`], { encoding: 'utf8' });
  t.match(unsigned.stdout, /not signed.* 401$/, 'an unsigned request is refused by the channel');
  const refused = spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--interface', `${lab.net}.99`, '-X', 'POST', '-d', '{"args":[]}', `http://${ctlAddr}:${ctlPort}/stats`], { encoding: 'utf8' });
  t.equal(refused.stdout, '403', 'refused from an address outside allow');
  t.ok(await waitFor(() => /control request refused: bad signature/.test(triad.output()), 5000, 100), 'the refusal is logged with its reason');
});

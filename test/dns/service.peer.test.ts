// `bin/triad run` as a user runs it: the shipped conf/ and zones/ (copied, with a
// free loopback address and port), answered with the real dig; SIGHUP reloads
// zones and named.conf, a broken file keeps the old data, queries are answered
// throughout, SIGTERM exits 0 and frees the port.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_ZONES, REPO_ROOT } from '../helpers/paths.js';
import { dig, randomLoopback, randomPort, sleep, startTriad, waitFor } from '../helpers/triad-run.js';

const addr = randomLoopback();
const port = randomPort();
const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-svc-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
// Only named.conf: the other services' files in conf/ belong to their own tests.
mkdirSync(path.join(dir, 'conf'));
cpSync(path.join(REPO_ROOT, 'conf', 'named.conf'), path.join(dir, 'conf', 'named.conf'));
cpSync(DEMO_ZONES, path.join(dir, 'zones'), { recursive: true });
const confFile = path.join(dir, 'conf', 'named.conf');
const zoneFile = path.join(dir, 'zones', 'cafe.babe.zone');
const shippedConf = readFileSync(confFile, 'utf8');
const conf = shippedConf.replace(/port 5300/g, `port ${port}`).replace('listen-on port', 'listen-on port').replace('{ 127.0.0.1; }', `{ ${addr}; }`);
t.not(conf, shippedConf, 'the shipped named.conf was adapted to a free address and port');
writeFileSync(confFile, conf);
const originalZone = readFileSync(zoneFile, 'utf8');

const q = (...args: string[]): string => dig(addr, port, args);
const short = (...args: string[]): string => q('+short', ...args).trim();

/** A minimal A query for `name` with the given ID (RFC 1035 §4.1). */
function query(id: number, name: string): Buffer {
  const labels = name.split('.').filter(Boolean);
  const qname = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.of(l.length), Buffer.from(l)])), Buffer.of(0)]);
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(0x0000, 2);
  h.writeUInt16BE(1, 4);
  return Buffer.concat([h, qname, Buffer.of(0, 1, 0, 1)]);
}

/** Sends a query every few ms and counts answers; a query unanswered after 3 s is lost. */
function queryLoop(): { stop(): Promise<{ sent: number; answered: number; lost: number }> } {
  const sock = dgram.createSocket('udp4');
  const pending = new Map<number, number>();
  let id = 0;
  let sent = 0;
  let answered = 0;
  let lost = 0;
  sock.on('message', (m) => {
    if (m.length >= 12 && pending.delete(m.readUInt16BE(0))) answered++;
  });
  const timer = setInterval(() => {
    id = (id + 1) & 0xffff;
    pending.set(id, Date.now());
    sent++;
    sock.send(query(id, 'www.cafe.babe'), port, addr);
    const now = Date.now();
    for (const [k, at] of pending) if (now - at > 3000) {
      pending.delete(k);
      lost++;
    }
  }, 4);
  return {
    async stop() {
      clearInterval(timer);
      await sleep(3100);
      lost += pending.size;
      sock.close();
      return { sent, answered, lost };
    },
  };
}

t.test('triad run on the shipped configuration', async (t) => {
  const triad = startTriad(['--conf-dir', path.join(dir, 'conf')]);
  t.teardown(() => triad.stop());
  const up = await waitFor(() => short('www.cafe.babe') === '192.168.117.128', 20000, 300);
  t.ok(up, 'answers www.cafe.babe');
  if (!up) {
    t.comment(triad.output());
    return;
  }
  t.ok(await waitFor(() => /"workers":\d+/.test(triad.output()), 10000), 'runs DNS workers');
  t.match(triad.output(), /zone cafe\.babe\/IN: loaded serial 2026112201/);
  t.equal(triad.output().match(/zone cafe\.babe\/IN: loaded serial/g)?.length, 1, 'the start-up zone lines are logged once, not once per worker');
  t.ok(await waitFor(() => /dns: UDP answers batched \(recvmmsg\/sendmmsg\)/.test(triad.output()), 10000), 'the workers say UDP is read and answered in batches');

  // The README's walk-through.
  const soa = q('+norec', 'cafe.babe', 'SOA');
  t.match(soa, /status: NOERROR/);
  t.match(soa, /flags: qr aa;/, 'authoritative, no recursion available');
  t.equal(short('-x', '192.168.117.128'), 'www.cafe.babe.');
  t.equal(short('ns.cafe.babe', 'AAAA'), 'fd00:117::1');
  const nx = q('nope.cafe.babe');
  t.match(nx, /status: NXDOMAIN/);
  t.match(nx, /AUTHORITY SECTION:\ncafe\.babe\.\s+300\s+IN\s+SOA/);
  const nodata = q('www.cafe.babe', 'TXT');
  t.match(nodata, /status: NOERROR/);
  t.match(nodata, /ANSWER: 0, AUTHORITY: 1/);
  const ref = q('host.svc.cafe.babe', '+norec');
  t.match(ref, /AUTHORITY SECTION:\nsvc\.cafe\.babe\.\s+3600\s+IN\s+NS\s+ns1\.he\.net\./, 'the svc delegation');
  t.notMatch(ref, /flags: qr aa/, 'a referral is not authoritative');
  t.match(q('example.org'), /status: REFUSED/, 'names outside every zone are refused');
  t.match(q('+tcp', 'www.cafe.babe'), /192\.168\.117\.128/, 'TCP answers too');

  const loop = queryLoop();
  const reloads = (): number => (triad.output().match(/"msg":"reloaded"/g) ?? []).length;
  const failures = (): number => (triad.output().match(/reload failed/g) ?? []).length;

  // 1. A changed zone is picked up.
  writeFileSync(zoneFile, originalZone.replace('2026112201', '2026112202') + 'new IN A 192.168.117.77\n');
  triad.signal('SIGHUP');
  t.ok(await waitFor(() => reloads() >= 1, 15000), 'reloaded');
  t.equal(short('new.cafe.babe'), '192.168.117.77', 'the new record is served');
  t.match(q('cafe.babe', 'SOA'), /2026112202/, 'the new serial is served');

  // 2. A broken zone file: that zone keeps its old data (as named), the error names file:line:col.
  writeFileSync(zoneFile, originalZone.replace('2026112201', '2026112203') + 'broken IN A 192.168.117.300\n');
  triad.signal('SIGHUP');
  t.ok(await waitFor(() => reloads() >= 2, 15000), 'the reload went through for the other zones');
  t.match(triad.output(), /cafe\.babe\.zone:\d+:\d+: error/, 'the zone error has file:line:col');
  t.match(triad.output(), /zone cafe\.babe\/IN: not reloaded; still serving serial 2026112202/, 'the log says the old data stays');
  t.equal(short('new.cafe.babe'), '192.168.117.77', 'old data still served');
  t.match(q('cafe.babe', 'SOA'), /2026112202/);

  // 3. A broken named.conf: the whole reload fails, everything stays.
  writeFileSync(zoneFile, originalZone.replace('2026112201', '2026112204'));
  writeFileSync(confFile, conf.replace('recursion no;', 'recursion no;\n    frobnicate yes;'));
  triad.signal('SIGHUP');
  t.ok(await waitFor(() => failures() >= 1, 15000), 'the reload failed');
  t.match(triad.output(), /named\.conf:\d+:\d+: error: unknown option 'frobnicate'/, 'the named.conf error has file:line:col');
  t.equal(short('new.cafe.babe'), '192.168.117.77', 'old data still served');

  // 4. Fixed again: the zone without `new` is served.
  writeFileSync(confFile, conf);
  triad.signal('SIGHUP');
  t.ok(await waitFor(() => reloads() >= 3, 15000), 'reloaded after the fix');
  t.match(q('new.cafe.babe'), /status: NXDOMAIN/);
  t.match(q('cafe.babe', 'SOA'), /2026112204/);

  // Several quick reloads while queries flow.
  for (let i = 0; i < 5; i++) {
    triad.signal('SIGHUP');
    await sleep(300);
  }
  t.ok(await waitFor(() => reloads() >= 8, 20000), 'every reload finished');
  const r = await loop.stop();
  t.ok(r.sent > 200, `queries were sent during the reloads (${r.sent})`);
  t.equal(r.lost, 0, `no query lost during reloads (${r.answered}/${r.sent} answered)`);
  t.equal(r.answered, r.sent);

  // A worker killed outright is replaced; the other keeps answering meanwhile.
  const workers = (): number[] => {
    const r = spawnSync('pgrep', ['-P', String(triad.child.pid)], { encoding: 'utf8' });
    return r.stdout.split('\n').filter(Boolean).map(Number);
  };
  const before = workers();
  t.ok(before.length >= 1, `workers are child processes (${before.join(', ')})`);
  if (before.length > 0) {
    process.kill(before[0], 'SIGKILL');
    t.equal(short('www.cafe.babe'), '192.168.117.128', 'still answering with a worker down');
    t.ok(await waitFor(() => /dns worker died; restarting it/.test(triad.output()), 10000), 'the death is logged');
    t.ok(await waitFor(() => workers().length === before.length && !workers().includes(before[0]), 15000), 'a new worker replaced it');
    t.equal(short('www.cafe.babe'), '192.168.117.128');
  }

  // SIGTERM: exit 0 and the port is free again.
  const code = await triad.stop();
  t.equal(code, 0, 'SIGTERM exits 0');
  const udp = dgram.createSocket('udp4');
  await t.resolves(new Promise<void>((res, rej) => {
    udp.once('error', rej);
    udp.bind(port, addr, () => res());
  }), 'the UDP port is free');
  udp.close();
  const tcp = net.createServer();
  await t.resolves(new Promise<void>((res, rej) => {
    tcp.once('error', rej);
    tcp.listen(port, addr, () => res());
  }), 'the TCP port is free');
  tcp.close();
});

t.test('a broken named.conf at start: non-zero exit with file:line:col', async (t) => {
  const bad = path.join(dir, 'bad.conf');
  writeFileSync(bad, 'options {\n  recursion maybe;\n};\n');
  const triad = startTriad(['--conf-dir', dir, '--named-conf', bad]);
  t.teardown(() => triad.stop());
  const code = await Promise.race([triad.exited, sleep(15000).then(() => 'timeout')]);
  t.not(code, 0);
  t.not(code, 'timeout');
  t.match(triad.output(), /bad\.conf:2:13: error: boolean expected near 'maybe'/);
});

t.test('--dns-workers 0 serves in the main process', async (t) => {
  const p2 = randomPort();
  const c2 = path.join(dir, 'conf', 'single.conf');
  writeFileSync(c2, conf.replace(new RegExp(`port ${port}`, 'g'), `port ${p2}`).replace('pid-file none;', 'pid-file "run/triad.pid";'));
  const pidFile = path.join(dir, 'zones', 'run', 'triad.pid'); // relative to `directory`, as BIND
  // Also the fallback: Node's own UDP sockets, forced.
  const triad = startTriad(['--conf-dir', path.join(dir, 'conf'), '--named-conf', c2, '--dns-workers', '0'], { TRIAD_DNS_UDP: 'dgram' });
  t.teardown(() => triad.stop());
  const up = await waitFor(() => dig(addr, p2, ['+short', 'www.cafe.babe']).trim() === '192.168.117.128', 20000, 300);
  t.ok(up, 'answers');
  if (!up) t.comment(triad.output());
  t.ok(await waitFor(() => /dns serving in the main process/.test(triad.output()), 10000), 'serves in the main process');
  t.ok(await waitFor(() => /"reason":"TRIAD_DNS_UDP=dgram".*dns: UDP through Node's sockets/.test(triad.output()), 10000), 'the log says UDP goes through Node\'s sockets, and why');
  t.notMatch(triad.output(), /UDP answers batched/);
  t.ok(await waitFor(() => existsSync(pidFile), 5000), 'pid-file written');
  if (existsSync(pidFile)) t.equal(readFileSync(pidFile, 'utf8').trim(), String(triad.child.pid), 'it holds the PID');
  t.equal(await triad.stop(), 0);
  t.notOk(existsSync(pidFile), 'pid-file removed at stop');
});

t.test('the main process killed outright: its DNS workers exit and free the port', async (t) => {
  const p3 = randomPort();
  const c3 = path.join(dir, 'conf', 'orphan.conf');
  writeFileSync(c3, conf.replace(new RegExp(`port ${port}`, 'g'), `port ${p3}`));
  const triad = startTriad(['--conf-dir', path.join(dir, 'conf'), '--named-conf', c3, '--dns-workers', '2']);
  const alive = (pid: number): boolean => existsSync(`/proc/${pid}`);
  let pids: number[] = [];
  t.teardown(async () => {
    await triad.stop();
    // Workers this test started that are still there (the failure case) are stopped by PID.
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  const up = await waitFor(() => dig(addr, p3, ['+short', 'www.cafe.babe']).trim() === '192.168.117.128', 20000, 300);
  t.ok(up, 'answers');
  if (!up) return t.comment(triad.output());
  pids = spawnSync('pgrep', ['-P', String(triad.child.pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  t.equal(pids.length, 2, `two workers (${pids.join(', ')})`);
  triad.signal('SIGKILL');
  await triad.exited;
  t.ok(await waitFor(() => pids.every((p) => !alive(p)), 10000, 100), 'every worker exits once its main process is gone');
  const after = dig(addr, p3, ['+short', 'www.cafe.babe']);
  t.notMatch(after, /192\.168\.117\.128/, 'nothing answers on the port any more');
  t.match(after, /no servers could be reached|timed out/);
});

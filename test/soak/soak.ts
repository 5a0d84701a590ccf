// `npm run soak [-- --minutes N]`: a long mixed-load run of one Triad serving DNS (a
// static zone and a dynamic one), DHCP on a namespace bridge and an LB virtual server
// (NAT, two real servers), all at once, in throwaway namespaces:
//   dnsperf queries, perfdhcp with renewing clients, dhclient clients whose leases are
//   known, nsupdate changes (each acknowledged one recorded), wrk through the VIP and
//   garbage UDP to the DNS and DHCP ports; SIGHUP every 30 s (with a zone edit to pick
//   up); one `kill -9` and restart half way. RSS is sampled from /proc every 2 s.
// At the end: every DHCPACK Triad sent (captured on the wire) is in the lease file, every
// acknowledged update is in the zone, DNS, DHCP and the VIP answer, RSS growth reported.
// Writes soak-report/<time>/report.md and rss.png and exits non-zero when a check fails.
// Not a CI test: it runs for minutes and uses the machine.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NetnsLab, sh, sleep, which } from '../dhcp/netns-lab.js';
import { BIN_TRIAD, REPO_ROOT } from '../helpers/paths.js';
import { acksFromPcap, leasesFromFile } from './evidence.js';

const args = process.argv.slice(2);
const mi = args.indexOf('--minutes');
const MINUTES = mi >= 0 ? Number(args[mi + 1]) : 10;
if (!(MINUTES > 0)) {
  process.stderr.write('usage: npm run soak [-- --minutes N]   (N > 0, default 10)\n');
  process.exit(2);
}
const SOAK_MS = MINUTES * 60_000;
const HUP_EVERY_MS = 30_000;
const SERVER = '10.77.0.1';
const LOADER = '10.77.0.2';
const FUZZER = '10.77.0.3';
const VIP = '10.77.0.100';
const RS = ['10.78.0.3', '10.78.0.4'];
const FUZZ_JS = path.join(REPO_ROOT, 'dist', 'test', 'soak', 'fuzz-udp.js');
const RS_JS = path.join(REPO_ROOT, 'dist', 'test', 'lb', 'rs-server.js');
const STATIC_NAMES = 200;

interface Counter {
  runs: number;
  ok: number;
  failed: number;
  note: string;
}
const load: Record<string, Counter> = {};
const counter = (k: string): Counter => (load[k] ??= { runs: 0, ok: 0, failed: 0, note: '' });
const events: Array<{ t: number; what: string }> = [];
/** kb: the primary's VmRSS; total: with its DNS worker processes. */
const rss: Array<{ t: number; kb: number; total: number; procs: number; pid: number }> = [];
const checks: Array<{ check: string; ok: boolean; detail: string }> = [];
const check = (name: string, ok: boolean, detail: string): void => {
  checks.push({ check: name, ok, detail });
  process.stdout.write(`${ok ? 'PASS' : 'FAIL'} ${name}: ${detail}\n`);
};

const T0 = Date.now();
const secs = (): number => (Date.now() - T0) / 1000;
const say = (s: string): void => void process.stdout.write(`[${secs().toFixed(0).padStart(4)} s] ${s}\n`);

/** Runs a command to the end; stdout+stderr and the exit code (never throws). */
function run(cmd: string, argv: string[], timeoutMs = 120_000, input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, argv, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    if (input !== undefined) p.stdin?.end(input);
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
    p.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, out: String(e) });
    });
  });
}
const inNs = (ns: string, argv: string[], timeoutMs?: number, input?: string) => run('ip', ['netns', 'exec', ns, ...argv], timeoutMs, input);

function staticZone(serial: number, hup: number): string {
  const lines = ['$TTL 300', `@ SOA ns.soak.test. hostmaster.soak.test. ${serial} 3600 600 86400 300`, '@ NS ns', `ns A ${SERVER}`];
  for (let i = 0; i < STATIC_NAMES; i++) lines.push(`h${i} A 10.200.${i >> 8}.${i & 255}`);
  if (hup > 0) lines.push(`hup${hup} TXT "reload ${hup}"`);
  return lines.join('\n') + '\n';
}

/** Child processes of a pid (Triad's DNS workers), from /proc. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function vmRssKb(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) throw new Error('the soak test needs root (namespaces)');
  const tools = ['ip', 'dig', 'nsupdate', 'dnsperf', 'perfdhcp', 'wrk', 'dhclient', 'curl', 'tcpdump', 'gnuplot'];
  const missing: string[] = [];
  for (const t of tools) if (!(await which(t))) missing.push(t);
  if (missing.length) throw new Error(`missing tools: ${missing.join(', ')} (test/install-deps.sh installs them)`);

  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const reportDir = path.join(REPO_ROOT, 'soak-report', stamp);
  mkdirSync(reportDir, { recursive: true });
  const lab = new NetnsLab('tsk');
  let stopping = false;
  process.on('SIGINT', () => {
    if (stopping) return;
    stopping = true;
    void lab.cleanup().then(() => process.exit(130));
  });
  try {
    // Namespaces: S (Triad; bridge br0 10.77.0.1/16; rs0 to the real servers), L (load
    // generators on the bridge), F (fuzzer on the bridge), dhclient clients on the bridge,
    // R (both real servers, 10.78.0.3 and .4, default route back through S).
    await lab.setupServer(`${SERVER}/16`);
    const S = lab.serverNs;
    const L = await lab.addClient('ld');
    await sh(`ip -n ${L} addr add ${LOADER}/16 dev eth0`);
    const F = await lab.addClient('fz');
    await sh(`ip -n ${F} addr add ${FUZZER}/16 dev eth0`);
    const R = lab.name('rs');
    await lab.addNs(R);
    await lab.link(S, 'rs0', '10.78.0.1/24', R, 'eth0', `${RS[0]}/24`);
    await sh(`ip -n ${R} addr add ${RS[1]}/24 dev eth0 && ip -n ${R} route add default via 10.78.0.1`);
    const rsProcs = RS.map((a, i) => lab.spawnIn(R, process.execPath, [RS_JS, `rs${i}`, a, '8080']));

    const confDir = lab.file('conf');
    const dataDir = lab.file('data');
    const zoneDir = lab.file('zones');
    for (const d of [confDir, dataDir, zoneDir]) mkdirSync(d, { recursive: true });
    const leaseSeconds = Math.max(3600, Math.ceil(SOAK_MS / 1000) * 2);
    writeFileSync(
      path.join(confDir, 'named.conf'),
      `options {\n  directory "${zoneDir}";\n  listen-on port 53 { ${SERVER}; };\n  listen-on-v6 { none; };\n  recursion no;\n  allow-transfer { any; };\n  notify no;\n  pid-file none;\n};\n` +
        `zone "soak.test" { type primary; file "soak.test.zone"; };\n` +
        `zone "dyn.test" { type primary; file "dyn.test.zone"; allow-update { 10.77.0.0/16; }; };\n`,
    );
    let serial = 1;
    let hups = 0;
    writeFileSync(path.join(zoneDir, 'soak.test.zone'), staticZone(serial, 0));
    writeFileSync(path.join(zoneDir, 'dyn.test.zone'), `$TTL 300\n@ SOA ns.dyn.test. hostmaster.dyn.test. 1 3600 600 86400 300\n@ NS ns\nns A ${SERVER}\n`);
    const dhcpdConf = path.join(confDir, 'dhcpd.conf');
    writeFileSync(dhcpdConf, `authoritative;\ndefault-lease-time ${leaseSeconds};\nmax-lease-time ${leaseSeconds};\nsubnet 10.77.0.0 netmask 255.255.0.0 {\n  range 10.77.1.1 10.77.40.254;\n  option routers ${SERVER};\n}\n`);
    const lbConf = path.join(confDir, 'keepalived.conf');
    writeFileSync(lbConf, `virtual_server ${VIP} 80 {\n  delay_loop 2\n  lb_algo rr\n  lb_kind NAT\n${RS.map((a) => `  real_server ${a} 8080 {\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n`).join('')}}\n`);
    const leases = path.join(dataDir, 'dhcpd.leases');
    const logFile = path.join(reportDir, 'triad.log');

    // Every DHCP reply Triad puts on the bridge, to know which addresses it acknowledged.
    const pcap = path.join(lab.dir, 'replies.pcap');
    const td = lab.spawnIn(S, 'tcpdump', ['-i', 'br0', '-n', '-U', '-Z', 'root', '-s', '600', '-w', pcap, 'udp src port 67']);
    for (let i = 0; i < 50 && !/listening on/.test(td.output()); i++) await sleep(100);

    let triad: ChildProcess;
    const startTriad = async (): Promise<ChildProcess> => {
      const fd = openSync(logFile, 'a');
      const c = spawn('ip', ['netns', 'exec', S, process.execPath, BIN_TRIAD, 'run', '--conf-dir', confDir, '--data-dir', dataDir, '--dhcpd-conf', dhcpdConf, '--lb-conf', lbConf, '--leases', leases, '--interfaces', 'br0', '--log-level', 'info'], { stdio: ['ignore', fd, fd] });
      closeSync(fd);
      lab.procs.push(c);
      const t = Date.now();
      // Serving: DNS answers and the VIP reaches a real server.
      for (;;) {
        if (c.exitCode !== null) throw new Error(`triad exited while starting; see ${logFile}`);
        if (Date.now() - t > 60_000) throw new Error(`triad did not serve within 60 s; see ${logFile}`);
        const d = await inNs(L, ['dig', `@${SERVER}`, '+time=1', '+tries=1', '+short', 'h1.soak.test', 'A'], 5000);
        const w = await inNs(L, ['curl', '-s', '-m', '2', `http://${VIP}/`], 5000);
        if (/^10\.200\./m.test(d.out) && /^rs\d/.test(w.out)) break;
        await sleep(300);
      }
      events.push({ t: secs(), what: `serving (pid ${c.pid}) after ${((Date.now() - t) / 1000).toFixed(1)} s` });
      say(`triad serving, pid ${c.pid}`);
      return c;
    };
    triad = await startTriad();
    await lab.linkServed('br0');

    const until = Date.now() + SOAK_MS;
    const live = (): boolean => Date.now() < until;
    const loops: Array<Promise<void>> = [];

    // RSS every 2 s (the pid of `ip netns exec` is node's own: ip execs it).
    loops.push(
      (async () => {
        while (live()) {
          const pid = triad.pid ?? 0;
          const kb = vmRssKb(pid);
          const kids = childrenOf(pid);
          // 0 between the kill and the restart
          if (kb > 0) rss.push({ t: secs(), kb, total: kids.reduce((a, k) => a + vmRssKb(k), kb), procs: 1 + kids.length, pid });
          await sleep(2000);
        }
      })(),
    );

    // dnsperf, rate-capped (the machine is shared): 30 s runs.
    const qfile = lab.file('queries.txt', Array.from({ length: 5000 }, (_, i) => (i % 20 === 0 ? `nx${i}.soak.test A` : i % 7 === 0 ? `u${i % 50}.dyn.test A` : `h${i % STATIC_NAMES}.soak.test A`)).join('\n') + '\n');
    loops.push(
      (async () => {
        const c = counter('dnsperf (queries)');
        while (live()) {
          const secsLeft = Math.max(1, Math.min(30, Math.floor((until - Date.now()) / 1000)));
          const r = await inNs(L, ['dnsperf', '-s', SERVER, '-d', qfile, '-l', String(secsLeft), '-Q', '300', '-c', '2', '-t', '2'], (secsLeft + 30) * 1000);
          c.runs++;
          c.ok += Number(/Queries completed:\s+(\d+)/.exec(r.out)?.[1] ?? 0);
          c.failed += Number(/Queries lost:\s+(\d+)/.exec(r.out)?.[1] ?? 0);
        }
        c.note = 'lost = no answer within 2 s (includes the kill -9 gap)';
      })(),
    );

    // perfdhcp as a relay: 2000 clients, new ones at 20/s, renewals at 10/s; 30 s runs.
    loops.push(
      (async () => {
        const c = counter('perfdhcp (4-way exchanges)');
        let renews = 0;
        while (live()) {
          const secsLeft = Math.max(2, Math.min(30, Math.floor((until - Date.now()) / 1000)));
          const r = await inNs(L, ['perfdhcp', '-4', '-l', 'eth0', '-r', '20', '-R', '2000', '-f', '10', '-p', String(secsLeft), SERVER], (secsLeft + 30) * 1000);
          c.runs++;
          // The first "sent packets/received packets" pair is DO, the next RA, then the renewals.
          const sent = [...r.out.matchAll(/sent packets: (\d+)/g)].map((m) => Number(m[1]));
          const recv = [...r.out.matchAll(/received packets: (\d+)/g)].map((m) => Number(m[1]));
          c.ok += recv[1] ?? 0;
          c.failed += Math.max(0, (sent[1] ?? 0) - (recv[1] ?? 0));
          renews += recv[2] ?? 0;
        }
        c.note = `ok = ACKs to REQUESTs after an offer; ${renews} renewals ACKed`;
      })(),
    );

    // nsupdate from the load namespace: adds, and every fifth change deletes an earlier name.
    const added = new Map<string, string>();
    const deleted = new Set<string>();
    loops.push(
      (async () => {
        const c = counter('nsupdate (changes)');
        let n = 0;
        while (live()) {
          n++;
          let cmd: string;
          let apply: () => void;
          const victims = [...added.keys()];
          if (n % 5 === 0 && victims.length) {
            const v = victims[Math.floor(Math.random() * victims.length)];
            cmd = `update delete ${v}.dyn.test. A`;
            apply = () => {
              added.delete(v);
              deleted.add(v);
            };
          } else {
            const name = `u${n}`;
            const addr = `10.99.${(n >> 8) & 255}.${n & 255}`;
            cmd = `update add ${name}.dyn.test. 300 A ${addr}`;
            apply = () => {
              added.set(name, addr);
              deleted.delete(name);
            };
          }
          const r = await inNs(L, ['nsupdate', '-t', '3', '-v'], 15_000, `server ${SERVER} 53\nzone dyn.test\n${cmd}\nsend\n`);
          c.runs++;
          if (r.code === 0) {
            c.ok++;
            apply();
          } else c.failed++;
          await sleep(500);
        }
        c.note = 'failed = no NOERROR (not counted as a change)';
      })(),
    );

    // wrk through the VIP: 10 s bursts with 5 s pauses.
    loops.push(
      (async () => {
        const c = counter('wrk via VIP (requests)');
        while (live()) {
          const d = Math.max(1, Math.min(10, Math.floor((until - Date.now()) / 1000)));
          const r = await inNs(L, ['wrk', '-t', '1', '-c', '4', '-d', `${d}s`, `http://${VIP}/`], (d + 30) * 1000);
          c.runs++;
          c.ok += Number(/(\d+) requests in/.exec(r.out)?.[1] ?? 0);
          const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r.out);
          c.failed += (se ? se.slice(1).reduce((a, x) => a + Number(x), 0) : 0) + Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.out)?.[1] ?? 0);
          await sleep(5000);
        }
        c.note = 'failed = socket errors + non-2xx';
      })(),
    );

    // Garbage UDP to 53 and 67 at 200 packets/s, 30 s runs.
    loops.push(
      (async () => {
        const c = counter('fuzz UDP (packets)');
        let seed = 1;
        while (live()) {
          const d = Math.max(1, Math.min(30, Math.floor((until - Date.now()) / 1000)));
          const r = await inNs(F, [process.execPath, FUZZ_JS, SERVER, '53', String(d), '200', String(seed++)], (d + 30) * 1000);
          c.runs++;
          c.ok += Number(/sent (\d+)/.exec(r.out)?.[1] ?? 0);
          if (r.code !== 0) c.failed++;
        }
        c.note = 'random bytes and mutated DHCP to the DNS and DHCP ports';
      })(),
    );

    // dhclient clients whose leases are known: four now, two more after the restart.
    const clients: string[] = [];
    const addDhclient = async (k: number): Promise<void> => {
      const ns = await lab.addClient(`dc${k}`);
      const out = lab.file(`dc${k}.events`);
      const script = lab.dhclientScript(out);
      const r = await inNs(ns, ['dhclient', '-4', '-1', '-sf', script, '-lf', lab.file(`dc${k}.leases`), '-pf', lab.file(`dc${k}.pid`), 'eth0'], 60_000);
      const c = counter('dhclient (clients bound)');
      c.runs++;
      if (r.code === 0) c.ok++;
      else c.failed++;
      clients.push(ns);
    };
    for (let k = 0; k < 4; k++) await addDhclient(k);

    // SIGHUP every 30 s, each after an edit of the static zone; kill -9 and restart half way,
    // between two reloads (the reloads are timed around it: 15 s before, 15 s after, …).
    const killAt = until - SOAK_MS / 2;
    let nextHup = killAt - 15_000;
    while (nextHup <= Date.now()) nextHup += HUP_EVERY_MS;
    let killed = false;
    let restartSeconds = 0;
    let killMs = 0;
    let orphans: number[] = [];
    while (live()) {
      while (live() && Date.now() < nextHup) {
        if (!killed && Date.now() >= killAt) {
          killed = true;
          const pid = triad.pid;
          say(`kill -9 ${pid}`);
          events.push({ t: secs(), what: `kill -9 (pid ${pid})` });
          const t = Date.now();
          killMs = t;
          const workers = pid ? childrenOf(pid) : [];
          triad.kill('SIGKILL');
          await new Promise((r) => (triad.exitCode !== null || triad.signalCode !== null ? r(null) : triad.once('exit', r)));
          // Its DNS workers must not outlive it (they would answer from the old zones).
          for (let i = 0; i < 50 && workers.some((w) => existsSync(`/proc/${w}`)); i++) await sleep(100);
          orphans = workers.filter((w) => existsSync(`/proc/${w}`));
          check('workers end with the killed primary', orphans.length === 0, `${workers.length} worker processes, ${orphans.length} still running 5 s after the kill -9`);
          triad = await startTriad();
          restartSeconds = (Date.now() - t) / 1000;
          await addDhclient(4);
          await addDhclient(5);
        }
        await sleep(500);
      }
      if (!live()) break;
      nextHup += HUP_EVERY_MS;
      hups++;
      serial++;
      writeFileSync(path.join(zoneDir, 'soak.test.zone'), staticZone(serial, hups));
      say(`SIGHUP ${hups}`);
      events.push({ t: secs(), what: `SIGHUP ${hups}` });
      triad.kill('SIGHUP');
    }
    say('load finished; waiting for the drivers');
    await Promise.all(loops);
    await sleep(2000);

    // ---- checks ----
    const alive = triad.exitCode === null && triad.signalCode === null;
    check('Triad still running', alive, alive ? `pid ${triad.pid}` : `exited ${triad.exitCode ?? triad.signalCode}`);
    check('kill -9 and restart done', killed, killed ? `serving again ${restartSeconds.toFixed(1)} s after the kill` : 'the run was too short to reach the middle');

    // Leases: every address Triad ACKed (on the wire) is in the lease file, active, for that client.
    td.kill('SIGINT');
    await new Promise((r) => (td.exitCode !== null ? r(null) : td.once('exit', r)));
    const acks = acksFromPcap(existsSync(pcap) ? readFileSync(pcap) : Buffer.alloc(0));
    const file = leasesFromFile(existsSync(leases) ? readFileSync(leases, 'utf8') : '');
    const lost: string[] = [];
    const beforeKill = [...acks.values()].filter((a) => a.ms < killMs).length;
    for (const [ip, { mac }] of acks) {
      const l = file.get(ip);
      if (!l || l.state !== 'active' || l.mac !== mac) lost.push(`${ip} (${mac}): ${l ? `${l.state} ${l.mac}` : 'absent'}`);
    }
    check('no ACKed lease lost', acks.size > 0 && lost.length === 0, `${acks.size} addresses ACKed on the wire (${beforeKill} before the kill -9), ${lost.length} not active for their client in the lease file${lost.length ? ': ' + lost.slice(0, 5).join('; ') : ''}`);
    const dcBound = clients.map((ns, k) => /BOUND ip=(\S+)/.exec(lab.read(`dc${k}.events`))?.[1]).filter((x): x is string => !!x);
    const dcMissing = dcBound.filter((ip) => file.get(ip)?.state !== 'active');
    check('dhclient leases kept', dcBound.length === clients.length && dcMissing.length === 0, `${dcBound.length}/${clients.length} clients bound, ${dcMissing.length} of their addresses not active in the lease file`);

    // Zone changes: an AXFR of dyn.test holds every acknowledged add and none of the deleted names.
    const ax = await inNs(L, ['dig', `@${SERVER}`, '+time=5', '+tries=2', '+nocmd', '+nostats', 'dyn.test', 'AXFR'], 30_000);
    const have = new Map<string, string>();
    for (const m of ax.out.matchAll(/^(u\d+)\.dyn\.test\.\s+\d+\s+IN\s+A\s+(\S+)$/gm)) have.set(m[1], m[2]);
    const missingUpd = [...added].filter(([n, a]) => have.get(n) !== a).map(([n]) => n);
    const resurrected = [...deleted].filter((n) => have.has(n));
    check('no zone change lost', added.size > 0 && missingUpd.length === 0 && resurrected.length === 0, `${added.size} acknowledged adds present: ${added.size - missingUpd.length}; ${deleted.size} acknowledged deletes, ${resurrected.length} back${missingUpd.length ? '; missing ' + missingUpd.slice(0, 5).join(', ') : ''}`);
    const hupName = hups > 0 ? `hup${hups}.soak.test` : 'h1.soak.test';
    const d = await inNs(L, ['dig', `@${SERVER}`, '+time=2', '+tries=2', '+short', hupName, hups > 0 ? 'TXT' : 'A'], 10_000);
    check('DNS answers (and the last reload took its zone edit)', d.out.trim() !== '' && !/timed out|error/i.test(d.out), `${hupName}: ${d.out.trim().split('\n')[0] || 'no answer'}`);

    // A fresh DHCP client, and curl through the VIP.
    const fresh = await lab.addClient('dcz');
    const out = lab.file('dcz.events');
    const fr = await inNs(fresh, ['dhclient', '-4', '-1', '-sf', lab.dhclientScript(out), '-lf', lab.file('dcz.leases'), '-pf', lab.file('dcz.pid'), 'eth0'], 60_000);
    const freshIp = /BOUND ip=(\S+)/.exec(lab.read('dcz.events'))?.[1];
    check('DHCP answers a new client', fr.code === 0 && !!freshIp, freshIp ? `bound ${freshIp}` : `dhclient: ${fr.out.trim().split('\n').slice(-2).join(' ')}`);
    const cu = await inNs(L, ['curl', '-s', '-m', '3', `http://${VIP}/`], 10_000);
    check('LB answers through the VIP', /^rs\d /.test(cu.out), cu.out.trim() || 'no answer');
    // The control channel: every service running, and the garbage counted as malformed, not answered.
    const ctl = (...a: string[]) => run(process.execPath, [BIN_TRIAD, 'ctl', ...a, '--data-dir', dataDir], 20_000);
    const status = await ctl('status');
    const notRunning = ['dns', 'dhcp', 'lb'].filter((svc) => !new RegExp(`^\\s*${svc}\\s+running\\b`, 'm').test(status.out));
    check('ctl status: dns, dhcp, lb running', status.code === 0 && notRunning.length === 0, notRunning.length ? `not running: ${notRunning.join(', ')}; ${status.out.trim().replace(/\n/g, '; ')}` : 'dns, dhcp and lb running');
    const dstats = await ctl('dhcp', 'stats');
    const malformed = Number(/malformed\D{0,20}(\d+)/i.exec(dstats.out)?.[1] ?? NaN);
    check('fuzzed DHCP packets dropped and counted (since the restart)', malformed > 0, `ctl dhcp stats: malformed ${Number.isNaN(malformed) ? 'not found in: ' + dstats.out.trim().slice(0, 200) : malformed}`);
    check('real servers still up', rsProcs.every((p) => p.exitCode === null), 'both rs-server processes running');

    // RSS: growth of the process that ran after the restart (its first sample after 20 s of load to its last) and overall.
    const byPid = new Map<number, Array<{ t: number; kb: number; total: number; procs: number }>>();
    for (const s of rss) (byPid.get(s.pid) ?? byPid.set(s.pid, []).get(s.pid)!).push(s);
    const rssRows: string[] = [];
    let worst = 0;
    for (const [pid, xs] of byPid) {
      const base = xs.find((x) => x.t >= xs[0].t + 20) ?? xs[0];
      const last = xs[xs.length - 1];
      const max = Math.max(...xs.map((x) => x.total));
      const growth = (last.total - base.total) / base.total;
      const mib = (kb: number): string => (kb / 1024).toFixed(1);
      worst = Math.max(worst, growth);
      rssRows.push(`| ${pid} (+${last.procs - 1} workers) | ${xs[0].t.toFixed(0)}–${last.t.toFixed(0)} s | ${mib(base.total)} (${mib(base.kb)}) | ${mib(max)} | ${mib(last.total)} (${mib(last.kb)}) | ${(growth * 100).toFixed(1)} % |`);
    }
    // Bounded: a leak over a 10-minute run shows as the RSS doubling; a heap settling does not.
    check('RSS growth bounded (< 100 % after warm-up)', rss.length > 0 && worst < 1, `worst ${(worst * 100).toFixed(1)} % over ${rss.length} samples`);

    const logLines = readFileSync(logFile, 'utf8').split('\n');
    const crashes = logLines.filter((l) => /request handling failed|uncaught|unhandled|"level":60/i.test(l));
    check('no handler failure or fatal error logged', crashes.length === 0, crashes.length ? crashes[0].slice(0, 200) : 'none in the log');
    // Warnings and errors, by message, for the report (not a check: fuzz traffic earns some).
    const byMsg = new Map<string, number>();
    for (const l of logLines) {
      const m = /"level":(40|50).*"msg":"([^"]*)"/.exec(l);
      if (m) byMsg.set(`${m[1] === '40' ? 'warn' : 'error'}: ${m[2]}`, (byMsg.get(`${m[1] === '40' ? 'warn' : 'error'}: ${m[2]}`) ?? 0) + 1);
    }

    // ---- report ----
    const dat = path.join(reportDir, 'rss.dat');
    // A blank line between processes: gnuplot does not join the killed one to its successor.
    writeFileSync(dat, rss.map((s, i) => `${i > 0 && rss[i - 1].pid !== s.pid ? '\n' : ''}${s.t.toFixed(1)} ${(s.kb / 1024).toFixed(2)} ${(s.total / 1024).toFixed(2)}`).join('\n') + '\n');
    const png = path.join(reportDir, 'rss.png');
    const marks = events.filter((e) => /kill|SIGHUP/.test(e.what)).map((e, i) => `set arrow ${i + 1} from ${e.t.toFixed(1)}, graph 0 to ${e.t.toFixed(1)}, graph 1 nohead lc rgb '${/kill/.test(e.what) ? 'red' : 'gray'}' dt 2`).join('\n');
    writeFileSync(path.join(reportDir, 'rss.gp'), `set terminal png size 900,400\nset output '${png}'\nset title 'Triad RSS during the soak (gray: SIGHUP, red: kill -9)'\nset xlabel 'seconds'\nset ylabel 'RSS (MiB)'\nset yrange [0:*]\nset grid\n${marks}\nplot '${dat}' using 1:3 with linespoints pt 7 ps 0.4 title 'primary + DNS workers', '' using 1:2 with linespoints pt 7 ps 0.4 title 'primary'\n`);
    const gp = spawnSync('gnuplot', [path.join(reportDir, 'rss.gp')], { encoding: 'utf8' });
    if (gp.status !== 0) check('plot written', false, gp.stderr.trim());

    const failed = checks.filter((c) => !c.ok);
    const md = [
      `# Triad soak: ${MINUTES} minute${MINUTES === 1 ? '' : 's'}, ${new Date().toISOString().slice(0, 19)}Z`,
      '',
      `Result: **${failed.length ? `${failed.length} check${failed.length > 1 ? 's' : ''} failed` : 'all checks passed'}**. ${hups} SIGHUP reloads, one kill -9 and restart; log: triad.log`,
      '',
      '| check | result | detail |',
      '|---|---|---|',
      ...checks.map((c) => `| ${c.check} | ${c.ok ? 'pass' : '**FAIL**'} | ${c.detail.replace(/\|/g, '\\|')} |`),
      '',
      '| load | runs | ok | failed | note |',
      '|---|---|---|---|---|',
      ...Object.entries(load).map(([k, c]) => `| ${k} | ${c.runs} | ${c.ok} | ${c.failed} | ${c.note} |`),
      '',
      '| Triad pid | sampled | RSS after warm-up, MiB (primary) | max, MiB | last, MiB (primary) | growth |',
      '|---|---|---|---|---|---|',
      ...rssRows,
      '',
      'RSS: VmRSS of the primary and its DNS worker processes, summed, sampled every 2 s; growth from the first sample 20 s after start to the last.',
      '',
      '| Triad log: warnings and errors | count |',
      '|---|---|',
      ...[...byMsg].sort((a, b) => b[1] - a[1]).map(([k, n]) => `| ${k.replace(/\|/g, '\\|')} | ${n} |`),
      '',
      '![RSS](rss.png)',
      '',
    ].join('\n');
    writeFileSync(path.join(reportDir, 'report.md'), md);
    process.stdout.write(`\n${md}\nreport: ${path.join(reportDir, 'report.md')}\nplot:   ${png}\n`);
    return failed.length ? 1 : 0;
  } finally {
    await lab.cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`soak failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);

// The stock BIND configurations of Debian 12 and RHEL/CentOS (test/fixtures/distro)
// start Triad as they are, and Triad answers them as named does. Each server runs
// in its own network and mount namespace (unshare), so both listen where the
// stock files say (port 53, every interface or 127.0.0.1/::1) without meeting
// each other or a BIND the machine runs, nothing they send can leave the machine
// (the namespace has only a loopback: named's root priming fails with "network
// unreachable"), and a private /run keeps BIND's default pid and session-key files
// away from the machine's. The files are staged with their absolute paths moved
// under a temporary root (test/helpers/distro.ts); nothing else is changed.
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN_TRIAD } from '../helpers/paths.js';
import { stageDistro } from '../helpers/distro.js';
import { digDiff, parseDig } from '../helpers/dig-compare.js';
import { waitFor } from '../helpers/triad-run.js';

interface Server {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Runs `argv` in fresh network and mount namespaces with only `lo` (up) and a private /run. */
function isolated(argv: string[]): Server {
  const script = 'ip link set lo up && mount -t tmpfs tmpfs /run && mkdir -p /run/named && exec "$@"';
  const child = spawn('unshare', ['--net', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** dig inside the server's network namespace (its PID is the server itself: unshare and sh exec). */
function digIn(server: Server, args: string[]): string {
  const r = spawnSync('nsenter', ['-t', String(server.child.pid), '-n', 'dig', '+tries=1', '+time=2', ...args], { encoding: 'utf8', timeout: 10000 });
  return (r.stdout ?? '') + (r.stderr ?? '');
}

// Names in the zones the files configure, and names under BIND's built-in empty
// zones (RFC 6303 and later), which both add because recursion is on.
const EMPTY = ['-x 10.1.2.3', '10.in-addr.arpa SOA +norec', '-x 172.16.0.1 +norec', '-x 100.64.0.1', '-x 169.254.1.1',
  '-x 192.0.2.1', '-x 255.255.255.255', '-x fd00::1', '-x fe80::1 +norec', '-x 2001:db8::1', 'HOME.ARPA NS', 'home.arpa SOA +norec',
  'x.home.arpa', 'RESOLVER.ARPA SOA', 'empty.as112.arpa NS +norec'];
const RFC1918 = ['10.in-addr.arpa SOA', '-x 10.1.2.3', '-x 192.168.117.128 +norec', '16.172.in-addr.arpa NS +norec', '-x 172.31.0.1',
  '168.192.in-addr.arpa SOA +norec'];
const CASES: Record<'debian' | 'rhel', string[]> = {
  debian: [
    'localhost', 'localhost +norec', 'localhost AAAA', 'localhost NS', 'localhost NS +norec', 'localhost SOA +norec',
    'localhost MX', 'nope.localhost', 'nope.localhost +norec', 'localhost ANY +tcp',
    '-x 127.0.0.1', '-x 127.0.0.1 +norec', '127.in-addr.arpa SOA', '127.in-addr.arpa NS +norec', '-x 127.0.0.2',
    '0.in-addr.arpa SOA', '0.in-addr.arpa NS +norec', '-x 0.0.0.0', '0.in-addr.arpa A',
    '255.in-addr.arpa SOA +norec', '-x 255.0.0.1', '-x 192.168.1.1', ...EMPTY, '@::1 localhost AAAA', '@::1 -x 127.0.0.1 +norec',
  ],
  rhel: [
    'localhost', 'localhost +norec', 'localhost AAAA', 'localhost NS +norec', 'localhost SOA', 'nope.localhost',
    'localhost.localdomain', 'localhost.localdomain AAAA +norec', 'localhost.localdomain SOA', 'www.localhost.localdomain',
    '-x 127.0.0.1', '-x 127.0.0.1 +norec', '1.0.0.127.in-addr.arpa A', '1.0.0.127.in-addr.arpa NS +norec', 'x.1.0.0.127.in-addr.arpa PTR',
    '-x ::1', '-x ::1 +norec', '0.in-addr.arpa SOA', '0.in-addr.arpa NS +norec', '0.in-addr.arpa AAAA', '-x 0.0.0.1',
    '@::1 localhost', '@::1 -x ::1', '-x 127.0.0.2', '127.in-addr.arpa NS +norec', '-x ::2', ...EMPTY,
  ],
};

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

// Debian's named.conf.local suggests including zones.rfc1918: eighteen zones sharing
// db.empty (read-only, so allowed), the first edit many users make.
const VARIANTS: { name: 'debian' | 'rhel'; title: string; edit?: (root: string) => void; extra?: string[] }[] = [
  { name: 'debian', title: 'debian: stock named.conf' },
  { name: 'rhel', title: 'rhel: stock named.conf' },
  {
    name: 'debian', title: 'debian: with zones.rfc1918 included, as named.conf.local suggests', extra: RFC1918,
    edit: (root) => {
      const local = path.join(root, 'etc/bind/named.conf.local');
      const text = readFileSync(local, 'utf8');
      const edited = text.replace('//include "', 'include "');
      if (edited === text) throw new Error('named.conf.local has no commented include to enable');
      writeFileSync(local, edited);
    },
  },
];

for (const { name, title, edit, extra } of VARIANTS) {
  t.test(title, async (t) => {
    if (process.getuid?.() !== 0) {
      t.fail('this test needs root (network and mount namespaces)');
      return;
    }
    for (const tool of ['named', 'named-checkconf', 'dig', 'unshare', 'nsenter', 'ip']) {
      if (!have(tool)) {
        t.fail(`${tool} is not installed (see test/install-deps.sh)`);
        return;
      }
    }
    const d = stageDistro(name);
    t.teardown(() => d.remove());
    edit?.(d.root);
    t.comment(`staged under ${d.root}; paths moved in: ${[...d.rewritten].map(([f, n]) => `${f} (${n})`).join(', ')}`);

    // named-checkconf -z and triad check: the same verdict (both accept).
    const bindCheck = spawnSync('named-checkconf', ['-z', d.namedConf], { encoding: 'utf8' });
    t.equal(bindCheck.status, 0, `named-checkconf -z accepts it ${bindCheck.stderr}`);
    const triadCheck = spawnSync(process.execPath, [BIN_TRIAD, 'check', '--named-conf', d.namedConf, '--conf-dir', path.join(d.root, 'nothing')], { encoding: 'utf8' });
    t.equal(triadCheck.status, 0, 'triad check accepts it');
    t.notMatch(triadCheck.stderr, /: error: /, 'triad check prints no error');
    const zones = (s: string): string[] => s.split('\n').filter((l) => /^zone \S+\/IN: loaded serial/.test(l)).sort();
    t.same(zones(triadCheck.stdout), zones(bindCheck.stdout), 'the same zones load, with the same serials');

    const named = isolated(['named', '-g', '-n', '1', '-c', d.namedConf]);
    t.teardown(() => named.stop());
    const dataDir = path.join(d.root, 'triad-data');
    mkdirSync(dataDir);
    const triad = isolated([process.execPath, BIN_TRIAD, 'run', '--named-conf', d.namedConf, '--conf-dir', path.join(d.root, 'nothing'), '--data-dir', dataDir, '--dns-workers', '1', '--log-level', 'info']);
    t.teardown(() => triad.stop());

    const up = (s: Server): boolean => /status: NOERROR/.test(digIn(s, ['@127.0.0.1', 'localhost', 'SOA', '+norec']));
    const namedUp = await waitFor(() => up(named), 20000, 300);
    t.ok(namedUp, 'named answers');
    const triadUp = await waitFor(() => up(triad), 20000, 300);
    t.ok(triadUp, 'triad run answers');
    if (!namedUp || !triadUp) {
      t.comment(`--- named:\n${named.output()}\n--- triad:\n${triad.output()}`);
      return;
    }
    t.match(named.output(), /network unreachable|all zones loaded/, 'named ran inside the isolated namespace');
    // The zone lines are logged just before the worker answers; `dns serving` follows them.
    await waitFor(() => /dns serving/.test(triad.output()), 10000, 100);

    for (const c of [...CASES[name], ...(extra ?? [])]) {
      const args = c.split(' ');
      const withServer = args[0].startsWith('@') ? args : ['@127.0.0.1', ...args];
      const bind = parseDig(digIn(named, withServer));
      const ours = parseDig(digIn(triad, withServer));
      const diffs = digDiff(bind, ours);
      t.same(diffs, [], `dig ${c}: same answer (${bind.status || 'no answer'})`);
      if (bind.status === '') t.fail(`dig ${c}: named gave no answer`);
    }

    // Zero errors at start: warnings for options Triad does not implement are fine.
    const errors = triad.output().split('\n').filter((l) => {
      try {
        return (JSON.parse(l) as { level?: number }).level !== undefined && (JSON.parse(l) as { level: number }).level >= 50;
      } catch {
        return /error/i.test(l);
      }
    });
    t.same(errors, [], 'triad run logged no error');
    t.match(triad.output(), /zone localhost\/IN: loaded serial/, 'the zones are loaded');
    t.ok(triad.child.exitCode === null, 'triad is still running');
  });
}

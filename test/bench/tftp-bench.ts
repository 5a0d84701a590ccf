// `npm run bench:tftp`: Triad's TFTP server against tftpd-hpa (Debian's in.tftpd, started
// here on its own loopback port, never the machine's own service) on the same files, on
// this machine, in the same run, one after the other:
//   - throughput (MB/s) of one large file: curl at blksize 512 and 1468, atftp at blksize
//     1468 with windowsize 16 (tftpd-hpa has no windowsize, so it answers that one in
//     lockstep; the line says so);
//   - small-file transfers per second, many at once, by an in-process client (Triad's TFTP
//     codec over UDP sockets) so that starting client processes is not what is measured.
// Both servers run on the same core and the clients on another (taskset), when there are
// two cores. Each figure is the best of --rounds rounds (the machine may be shared).
// Options: --mib N (large file, default 64), --small N (small transfers, default 2000),
// --parallel N (at once, default 32), --small-kib N (default 4), --rounds N (default 3).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodePacket, encodeAck, encodeRequest, OP } from '../../src/tftp/packet.js';
import { BIN_TRIAD } from '../helpers/paths.js';

const args = process.argv.slice(2);
const opt = (k: string, d: number): number => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const MIB = opt('mib', 64);
const SMALL = opt('small', 2000);
const PARALLEL = opt('parallel', 32);
const SMALL_KIB = opt('small-kib', 4);
const ROUNDS = opt('rounds', 3);

const have = (cmd: string): boolean => !spawnSync(cmd, ['--help'], { stdio: 'ignore' }).error;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PIN = os.cpus().length >= 2 && have('taskset');
const SERVER_CORE = '0';
const CLIENT_CORE = '1';
const pinned = (core: string, cmd: string, a: string[]): [string, string[]] => (PIN ? ['taskset', ['-c', core, cmd, ...a]] : [cmd, a]);

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

/** One client download of `name` to `dest`; seconds taken, or an error. */
function timed(cmd: string, a: string[]): number {
  const [c, ca] = pinned(CLIENT_CORE, cmd, a);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c, ca, { encoding: 'utf8', timeout: 600_000, maxBuffer: 1 << 20 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${a.join(' ')}: ${r.error?.message ?? `${r.stdout}${r.stderr}`.slice(-300)}`);
  return s;
}

/** One lockstep read (RFC 1350) of a small file from `src`; resolves with its size. */
function fetchSmall(port: number, name: string, src: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    let size = 0;
    let expect = 1;
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no answer for ${name} from port ${port}`));
    }, 10_000);
    sock.on('message', (msg, rinfo) => {
      const p = decodePacket(msg);
      if (typeof p === 'string') return;
      if (p.op === OP.ERROR) {
        clearTimeout(timer);
        sock.close();
        reject(new Error(`ERROR ${p.code} ${p.message}`));
        return;
      }
      if (p.op !== OP.DATA) return;
      sock.send(encodeAck(p.block), rinfo.port, rinfo.address);
      if (p.block !== expect) return;
      expect++;
      size += p.data.length;
      if (p.data.length < 512) {
        clearTimeout(timer);
        // The last ACK must leave before the socket closes.
        setImmediate(() => sock.close());
        resolve(size);
      }
    });
    sock.bind(0, src, () => sock.send(encodeRequest(OP.RRQ, name, 'octet'), port, '127.0.0.1'));
  });
}

/** SMALL transfers, PARALLEL at once, from 8 client addresses (Triad bounds transfers per address); transfers/s. */
async function smallRate(port: number, name: string): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  const worker = async (w: number): Promise<void> => {
    while (next < SMALL) {
      next++;
      await fetchSmall(port, name, `127.0.0.${2 + (w % 8)}`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, (_, w) => worker(w)));
  return SMALL / (Number(process.hrtime.bigint() - t0) / 1e9);
}

interface Row {
  what: string;
  unit: string;
  triad: number;
  ref: number;
  note?: string;
}

async function main(): Promise<void> {
  for (const tool of ['curl', 'atftp', '/usr/sbin/in.tftpd']) if (!have(tool)) throw new Error(`${tool} not installed (test/install-deps.sh)`);
  // The bench process is a client too (the small-file transfers): on the clients' core.
  if (PIN) spawnSync('taskset', ['-pc', CLIENT_CORE, String(process.pid)], { stdio: 'ignore' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-tftp-bench-'));
  chmodSync(dir, 0o755);
  const root = path.join(dir, 'root');
  const conf = path.join(dir, 'conf');
  const out = path.join(dir, 'out');
  for (const d of [root, conf, out, path.join(dir, 'data')]) mkdirSync(d, { recursive: true });
  chmodSync(root, 0o755);
  writeFileSync(path.join(root, 'large'), randomBytes(MIB * 1024 * 1024), { mode: 0o644 });
  writeFileSync(path.join(root, 'small'), randomBytes(SMALL_KIB * 1024 + 100), { mode: 0o644 });
  const size = statSync(path.join(root, 'large')).size;

  const triadPort = await freeUdpPort();
  const refPort = await freeUdpPort();
  writeFileSync(path.join(conf, 'tftpd-hpa'), `TFTP_USERNAME="tftp"\nTFTP_DIRECTORY="${root}"\nTFTP_ADDRESS="127.0.0.1:${triadPort}"\nTFTP_OPTIONS="--secure --blocksize 1468"\n`);
  const procs: ChildProcess[] = [];
  const stop = (): void => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM'); // by the PIDs started here
  };
  process.on('SIGINT', () => {
    stop();
    process.exit(130);
  });
  try {
    const [tc, ta] = pinned(SERVER_CORE, process.execPath, [BIN_TRIAD, 'run', '--conf-dir', conf, '--data-dir', path.join(dir, 'data'), '--log-level', 'warn']);
    procs.push(spawn(tc, ta, { stdio: 'ignore' }));
    // tftpd-hpa as Debian runs it, in the foreground, on its own port; its per-transfer children inherit the core.
    const [rc, ra] = pinned(SERVER_CORE, '/usr/sbin/in.tftpd', ['--foreground', '--address', `127.0.0.1:${refPort}`, '--secure', '--user', 'root', '--blocksize', '1468', root]);
    procs.push(spawn(rc, ra, { stdio: 'ignore' }));
    for (const port of [triadPort, refPort]) {
      const until = Date.now() + 20_000;
      while (await fetchSmall(port, 'small', '127.0.0.1').then(() => false, () => true)) {
        if (Date.now() > until) throw new Error(`no TFTP server answers on port ${port}`);
        await sleep(200);
      }
    }

    const large: { what: string; client: (port: number, dest: string) => number; note?: string }[] = [
      { what: 'large file, blksize 512 (curl)', client: (port, dest) => timed('curl', ['-sS', '--tftp-blksize', '512', '-o', dest, `tftp://127.0.0.1:${port}/large`]) },
      { what: 'large file, blksize 1468 (curl)', client: (port, dest) => timed('curl', ['-sS', '--tftp-blksize', '1468', '-o', dest, `tftp://127.0.0.1:${port}/large`]) },
      {
        what: 'large file, blksize 1468, windowsize 16 (atftp)',
        client: (port, dest) => timed('atftp', ['--option', 'blksize 1468', '--option', 'windowsize 16', '-g', '-r', 'large', '-l', dest, '127.0.0.1', String(port)]),
        note: 'tftpd-hpa has no windowsize: lockstep',
      },
    ];
    const rows: Row[] = [];
    for (const l of large) {
      let best = { triad: 0, ref: 0 };
      for (let r = 0; r < ROUNDS; r++) {
        for (const [who, port] of [['triad', triadPort], ['ref', refPort]] as const) {
          const dest = path.join(out, `${who}-large`);
          const mbps = size / 1e6 / l.client(port, dest);
          if (statSync(dest).size !== size) throw new Error(`${who}: ${l.what}: short file`);
          rmSync(dest, { force: true });
          best = { ...best, [who]: Math.max(best[who], mbps) };
        }
      }
      rows.push({ what: l.what, unit: 'MB/s', ...best, note: l.note });
    }
    let small = { triad: 0, ref: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      small = { triad: Math.max(small.triad, await smallRate(triadPort, 'small')), ref: Math.max(small.ref, await smallRate(refPort, 'small')) };
    }
    rows.push({ what: `${SMALL_KIB} KiB files, ${PARALLEL} at once`, unit: 'transfers/s', ...small });

    const w = Math.max(...rows.map((r) => r.what.length));
    process.stdout.write(`\nTFTP over loopback: ${MIB} MiB file, ${SMALL} small-file transfers; ${PIN ? `servers on core ${SERVER_CORE}, clients on core ${CLIENT_CORE}` : 'not pinned (one core or no taskset)'}; best of ${ROUNDS} rounds\n\n`);
    process.stdout.write(`${'test'.padEnd(w)}  ${'unit'.padEnd(11)}  ${'Triad'.padStart(9)}  ${'tftpd-hpa'.padStart(9)}  Triad/tftpd-hpa\n`);
    for (const r of rows) {
      process.stdout.write(`${r.what.padEnd(w)}  ${r.unit.padEnd(11)}  ${r.triad.toFixed(1).padStart(9)}  ${r.ref.toFixed(1).padStart(9)}  ${(r.triad / Math.max(r.ref, 1e-9)).toFixed(2).padStart(6)}x${r.note ? `  (${r.note})` : ''}\n`);
    }
  } finally {
    stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:tftp failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});

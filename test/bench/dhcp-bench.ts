// `npm run bench:dhcp`: Kea's perfdhcp against Triad, ISC dhcpd and Kea (memfile) with the
// same pool on this machine, one after the other, in a pair of throwaway namespaces.
// perfdhcp acts as a relay (-l IF): giaddr = its address, replies come back to port 67.
// Prints 4-way exchanges per second, drop ratios, and Triad's ratios to the others.
// Triad's leases are durable (fdatasync before each ACK, grouped); ISC fsyncs per lease;
// Kea's memfile appends without fsync.
// HA pairs: a Triad primary whose every lease goes to a Triad standby (lease4-update before
// the ACK), and the same with two Kea servers (HA hook, hot-standby); the standby sits in a
// third namespace, reached over its own link.
// Kea with its PostgreSQL lease backend (every lease committed, so durable like Triad's) is
// a further column when Debian's postgresql is installed: the bench runs its own cluster
// (initdb in a temporary directory, a Unix socket only, `kea-admin db-init pgsql`), stopped
// by its pid at the end.
// Twice: every server pinned to one core (perfdhcp on another), then on all cores; rounds
// alternate between the servers; markdown tables (see test/bench/common.ts).
// Options: --rate N (offered exchanges/s, default 8000), --seconds N (default 10),
// --rounds N (default 3), --cores one,all.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NetnsLab, sh, sleep, which } from '../dhcp/netns-lab.js';
import { BIN_TRIAD } from '../helpers/paths.js';
import { pollFor } from '../helpers/tools.js';
import { alternate, type Contender, coreModes, type CoreMode, cpuWindow, modeTitle, option, pin, pinTree, report, type Row, rssMiB, type Sample, table } from './common.js';

const HOOKS = '/usr/lib/x86_64-linux-gnu/kea/hooks';

const RATE = option('rate', undefined, 8000);
const SECONDS = option('seconds', undefined, 10);
/** Rounds of every server, alternating (the machine is shared). */
const ROUNDS = option('rounds', undefined, 3);

function parsePerf(out: string): { rate: number; doDrops: string; raDrops: string; delayMs?: number } {
  const rate = Number(/Rate: ([\d.]+) 4-way exchanges\/second/.exec(out)?.[1] ?? 0);
  const drops = [...out.matchAll(/drops ratio: ([\d.]+) ?%/g)].map((m) => `${Number(m[1]).toFixed(1)}%`);
  // perfdhcp gives no percentiles: its average DISCOVER-OFFER plus REQUEST-ACK delay.
  const delays = [...out.matchAll(/avg delay: ([\d.]+) ms/g)].map((m) => Number(m[1]));
  return { rate, doDrops: drops[0] ?? '?', raDrops: drops[1] ?? '?', delayMs: delays.length >= 2 ? delays[0] + delays[1] : undefined };
}

/** A PostgreSQL cluster of the bench's own, for Kea's pgsql lease backend. */
interface Pg {
  dir: string;
  socketDir: string;
  proc: ChildProcess;
  log: () => string;
}

const PG_BIN = '/usr/lib/postgresql';

/** Starts a throwaway PostgreSQL and creates Kea's schema; throws with the reason when it cannot. */
async function startPostgres(): Promise<Pg> {
  const versions = existsSync(PG_BIN) ? (await sh(`ls ${PG_BIN}`)).stdout.split(/\s+/).filter((v) => existsSync(`${PG_BIN}/${v}/bin/postgres`)) : [];
  if (versions.length === 0) throw new Error('Debian\'s postgresql is not installed (apt-get install postgresql)');
  if (!(await which('kea-admin'))) throw new Error('kea-admin is not installed (apt-get install kea-admin)');
  const bin = `${PG_BIN}/${versions.sort().pop()}/bin`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-bench-pg-'));
  const socketDir = path.join(dir, 'sock');
  mkdirSync(socketDir);
  // PostgreSQL refuses to run as root: its files and process belong to the postgres user.
  const uid = Number((await sh('id -u postgres')).stdout.trim());
  const gid = Number((await sh('id -g postgres')).stdout.trim());
  if (!Number.isFinite(uid)) throw new Error('no postgres user (apt-get install postgresql)');
  chmodSync(dir, 0o755);
  chownSync(dir, uid, gid);
  chownSync(socketDir, uid, gid);
  const as = ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups'];
  const init = spawnSync(as[0], [...as.slice(1), `${bin}/initdb`, '-D', path.join(dir, 'data'), '-A', 'trust', '-U', 'kea', '--no-sync'], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.error?.message}`);
  // setpriv execs postgres: the pid is the postmaster's own, stopped by it at the end.
  const proc = spawn(as[0], [...as.slice(1), `${bin}/postgres`, '-D', path.join(dir, 'data'), '-k', socketDir, '-c', 'listen_addresses=', '-c', 'fsync=on', '-c', 'synchronous_commit=on'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  proc.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  const pg: Pg = { dir, socketDir, proc, log: () => out };
  try {
    await pollFor('postgres accepting connections', async () => ((await sh(`psql -h ${socketDir} -U kea -d postgres -Atc 'select 1' 2>/dev/null; true`)).stdout.trim() === '1' ? true : undefined), 30_000, () => out);
    await sh(`psql -h ${socketDir} -U kea -d postgres -qc 'create database kea'`);
    const r = await sh(`kea-admin db-init pgsql -u kea -p kea -n kea -h ${socketDir} 2>&1; echo "exit $?"`);
    if (!/exit 0\s*$/.test(r.stdout)) throw new Error(`kea-admin db-init pgsql failed:\n${r.stdout.slice(-1500)}`);
  } catch (e) {
    await stopPostgres(pg);
    throw e;
  }
  return pg;
}

async function stopPostgres(pg: Pg): Promise<void> {
  if (pg.proc.exitCode === null && pg.proc.signalCode === null) {
    const done = new Promise((r) => pg.proc.once('exit', r));
    pg.proc.kill('SIGINT'); // PostgreSQL's fast shutdown
    const t = setTimeout(() => pg.proc.kill('SIGKILL'), 15_000);
    await done;
    clearTimeout(t);
  }
  rmSync(pg.dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  for (const tool of ['ip', 'perfdhcp', 'dhcpd', 'kea-dhcp4', 'taskset']) if (!(await which(tool))) throw new Error(`${tool} not installed (test/install-deps.sh)`);
  const modes = coreModes();
  const lab = new NetnsLab('tdb');
  let pg: Pg | undefined;
  let pgWhy = '';
  const cleanup = async (): Promise<void> => {
    if (pg) await stopPostgres(pg);
    await lab.cleanup();
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  const tables: string[] = [];
  try {
    try {
      pg = await startPostgres();
    } catch (e) {
      pgWhy = e instanceof Error ? e.message : String(e);
      process.stdout.write(`Kea with PostgreSQL left out: ${pgWhy}\n`);
    }
    await lab.addNs(lab.serverNs);
    const perfNs = lab.name('prf');
    await lab.addNs(perfNs);
    await lab.link(lab.serverNs, 's0', '10.55.0.1/16', perfNs, 'p0', '10.55.0.2/16');
    // The HA partner's namespace and link.
    const partnerNs = lab.name('prt');
    await lab.addNs(partnerNs);
    await lab.link(lab.serverNs, 's1', '10.56.0.1/24', partnerNs, 'q0', '10.56.0.2/24');
    const haPort = 20000 + Math.floor(Math.random() * 20000);
    const haPeers = (a: string, b: string): Record<string, unknown>[] => [
      { name: a, url: `http://10.56.0.1:${haPort}/`, role: 'primary' },
      { name: b, url: `http://10.56.0.2:${haPort}/`, role: 'standby' },
    ];
    const haParams = (me: string, peers: Record<string, unknown>[]): Record<string, unknown> => ({ 'this-server-name': me, mode: 'hot-standby', 'heartbeat-delay': 1000, 'max-response-delay': 10000, 'max-ack-delay': 5000, 'max-unacked-clients': 0, peers });
    const haState = async (url: string): Promise<string | undefined> => {
      const r = await sh(`ip netns exec ${lab.serverNs} curl -s -m 2 -X POST -H 'Content-Type: application/json' -d '{"command":"ha-heartbeat","service":["dhcp4"]}' ${url}`).catch(() => ({ stdout: '' }));
      return /"state": ?"([a-z-]+)"/.exec(r.stdout)?.[1];
    };
    const bothHotStandby = (what: string, out: () => string): Promise<unknown> =>
      pollFor(`${what} in hot-standby`, async () => ((await haState(`http://10.56.0.1:${haPort}/`)) === 'hot-standby' && (await haState(`http://10.56.0.2:${haPort}/`)) === 'hot-standby' ? true : undefined), 60_000, out);
    const stop = async (c: ChildProcess): Promise<void> => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      const done = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await done;
    };
    const keaDir = path.join(lab.dir, 'kea');
    mkdirSync(path.join(keaDir, 'b'), { recursive: true });
    const keaConfig = (iface: string, leases: string, ha: Record<string, unknown>): string =>
      JSON.stringify({
        Dhcp4: {
          'interfaces-config': { interfaces: [iface] },
          'lease-database': { type: 'memfile', persist: true, name: leases, 'lfc-interval': 0 },
          'valid-lifetime': 3600,
          authoritative: true,
          'multi-threading': { 'enable-multi-threading': true, 'thread-pool-size': 2, 'packet-queue-size': 64 },
          'hooks-libraries': [
            { library: `${HOOKS}/libdhcp_lease_cmds.so` },
            { library: `${HOOKS}/libdhcp_ha.so`, parameters: { 'high-availability': [{ ...ha, 'multi-threading': { 'enable-multi-threading': true, 'http-dedicated-listener': true, 'http-listener-threads': 1, 'http-client-threads': 1 } }] } },
          ],
          subnet4: [{ id: 1, subnet: '10.55.0.0/16', pools: [{ pool: '10.55.1.1 - 10.55.254.254' }] }],
          loggers: [{ name: 'kea-dhcp4', severity: 'WARN', output_options: [{ output: `${leases}.log` }] }],
        },
      });
    const keaAlone = (name: string, leaseDb: Record<string, unknown>): string =>
      lab.file(
        name,
        JSON.stringify({
          Dhcp4: {
            'interfaces-config': { interfaces: ['s0'] },
            'lease-database': leaseDb,
            'valid-lifetime': 3600,
            authoritative: true,
            subnet4: [{ id: 1, subnet: '10.55.0.0/16', pools: [{ pool: '10.55.1.1 - 10.55.254.254' }] }],
            loggers: [{ name: 'kea-dhcp4', severity: 'WARN', output_options: [{ output: 'stdout' }] }],
          },
        }),
      );
    const keaLog = (f: string): string => {
      try {
        return readFileSync(f, 'utf8').slice(-2000);
      } catch {
        return '';
      }
    };
    const pool = `authoritative;\ndefault-lease-time 3600;\nsubnet 10.55.0.0 netmask 255.255.0.0 {\n  range 10.55.1.1 10.55.254.254;\n}\n`;

    for (const mode of modes) {
      process.stdout.write(`\n${modeTitle(mode)}\n`);
      /** perfdhcp (pinned in one-core mode) while the servers' CPU time is counted; RSS at the end. */
      const measured = async (pids: () => number[], note?: () => string | undefined): Promise<Sample> => {
        pinTree(mode, pids());
        const w = cpuWindow(pids);
        // bash's `time` gives perfdhcp's own CPU time: a load generator that used its whole core
        // caps every server alike, and the per-CPU-second column is then the fair comparison.
        const r = await sh(`TIMEFORMAT='perfdhcp-cpu %U %S'; { time ip netns exec ${perfNs} ${pin(mode, 'load').join(' ')} perfdhcp -4 -l p0 -r ${RATE} -R 60000 -p ${SECONDS} -W 2000000 10.55.0.1 2>&1; } 2>&1; true`, (SECONDS + 60) * 1000);
        const gen = /perfdhcp-cpu ([\d.]+) ([\d.]+)/.exec(r.stdout);
        const genCpu = gen ? Number(gen[1]) + Number(gen[2]) : NaN;
        const { cpu } = w.stop();
        const rss = rssMiB(pids());
        const p = parsePerf(r.stdout);
        if (p.rate === 0) process.stdout.write(`\nperfdhcp:\n${r.stdout.slice(-1500)}\n`);
        const busy = genCpu / SECONDS;
        const genNote = Number.isFinite(busy) && busy >= 0.9 ? `perfdhcp busy ${(busy * 100).toFixed(0)}% of its core: the rate is the load generator's limit` : undefined;
        const notes = [p.doDrops !== '0.0%' || p.raDrops !== '0.0%' ? `drops DO ${p.doDrops} RA ${p.raDrops}` : undefined, genNote, note?.()].filter(Boolean);
        return { rate: p.rate, cpu, seconds: SECONDS, avgMs: p.delayMs, rssMiB: rss, note: notes.join('; ') || undefined };
      };
      const pidOf = (c: ChildProcess): number[] => (c.pid ? [c.pid] : []);
      const contenders: Contender[] = [
        {
          name: TRIAD,
          run: async (round) => {
            const child = await lab.startTriad(lab.file(`triad-${mode}-${round}.conf`, pool), path.join(lab.dir, `triad-${mode}-${round}.leases`), 's0', ['--log-level', 'warn']);
            try {
              return await measured(() => pidOf(child));
            } finally {
              await stop(child);
            }
          },
        },
        {
          name: ISC,
          run: async (round) => {
            const iconf = lab.file(`isc-${mode}-${round}.conf`, pool);
            await sh(`rm -f ${lab.dir}/isc.leases; touch ${lab.dir}/isc.leases`);
            const isc = lab.spawnIn(lab.serverNs, 'dhcpd', ['-4', '-f', '-q', '-cf', iconf, '-lf', `${lab.dir}/isc.leases`, '-pf', `${lab.dir}/isc.pid`, 's0']);
            await sleep(1500);
            try {
              return await measured(() => pidOf(isc));
            } finally {
              await stop(isc);
            }
          },
        },
        {
          name: KEA,
          run: async (round) => {
            const kconf = keaAlone(`kea-${mode}-${round}.json`, { type: 'memfile', persist: true, name: path.join(keaDir, `kea-${mode}-${round}.leases`), 'lfc-interval': 0 });
            const kea = lab.spawnIn(lab.serverNs, 'env', [`KEA_PIDFILE_DIR=${keaDir}`, `KEA_LOCKFILE_DIR=${keaDir}`, 'kea-dhcp4', '-c', kconf]);
            await sleep(2000);
            try {
              return await measured(() => pidOf(kea), () => (kea.output().includes('ERROR') ? 'kea logged errors' : undefined));
            } finally {
              await stop(kea);
            }
          },
        },
      ];
      if (pg) {
        const db = pg;
        contenders.push({
          name: KEA_PG,
          run: async (round) => {
            await sh(`psql -h ${db.socketDir} -U kea -d kea -qc 'delete from lease4'`);
            const kconf = keaAlone(`kea-pg-${mode}-${round}.json`, { type: 'postgresql', name: 'kea', user: 'kea', password: 'kea', host: db.socketDir });
            const kea = lab.spawnIn(lab.serverNs, 'env', [`KEA_PIDFILE_DIR=${keaDir}`, `KEA_LOCKFILE_DIR=${keaDir}`, 'kea-dhcp4', '-c', kconf]);
            await sleep(2000);
            try {
              // Kea's cost includes the database's: the postmaster and its backends.
              return await measured(() => [...pidOf(kea), ...pidOf(db.proc)], () => (kea.output().includes('ERROR') ? `kea logged errors: ${kea.output().slice(-300)}` : undefined));
            } finally {
              await stop(kea);
            }
          },
        });
      }
      contenders.push(
        {
          // Triad HA pair: primary here, standby in the partner's namespace.
          name: TRIAD_HA,
          run: async (round) => {
            const tag = `${mode}-${round}`;
            const pairConf = lab.file(`pair-${tag}.conf`, pool);
            const peers = haPeers('triad1', 'triad2');
            const ha1 = lab.file(`ha1-${tag}.json`, JSON.stringify({ 'high-availability': [haParams('triad1', peers)] }));
            const ha2 = lab.file(`ha2-${tag}.json`, JSON.stringify({ 'high-availability': [haParams('triad2', peers)] }));
            const sbDir = path.join(lab.dir, `standby-${tag}`);
            mkdirSync(path.join(sbDir, 'conf'), { recursive: true });
            const standby = lab.spawnIn(partnerNs, process.execPath, [BIN_TRIAD, 'run', '--conf-dir', path.join(sbDir, 'conf'), '--data-dir', sbDir, '--dhcpd-conf', pairConf, '--leases', path.join(sbDir, 'standby.leases'), '--interfaces', 'q0', '--dhcp-ha-conf', ha2, '--log-level', 'warn']);
            const primary = await lab.startTriad(pairConf, path.join(lab.dir, `pair-${tag}.leases`), 's0', ['--dhcp-ha-conf', ha1, '--log-level', 'warn']);
            try {
              await bothHotStandby('the Triad pair', () => `${primary.output().slice(-2000)}\n${standby.output().slice(-2000)}`);
              const r = await measured(() => [...pidOf(primary), ...pidOf(standby)]);
              await stop(primary);
              await stop(standby);
              const onStandby = (await sh(`${process.execPath} ${BIN_TRIAD} leases --leases ${path.join(sbDir, 'standby.leases')} | grep -c '^10\\.55\\.' ; true`)).stdout.trim();
              return { ...r, note: [r.note, `standby holds ${onStandby} leases`].filter(Boolean).join('; ') };
            } finally {
              await stop(primary);
              await stop(standby);
            }
          },
        },
        {
          // Kea HA pair, the same way round.
          name: KEA_HA,
          run: async (round) => {
            const tag = `${mode}-${round}`;
            const kpeers = haPeers('kea1', 'kea2');
            const k1 = lab.file(`kea-ha1-${tag}.json`, keaConfig('s0', path.join(keaDir, `ha1-${tag}.leases`), haParams('kea1', kpeers)));
            const k2 = lab.file(`kea-ha2-${tag}.json`, keaConfig('q0', path.join(keaDir, `ha2-${tag}.leases`), haParams('kea2', kpeers)));
            const kea1 = lab.spawnIn(lab.serverNs, 'env', [`KEA_PIDFILE_DIR=${keaDir}`, `KEA_LOCKFILE_DIR=${keaDir}`, 'kea-dhcp4', '-c', k1]);
            const kea2 = lab.spawnIn(partnerNs, 'env', [`KEA_PIDFILE_DIR=${path.join(keaDir, 'b')}`, `KEA_LOCKFILE_DIR=${path.join(keaDir, 'b')}`, 'kea-dhcp4', '-c', k2]);
            try {
              await bothHotStandby('the Kea pair', () => `${kea1.output().slice(-1000)}${keaLog(path.join(keaDir, `ha1-${tag}.leases.log`))}\n${kea2.output().slice(-1000)}${keaLog(path.join(keaDir, `ha2-${tag}.leases.log`))}`);
              const r = await measured(() => [...pidOf(kea1), ...pidOf(kea2)]);
              await stop(kea1);
              await stop(kea2);
              const f = path.join(keaDir, `ha2-${tag}.leases`);
              const keaStandby = existsSync(f) ? String(readFileSync(f, 'utf8').split('\n').filter((l) => /^10\.55\./.test(l)).length) : '0';
              return { ...r, note: [r.note, `standby's memfile has ${keaStandby} lease records`].filter(Boolean).join('; ') };
            } finally {
              await stop(kea1);
              await stop(kea2);
            }
          },
        },
      );
      const s = await alternate(ROUNDS, contenders);
      const rows: Row[] = [
        { name: TRIAD, samples: s.get(TRIAD)!, vs: KEA },
        { name: KEA, samples: s.get(KEA)! },
        ...(pg ? [{ name: KEA_PG, samples: s.get(KEA_PG)!, over: TRIAD }] : []),
        { name: ISC, samples: s.get(ISC)!, over: TRIAD },
        { name: TRIAD_HA, samples: s.get(TRIAD_HA)!, vs: KEA_HA },
        { name: KEA_HA, samples: s.get(KEA_HA)! },
      ];
      tables.push(table(`DHCP, ${modeTitle(mode)}`, 'exch', rows) + (pg ? '' : `\nKea with PostgreSQL: not measured here: ${pgWhy}\n`));
    }
  } finally {
    await cleanup();
  }
  report(
    'bench:dhcp',
    `perfdhcp -4 -l IF -r ${RATE} -R 60000 -p ${SECONDS} (relayed, same /16 pool, same machine); ${ROUNDS} alternating rounds, each server started afresh per round; exch = 4-way exchanges (DORA); avg delay = perfdhcp's average DISCOVER→OFFER plus REQUEST→ACK (it gives no percentiles); CPU-s = utime+stime of the server's processes (both of an HA pair; Kea's PostgreSQL included) during the run; RSS at the end of the run`,
    tables,
  );
}

const TRIAD = 'Triad (fdatasync, grouped)';
const ISC = 'ISC dhcpd 4.4 (fsync per lease)';
const KEA = 'Kea 2.2 memfile (no fsync)';
const KEA_PG = 'Kea 2.2 PostgreSQL (commit per lease)';
const TRIAD_HA = 'Triad HA pair (updates to partner)';
const KEA_HA = 'Kea 2.2 HA pair (memfile)';

main().catch((e: unknown) => {
  process.stderr.write(`bench:dhcp failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});

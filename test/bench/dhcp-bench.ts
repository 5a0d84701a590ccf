// `npm run bench:dhcp`: Kea's perfdhcp against Triad, ISC dhcpd and Kea (memfile) with the
// same pool on this machine, one after the other, in a pair of throwaway namespaces.
// perfdhcp acts as a relay (-l IF): giaddr = its address, replies come back to port 67.
// Prints 4-way exchanges per second, drop ratios, and Triad's ratios to the others.
// Triad's leases are durable (fdatasync before each ACK, grouped); ISC fsyncs per lease;
// Kea's memfile appends without fsync.
// HA pairs: a Triad primary whose every lease goes to a Triad standby (lease4-update before
// the ACK), and the same with two Kea servers (HA hook, hot-standby); the standby sits in a
// third namespace, reached over its own link.
// Options: --rate N (offered exchanges/s, default 8000), --seconds N (default 10).

import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NetnsLab, sh, sleep, which } from '../dhcp/netns-lab.js';
import { BIN_TRIAD } from '../helpers/paths.js';
import { pollFor } from '../helpers/tools.js';

const HOOKS = '/usr/lib/x86_64-linux-gnu/kea/hooks';

const args = process.argv.slice(2);
const opt = (k: string, d: number): number => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const RATE = opt('rate', 8000);
const SECONDS = opt('seconds', 10);
/** Rounds of (Triad, ISC, Kea); each server's best round counts (the machine is shared). */
const ROUNDS = opt('rounds', 2);

interface Result {
  server: string;
  rate: number;
  doDrops: string;
  raDrops: string;
  note?: string;
}

function parsePerf(out: string): { rate: number; doDrops: string; raDrops: string } {
  const rate = Number(/Rate: ([\d.]+) 4-way exchanges\/second/.exec(out)?.[1] ?? 0);
  const drops = [...out.matchAll(/drops ratio: ([\d.]+ ?%)/g)].map((m) => m[1].replace(' ', ''));
  return { rate, doDrops: drops[0] ?? '?', raDrops: drops[1] ?? '?' };
}

async function main(): Promise<void> {
  for (const tool of ['ip', 'perfdhcp', 'dhcpd', 'kea-dhcp4']) if (!(await which(tool))) throw new Error(`${tool} not installed (test/install-deps.sh)`);
  const lab = new NetnsLab('tdb');
  const results: Result[] = [];
  const cleanup = (): Promise<void> => lab.cleanup();
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
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
    const stop = async (c: ReturnType<NetnsLab['spawnIn']>): Promise<void> => {
      c.kill('SIGTERM');
      await new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)));
    };
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
    const perf = async (): Promise<{ rate: number; doDrops: string; raDrops: string; raw: string }> => {
      const r = await sh(`ip netns exec ${perfNs} perfdhcp -4 -l p0 -r ${RATE} -R 60000 -p ${SECONDS} -W 2000000 10.55.0.1 2>&1; true`, (SECONDS + 60) * 1000);
      return { ...parsePerf(r.stdout), raw: r.stdout };
    };

    const push = (r: Result): void => {
      const old = results.find((x) => x.server === r.server);
      if (!old) results.push(r);
      else if (r.rate > old.rate) Object.assign(old, r);
    };
    for (let round = 0; round < ROUNDS; round++) {
      // Triad
      const tconf = lab.file(`triad-${round}.conf`, `authoritative;\ndefault-lease-time 3600;\nsubnet 10.55.0.0 netmask 255.255.0.0 {\n  range 10.55.1.1 10.55.254.254;\n}\n`);
      const child = await startTriad(lab, tconf, path.join(lab.dir, `triad-${round}.leases`));
      const tr = await perf();
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      push({ server: 'Triad (fdatasync, grouped)', ...tr });

      // ISC dhcpd
      const iconf = lab.file(`isc-${round}.conf`, `authoritative;\ndefault-lease-time 3600;\nsubnet 10.55.0.0 netmask 255.255.0.0 {\n  range 10.55.1.1 10.55.254.254;\n}\n`);
      await sh(`rm -f ${lab.dir}/isc.leases; touch ${lab.dir}/isc.leases`);
      const isc = lab.spawnIn(lab.serverNs, 'dhcpd', ['-4', '-f', '-q', '-cf', iconf, '-lf', `${lab.dir}/isc.leases`, '-pf', `${lab.dir}/isc.pid`, 's0']);
      await sleep(1500);
      const ir = await perf();
      isc.kill('SIGTERM');
      await new Promise((r) => (isc.exitCode !== null ? r(null) : isc.once('exit', r)));
      push({ server: 'ISC dhcpd 4.4 (fsync per lease)', ...ir });

      // Kea memfile
      const keaDir = path.join(lab.dir, 'kea');
      mkdirSync(keaDir, { recursive: true });
      const kconf = lab.file(
        `kea-${round}.json`,
        JSON.stringify({
          Dhcp4: {
            'interfaces-config': { interfaces: ['s0'] },
            'lease-database': { type: 'memfile', persist: true, name: path.join(keaDir, `kea-${round}.leases`), 'lfc-interval': 0 },
            'valid-lifetime': 3600,
            authoritative: true,
            subnet4: [{ id: 1, subnet: '10.55.0.0/16', pools: [{ pool: '10.55.1.1 - 10.55.254.254' }] }],
            loggers: [{ name: 'kea-dhcp4', severity: 'WARN', output_options: [{ output: 'stdout' }] }],
          },
        }),
      );
      const kea = lab.spawnIn(lab.serverNs, 'env', [`KEA_PIDFILE_DIR=${keaDir}`, `KEA_LOCKFILE_DIR=${keaDir}`, 'kea-dhcp4', '-c', kconf]);
      await sleep(2000);
      const kr = await perf();
      kea.kill('SIGTERM');
      await new Promise((r) => (kea.exitCode !== null ? r(null) : kea.once('exit', r)));
      push({ server: 'Kea 2.2 memfile (no fsync)', ...kr, note: kea.output().includes('ERROR') ? 'kea logged errors' : undefined });

      // Triad HA pair: primary here, standby in the partner's namespace.
      const pairConf = lab.file(`pair-${round}.conf`, `authoritative;\ndefault-lease-time 3600;\nsubnet 10.55.0.0 netmask 255.255.0.0 {\n  range 10.55.1.1 10.55.254.254;\n}\n`);
      const peers = haPeers('triad1', 'triad2');
      const ha1 = lab.file(`ha1-${round}.json`, JSON.stringify({ 'high-availability': [haParams('triad1', peers)] }));
      const ha2 = lab.file(`ha2-${round}.json`, JSON.stringify({ 'high-availability': [haParams('triad2', peers)] }));
      const sbDir = path.join(lab.dir, `standby-${round}`);
      mkdirSync(path.join(sbDir, 'conf'), { recursive: true });
      const standby = lab.spawnIn(partnerNs, process.execPath, [BIN_TRIAD, 'run', '--conf-dir', path.join(sbDir, 'conf'), '--data-dir', sbDir, '--dhcpd-conf', pairConf, '--leases', path.join(sbDir, 'standby.leases'), '--interfaces', 'q0', '--dhcp-ha-conf', ha2, '--log-level', 'warn']);
      const primary = await lab.startTriad(pairConf, path.join(lab.dir, `pair-${round}.leases`), 's0', ['--dhcp-ha-conf', ha1, '--log-level', 'warn']);
      await bothHotStandby('the Triad pair', () => `${primary.output().slice(-2000)}\n${standby.output().slice(-2000)}`);
      const pr = await perf();
      await stop(primary);
      await stop(standby);
      const onStandby = (await sh(`${process.execPath} ${BIN_TRIAD} leases --leases ${path.join(sbDir, 'standby.leases')} | grep -c '^10\\.55\\.' ; true`)).stdout.trim();
      push({ server: 'Triad HA pair (updates to partner)', ...pr, note: `standby holds ${onStandby} leases` });

      // Kea HA pair, the same way round.
      const kpeers = haPeers('kea1', 'kea2');
      const k1 = lab.file(`kea-ha1-${round}.json`, keaConfig('s0', path.join(keaDir, `ha1-${round}.leases`), haParams('kea1', kpeers)));
      const k2 = lab.file(`kea-ha2-${round}.json`, keaConfig('q0', path.join(keaDir, `ha2-${round}.leases`), haParams('kea2', kpeers)));
      const kea1 = lab.spawnIn(lab.serverNs, 'env', [`KEA_PIDFILE_DIR=${keaDir}`, `KEA_LOCKFILE_DIR=${keaDir}`, 'kea-dhcp4', '-c', k1]);
      mkdirSync(path.join(keaDir, 'b'), { recursive: true });
      const kea2 = lab.spawnIn(partnerNs, 'env', [`KEA_PIDFILE_DIR=${path.join(keaDir, 'b')}`, `KEA_LOCKFILE_DIR=${path.join(keaDir, 'b')}`, 'kea-dhcp4', '-c', k2]);
      const keaLog = (f: string): string => {
        try {
          return readFileSync(f, 'utf8').slice(-2000);
        } catch {
          return '';
        }
      };
      await bothHotStandby('the Kea pair', () => `${kea1.output().slice(-1000)}${keaLog(path.join(keaDir, `ha1-${round}.leases.log`))}\n${kea2.output().slice(-1000)}${keaLog(path.join(keaDir, `ha2-${round}.leases.log`))}`);
      const kpr = await perf();
      await stop(kea1);
      await stop(kea2);
      const keaStandby = keaLog(path.join(keaDir, `ha2-${round}.leases`)) === '' ? '0' : String(readFileSync(path.join(keaDir, `ha2-${round}.leases`), 'utf8').split('\n').filter((l) => /^10\.55\./.test(l)).length);
      push({ server: 'Kea 2.2 HA pair (memfile)', ...kpr, note: `standby's memfile has ${keaStandby} lease records` });
    }
  } finally {
    await cleanup();
  }
  const w = Math.max(...results.map((r) => r.server.length));
  process.stdout.write(`\nperfdhcp -4 -l IF -r ${RATE} -R 60000 -p ${SECONDS} (relayed, same /16 pool, same machine; best of ${ROUNDS} rounds)\n\n`);
  process.stdout.write(`${'server'.padEnd(w)}  4-way exch/s  DO drops  RA drops\n`);
  for (const r of results) process.stdout.write(`${r.server.padEnd(w)}  ${r.rate.toFixed(1).padStart(12)}  ${r.doDrops.padStart(8)}  ${r.raDrops.padStart(8)}${r.note ? '  ' + r.note : ''}\n`);
  const [t, i, k, tp, kp] = results;
  process.stdout.write(`\nTriad / Kea memfile: ${(t.rate / Math.max(k.rate, 1e-9)).toFixed(2)}x   Triad / ISC dhcpd: ${(t.rate / Math.max(i.rate, 1e-9)).toFixed(2)}x\n`);
  process.stdout.write(`Triad pair / Triad alone: ${(tp.rate / Math.max(t.rate, 1e-9)).toFixed(2)}x   Triad pair / Kea pair: ${(tp.rate / Math.max(kp.rate, 1e-9)).toFixed(2)}x\n`);
}

async function startTriad(lab: NetnsLab, conf: string, leases: string): Promise<ReturnType<NetnsLab['spawnIn']>> {
  const c = await lab.startTriad(conf, leases, 's0', ['--log-level', 'warn']);
  return c;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:dhcp failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});

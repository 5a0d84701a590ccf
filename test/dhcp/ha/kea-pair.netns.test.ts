// Triad and the real Kea 2.2 (kea-dhcp4 with libdhcp_ha.so and libdhcp_lease_cmds.so) as
// an HA pair in hot-standby, in network namespaces: Triad primary, Kea standby. The pair
// reaches hot-standby by heartbeats and lease synchronisation; a lease Triad grants shows
// up on Kea (lease4-get on Kea's control socket); after `kill -9` of Triad, Kea goes to
// partner-down and serves a new client itself. Kea 2.2 listens for its partner on its own
// HTTP listener (http-dedicated-listener), so kea-ctrl-agent is not needed.

import t from 'tap';
import net from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { NetnsLab, sh, labPrerequisites } from '../netns-lab.js';
import { BIN_TRIAD } from '../../helpers/paths.js';
import { pollFor as waitFor } from '../../helpers/tools.js';
import { scopeIndex } from '../../../src/dhcp/ha/hash.js';

const TOOLS = ['ip', 'busybox', 'kea-dhcp4', 'curl'];
const HOOKS = '/usr/lib/x86_64-linux-gnu/kea/hooks';

/** One command on Kea's unix control socket (Kea closes the connection after answering). */
function keaSocket(path: string, cmd: unknown): Promise<{ result: number; text?: string; arguments?: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    let out = '';
    s.on('connect', () => s.write(JSON.stringify(cmd)));
    s.on('data', (d) => (out += d.toString()));
    s.on('end', () => {
      try {
        resolve(JSON.parse(out) as { result: number; text?: string; arguments?: Record<string, unknown> });
      } catch (e) {
        reject(e);
      }
    });
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy(new Error('no answer on the control socket')));
  });
}

/** The HA state a server reports to a heartbeat, asked from `ns` with curl. */
async function haState(ns: string, url: string): Promise<string | undefined> {
  const r = await sh(`ip netns exec ${ns} curl -s -m 2 -X POST -H 'Content-Type: application/json' -d '{"command":"ha-heartbeat","service":["dhcp4"]}' ${url}`);
  const v = JSON.parse(r.stdout) as { arguments?: { state?: string } }[] | { arguments?: { state?: string } };
  return (Array.isArray(v) ? v[0] : v).arguments?.state;
}

/** The lab for a Triad–Kea pair on 10.N.0.0/24: Triad on the bridge (.1), Kea in its own namespace (.2), both files written. */
/**
 * `split`: load-balancing with the pool split by Kea's HA classes, .100–.149 for the
 * clients of the server named `triad`, .150–.199 for those of `kea` (Kea's `client-class`
 * on each pool; `allow members of` in Triad's dhcpd.conf).
 */
async function keaPair(lab: NetnsLab, n: number, peersOf: (triadUrl: string, keaUrl: string) => Record<string, unknown>[], split = false, mode?: string, extra: Record<string, unknown> = {}) {
  await lab.setupServer(`10.${n}.0.1/24`);
  const keaNs = await lab.addClient('kea', `02:00:00:00:${n}:02`);
  await sh(`ip -n ${keaNs} addr add 10.${n}.0.2/24 dev eth0`);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const triadUrl = `http://10.${n}.0.1:${port}/`;
  const keaUrl = `http://10.${n}.0.2:${port}/`;
  const common = { ...extra, mode: mode ?? (split ? 'load-balancing' : 'hot-standby'), 'heartbeat-delay': 1000, 'max-response-delay': 3000, 'max-ack-delay': 1000, 'max-unacked-clients': 0 };
  const peers = peersOf(triadUrl, keaUrl);
  const sock = lab.file('kea.sock');
  const keaConf = lab.file(
    'kea.json',
    JSON.stringify({
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0'] },
        'control-socket': { 'socket-type': 'unix', 'socket-name': sock },
        'lease-database': { type: 'memfile', persist: true, name: lab.file('kea.leases'), 'lfc-interval': 0 },
        'multi-threading': { 'enable-multi-threading': true, 'thread-pool-size': 2, 'packet-queue-size': 16 },
        'valid-lifetime': 600,
        'hooks-libraries': [
          { library: `${HOOKS}/libdhcp_lease_cmds.so` },
          {
            library: `${HOOKS}/libdhcp_ha.so`,
            parameters: {
              'high-availability': [
                { 'this-server-name': 'kea', ...common, 'multi-threading': { 'enable-multi-threading': true, 'http-dedicated-listener': true, 'http-listener-threads': 1, 'http-client-threads': 1 }, peers },
              ],
            },
          },
        ],
        subnet4: [
          {
            id: 1,
            subnet: `10.${n}.0.0/24`,
            pools: split
              ? [
                  { pool: `10.${n}.0.100 - 10.${n}.0.149`, 'client-class': 'HA_triad' },
                  { pool: `10.${n}.0.150 - 10.${n}.0.199`, 'client-class': 'HA_kea' },
                ]
              : [{ pool: `10.${n}.0.100 - 10.${n}.0.200` }],
          },
        ],
        loggers: [{ name: 'kea-dhcp4', severity: 'INFO', output_options: [{ output: lab.file('kea.log') }] }],
      },
    }),
  );
  // The hook's own file, as a Kea user would paste it.
  const ha = lab.file('dhcp-ha.json', JSON.stringify({ 'high-availability': [{ 'this-server-name': 'triad', ...common, peers }] }, null, 2));
  const pools = split
    ? `  pool { range 10.${n}.0.100 10.${n}.0.149; allow members of "HA_triad"; }\n  pool { range 10.${n}.0.150 10.${n}.0.199; allow members of "HA_kea"; }\n`
    : `  range 10.${n}.0.100 10.${n}.0.200;\n`;
  const conf = lab.file('dhcpd.conf', `authoritative;\ndefault-lease-time 600;\nsubnet 10.${n}.0.0 netmask 255.255.255.0 {\n${pools}}\n`);
  const leases = lab.file('dhcpd.leases');
  return { keaNs, triadUrl, keaUrl, sock, keaConf, ha, conf, leases };
}

const exited = (c: ChildProcess): Promise<unknown> => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r)));

function startKea(lab: NetnsLab, keaNs: string, keaConf: string): ReturnType<NetnsLab['spawnIn']> {
  return lab.spawnIn(keaNs, 'env', [`KEA_PIDFILE_DIR=${lab.dir}`, `KEA_LOCKFILE_DIR=${lab.dir}`, 'kea-dhcp4', '-c', keaConf]);
}

/** A busybox udhcpc client in its own namespace, writing what it got to NAME.out. */
async function udhcpc(lab: NetnsLab, name: string, mac: string, tries = 8): Promise<ReturnType<NetnsLab['spawnIn']>> {
  const ns = await lab.addClient(name, mac);
  const out = lab.file(`${name}.out`, '');
  return lab.spawnIn(ns, 'env', [`UDHCPC_OUT=${out}`, 'busybox', 'udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', String(tries), '-T', '2', '-s', lab.udhcpcScript()]);
}

t.test('Triad primary and Kea standby in hot-standby', { timeout: 240_000 }, async (t) => {
  if (!(await labPrerequisites(t, TOOLS))) return;
  for (const h of ['libdhcp_ha.so', 'libdhcp_lease_cmds.so']) {
    const ok = await sh(`test -f ${HOOKS}/${h}`).then(() => true, () => false);
    if (!ok) return t.fail(`${HOOKS}/${h} is missing (kea-dhcp4-server ships it)`);
  }
  const lab = new NetnsLab('tkh');
  t.teardown(() => lab.cleanup());
  const { keaNs, triadUrl, keaUrl, sock, keaConf, ha, conf, leases } = await keaPair(lab, 77, (triadUrl, keaUrl) => [
    { name: 'triad', url: triadUrl, role: 'primary', 'auto-failover': true, 'basic-auth-user': 'pair', 'basic-auth-password': 'triad-secret' },
    { name: 'kea', url: keaUrl, role: 'standby', 'auto-failover': true },
  ]);

  const kea = startKea(lab, keaNs, keaConf);
  const triad = await lab.startTriad(conf, leases, 'br0', ['--dhcp-ha-conf', ha]);
  const logs = (): string => `--- triad\n${triad.output().slice(-4000)}\n--- kea\n${lab.read('kea.log').slice(-4000)}\n${kea.output().slice(-1000)}`;

  // Both reach hot-standby: Triad syncs from Kea, Kea from Triad (with Triad's credentials).
  await waitFor('Kea in hot-standby', async () => ((await haState(keaNs, keaUrl)) === 'hot-standby' ? true : undefined), 60_000, logs);
  const triadState = await sh(`ip netns exec ${keaNs} curl -s -m 2 -u pair:triad-secret -X POST -d '{"command":"ha-heartbeat"}' ${triadUrl}`);
  t.match(triadState.stdout, /"state":"hot-standby"/, 'Triad reports hot-standby to its partner');
  const refused = await sh(`ip netns exec ${keaNs} curl -s -o /dev/null -w '%{http_code}' -u pair:wrong -X POST -d '{"command":"ha-heartbeat"}' ${triadUrl}`);
  t.equal(refused.stdout, '401', 'a wrong password is refused');
  // Forged and malformed commands: refused, counted, nothing written.
  const post = (body: string, auth = '-u pair:triad-secret'): Promise<string> =>
    sh(`ip netns exec ${keaNs} curl -s -w ' %{http_code}' ${auth} -X POST --data-binary @- ${triadUrl} <<'EOF'\n${body}\nEOF`).then((r) => r.stdout);
  t.match(await post('{"command": "lease4-update", '), / 400$/, 'bad JSON: 400');
  t.match(await post(JSON.stringify({ command: 'lease4-update', arguments: { 'ip-address': '10.99.0.5', 'hw-address': '02:00:00:00:99:05', 'valid-lft': 600 } })), /"result":1.*not on any subnet.* 200$/, 'a lease outside the subnets is refused');
  t.match(await post(JSON.stringify({ command: 'lease4-update', arguments: { 'ip-address': '10.77.0.150', 'hw-address': '02:00:00:00:99:05', 'valid-lft': 600 } }), ''), / 401$/, 'a lease update without credentials is refused');
  t.match(await post(JSON.stringify({ command: 'lease4-update', pad: 'x'.repeat(70_000) })), / 413$/, 'an oversize request: 413');
  const counters = await sh(`${process.execPath} ${BIN_TRIAD} ctl --data-dir ${lab.dir} dhcp ha`);
  t.match(counters.stdout, /refused auth: [1-9]/);
  t.match(counters.stdout, /refused json: 1/);
  t.match(counters.stdout, /refused size: 1/);
  t.match(counters.stdout, /refused lease: 1/);
  t.notMatch(readFileSync(leases, 'utf8'), /10\.99\.0\.5|10\.77\.0\.150/, 'nothing of them reached the lease file');

  // A client of the pair: answered by Triad (the standby stays silent), the lease on Kea too.
  const u1 = await udhcpc(lab, 'c1', '02:00:00:00:77:11');
  const bound1 = await waitFor('the first client bound', async () => /bound ip=(\S+).*serverid=(\S+)/.exec(lab.read('c1.out')) ?? undefined, 40_000, () => logs() + lab.read('c1.out') + u1.output());
  t.equal(bound1[2], '10.77.0.1', 'Triad, the primary, answered');
  const onKea = await keaSocket(sock, { command: 'lease4-get', arguments: { 'ip-address': bound1[1] } });
  t.equal(onKea.result, 0, `Kea holds the lease of ${bound1[1]}: ${onKea.text ?? ''}`);
  t.equal(onKea.arguments?.['hw-address'], '02:00:00:00:77:11');

  // Triad dies without a word: Kea takes over after max-response-delay and serves.
  triad.kill('SIGKILL');
  await waitFor('Kea in partner-down', async () => ((await haState(keaNs, keaUrl)) === 'partner-down' ? true : undefined), 30_000, logs);
  await udhcpc(lab, 'c2', '02:00:00:00:77:12');
  const bound2 = await waitFor('the second client bound', async () => /bound ip=(\S+).*serverid=(\S+)/.exec(lab.read('c2.out')) ?? undefined, 40_000, logs);
  t.equal(bound2[2], '10.77.0.2', 'Kea answered in partner-down');
  t.not(bound2[1], bound1[1], 'Kea did not give the first client\'s address to another');

  // Triad comes back: it syncs Kea's leases into its own lease file, and the pair returns to hot-standby.
  const again = await lab.startTriad(conf, leases, 'br0', ['--dhcp-ha-conf', ha]);
  const logs2 = (): string => `--- triad\n${again.output().slice(-4000)}\n--- kea\n${lab.read('kea.log').slice(-3000)}`;
  await waitFor('Kea back in hot-standby', async () => ((await haState(keaNs, keaUrl)) === 'hot-standby' ? true : undefined), 60_000, logs2);
  await waitFor('Triad back in hot-standby', async () => {
    const r = await sh(`ip netns exec ${keaNs} curl -s -m 2 -u pair:triad-secret -X POST -d '{"command":"ha-heartbeat"}' ${triadUrl}`);
    return /"state":"hot-standby"/.test(r.stdout) ? true : undefined;
  }, 30_000, logs2);
  const listed = await sh(`${process.execPath} ${BIN_TRIAD} leases --leases ${leases}`);
  t.match(listed.stdout, new RegExp(`${bound2[1].replace(/\./g, '\\.')}\\s+02:00:00:00:77:12`), 'the lease Kea granted alone is in Triad\'s lease file');
  t.match(listed.stdout, new RegExp(`${bound1[1].replace(/\./g, '\\.')}\\s+02:00:00:00:77:11`), 'and the first one still is');
});

t.test('Kea primary and Triad standby in hot-standby', { timeout: 240_000 }, async (t) => {
  if (!(await labPrerequisites(t, TOOLS))) return;
  const lab = new NetnsLab('tkr');
  t.teardown(() => lab.cleanup());
  const { keaNs, triadUrl, keaUrl, sock, keaConf, ha, conf, leases } = await keaPair(lab, 78, (triadUrl, keaUrl) => [
    { name: 'kea', url: keaUrl, role: 'primary', 'auto-failover': true },
    { name: 'triad', url: triadUrl, role: 'standby', 'auto-failover': true },
  ]);

  const kea = startKea(lab, keaNs, keaConf);
  const triad = await lab.startTriad(conf, leases, 'br0', ['--dhcp-ha-conf', ha]);
  const logs = (): string => `--- triad\n${triad.output().slice(-4000)}\n--- kea\n${lab.read('kea.log').slice(-4000)}\n${kea.output().slice(-1000)}`;
  const triadState = async (): Promise<string | undefined> => haState(keaNs, triadUrl);
  await waitFor('Kea in hot-standby', async () => ((await haState(keaNs, keaUrl)) === 'hot-standby' ? true : undefined), 60_000, logs);
  await waitFor('Triad in hot-standby', async () => ((await triadState()) === 'hot-standby' ? true : undefined), 30_000, logs);

  // Kea answers the client; its lease update lands in Triad's lease file before Kea's ACK.
  await udhcpc(lab, 'c1', '02:00:00:00:78:11');
  const bound1 = await waitFor('the first client bound', async () => /bound ip=(\S+).*serverid=(\S+)/.exec(lab.read('c1.out')) ?? undefined, 40_000, logs);
  t.equal(bound1[2], '10.78.0.2', 'Kea, the primary, answered (the standby stayed silent)');
  const listed = await sh(`${process.execPath} ${BIN_TRIAD} leases --leases ${leases}`);
  t.match(listed.stdout, new RegExp(`${bound1[1].replace(/\./g, '\\.')}\\s+02:00:00:00:78:11`), 'the lease is in Triad\'s lease file');

  // Kea dies: Triad goes to partner-down and serves the next client, not with the first one's address.
  kea.kill('SIGKILL');
  await waitFor('Triad in partner-down', async () => ((await triadState()) === 'partner-down' ? true : undefined), 30_000, logs);
  await udhcpc(lab, 'c2', '02:00:00:00:78:12');
  const bound2 = await waitFor('the second client bound', async () => /bound ip=(\S+).*serverid=(\S+)/.exec(lab.read('c2.out')) ?? undefined, 40_000, logs);
  t.equal(bound2[2], '10.78.0.1', 'Triad answered in partner-down');
  t.not(bound2[1], bound1[1], 'a different address than the one Kea leased');
  const ctl = await sh(`${process.execPath} ${BIN_TRIAD} ctl --data-dir ${lab.dir} dhcp ha`);
  t.match(ctl.stdout, /state: partner-down/, 'triad ctl dhcp ha shows the state');
  t.match(ctl.stdout, /partner state: unavailable/);

  // Kea comes back: it fetches Triad's leases page by page (lease4-get-page on Triad's
  // listener) and both return to hot-standby, Kea serving again.
  const kea2 = startKea(lab, keaNs, keaConf);
  const logs2 = (): string => `--- triad\n${triad.output().slice(-4000)}\n--- kea\n${lab.read('kea.log').slice(-4000)}\n${kea2.output().slice(-1000)}`;
  await waitFor('Kea back in hot-standby', async () => ((await haState(keaNs, keaUrl)) === 'hot-standby' ? true : undefined), 60_000, logs2);
  await waitFor('Triad back in hot-standby', async () => ((await triadState()) === 'hot-standby' ? true : undefined), 30_000, logs2);
  const synced = await keaSocket(sock, { command: 'lease4-get', arguments: { 'ip-address': bound2[1] } });
  if (!t.equal(synced.result, 0, `Kea synced the lease Triad granted alone (${bound2[1]}): ${synced.text ?? ''}`)) t.comment(lab.read('kea.log').split('\n').filter((l) => /HA_|LEASE|SYNC/.test(l)).slice(-30).join('\n'));
  t.equal(synced.arguments?.['hw-address'], '02:00:00:00:78:12');
});

t.test('Triad and Kea in load-balancing, pools split by the HA classes', { timeout: 240_000 }, async (t) => {
  if (!(await labPrerequisites(t, TOOLS))) return;
  const lab = new NetnsLab('tkl');
  t.teardown(() => lab.cleanup());
  const { keaNs, triadUrl, keaUrl, sock, keaConf, ha, conf, leases } = await keaPair(
    lab,
    79,
    (triadUrl, keaUrl) => [
      { name: 'triad', url: triadUrl, role: 'primary', 'auto-failover': true },
      { name: 'kea', url: keaUrl, role: 'secondary', 'auto-failover': true },
    ],
    true,
  );
  const kea = startKea(lab, keaNs, keaConf);
  const triad = await lab.startTriad(conf, leases, 'br0', ['--dhcp-ha-conf', ha]);
  const logs = (): string => `--- triad\n${triad.output().slice(-4000)}\n--- kea\n${lab.read('kea.log').slice(-4000)}\n${kea.output().slice(-1000)}`;
  await waitFor('Kea in load-balancing', async () => ((await haState(keaNs, keaUrl)) === 'load-balancing' ? true : undefined), 60_000, logs);
  await waitFor('Triad in load-balancing', async () => ((await haState(keaNs, triadUrl)) === 'load-balancing' ? true : undefined), 30_000, logs);

  // Clients whose scope (RFC 3074 hash of udhcpc's client identifier 01:<mac>) is each server's.
  const macs = [...Array(64).keys()].map((i) => `02:00:00:00:79:${(0x20 + i).toString(16)}`);
  const scopeOf = (mac: string): 'triad' | 'kea' => (scopeIndex(Buffer.from([1, ...mac.split(':').map((h) => parseInt(h, 16))]), Buffer.alloc(6)) === 0 ? 'triad' : 'kea');
  const picked = [...macs.filter((m) => scopeOf(m) === 'triad').slice(0, 2), ...macs.filter((m) => scopeOf(m) === 'kea').slice(0, 2)];
  t.equal(picked.length, 4, 'two clients of each scope');
  const serverOf = { triad: '10.79.0.1', kea: '10.79.0.2' };
  const inPool = (scope: 'triad' | 'kea', ip: string): boolean => {
    const last = Number(ip.split('.')[3]);
    return scope === 'triad' ? last >= 100 && last <= 149 : last >= 150 && last <= 199;
  };
  await Promise.all(picked.map((mac, i) => udhcpc(lab, `c${i}`, mac)));
  const bound: string[] = [];
  for (const [i, mac] of picked.entries()) {
    const b = await waitFor(`client ${mac} bound`, async () => /bound ip=(\S+).*serverid=(\S+)/.exec(lab.read(`c${i}.out`)) ?? undefined, 40_000, logs);
    const scope = scopeOf(mac);
    t.equal(b[2], serverOf[scope], `${mac} (scope ${scope}) answered by its scope's server`);
    t.ok(inPool(scope, b[1]), `${mac}: ${b[1]} from the HA_${scope} pool`);
    bound.push(b[1]);
  }
  t.equal(new Set(bound).size, bound.length, 'four different addresses');
  // Each lease is on both servers: Triad's in Kea's memfile, Kea's in Triad's lease file.
  const listed = (await sh(`${process.execPath} ${BIN_TRIAD} leases --leases ${leases}`)).stdout;
  for (const [i, mac] of picked.entries()) {
    const onKea = await keaSocket(sock, { command: 'lease4-get', arguments: { 'ip-address': bound[i] } });
    t.equal(onKea.arguments?.['hw-address'], mac, `Kea holds ${bound[i]} for ${mac}`);
    t.match(listed, new RegExp(`${bound[i].replace(/\./g, '\\.')}\\s+${mac}`), `Triad's lease file holds ${bound[i]} for ${mac}`);
  }

  // Kea dies: Triad in partner-down serves Kea's clients too, from Kea's pool (the class
  // rule holds for the survivor), so nothing collides when Kea returns.
  kea.kill('SIGKILL');
  await waitFor('Triad in partner-down', async () => ((await haState(keaNs, triadUrl)) === 'partner-down' ? true : undefined), 30_000, logs);
  const late = macs.filter((m) => scopeOf(m) === 'kea')[2];
  await udhcpc(lab, 'late', late);
  const b = await waitFor('the late client bound', async () => /bound ip=(\S+).*serverid=(\S+)/.exec(lab.read('late.out')) ?? undefined, 40_000, logs);
  t.equal(b[2], serverOf.triad, "Triad answered a client of Kea's scope");
  t.ok(inPool('kea', b[1]), `from the HA_kea pool (${b[1]})`);
  t.notOk(bound.includes(b[1]), 'not an address another client holds');
});

t.test('passive-backup: Kea primary with Triad backup, then Triad primary with Kea backup and wait-backup-ack', { timeout: 240_000 }, async (t) => {
  if (!(await labPrerequisites(t, TOOLS))) return;
  // Kea primary, Triad backup: Kea answers, its lease lands in Triad's lease file.
  {
    const lab = new NetnsLab('tkb');
    t.teardown(() => lab.cleanup());
    const { keaNs, triadUrl, keaConf, ha, conf, leases } = await keaPair(lab, 80, (triadUrl, keaUrl) => [
      { name: 'kea', url: keaUrl, role: 'primary' },
      { name: 'triad', url: triadUrl, role: 'backup' },
    ], false, 'passive-backup');
    const kea = startKea(lab, keaNs, keaConf);
    const triad = await lab.startTriad(conf, leases, 'br0', ['--dhcp-ha-conf', ha]);
    const logs = (): string => `--- triad\n${triad.output().slice(-4000)}\n--- kea\n${lab.read('kea.log').slice(-4000)}\n${kea.output().slice(-1000)}`;
    await waitFor('Triad in the backup state', async () => ((await haState(keaNs, triadUrl).catch(() => undefined)) === 'backup' ? true : undefined), 30_000, logs);
    await udhcpc(lab, 'b1', '02:00:00:00:80:11');
    const b = await waitFor('the client bound', async () => /bound ip=(\S+).*serverid=(\S+)/.exec(lab.read('b1.out')) ?? undefined, 40_000, logs);
    t.equal(b[2], '10.80.0.2', 'Kea, the primary, answered; the backup stayed silent');
    const listed = await waitFor('the lease in Triad\'s lease file', async () => {
      const r = await sh(`${process.execPath} ${BIN_TRIAD} leases --leases ${leases}`);
      return r.stdout.includes(b[1]) ? r.stdout : undefined;
    }, 10_000, logs);
    t.match(listed, new RegExp(`${b[1].replace(/\./g, '\\.')}\\s+02:00:00:00:80:11`), 'Kea\'s lease is in the backup\'s lease file');
    const ctl = await sh(`${process.execPath} ${BIN_TRIAD} ctl --data-dir ${lab.dir} dhcp ha`);
    t.match(ctl.stdout, /state: backup/, 'triad ctl dhcp ha shows the backup state');
    triad.kill('SIGTERM');
    kea.kill('SIGKILL');
    await exited(triad);
  }
  // Triad primary with wait-backup-ack, Kea backup: the lease is on Kea before the client's
  // ACK; with the backup gone, no ACK.
  {
    const lab = new NetnsLab('tkw');
    t.teardown(() => lab.cleanup());
    const { keaNs, keaUrl, sock, keaConf, ha, conf, leases } = await keaPair(lab, 81, (triadUrl, keaUrl) => [
      { name: 'triad', url: triadUrl, role: 'primary' },
      { name: 'kea', url: keaUrl, role: 'backup' },
    ], false, 'passive-backup', { 'wait-backup-ack': true });
    const kea = startKea(lab, keaNs, keaConf);
    await waitFor('Kea in the backup state', async () => ((await haState(keaNs, keaUrl).catch(() => undefined)) === 'backup' ? true : undefined), 30_000, () => lab.read('kea.log'));
    const triad = await lab.startTriad(conf, leases, 'br0', ['--dhcp-ha-conf', ha]);
    const logs = (): string => `--- triad\n${triad.output().slice(-4000)}\n--- kea\n${lab.read('kea.log').slice(-4000)}\n${kea.output().slice(-1000)}`;
    await udhcpc(lab, 'p1', '02:00:00:00:81:11');
    const b = await waitFor('the client bound', async () => /bound ip=(\S+).*serverid=(\S+)/.exec(lab.read('p1.out')) ?? undefined, 40_000, logs);
    t.equal(b[2], '10.81.0.1', 'Triad, the primary, answered');
    const onKea = await keaSocket(sock, { command: 'lease4-get', arguments: { 'ip-address': b[1] } });
    t.equal(onKea.arguments?.['hw-address'], '02:00:00:00:81:11', 'the backup held the lease when the client had its ACK');
    kea.kill('SIGKILL');
    await exited(kea);
    const late = await udhcpc(lab, 'p2', '02:00:00:00:81:12', 2);
    await exited(late);
    t.notMatch(lab.read('p2.out'), /bound/, 'with the backup gone, wait-backup-ack means no ACK');
    const ctl = await sh(`${process.execPath} ${BIN_TRIAD} ctl --data-dir ${lab.dir} dhcp ha`);
    t.match(ctl.stdout, /state: passive-backup/);
    t.match(ctl.stdout, /updates failed: [1-9]/, 'the failed update is counted');
  }
});

t.test('maintenance with Kea: ha-maintenance-start, -notify and -cancel both ways', { timeout: 240_000 }, async (t) => {
  if (!(await labPrerequisites(t, TOOLS))) return;
  const lab = new NetnsLab('tkm');
  t.teardown(() => lab.cleanup());
  const { keaNs, triadUrl, keaUrl, sock, keaConf, ha, conf, leases } = await keaPair(lab, 82, (triadUrl, keaUrl) => [
    { name: 'triad', url: triadUrl, role: 'primary' },
    { name: 'kea', url: keaUrl, role: 'standby' },
  ]);
  const kea = startKea(lab, keaNs, keaConf);
  const triad = await lab.startTriad(conf, leases, 'br0', ['--dhcp-ha-conf', ha]);
  const logs = (): string => `--- triad\n${triad.output().slice(-4000)}\n--- kea\n${lab.read('kea.log').slice(-4000)}\n${kea.output().slice(-1000)}`;
  let seen = '';
  const states = async (): Promise<string> => (seen = `${await haState(keaNs, triadUrl).catch(() => '?')}/${await haState(keaNs, keaUrl).catch(() => '?')}`);
  const until = (want: string): Promise<unknown> => waitFor(`triad/kea ${want}`, async () => ((await states()) === want ? true : undefined), 30_000, () => `last seen ${seen}\n${logs()}`);
  await until('hot-standby/hot-standby');

  // Kea is told to take over: it notifies Triad, which stops answering clients.
  const start = await keaSocket(sock, { command: 'ha-maintenance-start' });
  t.equal(start.result, 0, `Kea: ${start.text ?? ''}`);
  await until('in-maintenance/partner-in-maintenance');
  await udhcpc(lab, 'm1', '02:00:00:00:82:11');
  const b = await waitFor('the client bound', async () => /bound ip=(\S+).*serverid=(\S+)/.exec(lab.read('m1.out')) ?? undefined, 40_000, logs);
  t.equal(b[2], '10.82.0.2', 'Kea answered; Triad in maintenance stayed silent');
  const cancel = await keaSocket(sock, { command: 'ha-maintenance-cancel' });
  t.equal(cancel.result, 0, `Kea: ${cancel.text ?? ''}`);
  await until('hot-standby/hot-standby');

  // Triad is told to take over: Kea goes to in-maintenance; once Kea is gone, partner-down.
  const post = async (cmd: string): Promise<{ result: number; text?: string }> => {
    const r = await sh(`ip netns exec ${keaNs} curl -s -m 15 -X POST -d '{"command":"${cmd}","service":["dhcp4"]}' ${triadUrl}`);
    const v = JSON.parse(r.stdout) as { result: number; text?: string }[];
    return v[0];
  };
  t.equal((await post('ha-maintenance-cancel')).result, 1, 'cancel without maintenance is refused');
  const start2 = await post('ha-maintenance-start');
  t.equal(start2.result, 0, `Triad: ${start2.text ?? ''}`);
  await until('partner-in-maintenance/in-maintenance');
  const ctl = await sh(`${process.execPath} ${BIN_TRIAD} ctl --data-dir ${lab.dir} dhcp ha`);
  t.match(ctl.stdout, /\bstate: partner-in-maintenance/, 'triad ctl dhcp ha shows it');
  t.match(ctl.stdout, /partner state: in-maintenance/, "and the partner's state");
  kea.kill('SIGKILL');
  await waitFor('Triad in partner-down', async () => ((await haState(keaNs, triadUrl)) === 'partner-down' ? true : undefined), 30_000, logs);
  t.pass('the partner shut down for maintenance: Triad in partner-down');
});

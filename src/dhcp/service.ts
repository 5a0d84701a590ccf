// `triad run`'s DHCP service: reads dhcpd.conf (--dhcpd-conf FILE, else CONF_DIR/dhcpd.conf),
// loads the lease file (--leases FILE, else lease-file-name, else DATA_DIR/dhcpd.leases),
// serves --interfaces IF,… (waiting for each until it is up, has carrier and an address, and
// following it down and up) or, when none are named, every up broadcast interface that has
// an address on a configured subnet — but only when the process may open packet sockets:
// as a non-root user without --interfaces it logs why and stays idle, so `npm start` works.

import path from 'node:path';
import { existsSync, promises as fsp } from 'node:fs';
import { decideFixedHost, FIXED_HOSTS_HEADER, fixedHostsPath, markFixed, renderFixedHost } from './fixed-host.js';
import { loadDhcpConfig as load } from './load-conf.js';
import { DdnsOut } from './ddns-out.js';
import { bodyString, ControlUsageError, servicePanel, type ControlReply, type RunOptions, type Service } from '../service.js';
import { controlSocketPath, registerServiceControl } from '../control/server.js';
import type { DhcpdConf } from '../config/dhcpd-conf.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import { LinkFollower, readiness, type LinkSelection, type LinkTable, type Readiness } from '../net/link-watch.js';
import { batchedReceive, canOpenPacketSockets } from '../net/packet-io.js';
import { newEngineState, type EngineState } from './engine.js';
import { LeaseDb } from './lease.js';
import { LeaseStore } from './lease-store.js';
import { DhcpServer } from './server.js';
import { dhcpdConfPath, haConfigFor, leaseFilePath } from './paths.js';
import { DiagnosticSink } from '../config/diagnostics.js';
import type { HaConfig } from '../config/ha-conf.js';
import type { HaPair } from './ha/pair.js';
import { DHCP_CONTROL, dhcpInterfaces } from './definition.js';
import { formatLeaseTable, leaseRows } from './lease-table.js';
import { keaStatistics } from './kea-stats.js';
import { parseIPv4 } from '../wire/ipv4.js';
import { dhcpFamilies } from './metrics.js';
import { writeFileAtomic } from '../fs/atomic-file.js';

const inSubnetOf = (conf: DhcpdConf, ip: number): boolean => conf.subnets.some((s) => (ip & s.mask) >>> 0 === s.network);

/**
 * The links DHCP serves: the ones named by --interfaces, each waited for until it is up,
 * has carrier and an IPv4 address; without --interfaces, every up broadcast interface
 * with an address on a declared subnet, as such interfaces come and go.
 */
export function dhcpSelection(named: readonly string[], conf: () => DhcpdConf): LinkSelection {
  return (table: LinkTable) => {
    const out = new Map<string, Readiness>();
    if (named.length) {
      for (const n of named) out.set(n, readiness(table, n, { address: true }));
      return out;
    }
    const c = conf();
    for (const l of table.links.values()) {
      if (l.loopback || !l.broadcast || !l.addresses.some((a) => inSubnetOf(c, a.ip))) continue;
      const r = readiness(table, l.name, { address: true });
      // Automatic choice: a link that is not usable is simply not served (no wait to report).
      if (r.ok) out.set(l.name, r);
    }
    return out;
  };
}

/**
 * fixed-address names come from Triad's own zones: the DNS service publishes their
 * addresses on the name-registration channel at every load, and the engine looks them
 * up there (so a DNS reload is seen without re-reading named.conf or zone files here).
 */
/** The HA pair's say in allocation: its split, Kea's HA_ classes, unconfirmed leases, the survivor's cap. */
function attachPair(st: EngineState, p: HaPair): void {
  st.mayAllocate = (ip, req, pool) => p.mayAllocate(ip, req, pool);
  st.extraClasses = (req) => p.classesOf(req);
  st.unconfirmed = (ip) => p.unconfirmed(ip);
  st.leaseCap = () => p.leaseCap();
}

function withNames(st: EngineState, conf: DhcpdConf, opts: RunOptions): EngineState {
  if (!conf.hosts.some((h) => h.fixedNames.length)) return st;
  const names = opts.names;
  st.resolveName = (n) => names?.lookup(n);
  for (const h of conf.hosts) {
    for (const n of h.fixedNames) {
      if (st.resolveName(n) === undefined) opts.log.warn({ host: h.name, name: n }, 'fixed-address name not found in Triad\'s zones');
    }
  }
  return st;
}

export async function createDhcpService(opts: RunOptions): Promise<Service | undefined> {
  const file = dhcpdConfPath(opts);
  if (!file) return undefined;
  const log = opts.log.child({ service: 'dhcp' });
  let conf = load(file, opts, true);
  const haSink = new DiagnosticSink();
  const ha: HaConfig | undefined = haConfigFor(opts, conf, haSink);
  haSink.throwIfErrors();
  for (const w of haSink.warnings) opts.log.warn(formatDiagnostic(w));
  let pair: HaPair | undefined;
  let server: DhcpServer | undefined;
  let store: LeaseStore | undefined;
  let st: EngineState | undefined;
  let timer: NodeJS.Timeout | undefined;
  let ddnsOut: DdnsOut | undefined;
  const db = new LeaseDb();
  let idle: string | undefined;

  let follower: LinkFollower | undefined;
  const named = dhcpInterfaces(opts);

  // For `triad ctl status` and `ctl dhcp stats`: what it serves and what it waits for, as of now.
  const describe = (): string | undefined => {
    if (idle || !server) return idle;
    const waiting = [...(follower?.waitingFor ?? [])].map(([n, why]) => `${n}: ${why}`);
    const serving = server.links.length ? `serving ${server.links.join(', ')}` : 'no interface to serve yet';
    return waiting.length ? `${serving}; waiting for ${waiting.join('; ')}` : serving;
  };
  let closeControl: (() => Promise<void>) | undefined;
  /** The statistics channel's collector (Kea's statistics as Prometheus families). */
  let removeCollector: (() => void) | undefined;
  let removePanel: (() => void) | undefined;

  /** `triad ctl dhcp leases [--all]|stats|release ADDR|ha`: the leases in memory, the counters (also in Kea's names), a release. */
  // Also `triad ctl dhcp fixed-host`'s: the same as SIGHUP.
  const reload = async (): Promise<void> => {
    const next = load(file, opts, false);
    conf = next;
    if (st && server) {
      st = withNames(newEngineState(next, db), next, opts);
      const p = pair;
      if (p) {
        attachPair(st, p);
      }
      server.setState(st);
    }
    // New subnets may select other interfaces.
    follower?.sync();
  };

  /** `triad ctl dhcp fixed-host ADDR [NAME]`: the lease's host into Triad's fixed-host file, then a reload. */
  const fixHost = async (args: string[]): Promise<ControlReply> => {
    const ip = args.length === 1 || args.length === 2 ? parseIPv4(args[0]) : undefined;
    if (ip === undefined) throw new ControlUsageError('usage: triad ctl dhcp fixed-host ADDR [NAME] (an IPv4 address with an active lease)');
    if (!server) throw new ControlUsageError(`DHCP is not serving (${describe() ?? 'idle'}): no lease to fix`);
    const host = decideFixedHost(conf, db.get(ip), ip, Date.now() / 1000, args[1]);
    if ('refused' in host) throw new ControlUsageError(host.refused);
    const tail = fixedHostsPath(opts.dataDir);
    const before = existsSync(tail) ? await fsp.readFile(tail, 'utf8') : undefined;
    const sep = before === undefined ? FIXED_HOSTS_HEADER : before.endsWith('\n') || before === '' ? '' : '\n';
    await writeFileAtomic(tail, (before ?? '') + sep + '\n' + renderFixedHost(host, new Date()));
    try {
      await reload();
    } catch (err) {
      // The new file did not load (dhcpd.conf may be broken meanwhile): put the old one back.
      if (before === undefined) await fsp.rm(tail, { force: true });
      else await writeFileAtomic(tail, before);
      throw new ControlUsageError(`not fixed: the configuration does not load: ${err instanceof Error ? err.message : String(err)}`);
    }
    log.info({ host: host.name, mac: host.mac, ip: host.ip, file: tail }, 'fixed host added');
    return { text: `fixed ${host.ip} to ${host.mac} as host ${host.name} (${tail}; reloaded)\n`, data: { fixed: host.ip, ...host, file: tail } };
  };
  // One at a time: each reads the file the one before wrote and decides on the configuration it loaded.
  let fixing: Promise<unknown> = Promise.resolve();

  const control = async (cmd: string, args: string[]): Promise<ControlReply> => {
    if (cmd === 'ha') {
      if (!ha) return { text: 'not part of an HA pair (no dhcp-ha.json, no failover peer)\n', data: { ha: false } };
      const d = pair?.status() ?? { server: ha.thisServerName, mode: ha.mode, state: 'not started' };
      const lines = Object.entries(d).map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)}: ${Array.isArray(v) ? v.join(', ') || '(none)' : String(v)}`);
      return { text: lines.join('\n') + '\n', data: d };
    }
    if (cmd === 'leases') {
      const all = args.includes('--all') || args.includes('all');
      const bad = args.find((a) => a !== '--all' && a !== 'all');
      if (bad) throw new ControlUsageError(`usage: triad ctl dhcp leases [all] (not '${bad}')`);
      const rows = markFixed(leaseRows(db.all(), Date.now() / 1000, all), conf);
      return { text: formatLeaseTable(rows, all), data: rows };
    }
    if (cmd === 'release') {
      const ip = args.length === 1 ? parseIPv4(args[0]) : undefined;
      if (ip === undefined) throw new ControlUsageError('usage: triad ctl dhcp release ADDR (an IPv4 address)');
      if (!server) throw new ControlUsageError(`DHCP is not serving (${describe() ?? 'idle'}): nothing to release`);
      const freed = await server.release(ip);
      if (!freed) throw new ControlUsageError(`no active lease for ${args[0]}`);
      return { text: `released ${args[0]}${freed.hwAddr ? ` (was ${freed.hwAddr.toString('hex').replace(/(..)(?!$)/g, '$1:')})` : ''}\n`, data: { released: args[0] } };
    }
    if (cmd === 'fixed-host') {
      const run = fixing.then(() => fixHost(args));
      fixing = run.catch(() => undefined);
      return run;
    }
    const byState: Record<string, number> = {};
    for (const l of db.all()) byState[l.state] = (byState[l.state] ?? 0) + 1;
    const counters = server?.stats ?? { received: 0, malformed: 0, ignored: 0, replies: 0, acks: 0, sendErrors: 0, leaseWriteErrors: 0 };
    const kea = keaStatistics(conf, db.all(), counters, server?.types ?? { received: new Float64Array(256), sent: new Float64Array(256) }, Date.now() / 1000);
    const data = { serving: server !== undefined, detail: describe() ?? null, ...counters, leases: byState, kea: kea.stats, subnets: kea.subnets };
    const lines = [
      ...(server ? [] : [`idle: ${describe() ?? 'not serving'}`]),
      ...Object.entries(counters).map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)}: ${v}`),
      ...Object.entries(byState).sort().map(([k, v]) => `leases ${k}: ${v}`),
      // Kea's statistic names (statistic-get-all), subnets numbered in the file's order.
      ...kea.subnets.map((s) => `subnet[${s.id}]: ${s.prefix}`),
      ...Object.entries(kea.stats).map(([k, v]) => `${k}: ${v}`),
    ];
    return { text: lines.join('\n') + '\n', data };
  };

  return {
    name: 'dhcp',
    detail: describe,
    async start() {
      closeControl = await registerServiceControl(controlSocketPath(opts.dataDir, opts.flags['control-socket']), 'dhcp', DHCP_CONTROL, control);
      removeCollector = opts.metrics?.collector('dhcp', () => {
        const h = pair?.status();
        return dhcpFamilies({ conf, db, server, store, nowSec: Date.now() / 1000, ha: h ? { server: String(h.server), state: String(h.state) } : undefined });
      });
      // The dashboard: the lease table, the counters and HA state; release as `triad ctl dhcp release` does it.
      removePanel = servicePanel(opts.metrics, 'dhcp', control, { reads: { leases: ['leases'], stats: ['stats'], ha: ['ha'] }, actions: { release: (b) => [bodyString(b, 'address')], 'fixed-host': (b) => [bodyString(b, 'address')] } });
      if (!canOpenPacketSockets()) {
        if (named.length) throw new Error('dhcp: cannot open AF_PACKET sockets (needs root or CAP_NET_RAW)');
        idle = 'no --interfaces given and no permission for packet sockets (needs root or CAP_NET_RAW): DHCP stays idle';
        log.warn({ conf: file }, idle);
        return;
      }
      log.info(batchedReceive() ? 'requests are read in batches (recvmmsg)' : 'requests are read one at a time (this C library has no recvmmsg)');
      const leases = leaseFilePath(opts, conf);
      store = new LeaseStore(leases, () => db.all());
      const loaded = await store.load();
      for (const p of loaded.problems) log.warn(p);
      for (const l of loaded.leases.values()) db.put(l);
      await store.open();
      // Start from a compact file: one record per address.
      store.requestCompact();
      st = withNames(newEngineState(conf, db), conf, opts);
      const srv = new DhcpServer(st, store, log, conf.global.params.localPort ?? 67);
      server = srv;
      const names = opts.names;
      // Names in zones that `zone` statements give to other servers go there as RFC 2136 updates.
      ddnsOut = new DdnsOut(() => ({ ddns: conf.ddns, style: conf.global.params.ddnsUpdateStyle, conflictDetection: conf.global.params.updateConflictDetection, optimization: conf.global.params.updateOptimization }), log, path.join(opts.dataDir, 'dhcp-ddns.json'));
      const out = ddnsOut;
      await out.load();
      srv.publishNames = (events) => {
        if (names) out.forOwnZones(events).forEach((e) => names.publish(e));
        out.handle(events);
      };
      await srv.start();
      // VRRP on a served interface: only the master answers there, unless a DHCP HA pair
      // (which shares the leases and decides who answers) is configured.
      const roles = opts.vrrpRoles;
      if (roles && !ha) srv.standby = (iface) => roles.standby(iface);
      if (ha) {
        const { HaPair } = await import('./ha/pair.js');
        pair = new HaPair(ha, {
          log,
          inSubnet: (ip) => inSubnetOf(conf, ip),
          subnetId: (ip) => conf.subnets.findIndex((s) => (ip & s.mask) >>> 0 === s.network) + 1,
          land: (ch) => srv.land(ch),
          leases: () => db.all(),
          lease: (ip) => db.get(ip),
        });
        srv.hooks = pair;
        const p = pair;
        attachPair(st, p);
        await pair.start();
      }
      // Links are followed through netlink: served when usable, closed when not, reopened
      // when they come back (a new ifindex), without a restart.
      follower = new LinkFollower(dhcpSelection(named, () => conf), { open: (l) => srv.addLink(l), update: (l) => srv.updateLink(l), close: (n) => srv.removeLink(n) }, log);
      await follower.start();
      const waiting = Object.fromEntries(follower.waitingFor);
      log.info({ conf: file, leases, loaded: loaded.leases.size, interfaces: srv.links, ...(Object.keys(waiting).length ? { waiting } : {}) }, 'dhcp serving');
      if (!named.length && !srv.links.length) log.warn({ conf: file }, 'no interface has an address on a subnet declared in dhcpd.conf yet: DHCP stays idle until one has');
      // Compacts the lease file hourly (lapsed offers are swept by the lease database itself).
      timer = setInterval(() => store?.requestCompact(), 3600_000);
      timer.unref();
    },
    reload,
    async stop() {
      removeCollector?.();
      removeCollector = undefined;
      removePanel?.();
      removePanel = undefined;
      await closeControl?.();
      closeControl = undefined;
      await pair?.stop();
      if (timer) clearInterval(timer);
      await follower?.stop();
      await server?.stop();
      ddnsOut?.stop();
      await store?.close();
    },
  };
}

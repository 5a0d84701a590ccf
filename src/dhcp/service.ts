// `triad run`'s DHCP service: reads dhcpd.conf (--dhcpd-conf FILE, else CONF_DIR/dhcpd.conf),
// loads the lease file (--leases FILE, else lease-file-name, else DATA_DIR/dhcpd.leases),
// serves --interfaces IF,… or, when none are named, every up broadcast interface that has
// an address on a configured subnet — but only when the process may open packet sockets:
// as a non-root user without --interfaces it logs why and stays idle, so `npm start` works.

import { ControlUsageError, type ControlReply, type RunOptions, type Service } from '../service.js';
import { controlSocketPath, registerServiceControl } from '../control/server.js';
import { loadDhcpdConf, type DhcpdConf } from '../config/dhcpd-conf.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import { listLinks, type Link } from '../net/link.js';
import { canOpenPacketSockets } from '../net/packet-io.js';
import { newEngineState, type EngineState } from './engine.js';
import { LeaseDb } from './lease.js';
import { LeaseStore } from './lease-store.js';
import { DhcpServer } from './server.js';
import { dhcpdConfPath, leaseFilePath } from './paths.js';
import { zoneAddresses, zoneResolver } from './zone-names.js';
import { DHCP_CONTROL, dhcpInterfaces } from './definition.js';
import { formatLeaseTable, leaseRows } from './lease-table.js';


function load(file: string, opts: RunOptions): DhcpdConf {
  const { conf, warnings } = loadDhcpdConf(file);
  for (const w of warnings) opts.log.warn(formatDiagnostic(w));
  return conf;
}

const inSubnetOf = (conf: DhcpdConf, ip: number): boolean => conf.subnets.some((s) => (ip & s.mask) >>> 0 === s.network);

function chooseLinks(conf: DhcpdConf, opts: RunOptions): { links: Link[]; why?: string } {
  const named = dhcpInterfaces(opts);
  const all = listLinks();
  if (named.length) {
    const links: Link[] = [];
    for (const n of named) {
      const l = all.find((x) => x.name === n);
      if (!l) throw new Error(`dhcp: interface ${n} not found`);
      if (!l.addresses.length) throw new Error(`dhcp: interface ${n} has no IPv4 address`);
      links.push(l);
    }
    if (!canOpenPacketSockets()) throw new Error('dhcp: cannot open AF_PACKET sockets (needs root or CAP_NET_RAW)');
    return { links };
  }
  if (!canOpenPacketSockets()) return { links: [], why: 'no --interfaces given and no permission for packet sockets (needs root or CAP_NET_RAW): DHCP stays idle' };
  const links = all.filter((l) => l.up && l.broadcast && !l.loopback && l.addresses.some((a) => inSubnetOf(conf, a.ip)));
  if (!links.length) return { links, why: 'no interface has an address on a subnet declared in dhcpd.conf: DHCP stays idle' };
  return { links };
}

/** fixed-address names come from Triad's own zones (read once per load). */
function withNames(st: EngineState, conf: DhcpdConf, opts: RunOptions): EngineState {
  if (!conf.hosts.some((h) => h.fixedNames.length)) return st;
  const table = zoneAddresses(opts);
  st.resolveName = zoneResolver(table);
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
  let conf = load(file, opts);
  let server: DhcpServer | undefined;
  let store: LeaseStore | undefined;
  let st: EngineState | undefined;
  let timer: NodeJS.Timeout | undefined;
  const db = new LeaseDb();
  let detail: string | undefined;
  let closeControl: (() => Promise<void>) | undefined;

  /** `triad ctl dhcp leases [--all]|stats`: the leases in memory and the packet counters. */
  const control = async (cmd: string, args: string[]): Promise<ControlReply> => {
    if (cmd === 'leases') {
      const all = args.includes('--all') || args.includes('all');
      const bad = args.find((a) => a !== '--all' && a !== 'all');
      if (bad) throw new ControlUsageError(`usage: triad ctl dhcp leases [all] (not '${bad}')`);
      const rows = leaseRows(db.all(), Date.now() / 1000, all);
      return { text: formatLeaseTable(rows, all), data: rows };
    }
    const byState: Record<string, number> = {};
    for (const l of db.all()) byState[l.state] = (byState[l.state] ?? 0) + 1;
    const counters = server?.stats ?? { received: 0, malformed: 0, ignored: 0, replies: 0, acks: 0, sendErrors: 0 };
    const data = { serving: server !== undefined, detail: detail ?? null, ...counters, leases: byState };
    const lines = [
      ...(server ? [] : [`idle: ${detail ?? 'not serving'}`]),
      ...Object.entries(counters).map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)}: ${v}`),
      ...Object.entries(byState).sort().map(([k, v]) => `leases ${k}: ${v}`),
    ];
    return { text: lines.join('\n') + '\n', data };
  };

  return {
    name: 'dhcp',
    detail: () => detail,
    async start() {
      closeControl = await registerServiceControl(controlSocketPath(opts.dataDir, opts.flags['control-socket']), 'dhcp', DHCP_CONTROL, control);
      const { links, why } = chooseLinks(conf, opts);
      if (!links.length) {
        detail = why ?? 'no interfaces to serve';
        log.warn({ conf: file }, detail);
        return;
      }
      detail = `serving ${links.map((l) => l.name).join(', ')}`;
      const leases = leaseFilePath(opts, conf);
      store = new LeaseStore(leases, () => db.all());
      const loaded = await store.load();
      for (const p of loaded.problems) log.warn(p);
      for (const l of loaded.leases.values()) db.put(l);
      await store.open();
      // Start from a compact file: one record per address.
      store.requestCompact();
      st = withNames(newEngineState(conf, db), conf, opts);
      server = new DhcpServer(st, store, links, log, conf.global.params.localPort ?? 67);
      const names = opts.names;
      if (names) server.publishNames = (events) => events.forEach((e) => names.publish(e));
      await server.start();
      log.info({ conf: file, leases, loaded: loaded.leases.size, interfaces: links.map((l) => l.name) }, 'dhcp serving');
      timer = setInterval(() => {
        const now = Date.now();
        for (const [ip, o] of db.offers) if (o.expires <= now) db.offers.delete(ip);
        store?.requestCompact();
      }, 3600_000);
      timer.unref();
    },
    async reload() {
      const next = load(file, opts);
      conf = next;
      if (st && server) {
        st = withNames(newEngineState(next, db), next, opts);
        server.setState(st);
      }
    },
    async stop() {
      await closeControl?.();
      closeControl = undefined;
      if (timer) clearInterval(timer);
      await server?.stop();
      await store?.close();
    },
  };
}

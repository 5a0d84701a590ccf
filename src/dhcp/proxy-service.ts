// proxyDHCP as a `triad run` service: reads CONF_DIR/pxe-proxy.conf, follows the
// interfaces it names (or those with an address in a proxy range), and reloads in place
// (a broken file keeps the running settings).

import { formatDiagnostic, DiagnosticSink } from '../config/diagnostics.js';
import { loadPxeProxyConf, type PxeProxyConf } from '../config/pxe-proxy-conf.js';
import { LinkFollower, readiness, type LinkSelection, type LinkTable, type Readiness } from '../net/link-watch.js';
import { canOpenPacketSockets } from '../net/packet-io.js';
import { ipv4Mask } from '../wire/ipv4.js';
import { controlSocketPath, registerServiceControl, type ControlReply } from '../control/server.js';
import { locateConfig, type RunOptions, type Service } from '../service.js';
import { PXE_PROXY_CONF, PXE_PROXY_CONTROL } from './proxy-definition.js';
import { ProxyDhcpServer } from './proxy-server.js';

/** The named interfaces, else every broadcast interface with an address in a proxy range. */
export function proxySelection(conf: () => PxeProxyConf): LinkSelection {
  return (table: LinkTable) => {
    const c = conf();
    const out = new Map<string, Readiness>();
    if (c.interfaces.length) {
      for (const n of c.interfaces) out.set(n, readiness(table, n, { address: true, noLoopback: true }));
      return out;
    }
    for (const l of table.links.values()) {
      if (l.loopback || !l.broadcast || !l.addresses.some((a) => c.ranges.some((r) => ((a.ip & ipv4Mask(r.prefixLen)) >>> 0) === r.network))) continue;
      const r = readiness(table, l.name, { address: true });
      if (r.ok) out.set(l.name, r);
    }
    return out;
  };
}

export async function createPxeProxyService(opts: RunOptions): Promise<Service | undefined> {
  const file = locateConfig(opts, PXE_PROXY_CONF);
  if (!file) return undefined;
  const log = opts.log.child({ service: 'pxe-proxy' });
  const read = (): PxeProxyConf => {
    const sink = new DiagnosticSink();
    const conf = loadPxeProxyConf(file, sink);
    for (const w of sink.warnings) log.warn(formatDiagnostic(w));
    sink.throwIfErrors();
    if (!conf) throw new Error(`${file}: not found`);
    return conf;
  };
  let conf = read();
  let server: ProxyDhcpServer | undefined;
  let follower: LinkFollower | undefined;
  let closeControl: (() => Promise<void>) | undefined;
  const control = async (): Promise<ControlReply> => {
    const stats = server?.stats ?? { received: 0, malformed: 0, ignored: 0, offers: 0, acks: 0, sendErrors: 0 };
    const data = { interfaces: server?.links ?? [], waiting: Object.fromEntries(follower?.waitingFor ?? []), ...stats };
    const lines = [
      `answering on: ${data.interfaces.join(', ') || '(no interface yet)'}`,
      ...Object.entries(data.waiting).map(([n, why]) => `waiting for ${n}: ${why}`),
      `proxy offers: ${stats.offers}`,
      `boot-server acks: ${stats.acks}`,
      `not answered: ${stats.ignored}`,
      `malformed: ${stats.malformed}`,
    ];
    return { text: lines.join('\n') + '\n', data };
  };
  return {
    name: 'pxe-proxy',
    async start() {
      if (!canOpenPacketSockets()) throw new Error('pxe-proxy: cannot open AF_PACKET sockets to read DHCP requests (needs root or CAP_NET_RAW)');
      const srv = new ProxyDhcpServer(conf, log);
      await srv.start();
      server = srv;
      follower = new LinkFollower(proxySelection(() => conf), { open: (l) => srv.addLink(l), update: (l) => srv.updateLink(l), close: (n) => srv.removeLink(n) }, log);
      await follower.start();
      closeControl = await registerServiceControl(controlSocketPath(opts.dataDir, opts.flags['control-socket']), 'pxe-proxy', PXE_PROXY_CONTROL, control);
      if (!srv.links.length) log.warn({ conf: file }, 'no interface is on a proxy range yet: proxyDHCP stays idle until one is');
    },
    async reload() {
      const next = read(); // throws for a broken file before anything changes
      conf = next;
      server?.setConf(next);
      follower?.sync();
    },
    async stop() {
      await closeControl?.();
      await follower?.stop();
      await server?.stop();
    },
  };
}

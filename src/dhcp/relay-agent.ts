// The relay agent's edge: one AF_PACKET socket per relay interface hears client requests
// (broadcast to port 67) and server replies (to giaddr:67); requests go to every server
// through a UDP socket (the kernel routes them, as ISC's fallback socket does) or straight
// to this process's own DHCP server; replies go out of the giaddr link as raw frames, to
// the client's MAC or broadcast. Decisions are in relay.ts.

import type { Logger } from '../log.js';
import { BROADCAST_MAC, buildUdpFrame, parseUdpFrame } from '../net/frame.js';
import type { Link } from '../net/link.js';
import { LinkFollower, readiness } from '../net/link-watch.js';
import { canOpenPacketSockets, PacketSocket, UdpSender } from '../net/packet-io.js';
import { formatIPv4 } from '../config/dhcp-options.js';
import { localServerFor } from './local-handoff.js';
import { BOOTREQUEST, DecodeError, decodePacket, formatHw } from './packet.js';
import { encodeRelayed, relayReply, relayRequest, type RelayInterface, type RelaySettings } from './relay.js';

export interface RelayAgentConfig {
  interfaces: { name: string; upstream: boolean; downstream: boolean }[];
  servers: number[];
  settings: RelaySettings;
  /** Server/relay port (ISC -p); clients are on port + 1. */
  port?: number;
}

export interface RelayStats {
  requests: number;
  replies: number;
  forwarded: number;
  delivered: number;
  dropped: number;
  malformed: number;
  sendErrors: number;
}

interface RelayLink {
  iface: RelayInterface;
  link: Link;
  sock: PacketSocket;
  loop: Promise<void>;
}

export class RelayAgent {
  readonly stats: RelayStats = { requests: 0, replies: 0, forwarded: 0, delivered: 0, dropped: 0, malformed: 0, sendErrors: 0 };
  private socks = new Map<string, RelayLink>();
  private udp?: UdpSender;
  private own = new Set<number>();
  private readonly port: number;
  private follower?: LinkFollower;

  constructor(
    private cfg: RelayAgentConfig,
    private log: Logger,
  ) {
    this.port = cfg.port ?? 67;
  }

  get interfaces(): RelayInterface[] {
    return [...this.socks.values()].map((s) => s.iface);
  }

  /**
   * Starts at once: each interface is relayed on as soon as it is up, has carrier and an
   * IPv4 address (the giaddr), and followed (netlink) as it goes down and up, changes
   * address, or is deleted and created again.
   */
  async start(): Promise<void> {
    if (!canOpenPacketSockets()) throw new Error('relay: cannot open AF_PACKET sockets (needs root or CAP_NET_RAW)');
    this.udp = new UdpSender(this.port);
    const want = new Map(this.cfg.interfaces.map((c) => [c.name, c]));
    this.follower = new LinkFollower(
      (table) => {
        // Replies to any of this host's addresses are ours (giaddr of a relay before us too).
        this.own = table.allAddresses();
        return new Map([...want.keys()].map((n) => [n, readiness(table, n, { address: true, noLoopback: true })]));
      },
      {
        open: (link) => this.open(want.get(link.name)!, link),
        update: (link) => {
          const e = this.socks.get(link.name);
          if (!e) return;
          e.link = link;
          e.iface = { ...e.iface, addresses: link.addresses.map((a) => a.ip) };
          this.log.info({ iface: link.name, addresses: link.addresses.map((a) => formatIPv4(a.ip)) }, 'relay interface addresses changed');
        },
        close: (name) => this.close(name),
      },
      this.log,
    );
    await this.follower.start();
    this.log.info(
      {
        interfaces: this.cfg.interfaces.map((c) => `${c.name}${c.upstream && c.downstream ? '' : c.upstream ? '(up)' : '(down)'}`),
        servers: this.cfg.servers.map(formatIPv4),
        agentInformation: this.cfg.settings.agentInformation,
        ...(this.follower.waitingFor.size ? { waiting: Object.fromEntries(this.follower.waitingFor) } : {}),
      },
      'dhcp relay serving',
    );
  }

  private open(c: { name: string; upstream: boolean; downstream: boolean }, link: Link): void {
    const iface: RelayInterface = { name: c.name, addresses: link.addresses.map((a) => a.ip), upstream: c.upstream, downstream: c.downstream };
    const sock = new PacketSocket({ ifindex: link.index, udpDstPort: this.port, rcvbuf: 1 << 20 });
    const entry: RelayLink = { iface, link, sock, loop: Promise.resolve() };
    entry.loop = sock.loop(
      (f) => this.onFrame(entry, f),
      (err) => this.log.warn({ err: err.message, iface: entry.iface.name }, 'relay receive error'),
    );
    this.socks.set(c.name, entry);
    this.log.info({ iface: c.name, addresses: iface.addresses.map(formatIPv4) }, 'relaying on interface');
  }

  private close(name: string): void {
    const e = this.socks.get(name);
    if (!e) return;
    this.socks.delete(name);
    e.sock.close();
    this.closing.push(e.loop);
  }

  /** Receive loops of closed sockets, awaited at stop (their fds close when poll returns). */
  private closing: Promise<void>[] = [];

  private onFrame(entry: RelayLink, frame: Buffer): void {
    const udp = parseUdpFrame(frame);
    if (!udp || udp.dstPort !== this.port) return;
    let p;
    try {
      p = decodePacket(Buffer.from(udp.payload));
    } catch (e) {
      this.stats.malformed++;
      if (!(e instanceof DecodeError)) this.log.error({ err: (e as Error).message }, 'unexpected decode failure');
      return;
    }
    if (p.op === BOOTREQUEST) {
      // A unicast request to another host of this link is not ours to relay.
      if (udp.dstIp !== 0xffffffff && !this.own.has(udp.dstIp)) return;
      this.stats.requests++;
      const d = relayRequest(p, entry.iface, this.own, this.cfg.settings);
      if ('drop' in d) {
        this.stats.dropped++;
        this.log.info({ iface: entry.iface.name, hw: formatHw(p) }, `dropping request: ${d.drop}`);
        return;
      }
      const payload = encodeRelayed(d.forward);
      for (const server of this.cfg.servers) this.forward(payload, server, formatHw(p));
      return;
    }
    // Replies come to giaddr (one of our addresses).
    if (!this.own.has(udp.dstIp)) return;
    this.onReply(payload(udp.payload), entry.iface);
  }

  private forward(payload: Buffer, server: number, hw: string): void {
    const local = localServerFor(server);
    try {
      if (local) local.accept(payload, server, (reply) => this.onReply(reply, undefined));
      else this.udp?.send(payload, server, this.port);
      this.stats.forwarded++;
      this.log.info(`Forwarded BOOTREQUEST for ${hw} to ${formatIPv4(server)}${local ? ' (in process)' : ''}`);
    } catch (e) {
      this.stats.sendErrors++;
      this.log.warn({ err: (e as Error).message, server: formatIPv4(server) }, 'relay send failed');
    }
  }

  private onReply(buf: Buffer, from: RelayInterface | undefined): void {
    this.stats.replies++;
    let p;
    try {
      p = decodePacket(buf);
    } catch {
      this.stats.malformed++;
      return;
    }
    const d = relayReply(p, from, this.interfaces, this.cfg.settings);
    if ('drop' in d) {
      this.stats.dropped++;
      this.log.info({ from: from?.name ?? 'local server', hw: formatHw(p) }, `dropping reply: ${d.drop}`);
      return;
    }
    const out = [...this.socks.values()].find((s) => s.iface === d.iface);
    if (!out) {
      this.stats.dropped++;
      return;
    }
    try {
      const frame = buildUdpFrame({
        srcMac: out.link.mac,
        dstMac: d.dest.kind === 'hw' ? d.dest.mac : BROADCAST_MAC,
        srcIp: d.iface.addresses[0],
        dstIp: d.dest.kind === 'hw' ? d.dest.ip : 0xffffffff,
        srcPort: this.port,
        dstPort: this.port + 1,
        payload: encodeRelayed(d.deliver),
      });
      out.sock.send(frame);
      this.stats.delivered++;
      this.log.info(`Forwarded BOOTREPLY for ${formatHw(p)} to ${d.dest.kind === 'hw' ? formatIPv4(d.dest.ip) : '255.255.255.255'} via ${d.iface.name}`);
    } catch (e) {
      this.stats.sendErrors++;
      this.log.warn({ err: (e as Error).message }, 'relay reply send failed');
    }
  }

  async stop(): Promise<void> {
    this.log.info({ stats: this.stats }, 'dhcp relay stopping');
    await this.follower?.stop();
    const all = [...this.socks.values()];
    for (const s of all) s.sock.close();
    await Promise.all([...all.map((s) => s.loop), ...this.closing]);
    this.closing = [];
    this.socks.clear();
    this.udp?.close();
    this.udp = undefined;
  }
}

/** The receive slab is reused: keep a copy of a reply's bytes. */
function payload(b: Buffer): Buffer {
  return Buffer.from(b);
}

// The relay agent's edge: one AF_PACKET socket per relay interface hears client requests
// (broadcast to port 67) and server replies (to giaddr:67); requests go to every server
// through a UDP socket (the kernel routes them, as ISC's fallback socket does) or straight
// to this process's own DHCP server; replies go out of the giaddr link as raw frames, to
// the client's MAC or broadcast. Decisions are in relay.ts.

import type { Logger } from '../log.js';
import { BROADCAST_MAC, buildUdpFrame, parseUdpFrame } from '../net/frame.js';
import { listLinks, type Link } from '../net/link.js';
import { PacketSocket, UdpSender } from '../net/packet-io.js';
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

export class RelayAgent {
  readonly stats: RelayStats = { requests: 0, replies: 0, forwarded: 0, delivered: 0, dropped: 0, malformed: 0, sendErrors: 0 };
  private socks: { iface: RelayInterface; link: Link; sock: PacketSocket; loop: Promise<void> }[] = [];
  private udp?: UdpSender;
  private own = new Set<number>();
  private readonly port: number;

  constructor(
    private cfg: RelayAgentConfig,
    private log: Logger,
  ) {
    this.port = cfg.port ?? 67;
  }

  get interfaces(): RelayInterface[] {
    return this.socks.map((s) => s.iface);
  }

  async start(): Promise<void> {
    const all = listLinks();
    const chosen: { iface: RelayInterface; link: Link }[] = [];
    for (const c of this.cfg.interfaces) {
      const link = all.find((l) => l.name === c.name);
      if (!link) throw new Error(`relay: interface ${c.name} not found`);
      if (link.loopback) throw new Error(`relay: ${c.name} is a loopback interface`);
      if (!link.addresses.length) throw new Error(`relay: interface ${c.name} has no IPv4 address`);
      chosen.push({ iface: { name: c.name, addresses: link.addresses.map((a) => a.ip), upstream: c.upstream, downstream: c.downstream }, link });
    }
    for (const l of all) for (const a of l.addresses) this.own.add(a.ip);
    this.udp = new UdpSender(this.port);
    for (const { iface, link } of chosen) {
      const sock = new PacketSocket({ ifindex: link.index, udpDstPort: this.port, rcvbuf: 1 << 20 });
      const entry = { iface, link, sock, loop: Promise.resolve() };
      entry.loop = sock.loop(
        (f) => this.onFrame(entry, f),
        (err) => this.log.warn({ err: err.message, iface: iface.name }, 'relay receive error'),
      );
      this.socks.push(entry);
    }
    this.log.info(
      { interfaces: this.socks.map((s) => `${s.iface.name}${s.iface.upstream && s.iface.downstream ? '' : s.iface.upstream ? '(up)' : '(down)'}`), servers: this.cfg.servers.map(formatIPv4), agentInformation: this.cfg.settings.agentInformation },
      'dhcp relay serving',
    );
  }

  private onFrame(entry: { iface: RelayInterface; link: Link; sock: PacketSocket }, frame: Buffer): void {
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
    const out = this.socks.find((s) => s.iface === d.iface)!;
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
    for (const s of this.socks) s.sock.close();
    await Promise.all(this.socks.map((s) => s.loop));
    this.socks = [];
    this.udp?.close();
    this.udp = undefined;
  }
}

/** The receive slab is reused: keep a copy of a reply's bytes. */
function payload(b: Buffer): Buffer {
  return Buffer.from(b);
}

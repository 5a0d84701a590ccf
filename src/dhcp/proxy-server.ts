// proxyDHCP's edge: a packet socket per interface reads DHCPDISCOVERs to port 67 (so
// the machine's own DHCP server, or Triad's, keeps its UDP port 67), proxy offers leave
// as broadcast frames; a UDP socket on port 4011 answers boot-server requests. The
// decisions are proxy.ts's.

import dgram from 'node:dgram';
import type { PxeProxyConf } from '../config/pxe-proxy-conf.js';
import type { Logger } from '../log.js';
import { BROADCAST_MAC, buildUdpFrame, parseUdpFrame } from '../net/frame.js';
import type { Link } from '../net/link.js';
import { PacketSocket } from '../net/packet-io.js';
import { formatIPv4, ipNumber, ipv4Mask } from '../wire/ipv4.js';
import { decodePacket, encodePacket, formatHw } from './packet.js';
import { decideProxy, type ProxyDecision, type ProxyPort } from './proxy.js';

export const PXE_BOOT_SERVER_PORT = 4011;

export interface ProxyStats {
  received: number;
  malformed: number;
  ignored: number;
  offers: number;
  acks: number;
  sendErrors: number;
}

interface Served {
  link: Link;
  sock: PacketSocket;
  loop: Promise<void>;
}

export class ProxyDhcpServer {
  readonly stats: ProxyStats = { received: 0, malformed: 0, ignored: 0, offers: 0, acks: 0, sendErrors: 0 };
  private sockets = new Map<string, Served>();
  private closing: Promise<void>[] = [];
  private boot?: dgram.Socket;

  constructor(
    private conf: PxeProxyConf,
    private log: Logger,
    private bootPort = PXE_BOOT_SERVER_PORT,
  ) {}

  setConf(conf: PxeProxyConf): void {
    this.conf = conf;
  }

  get links(): string[] {
    return [...this.sockets.keys()];
  }

  async start(): Promise<void> {
    const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    sock.on('message', (msg, rinfo) => this.onBootServer(sock, msg, rinfo));
    sock.on('error', (err) => this.log.warn({ err: err.message }, 'pxe proxy: boot-server socket error'));
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(this.bootPort, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    this.boot = sock;
  }

  addLink(link: Link): void {
    this.removeLink(link.name);
    const sock = new PacketSocket({ ifindex: link.index, udpDstPort: 67 });
    const entry: Served = { link, sock, loop: Promise.resolve() };
    entry.loop = sock.loop(
      (frame) => this.onFrame(entry.link, sock, frame),
      (err) => this.log.warn({ err: err.message, iface: entry.link.name }, 'packet receive error'),
    );
    this.sockets.set(link.name, entry);
    this.log.info({ iface: link.name }, 'pxe proxy listening');
  }

  updateLink(link: Link): void {
    const e = this.sockets.get(link.name);
    if (e) e.link = link;
  }

  removeLink(name: string): void {
    const e = this.sockets.get(name);
    if (!e) return;
    this.sockets.delete(name);
    e.sock.close();
    this.closing.push(e.loop);
  }

  /** The link's address on a proxy range (the server identifier and default boot server). */
  private serverIpOn(link: Link): number | undefined {
    const inRange = link.addresses.find((a) => this.conf.ranges.some((r) => ((a.ip & ipv4Mask(r.prefixLen)) >>> 0) === r.network));
    return (inRange ?? link.addresses[0])?.ip;
  }

  private decide(payload: Buffer, port: ProxyPort, serverIp: number): ProxyDecision | undefined {
    this.stats.received++;
    let req;
    try {
      req = decodePacket(payload);
    } catch {
      this.stats.malformed++;
      return undefined;
    }
    let d: ProxyDecision;
    try {
      d = decideProxy(this.conf, req, port, serverIp);
    } catch (e) {
      this.stats.malformed++;
      this.log.error({ err: (e as Error).stack }, 'pxe proxy: request handling failed');
      return undefined;
    }
    if (!d.answer) {
      this.stats.ignored++;
      if (this.log.isLevelEnabled('debug')) this.log.debug({ client: formatHw(req), reason: d.reason }, 'pxe proxy: not answered');
      return undefined;
    }
    this.log.info({ client: formatHw(req), arch: d.arch, file: d.file, ...(d.tags.length ? { tags: d.tags } : {}) }, port === 'dhcp' ? 'pxe proxy offer' : 'pxe boot-server ack');
    return d;
  }

  private onFrame(link: Link, sock: PacketSocket, frame: Buffer): void {
    const udp = parseUdpFrame(frame);
    if (!udp || udp.dstPort !== 67) return;
    const serverIp = this.serverIpOn(link);
    if (serverIp === undefined) return;
    const d = this.decide(udp.payload, 'dhcp', serverIp);
    if (!d || !d.answer) return;
    try {
      const payload = encodePacket(d.packet, { order: d.order });
      if (d.dest.kind === 'relay') {
        this.boot?.send(payload, 67, formatIPv4(d.dest.ip));
      } else {
        sock.send(buildUdpFrame({ srcMac: link.mac, dstMac: BROADCAST_MAC, srcIp: serverIp, dstIp: 0xffffffff, srcPort: 67, dstPort: 68, payload }));
      }
      this.stats.offers++;
    } catch (e) {
      this.stats.sendErrors++;
      this.log.warn({ err: (e as Error).message }, 'pxe proxy: send failed');
    }
  }

  private onBootServer(sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    // The server identifier: our address on the client's network.
    const from = ipNumber(rinfo.address);
    let serverIp: number | undefined;
    for (const e of this.sockets.values()) {
      const a = e.link.addresses.find((x) => ((x.ip & ipv4Mask(x.prefixLen)) >>> 0) === ((from & ipv4Mask(x.prefixLen)) >>> 0));
      if (a) serverIp = a.ip;
    }
    if (serverIp === undefined) {
      this.stats.ignored++;
      return;
    }
    const d = this.decide(msg, 'boot-server', serverIp);
    if (!d || !d.answer) return;
    try {
      sock.send(encodePacket(d.packet, { order: d.order }), rinfo.port, rinfo.address);
      this.stats.acks++;
    } catch (e) {
      this.stats.sendErrors++;
      this.log.warn({ err: (e as Error).message }, 'pxe proxy: send failed');
    }
  }

  async stop(): Promise<void> {
    this.log.info({ stats: this.stats }, 'pxe proxy stopping');
    const all = [...this.sockets.values()];
    for (const s of all) s.sock.close();
    await Promise.all([...all.map((s) => s.loop), ...this.closing]);
    this.closing = [];
    this.sockets.clear();
    await new Promise<void>((r) => (this.boot ? this.boot.close(() => r()) : r()));
    this.boot = undefined;
  }
}

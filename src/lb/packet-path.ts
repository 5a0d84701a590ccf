// The packet engine's per-frame work, with no sockets: given a received frame (in
// a buffer with headroom before it), decide and rewrite in place. The result says
// where the (possibly moved) frame goes. NAT rewrites addresses and ports, DR only
// MACs, TUN prepends an outer IPv4 header (RFC 2003). Anything that is not a valid,
// unfragmented IPv4 TCP/UDP/ICMP frame addressed to a VIP, or a NAT reply, is never
// forwarded: VIP traffic is dropped and counted, other traffic is left to the kernel.

import type { LbAlgo } from '../config/keepalived-conf.js';
import { ARP_REPLY, ARP_REQUEST, arpReply, parseArp } from '../net/arp.js';
import { finish, sumRange } from '../net/checksum.js';
import { encapsulateIpip, IPIP_OVERHEAD } from '../net/ipip.js';
import { ETHERTYPE_ARP, newIpFrame, parseIpFrame, PROTO_ICMP, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_RST, TCP_SYN, type IpFrame } from '../net/ip-frame.js';
import { ConnTable, type Conn, type ConnTimeouts } from './conn-table.js';
import { completePartialChecksum, decrementTtl, rewriteDestination, rewriteSource } from './nat-rewrite.js';
import { PacketScheduler, type SchedServer } from './packet-sched.js';

export interface PathIface {
  index: number;
  mac: Buffer;
  /** Largest IP datagram this interface sends (its MTU). */
  mtu: number;
}

export interface PathServer extends SchedServer {
  ip: number;
  port: number;
  /** Next-hop MAC (the server's own on-link, else its gateway's). */
  mac?: Buffer;
  /** DR: the MAC the control plane resolved (kept over ARP learning). */
  dpMac?: string;
  /** Interface index frames to it leave by. */
  outIf: number;
  /** TUN: outer source address (the LB's address toward the server). */
  tunSrc: number;
  conns: number;
  inPkts: number;
  inBytes: number;
  outPkts: number;
  outBytes: number;
}

export interface PathVs {
  id: string;
  vip: number;
  port: number;
  proto: number;
  kind: 'NAT' | 'DR' | 'TUN';
  /** Interface the VIP is served on. */
  ifIndex: number;
  algo: LbAlgo;
  hashPort: boolean;
  persistence?: { timeout: number; mask: number };
  servers: PathServer[];
  sorry?: PathServer;
  /** The VIP is a VRRP address: served only while it is in `heldVips` (this box is master). */
  follow?: boolean;
  sched: PacketScheduler<PathServer>;
  persist: Map<number, { server: PathServer; expires: number }>;
}

/** Destination and source MACs of the frame at `at` (12 bytes; a call of TypedArray.set costs more). */
function setMacs(buf: Buffer, at: number, dst: Buffer, src: Buffer): void {
  buf[at] = dst[0];
  buf[at + 1] = dst[1];
  buf[at + 2] = dst[2];
  buf[at + 3] = dst[3];
  buf[at + 4] = dst[4];
  buf[at + 5] = dst[5];
  buf[at + 6] = src[0];
  buf[at + 7] = src[1];
  buf[at + 8] = src[2];
  buf[at + 9] = src[3];
  buf[at + 10] = src[4];
  buf[at + 11] = src[5];
}

export function buildPathVs(v: Omit<PathVs, 'sched' | 'persist'>, previous?: PathVs): PathVs {
  const list = v.sorry ? [v.sorry] : v.servers;
  return { ...v, sched: new PacketScheduler(v.algo, list, v.hashPort), persist: previous?.persist ?? new Map() };
}

export function vsKey(vip: number, port: number, proto: number): number {
  return vip * 0x20000 + port * 2 + (proto === PROTO_UDP ? 1 : 0);
}

/**
 * The virtual servers by vsKey, also indexed by port and protocol (a small integer
 * key) with the few VIPs of each in a list, so a packet's lookup builds no large
 * number key (vsKey exceeds a small integer and would be boxed per packet).
 */
export class VsTable extends Map<number, PathVs> {
  private readonly byPort = new Map<number, PathVs[]>();

  override set(k: number, v: PathVs): this {
    const old = super.get(k);
    super.set(k, v);
    // Called by Map's constructor before the index exists.
    if (!this.byPort) return this;
    const pk = v.port * 2 + (v.proto === PROTO_UDP ? 1 : 0);
    const list = (this.byPort.get(pk) ?? []).filter((x) => x !== old);
    list.push(v);
    this.byPort.set(pk, list);
    return this;
  }

  override delete(k: number): boolean {
    const old = super.get(k);
    if (!old || !super.delete(k)) return false;
    const pk = old.port * 2 + (old.proto === PROTO_UDP ? 1 : 0);
    const list = (this.byPort.get(pk) ?? []).filter((x) => x !== old);
    if (list.length) this.byPort.set(pk, list);
    else this.byPort.delete(pk);
    return true;
  }

  override clear(): void {
    super.clear();
    this.byPort.clear();
  }

  /** The virtual server for VIP:port/proto (TCP or UDP). */
  find(vip: number, port: number, proto: number): PathVs | undefined {
    const list = this.byPort.get(port * 2 + (proto === PROTO_UDP ? 1 : 0));
    if (!list) return undefined;
    for (let i = 0; i < list.length; i++) {
      const v = list[i];
      if (v.vip === vip && v.proto === proto) return v;
    }
    return undefined;
  }
}

export const enum Verdict {
  /** Not ours: the kernel's stack handles it. */
  Pass = 0,
  Drop = 1,
  /** Send out[ifIndex] the bytes [start, start+len) of the buffer. */
  Forward = 2,
  /** Send `reply` (a new frame) out ifIndex. */
  Reply = 3,
}

export interface PathResult {
  verdict: Verdict;
  ifIndex: number;
  start: number;
  len: number;
  reply?: Buffer;
  reason?: string;
}

export type DropCounters = Record<string, number>;

export class PacketPath {
  readonly vss = new VsTable();
  readonly ifaces = new Map<number, PathIface>();
  /** VIPs answered in ARP, per interface index (not VRRP addresses: the kernel answers for those where they are). */
  readonly vipsOn = new Map<number, Set<number>>();
  /** VRRP addresses present on this box's interfaces (it is master for them). */
  readonly heldVips = new Set<number>();
  readonly conns: ConnTable<PathServer>;
  readonly drops: DropCounters = Object.create(null) as DropCounters;
  forwarded = 0;
  private readonly f: IpFrame = newIpFrame();
  private readonly inner: IpFrame = newIpFrame();
  readonly res: PathResult = { verdict: Verdict.Pass, ifIndex: 0, start: 0, len: 0 };
  /** Learned from ARP traffic: (ifIndex, ip, mac). */
  onArp?: (ifIndex: number, ip: number, mac: Buffer) => void;
  now = Date.now();

  constructor(timeouts?: ConnTimeouts) {
    this.conns = new ConnTable<PathServer>(timeouts);
  }

  drop(reason: string): PathResult {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
    this.res.verdict = Verdict.Drop;
    this.res.reason = reason;
    return this.res;
  }

  private pass(): PathResult {
    this.res.verdict = Verdict.Pass;
    this.res.reason = undefined;
    return this.res;
  }

  /**
   * One frame at buf[start, start+len) received on ifIndex. `wireLen` is its length
   * before capture truncation; `partial` means its L4 checksum is only the
   * pseudo-header sum (TP_STATUS_CSUMNOTREADY). `start` must have IPIP_OVERHEAD bytes
   * of headroom for TUN.
   */
  handle(buf: Buffer, start: number, len: number, wireLen: number, ifIndex: number, partial: boolean): PathResult {
    const ifc = this.ifaces.get(ifIndex);
    if (!ifc || len < 14) return this.pass();
    const type = (buf[start + 12] << 8) | buf[start + 13];
    if (type === ETHERTYPE_ARP) return this.arp(buf, start, len, ifc);
    // Only frames sent to this interface's MAC: the LB answers ARP for VIPs with it.
    const m = ifc.mac;
    if (buf[start] !== m[0] || buf[start + 1] !== m[1] || buf[start + 2] !== m[2] || buf[start + 3] !== m[3] || buf[start + 4] !== m[4] || buf[start + 5] !== m[5]) return this.pass();
    const f = this.f;
    const r = parseIpFrame(buf, start, len, f);
    if (r === 'not-ip') return this.pass();
    if (r !== 'ok') {
      // Malformed or fragmented: ours to drop when it was aimed at a VIP, else the kernel's.
      return this.isVipBytes(buf, start, len) ? this.drop(r) : this.pass();
    }
    if (wireLen > len) return this.isVip(f.dst) ? this.drop('oversize') : this.pass();
    const vs = f.proto === PROTO_ICMP ? undefined : this.vss.find(f.dst, f.dport, f.proto);
    if (vs) return this.inbound(buf, start, vs, partial);
    if (f.proto === PROTO_ICMP) return this.icmp(buf, start, partial);
    if (this.isVip(f.dst)) return this.drop('no-service');
    // A NAT reply from a real server?
    const c = this.conns.findReply(f.proto, f.src, f.sport, f.dst, f.dport);
    if (!c) return this.pass();
    return this.reply(buf, start, c, partial);
  }

  private isVip(ip: number): boolean {
    for (const s of this.vipsOn.values()) if (s.has(ip)) return true;
    return false;
  }

  private isVipBytes(buf: Buffer, start: number, len: number): boolean {
    if (len < 14 + 20) return false;
    const o = start + 30;
    return this.isVip(((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0);
  }

  private arp(buf: Buffer, start: number, len: number, ifc: PathIface): PathResult {
    const a = parseArp(buf, start, len);
    if (!a) return this.pass();
    if (a.senderIp !== 0) this.onArp?.(ifc.index, a.senderIp, a.senderMac);
    if (a.op === ARP_REQUEST && a.senderIp !== a.targetIp && this.vipsOn.get(ifc.index)?.has(a.targetIp)) {
      this.res.verdict = Verdict.Reply;
      this.res.ifIndex = ifc.index;
      this.res.reply = arpReply(a, ifc.mac);
      return this.res;
    }
    void ARP_REPLY;
    return this.pass();
  }

  private schedule(vs: PathVs, src: number, sport: number): PathServer | undefined {
    if (vs.persistence) {
      const k = (src & vs.persistence.mask) >>> 0;
      const t = vs.persist.get(k);
      if (t && t.expires > this.now && t.server.usable && t.server.weight > 0 && (vs.sorry ? t.server === vs.sorry : t.server !== vs.sorry)) {
        t.expires = this.now + vs.persistence.timeout * 1000;
        return t.server;
      }
      const s = vs.sched.pick(src, sport, vs.vip);
      if (s) vs.persist.set(k, { server: s, expires: this.now + vs.persistence.timeout * 1000 });
      return s;
    }
    return vs.sched.pick(src, sport, vs.vip);
  }

  private inbound(buf: Buffer, start: number, vs: PathVs, partial: boolean): PathResult {
    const f = this.f;
    // A backup of a VRRP address keeps (synced) flows but forwards nothing until it takes the address.
    if (vs.follow && !this.heldVips.has(vs.vip)) return this.drop('not-master');
    let c = this.conns.findIn(f.proto, f.src, f.sport, f.dst, f.dport);
    const syn = f.proto === PROTO_TCP && (f.flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN;
    if (c && syn && (c.state === 'TIME_WAIT' || c.state === 'CLOSE')) {
      // A new connection reusing the ports: schedule it afresh (IPVS conn_reuse_mode).
      this.conns.remove(c);
      c = undefined;
    }
    if (c && !c.server.usable) {
      // The server died (health check): its flows end here, as IPVS expire_nodest_conn.
      this.conns.remove(c);
      return this.drop('server-down');
    }
    if (!c) {
      if (f.proto === PROTO_TCP && !syn) return this.drop('no-connection');
      const s = this.schedule(vs, f.src, f.sport);
      if (!s) return this.drop('no-server');
      if (!s.mac) return this.drop('no-neighbour');
      c = this.conns.add({ proto: f.proto, cIp: f.src, cPort: f.sport, vIp: f.dst, vPort: f.dport, rIp: s.ip, rPort: s.port, server: s, clientMac: Buffer.from(buf.subarray(start + 6, start + 12)), vs }, this.now, f.flags);
      s.conns++;
    } else {
      this.conns.track(c, f.flags, true, this.now);
    }
    const s = c.server;
    s.inPkts++;
    s.inBytes += f.end - f.ip;
    return this.forwardToServer(buf, start, vs, s, partial);
  }

  private forwardToServer(buf: Buffer, start: number, vs: PathVs, s: PathServer, partial: boolean): PathResult {
    const f = this.f;
    const out = this.ifaces.get(s.outIf);
    if (!out || !s.mac) return this.drop('no-neighbour');
    const ipLen = f.end - f.ip;
    if (vs.kind === 'TUN') {
      if (ipLen + IPIP_OVERHEAD > out.mtu) return this.drop('too-big-for-tunnel');
      if (partial) completePartialChecksum(buf, f);
      const o = encapsulateIpip(buf, f.ip, ipLen, s.tunSrc, s.ip);
      const eth = o - 14;
      setMacs(buf, eth, s.mac, out.mac);
      buf[eth + 12] = 0x08;
      buf[eth + 13] = 0x00;
      return this.forward(out.index, eth, ipLen + IPIP_OVERHEAD + 14);
    }
    if (ipLen > out.mtu) return this.drop('oversize');
    if (vs.kind === 'NAT') {
      if (!decrementTtl(buf, f)) return this.drop('ttl-exceeded');
      rewriteDestination(buf, f, s.ip, s.port, partial);
    } else if (partial) completePartialChecksum(buf, f);
    setMacs(buf, start, s.mac, out.mac);
    return this.forward(out.index, start, ipLen + 14);
  }

  private forward(ifIndex: number, start: number, len: number): PathResult {
    this.forwarded++;
    this.res.reason = undefined;
    this.res.verdict = Verdict.Forward;
    this.res.ifIndex = ifIndex;
    this.res.start = start;
    this.res.len = len;
    return this.res;
  }

  private reply(buf: Buffer, start: number, c: Conn<PathServer>, partial: boolean): PathResult {
    const f = this.f;
    const vs = c.vs as PathVs;
    const out = this.ifaces.get(vs.ifIndex);
    if (!out || !c.clientMac) return this.drop('no-neighbour');
    const ipLen = f.end - f.ip;
    if (ipLen > out.mtu) return this.drop('oversize');
    if (!decrementTtl(buf, f)) return this.drop('ttl-exceeded');
    this.conns.track(c, f.flags, false, this.now);
    c.server.outPkts++;
    c.server.outBytes += ipLen;
    rewriteSource(buf, f, c.vIp, c.vPort, partial);
    setMacs(buf, start, c.clientMac, out.mac);
    return this.forward(out.index, start, ipLen + 14);
  }

  /**
   * ICMP to a VIP: "fragmentation needed" (RFC 792 type 3 code 4, RFC 1191) about a
   * reply we sent goes to the real server that owns the connection, rewritten for
   * NAT so the server's stack matches it (IPVS ip_vs_in_icmp). Other ICMP to a VIP
   * is dropped; the kernel never sees VIP traffic.
   */
  private icmp(buf: Buffer, start: number, partial: boolean): PathResult {
    const f = this.f;
    if (!this.isVip(f.dst)) return this.pass();
    const t = buf[f.l4];
    if (t !== 3 || buf[f.l4 + 1] !== 4) return this.drop('icmp-to-vip');
    // The quoted datagram: our reply, VIP:VPORT → client:CPORT (at least 8 L4 bytes, RFC 792).
    const qi = f.l4 + 8;
    const inner = this.inner;
    if (f.end - qi < 28 || buf[qi] >> 4 !== 4) return this.drop('icmp-bad-quote');
    const qihl = (buf[qi] & 15) * 4;
    if (qihl < 20 || f.end - qi < qihl + 8) return this.drop('icmp-bad-quote');
    inner.ip = qi;
    inner.proto = buf[qi + 9];
    inner.src = buf.readUInt32BE(qi + 12);
    inner.dst = buf.readUInt32BE(qi + 16);
    inner.l4 = qi + qihl;
    inner.sport = buf.readUInt16BE(inner.l4);
    inner.dport = buf.readUInt16BE(inner.l4 + 2);
    if (inner.proto !== PROTO_TCP && inner.proto !== PROTO_UDP) return this.drop('icmp-bad-quote');
    const c = this.conns.findIn(inner.proto, inner.dst, inner.dport, inner.src, inner.sport);
    if (!c) return this.drop('icmp-no-connection');
    const vs = c.vs as PathVs;
    const s = c.server;
    if (vs.kind === 'NAT') {
      // Quoted header: source VIP:VPORT becomes RIP:RPORT (its checksum fixed; the
      // quoted L4 checksum may be cut short, so it is left as it is).
      buf.writeUInt32BE(s.ip, qi + 12);
      buf.writeUInt16BE(s.port, inner.l4);
      buf[qi + 10] = 0;
      buf[qi + 11] = 0;
      buf.writeUInt16BE(finish(sumRange(buf, qi, qi + qihl)), qi + 10);
      // Outer: destination VIP becomes RIP; ICMP checksum over the whole message.
      rewriteDestination(buf, f, s.ip, 0, false);
      buf[f.l4 + 2] = 0;
      buf[f.l4 + 3] = 0;
      buf.writeUInt16BE(finish(sumRange(buf, f.l4, f.end)), f.l4 + 2);
      if (!decrementTtl(buf, f)) return this.drop('ttl-exceeded');
      const out = this.ifaces.get(s.outIf);
      if (!out || !s.mac) return this.drop('no-neighbour');
      buf.set(s.mac, start);
      buf.set(out.mac, start + 6);
      return this.forward(out.index, start, f.end - f.ip + 14);
    }
    return this.forwardToServer(buf, start, vs, s, partial);
  }

  /** Expires connections and persistence entries. */
  sweep(now: number): void {
    this.now = now;
    this.conns.expire(now);
    for (const vs of this.vss.values()) for (const [k, t] of vs.persist) if (t.expires <= now) vs.persist.delete(k);
  }
}

// The DHCP server's edge: AF_PACKET sockets per interface in, decisions from the pure
// engine, their lease records made durable, then applied to memory, then replies out as
// raw frames (broadcast or to the client's MAC) or through a UDP socket (to relays and to
// clients' ciaddr).

import { LogLimit, type Logger } from '../log.js';
import { BROADCAST_MAC, buildUdpFrame, parseUdpFrame } from '../net/frame.js';
import type { Link } from '../net/link.js';
import { PacketSocket, UdpSender } from '../net/packet-io.js';
import { formatIPv4 } from '../config/dhcp-options.js';
import { abandonProbed, decide, type EngineState, type Reply } from './engine.js';
import { Landing } from './landing.js';
import { Pinger } from '../net/icmp.js';
import { registerLocalServer } from './local-handoff.js';
import type { DhcpPacket } from './packet.js';
import { destinationText } from './reply.js';
import type { NameEvent } from '../net/name-registration.js';
import type { LeaseStore } from './lease-store.js';
import { leaseKey, type Lease } from './lease.js';
import type { TypeCounters } from './kea-stats.js';
import type { Changes } from './changes.js';
import { BOOTREQUEST, DecodeError, OPT, decodePacket, encodePacket } from './packet.js';

/**
 * A partner server's say in what this one does (the HA pair, ha/): which requests it
 * answers, and what happens between a lease being durable and its reply leaving.
 */
export interface ServerHooks {
  /** False: this request is the partner's to answer (or service is disabled); it is dropped. */
  admit(req: DhcpPacket): boolean;
  /** Called once the records are durable, before the reply; false: the reply is not sent. */
  committed(commit: Lease[]): Promise<boolean>;
}

export interface DhcpStats {
  received: number;
  malformed: number;
  ignored: number;
  replies: number;
  acks: number;
  sendErrors: number;
  /** Lease records that could not be written (their replies were not sent). */
  leaseWriteErrors: number;
}

interface Served {
  link: Link;
  sock: PacketSocket;
  loop: Promise<void>;
}

export class DhcpServer {
  private sockets = new Map<string, Served>();
  private udp?: UdpSender;
  /** True when the UDP socket on the port wakes the packet sockets' loops (UdpSender.withWakeups). */
  private wakeups = false;
  readonly stats: DhcpStats = { received: 0, malformed: 0, ignored: 0, replies: 0, acks: 0, sendErrors: 0, leaseWriteErrors: 0 };
  /** Requests and replies by DHCP message type (option 53; 0 for BOOTP): Kea's pkt4-*-received/sent. */
  readonly types: TypeCounters = { received: new Float64Array(256), sent: new Float64Array(256) };
  /** DISCOVERs for which no address was free (Kea's v4-allocation-fail). */
  allocationFailures = 0;
  private sendFailures = new LogLimit();
  /** Lease records reach the disk here before memory changes or a reply leaves. */
  private landing: Landing;
  /** Addresses of the served links; the same Set object is registered for the in-process relay. */
  private serverIds = new Set<number>();
  private pinger?: Pinger;
  private unregister?: () => void;
  /** Called with the host names of a decision once its leases are on disk. */
  publishNames?: (events: NameEvent[]) => void;
  /** The HA partner's hooks, when the server is one of a pair. */
  hooks?: ServerHooks;
  /** True for an interface whose clients this box leaves to another (a VRRP backup there). */
  standby?: (iface: string) => boolean;

  constructor(
    private st: EngineState,
    private store: LeaseStore,
    private log: Logger,
    private port = 67,
    private clientPort = 68,
  ) {
    this.landing = new Landing(store);
    st.inFlight = this.landing.inFlight;
  }

  /**
   * Opens the UDP socket; links are served as they become usable (addLink), so the
   * server starts before its interfaces have carrier or addresses.
   */
  async start(): Promise<void> {
    // The UDP socket sends to relays (giaddr:67) and to renewing clients' ciaddr, where the
    // kernel's routing and ARP are right; it also keeps the kernel from answering relayed
    // requests with ICMP port-unreachable. Requests themselves are read on the packet sockets.
    const woken = await UdpSender.withWakeups(
      this.port,
      () => {
        for (const e of this.sockets.values()) e.sock.kick();
      },
      (err) => this.log.warn({ err: err.message }, 'dhcp udp socket error'),
    );
    this.wakeups = woken !== undefined;
    this.udp = woken ?? new UdpSender(this.port);
    // Said once, in users' words: how a request wakes the server.
    this.log.info(
      this.wakeups
        ? `dhcp: requests to UDP port ${this.port} wake the server on its event loop; the packet sockets are polled on a helper thread only when idle`
        : 'dhcp: requests are awaited with poll() on a helper thread (the UDP socket cannot be watched on the event loop here)',
    );
    for (const e of this.sockets.values()) e.sock.wakeups = this.wakeups;
    this.unregister = registerLocalServer({ addresses: this.serverIds, accept: (p, to, deliver) => this.acceptLocal(p, to, deliver) });
  }

  /** Names of the links served now. */
  get links(): string[] {
    return [...this.sockets.keys()];
  }

  /** Serves `link`: one packet socket bound to its index. */
  addLink(link: Link): void {
    this.removeLink(link.name);
    const sock = new PacketSocket({ ifindex: link.index, udpDstPort: this.port, rcvbuf: 1 << 20 });
    sock.wakeups = this.wakeups;
    const entry: Served = { link, sock, loop: Promise.resolve() };
    entry.loop = sock.loop(
      (frame) => this.onFrame(entry.link, sock, frame),
      (err) => this.log.warn({ err: err.message, iface: entry.link.name }, 'packet receive error'),
    );
    this.sockets.set(link.name, entry);
    this.refreshIds();
    this.log.info({ iface: link.name, addresses: link.addresses.map((a) => `${formatIPv4(a.ip)}/${a.prefixLen}`) }, 'dhcp listening');
  }

  /** The same link (same index) with new addresses: the socket stays. */
  updateLink(link: Link): void {
    const e = this.sockets.get(link.name);
    if (!e) return;
    e.link = link;
    this.refreshIds();
    this.log.info({ iface: link.name, addresses: link.addresses.map((a) => `${formatIPv4(a.ip)}/${a.prefixLen}`) }, 'dhcp interface addresses changed');
  }

  removeLink(name: string): void {
    const e = this.sockets.get(name);
    if (!e) return;
    this.sockets.delete(name);
    e.sock.close();
    this.closing.push(e.loop);
    this.refreshIds();
  }

  /** Receive loops of closed sockets, awaited at stop (their fds close when poll returns). */
  private closing: Promise<void>[] = [];

  private refreshIds(): void {
    this.serverIds.clear();
    for (const e of this.sockets.values()) for (const a of e.link.addresses) this.serverIds.add(a.ip);
  }

  /**
   * Requests from a relay agent of this same process: decided exactly like ones from the
   * wire, the replies for the relay handed back to it (no trip through the kernel).
   */
  private acceptLocal(payload: Buffer, to: number, deliver: (reply: Buffer) => void): void {
    const all = [...this.sockets.values()];
    const entry = all.find((s) => s.link.addresses.some((a) => a.ip === to)) ?? all[0];
    if (!entry) return;
    this.stats.received++;
    let req;
    try {
      req = decodePacket(payload);
    } catch {
      this.stats.malformed++;
      return;
    }
    if (req.op !== BOOTREQUEST) {
      this.stats.ignored++;
      return;
    }
    this.decide(entry.link, entry.sock, req, 0, false, deliver);
  }

  setState(st: EngineState): void {
    st.inFlight = this.landing.inFlight;
    this.st = st;
  }

  private onFrame(link: Link, sock: PacketSocket, frame: Buffer): void {
    this.stats.received++;
    if (this.standby?.(link.name)) {
      this.stats.ignored++;
      return;
    }
    const udp = parseUdpFrame(frame);
    if (!udp || udp.dstPort !== this.port) {
      this.stats.ignored++;
      return;
    }
    let req;
    try {
      req = decodePacket(udp.payload);
    } catch (e) {
      this.stats.malformed++;
      if (!(e instanceof DecodeError)) this.log.error({ err: (e as Error).message }, 'unexpected decode failure');
      return;
    }
    if (req.op !== BOOTREQUEST) {
      this.stats.ignored++;
      return;
    }
    this.decide(link, sock, req, 0, udp.dstIp === 0xffffffff);
  }

  /**
   * `triad ctl dhcp release ADDR`: what a DHCPRELEASE from the client does (handlers.ts
   * onRelease): the address is free once its record is on disk, its DNS name goes, and
   * an HA partner hears of it. Undefined when ADDR has no active lease.
   */
  async release(ip: number): Promise<Lease | undefined> {
    const l = this.st.db.get(ip);
    if (!l || l.state !== 'active') return undefined;
    const now = Math.floor(Date.now() / 1000);
    const freed: Lease = { ...l, state: 'free', ends: now, cltt: now };
    await this.land({ commit: [freed], offers: [], cursors: [] });
    this.publishNames?.([{ kind: 'unbind', ip, owner: leaseKey(l) }]);
    await this.hooks?.committed([freed]).catch(() => false);
    this.log.info(`DHCPRELEASE of ${formatIPv4(ip)} by triad ctl (found)`);
    return freed;
  }

  /** Lands changes that come from elsewhere (a lease from the HA partner): durable, then in memory. */
  land(ch: Changes): Promise<void> {
    return new Promise((resolve, reject) => this.landing.land(this.st, ch, resolve, reject));
  }

  private decide(link: Link, sock: PacketSocket, req: DhcpPacket, probes: number, broadcast: boolean, deliver?: (reply: Buffer) => void): void {
    const st = this.st;
    if (probes === 0) {
      this.types.received[req.options.get(OPT.MESSAGE_TYPE)?.[0] ?? 0]++;
    }
    if (probes === 0 && this.hooks && !this.hooks.admit(req)) {
      this.stats.ignored++;
      return;
    }
    let decision;
    try {
      decision = decide(st, req, link, Date.now(), this.serverIds, broadcast);
    } catch (e) {
      // A bug must not take the server down: count it, log it, drop the packet.
      this.stats.malformed++;
      this.log.error({ err: (e as Error).stack }, 'request handling failed');
      return;
    }
    if (decision.allocationFailed) this.allocationFailures++;
    const reply = decision.reply;
    const probe = decision.probe;
    const writeFailed = (err: Error): void => this.writeFailed(err);
    if (probe && reply && probes < 3) {
      // The offer is held (in memory; an offer writes nothing) while the address is probed.
      this.landing.land(st, decision, () => this.probeThenOffer(st, link, sock, req, probes, broadcast, decision, reply, probe, deliver), writeFailed);
      return;
    }
    if (this.log.isLevelEnabled('info')) this.log.info(decision.log());
    const wrote = decision.commit.length > 0;
    // An ACK leaves only once its lease is on disk: a crash after this loses nothing acknowledged.
    this.landing.land(
      st,
      decision,
      () => {
        if (!wrote) {
          if (reply) this.send(link, sock, reply, deliver);
          return;
        }
        if (decision.names?.length) this.publishNames?.(decision.names);
        const answer = (): void => {
          if (!reply) return;
          this.stats.acks++;
          this.send(link, sock, reply, deliver);
        };
        if (!this.hooks) return answer();
        // The partner hears of the lease before the client does (Kea's HA default).
        this.hooks.committed(decision.commit).then(
          (ok) => (ok ? answer() : this.stats.ignored++),
          () => this.stats.ignored++,
        );
      },
      writeFailed,
    );
  }

  private writeFailed(err: Error): void {
    this.stats.leaseWriteErrors++;
    this.log.error({ err: err.message }, 'lease write failed; reply not sent');
  }

  private probeThenOffer(st: EngineState, link: Link, sock: PacketSocket, req: DhcpPacket, probes: number, broadcast: boolean, decision: { log: () => string }, reply: Reply, probe: { ip: number; timeoutMs: number }, deliver?: (reply: Buffer) => void): void {
    if (!this.pinger) {
      this.pinger = new Pinger();
      try {
        this.pinger.start();
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'ping-check: no ICMP socket; offering without probing');
      }
    }
    const ip = formatIPv4(probe.ip);
    this.pinger.probe(probe.ip, probe.timeoutMs).then((answered) => {
      if (!answered) {
        if (this.log.isLevelEnabled('info')) this.log.info(decision.log());
        this.send(link, sock, reply, deliver);
        return;
      }
      // RFC 2131 §2.2: the address is in use by someone else. Quarantine it (on disk, then
      // in memory), choose again.
      this.log.warn(`Abandoning IP address ${ip}: pinged before offer`);
      this.landing.land(st, abandonProbed(st, probe.ip, Date.now()), () => this.decide(link, sock, req, probes + 1, broadcast, deliver), (err: Error) => this.writeFailed(err));
    }, () => this.send(link, sock, reply, deliver));
  }

  private send(link: Link, sock: PacketSocket, r: Reply, deliver?: (reply: Buffer) => void): void {
    let payload: Buffer;
    try {
      payload = encodePacket(r.packet, { order: r.order, maxSize: r.maxSize });
    } catch (e) {
      this.stats.sendErrors++;
      this.log.error({ err: (e as Error).message }, 'reply encoding failed');
      return;
    }
    this.stats.replies++;
    this.types.sent[r.packet.options.get(OPT.MESSAGE_TYPE)?.[0] ?? 0]++;
    const d = r.dest;
    try {
      if (deliver && d.kind === 'relay') {
        deliver(payload);
        return;
      }
      if (d.kind === 'relay' || d.kind === 'unicast') {
        const port = d.kind === 'relay' ? (d.ip === 0x7f000001 ? this.clientPort : d.port) : this.clientPort;
        this.udp?.send(payload, d.ip, port);
        return;
      }
      const srcIp = link.addresses[0]?.ip ?? 0;
      const frame = buildUdpFrame({
        srcMac: link.mac,
        dstMac: d.kind === 'hw' ? d.mac : BROADCAST_MAC,
        srcIp: r.packet.options.get(OPT.SERVER_ID)?.readUInt32BE(0) ?? srcIp,
        dstIp: d.kind === 'hw' ? d.ip : 0xffffffff,
        srcPort: this.port,
        dstPort: this.clientPort,
        payload,
      });
      sock.send(frame);
    } catch (e) {
      this.stats.sendErrors++;
      // A missing route fails every reply: one line per 10 s, saying where to and how many more.
      const a = this.sendFailures.admit();
      if (a.log) this.log.warn({ err: (e as Error).message, iface: link.name, to: destinationText(d, this.clientPort), notLogged: a.notLogged }, 'dhcp send failed');
    }
  }

  async stop(): Promise<void> {
    this.log.info({ stats: this.stats }, 'dhcp stopping');
    this.unregister?.();
    await this.pinger?.stop();
    const all = [...this.sockets.values()];
    for (const s of all) s.sock.close();
    await Promise.all([...all.map((s) => s.loop), ...this.closing]);
    this.closing = [];
    this.sockets.clear();
    this.udp?.close();
    this.udp = undefined;
  }
}


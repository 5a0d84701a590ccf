// The userspace packet engine: Triad forwards DR, NAT and TUN traffic itself over
// AF_PACKET (batched recvmmsg/sendmmsg, src/net/packet-batch.ts), with its own
// connection table, so it runs where nftables is missing or locked down and serves
// the schedulers that need live connection counts (lc, wlc, sed, nq).
//
// Keeping the kernel quiet about VIPs without nft or user sysctls: the VIP is never
// added to an interface; Triad answers ARP for it (and sends a gratuitous ARP at
// start). Frames to a VIP therefore reach a host that does not own the address, and
// with forwarding off on the served interfaces (set here, and logged) the kernel
// drops them silently (no RST, no ICMP unreachable; ip_error() with forwarding
// disabled only counts). The ETH_P_ALL socket sees them before that drop.
// Needs CAP_NET_RAW (sockets) and CAP_NET_ADMIN (ethtool -K gro/lro off, sysctls).

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Logger } from '../log.js';
import { arpRequest, gratuitousArpFrame } from '../net/arp.js';
import { PROTO_TCP, PROTO_UDP } from '../net/ip-frame.js';
import { formatIPv4, ipNumber } from '../wire/ipv4.js';
import { formatMac, macBytes } from '../wire/mac.js';
import { findLink } from '../net/link.js';
import { linkWatcher, readiness, usable, type LinkTable } from '../net/link-watch.js';
import { BatchPacketSocket, pollReadable, TP_STATUS_CSUMNOTREADY, TP_STATUS_VLAN_VALID } from '../net/packet-batch.js';
import type { ConnTimeouts } from './conn-table.js';
import type { Datapath, DesiredState, DpServer, DpVirtualServer, ServerCounters } from './datapath.js';
import { counterKey } from './datapath.js';
import { SysctlChanges } from './host.js';
import { OffloadChanges } from './offloads.js';
import { applyGuard, guardRuleset, type GuardEntry } from './vrrp-guard.js';
import { buildPathVs, PacketPath, Verdict, vsKey, type PathServer, type PathVs } from './packet-path.js';

const run = promisify(execFile);

interface Route {
  dev: string;
  nextHop: number;
  src: number;
}

/** Parses `ip -j route get` output. */
export function parseRouteGet(json: string): { dev: string; gateway?: string; prefsrc?: string } | undefined {
  try {
    const j = JSON.parse(json) as Array<{ dev?: string; gateway?: string; prefsrc?: string }>;
    return j[0]?.dev ? { dev: j[0].dev, gateway: j[0].gateway, prefsrc: j[0].prefsrc } : undefined;
  } catch {
    return undefined;
  }
}

export interface PacketEngineOptions {
  timeouts?: ConnTimeouts;
  /** Frames per recvmmsg call. */
  batch?: number;
  /**
   * Receive through memory-mapped rings where the kernel allows it (the default;
   * TRIAD_PACKET_RING=0 asks for recvmmsg): at saturation (bench:lb, quiet machine) they
   * forwarded more packets per CPU-second than recvmmsg, most in NAT, where each packet
   * crosses the engine once per direction.
   */
  ring?: boolean;
}

export class PacketEngine implements Datapath {
  readonly name = 'packet';
  readonly path: PacketPath;
  private socks = new Map<number, BatchPacketSocket>();
  /** The same sockets as a list and by interface index, for the loop (no Map walk per batch or lookup per frame). */
  private sockList: BatchPacketSocket[] = [];
  private sockIfs: number[] = [];
  private sockByIf: Array<BatchPacketSocket | undefined> = [];
  private ifNames = new Map<string, number>();
  private routes = new Map<string, Route>();
  /** Resolved next hops: `ifIndex/ip` → MAC. */
  private arpCache = new Map<string, Buffer>();
  private announced = new Set<string>();
  private loopRunning?: Promise<void>;
  private closed = false;
  private timer?: NodeJS.Timeout;
  private servers = new Map<string, PathServer>();
  /** The last desired state, applied again when a served link is created anew. */
  private lastState?: DesiredState;
  private links?: LinkTable;
  private unwatch?: () => Promise<void>;
  /** Sockets of links that went away, closed by the loop once its poll() has returned. */
  private retired: BatchPacketSocket[] = [];
  /** Served links (ifindex) last seen without carrier: a gratuitous ARP goes out when they come up. */
  private down = new Set<number>();
  private applying: Promise<void> = Promise.resolve();
  /** VRRP addresses served, per interface index: VRRP adds them on the master. */
  private followOn = new Map<number, Set<number>>();
  /** The kernel guard's rule set last installed (vrrp-guard.ts), to skip unchanged ones. */
  private guardText = '';
  /** Forwarding turned off on served interfaces, put back at stop. */
  private readonly sysctls: SysctlChanges;
  private rxMode?: 'ring' | 'recvmmsg';
  /** Frames the kernel dropped before the engine saw them (receive buffer or ring full). */
  private rxKernelDrops = 0;
  /** GRO/LRO turned off on served interfaces, put back at stop. */
  private readonly offloads: OffloadChanges;

  constructor(
    private readonly log: Logger,
    private readonly opts: PacketEngineOptions = {},
  ) {
    this.sysctls = new SysctlChanges(log);
    this.offloads = new OffloadChanges(log);
    this.path = new PacketPath(opts.timeouts);
    this.path.onArp = (ifIndex, ip, mac) => this.learn(ifIndex, ip, mac);
  }

  async reset(): Promise<void> {
    // Only the guard of VRRP addresses outlives the process (a crash): start without it.
    await applyGuard(guardRuleset([])).catch(() => undefined);
  }

  private learn(ifIndex: number, ip: number, mac: Buffer): void {
    const k = `${ifIndex}/${ip}`;
    const old = this.arpCache.get(k);
    if (old && old.equals(mac)) return;
    this.arpCache.set(k, Buffer.from(mac));
    for (const s of this.servers.values()) {
      const r = this.routes.get(formatIPv4(s.ip));
      if (r && s.outIf === ifIndex && r.nextHop === ip && !s.dpMac) s.mac = Buffer.from(mac);
    }
    this.log.debug({ ip: formatIPv4(ip), mac: formatMac(mac) }, 'neighbour learned');
  }

  private async route(ip: string): Promise<Route | undefined> {
    const cached = this.routes.get(ip);
    if (cached) return cached;
    try {
      const { stdout } = await run('ip', ['-j', 'route', 'get', ip]);
      const r = parseRouteGet(stdout);
      if (!r) return undefined;
      const route = { dev: r.dev, nextHop: ipNumber(r.gateway ?? ip), src: r.prefsrc ? ipNumber(r.prefsrc) : 0 };
      this.routes.set(ip, route);
      return route;
    } catch (e) {
      this.log.warn({ ip, err: (e as Error).message }, 'no route to real server');
      return undefined;
    }
  }

  private async iface(name: string): Promise<number | undefined> {
    const known = this.ifNames.get(name);
    if (known !== undefined) return known;
    const l = findLink(name);
    if (!l) return undefined;
    let mtu = 1500;
    try {
      mtu = Number(readFileSync(`/sys/class/net/${name}/mtu`, 'utf8').trim()) || 1500;
    } catch {
      // keep 1500
    }
    // GRO/LRO would hand us superpackets larger than the MTU, which cannot be re-sent.
    await this.offloads.turnOff(name).catch((e: { stderr?: string; message?: string }) => this.log.debug({ iface: name, err: (e.stderr ?? e.message ?? '').trim() }, 'ethtool -K gro/lro off (best effort)'));
    // Forwarding off on served interfaces: the kernel then drops VIP frames silently.
    await this.sysctls.set(`net.ipv4.conf.${name}.forwarding`, '0').catch((e: Error) => this.log.warn({ iface: name, err: e.message }, 'cannot turn forwarding off; the kernel may forward VIP traffic itself'));
    const sock = new BatchPacketSocket({ ifindex: l.index, batch: this.opts.batch, ring: this.opts.ring ?? process.env.TRIAD_PACKET_RING !== '0' });
    this.logRxMode(sock);
    this.socks.set(l.index, sock);
    this.indexSockets();
    this.ifNames.set(name, l.index);
    this.path.ifaces.set(l.index, { index: l.index, mac: l.mac, mtu });
    if (this.links?.links.has(l.index) && !usable(this.links.links.get(l.index)!)) {
      this.down.add(l.index);
      const r = this.links ? readiness(this.links, name) : undefined;
      this.log.warn({ iface: name, reason: r && !r.ok ? r.reason : undefined }, `waiting for interface ${name}: ${r && !r.ok ? r.reason : 'not running'}`);
    }
    this.log.info({ iface: name, mtu }, 'packet engine serving interface');
    return l.index;
  }

  /** Says once how frames are received (and again if that changes, e.g. a ring refused on a new link). */
  private logRxMode(sock: BatchPacketSocket): void {
    if (sock.rxMode === this.rxMode) return;
    this.rxMode = sock.rxMode;
    if (sock.rxMode === 'ring') this.log.info({ receive: 'ring' }, 'packet engine receives through memory-mapped rings (TPACKET_V2): no system call per received batch');
    else if (sock.ringError) this.log.warn({ receive: 'recvmmsg', reason: sock.ringError }, `packet engine receives with recvmmsg batches: the kernel refused a memory-mapped ring (${sock.ringError})`);
    else this.log.info({ receive: 'recvmmsg' }, 'packet engine receives with recvmmsg batches');
  }

  /** Serialised: a link change re-applies the last state between the control plane's applies. */
  apply(state: DesiredState): Promise<void> {
    const run = this.applying.then(() => this.applyNow(state));
    this.applying = run.catch(() => undefined);
    return run;
  }

  private async applyNow(state: DesiredState): Promise<void> {
    if (!this.unwatch) {
      // Links are followed through netlink: a served link that goes away and comes back
      // (a new ifindex) gets a new socket; one that comes up again is announced again.
      const w = linkWatcher();
      this.unwatch = await w.subscribe((table) => this.onLinks(table), this.log);
      this.links = w.table;
    }
    this.lastState = state;
    const vss = new Map<number, PathVs>();
    const vipsOn = new Map<number, Set<number>>();
    const followOn = new Map<number, Set<number>>();
    const guarded: GuardEntry[] = [];
    const servers = new Map<string, PathServer>();
    const mkServer = async (vs: DpVirtualServer, d: DpServer, vsIf: number): Promise<PathServer> => {
      const key = `${vs.id}/${d.id}`;
      const prev = this.servers.get(key);
      const s: PathServer = prev ?? { id: d.id, ip: ipNumber(d.ip), port: d.port, weight: 0, usable: false, outIf: vsIf, tunSrc: 0, conns: 0, inPkts: 0, inBytes: 0, outPkts: 0, outBytes: 0, activeConns: 0, inactConns: 0 };
      s.weight = d.weight;
      if (vs.kind === 'DR') {
        s.outIf = vsIf;
        s.dpMac = d.mac;
        s.mac = d.mac ? macBytes(d.mac) : undefined;
      } else {
        const r = await this.route(d.ip);
        const idx = r ? await this.iface(r.dev) : undefined;
        if (r && idx !== undefined) {
          s.outIf = idx;
          s.tunSrc = r.src;
          s.mac = this.arpCache.get(`${idx}/${r.nextHop}`) ?? s.mac;
        }
      }
      s.usable = d.alive;
      servers.set(key, s);
      return s;
    };
    for (const vs of state.vss) {
      const ifIndex = await this.iface(vs.iface);
      if (ifIndex === undefined) {
        this.log.error({ vs: vs.id, iface: vs.iface }, 'interface not found');
        continue;
      }
      const list: PathServer[] = [];
      for (const d of vs.servers) list.push(await mkServer(vs, d, ifIndex));
      const sorry = vs.sorry ? await mkServer(vs, vs.sorry, ifIndex) : undefined;
      const vip = ipNumber(vs.vip);
      const proto = vs.proto === 'tcp' ? PROTO_TCP : PROTO_UDP;
      const k = vsKey(vip, vs.port, proto);
      const prefix = vs.persistence?.prefix ?? 32;
      vss.set(
        k,
        buildPathVs(
          {
            id: vs.id, vip, port: vs.port, proto, kind: vs.kind, ifIndex, algo: vs.algo, hashPort: vs.hashPort,
            persistence: vs.persistence ? { timeout: vs.persistence.timeout, mask: prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0 } : undefined,
            servers: list, sorry, follow: vs.vrrp,
          },
          this.path.vss.get(k),
        ),
      );
      // A VRRP address is the kernel's to answer in ARP, on the master only.
      const set = vs.vrrp ? followOn : vipsOn;
      if (!set.has(ifIndex)) set.set(ifIndex, new Set());
      set.get(ifIndex)!.add(vip);
      if (vs.vrrp) guarded.push({ iface: vs.iface, vip: vs.vip, port: vs.port, proto: vs.proto });
    }
    // Swap in one step (the loop runs between awaits, never inside this block).
    this.path.vss.clear();
    for (const [k, v] of vss) this.path.vss.set(k, v);
    this.path.vipsOn.clear();
    for (const [k, v] of vipsOn) this.path.vipsOn.set(k, v);
    this.servers = servers;
    this.followOn = followOn;
    this.updateHeld();
    const byVsId = new Map([...vss.values()].map((v) => [v.id, v]));
    this.path.conns.rebind((c) => `${(c.vs as PathVs).id}/${c.server.id}`, servers, (c) => byVsId.get((c.vs as PathVs).id));
    this.resolveMissing();
    this.announce();
    await this.guard(guarded);
    if (!this.loopRunning) {
      this.loopRunning = this.loop().catch((e: Error) => this.log.error({ err: e.message }, 'packet engine loop failed'));
      this.timer = setInterval(() => {
        this.path.sweep(Date.now());
        this.resolveMissing();
      }, 1000);
    }
  }

  /** Gratuitous ARP for each VIP not yet announced on its link, when the link is running. */
  private announce(): void {
    for (const [ifIndex, vips] of this.path.vipsOn) {
      const link = this.links?.links.get(ifIndex);
      if (link && !usable(link)) continue; // sent when it comes up
      for (const vip of vips) {
        const k = `${ifIndex}/${vip}`;
        if (this.announced.has(k)) continue;
        const ifc = this.path.ifaces.get(ifIndex)!;
        try {
          this.socks.get(ifIndex)?.sendNow(gratuitousArpFrame(ifc.mac, vip));
        } catch (e) {
          this.log.warn({ vip: formatIPv4(vip), ifIndex, err: (e as Error).message }, 'gratuitous ARP failed; retried when the link changes');
          continue;
        }
        this.announced.add(k);
        this.log.info({ vip: formatIPv4(vip), ifIndex }, 'gratuitous ARP sent (VIP answered in ARP by the packet engine)');
      }
    }
  }

  /** Netlink: served links that went away or were created again, or came up again. */
  private onLinks(table: LinkTable): void {
    this.links = table;
    this.updateHeld();
    let reapply = false;
    let reannounce = false;
    for (const [name, idx] of [...this.ifNames]) {
      const l = table.byName(name);
      if (!l || l.index !== idx) {
        // The socket is bound to an ifindex that is gone: retire it, open a new one on reapply.
        const sock = this.socks.get(idx);
        if (sock) this.retired.push(sock);
        this.socks.delete(idx);
        this.indexSockets();
        this.ifNames.delete(name);
        this.path.ifaces.delete(idx);
        for (const k of [...this.announced]) if (k.startsWith(`${idx}/`)) this.announced.delete(k);
        this.routes.clear();
        this.down.delete(idx);
        this.guardText = ''; // the guard's chain went with the link
        this.log.warn({ iface: name }, l ? `interface ${name} was created again: reopening its socket` : `waiting for interface ${name}: no such interface`);
        reapply = true;
      } else if (!usable(l)) {
        const r = readiness(table, name);
        const why = r.ok ? 'down' : r.reason;
        if (!this.down.has(idx)) this.log.warn({ iface: name, reason: why }, `waiting for interface ${name}: ${why}`);
        this.down.add(idx);
        for (const k of [...this.announced]) if (k.startsWith(`${idx}/`)) this.announced.delete(k);
      } else if (this.down.delete(idx)) {
        this.log.info({ iface: name }, `interface ${name} is ready now`);
        reannounce = true;
      }
    }
    // A link not served yet (missing at the last apply) may have appeared.
    if (!reapply && this.lastState?.vss.some((v) => !this.ifNames.has(v.iface) && table.byName(v.iface))) reapply = true;
    if (reapply && this.lastState) void this.apply(this.lastState).catch((e: Error) => this.log.error({ err: e.message }, 're-applying after a link change failed'));
    else if (reannounce) {
      this.announce();
      this.resolveMissing();
    }
  }

  /** Which VRRP addresses are on their interfaces now: this box is master for those. */
  private updateHeld(): void {
    const held = new Set<number>();
    for (const [ifIndex, vips] of this.followOn) {
      const l = this.links?.links.get(ifIndex);
      for (const vip of vips) if (l?.addresses.some((a) => a.ip === vip)) held.add(vip);
    }
    const h = this.path.heldVips;
    for (const vip of held) if (!h.has(vip)) this.log.info({ vip: formatIPv4(vip) }, 'VRRP address present: the packet engine serves it (master)');
    for (const vip of h) if (!held.has(vip)) this.log.info({ vip: formatIPv4(vip) }, 'VRRP address gone: the packet engine stands by for it (backup)');
    h.clear();
    for (const vip of held) h.add(vip);
  }

  /** Installs (or removes) the kernel guard for VRRP addresses; a failure is logged, never fatal. */
  private async guard(entries: GuardEntry[]): Promise<void> {
    const text = guardRuleset(entries);
    if (text === this.guardText || (!entries.length && !this.guardText)) return;
    try {
      await applyGuard(text);
      this.guardText = text;
      if (entries.length) this.log.info({ guarded: entries.map((e) => `${e.vip}:${e.port}/${e.proto}`) }, 'kernel guard installed for VRRP addresses (nft netdev ingress drop; the packet engine still sees the frames)');
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'cannot install the nft guard for VRRP addresses: on the master the kernel will reset connections to them');
    }
  }

  /** ARP requests for next hops not yet known (NAT and TUN; DR MACs come from the control plane). */
  private resolveMissing(): void {
    for (const s of this.servers.values()) {
      if (s.mac) continue;
      const r = this.routes.get(formatIPv4(s.ip));
      const ifc = this.path.ifaces.get(s.outIf);
      if (!r || !ifc) continue;
      this.socks.get(s.outIf)?.sendNow(arpRequest(ifc.mac, r.src, r.nextHop));
    }
  }

  private indexSockets(): void {
    this.sockList = [...this.socks.values()];
    this.sockIfs = [...this.socks.keys()];
    this.sockByIf = [];
    for (const [i, s] of this.socks) this.sockByIf[i] = s;
  }

  private async loop(): Promise<void> {
    const path = this.path;
    let quiet = 0;
    /** poll() said ready: if the rings turn out empty, a socket error woke it. */
    let woke = false;
    while (!this.closed) {
      if (quiet > 2) {
        const ready = await pollReadable([...this.socks.values()].map((s) => s.fd), 200);
        this.closeRetired();
        if (this.closed) break;
        if (!ready) continue;
        quiet = 0;
        woke = true;
      }
      let got = 0;
      path.now = Date.now();
      const list = this.sockList;
      const ifs = this.sockIfs;
      const byIf = this.sockByIf;
      for (let k = 0; k < list.length; k++) {
        const sock = list[k];
        const ifIndex = ifs[k];
        let n: number;
        try {
          n = sock.recv();
        } catch (e) {
          // A link going down reports ENETDOWN once on its socket; the link watcher says why.
          if (/errno 100\b/.test((e as Error).message)) this.log.debug({ ifIndex }, 'link down');
          else this.log.error({ err: (e as Error).message }, 'receive failed');
          continue;
        }
        if (n === 0) continue;
        got += n;
        const rx = sock.rx;
        const meta = sock.meta;
        for (let i = 0; i < n; i++) {
          const m = meta[i];
          if (m.status & TP_STATUS_VLAN_VALID) continue; // tagged traffic is not ours
          const r = path.handle(rx, sock.slotOffset(i), m.len, m.wireLen, ifIndex, (m.status & TP_STATUS_CSUMNOTREADY) !== 0);
          if (r.verdict === Verdict.Forward) byIf[r.ifIndex]?.queue(sock.rxAddr, r.start, r.len);
          else if (r.verdict === Verdict.Reply && r.reply) byIf[r.ifIndex]?.sendNow(r.reply);
        }
        // Queued frames live in this socket's receive slots: send before the next receive.
        for (let j = 0; j < list.length; j++) if (list[j].pending) list[j].flush();
      }
      if (woke && !got) this.takeErrors();
      woke = false;
      quiet = got ? 0 : quiet + 1;
      this.closeRetired();
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** Ring sockets' pending errors (a link went down): taken, so poll() sleeps again and the next send is not failed with it. */
  private takeErrors(): void {
    for (let k = 0; k < this.sockList.length; k++) {
      const sock = this.sockList[k];
      if (sock.rxMode !== 'ring') continue;
      const e = sock.takeError();
      if (e === 100) this.log.debug({ ifIndex: this.sockIfs[k] }, 'link down');
      else if (e) this.log.warn({ ifIndex: this.sockIfs[k], errno: e }, 'packet socket error');
    }
  }

  /** Called only between polls, so no poll() on a worker thread still watches these fds. */
  private closeRetired(): void {
    for (const s of this.retired.splice(0)) s.close();
  }

  async counters(state: DesiredState): Promise<Map<string, ServerCounters>> {
    const out = new Map<string, ServerCounters>();
    for (const vs of state.vss) {
      for (const rs of [...vs.servers, ...(vs.sorry ? [vs.sorry] : [])]) {
        const s = this.servers.get(`${vs.id}/${rs.id}`);
        out.set(counterKey(vs, rs), { conns: s?.conns ?? 0, inPkts: s?.inPkts ?? 0, inBytes: s?.inBytes ?? 0, outPkts: s?.outPkts ?? 0, outBytes: s?.outBytes ?? 0, active: s?.activeConns ?? 0 });
      }
    }
    return out;
  }

  /** Engine-wide counters: forwarded frames, drops by reason, table size. */
  stats(): { forwarded: number; drops: Record<string, number>; connections: number; txDropped: number; rxKernelDrops: number } {
    let txDropped = 0;
    for (const s of this.socks.values()) {
      txDropped += s.txDropped;
      this.rxKernelDrops += s.kernelDrops();
    }
    return { forwarded: this.path.forwarded, drops: { ...this.path.drops }, connections: this.path.conns.size, txDropped, rxKernelDrops: this.rxKernelDrops };
  }

  async remove(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.unwatch?.();
    await this.applying;
    await this.loopRunning;
    this.closeRetired();
    const final = this.stats();
    for (const s of this.socks.values()) s.close();
    this.socks.clear();
    this.indexSockets();
    this.path.conns.clear();
    if (this.guardText) await applyGuard(guardRuleset([])).catch(() => undefined);
    await this.sysctls.restore();
    await this.offloads.restore();
    this.log.info(final, 'packet engine stopped');
  }
}

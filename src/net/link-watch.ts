// Following this host's links and IPv4 addresses as they change, from rtnetlink
// (rtnetlink(7)): one AF_NETLINK socket joined to RTMGRP_LINK and RTMGRP_IPV4_IFADDR,
// filled first by an RTM_GETLINK and an RTM_GETADDR dump, then kept current by the
// kernel's notifications. Services subscribe and (re)open what they need when a link
// comes up, gets an address, goes away or comes back with a new index — as dnsmasq's
// bind-dynamic and keepalived do — instead of failing at start.
//
// Why a netlink socket through koffi (already how the project reaches libc, see
// packet-io.ts) rather than `ip -o monitor link address` as a child process: the dump
// and the notifications come from the same socket in order, so there is no window
// between "read the current state" and "start listening"; a lost notification is
// reported by the kernel (ENOBUFS) and answered with a fresh dump; the messages are
// binary structures with a stable ABI, parsed by pure functions below, where ip's text
// output varies between iproute2 versions; and no helper process can die unnoticed.
// os.networkInterfaces() cannot be used for this: it lists only links that are up and
// RUNNING, so an interface without carrier looks as if it had no address at all.

import koffi from 'koffi';
import type { Logger } from '../log.js';
import { errnoText, lib } from './packet-io.js';
import type { Link } from './link.js';

// linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h, linux/if.h
const AF_NETLINK = 16;
const NETLINK_ROUTE = 0;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0x80000;
const RTMGRP_LINK = 0x1;
const RTMGRP_IPV4_IFADDR = 0x10;
const NLMSG_NOOP = 1;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLMSG_OVERRUN = 4;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
const RTM_GETADDR = 22;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_OPERSTATE = 16;
/** RFC 2863 operational state as Linux reports it (IF_OPER_DORMANT). */
const IF_OPER_DORMANT = 5;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const AF_INET = 2;
export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
/** Operationally up: carrier, and not dormant (dev_get_flags). */
export const IFF_RUNNING = 0x40;
export const IFF_LOWER_UP = 0x10000;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const MSG_DONTWAIT = 0x40;
const EAGAIN = 11;
const EINTR = 4;
const ENOBUFS = 105;
/** How often queued notifications are read. */
const POLL_MS = 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- pure: messages → events ------------------------------------------------------

export type NetlinkEvent =
  | { kind: 'link'; op: 'new' | 'del'; index: number; name?: string; flags: number; mac?: Buffer; mtu?: number; operstate?: number }
  | { kind: 'addr'; op: 'new' | 'del'; index: number; ip: number; prefixLen: number }
  | { kind: 'done'; seq: number }
  | { kind: 'error'; seq: number; errno: number }
  | { kind: 'overrun' };

const align4 = (n: number): number => (n + 3) & ~3;

/** rtattrs in buf[start, end) → type → value (later duplicates win, as the kernel never sends any). */
function attrs(buf: Buffer, start: number, end: number): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let o = start;
  while (o + 4 <= end) {
    const len = buf.readUInt16LE(o);
    const type = buf.readUInt16LE(o + 2) & 0x3fff; // strip NLA_F_NESTED / NLA_F_NET_BYTEORDER
    if (len < 4 || o + len > end) break;
    out.set(type, buf.subarray(o + 4, o + len));
    o += align4(len);
  }
  return out;
}

/**
 * Parses one datagram read from a NETLINK_ROUTE socket (a sequence of nlmsghdr-framed
 * messages, host byte order: little-endian on the machines Triad runs on). Messages it
 * does not follow (other families, other types) and truncated ones are skipped.
 */
export function parseNetlink(buf: Buffer): NetlinkEvent[] {
  const out: NetlinkEvent[] = [];
  let o = 0;
  while (o + 16 <= buf.length) {
    const len = buf.readUInt32LE(o);
    const type = buf.readUInt16LE(o + 4);
    const seq = buf.readUInt32LE(o + 8);
    if (len < 16 || o + len > buf.length) break;
    const body = o + 16;
    const end = o + len;
    if (type === NLMSG_DONE) out.push({ kind: 'done', seq });
    else if (type === NLMSG_ERROR && end - body >= 4) {
      const err = -buf.readInt32LE(body);
      if (err !== 0) out.push({ kind: 'error', seq, errno: err });
      else out.push({ kind: 'done', seq }); // an ACK
    } else if (type === NLMSG_OVERRUN) out.push({ kind: 'overrun' });
    else if ((type === RTM_NEWLINK || type === RTM_DELLINK) && end - body >= 16) {
      // struct ifinfomsg { u8 family, pad; u16 type; s32 index; u32 flags; u32 change; }
      const index = buf.readInt32LE(body + 4);
      const flags = buf.readUInt32LE(body + 8);
      const a = attrs(buf, body + 16, end);
      const nameAttr = a.get(IFLA_IFNAME);
      const mtu = a.get(IFLA_MTU);
      const mac = a.get(IFLA_ADDRESS);
      const oper = a.get(IFLA_OPERSTATE);
      out.push({
        kind: 'link',
        op: type === RTM_NEWLINK ? 'new' : 'del',
        index,
        flags,
        name: nameAttr ? nameAttr.toString('latin1').replace(/\0.*$/s, '') : undefined,
        mtu: mtu && mtu.length >= 4 ? mtu.readUInt32LE(0) : undefined,
        mac: mac ? Buffer.from(mac) : undefined,
        operstate: oper && oper.length >= 1 ? oper[0] : undefined,
      });
    } else if ((type === RTM_NEWADDR || type === RTM_DELADDR) && end - body >= 8) {
      // struct ifaddrmsg { u8 family, prefixlen, flags, scope; u32 index; }
      const family = buf[body];
      if (family === AF_INET) {
        const prefixLen = buf[body + 1];
        const index = buf.readUInt32LE(body + 4);
        const a = attrs(buf, body + 8, end);
        // IFA_LOCAL is this host's address; IFA_ADDRESS is the peer's on point-to-point links.
        const v = a.get(IFA_LOCAL) ?? a.get(IFA_ADDRESS);
        if (v && v.length >= 4) out.push({ kind: 'addr', op: type === RTM_NEWADDR ? 'new' : 'del', index, ip: v.readUInt32BE(0), prefixLen });
      }
    } else if (type !== NLMSG_NOOP) {
      // not ours
    }
    o += align4(len);
  }
  return out;
}

// ---- pure: the table of links ----------------------------------------------------

/** A link as the watcher knows it; a superset of net/link.ts's Link. */
export interface WatchedLink extends Link {
  flags: number;
  /** Operationally up (IFF_RUNNING): administratively up and with carrier. */
  running: boolean;
  /** Carrier (IFF_LOWER_UP). */
  carrier: boolean;
  /** Waiting for an external event (802.1X) although it has carrier: IF_OPER_DORMANT. */
  dormant: boolean;
  mtu: number;
}

/**
 * Up and with carrier, not dormant: frames can be sent and received. Carrier rather than
 * IFF_RUNNING, which follows it only after the kernel's link-watch delay (up to a second).
 */
export function usable(l: WatchedLink): boolean {
  return l.up && l.carrier && !l.dormant;
}

export class LinkTable {
  readonly links = new Map<number, WatchedLink>();

  byName(name: string): WatchedLink | undefined {
    for (const l of this.links.values()) if (l.name === name) return l;
    return undefined;
  }

  /** Every IPv4 address on any link. */
  allAddresses(): Set<number> {
    const s = new Set<number>();
    for (const l of this.links.values()) for (const a of l.addresses) s.add(a.ip);
    return s;
  }

  /** Applies one event; returns the names of the links it changed (old and new names on a rename). */
  apply(ev: NetlinkEvent): string[] {
    if (ev.kind === 'link') {
      const old = this.links.get(ev.index);
      if (ev.op === 'del') {
        if (!old) return [];
        this.links.delete(ev.index);
        return [old.name];
      }
      const name = ev.name ?? old?.name ?? `if${ev.index}`;
      const next: WatchedLink = {
        name,
        index: ev.index,
        mac: ev.mac ?? old?.mac ?? Buffer.alloc(6),
        addresses: old?.addresses ?? [],
        flags: ev.flags,
        up: (ev.flags & IFF_UP) !== 0,
        running: (ev.flags & IFF_RUNNING) !== 0,
        carrier: (ev.flags & IFF_LOWER_UP) !== 0,
        dormant: ev.operstate !== undefined ? ev.operstate === IF_OPER_DORMANT : (old?.dormant ?? false),
        broadcast: (ev.flags & IFF_BROADCAST) !== 0,
        loopback: (ev.flags & IFF_LOOPBACK) !== 0,
        mtu: ev.mtu ?? old?.mtu ?? 1500,
      };
      if (old && old.name === next.name && old.flags === next.flags && old.dormant === next.dormant && old.mtu === next.mtu && old.mac.equals(next.mac)) return [];
      this.links.set(ev.index, next);
      return old && old.name !== name ? [old.name, name] : [name];
    }
    if (ev.kind === 'addr') {
      const l = this.links.get(ev.index);
      if (!l) return [];
      const has = l.addresses.findIndex((a) => a.ip === ev.ip && a.prefixLen === ev.prefixLen);
      if (ev.op === 'new') {
        if (has >= 0) return [];
        // The kernel sends the primary address first; keep arrival order (primary first).
        l.addresses = [...l.addresses, { ip: ev.ip, prefixLen: ev.prefixLen }];
      } else {
        if (has < 0) return [];
        l.addresses = l.addresses.filter((_, i) => i !== has);
      }
      return [l.name];
    }
    return [];
  }
}

export type Readiness = { ok: true; link: WatchedLink } | { ok: false; reason: string; link?: WatchedLink };

export interface Needs {
  /** An IPv4 address (a DHCP server's server identifier, a relay's giaddr). */
  address?: boolean;
  /** Loopback is refused (packet services on a LAN). */
  noLoopback?: boolean;
}

/** Whether `name` can be served now, and if not, the reason a user should read. */
export function readiness(table: LinkTable, name: string, needs: Needs = {}): Readiness {
  const link = table.byName(name);
  if (!link) return { ok: false, reason: 'no such interface' };
  if (needs.noLoopback && link.loopback) return { ok: false, reason: 'a loopback interface', link };
  if (!link.up) return { ok: false, reason: 'administratively down', link };
  if (!link.carrier) return { ok: false, reason: 'no carrier', link };
  if (link.dormant) return { ok: false, reason: 'dormant (waiting for authentication)', link };
  if (needs.address && !link.addresses.length) return { ok: false, reason: 'no IPv4 address', link };
  return { ok: true, link };
}

export interface Held {
  index: number;
  /** linkKey() of the link when last opened or updated. */
  key: string;
}

/** What a service holding a socket on a link must do when the link's readiness changes. */
export type LinkAction = 'open' | 'reopen' | 'update' | 'close' | 'none';

/**
 * `held`: the ifindex and linkKey the service is using now (undefined when it holds
 * nothing). A packet socket is bound to an ifindex: a link that went away and came back
 * has a new one, so the socket is reopened; new addresses on the same link only update.
 */
export function linkAction(held: Held | undefined, r: Readiness): LinkAction {
  if (!r.ok) return held ? 'close' : 'none';
  if (!held) return 'open';
  if (held.index !== r.link.index) return 'reopen';
  return held.key !== linkKey(r.link) ? 'update' : 'none';
}

/** What a holder compares to notice a change of address or MAC on the same link. */
export function linkKey(l: Link): string {
  return `${l.mac.toString('hex')} ${l.addresses.map((a) => `${a.ip}/${a.prefixLen}`).join(',')}`;
}

// ---- the socket ------------------------------------------------------------------

function request(type: number, seq: number, family: number): Buffer {
  const bodyLen = type === RTM_GETLINK ? 16 : 8; // ifinfomsg or ifaddrmsg
  const b = Buffer.alloc(16 + bodyLen);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
  b.writeUInt32LE(seq, 8);
  b[16] = family;
  return b;
}

export type LinkListener = (table: LinkTable, changed: ReadonlySet<string>) => void;

/**
 * One rtnetlink socket for the whole process, shared by every subscriber; it is opened
 * by the first subscribe() and closed when the last subscriber leaves.
 */
export class LinkWatcher {
  table = new LinkTable();
  private fd = -1;
  private closed = false;
  private seq = 1;
  private listeners = new Set<LinkListener>();
  private loopDone?: Promise<void>;
  private buf = Buffer.alloc(1 << 16);
  private log?: Logger;

  /** `rcvbuf`: the socket's receive buffer (bytes); a small one lets tests provoke ENOBUFS. */
  constructor(private readonly opts: { rcvbuf?: number } = {}) {}

  private open(): void {
    const c = lib();
    const fd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) throw new Error(`netlink socket: ${errnoText()}`);
    try {
      const v = Buffer.alloc(4);
      v.writeInt32LE(this.opts.rcvbuf ?? 1 << 20);
      if (this.opts.rcvbuf !== undefined || c.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, v, 4) < 0) c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, v, 4);
      // struct sockaddr_nl { u16 family; u16 pad; u32 pid; u32 groups; }
      const sa = Buffer.alloc(12);
      sa.writeUInt16LE(AF_NETLINK, 0);
      sa.writeUInt32LE(RTMGRP_LINK | RTMGRP_IPV4_IFADDR, 8);
      if (c.bind(fd, sa, 12) < 0) throw new Error(`netlink bind: ${errnoText()}`);
    } catch (e) {
      c.close(fd);
      throw e;
    }
    this.fd = fd;
  }

  /** Reads what is queued; 'overrun' when the kernel dropped notifications (ENOBUFS). */
  private drain(onEvents: (evs: NetlinkEvent[]) => void): 'ok' | 'overrun' {
    for (;;) {
      const n = lib().recv(this.fd, this.buf, this.buf.length, MSG_DONTWAIT);
      if (n < 0) {
        const e = koffi.errno();
        if (e === EAGAIN || e === EINTR) return 'ok';
        if (e === ENOBUFS) return 'overrun';
        throw new Error(`netlink recv: ${errnoText()}`);
      }
      if (n === 0) return 'ok';
      onEvents(parseNetlink(this.buf.subarray(0, n)));
    }
  }

  /** Runs one dump to its NLMSG_DONE, applying everything read meanwhile to `table`. */
  private async dump(table: LinkTable, type: number, family: number): Promise<void> {
    const seq = this.seq++;
    const req = request(type, seq, family);
    if (lib().send(this.fd, req, req.length, 0) < 0) throw new Error(`netlink send: ${errnoText()}`);
    let done = false;
    const deadline = Date.now() + 10_000;
    while (!done) {
      if (this.closed) return;
      if (Date.now() > deadline) throw new Error('netlink dump did not finish');
      await sleep(5);
      const r = this.drain((evs) => {
        for (const ev of evs) {
          if ((ev.kind === 'done' || ev.kind === 'error') && ev.seq === seq) done = true;
          else table.apply(ev);
        }
      });
      if (r === 'overrun') throw new Error('netlink overrun during dump');
    }
  }

  /** A complete, fresh table: links first (addresses need their link), then addresses. */
  private async snapshot(): Promise<LinkTable> {
    for (let attempt = 0; ; attempt++) {
      const t = new LinkTable();
      try {
        // Notifications still queued are older than the dump: applied to the fresh table they
        // would bring back a link whose deletion was lost. Anything after this comes in order.
        while (this.drain(() => undefined) === 'overrun');
        await this.dump(t, RTM_GETLINK, 0);
        await this.dump(t, RTM_GETADDR, AF_INET);
        return t;
      } catch (e) {
        if (attempt >= 3 || !/overrun/.test((e as Error).message)) throw e;
      }
    }
  }

  private async start(): Promise<void> {
    this.open();
    this.table = await this.snapshot();
    this.loopDone = this.loop();
  }

  // The socket is read without blocking every POLL_MS on the main thread rather than with
  // poll() on a worker thread (as the packet sockets are): link changes need no sub-second
  // reaction, and this holds no thread of libuv's small pool, which lease writes also use.
  private async loop(): Promise<void> {
    while (!this.closed) {
      await sleep(POLL_MS);
      if (this.closed) break;
      const changed = new Set<string>();
      let r: 'ok' | 'overrun';
      try {
        r = this.drain((evs) => {
          for (const ev of evs) for (const n of this.table.apply(ev)) changed.add(n);
        });
      } catch (e) {
        this.log?.error({ err: (e as Error).message }, 'link watcher: reading netlink failed');
        await new Promise((res) => setTimeout(res, 1000));
        continue;
      }
      if (r === 'overrun') {
        // Notifications were lost: read the whole state again and tell everyone.
        this.log?.warn('link watcher: netlink notifications lost (ENOBUFS); reading all links again');
        try {
          const fresh = await this.snapshot();
          const names = new Set([...[...this.table.links.values()].map((l) => l.name), ...[...fresh.links.values()].map((l) => l.name)]);
          this.table = fresh;
          for (const n of names) changed.add(n);
        } catch (e) {
          this.log?.error({ err: (e as Error).message }, 'link watcher: re-reading links failed');
        }
      }
      if (changed.size) this.notify(changed);
    }
    lib().close(this.fd);
    this.fd = -1;
  }

  private notify(changed: ReadonlySet<string>): void {
    for (const l of [...this.listeners]) {
      try {
        l(this.table, changed);
      } catch (e) {
        this.log?.error({ err: (e as Error).stack }, 'link watcher: a subscriber failed');
      }
    }
  }

  private starting?: Promise<void>;

  /** Subscribes; resolves once the current state is known (the listener is not called for it). */
  async subscribe(listener: LinkListener, log?: Logger): Promise<() => Promise<void>> {
    this.log ??= log;
    if (!this.starting) {
      const previous = this.loopDone;
      this.starting = (async () => {
        await previous; // a socket being closed by the last unsubscribe finishes first
        this.closed = false;
        await this.start();
      })();
    }
    try {
      await this.starting;
    } catch (e) {
      this.starting = undefined;
      throw e;
    }
    this.listeners.add(listener);
    return async () => {
      if (!this.listeners.delete(listener) || this.listeners.size) return;
      this.closed = true;
      this.starting = undefined;
      await this.loopDone;
    };
  }
}

let shared: LinkWatcher | undefined;

/** The process's one link watcher. */
export function linkWatcher(): LinkWatcher {
  shared ??= new LinkWatcher();
  return shared;
}

// ---- following named links -------------------------------------------------------

export interface FollowHandlers {
  /** The link became usable (or came back with a new index): open what it needs. Throwing leaves it closed. */
  open(link: WatchedLink): void;
  /** Same link, new addresses or MAC. */
  update(link: WatchedLink): void;
  /** The link is no longer usable: close what was opened on it. */
  close(name: string, reason: string): void;
}

/** Which links a service wants now, each with its readiness. */
export type LinkSelection = (table: LinkTable) => Map<string, Readiness>;

/**
 * Keeps a service's per-link sockets in step with the links: opens on a link that
 * becomes usable, closes on one that stops being usable, reopens on a new ifindex, and
 * logs once per change what it waits for and why.
 */
export class LinkFollower {
  readonly held = new Map<string, Held>();
  private waiting = new Map<string, string>();
  private unsubscribe?: () => Promise<void>;

  constructor(
    private readonly select: LinkSelection,
    private readonly handlers: FollowHandlers,
    private readonly log: Logger,
    private readonly watcher: LinkWatcher = linkWatcher(),
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.watcher.subscribe(() => this.sync(), this.log);
    this.sync();
  }

  /** Reasons for the links waited for now (name → reason). */
  get waitingFor(): ReadonlyMap<string, string> {
    return this.waiting;
  }

  get table(): LinkTable {
    return this.watcher.table;
  }

  sync(): void {
    const wanted = this.select(this.watcher.table);
    for (const name of this.held.keys()) if (!wanted.has(name)) wanted.set(name, { ok: false, reason: 'no longer selected' });
    for (const [name, r] of wanted) {
      const held = this.held.get(name);
      const action = linkAction(held, r);
      if (action === 'close' || action === 'reopen') {
        this.held.delete(name);
        this.handlers.close(name, r.ok ? 'interface index changed' : r.reason);
      }
      if (action === 'open' || action === 'reopen') {
        const link = (r as { link: WatchedLink }).link;
        try {
          this.handlers.open(link);
          this.held.set(name, { index: link.index, key: linkKey(link) });
          if (this.waiting.has(name)) this.log.info({ iface: name }, `interface ${name} is ready now`);
          this.waiting.delete(name);
        } catch (e) {
          this.noteWaiting(name, (e as Error).message);
        }
      } else if (action === 'update') {
        const link = (r as { link: WatchedLink }).link;
        this.handlers.update(link);
        this.held.set(name, { index: link.index, key: linkKey(link) });
      }
      if (!r.ok && r.reason !== 'no longer selected') this.noteWaiting(name, r.reason);
      else if (!r.ok) this.waiting.delete(name);
    }
    for (const name of [...this.waiting.keys()]) if (!wanted.has(name)) this.waiting.delete(name);
  }

  private noteWaiting(name: string, reason: string): void {
    if (this.waiting.get(name) === reason) return;
    this.waiting.set(name, reason);
    this.log.warn({ iface: name, reason }, `waiting for interface ${name}: ${reason}`);
  }

  async stop(): Promise<void> {
    for (const name of [...this.held.keys()]) this.handlers.close(name, 'stopping');
    this.held.clear();
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}

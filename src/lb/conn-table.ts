// The packet engine's connection table, after IPVS (ip_vs_conn.c, ip_vs_proto_tcp.c):
// one entry per client flow, found by the client's 5-tuple (packets in) and, for NAT,
// by the real server's side (replies). TCP is tracked through a reduced IPVS state
// machine so a server's live connection count splits into active (ESTABLISHED) and
// inactive entries, which lc/wlc/sed/nq read. Timeouts default to IPVS's 900 s
// (established), 120 s (FIN_WAIT / TIME_WAIT) and 300 s (UDP), configurable like
// `ipvsadm --set`.

import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, PROTO_TCP } from '../net/ip-frame.js';
import { FlowIndex } from './flow-index.js';

export interface ConnTimeouts {
  /** Seconds an ESTABLISHED TCP connection lives without packets. */
  tcp: number;
  /** Seconds after a FIN. */
  tcpFin: number;
  /** Seconds a UDP flow lives without packets. */
  udp: number;
}

export const DEFAULT_TIMEOUTS: ConnTimeouts = { tcp: 900, tcpFin: 120, udp: 300 };
/** IPVS: SYN_RECV 60 s, CLOSE 10 s. */
const SYN_TIMEOUT = 60;
const CLOSE_TIMEOUT = 10;

export type ConnState = 'SYN_RECV' | 'ESTABLISHED' | 'FIN_WAIT' | 'TIME_WAIT' | 'CLOSE' | 'UDP';

/** What the table counts per real server (IPVS activeconns / inactconns). */
export interface ConnCounted {
  activeConns: number;
  inactConns: number;
}

export interface Conn<S extends ConnCounted> {
  /** The client's 5-tuple as text (inKey): the entry's name in connection sync. */
  key: string;
  proto: number;
  cIp: number;
  cPort: number;
  vIp: number;
  vPort: number;
  rIp: number;
  rPort: number;
  server: S;
  state: ConnState;
  /** ms since epoch. */
  expires: number;
  /** FIN seen from the client / from the server. */
  finIn: boolean;
  finOut: boolean;
  /** Source MAC of the client's frames (the next hop back to it, for NAT replies). */
  clientMac?: Buffer;
  /** Opaque per-flow data of the engine (its virtual server). */
  vs: unknown;
}

export function inKey(proto: number, src: number, sport: number, dst: number, dport: number): string {
  return `${proto}:${src}:${sport}:${dst}:${dport}`;
}

/** The 5-tuple of an inKey, or undefined for text that is not one. */
function parseKey(key: string): [number, number, number, number, number] | undefined {
  const p = key.split(':').map(Number);
  return p.length === 5 && p.every((x) => Number.isInteger(x)) ? [p[0], p[1], p[2], p[3], p[4]] : undefined;
}

type NewConn<S extends ConnCounted> = Omit<Conn<S>, 'key' | 'state' | 'expires' | 'finIn' | 'finOut'>;

function isActive(s: ConnState): boolean {
  return s === 'ESTABLISHED';
}

export class ConnTable<S extends ConnCounted> {
  // Found per packet by numbers (no key text built): the client's side and, for NAT
  // replies, the real server's side (rIp:rPort → cIp:cPort).
  private readonly byIn = new FlowIndex<Conn<S>>();
  private readonly byReply = new FlowIndex<Conn<S>>();
  private readonly all = new Set<Conn<S>>();

  /** Told of each new entry, state change and removal (connection sync's master side). */
  onChange?: (c: Conn<S>, removed: boolean) => void;

  constructor(public timeouts: ConnTimeouts = { ...DEFAULT_TIMEOUTS }) {}

  get size(): number {
    return this.all.size;
  }

  /** The entry of a client's flow (client → VIP). */
  findIn(proto: number, src: number, sport: number, dst: number, dport: number): Conn<S> | undefined {
    return this.byIn.get(proto, src, sport, dst, dport);
  }

  /** The entry a real server's packet (RIP:RPORT → client) belongs to. */
  findReply(proto: number, src: number, sport: number, dst: number, dport: number): Conn<S> | undefined {
    return this.byReply.get(proto, src, sport, dst, dport);
  }

  /** By inKey text (connection sync, tests). */
  lookupIn(key: string): Conn<S> | undefined {
    const k = parseKey(key);
    return k && this.byIn.get(k[0], k[1], k[2], k[3], k[4]);
  }

  /** By inKey text of the reply direction (tests). */
  lookupReply(key: string): Conn<S> | undefined {
    const k = parseKey(key);
    return k && this.byReply.get(k[0], k[1], k[2], k[3], k[4]);
  }

  private timeoutOf(s: ConnState): number {
    switch (s) {
      case 'ESTABLISHED':
        return this.timeouts.tcp;
      case 'FIN_WAIT':
      case 'TIME_WAIT':
        return this.timeouts.tcpFin;
      case 'SYN_RECV':
        return SYN_TIMEOUT;
      case 'CLOSE':
        return CLOSE_TIMEOUT;
      default:
        return this.timeouts.udp;
    }
  }

  add(c: NewConn<S>, now: number, flags: number): Conn<S> {
    const conn: Conn<S> = {
      key: inKey(c.proto, c.cIp, c.cPort, c.vIp, c.vPort),
      proto: c.proto,
      cIp: c.cIp,
      cPort: c.cPort,
      vIp: c.vIp,
      vPort: c.vPort,
      rIp: c.rIp,
      rPort: c.rPort,
      server: c.server,
      state: c.proto === PROTO_TCP ? 'SYN_RECV' : 'UDP',
      expires: 0,
      finIn: false,
      finOut: false,
      clientMac: c.clientMac,
      vs: c.vs,
    };
    const old = this.byIn.get(c.proto, c.cIp, c.cPort, c.vIp, c.vPort);
    if (old) this.remove(old);
    this.all.add(conn);
    this.byIn.set(c.proto, c.cIp, c.cPort, c.vIp, c.vPort, conn);
    this.byReply.set(c.proto, c.rIp, c.rPort, c.cIp, c.cPort, conn);
    conn.server.inactConns++;
    if (conn.proto === PROTO_TCP) this.track(conn, flags, true, now);
    else conn.expires = now + this.timeouts.udp * 1000;
    this.onChange?.(conn, false);
    return conn;
  }

  /**
   * Installs an entry learned from the master's connection sync (sync-table.ts): the
   * state and expiry as the master had them. An existing entry for the flow is replaced.
   */
  install(c: NewConn<S>, state: ConnState, expires: number): Conn<S> {
    const conn = this.add(c, expires, 0);
    this.setState(conn, state);
    conn.finIn = conn.finOut = state === 'TIME_WAIT';
    conn.finIn = conn.finIn || state === 'FIN_WAIT';
    conn.expires = expires;
    return conn;
  }

  /** Moves the TCP state on one segment (`inbound`: client → server) and refreshes the timeout. */
  track(c: Conn<S>, flags: number, inbound: boolean, now: number): void {
    if (c.proto !== PROTO_TCP) {
      c.expires = now + this.timeouts.udp * 1000;
      return;
    }
    const before = c.state;
    let s = before;
    if (flags & TCP_RST) s = 'CLOSE';
    else if (flags & TCP_FIN) {
      if (inbound) c.finIn = true;
      else c.finOut = true;
      s = c.finIn && c.finOut ? 'TIME_WAIT' : 'FIN_WAIT';
    } else if (flags & TCP_SYN) {
      if (!(flags & TCP_ACK) && inbound && (s === 'CLOSE' || s === 'TIME_WAIT')) s = 'SYN_RECV';
    } else if (flags & TCP_ACK) {
      if (s === 'SYN_RECV') s = 'ESTABLISHED';
    }
    if (s !== before) this.setState(c, s);
    c.expires = now + this.timeoutOf(s) * 1000;
  }

  private setState(c: Conn<S>, s: ConnState): void {
    const wasActive = isActive(c.state);
    const nowActive = isActive(s);
    if (wasActive && !nowActive) {
      c.server.activeConns--;
      c.server.inactConns++;
    } else if (!wasActive && nowActive) {
      c.server.activeConns++;
      c.server.inactConns--;
    }
    c.state = s;
    this.onChange?.(c, false);
  }

  remove(c: Conn<S>): void {
    if (!this.all.delete(c)) return;
    this.byIn.delete(c.proto, c.cIp, c.cPort, c.vIp, c.vPort, c);
    this.byReply.delete(c.proto, c.rIp, c.rPort, c.cIp, c.cPort, c);
    if (isActive(c.state)) c.server.activeConns--;
    else c.server.inactConns--;
    this.onChange?.(c, true);
  }

  /** Removes expired entries; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (const c of this.all) {
      if (c.expires <= now) {
        this.remove(c);
        n++;
      }
    }
    return n;
  }

  /** Re-points entries at new server objects after a reload (by `idOf`); entries whose server is gone are dropped. */
  rebind(idOf: (c: Conn<S>) => string, servers: ReadonlyMap<string, S>, vsOf: (c: Conn<S>) => unknown): void {
    for (const c of [...this.all]) {
      const next = servers.get(idOf(c));
      const vs = vsOf(c);
      if (!next || vs === undefined) {
        this.remove(c);
        continue;
      }
      if (next !== c.server) {
        if (isActive(c.state)) {
          c.server.activeConns--;
          next.activeConns++;
        } else {
          c.server.inactConns--;
          next.inactConns++;
        }
        c.server = next;
      }
      c.vs = vs;
    }
  }

  values(): IterableIterator<Conn<S>> {
    return this.all.values();
  }

  clear(): void {
    for (const c of [...this.all]) this.remove(c);
  }
}

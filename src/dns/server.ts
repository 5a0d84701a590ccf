// UDP and TCP listeners in front of a Responder. Sockets live only here.
//
// API:
//   const srv = await startDnsServer({ listen: [{ address: '127.0.0.1', port: 5300 }], responder, log });
//   srv.setResponder(next);   // swap on reload; queries in flight finish on the old one
//   srv.addresses();          // bound addresses (port 0 → the port the OS chose)
//   await srv.close();
// Works inside a node:cluster worker: dgram/net sockets there are handles shared
// by the primary (pass `exclusive: false`, the default, so they can be shared).

import dgram from 'node:dgram';
import net from 'node:net';
import { isIP, isIPv6 } from 'node:net';
import dns from 'node:dns';
import type { Logger } from '../log.js';
import { performance } from 'node:perf_hooks';
import { DEFERRED, type ClientInfo } from './responder.js';
import type { QueryStats } from './query-stats.js';
import { UdpBatch, udpBatchUnavailable } from '../net/udp-batch.js';

export interface ListenAddress {
  address: string;
  port: number;
}

/** What the server needs from a responder (src/dns/responder.ts Responder implements it). */
export interface QueryHandler {
  /** May return DEFERRED (recursion): the answer then comes through `later`. */
  respond(msg: Uint8Array, client: ClientInfo, later?: (out: Uint8Array | null, client: ClientInfo) => void): Uint8Array | null;
  /** TCP answers; may be several messages (zone transfers). Falls back to respond(). */
  respondTcp?(msg: Uint8Array, client: ClientInfo, later?: (outs: Uint8Array[] | null, client: ClientInfo) => void): Uint8Array[] | null;
}

export interface DnsServerOptions {
  listen: ListenAddress[];
  responder: QueryHandler;
  log?: Pick<Logger, 'warn' | 'error' | 'info'>;
  /** Close a TCP connection idle this long after its first message (BIND tcp-idle-timeout: 30 s). */
  tcpIdleMs?: number;
  /** Close a new TCP connection that sends no complete message within this time (BIND tcp-initial-timeout: 30 s). */
  tcpInitialMs?: number;
  /** Most simultaneous TCP connections (BIND tcp-clients: 150). */
  maxTcpConnections?: number;
  /** A count of TCP connections shared with other listeners (BIND's tcp-clients is one quota for all addresses); overrides maxTcpConnections. */
  tcpQuota?: TcpQuota;
  /** Use a dedicated socket even inside a cluster worker (default false: shared). */
  exclusive?: boolean;
  /** Counts requests and responses (query-stats.ts); none by default. */
  stats?: QueryStats;
  /** false: UDP through Node's dgram only (default: batched where the system allows, see net/udp-batch.ts). */
  udpBatch?: boolean;
}

export interface TcpQuota {
  max: number;
  open: number;
}

export interface TcpLimits {
  tcpIdleMs?: number;
  tcpInitialMs?: number;
  maxTcpConnections?: number;
}

export interface DnsServer {
  setResponder(r: QueryHandler): void;
  /** New TCP limits (reload): new connections get them; open ones keep theirs. */
  setTcpLimits(l: TcpLimits): void;
  addresses(): { udp: ListenAddress[]; tcp: ListenAddress[] };
  readonly counters: { udpIn: number; tcpIn: number; dropped: number; tcpRejected: number };
  close(): Promise<void>;
}

/** Octets of unread answers we keep for one TCP client before giving up on it. */
const MAX_TCP_BACKLOG = 1 << 20;

/**
 * dgram resolves every destination through `lookup`, by default dns.lookup,
 * which answers IP literals on the next tick. Our destinations are always the
 * literal source address of a query, so answer at once (saves a tick and
 * allocations per response); anything else still goes through dns.lookup.
 */
let lastAddress = '';
let lastFamily = 0;
function literalLookup(address: string, family: unknown, cb: (err: Error | null, address: string, family: number) => void): void {
  // Answers mostly go to the client that asked last (a LAN has few): skip isIP's regular expressions then.
  if (address === lastAddress) {
    cb(null, address, lastFamily);
    return;
  }
  const f = isIP(address);
  if (f !== 0) {
    lastAddress = address;
    lastFamily = f;
  }
  if (f !== 0) cb(null, address, f);
  else dns.lookup(address, family as number, cb as (err: NodeJS.ErrnoException | null, address: string, family: number) => void);
}

function clean(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

/** A socket's local address as view selection reads it; undefined for a wildcard bind (not known per packet). */
function localAddress(a: string | undefined): string | undefined {
  if (a === undefined || a === '0.0.0.0' || a === '::') return undefined;
  return clean(a);
}

const loggedUdpPaths = new Set<string>();

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  let responder = opts.responder;
  const log = opts.log;
  let idleMs = opts.tcpIdleMs ?? 30_000;
  let initialMs = opts.tcpInitialMs ?? 30_000;
  const quota: TcpQuota = opts.tcpQuota ?? { max: opts.maxTcpConnections ?? 150, open: 0 };
  const counters = { udpIn: 0, tcpIn: 0, dropped: 0, tcpRejected: 0 };
  const stats = opts.stats;
  /** The answer to a counted request left (or was dropped); deferred answers come through `later`. */
  const counted = (out: Uint8Array | null, c: ClientInfo, deferred: boolean): void => {
    if (stats && c.received !== undefined) {
      stats.response(out, c.transport === 'tcp', c.address.includes(':'), c.qtype ?? 0, (performance.now() - c.received) / 1000, deferred, c.edns === true);
    }
  };
  const udpSockets: dgram.Socket[] = [];
  // Batched UDP I/O (recvmmsg/sendmmsg) unless unavailable or turned off; chosen once here.
  let udpDgramReason = opts.udpBatch === false ? 'turned off' : udpBatchUnavailable();
  const useBatch = udpDgramReason === undefined;
  const tcpServers: net.Server[] = [];
  const conns = new Set<net.Socket>();

  const handle = (msg: Uint8Array, client: ClientInfo, later: (out: Uint8Array | null, client: ClientInfo) => void): Uint8Array | null => {
    try {
      return responder.respond(msg, client, later);
    } catch (err) {
      counters.dropped++;
      log?.error({ err }, 'dns: responder failed');
      return null;
    }
  };

  const handleTcp = (msg: Uint8Array, client: ClientInfo, later: (outs: Uint8Array[] | null, client: ClientInfo) => void): Uint8Array[] | null => {
    try {
      if (responder.respondTcp) return responder.respondTcp(msg, client, later);
      const one = responder.respond(msg, client, (b, c) => later(b ? [b] : null, c));
      return one ? [one] : null;
    } catch (err) {
      counters.dropped++;
      log?.error({ err }, 'dns: responder failed');
      return null;
    }
  };

  const startUdp = (l: ListenAddress): Promise<void> =>
    new Promise((resolve, reject) => {
      const sock = dgram.createSocket({ type: isIPv6(l.address) ? 'udp6' : 'udp4', reuseAddr: false, lookup: literalLookup });
      const onError = (err: Error): void => reject(err);
      sock.once('error', onError);
      // Answers that needed recursion arrive later, addressed by the client they were for.
      const later = (out: Uint8Array | null, c: ClientInfo): void => {
        counted(out, c, true);
        if (!out) counters.dropped++;
        else sock.send(out, c.port, c.address);
      };
      // Sockets are bound per address, so the socket's own address is where the query arrived (view match-destinations).
      let destination: string | undefined;
      /** The answer to send for one datagram; null when none (dropped, or deferred to `later`). */
      const answer = (msg: Buffer, address: string, port: number): Uint8Array | null => {
        counters.udpIn++;
        const client: ClientInfo = { address, port, transport: 'udp', destination, received: undefined, qtype: undefined, edns: undefined };
        if (stats?.on) {
          client.received = performance.now();
          client.qtype = stats.request(msg, false, client.address.includes(':'));
          client.edns = stats.lastEdns;
          if (stats.top) stats.topRequest(msg, client.address);
        }
        const out = handle(msg, client, later);
        if (out !== DEFERRED) counted(out, client, false);
        if (!out) {
          counters.dropped++;
          return null;
        }
        return out === DEFERRED ? null : out;
      };
      let batch: UdpBatch | undefined;
      sock.on('message', (msg, rinfo) => {
        const out = answer(msg, clean(rinfo.address), rinfo.port);
        if (batch) {
          // This datagram woke us: answer the ones queued behind it in the same batch.
          if (out) batch.queueTo(out, rinfo.address, rinfo.port);
          batch.afterMessage(answer);
          if (batch.failed) {
            log?.warn({ reason: batch.failed }, "dns: batched UDP failed, answering through Node's sockets");
            batch = undefined;
          }
          return;
        }
        // No completion callback: with one, dgram schedules a tick per answer even when the
        // send finished at once. A UDP answer that cannot be sent is lost as any datagram is;
        // the client asks again.
        if (out) sock.send(out, rinfo.port, rinfo.address);
      });
      sock.bind({ address: l.address, port: l.port, exclusive: opts.exclusive ?? false }, () => {
        sock.off('error', onError);
        destination = localAddress(sock.address().address);
        if (useBatch) {
          const b = UdpBatch.open(sock);
          if (typeof b === 'string') udpDgramReason ??= b;
          else batch = b;
        }
        // Never crash on socket errors (ICMP unreachable, ENOBUFS…).
        sock.on('error', (err) => log?.warn({ err }, 'dns: udp socket error'));
        udpSockets.push(sock);
        resolve();
      });
    });

  const onConnection = (sock: net.Socket): void => {
    if (quota.open >= quota.max) {
      counters.tcpRejected++;
      sock.destroy();
      return;
    }
    quota.open++;
    conns.add(sock);
    stats?.tcpOpen(conns.size);
    sock.setNoDelay(true);
    // Until its first message a connection has tcp-initial-timeout, then tcp-idle-timeout.
    const idle = idleMs;
    let first = true;
    sock.setTimeout(initialMs, () => sock.destroy());
    sock.on('error', () => sock.destroy());
    sock.on('close', () => {
      if (conns.delete(sock)) quota.open--;
    });
    const client: ClientInfo = { address: clean(sock.remoteAddress ?? ''), port: sock.remotePort ?? 0, transport: 'tcp', destination: localAddress(sock.localAddress) };
    // RFC 1035 §4.2.2 / RFC 7766 §6.2.1: two-octet length prefix; several
    // messages may share a segment and one may span several.
    let pending: Buffer = Buffer.alloc(0);
    const writeFrames = (outs: Uint8Array[]): void => {
      for (const out of outs) {
        const frame = Buffer.allocUnsafe(2 + out.length);
        frame.writeUInt16BE(out.length, 0);
        frame.set(out, 2);
        sock.write(frame);
      }
    };
    // RFC 7766 §7: answers that needed recursion may go out of order.
    const later = (outs: Uint8Array[] | null, c: ClientInfo): void => {
      counted(outs ? outs[0] : null, c, true);
      if (!outs) counters.dropped++;
      else if (!sock.destroyed) writeFrames(outs);
    };
    // Pipelined queries in one segment (RFC 7766 §6.2.1.1): their answers are corked and
    // leave in one write, not one system call each.
    sock.on('data', (chunk: Buffer) => {
      sock.cork();
      try {
        readMessages(chunk);
      } finally {
        sock.uncork();
      }
    });
    const readMessages = (chunk: Buffer): void => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        counters.tcpIn++;
        if (first) {
          first = false;
          sock.setTimeout(idle);
        }
        let c = client;
        if (stats?.on) {
          // Each message of the connection its own timing (answers that needed recursion come later).
          const received = performance.now();
          const qtype = stats.request(msg, true, client.address.includes(':'));
          c = { ...client, received, qtype, edns: stats.lastEdns };
          if (stats.top) stats.topRequest(msg, client.address);
        }
        const outs = handleTcp(msg, c, later);
        if (!(outs && outs.length === 1 && outs[0] === DEFERRED)) counted(outs ? outs[0] : null, c, false);
        if (!outs) {
          counters.dropped++;
          continue;
        }
        if (outs.length === 1 && outs[0] === DEFERRED) continue;
        if (sock.destroyed) return;
        // A client that sends but never reads must not make us buffer without bound.
        if (sock.writableLength > MAX_TCP_BACKLOG) {
          sock.destroy();
          return;
        }
        writeFrames(outs);
      }
    };
  };

  const startTcp = (l: ListenAddress, port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const srv = net.createServer({ pauseOnConnect: false }, onConnection);
      srv.once('error', reject);
      srv.listen({ host: l.address, port, exclusive: opts.exclusive ?? false }, () => {
        srv.off('error', reject);
        srv.on('error', (err) => log?.warn({ err }, 'dns: tcp listener error'));
        tcpServers.push(srv);
        resolve();
      });
    });

  const close = async (): Promise<void> => {
    for (const c of conns) c.destroy();
    await Promise.all([
      ...udpSockets.map((s) => new Promise<void>((r) => s.close(() => r()))),
      ...tcpServers.map((s) => new Promise<void>((r) => s.close(() => r()))),
    ]);
  };

  try {
    for (const l of opts.listen) {
      await startUdp(l);
      // With port 0 the TCP listener takes the port UDP was given, so both share it.
      const bound = udpSockets[udpSockets.length - 1].address().port;
      await startTcp(l, l.port === 0 ? bound : l.port);
    }
  } catch (err) {
    await close();
    throw err;
  }
  // Said once per process (a server is started per listen address), again only if the choice changes.
  const path = udpDgramReason ?? '';
  if (udpSockets.length > 0 && !loggedUdpPaths.has(path)) {
    loggedUdpPaths.add(path);
    if (udpDgramReason === undefined) log?.info('dns: UDP answers batched (recvmmsg/sendmmsg)');
    else log?.info({ reason: udpDgramReason }, "dns: UDP through Node's sockets");
  }

  return {
    setResponder(r: QueryHandler): void {
      responder = r;
    },
    setTcpLimits(l: TcpLimits): void {
      idleMs = l.tcpIdleMs ?? 30_000;
      initialMs = l.tcpInitialMs ?? 30_000;
      if (!opts.tcpQuota) quota.max = l.maxTcpConnections ?? 150;
    },
    addresses() {
      return {
        udp: udpSockets.map((s) => ({ address: s.address().address, port: s.address().port })),
        tcp: tcpServers.map((s) => {
          const a = s.address() as net.AddressInfo;
          return { address: a.address, port: a.port };
        }),
      };
    },
    counters,
    close,
  };
}

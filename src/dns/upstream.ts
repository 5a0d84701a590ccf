// Queries to other name servers (forwarders, or the servers of a delegation).
// Sockets live here, and only here, in the resolver.
//
// Off-path spoofing defences (RFC 5452 §9): every query gets a fresh UDP socket
// bound to port 0, so the kernel picks a random ephemeral source port, and a
// random 16-bit ID from the CSPRNG. An answer is accepted only when it comes
// from the address and port we sent to, carries our ID, has QR set and repeats
// our question; anything else on that socket is dropped, counted, and we keep
// waiting for the real answer until the timeout. A truncated answer (TC) is
// retried over TCP (RFC 7766 §5).

import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { decodeMessage, MessageWriter, FLAG_QR, FLAG_RD, FLAG_TC, type DecodedMessage, type Question } from './message.js';
import { nameKey } from '../wire/dns-name.js';
import { T } from '../wire/rr-type.js';

export interface UpstreamServer {
  address: string;
  port: number;
}

export interface UpstreamCounters {
  sent: number;
  tcp: number;
  timeouts: number;
  /** Packets dropped because address, port, ID or question did not match (RFC 5452). */
  spoofDrops: number;
  errors: number;
}

export function newUpstreamCounters(): UpstreamCounters {
  return { sent: 0, tcp: 0, timeouts: 0, spoofDrops: 0, errors: 0 };
}

export class UpstreamTimeout extends Error {}

export interface QueryOptions {
  /** RD bit: set towards forwarders, clear towards authoritative servers. */
  recursionDesired: boolean;
  timeoutMs: number;
  counters: UpstreamCounters;
}

/** A query message with EDNS (udp 1232, RFC 6891) and the given ID. */
export function buildQuery(id: number, q: Question, rd: boolean): Uint8Array {
  const w = new MessageWriter(new Uint8Array(512));
  w.u16(id);
  w.u16(rd ? FLAG_RD : 0);
  w.u16(1);
  w.u16(0);
  w.u16(0);
  w.u16(1);
  w.name(q.name, false);
  w.u16(q.type);
  w.u16(q.class);
  w.u8(0);
  w.u16(T.OPT);
  w.u16(1232);
  w.u32(0);
  w.u16(0);
  return w.result();
}

/** RFC 5452 §9.1: the answer must carry our ID, be a response, and repeat our question. */
export function matchesQuery(m: DecodedMessage, id: number, q: Question): boolean {
  if (m.id !== id || (m.flags & FLAG_QR) === 0 || m.questions.length !== 1) return false;
  const a = m.questions[0];
  return a.type === q.type && a.class === q.class && nameKey(a.name) === nameKey(q.name);
}

function clean(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

/** One question to one server: UDP, then TCP when truncated. Rejects with UpstreamTimeout or an Error. */
export async function queryServer(server: UpstreamServer, q: Question, opts: QueryOptions): Promise<DecodedMessage> {
  const id = randomInt(0, 65536);
  const msg = buildQuery(id, q, opts.recursionDesired);
  const udp = await queryUdp(server, msg, id, q, opts);
  if ((udp.flags & FLAG_TC) === 0) return udp;
  opts.counters.tcp++;
  const id2 = randomInt(0, 65536);
  return queryTcp(server, buildQuery(id2, q, opts.recursionDesired), id2, q, opts);
}

function queryUdp(server: UpstreamServer, msg: Uint8Array, id: number, q: Question, opts: QueryOptions): Promise<DecodedMessage> {
  return new Promise((resolve, reject) => {
    const family = net.isIPv6(server.address) ? 'udp6' : 'udp4';
    const sock = dgram.createSocket({ type: family });
    let done = false;
    const finish = (err: Error | undefined, m?: DecodedMessage): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        sock.close();
      } catch {
        // already closed
      }
      if (err) reject(err);
      else resolve(m as DecodedMessage);
    };
    const timer = setTimeout(() => {
      opts.counters.timeouts++;
      finish(new UpstreamTimeout(`no answer from ${server.address}#${server.port} in ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    sock.on('error', (err) => {
      opts.counters.errors++;
      finish(err);
    });
    sock.on('message', (buf, rinfo) => {
      if (clean(rinfo.address) !== server.address || rinfo.port !== server.port) {
        opts.counters.spoofDrops++;
        return;
      }
      const m = decodeMessage(buf);
      if (typeof m === 'string' || !matchesQuery(m, id, q)) {
        opts.counters.spoofDrops++;
        return;
      }
      finish(undefined, m);
    });
    // Port 0: the kernel's randomized ephemeral port, a new one per query (RFC 5452 §9.2).
    // Exclusive: in a DNS cluster worker a shared bind asks the primary over IPC for the
    // socket (which passes it a descriptor) and tells it again on close, for every query;
    // ours is never shared.
    sock.bind({ port: 0, exclusive: true }, () => {
      opts.counters.sent++;
      sock.send(msg, server.port, server.address, (err) => {
        if (err) {
          opts.counters.errors++;
          finish(err);
        }
      });
    });
  });
}

function queryTcp(server: UpstreamServer, msg: Uint8Array, id: number, q: Question, opts: QueryOptions): Promise<DecodedMessage> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: server.address, port: server.port });
    let pending = Buffer.alloc(0);
    let done = false;
    const finish = (err: Error | undefined, m?: DecodedMessage): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(m as DecodedMessage);
    };
    const timer = setTimeout(() => {
      opts.counters.timeouts++;
      finish(new UpstreamTimeout(`no TCP answer from ${server.address}#${server.port} in ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    sock.on('error', (err) => {
      opts.counters.errors++;
      finish(err);
    });
    sock.on('connect', () => {
      const frame = Buffer.allocUnsafe(2 + msg.length);
      frame.writeUInt16BE(msg.length, 0);
      frame.set(msg, 2);
      sock.write(frame);
    });
    sock.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length < 2) return;
      const len = pending.readUInt16BE(0);
      if (pending.length < 2 + len) return;
      const m = decodeMessage(pending.subarray(2, 2 + len));
      if (typeof m === 'string' || !matchesQuery(m, id, q)) {
        opts.counters.spoofDrops++;
        finish(new Error('TCP answer does not match the query'));
        return;
      }
      finish(undefined, m);
    });
    sock.on('close', () => finish(new Error('TCP connection closed before an answer')));
  });
}

/**
 * Smoothed round-trip times per server (as BIND's SRTT): servers are tried
 * fastest first; a timeout counts as a long RTT so a dead server sinks.
 */
export class RttTable {
  private readonly srtt = new Map<string, number>();

  private static key(s: UpstreamServer): string {
    return `${s.address}#${s.port}`;
  }

  /** Servers in order of measured latency; unmeasured ones keep their configured order, ahead of slow ones. */
  order(servers: readonly UpstreamServer[]): UpstreamServer[] {
    return servers
      .map((s, i) => ({ s, i, r: this.srtt.get(RttTable.key(s)) ?? 0 }))
      .sort((a, b) => a.r - b.r || a.i - b.i)
      .map((x) => x.s);
  }

  /** Exponential smoothing, 0.7 old + 0.3 new (BIND uses a similar decay). */
  record(s: UpstreamServer, ms: number): void {
    const k = RttTable.key(s);
    const old = this.srtt.get(k);
    this.srtt.set(k, old === undefined ? ms : old * 0.7 + ms * 0.3);
  }

  get(s: UpstreamServer): number | undefined {
    return this.srtt.get(RttTable.key(s));
  }
}

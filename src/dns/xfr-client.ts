// The sockets of a secondary zone: the SOA query that asks a primary for its serial
// (UDP, TCP when truncated) and the zone transfer over TCP (RFC 5936 §4.1, RFC 7766
// framing). The checks are TransferReader's (xfr-in.ts). Optional signer/verifier
// hooks let message authentication (TSIG) wrap every message without this module
// knowing how.

import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { decodeMessage, FLAG_QR, FLAG_TC, MessageWriter, RCODE } from './message.js';
import { TransferReader, XfrError, serialGt, soaSerial, type XfrLimits, type XfrResult, DEFAULT_XFR_LIMITS } from './xfr-in.js';
import { nameEquals } from '../wire/dns-name.js';
import { formatAddress, parseAddress } from '../net/ip.js';
import { CLASS_IN, T, type ResourceRecord } from '../wire/rr-type.js';

export interface Remote {
  address: string;
  port: number;
  /** Name of the key the messages to this server are signed with (named.conf `key`). */
  key?: string;
}

/**
 * Message authentication, supplied by the caller: `sign` returns the message to
 * send; `verify` checks the n-th message of an answer (0 = first) and returns an
 * error text when it does not pass.
 */
export interface MessageAuth {
  sign(msg: Uint8Array): Uint8Array;
  verify(msg: Uint8Array, index: number): string | undefined;
  /** After the last message of a stream: an error text when the stream may not end there (RFC 8945 §5.3.1: it must end signed). */
  finish?(): string | undefined;
}

export interface XfrOptions {
  /** Source address (and port) of our sockets (transfer-source). */
  source?: { address: string; port?: number };
  /** Per-answer wait for the SOA query (ms). */
  soaTimeoutMs?: number;
  /** Longest silence during a transfer (BIND max-transfer-idle-in, 60 min). */
  idleMs?: number;
  /** Longest transfer (BIND max-transfer-time-in, 120 min). */
  totalMs?: number;
  limits?: XfrLimits;
  auth?: MessageAuth;
}

/** A query for `origin`/`qtype`, with an SOA in the authority section for IXFR (RFC 1995 §3). */
export function buildQuery(id: number, origin: Uint8Array, qtype: number, soa?: ResourceRecord): Uint8Array {
  const w = new MessageWriter(new Uint8Array(65535));
  w.u16(id);
  w.u16(0); // QUERY, no RD: we ask the zone's primary itself
  w.u16(1);
  w.u16(0);
  w.u16(soa ? 1 : 0);
  w.u16(0);
  w.name(origin, false);
  w.u16(qtype);
  w.u16(CLASS_IN);
  if (soa) w.rr(soa.owner, T.SOA, soa.class, soa.ttl, soa.rdata);
  return w.result();
}

/**
 * The primary's SOA serial for `origin` (REFRESH, RFC 1034 §4.3.5). UDP, three tries,
 * TCP when the answer is truncated. Throws when the primary does not answer with it.
 */
export async function querySoaSerial(remote: Remote, origin: Uint8Array, opts: XfrOptions = {}): Promise<number> {
  const timeout = opts.soaTimeoutMs ?? 2000;
  let last: Error = new Error('no answer');
  for (let attempt = 0; attempt < 3; attempt++) {
    const id = randomInt(65536);
    let query = buildQuery(id, origin, T.SOA);
    if (opts.auth) query = opts.auth.sign(query);
    try {
      const answer = await udpExchange(remote, query, id, timeout, opts.source);
      const m = decodeMessage(answer);
      if (typeof m === 'string') throw new Error(`malformed answer: ${m}`);
      if (opts.auth) {
        const bad = opts.auth.verify(answer, 0);
        if (bad) throw new Error(bad);
      }
      if (m.flags & FLAG_TC) return await tcpSoa(remote, origin, opts);
      return soaFrom(m, origin);
    } catch (err) {
      last = err instanceof Error ? err : new Error(String(err));
      if (!(err instanceof TimeoutError)) break;
    }
  }
  throw last;
}

class TimeoutError extends Error {}

/** An address in one spelling (IPv6 can be written several ways). */
function canonical(a: string): string {
  const p = parseAddress(a.replace(/^::ffff:(?=\d+\.)/, ''));
  return p ? formatAddress(p) : a;
}

function soaFrom(m: Exclude<ReturnType<typeof decodeMessage>, string>, origin: Uint8Array): number {
  if (m.rcode !== RCODE.NOERROR) throw new Error(`SOA query answered rcode ${m.rcode}`);
  const soa = m.answers.find((a) => a.type === T.SOA && nameEquals(a.name, origin));
  if (!soa) throw new Error('the answer has no SOA for the zone (not authoritative?)');
  return soaSerial(soa.rdata);
}

function udpExchange(remote: Remote, query: Uint8Array, id: number, timeoutMs: number, source?: { address: string; port?: number }): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(remote.address.includes(':') ? 'udp6' : 'udp4');
    const done = (err: Error | undefined, msg?: Uint8Array): void => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(msg as Uint8Array);
    };
    const timer = setTimeout(() => done(new TimeoutError(`no answer from ${remote.address}#${remote.port}`)), timeoutMs);
    sock.on('error', (e) => done(e));
    sock.on('message', (msg, rinfo) => {
      // Only the server we asked, with our id, and an answer (RFC 5452 spirit).
      if (rinfo.port !== remote.port || canonical(rinfo.address) !== canonical(remote.address) || msg.length < 12 || msg.readUInt16BE(0) !== id || !(msg[2] & 0x80)) return;
      done(undefined, new Uint8Array(msg));
    });
    sock.bind({ address: source?.address, port: source?.port ?? 0 }, () => sock.send(query, remote.port, remote.address));
  });
}

async function tcpSoa(remote: Remote, origin: Uint8Array, opts: XfrOptions): Promise<number> {
  const id = randomInt(65536);
  let query = buildQuery(id, origin, T.SOA);
  if (opts.auth) query = opts.auth.sign(query);
  let serial: number | undefined;
  await tcpStream(remote, query, opts, (msg) => {
    const m = decodeMessage(msg);
    if (typeof m === 'string') throw new Error(`malformed answer: ${m}`);
    if (m.id !== id) throw new Error('answer with another id');
    serial = soaFrom(m, origin);
    return true;
  });
  if (serial === undefined) throw new Error('no answer');
  return serial;
}

/**
 * Transfers `origin` from `remote`: IXFR from `current` when given, else AXFR.
 * Resolves with the checked result or rejects with XfrError (or a socket error).
 */
export async function transferZone(remote: Remote, origin: Uint8Array, current: ResourceRecord | undefined, opts: XfrOptions = {}): Promise<{ result: XfrResult; qtype: number; messages: number; bytes: number }> {
  const qtype = current ? T.IXFR : T.AXFR;
  const id = randomInt(65536);
  let query = buildQuery(id, origin, qtype, current);
  if (opts.auth) query = opts.auth.sign(query);
  const reader = new TransferReader(origin, qtype, current ? soaSerial(current.rdata) : undefined, opts.limits ?? DEFAULT_XFR_LIMITS);
  let messages = 0;
  let bytes = 0;
  await tcpStream(remote, query, opts, (msg) => {
    const m = decodeMessage(msg);
    if (typeof m === 'string') throw new XfrError(`malformed message: ${m}`);
    if (m.id !== id || !(m.flags & FLAG_QR)) throw new XfrError('message with another id');
    if (opts.auth) {
      const bad = opts.auth.verify(msg, messages);
      if (bad) throw new XfrError(bad);
    }
    messages++;
    bytes += msg.length;
    reader.push(m, msg.length);
    // An IXFR answered with our own SOA alone (we are current) ends after its first message;
    // any other stream ends at its closing SOA (or when the primary closes the connection).
    return reader.done || (qtype === T.IXFR && messages === 1 && m.answers.length === 1 && m.answers[0].type === T.SOA && current !== undefined && !serialGt(soaSerial(m.answers[0].rdata), soaSerial(current.rdata)));
  });
  const unsignedEnd = opts.auth?.finish?.();
  if (unsignedEnd) throw new XfrError(unsignedEnd);
  return { result: reader.result(), qtype, messages, bytes };
}

/**
 * Sends `query` over a new TCP connection and hands each framed message to
 * `onMessage` until it returns true. Rejects on a connection that closes early
 * is left to the caller's reader (result() sees an unfinished transfer).
 */
function tcpStream(remote: Remote, query: Uint8Array, opts: XfrOptions, onMessage: (msg: Uint8Array) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: remote.address, port: remote.port, localAddress: opts.source?.address, localPort: opts.source?.port });
    let pending: Buffer = Buffer.alloc(0);
    let finished = false;
    const finish = (err?: Error): void => {
      if (finished) return;
      finished = true;
      clearTimeout(total);
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    const total = setTimeout(() => finish(new XfrError('the transfer took too long')), opts.totalMs ?? 120 * 60_000);
    sock.setTimeout(opts.idleMs ?? 60 * 60_000, () => finish(new XfrError('the primary went silent during the transfer')));
    sock.on('connect', () => {
      const frame = Buffer.allocUnsafe(2 + query.length);
      frame.writeUInt16BE(query.length, 0);
      frame.set(query, 2);
      sock.write(frame);
    });
    sock.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      try {
        while (pending.length >= 2) {
          const len = pending.readUInt16BE(0);
          if (len < 12) throw new XfrError(`message of ${len} octets is shorter than a header`);
          if (pending.length < 2 + len) break;
          const msg = new Uint8Array(pending.subarray(2, 2 + len));
          pending = pending.subarray(2 + len);
          if (onMessage(msg)) {
            finish();
            return;
          }
        }
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
      }
    });
    sock.on('error', (err) => finish(err));
    sock.on('close', () => finish());
  });
}

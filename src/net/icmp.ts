// ICMP echo (RFC 792) over a raw IPv4 socket through koffi, for DHCP's ping-check
// (RFC 2131 §2.2: a server SHOULD probe an address before offering it). Needs CAP_NET_RAW.

import { ipv4Checksum } from './frame.js';
import { openRawIcmp, type RawIcmpSocket } from './packet-io.js';

/** The ICMP echo request message (type 8) with identifier, sequence and payload. */
export function buildEchoRequest(id: number, seq: number, payload: Buffer): Buffer {
  const m = Buffer.alloc(8 + payload.length);
  m[0] = 8;
  m.writeUInt16BE(id & 0xffff, 4);
  m.writeUInt16BE(seq & 0xffff, 6);
  payload.copy(m, 8);
  m.writeUInt16BE(ipv4Checksum(m), 2);
  return m;
}

/** An echo reply (type 0) inside an IPv4 datagram, as a raw socket delivers it. */
export function parseEchoReply(datagram: Buffer): { src: number; id: number; seq: number } | undefined {
  if (datagram.length < 20 || datagram[0] >> 4 !== 4) return undefined;
  const ihl = (datagram[0] & 15) * 4;
  if (datagram.length < ihl + 8 || datagram[9] !== 1) return undefined;
  const icmp = datagram.subarray(ihl);
  if (icmp[0] !== 0) return undefined;
  return { src: datagram.readUInt32BE(12), id: icmp.readUInt16BE(4), seq: icmp.readUInt16BE(6) };
}

/** Sends echo requests and resolves each probe with whether the address answered in time. */
export class Pinger {
  private sock?: RawIcmpSocket;
  private seq = 0;
  private readonly id = process.pid & 0xffff;
  private waiting = new Map<number, { ip: number; done: (answered: boolean) => void; timer: NodeJS.Timeout }>();

  start(): void {
    this.sock = openRawIcmp();
    void this.sock.loop((d) => {
      const r = parseEchoReply(d);
      if (!r || r.id !== this.id) return;
      const w = this.waiting.get(r.seq);
      if (w && w.ip === r.src) {
        clearTimeout(w.timer);
        this.waiting.delete(r.seq);
        w.done(true);
      }
    });
  }

  probe(ip: number, timeoutMs: number): Promise<boolean> {
    if (!this.sock) return Promise.resolve(false);
    const seq = (this.seq = (this.seq + 1) & 0xffff);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        resolve(false);
      }, timeoutMs);
      this.waiting.set(seq, { ip, done: resolve, timer });
      try {
        this.sock!.sendTo(buildEchoRequest(this.id, seq, Buffer.from('triad-dhcp-ping')), ip);
      } catch {
        // Unroutable or refused: nobody can be using it from here.
        clearTimeout(timer);
        this.waiting.delete(seq);
        resolve(false);
      }
    });
  }

  stop(): Promise<void> {
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.done(false);
    }
    this.waiting.clear();
    const s = this.sock;
    this.sock = undefined;
    return s ? s.close() : Promise.resolve();
  }
}

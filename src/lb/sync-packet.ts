// The packet engine's connection-sync messages (modelled on LVS's sync daemon,
// ip_vs_sync.c, but a format of Triad's own): the master sends its connection-table
// changes to the backup in UDP datagrams, each authenticated with HMAC-SHA256 under a
// shared key and numbered so the receiver drops replays. Pure: bytes in, bytes out.
//
// Datagram (all integers big-endian):
//   0  2  magic 0x5453 ("TS")
//   2  1  version (1)
//   3  1  sync id (`lvs_sync_daemon … id N`; a receiver drops other ids)
//   4  4  epoch: the sender's start time in seconds (a restarted sender starts a new epoch)
//   8  4  sequence number within the epoch, from 1, one per datagram
//  12  4  send time, seconds since 1970 (receivers drop datagrams more than 60 s off)
//  16  2  number of entries
//  18  2  zero
//  20  4  sender: its address on the sync interface (replay windows are kept per sender)
//  24  32 × n entries:
//       0 1 op: 1 = connection added or changed, 2 = connection removed
//       1 1 IP protocol (6 TCP, 17 UDP)
//       2 1 state (0 SYN_RECV, 1 ESTABLISHED, 2 FIN_WAIT, 3 TIME_WAIT, 4 CLOSE, 5 UDP)
//       3 1 zero
//       4 4 client address     8 2 client port
//      10 2 virtual port      12 4 virtual address
//      16 4 real server address 20 2 real server port
//      22 6 client-side next-hop MAC (NAT replies go back to it; zero when unknown)
//      28 4 seconds until the entry expires
//  end 32 HMAC-SHA256 over every byte before it

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ConnState } from './conn-table.js';

export const SYNC_MAGIC = 0x5453;
export const SYNC_VERSION = 1;
export const SYNC_HEADER = 24;
export const SYNC_ENTRY = 32;
export const SYNC_MAC = 32;
/** keepalived's and LVS's default sync port. */
export const SYNC_DEFAULT_PORT = 8848;
/** LVS's sync multicast group. */
export const SYNC_GROUP = '224.0.0.81';

export const OP_ADD = 1;
export const OP_REMOVE = 2;

const STATES: ConnState[] = ['SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'TIME_WAIT', 'CLOSE', 'UDP'];

export interface SyncEntry {
  op: typeof OP_ADD | typeof OP_REMOVE;
  proto: number;
  state: ConnState;
  cIp: number;
  cPort: number;
  vIp: number;
  vPort: number;
  rIp: number;
  rPort: number;
  /** Six bytes, or undefined when unknown. */
  clientMac?: Buffer;
  /** Seconds until it expires. */
  ttl: number;
}

export interface SyncHeader {
  syncId: number;
  /** The sender's IPv4 address (as a number) on the sync interface. */
  sender: number;
  epoch: number;
  seq: number;
  time: number;
}

export interface SyncMessage extends SyncHeader {
  entries: SyncEntry[];
}

/** How many entries fit in a datagram of `maxLen` bytes (UDP payload). */
export function entriesPerPacket(maxLen: number): number {
  return Math.max(1, Math.floor((maxLen - SYNC_HEADER - SYNC_MAC) / SYNC_ENTRY));
}

export function encodeSync(m: SyncMessage, key: Buffer): Buffer {
  if (m.entries.length > 0xffff) throw new Error('too many entries for one sync message');
  const b = Buffer.alloc(SYNC_HEADER + m.entries.length * SYNC_ENTRY + SYNC_MAC);
  b.writeUInt16BE(SYNC_MAGIC, 0);
  b[2] = SYNC_VERSION;
  b[3] = m.syncId & 0xff;
  b.writeUInt32BE(m.epoch >>> 0, 4);
  b.writeUInt32BE(m.seq >>> 0, 8);
  b.writeUInt32BE(m.time >>> 0, 12);
  b.writeUInt16BE(m.entries.length, 16);
  b.writeUInt32BE(m.sender >>> 0, 20);
  let o = SYNC_HEADER;
  for (const e of m.entries) {
    b[o] = e.op;
    b[o + 1] = e.proto;
    b[o + 2] = Math.max(0, STATES.indexOf(e.state));
    b.writeUInt32BE(e.cIp >>> 0, o + 4);
    b.writeUInt16BE(e.cPort, o + 8);
    b.writeUInt16BE(e.vPort, o + 10);
    b.writeUInt32BE(e.vIp >>> 0, o + 12);
    b.writeUInt32BE(e.rIp >>> 0, o + 16);
    b.writeUInt16BE(e.rPort, o + 20);
    if (e.clientMac && e.clientMac.length === 6) e.clientMac.copy(b, o + 22);
    b.writeUInt32BE(Math.max(0, Math.min(0xffffffff, Math.round(e.ttl))), o + 28);
    o += SYNC_ENTRY;
  }
  createHmac('sha256', key).update(b.subarray(0, o)).digest().copy(b, o);
  return b;
}

export type SyncDropReason = 'short' | 'bad-magic' | 'bad-version' | 'bad-length' | 'bad-mac' | 'other-sync-id' | 'bad-entry';

export type SyncDecode = { ok: true; msg: SyncMessage } | { ok: false; reason: SyncDropReason };

/** Checks and decodes one datagram; the MAC is checked before any entry is read. */
export function decodeSync(b: Buffer, key: Buffer, syncId: number): SyncDecode {
  if (b.length < SYNC_HEADER + SYNC_MAC) return { ok: false, reason: 'short' };
  if (b.readUInt16BE(0) !== SYNC_MAGIC) return { ok: false, reason: 'bad-magic' };
  if (b[2] !== SYNC_VERSION) return { ok: false, reason: 'bad-version' };
  const n = b.readUInt16BE(16);
  const end = SYNC_HEADER + n * SYNC_ENTRY;
  if (b.length !== end + SYNC_MAC) return { ok: false, reason: 'bad-length' };
  const want = createHmac('sha256', key).update(b.subarray(0, end)).digest();
  if (!timingSafeEqual(want, b.subarray(end, end + SYNC_MAC))) return { ok: false, reason: 'bad-mac' };
  if (b[3] !== (syncId & 0xff)) return { ok: false, reason: 'other-sync-id' };
  const entries: SyncEntry[] = [];
  for (let o = SYNC_HEADER; o < end; o += SYNC_ENTRY) {
    const op = b[o];
    const proto = b[o + 1];
    const state = STATES[b[o + 2]];
    if ((op !== OP_ADD && op !== OP_REMOVE) || (proto !== 6 && proto !== 17) || !state) return { ok: false, reason: 'bad-entry' };
    const mac = b.subarray(o + 22, o + 28);
    entries.push({
      op,
      proto,
      state,
      cIp: b.readUInt32BE(o + 4),
      cPort: b.readUInt16BE(o + 8),
      vPort: b.readUInt16BE(o + 10),
      vIp: b.readUInt32BE(o + 12),
      rIp: b.readUInt32BE(o + 16),
      rPort: b.readUInt16BE(o + 20),
      clientMac: mac.every((x) => x === 0) ? undefined : Buffer.from(mac),
      ttl: b.readUInt32BE(o + 28),
    });
  }
  return { ok: true, msg: { syncId: b[3], sender: b.readUInt32BE(20), epoch: b.readUInt32BE(4), seq: b.readUInt32BE(8), time: b.readUInt32BE(12), entries } };
}

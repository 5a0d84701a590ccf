// The decisions of connection sync, without sockets: what the master queues (one
// pending change per flow, the queue bounded), what the receiver accepts (replay
// window per sender and epoch, send time within a minute), and how an entry becomes
// a connection of the backup's own table (its virtual server and real server looked
// up by address, so the backup's configuration decides what it can take over).

import { inKey, type Conn, type ConnTable } from './conn-table.js';
import { OP_ADD, OP_REMOVE, type SyncEntry } from './sync-packet.js';
import type { PathServer, PathVs } from './packet-path.js';

/** Seconds a datagram's send time may differ from the receiver's clock. */
export const SYNC_MAX_SKEW = 60;
/** Sequence numbers remembered below the highest seen (out-of-order datagrams). */
const WINDOW = 64;

export type ReplayVerdict = 'ok' | 'replay' | 'old-epoch' | 'stale';

/** Per sender: the newest epoch, the highest sequence number and a bitmap of the 64 below it (RFC 4303 §3.4.3 style). */
export class ReplayGuard {
  private peers = new Map<string, { epoch: number; top: number; seen: bigint }>();

  check(sender: string, epoch: number, seq: number, time: number, nowSec: number): ReplayVerdict {
    if (Math.abs(time - nowSec) > SYNC_MAX_SKEW) return 'stale';
    const p = this.peers.get(sender);
    if (!p || epoch > p.epoch) {
      this.peers.set(sender, { epoch, top: seq, seen: 1n });
      return 'ok';
    }
    if (epoch < p.epoch) return 'old-epoch';
    if (seq > p.top) {
      const shift = seq - p.top;
      p.seen = shift >= WINDOW ? 1n : ((p.seen << BigInt(shift)) | 1n) & ((1n << BigInt(WINDOW)) - 1n);
      p.top = seq;
      return 'ok';
    }
    const back = p.top - seq;
    if (back >= WINDOW) return 'replay';
    const bit = 1n << BigInt(back);
    if (p.seen & bit) return 'replay';
    p.seen |= bit;
    return 'ok';
  }
}

/** The entry describing a connection (or its removal) at `now` (ms). */
export function entryOf(c: Conn<PathServer>, op: typeof OP_ADD | typeof OP_REMOVE, now: number): SyncEntry {
  return {
    op,
    proto: c.proto,
    state: c.state,
    cIp: c.cIp,
    cPort: c.cPort,
    vIp: c.vIp,
    vPort: c.vPort,
    rIp: c.rIp,
    rPort: c.rPort,
    clientMac: c.clientMac,
    ttl: Math.max(0, Math.ceil((c.expires - now) / 1000)),
  };
}

/**
 * The master's outgoing changes: one pending entry per flow (a later change replaces
 * an earlier one not yet sent), at most `limit` flows; beyond that new changes are
 * dropped and counted (the backup then misses them, as LVS's sync_qlen_max).
 */
export class SyncQueue {
  private pending = new Map<string, SyncEntry>();
  dropped = 0;

  constructor(readonly limit: number) {}

  get size(): number {
    return this.pending.size;
  }

  push(key: string, e: SyncEntry): boolean {
    if (!this.pending.has(key) && this.pending.size >= this.limit) {
      this.dropped++;
      return false;
    }
    this.pending.delete(key); // re-inserted last: oldest changes go first
    this.pending.set(key, e);
    return true;
  }

  /** Up to `n` entries, oldest first, removed from the queue. */
  take(n: number): SyncEntry[] {
    const out: SyncEntry[] = [];
    for (const [k, e] of this.pending) {
      if (out.length >= n) break;
      out.push(e);
      this.pending.delete(k);
    }
    return out;
  }
}

export type InstallResult = 'installed' | 'removed' | 'no-virtual-server' | 'no-real-server';

/** Applies one received entry to the backup's table. `findVs` looks a virtual server up by VIP, port and protocol. */
export function applyEntry(table: ConnTable<PathServer>, e: SyncEntry, findVs: (vip: number, port: number, proto: number) => PathVs | undefined, now: number): InstallResult {
  const vs = findVs(e.vIp, e.vPort, e.proto);
  if (!vs) return 'no-virtual-server';
  if (e.op === OP_REMOVE) {
    const c = table.lookupIn(inKey(e.proto, e.cIp, e.cPort, e.vIp, e.vPort));
    if (c) table.remove(c);
    return 'removed';
  }
  const server = [...vs.servers, ...(vs.sorry ? [vs.sorry] : [])].find((s) => s.ip === e.rIp && s.port === e.rPort);
  if (!server) return 'no-real-server';
  table.install(
    { proto: e.proto, cIp: e.cIp, cPort: e.cPort, vIp: e.vIp, vPort: e.vPort, rIp: e.rIp, rPort: e.rPort, server, clientMac: e.clientMac, vs },
    e.state,
    now + e.ttl * 1000,
  );
  return 'installed';
}

// Connection sync at the socket edge (LVS's sync daemon as keepalived configures it,
// `lvs_sync_daemon INTERFACE VRRP_INSTANCE`): while this box holds the instance's
// addresses (VRRP master) it sends the packet engine's connection-table changes to the
// sync group; otherwise it installs what the master sends, so after a takeover existing
// flows keep their real server (and, for NAT, their address mapping). Formats and
// decisions are in sync-packet.ts and sync-table.ts.

import dgram from 'node:dgram';
import type { SyncDaemonConfig } from '../config/keepalived-sync.js';
import type { Logger } from '../log.js';
import { linkWatcher, type LinkTable } from '../net/link-watch.js';
import { formatIPv4, ipNumber } from '../wire/ipv4.js';
import type { Conn } from './conn-table.js';
import type { PacketPath, PathServer } from './packet-path.js';
import { vsKey } from './packet-path.js';
import { decodeSync, encodeSync, entriesPerPacket, OP_ADD, OP_REMOVE } from './sync-packet.js';
import { applyEntry, entryOf, ReplayGuard, SyncQueue } from './sync-table.js';

/** Pending changes kept for the backup at most (LVS sync_qlen_max is of this order). */
export const SYNC_QUEUE_LIMIT = 65536;
/** Changes wait this long to share a datagram. */
const FLUSH_MS = 20;
/** A flow whose expiry moved this far since it was last sent is sent again (long-lived flows stay alive on the backup). */
const REFRESH_MS = 30_000;

export interface SyncStats {
  role: 'master' | 'backup';
  sent: number;
  sentEntries: number;
  received: number;
  installed: number;
  removed: number;
  queueDropped: number;
  drops: Record<string, number>;
}

export class SyncDaemon {
  private sock?: dgram.Socket;
  private unwatch?: () => Promise<void>;
  private master = false;
  private readonly queue = new SyncQueue(SYNC_QUEUE_LIMIT);
  private readonly guard = new ReplayGuard();
  private readonly epoch = Math.floor(Date.now() / 1000);
  private seq = 0;
  private flushTimer?: NodeJS.Timeout;
  private refreshTimer?: NodeJS.Timeout;
  private synced = new WeakMap<Conn<PathServer>, number>();
  private own = new Set<number>();
  private readonly vips: number[];
  /** This box's address on the sync interface: the sender field of its datagrams. */
  private src = 0;
  readonly stats: SyncStats = { role: 'backup', sent: 0, sentEntries: 0, received: 0, installed: 0, removed: 0, queueDropped: 0, drops: {} };

  constructor(
    private readonly log: Logger,
    readonly cfg: SyncDaemonConfig,
    private readonly key: Buffer,
    vips: string[],
    private readonly path: PacketPath,
  ) {
    this.vips = vips.map(ipNumber);
  }

  async start(): Promise<void> {
    const w = linkWatcher();
    this.unwatch = await w.subscribe((t) => this.onLinks(t), this.log);
    const link = w.table.byName(this.cfg.iface);
    const src = link?.addresses[0]?.ip;
    if (src === undefined) throw new Error(`lvs_sync_daemon: interface ${this.cfg.iface} has no IPv4 address`);
    this.src = src;
    const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    this.sock = sock;
    sock.on('message', (b, r) => this.receive(b, r.address));
    sock.on('error', (e) => this.log.warn({ err: e.message }, 'connection sync socket error'));
    await new Promise<void>((res, rej) => {
      sock.once('error', rej);
      sock.bind(this.cfg.port, () => {
        sock.off('error', rej);
        res();
      });
    });
    const multicast = (ipNumber(this.cfg.group) >>> 28) === 14;
    if (multicast) {
      sock.addMembership(this.cfg.group, formatIPv4(src));
      sock.setMulticastInterface(formatIPv4(src));
      sock.setMulticastTTL(this.cfg.ttl);
      sock.setMulticastLoopback(false);
    } else sock.setTTL(this.cfg.ttl);
    this.onLinks(w.table);
    this.path.conns.onChange = (c, removed) => this.changed(c, removed);
    this.refreshTimer = setInterval(() => this.refresh(), 5000);
    this.log.info({ iface: this.cfg.iface, instance: this.cfg.instance, group: this.cfg.group, port: this.cfg.port, syncId: this.cfg.syncId, maxlen: this.cfg.maxLen }, 'connection sync running');
  }

  /** Master while every address of the VRRP instance is on this box. */
  private onLinks(t: LinkTable): void {
    this.own = t.allAddresses();
    const m = this.vips.length > 0 && this.vips.every((v) => this.own.has(v));
    if (m === this.master) return;
    this.master = m;
    this.stats.role = m ? 'master' : 'backup';
    this.log.info({ instance: this.cfg.instance }, m ? 'connection sync: master, sending connection changes' : 'connection sync: backup, receiving connection changes');
    if (m) for (const c of this.path.conns.values()) this.changed(c, false); // whatever we learnt is the other backup's now
  }

  private changed(c: Conn<PathServer>, removed: boolean): void {
    if (!this.master) return;
    const now = Date.now();
    if (!this.queue.push(c.key, entryOf(c, removed ? OP_REMOVE : OP_ADD, now))) this.stats.queueDropped = this.queue.dropped;
    if (!removed) this.synced.set(c, c.expires);
    if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  private refresh(): void {
    if (!this.master) return;
    for (const c of this.path.conns.values()) if (c.expires - (this.synced.get(c) ?? 0) > REFRESH_MS) this.changed(c, false);
  }

  private flush(): void {
    this.flushTimer = undefined;
    const per = entriesPerPacket(this.cfg.maxLen);
    while (this.queue.size && this.sock) {
      const entries = this.queue.take(per);
      const b = encodeSync({ syncId: this.cfg.syncId, sender: this.src, epoch: this.epoch, seq: ++this.seq, time: Math.floor(Date.now() / 1000), entries }, this.key);
      this.sock.send(b, this.cfg.port, this.cfg.group, (e) => e && this.log.warn({ err: e.message }, 'sending connection sync failed'));
      this.stats.sent++;
      this.stats.sentEntries += entries.length;
    }
  }

  private drop(reason: string): void {
    this.stats.drops[reason] = (this.stats.drops[reason] ?? 0) + 1;
    this.log.debug({ reason }, 'connection sync datagram dropped');
  }

  private receive(b: Buffer, from: string): void {
    // Our own multicast, should the kernel loop it back.
    if (this.own.has(ipNumber(from))) return;
    const d = decodeSync(b, this.key, this.cfg.syncId);
    if (!d.ok) return this.drop(d.reason);
    // Our own datagrams sent back to us, from whatever source address.
    if (this.own.has(d.msg.sender)) return this.drop('own');
    // Replay windows follow the authenticated sender, not the (forgeable) source address.
    const v = this.guard.check(String(d.msg.sender), d.msg.epoch, d.msg.seq, d.msg.time, Math.floor(Date.now() / 1000));
    if (v !== 'ok') return this.drop(v);
    this.stats.received++;
    // Two masters (a split brain): each keeps its own table.
    if (this.master) return this.drop('received-as-master');
    const now = Date.now();
    const find = (vip: number, port: number, proto: number) => this.path.vss.get(vsKey(vip, port, proto));
    for (const e of d.msg.entries) {
      const r = applyEntry(this.path.conns, e, find, now);
      if (r === 'installed') this.stats.installed++;
      else if (r === 'removed') this.stats.removed++;
      else this.drop(r);
    }
  }

  async stop(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.path.conns.onChange = undefined;
    await this.unwatch?.();
    await new Promise<void>((r) => (this.sock ? this.sock.close(() => r()) : r()));
    this.sock = undefined;
    this.log.info({ ...this.stats }, 'connection sync stopped');
  }
}

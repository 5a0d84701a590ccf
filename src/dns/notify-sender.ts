// NOTIFY out (RFC 1996), the sending: one sender in the main process, whatever the
// number of DNS workers, so each secondary hears of a serial once. It keeps the last
// announcement of every primary zone (serial, SOA, targets) and sends NOTIFY when a
// zone's serial changes: at start (BIND notifies at load), after a reload that changed
// it, and when DHCP names step it. A try without an answer is repeated (notify-out.ts
// says when); any answer ends it. A newer serial replaces a NOTIFY still retrying.

import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../log.js';
import { RCODE_NAMES } from './message.js';
import { withSerial } from './zone-diff.js';
import { notifyMessage, notifyReply, notifyRetryWaits, notifyWait, type NotifyTarget, type NotifyZoneInfo } from './notify-out.js';
import type { NotifySource } from '../config/named-conf-notify.js';

export interface NotifySenderOptions {
  /** Waits after each try (ms); default notifyRetryWaits(). */
  retryWaits?: number[];
  /** Signs an outgoing NOTIFY with the named TSIG key (plugged in where TSIG keys are configured). */
  sign?: (msg: Uint8Array, key: string) => Uint8Array;
  /** Checks a reply to a signed NOTIFY; false drops it (the try is repeated). */
  verify?: (reply: Uint8Array, key: string) => boolean;
}

const zoneKey = (z: string): string => (z.endsWith('.') ? z : `${z}.`).toLowerCase();

interface Pending {
  cancel(): void;
}

export class NotifySender {
  private last = new Map<string, NotifyZoneInfo>();
  /** Per zone: when its notify-delay window ends (ms since the epoch). */
  private windows = new Map<string, number>();
  private pending = new Map<string, Pending>();
  private sockets = new Map<string, Promise<dgram.Socket>>();
  private waiting = new Map<string, (msg: Buffer, from: dgram.RemoteInfo) => void>();
  private readonly waits: number[];
  /** Counters for logs and tests. */
  readonly stats = { sent: 0, answered: 0, failed: 0 };

  constructor(
    private readonly log: Logger,
    private readonly opts: NotifySenderOptions = {},
  ) {
    this.waits = opts.retryWaits ?? notifyRetryWaits();
  }

  /**
   * The primary zones as loaded now. A zone whose serial differs from the last one
   * announced (or every zone when `all`, at start) is announced; zones no longer
   * served are forgotten.
   */
  loaded(infos: readonly NotifyZoneInfo[], all: boolean): void {
    const keep = new Set<string>();
    for (const info of infos) {
      const k = zoneKey(info.zone);
      keep.add(k);
      const prev = this.last.get(k);
      this.last.set(k, info);
      if (all || !prev || prev.serial !== info.serial) this.announce(info);
    }
    for (const k of this.last.keys()) if (!keep.has(k)) this.last.delete(k);
  }

  /** Served serials after DHCP names changed them (zone origin → serial): the zones that moved forward are announced. */
  serials(serials: Readonly<Record<string, number>>): void {
    for (const [k, info] of this.last) {
      const s = serials[k];
      if (s === undefined || ((s - info.serial) | 0) <= 0) continue;
      const next: NotifyZoneInfo = { ...info, serial: s >>> 0 };
      if (info.soa) next.soa = { ttl: info.soa.ttl, rdata: Buffer.from(withSerial(Buffer.from(info.soa.rdata, 'hex'), s >>> 0)).toString('hex') };
      this.last.set(k, next);
      this.announce(next);
    }
  }

  /**
   * `triad ctl dns notify ZONE` (rndc notify): announces the zone's current serial again;
   * undefined for a zone that is no primary zone served here.
   */
  again(zone: string): NotifyZoneInfo | undefined {
    const info = this.last.get(zoneKey(zone));
    if (info) this.announce(info);
    return info;
  }

  private announce(info: NotifyZoneInfo): void {
    if (info.targets.length === 0) return;
    const name = info.zone.replace(/\.$/, '') || '.';
    const now = Date.now();
    const w = notifyWait(this.windows.get(zoneKey(info.zone)) ?? 0, now, info.delay);
    this.windows.set(zoneKey(info.zone), w.windowEnd);
    this.log.info({ zone: name, serial: info.serial, targets: info.targets.map((t) => `${t.address}#${t.port}`), inMs: w.waitMs }, `zone ${name}/IN: sending notifies (serial ${info.serial})`);
    for (const target of info.targets) {
      const k = `${zoneKey(info.zone)}|${target.address}#${target.port}`;
      this.pending.get(k)?.cancel();
      this.pending.set(k, this.start(info, target, w.waitMs, () => this.pending.delete(k)));
    }
  }

  private start(info: NotifyZoneInfo, target: NotifyTarget, waitMs: number, done: () => void): Pending {
    const name = info.zone.replace(/\.$/, '') || '.';
    const id = Math.floor(Math.random() * 0x10000);
    const soa = info.soa ? { ttl: info.soa.ttl, rdata: Uint8Array.from(Buffer.from(info.soa.rdata, 'hex')) } : undefined;
    let msg = notifyMessage(id, info.zone, soa);
    if (target.key && this.opts.sign) msg = this.opts.sign(msg, target.key);
    const family = net.isIPv6(target.address) ? 6 : 4;
    const source = family === 6 ? info.sourceV6 : info.source;
    const waitKey = `${id}|${target.address}|${target.port}`;
    let timer: NodeJS.Timeout | undefined;
    let over = false;
    const finish = (): void => {
      over = true;
      if (timer) clearTimeout(timer);
      this.waiting.delete(waitKey);
      done();
    };
    const attempt = (n: number): void => {
      if (over) return;
      if (n >= this.waits.length) {
        this.stats.failed++;
        this.log.warn({ zone: name, target: `${target.address}#${target.port}`, serial: info.serial }, `zone ${name}/IN: notify to ${target.address}#${target.port} failed: timed out`);
        finish();
        return;
      }
      this.socket(family, source).then(
        (sock) => {
          if (over) return;
          this.stats.sent++;
          sock.send(msg, target.port, target.address, (err) => {
            if (err) this.log.debug({ zone: name, target: target.address, err: err.message }, 'notify send failed');
          });
          timer = setTimeout(() => attempt(n + 1), this.waits[n]);
          timer.unref();
        },
        (err: unknown) => {
          this.stats.failed++;
          this.log.error({ zone: name, source, err: err instanceof Error ? err.message : String(err) }, `zone ${name}/IN: cannot send notifies from the notify-source`);
          finish();
        },
      );
    };
    this.waiting.set(waitKey, (reply) => {
      const r = notifyReply(reply, id, info.zone);
      if (!r) return;
      if (target.key && this.opts.verify && !this.opts.verify(reply, target.key)) return;
      this.stats.answered++;
      const rcode = RCODE_NAMES[r.rcode] ?? String(r.rcode);
      if (r.rcode === 0) this.log.debug({ zone: name, target: `${target.address}#${target.port}`, serial: info.serial }, 'notify answered');
      else this.log.warn({ zone: name, target: `${target.address}#${target.port}` }, `zone ${name}/IN: notify to ${target.address}#${target.port} answered ${rcode}`);
      finish();
    });
    const delay = setTimeout(() => attempt(0), waitMs);
    delay.unref();
    return {
      cancel: () => {
        clearTimeout(delay);
        finish();
      },
    };
  }

  /** A UDP socket per family and notify-source, bound once and kept. */
  private socket(family: 4 | 6, source: NotifySource | undefined): Promise<dgram.Socket> {
    const address = source && source.address !== '*' ? source.address : family === 6 ? '::' : '0.0.0.0';
    const port = source?.port ?? 0;
    const k = `${address}#${port}`;
    const have = this.sockets.get(k);
    if (have) return have;
    const made = new Promise<dgram.Socket>((resolve, reject) => {
      const sock = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
      sock.once('error', (err) => {
        this.sockets.delete(k);
        reject(err);
      });
      sock.on('message', (reply, from) => {
        if (reply.length < 2) return;
        const id = reply.readUInt16BE(0);
        const addr = from.address.replace(/^::ffff:/, '');
        this.waiting.get(`${id}|${addr}|${from.port}`)?.(reply, from);
      });
      sock.bind({ address, port, exclusive: true }, () => {
        sock.removeAllListeners('error');
        sock.on('error', (err) => this.log.debug({ err: err.message }, 'notify socket error'));
        sock.unref();
        resolve(sock);
      });
    });
    this.sockets.set(k, made);
    return made;
  }

  stop(): void {
    for (const p of [...this.pending.values()]) p.cancel();
    this.pending.clear();
    for (const s of this.sockets.values()) s.then((sock) => sock.close(), () => undefined);
    this.sockets.clear();
  }
}

// Leases in memory: one record per address, indexed by client identity, plus the
// short-lived offers that keep two clients from being offered one address.

import { OfferBook, type Offer } from './offers.js';
import type { Changes } from './changes.js';

export type BindingState = 'active' | 'free' | 'abandoned' | 'expired' | 'released' | 'backup' | 'reset';

export interface Lease {
  ip: number;
  /** Seconds since the epoch. */
  starts: number;
  ends: number;
  cltt?: number;
  state: BindingState;
  hwType?: number;
  hwAddr?: Buffer;
  /** Client identifier (option 61) when the client sent one. */
  uid?: Buffer;
  hostname?: string;
  /** The lease-limited class (or subclass: its data, hex) the lease counts against. */
  billing?: Billing;
}

export interface Billing {
  cls: string;
  sub?: string;
}

/** Client identity: option 61 when present (RFC 2131 §4.2, RFC 6842), else htype+chaddr. */
export function clientKey(uid: Buffer | undefined, hwType: number | undefined, hwAddr: Buffer | undefined): string {
  if (uid && uid.length > 0) return `id:${uid.toString('hex')}`;
  return `hw:${hwType ?? 1}:${hwAddr ? hwAddr.toString('hex') : ''}`;
}

export function leaseKey(l: Lease): string {
  return clientKey(l.uid, l.hwType, l.hwAddr);
}

export type { Offer } from './offers.js';

/** The outstanding offers as others see them: read-only (they change through LeaseDb.apply). */
export interface OfferView {
  readonly size: number;
  get(ip: number): Offer | undefined;
  has(ip: number): boolean;
  values(): IterableIterator<Offer>;
  heldFor(key: string, nowMs: number): number | undefined;
}

/** How often expired offers are swept out of memory (ms). */
const OFFER_SWEEP_MS = 3600_000;

export class LeaseDb {
  readonly byIp = new Map<number, Lease>();
  private byKey = new Map<string, Set<number>>();
  private byHw = new Map<string, Set<number>>();
  private book = new OfferBook();
  private sweptAt = 0;

  get offers(): OfferView {
    return this.book;
  }

  /**
   * Applies a decision's lease records and offer edits to memory, once the records are
   * durable; offers that lapsed are swept out now and then.
   */
  apply(ch: Pick<Changes, 'commit' | 'offers'>, nowMs: number): void {
    for (const l of ch.commit) this.put(l);
    for (const e of ch.offers) {
      if (e.op === 'hold') this.book.set(e.ip, { key: e.key, expires: e.expires });
      else if (e.op === 'withdraw') this.book.delete(e.ip);
      else this.book.releaseFor(e.key);
    }
    if (nowMs - this.sweptAt >= OFFER_SWEEP_MS) {
      this.sweptAt = nowMs;
      for (const [ip, o] of this.book) if (o.expires <= nowMs) this.book.delete(ip);
    }
  }

  get size(): number {
    return this.byIp.size;
  }

  /** Inserts or replaces the record for lease.ip. */
  put(lease: Lease): void {
    const old = this.byIp.get(lease.ip);
    if (old) this.unindex(old);
    this.byIp.set(lease.ip, lease);
    this.index(lease);
  }

  get(ip: number): Lease | undefined {
    return this.byIp.get(ip);
  }

  /** Leases whose identity is `key` (any state). */
  forKey(key: string): Lease[] {
    const out: Lease[] = [];
    const s = this.byKey.get(key);
    if (s) {
      for (const ip of s) {
        const l = this.byIp.get(ip);
        if (l) out.push(l);
      }
    }
    return out;
  }

  /** Leases with this hardware address (for clients that dropped or changed their client-id). */
  forHw(hwType: number, hw: Buffer): Lease[] {
    const s = this.byHw.get(`${hwType}:${hw.toString('hex')}`);
    return s ? [...s].map((ip) => this.byIp.get(ip)!).filter(Boolean) : [];
  }

  all(): IterableIterator<Lease> {
    return this.byIp.values();
  }

  private index(l: Lease): void {
    const k = leaseKey(l);
    let s = this.byKey.get(k);
    if (!s) this.byKey.set(k, (s = new Set()));
    s.add(l.ip);
    if (l.hwAddr) {
      const h = `${l.hwType ?? 1}:${l.hwAddr.toString('hex')}`;
      let t = this.byHw.get(h);
      if (!t) this.byHw.set(h, (t = new Set()));
      t.add(l.ip);
    }
  }

  private unindex(l: Lease): void {
    this.byKey.get(leaseKey(l))?.delete(l.ip);
    if (l.hwAddr) this.byHw.get(`${l.hwType ?? 1}:${l.hwAddr.toString('hex')}`)?.delete(l.ip);
  }

  /** True when the address is bound to (or offered to) a client other than `key` at `nowSec`. */
  takenByOther(ip: number, key: string, nowSec: number, nowMs: number): boolean {
    const o = this.book.get(ip);
    if (o && o.expires > nowMs && o.key !== key) return true;
    const l = this.byIp.get(ip);
    if (!l) return false;
    if (l.state === 'abandoned') return l.ends > nowSec; // DECLINEd: quarantined until it ends
    if (l.state === 'active' && l.ends > nowSec) return leaseKey(l) !== key;
    return false;
  }
}

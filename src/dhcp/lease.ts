// Leases in memory: one record per address, indexed by client identity, plus the
// short-lived offers that keep two clients from being offered one address.

import { OfferBook } from './offers.js';

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

export class LeaseDb {
  readonly byIp = new Map<number, Lease>();
  private byKey = new Map<string, Set<number>>();
  private byHw = new Map<string, Set<number>>();
  readonly offers = new OfferBook();

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
    const s = this.byKey.get(key);
    return s ? [...s].map((ip) => this.byIp.get(ip)!).filter(Boolean) : [];
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
    const o = this.offers.get(ip);
    if (o && o.expires > nowMs && o.key !== key) return true;
    const l = this.byIp.get(ip);
    if (!l) return false;
    if (l.state === 'abandoned') return l.ends > nowSec; // DECLINEd: quarantined until it ends
    if (l.state === 'active' && l.ends > nowSec) return leaseKey(l) !== key;
    return false;
  }
}

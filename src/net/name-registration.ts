// The contract between the DHCP service (which learns host names from clients) and the
// DNS service (which publishes them in its zones), so neither imports the other's
// internals: `triad run` creates one channel and hands it to both through RunOptions.
// DHCP publishes bind/unbind events; DNS subscribes and decides what to do with them.
// The other way, DNS publishes the addresses its zones give names (their files' A
// records), and DHCP looks up `fixed-address NAME` in them.

export interface NameBinding {
  /** Absolute host name, lower case, with the trailing dot: `pc1.cafe.babe.`. */
  fqdn: string;
  /** IPv4 address as a number. */
  ip: number;
  ttl: number;
  /** When the lease ends, seconds since the epoch (Infinity: never). */
  expires: number;
  /** The client's identity (like RFC 4701's DHCID): only the same client may replace the name. */
  owner: string;
  /** Add the A record (false when the client does its own forward update, RFC 4702 S bit). */
  forward: boolean;
  /** Add the PTR record. */
  reverse: boolean;
  /** Suffix of the PTR name, `in-addr.arpa.` unless ddns-rev-domainname says otherwise. */
  revDomain: string;
}

/** Name (lower case, absolute with the trailing dot) → its IPv4 addresses, in zone-file order. */
export type AddressTable = ReadonlyMap<string, readonly number[]>;

export type NameEvent = { kind: 'bind'; binding: NameBinding } | { kind: 'unbind'; ip: number; owner: string };

/** In-process publish/subscribe; events published before anyone subscribes are kept (bounded). */
export class NameRegistrations {
  private subs = new Set<(e: NameEvent) => void>();
  private backlog: NameEvent[] = [];

  publish(e: NameEvent): void {
    if (this.subs.size === 0) {
      if (this.backlog.length < 10_000) this.backlog.push(e);
      return;
    }
    for (const s of this.subs) s(e);
  }

  private addresses: AddressTable | undefined;

  /** DNS: the addresses its primary zones' files hold, replaced at every (re)load. */
  publishAddresses(table: AddressTable): void {
    this.addresses = table;
  }

  /** DHCP: the first address of `name` (as written, absolute or not) in the DNS service's zones. */
  lookup(name: string): number | undefined {
    const n = name.toLowerCase();
    return this.addresses?.get(n.endsWith('.') ? n : `${n}.`)?.[0];
  }

  subscribe(fn: (e: NameEvent) => void): () => void {
    this.subs.add(fn);
    const pending = this.backlog;
    this.backlog = [];
    for (const e of pending) fn(e);
    return () => this.subs.delete(fn);
  }
}

// Outstanding DHCPOFFERs: address → the client it is held for, and client → its one offer.
// One client, one offer: offering a client an address releases any other address held
// for it, so a client that retransmits its DISCOVER (iPXE does while it waits for a
// ProxyDHCP answer) holds one address, not one per retransmission (RFC 2131 §4.3.1).

export interface Offer {
  key: string;
  expires: number; // ms
}

/** A Map of address → offer that also knows each client's offer. */
export class OfferBook extends Map<number, Offer> {
  private byKey = new Map<string, number>();

  override set(ip: number, o: Offer): this {
    const old = super.get(ip);
    if (old && this.byKey.get(old.key) === ip) this.byKey.delete(old.key);
    const prev = this.byKey.get(o.key);
    if (prev !== undefined && prev !== ip) super.delete(prev);
    this.byKey.set(o.key, ip);
    return super.set(ip, o);
  }

  override delete(ip: number): boolean {
    const o = super.get(ip);
    if (o && this.byKey.get(o.key) === ip) this.byKey.delete(o.key);
    return super.delete(ip);
  }

  override clear(): void {
    this.byKey.clear();
    super.clear();
  }

  /** The address offered to `key` and still held at `nowMs`, if any. */
  heldFor(key: string, nowMs: number): number | undefined {
    const ip = this.byKey.get(key);
    if (ip === undefined) return undefined;
    const o = super.get(ip);
    return o && o.expires > nowMs ? ip : undefined;
  }

  /** Releases the offer held for `key` (the client chose another server, or took its lease). */
  releaseFor(key: string): void {
    const ip = this.byKey.get(key);
    if (ip !== undefined) this.delete(ip);
  }
}

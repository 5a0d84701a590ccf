// Finds the zone that holds a name: the closest enclosing zone (RFC 1034 §4.3.2 step 2).

import { nameKey } from '../wire/dns-name.js';
import type { Zone } from './zone.js';

export class ZoneTable {
  private readonly byKey = new Map<string, Zone>();
  readonly zones: readonly Zone[];

  constructor(zones: readonly Zone[]) {
    this.zones = zones;
    for (const z of zones) this.byKey.set(nameKey(z.origin), z);
  }

  /** The deepest zone at or above `name` (wire form), or undefined. */
  find(name: Uint8Array): Zone | undefined {
    return this.findByKey(nameKey(name));
  }

  /** Same as find() for a key already computed with nameKey(). */
  findByKey(key: string): Zone | undefined {
    // nameKey is length-prefixed labels, so every suffix starting at a label boundary is a parent's key.
    for (let i = 0; i < key.length; i += key.charCodeAt(i) + 1) {
      const z = this.byKey.get(i === 0 ? key : key.slice(i));
      if (z) return z;
      if (key.charCodeAt(i) === 0) break;
    }
    return undefined;
  }

  get size(): number {
    return this.byKey.size;
  }
}

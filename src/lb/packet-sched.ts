// New-flow scheduling for the packet engine. Slot-table schedulers reuse the control
// plane's tables; the ones that need live connection counts are evaluated here per
// new flow with the cost rule of their descriptor (schedulers.ts), as IPVS does.

import type { LbAlgo } from '../config/keepalived-conf.js';
import type { ConnCounted } from './conn-table.js';
import { buildSlotTable } from './scheduler.js';
import { SCHEDULERS, type LiveRule } from './schedulers.js';
import type { Selector } from './slot-table.js';

export interface SchedServer extends ConnCounted {
  id: string;
  weight: number;
  /** Alive and resolvable (has a next-hop MAC). */
  usable: boolean;
}

/** Integer mix (MurmurHash3 fmix32) of a flow's fields, for sh/dh/mh. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class PacketScheduler<S extends SchedServer> {
  private selector: Selector = 'first';
  private slots: number[] = [];
  private rr = 0;
  private readonly live: LiveRule | undefined;

  constructor(
    readonly algo: LbAlgo,
    readonly servers: readonly S[],
    readonly hashPort: boolean,
  ) {
    this.live = SCHEDULERS[algo].live;
    if (!this.live) {
      const t = buildSlotTable(algo, servers.map((s) => ({ id: s.id, weight: s.usable ? s.weight : 0 })), hashPort);
      this.selector = t.selector;
      this.slots = t.slots;
    }
  }

  /** The server for a new flow, or undefined when none can take it. */
  pick(src: number, sport: number, dst: number): S | undefined {
    if (this.live) return this.pickLive(this.live);
    const n = this.slots.length;
    if (n === 0) return undefined;
    let i: number;
    switch (this.selector) {
      case 'numgen':
        i = this.rr++ % n;
        if (this.rr > 0x3fffffff) this.rr = 0;
        break;
      case 'hash-src':
        i = mix32(src) % n;
        break;
      case 'hash-src-port':
        i = mix32(src ^ Math.imul(sport, 0x9e3779b1)) % n;
        break;
      case 'hash-dst':
        i = mix32(dst) % n;
        break;
      default:
        i = 0;
    }
    return this.servers[this.slots[i]];
  }

  private pickLive(rule: LiveRule): S | undefined {
    let best: S | undefined;
    // Compare a/wa < b/wb as a*wb < b*wa (IPVS avoids division the same way).
    let bestCost = 0;
    let bestW = 1;
    for (const s of this.servers) {
      if (!s.usable || s.weight <= 0) continue;
      if (rule.idleFirst && s.activeConns === 0) return s;
      const cost = rule.cost(s);
      const w = rule.weighted ? s.weight : 1;
      if (!best || cost * bestW < bestCost * w) {
        best = s;
        bestCost = cost;
        bestW = w;
      }
    }
    return best;
  }
}

// Engine selection: each virtual server names its datapath (`lb_datapath`, the
// global_defs keyword or `--lb-datapath`; nft by default). This datapath splits the
// desired state between the kernel's nftables engine and the packet engine, and
// creates (and crash-recovers) an engine only once a virtual server needs it, so a
// host without nft runs the packet engine alone.

import type { Datapath, DesiredState, ServerCounters } from './datapath.js';

type Which = 'nft' | 'packet';

export class SplitDatapath implements Datapath {
  private engines = new Map<Which, Datapath>();
  private resetDone = new Set<Which>();

  constructor(private readonly factories: Record<Which, () => Datapath>) {}

  get name(): string {
    const used = [...this.engines.keys()].map((w) => this.engines.get(w)!.name);
    return used.length ? used.join('+') : 'nftables';
  }

  /** The engine object for `which`, when created (tests and the bench read packet stats). */
  engine(which: Which): Datapath | undefined {
    return this.engines.get(which);
  }

  private get(which: Which): Datapath {
    let e = this.engines.get(which);
    if (!e) {
      e = this.factories[which]();
      this.engines.set(which, e);
    }
    return e;
  }

  async reset(): Promise<void> {
    // Deferred to each engine's next apply (it needs to know which engines are used):
    // each engine in use then starts from nothing again.
    this.resetDone.clear();
  }

  private split(state: DesiredState): Map<Which, DesiredState> {
    const out = new Map<Which, DesiredState>();
    for (const vs of state.vss) {
      const w: Which = vs.datapath === 'packet' ? 'packet' : 'nft';
      if (!out.has(w)) out.set(w, { vss: [] });
      out.get(w)!.vss.push(vs);
    }
    return out;
  }

  async apply(state: DesiredState): Promise<void> {
    const parts = this.split(state);
    for (const w of ['nft', 'packet'] as const) {
      const part = parts.get(w);
      if (!part && !this.engines.has(w)) continue;
      const e = this.get(w);
      if (!this.resetDone.has(w)) {
        await e.reset();
        this.resetDone.add(w);
      }
      await e.apply(part ?? { vss: [] });
    }
  }

  async counters(state: DesiredState): Promise<Map<string, ServerCounters>> {
    const out = new Map<string, ServerCounters>();
    for (const [w, part] of this.split(state)) {
      const e = this.engines.get(w);
      if (e) for (const [k, v] of await e.counters(part)) out.set(k, v);
    }
    return out;
  }

  async remove(): Promise<void> {
    for (const e of this.engines.values()) await e.remove();
  }
}

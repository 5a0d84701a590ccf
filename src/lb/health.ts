// Health checkers, deduplicated: one checker per (real server endpoint, check
// spec), however many virtual servers share it (keepalived#2358). A checker runs
// every delay_loop; a failure is retried `retry` times, delay_before_retry apart,
// before the endpoint is declared down; one success brings it back up.

import type { CheckConfig } from '../config/keepalived-conf.js';
import { probe as realProbe, type ProbeResult, type Target } from './probes.js';

export interface CheckState {
  up: boolean;
  /** From MISC_CHECK misc_dynamic. */
  weight?: number;
  detail: string;
  since: number;
}

export type ProbeFn = (c: CheckConfig, t: Target) => Promise<ProbeResult>;

/** Stable key of a check: endpoint and the parts of the spec that change what it does. */
export function checkKey(t: Target, c: CheckConfig): string {
  const { pos: _pos, ...spec } = c;
  return `${t.ip}:${t.port} ${JSON.stringify(spec)}`;
}

class Checker {
  state: CheckState;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  constructor(
    readonly key: string,
    readonly target: Target,
    readonly check: CheckConfig,
    initialUp: boolean,
    private readonly probe: ProbeFn,
    private readonly onChange: (c: Checker) => void,
  ) {
    this.state = { up: initialUp, detail: initialUp ? 'assumed up' : 'waiting for first check (alpha)', since: Date.now() };
  }

  start(): void {
    // First check right away so a dead server is found without waiting a whole delay_loop.
    this.timer = setTimeout(() => void this.cycle(), 0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async cycle(): Promise<void> {
    let r = await this.probe(this.check, this.target);
    for (let i = 0; !r.ok && i < this.check.retry && !this.stopped; i++) {
      await new Promise((res) => (this.timer = setTimeout(res, this.check.delayBeforeRetry * 1000)));
      if (this.stopped) return;
      r = await this.probe(this.check, this.target);
    }
    if (this.stopped) return;
    const changed = r.ok !== this.state.up || r.weight !== this.state.weight;
    this.state = { up: r.ok, weight: r.weight, detail: r.detail, since: changed ? Date.now() : this.state.since };
    if (changed) this.onChange(this);
    this.timer = setTimeout(() => void this.cycle(), this.check.delayLoop * 1000);
  }
}

export interface CheckSpec {
  target: Target;
  check: CheckConfig;
  /** keepalived's alpha: start down until the first success. */
  startDown: boolean;
}

export class HealthMonitor {
  private checkers = new Map<string, Checker>();
  constructor(
    private readonly onChange: (key: string, target: Target, state: CheckState) => void,
    private readonly probe: ProbeFn = realProbe,
  ) {}

  /** Makes the running checkers match `specs`; checkers that stay keep their state (a reload does not revive a dead server). */
  sync(specs: CheckSpec[]): void {
    const want = new Map<string, CheckSpec>();
    for (const s of specs) {
      const k = checkKey(s.target, s.check);
      const prev = want.get(k);
      // Shared by several virtual servers: alpha on any of them starts it down.
      want.set(k, prev ? { ...prev, startDown: prev.startDown || s.startDown } : s);
    }
    for (const [k, c] of this.checkers) {
      if (!want.has(k)) {
        c.stop();
        this.checkers.delete(k);
      }
    }
    for (const [k, s] of want) {
      if (this.checkers.has(k)) continue;
      const c = new Checker(k, s.target, s.check, !s.startDown, this.probe, (x) => this.onChange(x.key, x.target, x.state));
      this.checkers.set(k, c);
      c.start();
    }
  }

  state(key: string): CheckState | undefined {
    return this.checkers.get(key)?.state;
  }

  get size(): number {
    return this.checkers.size;
  }

  stop(): void {
    for (const c of this.checkers.values()) c.stop();
    this.checkers.clear();
  }
}

// Whether each of Triad's services is serving, for the services that follow it (VRRP's
// `track_service`), so none reaches into another's internals: `triad run` creates one
// channel and hands it to every service through RunOptions. The supervisor publishes
// each service's state (running, failed, not configured, stopped); a service may add a
// fault of its own while running (DNS when every worker died).

export type HealthState = 'running' | 'failed' | 'not configured' | 'stopped';

export interface Health {
  state: HealthState;
  /** A running service's own fault, in users' words. */
  fault?: string;
}

export class ServiceHealth {
  private states = new Map<string, Health>();
  private subs = new Set<() => void>();

  /** The supervisor: a service's state changed (clears its own fault). */
  setState(name: string, state: HealthState): void {
    const before = this.states.get(name);
    if (before?.state === state && before.fault === undefined) return;
    this.states.set(name, { state });
    this.changed();
  }

  /** A running service reports a fault of its own (undefined: cleared). */
  setFault(name: string, fault: string | undefined): void {
    const h = this.states.get(name) ?? { state: 'running' };
    if (h.fault === fault) return;
    this.states.set(name, { ...h, fault });
    this.changed();
  }

  get(name: string): Health | undefined {
    return this.states.get(name);
  }

  /** Why `name` is not serving, or undefined when it serves. */
  problem(name: string): string | undefined {
    const h = this.states.get(name);
    // Not started yet (it starts after VRRP): no verdict, rather than a fault at every start.
    if (!h) return undefined;
    if (h.state !== 'running') return `${name} is ${h.state}`;
    return h.fault;
  }

  /** Called on every change; returns the unsubscribe function. */
  subscribe(f: () => void): () => void {
    this.subs.add(f);
    return () => void this.subs.delete(f);
  }

  private changed(): void {
    for (const f of [...this.subs]) {
      try {
        f();
      } catch {
        // A subscriber's failure is its own; the others are still told.
      }
    }
  }
}

/** The names `track_service` accepts: Triad's services. */
export const TRACKABLE_SERVICES: readonly string[] = ['dns', 'dhcp', 'lb', 'dhcp-relay', 'tftp', 'httpboot', 'pxe-proxy'];

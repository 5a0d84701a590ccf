// The HA state machine, as Kea's HA hook runs it, as a pure function: from this server's
// state, what it knows of its partner (the state its last heartbeat answer reported, or
// that it did not answer) and of the clients left unanswered, to the next state. The
// service feeds it after every heartbeat and every DHCP packet seen; sockets live elsewhere.

import type { HaConfig, HaPeer, HaRole } from '../../config/ha-conf.js';

/** The part of the pair's configuration that scopes depend on. */
export interface ScopeConfig {
  mode: HaConfig['mode'];
  thisServerName: string;
  peers: readonly Pick<HaPeer, 'name' | 'role'>[];
}

export type HaState =
  | 'waiting'
  | 'syncing'
  | 'ready'
  | 'hot-standby'
  | 'load-balancing'
  | 'passive-backup'
  | 'backup'
  | 'partner-down'
  | 'terminated'
  | 'communication-recovery'
  | 'in-maintenance'
  | 'partner-in-maintenance';

/** What a heartbeat learns: the partner's state, or 'unavailable' when it did not answer. */
export type PartnerState = HaState | 'unavailable' | 'unknown';

export interface HaView {
  role: HaRole;
  partner: PartnerState;
  /** Communication is interrupted: no answer from the partner for max-response-delay. */
  interrupted: boolean;
  /** Clients the partner left unanswered (secs beyond max-ack-delay) while interrupted. */
  unackedClients: number;
  /** The lease database synchronisation of the syncing state has finished. */
  synced: boolean;
  /** Clocks differ by more than 60 s (Kea terminates the pair). */
  clockSkew: boolean;
}

/** The normal state of the pair's mode. */
export function normalState(c: Pick<HaConfig, 'mode'>): HaState {
  return c.mode;
}

/** Kea's failure detection: interrupted, and more than max-unacked-clients left unanswered (or the check is off). */
export function partnerFailed(c: Pick<HaConfig, 'maxUnackedClients'>, v: HaView): boolean {
  if (!v.interrupted) return false;
  return c.maxUnackedClients === 0 || v.unackedClients > c.maxUnackedClients;
}

const NORMAL = new Set<PartnerState>(['hot-standby', 'load-balancing', 'passive-backup']);

/** The next state; `cur` when nothing changes. */
export function nextHaState(c: Pick<HaConfig, 'mode' | 'maxUnackedClients' | 'syncLeases'>, cur: HaState, v: HaView): HaState {
  const normal = normalState(c);
  if (cur === 'in-maintenance' || cur === 'terminated') return cur;
  if (v.clockSkew && v.partner !== 'unavailable') return 'terminated';
  // A backup server only receives lease updates (Kea's backup state, in every mode).
  if (v.role === 'backup') return 'backup';
  // passive-backup: the primary serves alone, without heartbeats or failover.
  if (c.mode === 'passive-backup') return normal;
  const partnerGone = v.partner === 'unavailable' && partnerFailed(c, v);
  switch (cur) {
    case 'waiting':
      if (v.partner === 'partner-down' || v.partner === 'ready' || NORMAL.has(v.partner) || v.partner === 'communication-recovery' || v.partner === 'partner-in-maintenance')
        return c.syncLeases ? 'syncing' : 'ready';
      // Both waiting: the primary syncs first, the other waits for it.
      if ((v.partner === 'waiting' || v.partner === 'syncing') && v.role === 'primary') return c.syncLeases ? 'syncing' : 'ready';
      if (v.partner === 'terminated') return 'terminated';
      // Nobody answers: a server that starts alone takes over once failure detection says so.
      if (partnerGone) return 'partner-down';
      return cur;
    case 'syncing':
      if (v.synced) return 'ready';
      if (partnerGone) return 'partner-down';
      return cur;
    case 'ready':
      if (NORMAL.has(v.partner) || v.partner === 'partner-down') return normal;
      if (v.partner === 'ready' && v.role === 'primary') return normal;
      if (v.partner === 'ready' && v.role !== 'primary') return cur;
      if (partnerGone) return 'partner-down';
      return cur;
    case 'hot-standby':
    case 'load-balancing':
      if (v.partner === 'partner-down') return 'waiting';
      if (v.partner === 'unavailable') {
        if (partnerFailed(c, v)) return 'partner-down';
        // Load balancing keeps serving its own scope and queues updates meanwhile (Kea 2.2).
        if (c.mode === 'load-balancing' && v.interrupted) return 'communication-recovery';
      }
      if (v.partner === 'in-maintenance') return 'partner-in-maintenance';
      return cur;
    case 'communication-recovery':
      if (v.partner !== 'unavailable' && v.partner !== 'unknown') return normal;
      if (partnerFailed(c, v)) return 'partner-down';
      return cur;
    case 'partner-down':
      // The partner is back and has caught up: return to normal together.
      if (v.partner === 'ready') return normal;
      return cur;
    case 'partner-in-maintenance':
      if (v.partner === 'unavailable') return 'partner-down';
      if (v.partner !== 'in-maintenance') return normal;
      return cur;
  }
  return cur;
}

/**
 * The scopes (server names whose clients this server answers) in `state`: in the normal
 * state its own (hot-standby: the primary's only), in partner-down every server's, while
 * waiting/syncing/ready none.
 */
export function servedScopes(c: ScopeConfig, state: HaState): string[] {
  const primary = c.peers.find((p) => p.role === 'primary')?.name ?? '';
  const active = c.peers.filter((p) => p.role === 'primary' || p.role === 'secondary' || p.role === 'standby').map((p) => p.name);
  const me = c.peers.find((p) => p.name === c.thisServerName);
  switch (state) {
    case 'partner-down':
    case 'partner-in-maintenance':
      return c.mode === 'hot-standby' ? [primary] : c.mode === 'load-balancing' ? active.sort(byRole(c)) : [primary];
    case 'hot-standby':
      return me?.role === 'primary' ? [primary] : [];
    case 'load-balancing':
    case 'communication-recovery':
    case 'terminated':
      if (c.mode === 'hot-standby') return me?.role === 'primary' ? [primary] : [];
      return me ? [me.name] : [];
    case 'passive-backup':
      return me?.role === 'primary' ? [primary] : [];
    default:
      return [];
  }
}

const byRole = (c: Pick<ScopeConfig, 'peers'>) => (a: string, b: string): number => rank(c, a) - rank(c, b);
const rank = (c: Pick<ScopeConfig, 'peers'>, n: string): number => (c.peers.find((p) => p.name === n)?.role === 'primary' ? 0 : 1);

/** The scope a client belongs to: the primary's in hot-standby, by the RFC 3074 hash in load-balancing. */
export function clientScope(c: Pick<ScopeConfig, 'mode' | 'peers'>, hashIndex: number): string {
  const primary = c.peers.find((p) => p.role === 'primary')?.name ?? '';
  if (c.mode !== 'load-balancing') return primary;
  const secondary = c.peers.find((p) => p.role === 'secondary')?.name ?? '';
  return hashIndex === 0 ? primary : secondary;
}

// One server of an HA pair at run time: heartbeats to the partner, the state machine fed
// with what they learn, the listener answering the partner's commands, the scope filter
// on requests, lease updates to the partner between a lease being durable and its ACK,
// and the lease synchronisation by pages when this server (re)joins.

import type { Pool } from '../../config/dhcpd-conf.js';
import type { HaConfig, HaPeer } from '../../config/ha-conf.js';
import { haPartner, haSelf, haUpdateTargets } from '../../config/ha-conf.js';
import type { Logger } from '../../log.js';
import { formatIPv4 } from '../../wire/ipv4.js';
import type { Changes } from '../changes.js';
import { OPT, type DhcpPacket } from '../packet.js';
import { clientKey, type Lease } from '../lease.js';
import type { ServerHooks } from '../server.js';
import { sendCommand, type CommandAnswer } from './client.js';
import { handleHaCommand, newCommandStats, type HaCommandHost } from './commands.js';
import { scopeIndex } from './hash.js';
import { leaseFromKea, leaseToKea } from './lease-json.js';
import { listenHa } from './listener.js';
import { mayAllocateFor, scopeClass } from './split.js';
import { clientScope, nextHaState, normalState, servedScopes, type HaState, type PartnerState } from './state.js';

export interface PairDeps {
  log: Logger;
  inSubnet(ip: number): boolean;
  /** 1, 2, … : the position in dhcpd.conf of the subnet of `ip` (0: none). */
  subnetId(ip: number): number;
  /** Makes lease records durable, then applies them to memory. */
  land(ch: Changes): Promise<void>;
  leases(): Iterable<Lease>;
  lease(ip: number): Lease | undefined;
}

/** How long a partner may take to answer a command (Kea's HA client waits 10 s). */
const UPDATE_TIMEOUT = 10_000;

/** States from which a server may put its partner in maintenance. */
const MAINTAINABLE = new Set<HaState>(['hot-standby', 'load-balancing', 'communication-recovery', 'ready', 'waiting', 'syncing']);

/** Kea terminates a pair whose clocks differ by more than this (seconds). */
const MAX_CLOCK_SKEW = 60;

export class HaPair implements ServerHooks {
  state: HaState = 'waiting';
  partnerState: PartnerState = 'unknown';
  readonly self: HaPeer;
  readonly partner: HaPeer | undefined;
  /** Where lease updates go: the partner, or the primary's backups in passive-backup. */
  readonly targets: HaPeer[];
  readonly stats = { ...newCommandStats(), updatesSent: 0, updatesFailed: 0, heartbeatsFailed: 0, notServed: 0 };
  private lastContact = Date.now();
  lastHeartbeat?: Date;
  private unacked = new Set<string>();
  private synced = false;
  private syncing = false;
  private clockSkew = false;
  private unsent = 0;
  /**
   * Addresses whose lease the partner (or backup) is known to hold since this server
   * started: taken by it, received from it or synced from it. Only these may be answered
   * unchanged from the lease cache; any other is written and sent again (a lease file
   * from before a restart may hold leases the partner never took).
   */
  private confirmedIps = new Set<number>();
  private disabledBy = new Map<string, NodeJS.Timeout | undefined>();
  private scopesOverride?: string[];
  /** Leases ACKed without waiting for the partner and not yet taken by it, by address. */
  private backlog = new Map<number, Lease>();
  private flushing = false;
  /** The state to return to when maintenance is canceled. */
  private beforeMaintenance?: HaState;
  private timer?: NodeJS.Timeout;
  private closeListener?: () => Promise<void>;

  constructor(readonly cfg: HaConfig, private deps: PairDeps) {
    this.self = haSelf(cfg);
    this.partner = haPartner(cfg);
    this.targets = haUpdateTargets(cfg);
  }

  get scopes(): string[] {
    return this.scopesOverride ?? servedScopes(this.cfg, this.state);
  }

  get unackedClients(): number {
    return this.unacked.size;
  }

  async start(): Promise<void> {
    this.closeListener = await listenHa(this.self.host, this.self.port, (req) => {
      const auth = this.self.basicAuthUser !== undefined ? { user: this.self.basicAuthUser, password: this.self.basicAuthPassword ?? '' } : undefined;
      return handleHaCommand(this.commandHost(), auth, req, this.stats, Math.floor(Date.now() / 1000));
    });
    this.deps.log.info({ ha: this.cfg.thisServerName, mode: this.cfg.mode, listen: this.self.url, partner: this.partner?.url }, 'dhcp HA listening');
    this.lastContact = Date.now();
    // Kea's passive-backup has no heartbeats and no failover: the primary serves, backups keep copies.
    if (this.cfg.mode === 'passive-backup' || this.self.role === 'backup') this.step();
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const t of this.disabledBy.values()) if (t) clearTimeout(t);
    await this.closeListener?.();
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.heartbeat(), ms);
    this.timer.unref();
  }

  private async heartbeat(): Promise<void> {
    if (!this.partner) return;
    try {
      // A busy partner is not a dead one: it has the whole max-response-delay to answer.
      const a = await sendCommand(this.partner, 'ha-heartbeat', undefined, Math.min(Math.max(this.cfg.heartbeatDelay, this.cfg.maxResponseDelay), UPDATE_TIMEOUT));
      if (a.result !== 0 || !a.arguments || typeof a.arguments['state'] !== 'string') throw new Error(a.text ?? 'heartbeat refused');
      this.lastContact = Date.now();
      this.lastHeartbeat = new Date();
      this.partnerState = a.arguments['state'] as PartnerState;
      const date = typeof a.arguments['date-time'] === 'string' ? Date.parse(a.arguments['date-time']) : NaN;
      this.clockSkew = Number.isFinite(date) && Math.abs(date - Date.now()) / 1000 > MAX_CLOCK_SKEW;
      this.unacked.clear();
      if (this.backlog.size > 0 && this.partnerState !== 'terminated') void this.flushBacklog();
    } catch (e) {
      this.stats.heartbeatsFailed++;
      if (this.partnerState !== 'unavailable') this.deps.log.warn({ partner: this.partner.url, err: (e as Error).message }, 'dhcp HA: partner does not answer');
      this.partnerState = 'unavailable';
    }
    this.step();
    this.schedule(this.cfg.heartbeatDelay);
  }

  private get interrupted(): boolean {
    return Date.now() - this.lastContact > this.cfg.maxResponseDelay;
  }

  /** Runs the state machine once with what is known now; logs a transition. */
  step(): void {
    const next = nextHaState(this.cfg, this.state, {
      role: this.self.role,
      partner: this.partnerState,
      interrupted: this.interrupted,
      unackedClients: this.unacked.size,
      synced: this.synced,
      clockSkew: this.clockSkew,
    });
    if (next === this.state) return;
    this.deps.log.info({ from: this.state, to: next, partner: this.partnerState, scopes: servedScopes(this.cfg, next) }, `dhcp HA: ${this.state} → ${next}`);
    const was = this.state;
    this.state = next;
    this.scopesOverride = undefined;
    if (next === 'syncing') void this.sync();
    if (next === 'waiting' && was !== 'waiting') this.synced = false;
    if (next === 'partner-down' || next === 'ready' || next === this.cfg.mode) this.unacked.clear();
  }

  /** The server whose scope the client of `req` is in (RFC 3074 hash in load-balancing). */
  clientScopeOf(req: DhcpPacket): string {
    return clientScope(this.cfg, scopeIndex(req.options.get(OPT.CLIENT_ID), req.chaddr.subarray(0, req.hlen)));
  }

  /** Kea's class of the client: HA_<server of its scope>, for pools' `allow members of`. */
  classesOf(req: DhcpPacket): string[] {
    return [scopeClass(this.clientScopeOf(req))];
  }

  /**
   * Load balancing splits every pool by the client's scope (split.ts), in every state: the
   * survivor in partner-down gives its partner's clients addresses of its partner's part,
   * as Kea does, so nothing collides when the partner returns.
   */
  mayAllocate(ip: number, req: DhcpPacket, pool: Pool): boolean {
    return mayAllocateFor(this.cfg, this.clientScopeOf(req), ip, pool);
  }

  /** The lease of `ip` has not reached the partner: the next ACK must not reuse it unchanged. */
  unconfirmed(ip: number): boolean {
    return this.targets.length > 0 && this.cfg.sendLeaseUpdates && !this.confirmedIps.has(ip);
  }

  /** In partner-down, leases are capped at MCLT (when the pair has one: ISC failover blocks). */
  leaseCap(): number | undefined {
    return this.state === 'partner-down' ? this.cfg.mclt : undefined;
  }

  // ---- the DHCP server's hooks ----

  admit(req: DhcpPacket): boolean {
    const id = req.options.get(OPT.CLIENT_ID);
    const chaddr = req.chaddr.subarray(0, req.hlen);
    const scope = this.clientScopeOf(req);
    // Kea's failure detection: a client of the partner's that keeps asking (secs beyond
    // max-ack-delay) while the partner is silent counts as left unanswered.
    if (this.interrupted && req.secs * 1000 > this.cfg.maxAckDelay && !this.scopes.includes(scope)) {
      const k = clientKey(id, req.htype, chaddr);
      if (!this.unacked.has(k)) {
        this.unacked.add(k);
        this.step();
      }
    }
    if (this.disabledBy.size > 0 || !this.scopes.includes(scope)) {
      this.stats.notServed++;
      return false;
    }
    return true;
  }

  async committed(commit: Lease[]): Promise<boolean> {
    if (this.targets.length === 0 || !this.cfg.sendLeaseUpdates || commit.length === 0) return true;
    // Alone (partner-down) there is nobody to tell: the partner syncs when it returns.
    if (this.state === 'partner-down' || this.state === 'terminated' || this.state === 'partner-in-maintenance') {
      this.unsent += commit.length;
      return true;
    }
    const send = Promise.all(this.targets.flatMap((p) => commit.map((l) => this.sendUpdate(p, l))));
    // passive-backup answers at once unless wait-backup-ack (then every backup must have
    // taken the lease); communication-recovery queues.
    const wait = this.cfg.mode === 'passive-backup' ? this.cfg.waitBackupAck : this.state !== 'communication-recovery';
    if (!wait) {
      // Kept until the partner has them (retried after each heartbeat it answers), so a
      // lease ACKed without waiting is not lost when an update fails.
      if (this.cfg.mode !== 'passive-backup') for (const l of commit) this.backlog.set(l.ip, l);
      send.then(
        () => commit.forEach((l) => this.backlog.get(l.ip) === l && this.backlog.delete(l.ip)),
        () => undefined,
      );
      return true;
    }
    try {
      await send;
      return true;
    } catch (e) {
      // Kea drops the client's packet when its partner cannot take the lease update.
      this.deps.log.warn({ err: (e as Error).message }, `dhcp HA: lease update to the ${this.cfg.mode === 'passive-backup' ? 'backup' : 'partner'} failed; reply not sent`);
      return false;
    }
  }

  private async sendUpdate(p: HaPeer, l: Lease): Promise<void> {
    const del = l.state !== 'active' && l.state !== 'abandoned';
    const args = del ? { 'ip-address': formatIPv4(l.ip) } : { ...leaseToKea(l, 0), 'force-create': true };
    let a: CommandAnswer;
    try {
      a = await sendCommand(p, del ? 'lease4-del' : 'lease4-update', args, UPDATE_TIMEOUT);
    } catch (e) {
      this.stats.updatesFailed++;
      this.unsent++;
      this.confirmedIps.delete(l.ip);
      throw e;
    }
    // A deletion of a lease the partner never had is no failure (result 3: empty).
    if (a.result !== 0 && !(del && a.result === 3)) {
      this.stats.updatesFailed++;
      this.confirmedIps.delete(l.ip);
      throw new Error(`partner refused the lease update for ${formatIPv4(l.ip)}: ${a.text ?? a.result}`);
    }
    this.stats.updatesSent++;
    this.confirmedIps.add(l.ip);
    this.lastContact = Date.now();
  }

  /** Sends the lease updates the partner has not taken yet (communication-recovery's queue). */
  private async flushBacklog(): Promise<void> {
    const p = this.partner;
    if (!p || this.flushing) return;
    this.flushing = true;
    try {
      for (const [ip, l] of [...this.backlog]) {
        try {
          await this.sendUpdate(p, l);
          if (this.backlog.get(ip) === l) this.backlog.delete(ip);
        } catch {
          break;
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Syncing: the partner stops serving, its leases come over by pages, then it resumes. */
  private async sync(): Promise<void> {
    const p = this.partner;
    if (!p || this.syncing) return;
    this.syncing = true;
    const timeout = this.cfg.syncTimeout;
    try {
      await sendCommand(p, 'dhcp-disable', { 'max-period': Math.ceil(timeout / 1000), origin: 'ha-partner' }, timeout);
      let from = 'start';
      let total = 0;
      for (;;) {
        const a = await sendCommand(p, 'lease4-get-page', { from, limit: this.cfg.syncPageLimit }, timeout);
        if (a.result === 3) break;
        if (a.result !== 0) throw new Error(a.text ?? `lease4-get-page result ${a.result}`);
        const leases = Array.isArray(a.arguments?.['leases']) ? (a.arguments!['leases'] as unknown[]) : [];
        const now = Math.floor(Date.now() / 1000);
        const take: Lease[] = [];
        for (const raw of leases) {
          const l = leaseFromKea(raw, now);
          if (typeof l === 'string' || !this.deps.inSubnet(l.ip)) continue;
          const mine = this.deps.lease(l.ip);
          // The newer record wins (a lease this server granted later is kept).
          if (!mine || mine.ends <= l.ends) take.push(l);
        }
        if (take.length) await this.deps.land({ commit: take, offers: [], cursors: [] });
        for (const l of take) this.confirmedIps.add(l.ip);
        total += take.length;
        const last = leases[leases.length - 1] as { 'ip-address'?: unknown } | undefined;
        if (leases.length < this.cfg.syncPageLimit || typeof last?.['ip-address'] !== 'string') break;
        from = last['ip-address'];
      }
      this.deps.log.info({ leases: total, partner: p.url }, 'dhcp HA: lease database synchronised');
      const n = await sendCommand(p, 'ha-sync-complete-notify', undefined, timeout).catch(() => undefined);
      if (!n || n.result !== 0) await sendCommand(p, 'dhcp-enable', { origin: 'ha-partner' }, timeout).catch(() => undefined);
      this.synced = true;
    } catch (e) {
      this.deps.log.warn({ err: (e as Error).message, partner: p.url }, 'dhcp HA: lease synchronisation failed; retrying');
      this.partnerState = 'unavailable';
    } finally {
      this.syncing = false;
    }
    this.step();
    // Still syncing (it failed): try again at the next heartbeat.
    if (this.state === 'syncing' && !this.synced) setTimeout(() => void this.sync(), this.cfg.heartbeatDelay).unref();
  }

  private commandHost(): HaCommandHost {
    return {
      heartbeat: () => ({ state: this.state, 'date-time': new Date().toUTCString(), scopes: this.scopes, 'unsent-update-count': this.unsent }),
      inSubnet: (ip) => this.deps.inSubnet(ip),
      subnetId: (ip) => this.deps.subnetId(ip),
      storeLease: async (l) => {
        await this.deps.land({ commit: [l], offers: [], cursors: [] });
        this.confirmedIps.add(l.ip);
      },
      deleteLease: async (ip, now) => {
        const l = this.deps.lease(ip);
        if (!l) return false;
        await this.deps.land({ commit: [{ ...l, state: 'free', ends: Math.min(l.ends, now) }], offers: [], cursors: [] });
        return true;
      },
      leasesAfter: (after, limit) =>
        [...this.deps.leases()]
          .filter((l) => l.ip > after && (l.state === 'active' || l.state === 'abandoned'))
          .sort((a, b) => a.ip - b.ip)
          .slice(0, limit),
      setDhcpEnabled: (enabled, origin, maxPeriod) => {
        const t = this.disabledBy.get(origin);
        if (t) clearTimeout(t);
        if (enabled) {
          this.disabledBy.delete(origin);
          return;
        }
        const timer = maxPeriod ? setTimeout(() => this.disabledBy.delete(origin), maxPeriod * 1000) : undefined;
        timer?.unref();
        this.disabledBy.set(origin, timer);
      },
      syncCompleteNotified: () => {
        const t = this.disabledBy.get('ha-partner');
        if (t) clearTimeout(t);
        this.disabledBy.delete('ha-partner');
      },
      continueStateMachine: () => {
        this.step();
        return 'HA state machine continues.';
      },
      maintenance: (op, cancel) => this.maintenance(op, cancel),
      setScopes: (scopes) => {
        const known = this.cfg.peers.map((p) => p.name);
        const bad = scopes.find((s) => !known.includes(s));
        if (bad) return `unknown scope ${bad}`;
        this.scopesOverride = scopes;
        return undefined;
      },
    };
  }

  /**
   * Kea's controlled shutdown. `ha-maintenance-start` goes to the server that stays: it
   * tells its partner (ha-maintenance-notify), which goes to in-maintenance and answers
   * nobody, and takes partner-in-maintenance, serving every scope; the partner may then be
   * stopped (this server goes to partner-down when it stops answering). A partner that
   * does not answer the notify is taken for down: partner-down at once.
   * `ha-maintenance-cancel` returns both to the states they had.
   */
  private async maintenance(op: 'start' | 'notify' | 'cancel', cancel: boolean): Promise<{ result: number; text: string }> {
    const p = this.partner;
    const timeout = Math.min(this.cfg.maxResponseDelay, 10_000);
    if (op === 'notify') {
      if (cancel) {
        if (this.state !== 'in-maintenance') return { result: 1, text: 'Unable to cancel the maintenance for the server not in the in-maintenance state.' };
        this.transition(this.beforeMaintenance ?? 'waiting', 'maintenance canceled by the partner');
        return { result: 0, text: 'Server maintenance successfully canceled.' };
      }
      if (this.state === 'in-maintenance') return { result: 0, text: 'Server is in-maintenance state.' };
      if (this.state === 'backup' || this.state === 'partner-in-maintenance' || this.state === 'terminated')
        return { result: 1, text: `Unable to transition the server from the ${this.state} to in-maintenance state.` };
      this.beforeMaintenance = this.state;
      this.partnerState = 'partner-in-maintenance';
      this.transition('in-maintenance', 'the partner starts maintenance');
      return { result: 0, text: 'Server is in-maintenance state.' };
    }
    if (!p || this.cfg.mode === 'passive-backup') return { result: 1, text: `ha-maintenance-${op} is not available in ${this.cfg.mode} mode.` };
    if (op === 'start') {
      if (!MAINTAINABLE.has(this.state)) return { result: 1, text: `Unable to transition the server from the ${this.state} to partner-in-maintenance state.` };
      let a: CommandAnswer;
      try {
        a = await sendCommand(p, 'ha-maintenance-notify', { cancel: false }, timeout);
      } catch {
        this.transition('partner-down', 'the partner does not answer the maintenance notification');
        return { result: 0, text: 'Server is now in the partner-down state as its partner appears to be offline for maintenance.' };
      }
      if (a.result !== 0) return { result: 1, text: `Unable to transition to the partner-in-maintenance state. The partner server responded with the following message to the ha-maintenance-notify command: ${a.text ?? a.result}.` };
      this.beforeMaintenance = this.state;
      this.partnerState = 'in-maintenance';
      this.transition('partner-in-maintenance', 'maintenance of the partner started');
      return { result: 0, text: 'Server is now in the partner-in-maintenance state and its partner is in the in-maintenance state. The partner can be now safely shut down.' };
    }
    if (this.state !== 'partner-in-maintenance') return { result: 1, text: 'Unable to cancel the maintenance for the server not in the partner-in-maintenance state.' };
    let a: CommandAnswer;
    try {
      a = await sendCommand(p, 'ha-maintenance-notify', { cancel: true }, timeout);
    } catch (e) {
      return { result: 1, text: `Unable to cancel maintenance: the partner does not answer (${(e as Error).message}).` };
    }
    if (a.result !== 0) return { result: 1, text: `Unable to cancel maintenance. The partner server responded with the following message to the ha-maintenance-notify command: ${a.text ?? a.result}.` };
    this.transition(this.beforeMaintenance ?? normalState(this.cfg), 'maintenance canceled');
    return { result: 0, text: 'Server maintenance successfully canceled.' };
  }

  /** A transition the commands make (the state machine's own go through step()). */
  private transition(next: HaState, why: string): void {
    if (next === this.state) return;
    this.deps.log.info({ from: this.state, to: next, partner: this.partnerState, scopes: servedScopes(this.cfg, next), why }, `dhcp HA: ${this.state} → ${next}`);
    this.state = next;
    this.scopesOverride = undefined;
    this.unacked.clear();
  }

  /** For `triad ctl dhcp ha`. */
  status(): Record<string, unknown> {
    return {
      server: this.cfg.thisServerName,
      mode: this.cfg.mode,
      state: this.state,
      partner: this.partner?.name ?? null,
      partnerUrl: this.partner?.url ?? null,
      partnerState: this.partnerState,
      ...(this.cfg.mode === 'passive-backup' ? { updatesTo: this.targets.map((p) => p.url) } : {}),
      scopes: this.scopes,
      unackedClients: this.unacked.size,
      unsentUpdates: this.unsent,
      queuedUpdates: this.backlog.size,
      lastHeartbeat: this.lastHeartbeat?.toISOString() ?? null,
      dhcpDisabledBy: [...this.disabledBy.keys()],
      ...this.stats,
    };
  }
}

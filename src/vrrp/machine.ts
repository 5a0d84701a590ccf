// One VRRP router's state machine (RFC 5798 §6.4, which RFC 3768 §6.4 matches for v2),
// with keepalived's nopreempt and preempt_delay. Pure: the caller passes the time in
// milliseconds and carries out the returned actions (send an advertisement, take or
// release the addresses, run notify scripts); `deadline()` says when to call tick().

export type VrrpState = 'init' | 'backup' | 'master' | 'fault';

export type Action =
  | { kind: 'send'; priority: number }
  | { kind: 'state'; from: VrrpState; to: VrrpState; why: string };

export interface MachineConfig {
  /** Configured priority 1-255 (255 = the address owner). */
  priority: number;
  /** Our advertisement interval, centiseconds. */
  interval: number;
  preempt: boolean;
  /** Milliseconds after start during which a lower-priority master is not preempted. */
  preemptDelay: number;
  /** Our primary address (the tie-breaker): IPv4 as a number, IPv6 as a bigint. */
  primary: number | bigint;
}

export interface AdvertIn {
  src: number | bigint;
  priority: number;
  /** The sender's interval, centiseconds. */
  interval: number;
}

export class VrrpMachine {
  state: VrrpState = 'init';
  /** Priority after tracking (what we advertise and elect with). */
  effective: number;
  /** The master's advertisement interval (centiseconds) as learned (v3) or configured. */
  masterInterval: number;
  /** The current master's address (ours while master), or undefined. */
  masterAddress?: number | bigint;
  transitions = 0;
  private timer = Infinity;
  private startedAt = 0;

  constructor(readonly cfg: MachineConfig) {
    this.effective = cfg.priority;
    this.masterInterval = cfg.interval;
  }

  /** Skew_Time = ((256 - Priority) × Master_Adver_Interval) / 256 (RFC 5798 §6.1), in ms. */
  skewMs(): number {
    return ((256 - this.effective) * this.masterInterval * 10) / 256;
  }

  /** Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time, in ms. */
  masterDownMs(): number {
    return 3 * this.masterInterval * 10 + this.skewMs();
  }

  /** When tick() is next due (ms, Infinity when nothing is pending). */
  deadline(): number {
    return this.timer;
  }

  private go(to: VrrpState, why: string, out: Action[]): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.transitions++;
    out.push({ kind: 'state', from, to, why });
  }

  private becomeMaster(now: number, why: string, out: Action[]): void {
    out.push({ kind: 'send', priority: this.effective });
    this.masterAddress = this.cfg.primary;
    this.masterInterval = this.cfg.interval;
    this.timer = now + this.cfg.interval * 10;
    this.go('master', why, out);
  }

  private becomeBackup(now: number, why: string, out: Action[]): void {
    this.timer = now + this.masterDownMs();
    this.go('backup', why, out);
  }

  /** Startup event (§6.4.1). */
  start(now: number): Action[] {
    const out: Action[] = [];
    this.startedAt = now;
    if (this.effective === 255) this.becomeMaster(now, 'address owner (priority 255)', out);
    else {
      this.masterInterval = this.cfg.interval;
      this.masterAddress = undefined;
      this.becomeBackup(now, 'startup', out);
    }
    return out;
  }

  /** Shutdown event: a master says priority 0 so a backup takes over at once (§6.4.3). */
  stop(): Action[] {
    const out: Action[] = [];
    if (this.state === 'master') out.push({ kind: 'send', priority: 0 });
    this.timer = Infinity;
    this.go('init', 'stopped', out);
    return out;
  }

  /** Timers: Master_Down_Timer in backup, Adver_Timer in master. */
  tick(now: number): Action[] {
    const out: Action[] = [];
    if (now < this.timer) return out;
    if (this.state === 'backup') this.becomeMaster(now, 'no advertisement from a master within the master-down interval', out);
    else if (this.state === 'master') {
      out.push({ kind: 'send', priority: this.effective });
      this.timer = now + this.cfg.interval * 10;
    } else this.timer = Infinity;
    return out;
  }

  /** A valid advertisement for our VRID (§6.4.2, §6.4.3). */
  advert(a: AdvertIn, now: number): Action[] {
    const out: Action[] = [];
    if (this.state === 'backup') {
      if (a.priority === 0) {
        // The master is leaving: take over after Skew_Time only.
        this.timer = now + this.skewMs();
        return out;
      }
      const inPreemptDelay = now < this.startedAt + this.cfg.preemptDelay;
      if (!this.cfg.preempt || inPreemptDelay || a.priority >= this.effective) {
        this.masterInterval = a.interval || this.cfg.interval;
        this.masterAddress = a.src;
        this.timer = now + this.masterDownMs();
      }
      // else: a lower-priority master, and we preempt: let the timer run out.
      return out;
    }
    if (this.state === 'master') {
      if (a.priority === 0) {
        out.push({ kind: 'send', priority: this.effective });
        this.timer = now + this.cfg.interval * 10;
        return out;
      }
      if (a.priority > this.effective || (a.priority === this.effective && a.src > this.cfg.primary)) {
        this.masterInterval = a.interval || this.cfg.interval;
        this.masterAddress = a.src;
        this.becomeBackup(now, `higher priority master ${a.priority} seen`, out);
      }
      else {
        // Ours wins: say so at once rather than at the next interval, as keepalived does
        // ("forcing a new election"), so a lower-priority router that took over steps back fast.
        out.push({ kind: 'send', priority: this.effective });
        this.timer = now + this.cfg.interval * 10;
      }
    }
    return out;
  }

  /**
   * A vrrp_sync_group member changed state: keepalived moves the others with it, a
   * member that became master takes the others to master, one that stepped back to
   * backup takes the others to backup.
   */
  follow(to: 'master' | 'backup', now: number): Action[] {
    const out: Action[] = [];
    if (to === 'master' && this.state === 'backup') this.becomeMaster(now, 'its sync group became master', out);
    else if (to === 'backup' && this.state === 'master') this.becomeBackup(now, 'its sync group stepped back to backup', out);
    return out;
  }

  /** Tracking changed our priority: masters advertise it from the next advertisement on. */
  setEffective(p: number): void {
    this.effective = Math.max(1, Math.min(this.cfg.priority === 255 ? 255 : 254, p));
  }

  /** A tracked interface or script failed (or recovered). */
  setFault(on: boolean, now: number, why = 'a tracked interface or script failed'): Action[] {
    const out: Action[] = [];
    if (on && this.state !== 'fault' && this.state !== 'init') {
      if (this.state === 'master') out.push({ kind: 'send', priority: 0 });
      this.timer = Infinity;
      this.masterAddress = undefined;
      this.go('fault', why, out);
    } else if (!on && this.state === 'fault') {
      this.masterInterval = this.cfg.interval;
      this.becomeBackup(now, 'fault cleared', out);
    }
    return out;
  }
}

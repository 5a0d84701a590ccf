// How many refusal lines reach the log: a burst of `burst` lines per interval, then
// silence until the next interval, whose first line says how many were not logged
// (as BIND's rate-limit logging does). A flood of refused requests costs a few lines,
// not one per packet; every refusal is still counted in the server's statistics.

export interface LogAdmission {
  /** Write this line. */
  log: boolean;
  /** Lines not written since the last one that was (only on a line that is written). */
  notLogged: number;
}

export class RefusalLogLimit {
  private windowStart = -Infinity;
  private inWindow = 0;
  private suppressed = 0;
  /** Every line not written, since start. */
  totalNotLogged = 0;

  constructor(
    private readonly burst = 10,
    private readonly intervalMs = 10_000,
    private readonly clock: () => number = Date.now,
  ) {}

  admit(): LogAdmission {
    const now = this.clock();
    if (now - this.windowStart >= this.intervalMs) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.burst) {
      this.suppressed++;
      this.totalNotLogged++;
      return { log: false, notLogged: 0 };
    }
    this.inWindow++;
    const notLogged = this.suppressed;
    this.suppressed = 0;
    return { log: true, notLogged };
  }
}

// At most one log line per interval for an event that can repeat thousands of times a
// second (a send that fails for every reply while a route is missing): the line that is
// logged says how many were not, so the log stays readable and nothing is hidden.

export class LogThrottle {
  private last = -Infinity;
  private skipped = 0;

  constructor(
    private readonly intervalMs = 10_000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** For an event to be logged: how many were not logged since the last line; undefined: do not log this one. */
  take(): number | undefined {
    const now = this.clock();
    if (now - this.last < this.intervalMs) {
      this.skipped++;
      return undefined;
    }
    this.last = now;
    const n = this.skipped;
    this.skipped = 0;
    return n;
  }
}

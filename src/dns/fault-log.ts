// Logs unexpected exceptions of the answer pipeline, at most one line per interval
// (10 s by default): a query that trips a bug may come thousands of times a
// second, and the log must stay readable. One per process, shared by the
// responders that replace each other on reload; the line says how many were not logged.

/** The part of the logger this needs (src/log.ts Logger has it). */
export interface ErrorSink {
  error(obj: object, msg: string): void;
  warn?(obj: object, msg: string): void;
}

export class FaultLog {
  private last = -Infinity;
  private suppressed = 0;
  private lastTsig = -Infinity;
  private suppressedTsig = 0;

  constructor(
    private readonly log: ErrorSink | undefined,
    private readonly intervalMs = 10_000,
    private readonly clock: () => number = Date.now,
  ) {}

  report(err: unknown, client: { address: string; port: number; transport: string }): void {
    const now = this.clock();
    if (now - this.last < this.intervalMs) {
      this.suppressed++;
      return;
    }
    this.last = now;
    const stack = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
    this.log?.error({ err: stack, client: `${client.address}#${client.port}/${client.transport}`, notLogged: this.suppressed },
      'dns: internal error while answering a query; answered SERVFAIL');
    this.suppressed = 0;
  }

  /**
   * A signed request that failed its check (tsig-stage.ts), in named's words
   * ("request has invalid signature: TSIG k1: tsig verify failure (BADSIG)"), as
   * a warning, at most one line per interval: a wrong key on a client is the usual cause.
   */
  tsig(client: { address: string; port: number }, key: string, error: string): void {
    const now = this.clock();
    if (now - this.lastTsig < this.intervalMs) {
      this.suppressedTsig++;
      return;
    }
    this.lastTsig = now;
    const line = { client: `${client.address}#${client.port}`, key, error, notLogged: this.suppressedTsig };
    const msg = `dns: request has invalid signature: TSIG ${key}: tsig verify failure (${error})`;
    if (this.log?.warn) this.log.warn(line, msg);
    else this.log?.error(line, msg);
    this.suppressedTsig = 0;
  }
}

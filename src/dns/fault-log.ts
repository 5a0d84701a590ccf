// Logs unexpected exceptions of the answer pipeline, at most one line per interval
// (10 s by default): a query that trips a bug may come thousands of times a
// second, and the log must stay readable. One per process, shared by the
// responders that replace each other on reload; the line says how many were not logged.

import { LogLimit } from '../log.js';

/** The part of the logger this needs (src/log.ts Logger has it). */
export interface ErrorSink {
  error(obj: object, msg: string): void;
  warn?(obj: object, msg: string): void;
}

export class FaultLog {
  private readonly faults: LogLimit;
  private readonly badSignatures: LogLimit;

  constructor(
    private readonly log: ErrorSink | undefined,
    intervalMs = 10_000,
    clock: () => number = Date.now,
  ) {
    this.faults = new LogLimit(1, intervalMs, clock);
    this.badSignatures = new LogLimit(1, intervalMs, clock);
  }

  report(err: unknown, client: { address: string; port: number; transport: string }): void {
    const a = this.faults.admit();
    if (!a.log) return;
    const stack = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
    this.log?.error({ err: stack, client: `${client.address}#${client.port}/${client.transport}`, notLogged: a.notLogged },
      'dns: internal error while answering a query; answered SERVFAIL');
  }

  /**
   * A signed request that failed its check (tsig-stage.ts), in named's words
   * ("request has invalid signature: TSIG k1: tsig verify failure (BADSIG)"), as
   * a warning, at most one line per interval: a wrong key on a client is the usual cause.
   */
  tsig(client: { address: string; port: number }, key: string, error: string): void {
    const a = this.badSignatures.admit();
    if (!a.log) return;
    const line = { client: `${client.address}#${client.port}`, key, error, notLogged: a.notLogged };
    const msg = `dns: request has invalid signature: TSIG ${key}: tsig verify failure (${error})`;
    if (this.log?.warn) this.log.warn(line, msg);
    else this.log?.error(line, msg);
  }
}

// One logger for the process: pino JSON lines, or pino-pretty-like readable lines
// when stdout is a terminal (pino's own transport would add a worker thread).

import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  const level = opts.level ?? process.env.TRIAD_LOG_LEVEL ?? 'info';
  if (process.stdout.isTTY) {
    return pino({ level, name: opts.name, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, prettyStream());
  }
  return pino({ level, name: opts.name, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** A tiny synchronous formatter: `time LEVEL msg key=value…`. */
function prettyStream(): { write(line: string): void } {
  return {
    write(line: string): void {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        process.stdout.write(line);
        return;
      }
      const { time, level, msg, name, ...rest } = o;
      const extra = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      const lvl = LEVELS[Number(level)] ?? String(level);
      process.stdout.write(`${String(time)} ${lvl.padEnd(5)} ${name ? `[${String(name)}] ` : ''}${String(msg ?? '')}${extra ? ' ' + extra : ''}\n`);
    },
  };
}

// How many lines of a repeating event reach the log: a burst of `burst` lines per interval,
// then silence until the next interval, whose first line says how many were not logged (as
// BIND's rate-limit logging does). A flood (refused TFTP requests, a send failing for every
// reply, a query that trips a bug) costs a few lines, not one per packet.

export interface LogAdmission {
  /** Write this line. */
  log: boolean;
  /** Lines not written since the last one that was (only on a line that is written). */
  notLogged: number;
}

export class LogLimit {
  private windowStart = -Infinity;
  private inWindow = 0;
  private suppressed = 0;
  /** Every line not written, since start. */
  totalNotLogged = 0;

  constructor(
    private readonly burst = 1,
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

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

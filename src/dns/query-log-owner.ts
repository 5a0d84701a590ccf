// The query log's switch and files in the main process: named.conf decides at start
// and at each reload (`querylog`, else `category queries`, as BIND 9.18), `triad ctl
// dns querylog [on|off]` flips it between (rndc querylog; no argument toggles), and
// the lines from every DNS process reach the one writer here.

import { queryLogWanted } from '../config/named-conf-logging.js';
import type { NamedConfig } from '../config/named-conf.js';
import { ControlUsageError, type ControlReply } from '../control/server.js';
import type { Logger } from '../log.js';
import { QueryLogWriter } from './query-log-writer.js';
import { queryLog, type QueryLogEntry } from './query-log.js';

/** rndc querylog's words for on and off. */
export function querylogArgument(arg: string | undefined, current: boolean): boolean {
  if (arg === undefined) return !current;
  const a = arg.toLowerCase();
  if (['on', 'yes', 'true', 'enable'].includes(a)) return true;
  if (['off', 'no', 'false', 'disable'].includes(a)) return false;
  throw new ControlUsageError(`usage: triad ctl dns querylog [on|off] ('${arg}' is neither)`);
}

export class QueryLogOwner {
  on = false;
  private readonly writer: QueryLogWriter;

  constructor(
    private readonly log: Logger,
    /** Tells the processes that answer queries (this one, or every worker). */
    private readonly broadcast: (on: boolean) => void,
  ) {
    this.writer = new QueryLogWriter(log);
  }

  /** named.conf loaded or reloaded. */
  configure(conf: NamedConfig): void {
    this.writer.configure(conf.logging);
    this.set(queryLogWanted(conf.options.querylog, conf.logging, this.on));
  }

  set(on: boolean): void {
    if (on === this.on) return;
    this.on = on;
    // named's words (server.c): "query logging is now on".
    this.log.info(`query logging is now ${on ? 'on' : 'off'}`);
    this.broadcast(on);
  }

  /** `triad ctl dns querylog [on|off]`. */
  command(args: string[]): ControlReply {
    this.set(querylogArgument(args[0], this.on));
    return { text: `query logging is now ${this.on ? 'on' : 'off'}\n`, data: { querylog: this.on } };
  }

  write(entries: readonly QueryLogEntry[]): void {
    // A worker's lines that arrive after the stop would open (and roll) the files again.
    if (!this.stopped) this.writer.write(entries);
  }

  stop(): void {
    queryLog.flush();
    this.stopped = true;
    this.writer.close();
  }

  private stopped = false;
}

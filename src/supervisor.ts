// The services of one `triad run`: starts each one on its own, so a broken
// dhcpd.conf (or keepalived.conf, relay file, named.conf) leaves the others serving;
// reloads them on SIGHUP (a broken file keeps that service's running configuration;
// a service that failed is tried again); stops them; reports their state for
// `triad ctl status`.

import path from 'node:path';
import { ConfigError, formatDiagnostic } from './config/diagnostics.js';
import { decideStartup, type Failure, type RunOptions, type Service, type ServiceDefinition, type ServiceState, type ServiceStatus, type StartupDecision } from './service.js';

interface Entry {
  def: ServiceDefinition;
  state: ServiceState;
  file?: string;
  service?: Service;
  failure?: Failure;
  reload?: ServiceStatus['reload'];
}

/** An error as `triad ctl status` shows it: a ConfigError keeps its diagnostics. */
function failureOf(err: unknown, at: Date): Failure {
  if (err instanceof ConfigError) return { reason: err.message, errors: err.diagnostics, at: at.toISOString() };
  return { reason: err instanceof Error ? err.message : String(err), errors: [], at: at.toISOString() };
}

export class Supervisor {
  private readonly entries: Entry[];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    defs: readonly ServiceDefinition[],
    private readonly opts: RunOptions,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.entries = defs.map((def) => ({ def, state: 'not configured' }));
  }

  /**
   * Creates every configured service (reading its file), then starts them in order.
   * Without `strict` a service that fails is logged with every error and left out;
   * with `strict` the first failure stops the start-up. When the decision is not to
   * serve, whatever started is stopped again.
   */
  async start(strict: boolean): Promise<StartupDecision> {
    const created: Entry[] = [];
    for (const e of this.entries) if (await this.create(e)) created.push(e);
    const createFailed = this.entries.some((e) => e.state === 'failed');
    if (!(strict && createFailed)) {
      for (const e of created) {
        if (!(await this.startOne(e)) && strict) break;
      }
    }
    const decision = decideStartup(this.status(), strict);
    if (!decision.serve) await this.stop();
    return decision;
  }

  /** SIGHUP: one reload at a time, in start order. */
  reload(): Promise<void> {
    const run = this.queue.then(() => this.reloadNow());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(): Promise<void> {
    const log = this.opts.log;
    for (const e of this.entries) {
      const name = e.def.name;
      if (e.state === 'running' && e.service) {
        try {
          await e.service.reload();
          e.reload = { ok: true, at: this.now().toISOString() };
          log.info({ service: name }, 'reloaded');
        } catch (err) {
          const f = failureOf(err, this.now());
          e.reload = { ok: false, ...f };
          this.logFailure(name, f);
          log.error({ service: name, file: e.file }, `${name}: reload failed; keeping the running configuration`);
        }
      } else if (e.state === 'failed') {
        // The file may have been fixed: try the service again, as on a fresh start.
        if ((await this.create(e)) && (await this.startOne(e))) log.info({ service: name, file: e.file }, `${name} started on reload`);
      }
    }
  }

  /** Stops every running service, last started first. */
  async stop(): Promise<void> {
    for (const e of this.entries.slice().reverse()) {
      if (e.state !== 'running' || !e.service) continue;
      this.opts.health?.setState(e.def.name, 'stopped');
      try {
        await e.service.stop();
      } catch (err) {
        this.opts.log.error({ service: e.def.name, err: err instanceof Error ? err.message : String(err) }, 'stop failed');
      }
      e.service = undefined;
    }
  }

  status(): ServiceStatus[] {
    return this.entries.map((e) => {
      const s: ServiceStatus = { name: e.def.name, state: e.state };
      if (e.state === 'not configured') {
        s.file = e.file ?? this.opts.files[e.def.config.option] ?? path.join(this.opts.confDir, e.def.config.file);
        // The file is there but configures nothing for this service: say so rather than "no FILE".
        if (e.file && e.def.notServed) s.detail = e.def.notServed;
        return s;
      }
      s.file = e.file;
      if (e.state === 'failed') s.failure = e.failure;
      const detail = e.state === 'running' ? e.service?.detail?.() : undefined;
      if (detail) s.detail = detail;
      if (e.reload) s.reload = e.reload;
      return s;
    });
  }

  /** Reads the configuration; true when there is a service to start. */
  private async create(e: Entry): Promise<boolean> {
    e.service = undefined;
    // A file named on the command line but missing is a failure of that service (the
    // others still start), as a broken file is.
    e.file = this.opts.files[e.def.config.option];
    try {
      e.file = e.def.locate(this.opts);
      const svc = e.file ? await e.def.create(this.opts) : undefined;
      if (!svc) {
        e.state = 'not configured';
        this.opts.health?.setState(e.def.name, 'not configured');
        e.failure = undefined;
        return false;
      }
      e.service = svc;
      return true;
    } catch (err) {
      this.fail(e, err);
      return false;
    }
  }

  private async startOne(e: Entry): Promise<boolean> {
    const svc = e.service;
    if (!svc) return false;
    try {
      await svc.start();
      e.state = 'running';
      this.opts.health?.setState(e.def.name, 'running');
      e.failure = undefined;
      e.reload = undefined;
      return true;
    } catch (err) {
      this.fail(e, err);
      // Undo whatever part of the start succeeded (sockets, nft tables, workers).
      await svc.stop().catch(() => undefined);
      e.service = undefined;
      return false;
    }
  }

  private fail(e: Entry, err: unknown): void {
    e.state = 'failed';
    this.opts.health?.setState(e.def.name, 'failed');
    e.failure = failureOf(err, this.now());
    this.logFailure(e.def.name, e.failure);
    this.opts.log.error({ service: e.def.name, file: e.file }, `${e.def.name} is not running: ${e.failure.errors.length ? `${e.failure.errors.length} error(s) in its configuration` : e.failure.reason.split('\n')[0]}`);
  }

  /** Every error on its own line, with the line and the caret. */
  private logFailure(name: string, f: Failure): void {
    if (f.errors.length === 0) {
      this.opts.log.error({ service: name }, f.reason);
      return;
    }
    for (const d of f.errors) this.opts.log.error({ service: name }, formatDiagnostic(d));
  }
}

/** `triad ctl status` as text: one line per service, then indented reasons. */
export function formatServiceStatus(services: readonly ServiceStatus[], option: (name: string) => string | undefined = () => undefined): string {
  const width = Math.max(...services.map((s) => s.name.length), 7) + 2;
  const lines: string[] = [];
  const indent = (text: string): string[] => text.split('\n').map((l) => `    ${l}`);
  for (const s of services) {
    const head = `${s.name.padEnd(width)}${s.state.padEnd(16)}`;
    if (s.state === 'not configured') {
      const opt = option(s.name);
      if (s.detail) {
        lines.push(`${head}${s.file ?? ''}: ${s.detail}`);
        continue;
      }
      lines.push(`${head}no ${s.file ?? 'configuration file'}${opt ? ` (or --${opt} FILE)` : ''}`);
      continue;
    }
    lines.push(`${head}${s.file ?? ''}${s.detail ? ` (${s.detail})` : ''}`.trimEnd());
    if (s.state === 'failed' && s.failure) {
      lines.push(`    failed at ${s.failure.at}:`);
      lines.push(...indent(s.failure.reason));
    }
    if (s.reload && !s.reload.ok) {
      lines.push(`    reload failed at ${s.reload.at}; still serving the previous configuration:`);
      lines.push(...indent(s.reload.reason));
    } else if (s.reload?.ok) {
      lines.push(`    reloaded at ${s.reload.at}`);
    }
  }
  return lines.join('\n') + '\n';
}

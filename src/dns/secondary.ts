// Secondary zones, run once in the main process: the stored copy loaded at start,
// the SOA timers (refresh, retry, expire), NOTIFY-triggered refreshes, the
// transfers (IXFR from our serial, AXFR when the primary sends a full zone, refuses
// IXFR, or we hold no copy) and the zone file written after each new version. Each
// new version (or "no data": expired, never transferred) is handed to `publish`,
// which gives it to whoever answers (the in-process host, or every worker over IPC).
// Transfers run in the background; answering never waits for them.

import { statSync, utimesSync, existsSync } from 'node:fs';
import type { NamedConfig, ZoneConfig } from '../config/named-conf.js';
import type { Logger } from '../log.js';
import { CLASS_IN, T, type ResourceRecord } from '../wire/rr-type.js';
import { applyDiff } from './zone-diff.js';
import { buildZone, type Zone } from './zone.js';
import { loadZoneFile } from './zone-loader.js';
import { keepDamagedCopy } from './journal-file.js';
import { zoneOrigin } from './secondary-view.js';
import { BIND_TIMER_BOUNDS, boundedTimers, nextCheck, type TimerBounds, type ZoneTimers } from './soa-timers.js';
import { querySoaSerial, transferZone, type MessageAuth, type Remote, type XfrOptions } from './xfr-client.js';
import { serialGt, soaTimers, XfrError } from './xfr-in.js';
import { zoneFileText } from './zone-writer.js';
import { writeFileAtomic } from '../fs/atomic-file.js';

export interface SecondarySpec {
  name: string;
  origin: Uint8Array;
  /** Where the copy is kept; absent: in memory only (BIND allows a secondary without `file`). */
  file?: string;
  directory: string;
  primaries: Remote[];
  bounds: TimerBounds;
  source?: { address: string; port?: number };
  /** max-transfer-time-in / max-transfer-idle-in, ms. */
  totalMs?: number;
  idleMs?: number;
}

/** The secondary zones of a configuration. */
export function secondarySpecs(conf: NamedConfig): SecondarySpec[] {
  const o = conf.options.secondary ?? {};
  return conf.zones
    .filter((z): z is ZoneConfig => z.type === 'secondary')
    .map((z) => {
      const s = z.secondary ?? {};
      return {
        name: z.name, origin: zoneOrigin(z.name), file: z.file, directory: conf.options.directory,
        primaries: z.primaries.map((p) => ({ address: p.address, port: p.port ?? 53, key: p.key })),
        bounds: {
          minRefresh: s.minRefresh ?? o.minRefresh ?? BIND_TIMER_BOUNDS.minRefresh,
          maxRefresh: s.maxRefresh ?? o.maxRefresh ?? BIND_TIMER_BOUNDS.maxRefresh,
          minRetry: s.minRetry ?? o.minRetry ?? BIND_TIMER_BOUNDS.minRetry,
          maxRetry: s.maxRetry ?? o.maxRetry ?? BIND_TIMER_BOUNDS.maxRetry,
        },
        source: s.transferSource ?? o.transferSource,
        totalMs: minutes(s.maxTransferTimeIn ?? o.maxTransferTimeIn),
        idleMs: minutes(s.maxTransferIdleIn ?? o.maxTransferIdleIn),
      };
    });
}

const minutes = (m: number | undefined): number | undefined => (m === undefined ? undefined : m * 60_000);

export interface SecondaryStatus {
  name: string;
  type: 'secondary';
  file?: string;
  primaries: string[];
  serial?: number;
  loaded: boolean;
  expired: boolean;
  lastRefresh?: string;
  nextRefresh?: string;
  expires?: string;
  lastTransfer?: string;
  lastError?: string;
  notifiesAccepted: number;
  notifiesRefused: number;
  transferring: boolean;
}

/** What the owner of the secondaries needs from outside (tests swap the transfer options). */
export interface SecondaryOptions {
  /** Message authentication for a primary entry's `key` (TSIG, plugged in by the caller). */
  auth?: (keyName: string) => MessageAuth | undefined;
  /** Overrides for the transfer sockets (timeouts, limits). */
  xfr?: XfrOptions;
  now?: () => number;
  /** A refresh moved the expiry of the version already published (EDNS EXPIRE counts from it). */
  onExpiry?: (name: string, expiresAt: number) => void;
}

/** setTimeout accepts at most 2^31-1 ms; longer waits are chained. */
const MAX_TIMEOUT = 0x7fffffff;

class SecondaryZone {
  zone: Zone | undefined;
  soa: ResourceRecord | undefined;
  timers: ZoneTimers | undefined;
  lastRefresh: number | undefined;
  lastTransfer: number | undefined;
  nextAt: number | undefined;
  expiresAt: number | undefined;
  expired = false;
  lastError: string | undefined;
  running = false;
  again: 'refresh' | 'retransfer' | undefined;
  timer: NodeJS.Timeout | undefined;
  expireTimer: NodeJS.Timeout | undefined;
  notifiesAccepted = 0;
  notifiesRefused = 0;
  /** Transfers completed and refreshes that failed (statistics channel). */
  transfersDone = 0;
  refreshFailures = 0;
  stopped = false;
  constructor(public spec: SecondarySpec) {}
}

export class SecondaryZones {
  private zones = new Map<string, SecondaryZone>();

  constructor(
    private readonly log: Logger,
    private readonly publish: (name: string, zone: Zone | undefined) => void,
    private readonly opts: SecondaryOptions = {},
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** The versions held now, for a process that starts answering (a new worker). */
  held(): Map<string, Zone | undefined> {
    const out = new Map<string, Zone | undefined>();
    for (const [name, z] of this.zones) out.set(name, z.expired ? undefined : z.zone);
    return out;
  }

  /**
   * Starts (or, at reload, updates) the secondary zones: a new zone loads its stored
   * copy and refreshes at once; a zone no longer configured stops; a kept zone takes
   * its new primaries and bounds and keeps its data and timers.
   */
  configure(specs: SecondarySpec[]): void {
    const wanted = new Map(specs.map((s) => [s.name.toLowerCase().replace(/\.$/, '') || '.', s]));
    for (const [key, z] of this.zones) {
      if (!wanted.has(key)) {
        this.stopZone(z);
        this.zones.delete(key);
      }
    }
    for (const [key, spec] of wanted) {
      const have = this.zones.get(key);
      if (have) {
        have.spec = spec;
        continue;
      }
      const z = new SecondaryZone(spec);
      this.zones.set(key, z);
      this.loadStored(z);
      this.schedule(z, 0);
    }
  }

  private key(name: string): string {
    return name.toLowerCase().replace(/\.$/, '') || '.';
  }

  /** The stored copy, if any; its age (the file's modification time) counts toward expiry, as in BIND. */
  private loadStored(z: SecondaryZone): void {
    const file = z.spec.file;
    if (!file || !existsSync(file)) {
      this.publish(z.spec.name, undefined);
      return;
    }
    const res = loadZoneFile({ origin: z.spec.name, file, directory: z.spec.directory, checkNames: 'ignore', checkNsAddress: 'ignore' });
    if (!res.zone) {
      // Damaged on disk (cut short, garbage): say where, keep it aside, and transfer the zone again.
      for (const d of res.diagnostics.filter((x) => x.severity === 'error').slice(0, 5)) this.log.warn({ zone: z.spec.name }, `${d.file}:${d.line}:${d.col}: ${d.message}`);
      let aside: string | undefined;
      try {
        aside = keepDamagedCopy(file);
      } catch {
        // Not kept (a read-only folder): the transfer still replaces it.
      }
      this.log.warn({ zone: z.spec.name, file, damagedCopy: aside }, `zone ${z.spec.name}/IN: stored copy ${file} does not load; transferring it again`);
      this.publish(z.spec.name, undefined);
      return;
    }
    const mtime = statSync(file).mtimeMs;
    this.take(z, res.zone, mtime);
    if (z.expiresAt !== undefined && z.expiresAt <= this.now()) {
      this.log.warn({ zone: z.spec.name }, `zone ${z.spec.name}/IN: stored copy has expired; answering SERVFAIL until a transfer succeeds`);
      this.expire(z);
      return;
    }
    this.log.info({ zone: z.spec.name, serial: res.zone.serial }, `zone ${z.spec.name}/IN: loaded serial ${res.zone.serial} from ${file}`);
    this.publish(z.spec.name, res.zone);
  }

  /** Takes a version as current (not published); `refreshedAt` restarts the expire clock. */
  private take(z: SecondaryZone, zone: Zone, refreshedAt: number): void {
    z.zone = zone;
    const soa = zone.apex?.rrsets.get(T.SOA);
    z.soa = soa ? { owner: soa.owner, type: T.SOA, class: soa.class, ttl: soa.ttl, rdata: soa.rdatas[0] } : undefined;
    z.timers = z.soa ? boundedTimers(soaTimers(z.soa.rdata), z.spec.bounds) : undefined;
    this.refreshed(z, refreshedAt);
  }

  private refreshed(z: SecondaryZone, at: number): void {
    z.lastRefresh = at;
    z.expired = false;
    if (!z.timers) return;
    z.expiresAt = at + z.timers.expire * 1000;
    if (z.zone) z.zone.expiresAt = z.expiresAt;
    this.opts.onExpiry?.(z.spec.name, z.expiresAt);
    if (z.expireTimer) clearTimeout(z.expireTimer);
    const wait = z.expiresAt - this.now();
    if (wait > 0) z.expireTimer = this.after(wait, () => this.expire(z));
  }

  /** EXPIRE passed without a successful refresh: the zone answers SERVFAIL (RFC 1035 §3.3.13). */
  private expire(z: SecondaryZone): void {
    if (z.stopped || z.expired || z.zone === undefined) return;
    if (z.expiresAt !== undefined && z.expiresAt > this.now()) {
      // Timers may fire a little before the wall clock says (monotonic versus wall time): wait the rest.
      z.expireTimer = this.after(z.expiresAt - this.now() + 5, () => this.expire(z));
      return;
    }
    z.expired = true;
    this.log.error({ zone: z.spec.name }, `zone ${z.spec.name}/IN: expired; answering SERVFAIL until a transfer succeeds`);
    this.publish(z.spec.name, undefined);
  }

  private after(ms: number, fn: () => void): NodeJS.Timeout {
    // Longer waits are chained; the callbacks check `stopped` themselves.
    if (ms > MAX_TIMEOUT) return setTimeout(() => this.after(ms - MAX_TIMEOUT, fn), MAX_TIMEOUT).unref();
    return setTimeout(fn, Math.max(0, ms)).unref();
  }

  private schedule(z: SecondaryZone, ms: number): void {
    if (z.stopped) return;
    if (z.timer) clearTimeout(z.timer);
    z.nextAt = this.now() + ms;
    z.timer = this.after(ms, () => void this.run(z, 'refresh'));
  }

  /**
   * NOTIFY from `from` (already checked by the worker that got it): refresh now (RFC 1996
   * §3.7), unless it names a serial we already have (BIND: "zone is up to date").
   */
  notify(name: string, from: string, accepted: boolean, serial?: number): void {
    const z = this.zones.get(this.key(name));
    if (!z) return;
    if (!accepted) {
      z.notifiesRefused++;
      this.log.warn({ zone: z.spec.name, from }, `zone ${z.spec.name}/IN: refused notify from non-primary ${from}`);
      return;
    }
    z.notifiesAccepted++;
    const have = z.expired ? undefined : z.zone?.serial;
    if (serial !== undefined && have !== undefined && !serialGt(serial, have)) {
      this.log.info({ zone: z.spec.name, from, serial }, `zone ${z.spec.name}/IN: notify from ${from}: serial ${serial}: zone is up to date`);
      return;
    }
    this.log.info({ zone: z.spec.name, from }, `zone ${z.spec.name}/IN: notify from ${from}: refreshing`);
    void this.run(z, 'refresh');
  }

  /** `ctl dns refresh ZONE`: ask the primaries now. Throws for a zone that is not a secondary. */
  refresh(name: string): string {
    const z = this.must(name);
    void this.run(z, 'refresh');
    return `zone ${z.spec.name}: refresh queued\n`;
  }

  /** `ctl dns retransfer ZONE`: a full transfer now, whatever the serials say. */
  retransfer(name: string): string {
    const z = this.must(name);
    void this.run(z, 'retransfer');
    return `zone ${z.spec.name}: retransfer queued\n`;
  }

  has(name: string): boolean {
    return this.zones.has(this.key(name));
  }

  private must(name: string): SecondaryZone {
    const z = this.zones.get(this.key(name));
    if (!z) throw new Error(`'${name}' is not a secondary zone`);
    return z;
  }

  status(name: string): SecondaryStatus {
    const z = this.must(name);
    const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());
    return {
      name: z.spec.name, type: 'secondary', file: z.spec.file, primaries: z.spec.primaries.map((p) => `${p.address}#${p.port}`),
      serial: z.expired ? undefined : z.zone?.serial, loaded: z.zone !== undefined && !z.expired, expired: z.expired,
      lastRefresh: iso(z.lastRefresh), nextRefresh: iso(z.nextAt), expires: iso(z.expiresAt), lastTransfer: iso(z.lastTransfer),
      lastError: z.lastError, notifiesAccepted: z.notifiesAccepted, notifiesRefused: z.notifiesRefused, transferring: z.running,
    };
  }

  /** Per secondary zone: transfers completed, refreshes failed, the serial served (statistics channel). */
  transferCounts(): { zone: string; done: number; failed: number; serial?: number }[] {
    return [...this.zones.values()].map((z) => ({ zone: z.spec.name, done: z.transfersDone, failed: z.refreshFailures, serial: z.expired ? undefined : z.zone?.serial }));
  }

  /** One refresh (or forced transfer); a request during a run runs once more after it. */
  private async run(z: SecondaryZone, what: 'refresh' | 'retransfer'): Promise<void> {
    if (z.stopped) return;
    if (z.running) {
      if (z.again !== 'retransfer') z.again = what;
      return;
    }
    z.running = true;
    if (z.timer) clearTimeout(z.timer);
    let ok = false;
    try {
      ok = await this.fromPrimaries(z, what === 'retransfer');
    } catch (err) {
      // Unexpected (a bug, a disk error): logged; the zone keeps what it has.
      z.lastError = err instanceof Error ? err.message : String(err);
      this.log.error({ zone: z.spec.name, err: z.lastError }, `zone ${z.spec.name}/IN: refresh failed`);
    } finally {
      z.running = false;
    }
    if (z.stopped) return;
    const again = z.again;
    z.again = undefined;
    if (again) {
      void this.run(z, again);
      return;
    }
    // No copy yet: BIND retries at the retry interval (min-retry-time bounds it too).
    const t = z.timers ?? { refresh: z.spec.bounds.minRefresh, retry: z.spec.bounds.minRetry, expire: 0 };
    this.schedule(z, nextCheck(t, ok));
  }

  /** Tries each primary in order until one answers; true when the zone is current. */
  private async fromPrimaries(z: SecondaryZone, force: boolean): Promise<boolean> {
    const errors: string[] = [];
    for (const p of z.spec.primaries) {
      const opts: XfrOptions = { ...this.opts.xfr, source: z.spec.source ?? this.opts.xfr?.source };
      if (z.spec.totalMs !== undefined) opts.totalMs = z.spec.totalMs;
      if (z.spec.idleMs !== undefined) opts.idleMs = z.spec.idleMs;
      if (p.key) {
        const auth = this.opts.auth?.(p.key);
        if (!auth) {
          errors.push(`${p.address}#${p.port}: key '${p.key}' cannot be used`);
          continue;
        }
        opts.auth = auth;
      }
      try {
        await this.fromPrimary(z, p, force, opts);
        z.lastError = undefined;
        return true;
      } catch (err) {
        errors.push(`${p.address}#${p.port}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    z.lastError = errors.join('; ') || 'no primaries';
    z.refreshFailures++;
    this.log.warn({ zone: z.spec.name, err: z.lastError }, `zone ${z.spec.name}/IN: refresh failed: ${z.lastError}`);
    return false;
  }

  private async fromPrimary(z: SecondaryZone, p: Remote, force: boolean, opts: XfrOptions): Promise<void> {
    const name = z.spec.name;
    const at = `${p.address}#${p.port}`;
    const current = z.expired ? undefined : z.zone;
    if (current && !force) {
      const theirs = await querySoaSerial(p, z.spec.origin, opts);
      // BIND: a primary with an older serial does not count as a refresh; the next one is asked.
      if (theirs !== current.serial && !serialGt(theirs, current.serial)) throw new Error(`serial number (${theirs}) received from primary < ours (${current.serial})`);
      if (theirs === current.serial) {
        this.refreshed(z, this.now());
        this.touch(z);
        return;
      }
    }
    let soa = current && !force ? z.soa : undefined;
    for (;;) {
      let r;
      try {
        r = await transferZone(p, z.spec.origin, soa, opts);
      } catch (err) {
        if (err instanceof XfrError && err.fallback && soa) {
          this.log.info({ zone: name, primary: at }, `zone ${name}/IN: IXFR not possible (${err.message}); trying AXFR`);
          soa = undefined;
          continue;
        }
        throw err;
      }
      const kind = r.qtype === T.IXFR ? 'IXFR' : 'AXFR';
      let next: Zone;
      if (r.result.kind === 'uptodate') {
        this.refreshed(z, this.now());
        this.touch(z);
        return;
      }
      if (r.result.kind === 'ixfr') {
        try {
          next = r.result.diffs.reduce((v, d) => applyDiff(v, d), current as Zone);
        } catch (err) {
          // The differences do not fit our copy: BIND then asks for the whole zone.
          this.log.warn({ zone: name, primary: at, err: (err as Error).message }, `zone ${name}/IN: IXFR does not apply (${(err as Error).message}); trying AXFR`);
          soa = undefined;
          continue;
        }
      } else {
        next = buildZone(z.spec.origin, CLASS_IN, r.result.records, r.result.serial);
      }
      // Stopped meanwhile (removed by a reload or its catalog): neither served nor written.
      if (z.stopped) return;
      const how = r.result.kind === 'ixfr' ? 'IXFR' : kind === 'IXFR' ? 'AXFR-style IXFR' : 'AXFR';
      this.log.info(
        { zone: name, primary: at, serial: next.serial, messages: r.messages, bytes: r.bytes, transfer: how },
        `zone ${name}/IN: transferred serial ${next.serial} from ${at} (${how}, ${r.messages} messages, ${r.bytes} bytes)`,
      );
      this.take(z, next, this.now());
      z.lastTransfer = this.now();
      z.transfersDone++;
      this.publish(name, next);
      await this.store(z, next, at);
      return;
    }
  }

  /** Writes the version to the zone's file; a failure is logged and the zone serves on. */
  private async store(z: SecondaryZone, zone: Zone, from: string): Promise<void> {
    const file = z.spec.file;
    if (!file) return;
    try {
      await writeFileAtomic(file, zoneFileText(zone, from));
    } catch (err) {
      this.log.error({ zone: z.spec.name, file, err: (err as Error).message }, `zone ${z.spec.name}/IN: cannot write ${file}`);
    }
  }

  /** A refresh that found the zone current: the file's time records it, so a restart knows the copy's age. */
  private touch(z: SecondaryZone): void {
    if (!z.spec.file || !existsSync(z.spec.file)) {
      if (z.zone && z.spec.file) void this.store(z, z.zone, 'memory');
      return;
    }
    try {
      const t = new Date(this.now());
      utimesSync(z.spec.file, t, t);
    } catch {
      // Not fatal: the zone is current either way.
    }
  }

  private stopZone(z: SecondaryZone): void {
    z.stopped = true;
    if (z.timer) clearTimeout(z.timer);
    if (z.expireTimer) clearTimeout(z.expireTimer);
  }

  stop(): void {
    for (const z of this.zones.values()) this.stopZone(z);
  }

  /** Names of the zones, for messages. */
  names(): string[] {
    return [...this.zones.values()].map((z) => z.spec.name);
  }
}


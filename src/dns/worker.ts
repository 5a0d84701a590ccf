// Entry module of a DNS cluster worker (cluster.setupPrimary exec). The primary
// keeps the other services; workers only answer DNS, sharing the UDP/TCP
// sockets the cluster module hands out, so every core runs the query path.
// Control comes from the primary over IPC: reload, stop.

import { createLogger } from '../log.js';
import { shedCapabilities } from '../net/capabilities.js';
import type { DnsConfig } from './dns-config.js';
import { DnsHost, loadReport, RRL_WORKERS_ENV, type LoadReport } from './dns-host.js';
import { factsToWire, type NamesSnapshot, type ZoneFactsWire } from './dhcp-names.js';
import { localControl } from './control.js';
import { zoneFromWire, type WireZone } from './secondary-view.js';
import type { MemberZone } from './catalog-owner.js';
import { ControlUsageError, type ControlReply } from '../control/server.js';
import type { NotifyZoneInfo } from './notify-out.js';
import { fromLine, type RecordLine, type UpdateRequest } from './dynamic-zones.js';
import { keyFromEnv, setSessionKey, SESSION_KEY_ENV } from './session-key.js';
import { queryLog, QUERYLOG_ENV, type QueryLogEntry } from './query-log.js';
import { processStats, type DnsProcessStats } from './stats-model.js';

/** How long a stopping worker may take before it exits regardless. */
const STOP_GRACE_MS = 3000;

export type ToWorker =
  | { type: 'reload'; id: number } | { type: 'stop' } | { type: 'ctl'; id: number; cmd: string; args: string[] } | { type: 'names'; snapshot: NamesSnapshot }
  /** A secondary zone's current version from the main process; none: answer it SERVFAIL. */
  | { type: 'secondary'; name: string; zone?: WireZone }
  | { type: 'secondary-expiry'; name: string; expiresAt: number }
  /** Answered once every message sent before it is handled (DHCP names served before their NOTIFY goes out). */
  | { type: 'sync'; id: number }
  /** The member zones of catalog zones now in force (catalog-owner.ts). */
  | { type: 'catalog-members'; members: MemberZone[] }
  /** A dynamic zone's current version from the main process (dynamic-zones.ts). */
  | { type: 'dynamic'; id: number; name: string; zone?: WireZone; diff?: { del: RecordLine[]; add: RecordLine[]; serial?: number } }
  /** The main process's answer to an UPDATE this worker passed up. */
  | { type: 'update-reply'; id: number; rcode: number }
  /** `triad ctl dns querylog`, or a reload, switched the query log. */
  | { type: 'querylog'; on: boolean }
  /** The statistics channel asks for this worker's counters. */
  | { type: 'stats'; id: number };

/**
 * A worker's load as the primary needs it (the primary parses no zone file): the lines to
 * log, the primary zones' facts as their files say (what DHCP names are judged against)
 * and their addresses (what dhcpd.conf's fixed-address names are looked up in).
 */
export interface WorkerLoad extends LoadReport {
  facts: ZoneFactsWire[];
  addresses: [string, number[]][];
  /** The primary zones served now, as NOTIFY announces them (the main process sends them). */
  notify: NotifyZoneInfo[];
}

export type FromWorker =
  /** Sent at start once the files are read, before the worker listens. */
  | ({ type: 'loaded' } & WorkerLoad)
  | { type: 'ready' }
  | { type: 'start-failed'; error: string }
  | ({ type: 'reloaded'; id: number } & WorkerLoad)
  | { type: 'synced'; id: number }
  | { type: 'reload-failed'; id: number; error: string }
  /** A NOTIFY for a secondary zone reached this worker; the main process refreshes (or counts the refusal). */
  | { type: 'notify'; zone: string; from: string; accepted: boolean; serial?: number }
  /** This worker serves the dynamic zone version sent with this id. */
  | { type: 'dynamic-ack'; id: number }
  /** An UPDATE for a dynamic zone: the main process decides it. */
  | { type: 'update'; id: number; req: UpdateRequest }
  /** This worker's counters for the statistics channel (summed in the main process). */
  | { type: 'stats-reply'; id: number; stats: DnsProcessStats }
  /** `triad ctl` commands answered from this worker's cache and counters. */
  | { type: 'ctl-reply'; id: number; reply?: ControlReply; error?: string; usage?: boolean }
  /** Query-log lines for the main process to write (query-log.ts). */
  | { type: 'querylog-lines'; entries: QueryLogEntry[] };

async function main(): Promise<void> {
  const namedConf = process.argv[2];
  const log = createLogger({ name: 'dns' });
  const send = (m: FromWorker): void => {
    if (process.send) process.send(m);
  };
  if (!namedConf || !process.send) {
    log.error('the DNS worker is started by `triad run`, not directly');
    process.exit(2);
  }
  // Under `triad run -u USER` a worker needs no capability (the primary holds the
  // sockets); one restarted after the drop would inherit the primary's ambient ones.
  if (process.getuid?.() !== 0) {
    try {
      shedCapabilities();
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'DNS worker: cannot give up its capabilities');
    }
  }
  // Signals are the primary's business; a terminal's Ctrl-C reaches the whole group.
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);
  // Each worker sees part of the queries: it allows its part of every rate-limit rate.
  const host = new DnsHost(namedConf, log, Number(process.env[RRL_WORKERS_ENV]) || 1);
  const workerLoad = (cfg: DnsConfig): WorkerLoad => ({ ...loadReport(cfg, (z) => host.dynamicSerial(z)), facts: factsToWire(host.facts), addresses: [...host.addresses], notify: host.notifyInfos(cfg) });
  // The query log: lines go to the main process, which alone writes the files.
  queryLog.on = process.env[QUERYLOG_ENV] === '1';
  queryLog.deliver = (entries) => send({ type: 'querylog-lines', entries });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // A worker must never outlive its primary: whatever hangs or fails below (a send to a
    // primary that just died, a socket that does not close), it exits within STOP_GRACE_MS.
    setTimeout(() => process.exit(0), STOP_GRACE_MS);
    try {
      // The last query-log lines reach the main process before this worker exits.
      const last = queryLog.take();
      if (last.length > 0 && process.connected) {
        await new Promise<void>((resolve) => process.send?.({ type: 'querylog-lines', entries: last } satisfies FromWorker, undefined, {}, () => resolve()));
      }
      log.info({ stats: host.stats() }, 'dns worker stopping');
      await host.stop();
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'dns worker: error while stopping');
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop());
  // The primary went away (even by SIGKILL): do not keep serving on our own.
  process.on('disconnect', () => void stop());
  host.onNotify = (zone, from, accepted, serial) => send({ type: 'notify', zone, from, accepted, serial });
  // update-policy local: the main process's session key, so requests signed with it verify here.
  setSessionKey(keyFromEnv(process.env[SESSION_KEY_ENV]));
  const pendingUpdates = new Map<number, (rcode: number) => void>();
  let updateSeq = 0;
  host.onUpdate = (req) => new Promise<number>((resolve) => {
    const id = ++updateSeq;
    pendingUpdates.set(id, resolve);
    send({ type: 'update', id, req });
  });
  process.on('message', (m: ToWorker) => {
    if (m.type === 'stop') void stop();
    else if (m.type === 'querylog') queryLog.on = m.on;
    else if (m.type === 'names') host.setNames(m.snapshot);
    else if (m.type === 'secondary') host.setSecondary(m.name, m.zone ? zoneFromWire(m.zone) : undefined);
    else if (m.type === 'secondary-expiry') host.setSecondaryExpiry(m.name, m.expiresAt);
    else if (m.type === 'sync') send({ type: 'synced', id: m.id });
    else if (m.type === 'stats') send({ type: 'stats-reply', id: m.id, stats: processStats(host) });
    else if (m.type === 'catalog-members') host.setCatalogMembers(m.members);
    else if (m.type === 'dynamic') {
      host.setDynamic(m.name, m.zone && zoneFromWire(m.zone), m.diff && { deletions: m.diff.del.map(fromLine), additions: m.diff.add.map(fromLine), serial: m.diff.serial });
      send({ type: 'dynamic-ack', id: m.id });
    }
    else if (m.type === 'update-reply') {
      pendingUpdates.get(m.id)?.(m.rcode);
      pendingUpdates.delete(m.id);
    }
    else if (m.type === 'ctl') {
      try {
        send({ type: 'ctl-reply', id: m.id, reply: localControl(host, m.cmd, m.args) });
      } catch (err) {
        send({ type: 'ctl-reply', id: m.id, error: err instanceof Error ? err.message : String(err), usage: err instanceof ControlUsageError });
      }
    }
    else if (m.type === 'reload') {
      host.reload().then(
        (cfg) => send({ type: 'reloaded', id: m.id, ...workerLoad(cfg) }),
        (err: unknown) => send({ type: 'reload-failed', id: m.id, error: err instanceof Error ? err.message : String(err) }),
      );
    }
  });
  let cfg: DnsConfig;
  try {
    cfg = await host.start((loaded) => send({ type: 'loaded', ...workerLoad(loaded) }));
  } catch (err) {
    send({ type: 'start-failed', error: err instanceof Error ? err.message : String(err) });
    await host.stop();
    process.exit(1);
  }
  // The primary logs the first worker's load once; workers log only their zones at debug.
  for (const z of cfg.loaded) log.debug({ zone: z.name, serial: z.serial }, 'zone loaded');
  send({ type: 'ready' });
}

void main();

// The DNS service as `triad run` starts it. The primary process checks named.conf
// (the workers read the zone files) and supervises N cluster workers (one per core
// by default, `--dns-workers N`; 0 serves in the primary itself). Workers share the
// listening sockets through node:cluster, so the kernel spreads queries over
// every core while the primary stays free for DHCP and the load balancer.
//
// Reload (SIGHUP): the first worker reloads first; a broken named.conf fails there
// and nothing else changes (that worker keeps its old data too). A zone file that
// does not load fails only that zone, which keeps its old data in every worker.
// Then the others reload one at a time, so the rest keep answering while one parses.

import cluster, { type Worker } from 'node:cluster';
import { RRL_WORKERS_ENV } from './dns-host.js';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log.js';
import type { RunOptions, Service } from '../service.js';
import { loadNamedConfOnly, namedConfPath } from './dns-config.js';
import { DiagnosticSink, formatDiagnostic } from '../config/diagnostics.js';
import { dnsWorkers } from './definition.js';
import { DnsHost, logLoaded, logLoadReport } from './dns-host.js';
import type { FromWorker, ToWorker, WorkerLoad } from './worker.js';
import { workerExecArgv } from './worker-heap.js';
import { factsFromWire, type NamesSnapshot, type ZoneFacts } from './dhcp-names.js';
import { listenAddresses, type FailedZone } from './view-builder.js';
import type { Zone } from './zone.js';
import { NamesOwner } from './names-owner.js';
import { localControl, mergeReplies, registerDnsControl, type DnsControlCommand } from './control.js';
import { ControlUsageError, type ControlReply } from '../control/server.js';
import { hostNetworks } from '../net/interfaces.js';
import { SecondaryZones } from './secondary.js';
import { authFor, notifySigning } from './tsig-auth.js';
import type { NamedConfig } from '../config/named-conf.js';
import { secondaryControl } from './secondary-control.js';
import { zoneToWire } from './secondary-view.js';
import { NotifySender } from './notify-sender.js';
import type { NotifyZoneInfo } from './notify-out.js';
import { CatalogZones, type MemberZone } from './catalog-owner.js';
import { DynamicZones, toLine } from './dynamic-zones.js';
import type { ZoneDiff } from './zone-diff.js';
import { keyToEnv, makeSessionKey, sessionKey, setSessionKey, SESSION_KEY_ENV, wantsSessionKey } from './session-key.js';
import { matchEnvironment } from './view-builder.js';
import { QueryLogOwner } from './query-log-owner.js';
import { queryLog, QUERYLOG_ENV } from './query-log.js';
import { COOKIE_SECRET_ENV, cookieSecretEnv } from './cookie-secret.js';
import { DnsStatistics } from './statistics.js';
import { processStats, type DnsProcessStats } from './stats-model.js';

/**
 * update-policy local: a fresh session key for this run, written where nsupdate -l
 * reads it, before any view is built (the views accept requests signed with it).
 */
function startSessionKey(conf: NamedConfig, dataDir: string, log: Logger): void {
  if (!wantsSessionKey(conf)) return;
  try {
    const { key, file } = makeSessionKey(conf, dataDir);
    setSessionKey(key);
    log.info({ keyFile: file, key: key.name }, 'session key written (update-policy local, nsupdate -l)');
  } catch (err) {
    log.error({ err: err instanceof Error ? err.message : String(err) }, 'cannot write the session key file; update-policy local refuses every update');
  }
}

/**
 * After a dynamic update is durable (and, with workers, served by every worker): the
 * zone's secondaries are told of the new serial by NOTIFY (RFC 1996), as BIND does.
 */
function notifyAfterUpdate(log: Logger, notifier: () => NotifySender): (name: string, zone: Zone) => void {
  return (name, zone) => {
    log.debug({ zone: name, serial: zone.serial }, 'dynamic zone changed');
    const key = (name.endsWith('.') ? name : `${name}.`).toLowerCase();
    notifier().serials({ [key]: zone.serial });
  };
}

/** options { pid-file }: the main process's PID, so `kill -HUP $(cat FILE)` reloads as with BIND. */
function writePidFile(file: string | null | undefined, log: Logger): string | undefined {
  if (!file) return undefined;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${process.pid}\n`);
    return file;
  } catch (err) {
    // BIND logs this and keeps running.
    log.error({ pidFile: file, err: err instanceof Error ? err.message : String(err) }, 'cannot write pid-file');
    return undefined;
  }
}

function removePidFile(file: string | undefined): void {
  if (file) rmSync(file, { force: true });
}

const WORKER_MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.js');
const STOP_GRACE_MS = 5000;

export async function createDnsService(opts: RunOptions): Promise<Service | undefined> {
  const file = namedConfPath(opts);
  if (!file) return undefined;
  const workers = dnsWorkers(opts) ?? os.availableParallelism();
  return workers === 0 ? new InProcessDns(file, opts.log, opts) : new ClusterDns(file, workers, opts.log, opts);
}

class InProcessDns implements Service {
  readonly name = 'dns';
  private host: DnsHost;
  private closeControl: (() => Promise<void>) | undefined;
  constructor(
    private readonly file: string,
    private readonly log: Logger,
    private readonly opts: RunOptions,
  ) {
    this.host = new DnsHost(file, log);
    this.secondaries = new SecondaryZones(
      log,
      (name, zone) => {
        this.host.setSecondary(name, zone);
        this.catalogs.version(name, zone);
      },
      { auth: authFor(() => this.host.config?.conf) },
    );
    this.catalogs = new CatalogZones(log, this.secondaries, (members) => this.host.setCatalogMembers(members));
    this.host.onNotify = (zone, from, accepted, serial) => this.secondaries.notify(zone, from, accepted, serial);
    this.notifier = new NotifySender(log, notifySigning(() => this.host.config?.conf));
    this.dynamic = new DynamicZones(log, opts.dataDir, (name, zone, diff) => this.host.setDynamic(name, zone, diff), notifyAfterUpdate(log, () => this.notifier));
    this.host.onUpdate = (req) => this.dynamic.update(req);
    this.queryLog = new QueryLogOwner(log, (on) => (queryLog.on = on));
    queryLog.deliver = (entries) => this.queryLog.write(entries);
    this.statistics = new DnsStatistics(opts.metrics, { gather: async () => [processStats(this.host)], transfers: () => this.secondaries.transferCounts(), workers: 0, dhcpNames: () => this.owner?.snapshot.records ?? [], notify: () => ({ ...this.notifier.stats }) }, log);
  }
  /** The query log: switch and files, for this process's own queries. */
  private queryLog: QueryLogOwner;
  /** /metrics and BIND's statistics channel. */
  private statistics: DnsStatistics;
  /** Dynamic zones: updates decided, journaled and written here, served by this same host. */
  private dynamic: DynamicZones;
  /** Catalog zones: their members become secondary zones here (configure goes through it). */
  private catalogs: CatalogZones;
  /** Secondary zones: timers, transfers and files here, served by this same host. */
  private secondaries: SecondaryZones;
  private pidFile: string | undefined;
  /** DHCP names: decided and journaled here, served by this same host. */
  private owner: NamesOwner | undefined;
  /** NOTIFY to the secondaries of our primary zones. */
  private notifier!: NotifySender;
  async start(): Promise<void> {
    const sink = new DiagnosticSink();
    const conf = loadNamedConfOnly(this.file, sink);
    if (!sink.hasErrors()) startSessionKey(conf, this.opts.dataDir, this.log);
    await this.host.start();
    if (this.host.config) this.queryLog.configure(this.host.config.conf);
    if (this.host.config) this.dynamic.configure(this.host.config.conf, matchEnvironment(this.host.config.conf, hostNetworks()));
    if (this.host.config) logLoaded(this.log, this.host.config);
    // fixed-address names in dhcpd.conf are looked up in these zones' addresses.
    this.opts.names?.publishAddresses(this.host.addresses);
    if (this.opts.names) {
      this.owner = new NamesOwner(this.opts.dataDir, this.host.facts, this.log, (snap) => {
        this.host.setNames(snap);
        this.notifier.serials(snap.serials);
      });
      this.owner.start(this.opts.names);
    }
    // BIND announces every primary zone when it loads.
    this.notifier.loaded(this.host.notifyInfos(), true);
    this.pidFile = writePidFile(this.host.config?.conf.options.pidFile, this.log);
    if (this.host.config) this.catalogs.configure(this.host.config.conf);
    this.closeControl = await registerDnsControl(this.opts, this.host.config?.conf, hostNetworks(), this.log, async (cmd, args) => {
      const sec = secondaryControl(this.secondaries, cmd, args);
      if (sec) return sec;
      if (cmd === 'notify') return notifyCommand(this.notifier, args);
      if (cmd === 'querylog') return this.queryLog.command(args);
      if (cmd === 'stats') return withQueryLogState(localControl(this.host, cmd, args), this.queryLog.on);
      if (cmd !== 'reload') return localControl(this.host, cmd, args);
      await this.reload();
      return { text: 'reload successful\n' };
    });
    await this.statistics.start(this.host.config?.conf);
    this.log.info({ namedConf: this.file, listen: this.host.config?.listen }, 'dns serving in the main process');
  }
  async reload(): Promise<void> {
    logLoaded(this.log, await this.host.reload(), (z) => this.host.dynamicSerial(z));
    if (this.host.config) this.queryLog.configure(this.host.config.conf);
    if (this.host.config) this.catalogs.configure(this.host.config.conf);
    if (this.host.config) this.dynamic.configure(this.host.config.conf, matchEnvironment(this.host.config.conf, hostNetworks()));
    this.owner?.setFacts(this.host.facts);
    this.opts.names?.publishAddresses(this.host.addresses);
    this.notifier.loaded(this.host.notifyInfos(), false);
    await this.statistics.reloaded(this.host.config?.conf);
  }
  async stop(): Promise<void> {
    await this.statistics.stop();
    this.owner?.stop();
    this.secondaries.stop();
    this.notifier.stop();
    this.catalogs.stop();
    await this.dynamic.stop();
    this.log.info({ stats: this.host.stats() }, 'dns stopping');
    await this.closeControl?.();
    await this.host.stop();
    this.queryLog.stop();
    removePidFile(this.pidFile);
  }
}

interface Slot {
  worker?: Worker;
  restarts: number;
}

class ClusterDns implements Service {
  /** named.conf as last accepted (the keys secondary zones sign their requests with). */
  private namedConf: NamedConfig | undefined;
  readonly name = 'dns';
  private slots: Slot[] = [];
  private stopping = false;
  private reloadSeq = 0;
  private pidFile: string | undefined;
  private closeControl: (() => Promise<void>) | undefined;
  private ctlSeq = 0;
  /** DHCP names: decided and journaled in the primary, sent to every worker. */
  private owner: NamesOwner | undefined;
  /** The zone facts the owner decides against (the primary holds no zones). */
  private facts: ZoneFacts[] = [];
  /** NOTIFY to the secondaries of our primary zones: sent from here, once, not by every worker. */
  private notifier!: NotifySender;
  /** The first worker's announcement of the zones it loaded (all workers load the same files). */
  private firstNotify: NotifyZoneInfo[] | undefined;
  private syncSeq = 0;
  /** The query log: the switch is sent to every worker, their lines are written here. */
  private queryLog: QueryLogOwner;

  /** Resolves once every live worker has handled the messages sent to it so far. */
  private syncWorkers(): Promise<void> {
    const live = this.slots.map((s) => s.worker).filter((w): w is Worker => w !== undefined && w.isConnected());
    return Promise.all(live.map((w) => {
      const id = ++this.syncSeq;
      // A worker that does not answer must not hold the NOTIFY back for ever.
      return sendAndAwait(w, { type: 'sync', id }, (m) => m.type === 'synced' && m.id === id, 5000);
    })).then(() => undefined);
  }

  /** Secondary zones: timers, transfers and files in the primary; versions sent to every worker. */
  private secondaries: SecondaryZones;

  private sendSecondary(w: Worker, name: string, zone: Zone | undefined): void {
    if (!w.isConnected()) return;
    const msg: ToWorker = zone ? { type: 'secondary', name, zone: zoneToWire(zone) } : { type: 'secondary', name };
    w.send(msg);
  }

  /** Dynamic zones: updates decided, journaled and written in the primary; versions sent to every worker. */
  private dynamic: DynamicZones;

  private dynamicSeq = 0;

  /** Sends a dynamic zone's version; resolves when the worker serves it (or is gone, or 2 s passed). */
  private sendDynamic(w: Worker, name: string, zone: Zone | undefined, diff?: ZoneDiff): Promise<void> {
    if (!w.isConnected()) return Promise.resolve();
    const id = ++this.dynamicSeq;
    const msg: ToWorker = { type: 'dynamic', id, name, zone: zone && zoneToWire(zone), diff: diff && { del: diff.deletions.map(toLine), add: diff.additions.map(toLine), serial: diff.serial } };
    return sendAndAwait(w, msg, (m) => m.type === 'dynamic-ack' && m.id === id, 2000);
  }

  private sendNames(w: Worker, snapshot: NamesSnapshot): void {
    if (!w.isConnected()) return;
    const msg: ToWorker = { type: 'names', snapshot };
    w.send(msg);
  }

  constructor(
    private readonly file: string,
    private readonly count: number,
    private readonly log: Logger,
    private readonly opts: RunOptions,
  ) {
    this.queryLog = new QueryLogOwner(log, (on) => {
      for (const s of this.slots) if (s.worker?.isConnected()) s.worker.send({ type: 'querylog', on } satisfies ToWorker);
    });
    this.dynamic = new DynamicZones(log, opts.dataDir, async (name, zone, diff) => {
      await Promise.all(this.slots.map((s) => (s.worker ? this.sendDynamic(s.worker, name, zone, diff) : undefined)));
    }, notifyAfterUpdate(log, () => this.notifier));
    this.secondaries = new SecondaryZones(
      log,
      (name, zone) => {
        for (const s of this.slots) if (s.worker) this.sendSecondary(s.worker, name, zone);
        this.catalogs.version(name, zone);
      },
      {
        auth: authFor(() => this.namedConf),
        onExpiry: (name, expiresAt) => {
          const msg: ToWorker = { type: 'secondary-expiry', name, expiresAt };
          for (const s of this.slots) if (s.worker?.isConnected()) s.worker.send(msg);
        },
      },
    );
    this.notifier = new NotifySender(log, notifySigning(() => this.namedConf));
    this.catalogs = new CatalogZones(log, this.secondaries, (members) => {
      for (const s of this.slots) if (s.worker) this.sendMembers(s.worker, members);
    });
    this.statistics = new DnsStatistics(opts.metrics, { gather: () => this.gatherStats(), transfers: () => this.secondaries.transferCounts(), workers: count, dhcpNames: () => this.owner?.snapshot.records ?? [], notify: () => ({ ...this.notifier.stats }) }, log);
  }

  /** /metrics and BIND's statistics channel: every worker's counters, summed. */
  private statistics: DnsStatistics;
  private statsSeq = 0;

  /** Every live worker's counters (a worker that does not answer within 2 s is left out of this scrape). */
  private async gatherStats(): Promise<DnsProcessStats[]> {
    const live = this.slots.map((s) => s.worker).filter((w): w is Worker => w !== undefined && w.isConnected());
    const all = await Promise.all(live.map((w) => {
      const id = ++this.statsSeq;
      let got: DnsProcessStats | undefined;
      return sendAndAwait(w, { type: 'stats', id }, (m) => {
        if (m.type !== 'stats-reply' || m.id !== id) return false;
        got = m.stats;
        return true;
      }, 2000).then(() => got);
    }));
    return all.filter((s): s is DnsProcessStats => s !== undefined);
  }

  /** Catalog zones: their members become secondary zones (configure goes through it), sent to every worker. */
  private catalogs: CatalogZones;

  private sendMembers(w: Worker, members: MemberZone[]): void {
    if (!w.isConnected()) return;
    const msg: ToWorker = { type: 'catalog-members', members };
    w.send(msg);
  }

  /** A `triad ctl` command: reload here; the others asked of every worker and merged. */
  private async control(cmd: DnsControlCommand, args: string[]): Promise<ControlReply> {
    const sec = secondaryControl(this.secondaries, cmd, args);
    if (sec) return sec;
    if (cmd === 'reload') {
      await this.reload();
      return { text: 'reload successful\n' };
    }
    // NOTIFY is sent from here, not by the workers.
    if (cmd === 'notify') return notifyCommand(this.notifier, args);
    if (cmd === 'querylog') return this.queryLog.command(args);
    const live = this.slots.map((s) => s.worker).filter((w): w is Worker => w !== undefined && w.isConnected());
    const replies = await Promise.all(live.map((w) => new Promise<{ pid: number; reply: ControlReply }>((resolve, reject) => {
      const id = ++this.ctlSeq;
      const timer = setTimeout(() => {
        w.off('message', onMessage);
        reject(new Error(`worker ${w.process.pid ?? '?'} did not answer`));
      }, 5000);
      const onMessage = (m: FromWorker): void => {
        if (m.type !== 'ctl-reply' || m.id !== id) return;
        clearTimeout(timer);
        w.off('message', onMessage);
        if (m.reply) resolve({ pid: w.process.pid ?? 0, reply: m.reply });
        else reject(m.usage ? new ControlUsageError(m.error ?? 'failed') : new Error(m.error ?? 'failed'));
      };
      w.on('message', onMessage);
      const msg: ToWorker = { type: 'ctl', id, cmd, args };
      w.send(msg);
    })));
    if (replies.length === 0) throw new Error('no DNS worker is running');
    const merged = mergeReplies(cmd, replies);
    return cmd === 'stats' ? withQueryLogState(merged, this.queryLog.on) : merged;
  }

  async start(): Promise<void> {
    // Fail early, with every named.conf error, before forking anything. The zone files are
    // the workers' to read: the first worker's load is logged, and DHCP names use its facts.
    const sink = new DiagnosticSink();
    const conf = loadNamedConfOnly(this.file, sink);
    sink.throwIfErrors();
    this.namedConf = conf;
    // Before the workers start: each is forked with the switch set.
    this.queryLog.configure(conf);
    // Stored copies of secondary zones (written by the main process itself) load before the
    // workers start, so each starts with them.
    this.catalogs.configure(conf);
    startSessionKey(conf, this.opts.dataDir, this.log);
    this.dynamic.configure(conf, matchEnvironment(conf, hostNetworks()));
    // Workers accept TCP connections themselves instead of the primary handing them out.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    this.slots = Array.from({ length: this.count }, () => ({ restarts: 0 }));
    let first = true;
    const onLoad = (r: WorkerLoad): void => {
      if (!first) return;
      first = false;
      this.adopt(r);
      if (this.opts.names) {
        this.owner = new NamesOwner(this.opts.dataDir, this.facts, this.log, (snap) => {
          for (const s of this.slots) if (s.worker) this.sendNames(s.worker, snap);
          // NOTIFY once every worker serves the new serial, so a secondary asking at once finds it.
          void this.syncWorkers().then(() => this.notifier.serials(snap.serials));
        });
      }
    };
    try {
      await Promise.all(this.slots.map((s) => this.fork(s, onLoad)));
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.pidFile = writePidFile(conf.options.pidFile, this.log);
    const host = hostNetworks();
    this.closeControl = await registerDnsControl(this.opts, conf, host, this.log, (cmd, args) => this.control(cmd, args));
    if (this.opts.names) this.owner?.start(this.opts.names);
    // BIND announces every primary zone when it loads; every worker serves it by now.
    if (this.firstNotify) this.notifier.loaded(this.firstNotify, true);
    await this.statistics.start(conf);
    this.log.info({ namedConf: this.file, workers: this.count, listen: listenAddresses(conf, host) }, 'dns serving');
  }

  /**
   * The first worker's load (at start and at each reload): logged once, here; from now on
   * fixed-address names are looked up in its zones' addresses, and DHCP names judged
   * against its zone facts (a zone that failed keeps its previous facts).
   */
  private adopt(r: WorkerLoad): void {
    this.opts.names?.publishAddresses(new Map(r.addresses));
    this.facts = keepFailedFacts(factsFromWire(r.facts), this.facts, r.failed);
    this.owner?.setFacts(this.facts);
    logLoadReport(this.log, r);
  }

  /**
   * Starts a worker in the slot; resolves once it serves. `onLoad` gets its load, sent
   * before it listens, so what it loaded is logged before it answers.
   */
  private fork(slot: Slot, onLoad?: (r: WorkerLoad) => void): Promise<void> {
    // With `triad run -u USER` the workers start as USER, without capabilities: the
    // primary holds the listening sockets (cluster shares them), workers only read zones.
    const runAs = this.opts.runAs;
    cluster.setupPrimary({ exec: WORKER_MODULE, execArgv: workerExecArgv(process.execArgv), args: [this.file], silent: false, ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}) });
    // Workers log at the primary's level (--log-level or TRIAD_LOG_LEVEL).
    const session = sessionKey();
    const w = cluster.fork({ TRIAD_ROLE: 'dns-worker', TRIAD_LOG_LEVEL: this.log.level, [QUERYLOG_ENV]: this.queryLog.on ? '1' : '0', [COOKIE_SECRET_ENV]: cookieSecretEnv(), [RRL_WORKERS_ENV]: String(this.count), ...(session ? { [SESSION_KEY_ENV]: keyToEnv(session) } : {}) });
    slot.worker = w;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const onMessage = (m: FromWorker): void => {
        if (m.type === 'loaded') {
          this.firstNotify ??= m.notify;
          onLoad?.(m);
        }
        else if (m.type === 'ready') {
          ready = true;
          if (this.owner) this.sendNames(w, this.owner.snapshot);
          for (const [name, zone] of this.secondaries.held()) this.sendSecondary(w, name, zone);
          this.sendMembers(w, this.catalogs.members());
          for (const [name, zone] of this.dynamic.held()) void this.sendDynamic(w, name, zone);
          resolve();
        } else if (m.type === 'start-failed') reject(new Error(m.error));
        else if (m.type === 'notify') this.secondaries.notify(m.zone, m.from, m.accepted, m.serial);
        else if (m.type === 'querylog-lines') this.queryLog.write(m.entries);
        else if (m.type === 'update') {
          // Decided here; the new version reaches every worker before the answer goes back.
          void this.dynamic.update(m.req).then((rcode) => {
            if (w.isConnected()) w.send({ type: 'update-reply', id: m.id, rcode } satisfies ToWorker);
          });
        }
      };
      w.on('message', onMessage);
      w.on('error', (err) => this.log.error({ err: err.message, worker: w.process.pid }, 'dns worker IPC error'));
      w.on('exit', (code, signal) => {
        if (!ready) {
          reject(new Error(`dns worker exited during start (code ${String(code)}, signal ${String(signal)})`));
          return;
        }
        if (this.stopping || slot.worker !== w) return;
        slot.worker = undefined;
        slot.restarts++;
        const delay = Math.min(30_000, 250 * 2 ** Math.min(slot.restarts, 7));
        this.log.error({ worker: w.process.pid, code, signal, restartInMs: delay }, 'dns worker died; restarting it');
        // No worker left: nothing answers until one is back (VRRP's track_service follows this).
        if (this.slots.every((s) => !s.worker)) this.opts.health?.setFault('dns', 'every DNS worker died; restarting them');
        setTimeout(() => {
          if (this.stopping) return;
          this.fork(slot).then(
            () => {
              slot.restarts = 0;
              this.opts.health?.setFault('dns', undefined);
            },
            (err: unknown) => this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'dns worker restart failed'),
          );
        }, delay).unref();
      });
    });
  }

  private queue: Promise<unknown> = Promise.resolve();

  /** SIGHUPs in quick succession reload one after another, never interleaved. */
  reload(): Promise<void> {
    const run = this.queue.then(async () => {
      await this.reloadNow();
      // The workers accepted named.conf: the secondaries follow it (new, removed, new primaries).
      const sink = new DiagnosticSink();
      const conf = loadNamedConfOnly(this.file, sink);
      if (sink.hasErrors()) return;
      this.namedConf = conf;
      this.queryLog.configure(conf);
      this.catalogs.configure(conf);
      this.dynamic.configure(conf, matchEnvironment(conf, hostNetworks()));
      await this.statistics.reloaded(conf);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * The first worker reloads first and so validates the files: if it fails, the
   * error (file:line:col) is thrown and no other worker is touched. The primary
   * never parses zones on reload, so DHCP and the load balancer beside it are not
   * held up. The other workers then reload one at a time.
   */
  private async reloadNow(): Promise<void> {
    const live = this.slots.map((s) => s.worker).filter((w): w is Worker => w !== undefined && w.isConnected());
    if (live.length === 0) {
      // No worker to ask (all restarting): check named.conf here so the caller still learns of
      // its errors; the zone files are read by the workers as they come back, not here.
      const sink = new DiagnosticSink();
      loadNamedConfOnly(this.file, sink);
      sink.throwIfErrors();
      for (const w of sink.items) this.log.warn(formatDiagnostic(w));
      return;
    }
    const failures: string[] = [];
    let notify: NotifyZoneInfo[] | undefined;
    for (let i = 0; i < live.length; i++) {
      const w = live[i];
      const r = await this.reloadWorker(w);
      if (r.type === 'reloaded') {
        // The first worker accepted the files.
        if (i === 0) {
          this.adopt(r);
          notify = r.notify;
        }
        continue;
      }
      if (i === 0) throw new Error(r.error);
      failures.push(`worker ${w.process.pid ?? '?'}: ${r.error}`);
    }
    // NOTIFY after every worker reloaded, so a secondary asking at once finds the new serial.
    if (notify) this.notifier.loaded(notify, false);
    if (failures.length > 0) throw new Error(`reload failed in ${failures.length} worker(s); they keep their old data: ${failures.join('; ')}`);
  }

  private reloadWorker(w: Worker): Promise<Extract<FromWorker, { type: 'reloaded' }> | { type: 'reload-failed'; error: string }> {
    const id = ++this.reloadSeq;
    return new Promise((resolve) => {
      const onMessage = (m: FromWorker): void => {
        if ((m.type === 'reloaded' || m.type === 'reload-failed') && m.id === id) {
          w.off('message', onMessage);
          w.off('exit', onExit);
          resolve(m);
        }
      };
      const onExit = (): void => {
        w.off('message', onMessage);
        resolve({ type: 'reload-failed', error: 'the worker exited during the reload' });
      };
      w.on('message', onMessage);
      w.once('exit', onExit);
      const msg: ToWorker = { type: 'reload', id };
      w.send(msg);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.statistics.stop();
    this.owner?.stop();
    this.secondaries.stop();
    this.notifier.stop();
    this.catalogs.stop();
    await this.dynamic.stop();
    removePidFile(this.pidFile);
    await this.closeControl?.();
    await Promise.all(
      this.slots.map(async (slot) => {
        const w = slot.worker;
        if (!w || w.isDead()) return;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            w.process.kill('SIGKILL');
            resolve();
          }, STOP_GRACE_MS);
          w.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          try {
            const msg: ToWorker = { type: 'stop' };
            w.send(msg);
          } catch {
            w.process.kill('SIGTERM');
          }
        });
      }),
    );
    // The workers' last lines arrived before they exited.
    this.queryLog.stop();
  }
}

/** `triad ctl dns stats` also says whether the query log is on (rndc status: "query logging is ON"). */
function withQueryLogState(r: ControlReply, on: boolean): ControlReply {
  return { text: `${r.text}query logging: ${on ? 'on' : 'off'}\n`, data: { ...(r.data as object), querylog: on } };
}

/** `triad ctl dns notify ZONE`: as `rndc notify`, the zone's NOTIFYs go out again. */
function notifyCommand(notifier: NotifySender, args: string[]): ControlReply {
  if (!args[0]) throw new ControlUsageError('usage: triad ctl dns notify ZONE');
  const info = notifier.again(args[0]);
  if (!info) throw new ControlUsageError(`no primary zone '${args[0]}' is served`);
  const to = info.targets.map((t) => `${t.address}#${t.port}`);
  return { text: to.length ? `zone notify queued (serial ${info.serial}): ${to.join(', ')}\n` : `zone ${args[0]} has nobody to notify (notify no, or no secondaries)\n`, data: { zone: info.zone, serial: info.serial, targets: to } };
}

/**
 * Zone facts after a reload: a zone that failed to load keeps serving its old
 * data in the workers, so the DHCP names are still judged against its old facts.
 */
export function keepFailedFacts(fresh: ZoneFacts[], old: readonly ZoneFacts[], failed: readonly FailedZone[]): ZoneFacts[] {
  const norm = (n: string): string => (n === '.' ? '.' : `${n.toLowerCase().replace(/\.$/, '')}.`);
  const failedNames = new Set(failed.map((f) => norm(f.name)));
  const have = new Set(fresh.map((f) => f.name));
  return [...fresh, ...old.filter((f) => failedNames.has(f.name) && !have.has(f.name))];
}

/**
 * Sends `msg` to a worker and resolves when the worker answers with a message that
 * `answered` accepts, when it exits, or after `timeoutMs` (never rejects: the caller
 * goes on without that worker's word).
 */
function sendAndAwait(w: Worker, msg: ToWorker, answered: (m: FromWorker) => boolean, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('exit', done);
      resolve();
    };
    const onMessage = (m: FromWorker): void => {
      if (answered(m)) done();
    };
    const timer = setTimeout(done, timeoutMs);
    w.on('message', onMessage);
    w.once('exit', done);
    w.send(msg);
  });
}

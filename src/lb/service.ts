// The load-balancer service of `triad run`: keepalived.conf → health checks →
// desired state → nftables, re-applied as one transaction on every change.
// SIGHUP swaps the configuration by diff (flow maps, persistence sets, counters
// and conntrack are kept), so established connections survive a reload.

import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DiagnosticSink, formatDiagnostic } from '../config/diagnostics.js';
import { loadKeepalivedConf, type KeepalivedConfig, type VirtualServerConfig } from '../config/keepalived-conf.js';
import { ControlUsageError, controlSocketPath, registerServiceControl, type ControlReply } from '../control/server.js';
import type { Logger } from '../log.js';
import { bodyString, servicePanel, type RunOptions, type Service } from '../service.js';
import { checkKeepalivedConf, lbConfPath } from './config-check.js';
import type { Datapath } from './datapath.js';
import { checkKey, HealthMonitor, type CheckSpec } from './health.js';
import { addVip, delVip, SysctlChanges, gratuitousArp, hostAddressesFrom, interfaceFor, macText, resolveMac } from './host.js';
import { linkWatcher, readiness, usable, type LinkTable, type LinkWatcher } from '../net/link-watch.js';
import { ipNumber } from '../wire/ipv4.js';
import { computeModel, drainKey, type ModelOutput, type VsPlacement } from './model.js';
import { NftEngine } from './nft-engine.js';
import { LB_CONTROL, lbDatapath, lbTimeouts } from './definition.js';
import { SplitDatapath } from './datapath-select.js';
import { PacketEngine } from './packet-engine.js';
import { formatStatus } from './status.js';
import { SyncDaemon } from './sync-daemon.js';
import { ScriptPolicy } from '../fs/script-security.js';
import { probe } from './probes.js';
import { ConntrackdRunner } from './conntrackd.js';
import { LbMetrics } from './metrics.js';

export async function createLbService(opts: RunOptions): Promise<Service | undefined> {
  const file = lbConfPath(opts);
  if (!file) return undefined;
  // A keepalived.conf with VRRP instances and no virtual server configures VRRP only.
  const probe = loadKeepalivedConf(file, new DiagnosticSink());
  if (probe.virtualServers.length === 0 && probe.vrrp.instances.length > 0) return undefined;
  const log = opts.log.child({ service: 'lb' });
  const timeouts = lbTimeouts(opts);
  const engine = new SplitDatapath({ nft: () => new NftEngine(log), packet: () => new PacketEngine(log, { timeouts }) });
  return new LbService(file, opts, engine, lbDatapath(opts));
}

/** The addresses keepalived.conf's vrrp_instance blocks move between boxes. */
function vrrpAddresses(conf: KeepalivedConfig): Set<string> {
  return new Set(conf.vrrp.instances.flatMap((i) => [...i.vips, ...i.vipsExcluded].map((v) => v.ip)));
}

function load(file: string, log: Logger, datapath?: string): KeepalivedConfig {
  const { conf, sink } = checkKeepalivedConf(file, datapath);
  for (const w of sink.warnings) log.warn(formatDiagnostic(w));
  sink.throwIfErrors();
  return conf;
}

export class LbService implements Service {
  readonly name = 'lb';
  private conf!: KeepalivedConfig;
  /** MISC_CHECK scripts: who they run as, which may run (global_defs script_user, enable_script_security). */
  private scripts?: ScriptPolicy;
  private readonly log: Logger;
  private readonly monitor: HealthMonitor;
  private drains = new Set<string>();
  private quorumUp = new Map<string, boolean>();
  private placements = new Map<string, VsPlacement | undefined>();
  private macs = new Map<string, string>();
  private addedVips = new Set<string>();
  /** ip_forward turned on for NAT, put back at stop. */
  private sysctls!: SysctlChanges;
  private model?: ModelOutput;
  private updating?: Promise<void>;
  private dirty = false;
  private macTimer?: NodeJS.Timeout;
  private stopped = false;
  private applyFailed = false;
  /** Set once start() changes the host: a start that failed before that has nothing to undo. */
  private touched = false;
  private readonly drainFile: string;
  private links?: LinkWatcher;
  private unwatch?: () => Promise<void>;
  private hostQueue: Promise<void> = Promise.resolve();
  /** VIPs announced by gratuitous ARP since their link last came up. */
  private announced = new Set<string>();
  /** Interfaces waited for, with the reason logged. */
  private linkWaits = new Map<string, string>();
  /** ifindex of each placed interface, to notice a link deleted and created again. */
  private placedIndex = new Map<string, number>();
  /** The interface each virtual server was last placed on. */
  private lastIface = new Map<string, string>();
  private closeControl?: () => Promise<void>;
  /** lvs_sync_daemon: the packet engine's connection sync. */
  private sync?: SyncDaemon;
  /** lvs_sync_daemon with nft NAT virtual servers: conntrackd replicates conntrack. */
  private conntrackd?: ConntrackdRunner;
  private conntrackdWanted = '';

  constructor(
    readonly file: string,
    private readonly opts: RunOptions,
    private readonly engine: Datapath,
    private readonly datapath?: string,
  ) {
    this.log = opts.log.child({ service: 'lb' });
    this.sysctls = new SysctlChanges(this.log);
    this.drainFile = path.join(opts.dataDir, 'lb-drains.json');
    this.monitor = new HealthMonitor(
      (_key, target, st) => {
        this.log.info({ rs: `${target.ip}:${target.port}`, up: st.up, detail: st.detail, weight: st.weight }, st.up ? 'real server UP' : 'real server DOWN');
        // A server coming back may be another machine: learn its MAC again (the health
        // check's own traffic has just refreshed the kernel's neighbour entry).
        if (st.up) void this.refreshMacs(true, target.ip).catch((e: Error) => this.log.error({ err: e.message }, 'MAC refresh failed'));
        // A failed transaction leaves the kernel as it was; the next change or housekeeping retries.
        this.update().catch((e: Error) => this.log.error({ err: e.message }, 'applying the health change failed'));
      },
      (c, t) => probe(c, t, this.scripts),
    );
  }

  async start(): Promise<void> {
    this.conf = load(this.file, this.log, this.datapath);
    this.scripts = ScriptPolicy.from(this.conf.vrrp.globals.scriptUser, this.conf.vrrp.globals.enableScriptSecurity, this.log);
    if (typeof process.getuid === 'function' && process.getuid() !== 0) {
      throw new Error(`the load balancer needs root (CAP_NET_ADMIN, and CAP_NET_RAW for the packet engine) to program nftables, VIPs or packet sockets; ${this.file} is present, so run as root or remove it`);
    }
    this.touched = true;
    await this.engine.reset();
    try {
      this.drains = new Set(JSON.parse(await readFile(this.drainFile, 'utf8')) as string[]);
      if (this.drains.size) this.log.info({ drains: [...this.drains] }, 'drains restored');
    } catch {
      // no saved drains
    }
    // Links are followed through netlink: virtual servers wait for their interfaces and
    // follow them down and up without a restart.
    const watcher = linkWatcher();
    this.unwatch = await watcher.subscribe((table) => this.onLinks(table), this.log);
    this.links = watcher;
    await this.setupHost();
    this.rememberIndexes();
    this.monitor.sync(this.checkSpecs());
    await this.update();
    await this.startSyncLogged();
    this.closeControl = await registerServiceControl(controlSocketPath(this.opts.dataDir, this.opts.flags['control-socket']), 'lb', LB_CONTROL, (cmd, a) => this.control([cmd, ...a]));
    const metrics = new LbMetrics();
    this.removeCollector = this.opts.metrics?.collector('lb', async () => {
      if (!this.model) return [];
      return metrics.collect(this.model.views, await this.engine.counters(this.model.state), Date.now());
    });
    // The dashboard: virtual and real servers; drain and undrain as `triad ctl lb` does them.
    const rsArgs = (b: Record<string, unknown>): string[] => [bodyString(b, 'vs'), bodyString(b, 'rs')];
    this.removePanel = servicePanel(this.opts.metrics, 'lb', (cmd, a) => this.control([cmd, ...a]), { reads: { status: ['show'] }, actions: { drain: rsArgs, undrain: rsArgs } });
    this.macTimer = setInterval(() => void this.housekeeping(), 2000);
    this.log.info({ file: this.file, virtualServers: this.conf.virtualServers.map((v) => `${v.key} ${v.kind} ${v.algo}`), engine: this.engine.name }, 'load balancer running');
  }

  async reload(): Promise<void> {
    const next = load(this.file, this.log, this.datapath);
    // A script_user that does not exist fails here, before anything changes.
    const scripts = ScriptPolicy.from(next.vrrp.globals.scriptUser, next.vrrp.globals.enableScriptSecurity, this.log);
    const old = this.conf;
    const oldScripts = this.scripts;
    this.conf = next;
    this.scripts = scripts;
    try {
      await this.setupHost(old);
      this.monitor.sync(this.checkSpecs());
      await this.update();
      await this.startSyncLogged();
    } catch (e) {
      this.conf = old;
      this.scripts = oldScripts;
      await this.setupHost(next).catch(() => undefined);
      this.monitor.sync(this.checkSpecs());
      await this.update().catch(() => undefined);
      throw e;
    }
    this.log.info({ virtualServers: next.virtualServers.length }, 'keepalived.conf reloaded');
  }

  /** The statistics channel's collector (ipvsadm's --stats and --rate as Prometheus families). */
  private removeCollector: (() => void) | undefined;
  private removePanel: (() => void) | undefined;

  async stop(): Promise<void> {
    this.stopped = true;
    this.removeCollector?.();
    this.removePanel?.();
    // A keepalived.conf with errors never got this far: there is nothing to undo in nftables.
    if (!this.touched) return;
    if (this.macTimer) clearInterval(this.macTimer);
    this.monitor.stop();
    await this.unwatch?.();
    await this.hostQueue;
    await this.updating?.catch(() => undefined);
    await this.sync?.stop().catch((e: Error) => this.log.error({ err: e.message }, 'stopping connection sync failed'));
    await this.conntrackd?.stop().catch((e: Error) => this.log.error({ err: e.message }, 'stopping conntrackd failed'));
    await this.engine.remove().catch((e: Error) => this.log.error({ err: e.message }, 'removing nft tables failed'));
    for (const k of this.addedVips) {
      const [ip, iface] = k.split('%');
      await delVip(ip, iface);
    }
    this.addedVips.clear();
    await this.sysctls.restore();
    await this.closeControl?.();
    this.log.info('load balancer stopped; nft tables removed');
  }

  /** Connection sync failing to start leaves the load balancer serving; the reason is logged. */
  private async startSyncLogged(): Promise<void> {
    await this.startSync().catch((e: Error) => this.log.error({ err: e.message }, 'connection sync is not running; established connections will not survive a failover'));
  }

  /** (Re)starts connection sync when lvs_sync_daemon is configured and changed; the packet engine's table is what it syncs. */
  private async startSync(): Promise<void> {
    await this.startConntrackd();
    const sd = this.conf.syncDaemon;
    if (sd && !this.conf.virtualServers.some((v) => v.datapath === 'packet')) return;
    const inst = sd && this.conf.vrrp.instances.find((i) => i.name === sd.instance);
    const secret = sd?.key ?? inst?.authPass;
    const vips = inst ? [...inst.vips, ...inst.vipsExcluded].map((v) => v.ip) : [];
    const want = sd && inst && secret !== undefined ? JSON.stringify({ ...sd, pos: undefined, secret, vips }) : '';
    if (this.sync && want === this.syncWanted) return;
    await this.sync?.stop();
    this.sync = undefined;
    this.syncWanted = '';
    if (!sd || !want) return;
    const pe = this.engine instanceof SplitDatapath ? this.engine.engine('packet') : this.engine;
    if (!(pe instanceof PacketEngine)) {
      this.log.warn('lvs_sync_daemon: no virtual server uses the packet engine, so there are no connections to sync');
      return;
    }
    const d = new SyncDaemon(this.log, sd, Buffer.from(secret!, 'utf8'), vips, pe.path);
    await d.start();
    this.sync = d;
    this.syncWanted = want;
  }

  private syncWanted = '';

  /** conntrackd for the nft engine's NAT virtual servers (conntrack is their connection table). */
  private async startConntrackd(): Promise<void> {
    const sd = this.conf.syncDaemon;
    const inst = sd && this.conf.vrrp.instances.find((i) => i.name === sd.instance);
    const nat = this.conf.virtualServers.some((v) => v.datapath !== 'packet' && v.kind === 'NAT');
    const vips = inst ? [...inst.vips, ...inst.vipsExcluded].map((v) => v.ip) : [];
    const want = sd && inst && nat ? JSON.stringify({ ...sd, pos: undefined, key: undefined, vips }) : '';
    if (want === this.conntrackdWanted) return;
    await this.conntrackd?.stop();
    this.conntrackd = undefined;
    this.conntrackdWanted = '';
    if (!want || !sd) return;
    const r = new ConntrackdRunner(this.log, sd, vips, path.join(this.opts.dataDir, 'conntrackd'), [...vrrpAddresses(this.conf)]);
    await r.start();
    this.conntrackd = r;
    this.conntrackdWanted = want;
  }

  private checkSpecs(): CheckSpec[] {
    const out: CheckSpec[] = [];
    for (const vs of this.conf.virtualServers) for (const rs of vs.realServers) for (const c of rs.checks) out.push({ target: { ip: rs.ip, port: rs.port }, check: c, startDown: vs.alpha });
    return out;
  }

  /** Interfaces, VIPs on them, MACs, sysctls; `previous` lets a reload remove VIPs no longer used. Serialised. */
  private setupHost(previous?: KeepalivedConfig): Promise<void> {
    const run = this.hostQueue.then(() => this.setupHostNow(previous));
    this.hostQueue = run.catch(() => undefined);
    return run;
  }

  private async setupHostNow(previous?: KeepalivedConfig): Promise<void> {
    const table = this.links!.table;
    const addrs = hostAddressesFrom(table);
    const before = new Map(this.placements);
    this.placements.clear();
    const wanted = new Set<string>();
    const used = new Set<string>();
    const keep = new Set<string>();
    for (const vs of this.conf.virtualServers) {
      let iface = vs.iface ?? interfaceFor(vs.vip, addrs);
      const last = this.lastIface.get(vs.key);
      // The link it lived on is gone (deleted, or moved away): wait for that link to come back.
      if (!iface && last && !table.byName(last)) iface = last;
      if (!iface) {
        const known = before.has(vs.key);
        this.placements.set(vs.key, undefined);
        if (!known) this.log.error({ vs: vs.key }, 'no interface has a connected subnet holding the VIP; set triad_interface in the virtual_server (waiting for one)');
        continue;
      }
      used.add(iface);
      const link = table.byName(iface);
      if (!link) {
        // Not there (yet): wait for it, placed when it appears; its VIP is added again then.
        this.placements.set(vs.key, undefined);
        keep.add(`${vs.vip}%${iface}`);
        continue;
      }
      this.placements.set(vs.key, { iface, lbMac: macText(link.mac) });
      this.lastIface.set(vs.key, iface);
      // The packet engine never puts the VIP on an interface: it answers ARP itself. A VIP
      // that is a VRRP address is VRRP's to add and remove (master only), so the virtual
      // server receives traffic only where VRRP is master.
      if (vs.datapath !== 'packet' && !vrrpAddresses(this.conf).has(vs.vip)) wanted.add(`${vs.vip}%${iface}`);
    }
    this.noteLinks(used);
    if (this.conf.virtualServers.some((v) => v.kind === 'NAT' && v.datapath !== 'packet')) await this.sysctls.set('net.ipv4.ip_forward', '1');
    for (const k of wanted) {
      const [ip, iface] = k.split('%');
      const link = table.byName(iface);
      if (!link) continue;
      if (!link.addresses.some((a) => a.ip === ipNumber(ip))) {
        // Not there: never added, or the link was deleted and created again.
        try {
          await addVip(ip, iface);
        } catch (e) {
          this.log.error({ vip: ip, iface, err: (e as Error).message }, 'adding the VIP failed; retried on the next link change');
          continue;
        }
        this.addedVips.add(k);
        this.announced.delete(k);
        this.log.info({ vip: ip, iface }, 'VIP added');
      }
      // Gratuitous ARP only goes out on a running link; it is sent again each time the link comes up.
      if (!usable(link)) this.announced.delete(k);
      else if (!this.announced.has(k)) {
        this.announced.add(k);
        void gratuitousArp(ip, iface, this.log);
      }
    }
    if (previous) {
      for (const k of [...this.addedVips]) {
        if (wanted.has(k) || keep.has(k)) continue;
        const [ip, iface] = k.split('%');
        await delVip(ip, iface);
        this.addedVips.delete(k);
        this.announced.delete(k);
        this.log.info({ vip: ip, iface }, 'VIP removed');
      }
    }
    await this.refreshMacs(false);
  }

  /** Logs, once per change, the interfaces virtual servers wait for and why. */
  private noteLinks(used: ReadonlySet<string>): void {
    const table = this.links!.table;
    for (const iface of used) {
      const r = readiness(table, iface);
      const prev = this.linkWaits.get(iface);
      if (r.ok) {
        if (prev) this.log.info({ iface }, `interface ${iface} is ready now`);
        this.linkWaits.delete(iface);
      } else if (prev !== r.reason) {
        this.linkWaits.set(iface, r.reason);
        this.log.warn({ iface, reason: r.reason }, `waiting for interface ${iface}: ${r.reason}`);
      }
    }
    for (const iface of [...this.linkWaits.keys()]) if (!used.has(iface)) this.linkWaits.delete(iface);
  }

  /** A link changed (netlink): place, add VIPs, announce; a re-created DR link gets its chains again. */
  private onLinks(table: LinkTable): void {
    if (this.stopped) return;
    let rebuild = false;
    for (const vs of this.conf.virtualServers) {
      const p = this.placements.get(vs.key);
      if (!p || vs.kind !== 'DR' || vs.datapath === 'packet') continue;
      const idx = table.byName(p.iface)?.index;
      const was = this.placedIndex.get(p.iface);
      if (was !== undefined && idx !== undefined && idx !== was) rebuild = true;
    }
    void (async () => {
      await this.setupHost(this.conf);
      if (rebuild) {
        // The ingress chain of a deleted device is gone or detached on older kernels: reinstall.
        this.log.warn('an interface of a DR virtual server was created again: reinstalling the nftables rules');
        await this.engine.reset();
      }
      this.rememberIndexes();
      await this.update();
    })().catch((e: Error) => this.log.error({ err: e.message }, 'following the link change failed'));
  }

  private rememberIndexes(): void {
    const table = this.links!.table;
    this.placedIndex.clear();
    for (const p of this.placements.values()) {
      const idx = p ? table.byName(p.iface)?.index : undefined;
      if (p && idx !== undefined) this.placedIndex.set(p.iface, idx);
    }
  }

  /** Retries what was not ready at start: an interface without carrier yet, unresolved MACs. */
  private async housekeeping(): Promise<void> {
    if (this.stopped) return;
    try {
      if ([...this.placements.values()].some((p) => p === undefined)) {
        await this.setupHost(this.conf);
        if ([...this.placements.values()].every((p) => p !== undefined)) this.log.info('every virtual server has its interface now');
        await this.update();
      } else {
        await this.refreshMacs();
        if (this.applyFailed) await this.update();
      }
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'load balancer housekeeping failed');
    }
  }

  /** DR needs each real server's MAC; missing ones are retried in the background. */
  private async refreshMacs(updateOnChange = true, force?: string): Promise<void> {
    let changed = false;
    const want: Array<[string, string]> = [];
    for (const vs of this.conf.virtualServers) {
      const p = this.placements.get(vs.key);
      if (vs.kind !== 'DR' || !p) continue;
      for (const rs of vs.realServers) want.push([rs.ip, p.iface]);
      if (vs.sorryServer) want.push([vs.sorryServer.ip, p.iface]);
    }
    await Promise.all(
      want.map(async ([ip, iface]) => {
        const k = `${ip}%${iface}`;
        if (this.macs.has(k) && ip !== force) return;
        const mac = await resolveMac(ip, iface);
        if (mac && mac !== this.macs.get(k)) {
          this.macs.set(k, mac);
          changed = true;
          this.log.info({ rs: ip, iface, mac }, 'real server MAC resolved');
        }
      }),
    );
    if (changed && updateOnChange && !this.stopped) await this.update();
  }

  private compute(): ModelOutput {
    return computeModel({
      conf: this.conf,
      placement: (vs: VirtualServerConfig) => this.placements.get(vs.key),
      macOf: (ip, iface) => this.macs.get(`${ip}%${iface}`),
      checkState: (rs, i) => this.monitor.state(checkKey({ ip: rs.ip, port: rs.port }, rs.checks[i])),
      drains: this.drains,
      quorumUp: this.quorumUp,
    });
  }

  /** Recomputes and applies; concurrent triggers coalesce into one more pass. */
  private update(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.updating) {
      this.dirty = true;
      return this.updating;
    }
    this.updating = (async () => {
      do {
        this.dirty = false;
        const m = this.compute();
        for (const [k, up] of m.quorumUp) {
          const prev = this.quorumUp.get(k);
          if (prev !== undefined && prev !== up) this.log.warn({ vs: k }, up ? 'quorum regained' : 'quorum lost');
        }
        this.quorumUp = m.quorumUp;
        try {
          await this.engine.apply(m.state);
          this.applyFailed = false;
        } catch (e) {
          this.applyFailed = true;
          throw e;
        }
        this.model = m;
      } while (this.dirty && !this.stopped);
    })().finally(() => (this.updating = undefined));
    return this.updating;
  }

  private async saveDrains(): Promise<void> {
    await mkdir(path.dirname(this.drainFile), { recursive: true });
    await writeFile(this.drainFile, JSON.stringify([...this.drains]));
  }

  private findEndpoint(vsText: string, rsText: string): Array<{ vs: VirtualServerConfig; ip: string; port: number }> {
    const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)(?:\/(tcp|udp))?$/i.exec(vsText);
    const r = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(rsText);
    if (!m || !r) throw new ControlUsageError('usage: drain|undrain VIP:PORT[/tcp|udp] RIP:PORT');
    const out = [];
    for (const vs of this.conf.virtualServers) {
      if (vs.vip !== m[1] || vs.port !== Number(m[2]) || (m[3] && vs.protocol !== m[3].toUpperCase())) continue;
      const rs = vs.realServers.find((x) => x.ip === r[1] && x.port === Number(r[2]));
      if (rs) out.push({ vs, ip: rs.ip, port: rs.port });
    }
    if (!out.length) throw new ControlUsageError(`no real server ${rsText} in virtual server ${vsText}`);
    return out;
  }

  private async control(args: string[]): Promise<ControlReply> {
    const [cmd, ...rest] = args;
    if (cmd === undefined || cmd === 'show' || cmd === 'status' || cmd === 'list') {
      if (!this.model) throw new Error('not running yet');
      const counters = await this.engine.counters(this.model.state);
      const data = this.model.views.map((v) => ({
        ...v,
        servers: [...v.servers, ...(v.sorry ? [{ ...v.sorry, sorry: true }] : [])].map((s) => ({ ...s, counters: counters.get(`${v.id}/${s.id}`) })),
      }));
      return { text: formatStatus(data, this.engine.name), data };
    }
    if (cmd === 'drain' || cmd === 'undrain') {
      if (rest.length !== 2) throw new ControlUsageError(`usage: ${cmd} VIP:PORT RIP:PORT`);
      const eps = this.findEndpoint(rest[0], rest[1]);
      for (const e of eps) {
        const k = drainKey(e.vs.key, e.ip, e.port);
        if (cmd === 'drain') this.drains.add(k);
        else this.drains.delete(k);
      }
      await this.saveDrains();
      await this.update();
      this.log.info({ vs: rest[0], rs: rest[1] }, cmd === 'drain' ? 'real server drained (weight 0, established flows kept)' : 'drain lifted');
      return { text: `${cmd === 'drain' ? 'draining' : 'undrained'} ${rest[1]} in ${eps.map((e) => e.vs.key).join(', ')}\n`, data: eps.map((e) => e.vs.key) };
    }
    if (cmd === 'sync') {
      if (!this.sync) {
        const ct = this.conntrackd ? '; conntrackd replicates the nftables engine\'s NAT connections' : '';
        return { text: `the packet engine's connection sync is not running (no lvs_sync_daemon, or no packet-engine virtual server)${ct}\n`, data: null };
      }
      const st = this.sync.stats;
      const drops = Object.entries(st.drops).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
      return { text: `connection sync: ${st.role}; sent ${st.sent} datagrams (${st.sentEntries} entries), received ${st.received}, installed ${st.installed}, removed ${st.removed}, queue overflow ${st.queueDropped}; dropped: ${drops}\n`, data: st };
    }
    throw new ControlUsageError(`unknown lb command '${cmd}' (show, drain, undrain, sync)`);
  }
}

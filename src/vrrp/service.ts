// The VRRP service of `triad run`: keepalived.conf's vrrp_instance blocks → one state
// machine (machine.ts) per instance, one raw socket of protocol 112 per interface
// (net/raw-ip.ts), virtual addresses added and removed with `ip addr` and announced by
// gratuitous ARP (net/vip.ts), notify scripts run with keepalived's arguments, tracked
// interfaces and vrrp_scripts adjusting the priority or faulting the instance.

import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { formatDiagnostic, DiagnosticSink } from '../config/diagnostics.js';
import { loadKeepalivedConf } from '../config/keepalived-conf.js';
import type { VrrpConfig, VrrpInstanceConfig, VrrpNotifyKind, VrrpScriptConfig } from '../config/keepalived-vrrp.js';
import { controlSocketPath, registerServiceControl, type ControlReply } from '../control/server.js';
import { findLink } from '../net/link.js';
import { openRawIp, type RawIpSocket } from '../net/raw-ip.js';
import { openRawIp6, type Datagram6, type RawIp6Socket } from '../net/raw-ip6.js';
import { announceVips6, bigint6, formatIp6, ip6Bytes, vrrpSource6 } from './ipv6.js';
import { addVip, delVip, gratuitousArp } from '../net/vip.js';
import type { Logger } from '../log.js';
import { servicePanel, type MetricFamily, type RunOptions, type Service } from '../service.js';
import { formatIPv4, ipNumber } from '../wire/ipv4.js';
import { VRRP_CONTROL, vrrpConfPath } from './definition.js';
import { VrrpMachine, type Action, type VrrpState } from './machine.js';
import { resolveScriptUser, ScriptPolicy } from '../fs/script-security.js';
import { decodeAdvert, decodeAdvert6, encodeAdvert, encodeAdvert6, IPPROTO_VRRP, VRRP_GROUP, VRRP_GROUP6, VRRP_TTL, type DropReason } from './packet.js';

export async function createVrrpService(opts: RunOptions): Promise<Service | undefined> {
  const file = vrrpConfPath(opts);
  return file ? new VrrpService(file, opts) : undefined;
}

function load(file: string, log: Logger): VrrpConfig {
  const sink = new DiagnosticSink();
  const conf = loadKeepalivedConf(file, sink);
  for (const w of sink.warnings) log.warn(formatDiagnostic(w));
  sink.throwIfErrors();
  return conf.vrrp;
}

const STATE_WORD: Record<VrrpState, string> = { init: 'INIT', backup: 'BACKUP', master: 'MASTER', fault: 'FAULT' };

interface Transition {
  at: string;
  from: VrrpState;
  to: VrrpState;
  why: string;
}

class Instance {
  readonly machine: VrrpMachine;
  sent = 0;
  received = 0;
  history: Transition[] = [];
  timer?: NodeJS.Timeout;
  holdsVips = false;

  constructor(
    readonly cfg: VrrpInstanceConfig,
    /** IPv4: the address as a number; IPv6: as a bigint (the election's tie-breaker). */
    public primary: number | bigint,
  ) {
    this.machine = new VrrpMachine({
      priority: cfg.priority,
      interval: Math.round(cfg.advertInt * 100),
      preempt: !cfg.nopreempt,
      preemptDelay: cfg.preemptDelay * 1000,
      primary,
    });
  }
}

interface Iface {
  name: string;
  index: number;
  family: 4 | 6;
  /** IPv6: the source the socket is bound to (the interface's link-local address or unicast_src_ip). */
  src6?: Buffer;
  sock: RawIpSocket | RawIp6Socket;
  byVrid: Map<number, Instance>;
  drops: Partial<Record<DropReason | 'bad-source', number>>;
}

/** IPv4 and IPv6 instances on one interface have a socket (and VRID space) each, as in keepalived. */
const ifaceKey = (c: VrrpInstanceConfig): string => (c.family === 6 ? `${c.iface}%6` : c.iface);
const showAddress = (a: number | bigint): string => (typeof a === 'bigint' ? formatIp6(a) : formatIPv4(a));

interface ScriptState {
  cfg: VrrpScriptConfig;
  ok: boolean;
  streak: number;
  timer?: NodeJS.Timeout;
  running: boolean;
}

const now = (): number => performance.now();

export class VrrpService implements Service {
  readonly name = 'vrrp';
  private readonly log: Logger;
  private conf!: VrrpConfig;
  private ifaces = new Map<string, Iface>();
  private instances: Instance[] = [];
  private scripts = new Map<string, ScriptState>();
  private trackTimer?: NodeJS.Timeout;
  private unwatchHealth?: () => void;
  private closeControl?: () => Promise<void>;
  private queue: Promise<void> = Promise.resolve();
  /** vrrp_sync_group members by instance name: the other members of its group. */
  private groupOf = new Map<string, Instance[]>();
  /** vrrp_sync_group members by instance name, running or not. */
  private groupNames = new Map<string, string[]>();
  /** Instances whose interface is missing (or has no address): in FAULT until it is usable. */
  private waiting = new Map<string, { cfg: VrrpInstanceConfig; reason: string; since: string }>();
  /** Who notify and vrrp_script scripts run as (script_user), and the verdict on each script. */
  /** Who scripts run as and which may run (script_user, enable_script_security). */
  private scripts_?: ScriptPolicy;

  constructor(
    readonly file: string,
    private readonly opts: RunOptions,
  ) {
    this.log = opts.log.child({ service: 'vrrp' });
  }

  async start(): Promise<void> {
    this.conf = load(this.file, this.log);
    if (typeof process.getuid === 'function' && process.getuid() !== 0) {
      throw new Error(`VRRP needs root (CAP_NET_RAW for its raw socket, CAP_NET_ADMIN for the virtual addresses); ${this.file} has vrrp_instance blocks, so run as root or remove them`);
    }
    await this.startInstances();
    this.closeControl = await registerServiceControl(controlSocketPath(this.opts.dataDir, this.opts.flags['control-socket']), 'vrrp', VRRP_CONTROL, async () => this.show());
    this.removeCollector = this.opts.metrics?.collector('vrrp', () => this.metrics());
    this.removePanel = servicePanel(this.opts.metrics, 'vrrp', async () => this.show(), { reads: { status: ['show'] }, actions: {} });
  }

  private removeCollector: (() => void) | undefined;
  private removePanel: (() => void) | undefined;

  /** keepalived's instance state (as keepalived-exporter shows it), priorities and advertisement counts. */
  private metrics(): MetricFamily[] {
    const l = (i: Instance): Record<string, string> => ({ instance: i.cfg.name, interface: i.cfg.iface, vrid: String(i.cfg.vrid) });
    const states = Object.entries(STATE_WORD) as [VrrpState, string][];
    return [
      { name: 'triad_vrrp_state', help: 'VRRP instance state: 1 for the state it is in (INIT, BACKUP, MASTER, FAULT).', type: 'gauge',
        samples: this.instances.flatMap((i) => states.map(([k, w]) => ({ labels: { ...l(i), state: w }, value: i.machine.state === k ? 1 : 0 }))) },
      { name: 'triad_vrrp_priority', help: 'VRRP instance priority in effect (after tracking).', type: 'gauge', samples: this.instances.map((i) => ({ labels: l(i), value: i.machine.effective })) },
      { name: 'triad_vrrp_advertisements_sent_total', help: 'VRRP advertisements sent.', type: 'counter', samples: this.instances.map((i) => ({ labels: l(i), value: i.sent })) },
      { name: 'triad_vrrp_advertisements_received_total', help: 'VRRP advertisements received.', type: 'counter', samples: this.instances.map((i) => ({ labels: l(i), value: i.received })) },
      { name: 'triad_vrrp_transitions_total', help: 'VRRP state changes of the instance.', type: 'counter', samples: this.instances.map((i) => ({ labels: l(i), value: i.machine.transitions })) },
    ];
  }

  private async startInstances(): Promise<void> {
    this.scripts_ = ScriptPolicy.from(this.conf.globals.scriptUser, this.conf.globals.enableScriptSecurity, this.log);
    // Stopped instances stay "not master" for DHCP (it must not answer while they restart).
    this.opts.vrrpRoles?.retain(this.conf.instances.map((c) => c.name));
    for (const c of this.conf.instances) {
      const inst = this.attach(c);
      if (typeof inst === 'string') {
        // keepalived: an instance whose interface is missing waits in FAULT and starts when it appears.
        this.waiting.set(c.name, { cfg: c, reason: inst, since: new Date().toISOString() });
        this.opts.vrrpRoles?.set(c.iface, c.name, 'fault');
        this.log.warn({ instance: c.name, iface: c.iface }, `vrrp_instance ${c.name}: ${inst}; entering FAULT state until it appears`);
        this.notify(c, 'fault', c.priority);
        continue;
      }
      // Addresses left behind by a process that was killed: a backup must not hold them.
      await this.releaseVips(inst, true);
    }
    for (const g of this.conf.syncGroups) {
      for (const m of g.members) this.groupNames.set(m, g.members.filter((x) => x !== m));
    }
    this.linkGroups();
    for (const s of this.conf.scripts) this.startScript(s);
    for (const inst of this.instances) this.begin(inst);
    this.trackTimer = setInterval(() => this.checkTracking(), 1000);
    // track_service: a service that stops serving faults its instances at once, not at the next second.
    if (this.conf.instances.some((c) => c.trackServices.length > 0)) this.unwatchHealth = this.opts.health?.subscribe(() => this.checkTracking());
    this.checkTracking();
  }

  /** The instance on its interface's raw socket, or why it cannot run yet (no such interface, no address). */
  private attach(c: VrrpInstanceConfig): Instance | string {
    const link = findLink(c.iface);
    if (!link) return `interface ${c.iface} does not exist`;
    if (c.family === 6) return this.attach6(c, link.index);
    const vipNums = new Set([...c.vips, ...c.vipsExcluded].filter((v) => !v.ip.includes(':')).map((v) => ipNumber(v.ip)));
    const primary = c.unicastSrcIp ? ipNumber(c.unicastSrcIp) : link.addresses.find((a) => !vipNums.has(a.ip))?.ip;
    if (primary === undefined) return `interface ${c.iface} has no IPv4 address to send advertisements from`;
    let ifc = this.ifaces.get(c.iface);
    if (!ifc) {
      ifc = { name: c.iface, index: link.index, family: 4, sock: this.openSocket(c.iface, link.index), byVrid: new Map(), drops: {} };
      this.ifaces.set(c.iface, ifc);
    }
    const inst = new Instance(c, primary);
    ifc.byVrid.set(c.vrid, inst);
    this.instances.push(inst);
    return inst;
  }

  /** An IPv6 instance: advertisements from the interface's link-local address (or unicast_src_ip), RFC 5798 §5.1.2.1. */
  private attach6(c: VrrpInstanceConfig, index: number): Instance | string {
    const key = ifaceKey(c);
    let ifc = this.ifaces.get(key);
    if (!ifc) {
      const src = vrrpSource6(c);
      if (typeof src === 'string') return src;
      ifc = { name: c.iface, index, family: 6, src6: src, sock: this.openSocket6(c.iface, index, src), byVrid: new Map(), drops: {} };
      this.ifaces.set(key, ifc);
    }
    const inst = new Instance(c, bigint6(ifc.src6 as Buffer));
    ifc.byVrid.set(c.vrid, inst);
    this.instances.push(inst);
    return inst;
  }

  private openSocket6(name: string, index: number, src: Buffer): RawIp6Socket {
    const sock = openRawIp6(IPPROTO_VRRP, name, index, src, [VRRP_GROUP6]);
    const onError = (e: Error): void => void this.log.warn({ iface: name, err: e.message }, 'receiving VRRP packets failed; some may be lost');
    void sock.loop((d) => {
      const ifc = this.ifaces.get(`${name}%6`);
      if (!ifc || ifc.sock !== sock) return;
      try {
        this.receive6(ifc, d);
      } catch (e) {
        onError(e as Error);
      }
    }, onError);
    return sock;
  }

  private openSocket(name: string, index: number): RawIpSocket {
    const sock = openRawIp(IPPROTO_VRRP, name, index, [VRRP_GROUP]);
    const onError = (e: Error): void => void this.log.warn({ iface: name, err: e.message }, 'receiving VRRP packets failed; some may be lost');
    void sock.loop((d) => {
      const ifc = this.ifaces.get(name);
      if (!ifc || ifc.sock !== sock) return;
      try {
        this.receive(ifc, d);
      } catch (e) {
        // A packet must never stop the receive loop.
        onError(e as Error);
      }
    }, onError);
    return sock;
  }

  /** An interface deleted and created again has a new index: the raw socket follows it. */
  private followIndexes(): void {
    for (const ifc of this.ifaces.values()) {
      const index = ifIndex(ifc.name);
      if (index === undefined || index === ifc.index) continue;
      try {
        if (ifc.family === 6) this.resource6(ifc);
        const sock = ifc.family === 6 ? this.openSocket6(ifc.name, index, ifc.src6 as Buffer) : this.openSocket(ifc.name, index);
        const old = ifc.sock;
        ifc.sock = sock;
        ifc.index = index;
        void old.close();
        this.log.info({ iface: ifc.name, index }, 'interface came back with a new index; VRRP socket reopened');
      } catch (e) {
        this.log.warn({ iface: ifc.name, err: (e as Error).message }, 'cannot reopen the VRRP socket; retrying');
      }
    }
  }

  /** A re-created interface has a new MAC and so a new link-local address: advertisements follow it. */
  private resource6(ifc: Iface): void {
    const first = [...ifc.byVrid.values()][0];
    if (!first) return;
    const src = vrrpSource6(first.cfg);
    if (typeof src === 'string') throw new Error(src);
    ifc.src6 = src;
    for (const inst of ifc.byVrid.values()) {
      inst.primary = bigint6(src);
      inst.machine.cfg.primary = inst.primary;
    }
  }

  private begin(inst: Instance): void {
    this.log.info({ instance: inst.cfg.name, vrid: inst.cfg.vrid, iface: inst.cfg.iface, priority: inst.cfg.priority, version: inst.cfg.version, from: showAddress(inst.primary) }, 'vrrp_instance starting');
    this.apply(inst, inst.machine.start(now()));
  }

  /** vrrp_sync_group members by instance, among the instances running. */
  private linkGroups(): void {
    this.groupOf.clear();
    for (const inst of this.instances) {
      const others = this.groupNames.get(inst.cfg.name) ?? [];
      this.groupOf.set(inst.cfg.name, this.instances.filter((i) => others.includes(i.cfg.name)));
    }
  }

  /** Instances waiting for their interface: started as soon as it exists with an address. */
  private retryWaiting(): void {
    let started = false;
    for (const [name, w] of this.waiting) {
      let inst: Instance | string;
      try {
        inst = this.attach(w.cfg);
      } catch (e) {
        inst = (e as Error).message;
      }
      if (typeof inst === 'string') {
        if (inst !== w.reason) {
          w.reason = inst;
          this.log.warn({ instance: name }, `vrrp_instance ${name}: ${inst}; still in FAULT state`);
        }
        continue;
      }
      this.waiting.delete(name);
      started = true;
      this.log.info({ instance: name, iface: w.cfg.iface }, `vrrp_instance ${name}: interface ${w.cfg.iface} is here`);
      // Its history starts with the wait, so `ctl vrrp` shows why it was in FAULT.
      inst.history.push({ at: w.since, from: 'init', to: 'fault', why: w.reason });
      this.queue = this.queue.then(() => this.releaseVips(inst, true)).catch(() => undefined);
      this.begin(inst);
    }
    if (started) this.linkGroups();
  }

  private async stopInstances(): Promise<void> {
    if (this.trackTimer) clearInterval(this.trackTimer);
    this.unwatchHealth?.();
    this.unwatchHealth = undefined;
    for (const s of this.scripts.values()) if (s.timer) clearTimeout(s.timer);
    this.scripts.clear();
    for (const inst of this.instances) {
      if (inst.timer) clearTimeout(inst.timer);
      this.apply(inst, inst.machine.stop());
    }
    await this.queue;
    for (const ifc of this.ifaces.values()) await ifc.sock.close();
    this.ifaces.clear();
    this.instances = [];
    this.groupOf.clear();
    this.groupNames.clear();
    this.waiting.clear();
  }

  async reload(): Promise<void> {
    const next = load(this.file, this.log);
    if (sameConfig(next, this.conf)) {
      this.log.info('keepalived.conf reloaded; VRRP unchanged');
      return;
    }
    // A script_user that does not exist fails here, before the running instances stop.
    resolveScriptUser(next.globals.scriptUser);
    await this.stopInstances();
    this.conf = next;
    await this.startInstances();
    this.log.info({ instances: next.instances.length }, 'keepalived.conf reloaded; VRRP instances restarted');
  }

  async stop(): Promise<void> {
    this.removeCollector?.();
    this.removePanel?.();
    await this.stopInstances();
    await this.closeControl?.();
  }

  // --- packets ------------------------------------------------------------------

  private receive(ifc: Iface, d: Buffer): void {
    const r = decodeAdvert(d, (vrid) => {
      const i = ifc.byVrid.get(vrid);
      return i ? { version: i.cfg.version, authPass: i.cfg.version === 2 ? i.cfg.authPass : undefined, interval: Math.round(i.cfg.advertInt * 100) } : false;
    });
    if (!r.ok) {
      ifc.drops[r.reason] = (ifc.drops[r.reason] ?? 0) + 1;
      this.log.debug({ iface: ifc.name, reason: r.reason }, 'VRRP packet dropped');
      return;
    }
    const inst = ifc.byVrid.get(r.packet.vrid);
    if (!inst || r.packet.src === inst.primary) return;
    inst.received++;
    this.apply(inst, inst.machine.advert({ src: r.packet.src, priority: r.packet.priority, interval: r.packet.interval }, now()));
  }

  private receive6(ifc: Iface, d: Datagram6): void {
    const unicast = [...ifc.byVrid.values()].some((i) => i.cfg.unicastPeers.length > 0);
    const r = decodeAdvert6(d.payload, d.src, d.dst, d.hopLimit, (vrid) => {
      const i = ifc.byVrid.get(vrid);
      return i ? { version: i.cfg.version, interval: Math.round(i.cfg.advertInt * 100) } : false;
    }, unicast);
    if (!r.ok) {
      ifc.drops[r.reason] = (ifc.drops[r.reason] ?? 0) + 1;
      this.log.debug({ iface: ifc.name, reason: r.reason }, 'VRRP packet dropped');
      return;
    }
    const inst = ifc.byVrid.get(r.packet.vrid);
    const src = bigint6(r.packet.src);
    if (!inst || src === inst.primary) return;
    inst.received++;
    this.apply(inst, inst.machine.advert({ src, priority: r.packet.priority, interval: r.packet.interval }, now()));
  }

  private send(inst: Instance, priority: number): void {
    const ifc = this.ifaces.get(ifaceKey(inst.cfg));
    if (!ifc) return;
    const c = inst.cfg;
    if (ifc.family === 6) {
      const addresses = c.vips.map((v) => ip6Bytes(v.ip));
      for (const dst of c.unicastPeers.length ? c.unicastPeers.map(ip6Bytes) : [VRRP_GROUP6]) {
        try {
          (ifc.sock as RawIp6Socket).send(encodeAdvert6({ vrid: c.vrid, priority, interval: Math.round(c.advertInt * 100), addresses }, ifc.src6 as Buffer, dst), dst);
          inst.sent++;
        } catch (e) {
          this.log.warn({ instance: c.name, err: (e as Error).message }, 'sending a VRRP advertisement failed');
        }
      }
      return;
    }
    const addresses = c.vips.map((v) => ipNumber(v.ip));
    const dsts = c.unicastPeers.length ? c.unicastPeers.map(ipNumber) : [VRRP_GROUP];
    for (const dst of dsts) {
      const msg = encodeAdvert({ version: c.version, vrid: c.vrid, priority, interval: Math.round(c.advertInt * 100), addresses, authPass: c.version === 2 ? c.authPass : undefined }, inst.primary as number, dst);
      try {
        (ifc.sock as RawIpSocket).send(msg, inst.primary as number, dst, VRRP_TTL);
        inst.sent++;
      } catch (e) {
        this.log.warn({ instance: c.name, err: (e as Error).message }, 'sending a VRRP advertisement failed');
      }
    }
  }

  // --- actions ------------------------------------------------------------------

  private apply(inst: Instance, actions: Action[]): void {
    for (const a of actions) {
      if (a.kind === 'send') this.send(inst, a.priority);
      else this.transition(inst, a.from, a.to, a.why);
    }
    if (inst.timer) clearTimeout(inst.timer);
    const due = inst.machine.deadline();
    if (due !== Infinity) inst.timer = setTimeout(() => this.apply(inst, inst.machine.tick(now())), Math.max(0, due - now()));
  }

  private transition(inst: Instance, from: VrrpState, to: VrrpState, why: string): void {
    const c = inst.cfg;
    this.opts.vrrpRoles?.set(c.iface, c.name, to);
    inst.history.push({ at: new Date().toISOString(), from, to, why });
    if (inst.history.length > 20) inst.history.shift();
    this.log.info({ instance: c.name, from: STATE_WORD[from], to: STATE_WORD[to], why, priority: inst.machine.effective }, `vrrp_instance ${c.name}: entering ${STATE_WORD[to]} state`);
    // vrrp_sync_group: the other members follow a move to master or back to backup.
    if (to === 'master' || (to === 'backup' && from === 'master')) {
      for (const o of this.groupOf.get(c.name) ?? []) this.apply(o, o.machine.follow(to, now()));
    }
    // Address changes run in order, one after the other, whatever the timing of transitions.
    this.queue = this.queue.then(async () => {
      if (to === 'master') await this.takeVips(inst);
      else if (from === 'master') await this.releaseVips(inst, false);
      const kind: VrrpNotifyKind = to === 'init' ? 'stop' : to;
      this.notify(c, kind, inst.machine.effective);
    }).catch((e: Error) => this.log.error({ instance: c.name, err: e.message }, 'changing the virtual addresses failed'));
  }

  private async takeVips(inst: Instance): Promise<void> {
    const c = inst.cfg;
    for (const v of [...c.vips, ...c.vipsExcluded]) await addVip(v.ip, v.dev ?? c.iface, v.prefix, v.label);
    inst.holdsVips = true;
    const announce = (): void => {
      if (inst.machine.state !== 'master') return;
      // IPv6 addresses (an IPv6 instance's, or excluded ones) are announced by unsolicited Neighbor Advertisements.
      announceVips6([...c.vips, ...c.vipsExcluded].filter((v) => v.ip.includes(':')).map((v) => ({ ip: v.ip, iface: v.dev ?? c.iface })), this.log);
      for (const v of c.vips) if (!v.ip.includes(':')) void gratuitousArp(v.ip, v.dev ?? c.iface, this.log);
    };
    announce();
    // keepalived repeats the announcement garp_master_delay seconds later (switches that missed the first).
    if (c.garpMasterDelay > 0) setTimeout(announce, c.garpMasterDelay * 1000).unref();
  }

  private async releaseVips(inst: Instance, always: boolean): Promise<void> {
    if (!inst.holdsVips && !always) return;
    const c = inst.cfg;
    for (const v of [...c.vips, ...c.vipsExcluded]) await delVip(v.ip, v.dev ?? c.iface, v.prefix);
    inst.holdsVips = false;
  }

  /**
   * keepalived's notify scripts: notify_master|backup|fault|stop as written, and `notify`
   * with INSTANCE NAME STATE PRIORITY appended. Split on white space, run without a shell.
   */
  private notify(c: VrrpInstanceConfig, kind: VrrpNotifyKind, priority: number): void {
    const run = (cmd: string, extra: string[]): void => {
      const [bin, ...args] = cmd.split(/\s+/).filter(Boolean);
      if (!bin || !this.scriptAllowed(cmd, `vrrp_instance ${c.name} notify script`)) return;
      const p = spawn(bin, [...args, ...extra], { stdio: 'ignore', ...this.runAs() });
      p.on('error', (e) => this.log.warn({ instance: c.name, script: cmd, err: e.message }, 'notify script failed to start'));
      p.on('exit', (code, sig) => {
        if (code !== 0) this.log.warn({ instance: c.name, script: cmd, code, signal: sig }, 'notify script failed');
      });
    };
    const specific = c.notify[kind];
    if (specific) run(specific, []);
    if (c.notify.any) run(c.notify.any, ['INSTANCE', c.name, kind.toUpperCase(), String(priority)]);
  }

  // --- tracking -----------------------------------------------------------------

  /** spawn options running a script as script_user. */
  private runAs(): { uid?: number; gid?: number } {
    return this.scripts_?.spawnOptions() ?? {};
  }

  /** enable_script_security's verdict on a script (fs/script-security.ts). */
  private scriptAllowed(cmd: string, what: string): boolean {
    return this.scripts_?.allowed(cmd, what) ?? true;
  }

  private startScript(cfg: VrrpScriptConfig): void {
    // keepalived disables an unsafe vrrp_script: the instances tracking it ignore it.
    if (!this.scriptAllowed(cfg.script, `vrrp_script ${cfg.name}`)) return;
    // keepalived starts a script as failed when rise > 1 only after a first result; here it starts good.
    const st: ScriptState = { cfg, ok: true, streak: 0, running: false };
    this.scripts.set(cfg.name, st);
    const tick = (): void => {
      if (!this.scripts.has(cfg.name) || st.running) return;
      st.running = true;
      const [bin, ...args] = cfg.script.split(/\s+/).filter(Boolean);
      execFile(bin, args, { timeout: (cfg.timeout ?? cfg.interval) * 1000, ...this.runAs() }, (err) => {
        st.running = false;
        const good = !err;
        if (good === st.ok) st.streak = 0;
        else if (++st.streak >= (good ? cfg.rise : cfg.fall)) {
          st.ok = good;
          st.streak = 0;
          this.log.info({ script: cfg.name, ok: good }, good ? `vrrp_script ${cfg.name} succeeded` : `vrrp_script ${cfg.name} failed`);
          this.checkTracking();
        }
      });
      st.timer = setTimeout(tick, cfg.interval * 1000);
    };
    tick();
  }

  /** Effective priority and fault from tracked interfaces and scripts (keepalived's rules). */
  private checkTracking(): void {
    if (this.waiting.size) this.retryWaiting();
    this.followIndexes();
    const faults = new Map<Instance, string | undefined>();
    for (const inst of this.instances) {
      const c = inst.cfg;
      // An instance always tracks its own interface.
      let fault: string | undefined = linkUp(c.iface) ? undefined : `interface ${c.iface} is down`;
      let prio = c.priority;
      const weigh = (problem: string | undefined, weight: number | undefined): void => {
        if (weight === undefined || weight === 0) fault ??= problem;
        else if (weight > 0 && !problem) prio += weight;
        else if (weight < 0 && problem) prio += weight;
      };
      for (const t of c.trackInterfaces) weigh(linkUp(t.name) ? undefined : `tracked interface ${t.name} is down`, t.weight);
      for (const t of c.trackScripts) {
        const s = this.scripts.get(t.name);
        if (s) weigh(s.ok ? undefined : `vrrp_script ${t.name} failed`, t.weight ?? s.cfg.weight);
      }
      for (const t of c.trackServices) weigh(this.serviceProblem(t.name), t.weight);
      if (c.priority !== 255) inst.machine.setEffective(prio);
      faults.set(inst, fault);
    }
    // A faulted member faults its whole vrrp_sync_group.
    for (const inst of this.instances) {
      const member = (this.groupOf.get(inst.cfg.name) ?? []).find((o) => faults.get(o) !== undefined);
      const waitingMember = (this.groupNames.get(inst.cfg.name) ?? []).find((n) => this.waiting.has(n));
      const fault = faults.get(inst) ?? (member ? `sync group member ${member.cfg.name}: ${faults.get(member) ?? ''}` : waitingMember ? `sync group member ${waitingMember} is waiting for its interface` : undefined);
      this.apply(inst, inst.machine.setFault(fault !== undefined, now(), fault));
    }
  }

  /** track_service: why a Triad service is not serving (undefined: it serves). */
  private serviceProblem(name: string): string | undefined {
    const health = this.opts.health;
    if (!health) return undefined;
    return health.problem(name);
  }

  // --- control ------------------------------------------------------------------

  private show(): ControlReply {
    const data = this.instances.map((i) => ({
      name: i.cfg.name,
      interface: i.cfg.iface,
      vrid: i.cfg.vrid,
      version: i.cfg.version,
      state: STATE_WORD[i.machine.state],
      priority: i.cfg.priority,
      effectivePriority: i.machine.effective,
      master: i.machine.state === 'master' ? showAddress(i.primary) : i.machine.masterAddress !== undefined ? showAddress(i.machine.masterAddress) : null,
      advertisementsSent: i.sent,
      advertisementsReceived: i.received,
      transitions: i.machine.transitions,
      history: i.history,
      dropped: this.ifaces.get(ifaceKey(i.cfg))?.drops ?? {},
      addresses: [...i.cfg.vips, ...i.cfg.vipsExcluded].map((v) => `${v.ip}/${v.prefix}`),
    }));
    for (const [name, w] of this.waiting) {
      const c = w.cfg;
      data.push({
        name, interface: c.iface, vrid: c.vrid, version: c.version, state: 'FAULT', priority: c.priority, effectivePriority: c.priority, master: null,
        advertisementsSent: 0, advertisementsReceived: 0, transitions: 1, history: [{ at: w.since, from: 'init', to: 'fault', why: w.reason }], dropped: {},
        addresses: [...c.vips, ...c.vipsExcluded].map((v) => `${v.ip}/${v.prefix}`),
      });
    }
    const lines: string[] = [];
    for (const d of data) {
      lines.push(`${d.name}: ${d.state}  vrid ${d.vrid} on ${d.interface}, VRRP v${d.version}`);
      lines.push(`  priority ${d.priority}, effective ${d.effectivePriority}; master ${d.master ?? '(none seen)'}`);
      lines.push(`  addresses ${d.addresses.join(' ') || '(none)'}`);
      lines.push(`  advertisements sent ${d.advertisementsSent}, received ${d.advertisementsReceived}; transitions ${d.transitions}`);
      for (const h of d.history.slice(-5)) lines.push(`    ${h.at} ${STATE_WORD[h.from]} -> ${STATE_WORD[h.to]} (${h.why})`);
      const drops = Object.entries(d.dropped).map(([k, n]) => `${k} ${n}`);
      lines.push(`  dropped on ${d.interface}: ${drops.join(', ') || 'none'}`);
    }
    return { text: lines.join('\n') || 'no VRRP instances', data };
  }
}

function ifIndex(name: string): number | undefined {
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
  } catch {
    return undefined;
  }
}

function linkUp(name: string): boolean {
  try {
    const state = readFileSync(`/sys/class/net/${name}/operstate`, 'utf8').trim();
    // "unknown" is what drivers without carrier reporting say (lo, some virtual links).
    return state === 'up' || state === 'unknown';
  } catch {
    return false;
  }
}

function sameConfig(a: VrrpConfig, b: VrrpConfig): boolean {
  const strip = (c: VrrpConfig): string => JSON.stringify(c, (k, v: unknown) => (k === 'pos' ? undefined : v));
  return strip(a) === strip(b);
}

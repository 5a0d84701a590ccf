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
import { addVip, delVip, gratuitousArp } from '../net/vip.js';
import type { Logger } from '../log.js';
import type { MetricFamily, RunOptions, Service } from '../service.js';
import { formatIPv4, ipNumber } from '../wire/ipv4.js';
import { VRRP_CONTROL, vrrpConfPath } from './definition.js';
import { VrrpMachine, type Action, type VrrpState } from './machine.js';
import { decodeAdvert, encodeAdvert, IPPROTO_VRRP, VRRP_GROUP, VRRP_TTL, type DropReason } from './packet.js';

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
    readonly primary: number,
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
  sock: RawIpSocket;
  byVrid: Map<number, Instance>;
  drops: Partial<Record<DropReason, number>>;
}

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
  private closeControl?: () => Promise<void>;
  private queue: Promise<void> = Promise.resolve();
  /** vrrp_sync_group members by instance name: the other members of its group. */
  private groupOf = new Map<string, Instance[]>();

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
  }

  private removeCollector: (() => void) | undefined;

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
    for (const c of this.conf.instances) {
      const link = findLink(c.iface);
      if (!link) throw new Error(`vrrp_instance ${c.name}: interface ${c.iface} does not exist`);
      const vipNums = new Set([...c.vips, ...c.vipsExcluded].map((v) => ipNumber(v.ip)));
      const primary = c.unicastSrcIp ? ipNumber(c.unicastSrcIp) : link.addresses.find((a) => !vipNums.has(a.ip))?.ip;
      if (primary === undefined) throw new Error(`vrrp_instance ${c.name}: interface ${c.iface} has no IPv4 address to send advertisements from`);
      let ifc = this.ifaces.get(c.iface);
      if (!ifc) {
        const sock = openRawIp(IPPROTO_VRRP, c.iface, link.index, [VRRP_GROUP]);
        const made: Iface = { name: c.iface, sock, byVrid: new Map(), drops: {} };
        ifc = made;
        this.ifaces.set(c.iface, made);
        const onError = (e: Error): void => void this.log.warn({ iface: c.iface, err: e.message }, 'receiving VRRP packets failed; some may be lost');
        void sock.loop((d) => {
          try {
            this.receive(made, d);
          } catch (e) {
            // A packet must never stop the receive loop.
            onError(e as Error);
          }
        }, onError);
      }
      const inst = new Instance(c, primary);
      ifc.byVrid.set(c.vrid, inst);
      this.instances.push(inst);
      // Addresses left behind by a process that was killed: a backup must not hold them.
      await this.releaseVips(inst, true);
    }
    for (const g of this.conf.syncGroups) {
      const members = this.instances.filter((i) => g.members.includes(i.cfg.name));
      for (const m of members) this.groupOf.set(m.cfg.name, members.filter((x) => x !== m));
    }
    for (const s of this.conf.scripts) this.startScript(s);
    for (const inst of this.instances) {
      this.log.info({ instance: inst.cfg.name, vrid: inst.cfg.vrid, iface: inst.cfg.iface, priority: inst.cfg.priority, version: inst.cfg.version, from: formatIPv4(inst.primary) }, 'vrrp_instance starting');
      this.apply(inst, inst.machine.start(now()));
    }
    this.trackTimer = setInterval(() => this.checkTracking(), 1000);
    this.checkTracking();
  }

  private async stopInstances(): Promise<void> {
    if (this.trackTimer) clearInterval(this.trackTimer);
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
  }

  async reload(): Promise<void> {
    const next = load(this.file, this.log);
    if (sameConfig(next, this.conf)) {
      this.log.info('keepalived.conf reloaded; VRRP unchanged');
      return;
    }
    await this.stopInstances();
    this.conf = next;
    await this.startInstances();
    this.log.info({ instances: next.instances.length }, 'keepalived.conf reloaded; VRRP instances restarted');
  }

  async stop(): Promise<void> {
    this.removeCollector?.();
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

  private send(inst: Instance, priority: number): void {
    const ifc = this.ifaces.get(inst.cfg.iface);
    if (!ifc) return;
    const c = inst.cfg;
    const addresses = c.vips.map((v) => ipNumber(v.ip));
    const dsts = c.unicastPeers.length ? c.unicastPeers.map(ipNumber) : [VRRP_GROUP];
    for (const dst of dsts) {
      const msg = encodeAdvert({ version: c.version, vrid: c.vrid, priority, interval: Math.round(c.advertInt * 100), addresses, authPass: c.version === 2 ? c.authPass : undefined }, inst.primary, dst);
      try {
        ifc.sock.send(msg, inst.primary, dst, VRRP_TTL);
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
      for (const v of c.vips) void gratuitousArp(v.ip, v.dev ?? c.iface, this.log);
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
      if (!bin) return;
      const p = spawn(bin, [...args, ...extra], { stdio: 'ignore' });
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

  private startScript(cfg: VrrpScriptConfig): void {
    // keepalived starts a script as failed when rise > 1 only after a first result; here it starts good.
    const st: ScriptState = { cfg, ok: true, streak: 0, running: false };
    this.scripts.set(cfg.name, st);
    const tick = (): void => {
      if (!this.scripts.has(cfg.name) || st.running) return;
      st.running = true;
      const [bin, ...args] = cfg.script.split(/\s+/).filter(Boolean);
      execFile(bin, args, { timeout: (cfg.timeout ?? cfg.interval) * 1000 }, (err) => {
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
    const faults = new Map<Instance, boolean>();
    for (const inst of this.instances) {
      const c = inst.cfg;
      let fault = !linkUp(c.iface); // an instance always tracks its own interface
      let prio = c.priority;
      const weigh = (up: boolean, weight: number | undefined): void => {
        if (weight === undefined || weight === 0) fault ||= !up;
        else if (weight > 0 && up) prio += weight;
        else if (weight < 0 && !up) prio += weight;
      };
      for (const t of c.trackInterfaces) weigh(linkUp(t.name), t.weight);
      for (const t of c.trackScripts) {
        const s = this.scripts.get(t.name);
        if (s) weigh(s.ok, t.weight ?? s.cfg.weight);
      }
      if (c.priority !== 255) inst.machine.setEffective(prio);
      faults.set(inst, fault);
    }
    // A faulted member faults its whole vrrp_sync_group.
    for (const inst of this.instances) {
      const fault = faults.get(inst) === true || (this.groupOf.get(inst.cfg.name) ?? []).some((o) => faults.get(o) === true);
      this.apply(inst, inst.machine.setFault(fault, now()));
    }
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
      master: i.machine.state === 'master' ? formatIPv4(i.primary) : i.machine.masterAddress !== undefined ? formatIPv4(i.machine.masterAddress) : null,
      advertisementsSent: i.sent,
      advertisementsReceived: i.received,
      transitions: i.machine.transitions,
      history: i.history,
      dropped: this.ifaces.get(i.cfg.iface)?.drops ?? {},
      addresses: [...i.cfg.vips, ...i.cfg.vipsExcluded].map((v) => `${v.ip}/${v.prefix}`),
    }));
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

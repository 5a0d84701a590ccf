// keepalived.conf, VRRP part: vrrp_instance, vrrp_script, vrrp_sync_group and the
// global_defs keys VRRP reads. The line tree and value helpers are keepalived-conf.ts's
// (one tokenizer, one loader); this module only reads the blocks. Defaults are
// keepalived's (keepalived.conf(5)).

import type { Position } from './diagnostics.js';
import type { Ctx, Line } from './keepalived-conf.js';
import type { Token } from './tokenizer.js';
import { TRACKABLE_SERVICES } from '../channels/health.js';
import { parseAddress, formatAddress } from '../net/ip.js';

export interface VrrpVip {
  ip: string;
  prefix: number;
  dev?: string;
  label?: string;
  pos: Position;
}

export interface VrrpTrack {
  name: string;
  /** Added to the priority while the tracked thing is up (positive) or while it is down (negative); absent = fault on failure. */
  weight?: number;
  pos: Position;
}

export type VrrpNotifyKind = 'master' | 'backup' | 'fault' | 'stop';

export interface VrrpInstanceConfig {
  name: string;
  /** The state it starts in; keepalived still elects, MASTER only skips the wait. */
  state: 'MASTER' | 'BACKUP';
  iface: string;
  vrid: number;
  priority: number;
  /** Seconds (fractions allowed, as in keepalived). */
  advertInt: number;
  nopreempt: boolean;
  /** Seconds. */
  preemptDelay: number;
  /** auth_type PASS's password (at most 8 bytes on the wire). */
  authPass?: string;
  vips: VrrpVip[];
  vipsExcluded: VrrpVip[];
  unicastSrcIp?: string;
  unicastPeers: string[];
  trackInterfaces: VrrpTrack[];
  trackScripts: VrrpTrack[];
  /** Triad's own services (track_service, a Triad keyword): one that is not serving faults the instance or adds its weight. */
  trackServices: VrrpTrack[];
  notify: Partial<Record<VrrpNotifyKind | 'any', string>>;
  /** Seconds before the second round of gratuitous ARPs after becoming master. */
  garpMasterDelay: number;
  garpMasterRepeat: number;
  version: 2 | 3;
  /** keepalived: an instance's family is its first virtual address's (or unicast_src_ip's); IPv6 instances run VRRP version 3. */
  family: 4 | 6;
  accept: boolean;
  pos: Position;
}

export interface VrrpScriptConfig {
  name: string;
  script: string;
  interval: number;
  timeout?: number;
  weight: number;
  rise: number;
  fall: number;
  pos: Position;
}

export interface VrrpSyncGroupConfig {
  name: string;
  members: string[];
  notify: Partial<Record<VrrpNotifyKind | 'any', string>>;
  pos: Position;
}

export interface VrrpGlobals {
  routerId?: string;
  version: 2 | 3;
  garpMasterDelay: number;
  garpMasterRepeat: number;
  scriptUser?: string;
  enableScriptSecurity: boolean;
}

export interface VrrpConfig {
  instances: VrrpInstanceConfig[];
  scripts: VrrpScriptConfig[];
  syncGroups: VrrpSyncGroupConfig[];
  globals: VrrpGlobals;
}

export function emptyVrrpConfig(): VrrpConfig {
  return { instances: [], scripts: [], syncGroups: [], globals: { version: 2, garpMasterDelay: 5, garpMasterRepeat: 5, enableScriptSecurity: false } };
}

const TOP = new Set(['vrrp_instance', 'vrrp_script', 'vrrp_sync_group']);

/** The top-level keywords this module reads. */
export function isVrrpTopLevel(k: string): boolean {
  return TOP.has(k);
}

// Instance options keepalived has and Triad accepts without acting on them.
const INSTANCE_IGNORED = new Set([
  'smtp_alert', 'dont_track_primary', 'lvs_sync_daemon_interface', 'mcast_src_ip', 'debug', 'strict_mode', 'use_vmac', 'vmac_xmit_base',
  'native_ipv6', 'skip_check_adv_addr', 'garp_master_refresh', 'garp_master_refresh_repeat', 'garp_lower_prio_delay', 'garp_lower_prio_repeat',
  'lower_prio_no_advert', 'higher_prio_send_advert', 'kernel_rx_buf_size', 'notify_deleted', 'notify_master_rx_lower_pri', 'notify_priority_changes',
  'virtual_routes', 'virtual_rules', 'track_process', 'track_file', 'track_bfd', 'unicast_ttl', 'old_unicast_checksum', 'check_unicast_src',
]);

const GLOBAL_VRRP = new Set(['router_id', 'vrrp_version', 'vrrp_garp_master_delay', 'vrrp_garp_master_repeat', 'script_user', 'enable_script_security']);

/** An IPv4 or IPv6 address in its canonical text. */
function ipAny(ctx: Ctx, t: Token): string | undefined {
  const a = parseAddress(t.value);
  if (!a) {
    ctx.sink.error(t, `'${t.value}' is not an IP address`);
    return undefined;
  }
  return formatAddress(a);
}

const isV6 = (ip: string): boolean => ip.includes(':');

/** The rest of a line as one command (notify scripts: `notify_master "/path arg"` or unquoted words). */
function command(ctx: Ctx, l: Line): string | undefined {
  const a = l.words.slice(1);
  if (a.length === 0) {
    ctx.sink.error(l.words[0], `${l.words[0].value} needs a script`);
    return undefined;
  }
  return a.map((t) => t.value).join(' ');
}

function parseVip(ctx: Ctx, s: Line): VrrpVip | undefined {
  const w = s.words;
  const m = /^([^/]+)(?:\/([0-9]{1,3}))?$/.exec(w[0].value);
  if (!m) {
    ctx.sink.error(w[0], `'${w[0].value}' is not an address or address/prefix`);
    return undefined;
  }
  const ip = ipAny(ctx, { ...w[0], value: m[1] });
  const max = ip !== undefined && isV6(ip) ? 128 : 32;
  const prefixText = m[2];
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) {
    ctx.sink.error(w[0], `prefix /${prefix} is longer than ${max}`);
    return undefined;
  }
  const v: VrrpVip = { ip: ip ?? '', prefix, pos: w[0] };
  for (let i = 1; i < w.length; i++) {
    const k = w[i].value;
    const val = w[i + 1];
    if (k === 'dev' || k === 'label' || k === 'brd' || k === 'scope') {
      if (!val) {
        ctx.sink.error(w[i], `${k} needs a value`);
        break;
      }
      if (k === 'dev') v.dev = val.value;
      else if (k === 'label') v.label = val.value;
      i++;
    } else if (k === 'no_track' || k === 'preferred_lft' || k === 'home' || k === 'nodad') {
      if (k === 'preferred_lft') i++;
    } else {
      ctx.sink.error(w[i], `unknown virtual_ipaddress option '${k}' (dev, label, brd, scope)`);
      break;
    }
  }
  return ip === undefined ? undefined : v;
}

function parseTracks(ctx: Ctx, l: Line, what: string): VrrpTrack[] {
  const out: VrrpTrack[] = [];
  for (const s of l.block ?? []) {
    const w = s.words;
    const t: VrrpTrack = { name: w[0].value, pos: w[0] };
    if (w.length === 3 && w[1].value === 'weight') {
      const n = Number(w[2].value);
      if (!/^-?[0-9]+$/.test(w[2].value) || n < -253 || n > 253) ctx.sink.error(w[2], `${what} weight: expected an integer from -253 to 253, got '${w[2].value}'`);
      else t.weight = n;
    } else if (w.length !== 1) ctx.sink.error(w[1], `a ${what} entry is NAME [weight N]`);
    out.push(t);
  }
  return out;
}

function parseInstance(ctx: Ctx, l: Line, g: VrrpGlobals): VrrpInstanceConfig | undefined {
  const a = ctx.args(l, 1, 1);
  if (!a) return undefined;
  const inst: VrrpInstanceConfig = {
    name: a[0].value,
    state: 'BACKUP',
    iface: '',
    vrid: 0,
    priority: 100,
    advertInt: 1,
    nopreempt: false,
    preemptDelay: 0,
    vips: [],
    vipsExcluded: [],
    unicastPeers: [],
    trackInterfaces: [],
    trackScripts: [],
    trackServices: [],
    notify: {},
    garpMasterDelay: g.garpMasterDelay,
    garpMasterRepeat: g.garpMasterRepeat,
    version: g.version,
    family: 4,
    accept: true,
    pos: l.words[0],
  };
  let prioritySet = false;
  let v: Token[] | undefined;
  for (const s of l.block ?? []) {
    const k = s.words[0].value;
    if (INSTANCE_IGNORED.has(k)) {
      ctx.notImplemented(s, `vrrp_instance option '${k}'`);
      continue;
    }
    switch (k) {
      case 'state':
        if ((v = ctx.args(s, 1, 1))) {
          const st = v[0].value.toUpperCase();
          if (st === 'MASTER' || st === 'BACKUP') inst.state = st;
          else ctx.sink.error(v[0], `unknown state '${v[0].value}' (MASTER or BACKUP)`);
        }
        break;
      case 'interface':
        if ((v = ctx.args(s, 1, 1))) inst.iface = v[0].value;
        break;
      case 'virtual_router_id':
        inst.vrid = ctx.num(s, { min: 1, max: 255 }) ?? inst.vrid;
        break;
      case 'priority':
        inst.priority = ctx.num(s, { min: 1, max: 255 }) ?? inst.priority;
        prioritySet = true;
        break;
      case 'advert_int':
        inst.advertInt = ctx.num(s, { min: 0.01, max: 255, int: false }) ?? inst.advertInt;
        break;
      case 'nopreempt':
        ctx.noArgs(s);
        inst.nopreempt = true;
        break;
      case 'preempt':
        ctx.noArgs(s);
        inst.nopreempt = false;
        break;
      case 'preempt_delay':
        inst.preemptDelay = ctx.num(s, { max: 1000, int: false }) ?? inst.preemptDelay;
        break;
      case 'garp_master_delay':
        inst.garpMasterDelay = ctx.num(s, { max: 255 }) ?? inst.garpMasterDelay;
        break;
      case 'garp_master_repeat':
        inst.garpMasterRepeat = ctx.num(s, { min: 1, max: 255 }) ?? inst.garpMasterRepeat;
        break;
      case 'version':
        if ((v = ctx.args(s, 1, 1))) {
          if (v[0].value === '2' || v[0].value === '3') inst.version = Number(v[0].value) as 2 | 3;
          else ctx.sink.error(v[0], `VRRP version must be 2 or 3, got '${v[0].value}'`);
        }
        break;
      case 'accept':
        ctx.noArgs(s);
        inst.accept = true;
        break;
      case 'no_accept':
        ctx.noArgs(s);
        inst.accept = false;
        break;
      case 'authentication':
        for (const b of s.block ?? []) {
          const bk = b.words[0].value;
          const bv = ctx.args(b, 1, 1);
          if (!bv) continue;
          if (bk === 'auth_type') {
            if (bv[0].value === 'AH') ctx.sink.error(bv[0], 'auth_type AH is not supported by Triad (RFC 5798 removed VRRP authentication); use PASS or none');
            else if (bv[0].value !== 'PASS') ctx.sink.error(bv[0], `unknown auth_type '${bv[0].value}' (PASS)`);
          } else if (bk === 'auth_pass') inst.authPass = bv[0].value.slice(0, 8); // keepalived keeps the first 8 characters
          else ctx.unknown(b, 'authentication');
        }
        break;
      case 'virtual_ipaddress':
      case 'virtual_ipaddress_excluded':
        for (const b of s.block ?? []) {
          const vip = parseVip(ctx, b);
          if (vip) (k === 'virtual_ipaddress' ? inst.vips : inst.vipsExcluded).push(vip);
        }
        break;
      case 'unicast_src_ip':
        if ((v = ctx.args(s, 1, 1))) inst.unicastSrcIp = ipAny(ctx, v[0]);
        break;
      case 'unicast_peer':
        for (const b of s.block ?? []) {
          const ip = ipAny(ctx, b.words[0]);
          if (ip) inst.unicastPeers.push(ip);
        }
        break;
      case 'track_interface':
        inst.trackInterfaces.push(...parseTracks(ctx, s, 'track_interface'));
        break;
      case 'track_script':
        inst.trackScripts.push(...parseTracks(ctx, s, 'track_script'));
        break;
      case 'track_service':
        for (const t of parseTracks(ctx, s, 'track_service')) {
          if (TRACKABLE_SERVICES.includes(t.name)) inst.trackServices.push(t);
          else ctx.sink.error(t.pos, `track_service: '${t.name}' is not one of Triad's services (${TRACKABLE_SERVICES.join(', ')})`);
        }
        break;
      case 'notify_master':
      case 'notify_backup':
      case 'notify_fault':
      case 'notify_stop':
      case 'notify': {
        const c = command(ctx, s);
        if (c) inst.notify[k === 'notify' ? 'any' : (k.slice(7) as VrrpNotifyKind)] = c;
        break;
      }
      default:
        ctx.unknown(s, 'vrrp_instance');
    }
  }
  familyRules(ctx, l, inst);
  if (!inst.iface) ctx.sink.error(l.words[0], `vrrp_instance ${inst.name}: interface is required`);
  if (!inst.vrid) ctx.sink.error(l.words[0], `vrrp_instance ${inst.name}: virtual_router_id is required`);
  if (inst.state === 'MASTER' && !prioritySet) ctx.sink.warning(l.words[0], `vrrp_instance ${inst.name}: state MASTER without priority; using 100 as keepalived does`);
  if (inst.version === 3 && inst.authPass !== undefined) ctx.sink.warning(l.words[0], `vrrp_instance ${inst.name}: VRRP version 3 has no authentication (RFC 5798); auth_pass is ignored`);
  if (inst.nopreempt && inst.state === 'MASTER') ctx.sink.warning(l.words[0], `vrrp_instance ${inst.name}: nopreempt needs state BACKUP; keepalived ignores it with state MASTER, and so does Triad`);
  if (inst.nopreempt && inst.state === 'MASTER') inst.nopreempt = false;
  if (inst.version === 2 && !Number.isInteger(inst.advertInt)) ctx.sink.error(l.words[0], `vrrp_instance ${inst.name}: VRRP version 2 carries advert_int in whole seconds`);
  if (inst.version === 3 && inst.advertInt > 40.95) ctx.sink.error(l.words[0], `vrrp_instance ${inst.name}: VRRP version 3 carries advert_int up to 40.95 seconds`);
  return inst;
}

/**
 * keepalived's family rules: the first virtual address (else unicast_src_ip, else the
 * first unicast_peer) decides the instance's family; virtual_ipaddress entries of the
 * other family are ignored with a warning (virtual_ipaddress_excluded may mix);
 * an IPv6 instance runs VRRP version 3.
 */
function familyRules(ctx: Ctx, l: Line, inst: VrrpInstanceConfig): void {
  const first = inst.vips[0]?.ip ?? inst.unicastSrcIp ?? inst.unicastPeers[0];
  inst.family = first !== undefined && isV6(first) ? 6 : 4;
  const fam = (ip: string): 4 | 6 => (isV6(ip) ? 6 : 4);
  inst.vips = inst.vips.filter((v) => {
    if (fam(v.ip) === inst.family) return true;
    ctx.sink.warning(v.pos, `vrrp_instance ${inst.name}: ${v.ip} is IPv${fam(v.ip)} in an IPv${inst.family} instance; ignored (put it in virtual_ipaddress_excluded or an instance of its own)`);
    return false;
  });
  if (inst.unicastSrcIp !== undefined && fam(inst.unicastSrcIp) !== inst.family) ctx.sink.error(l.words[0], `vrrp_instance ${inst.name}: unicast_src_ip ${inst.unicastSrcIp} is not IPv${inst.family} like the instance`);
  for (const p of inst.unicastPeers) if (fam(p) !== inst.family) ctx.sink.error(l.words[0], `vrrp_instance ${inst.name}: unicast_peer ${p} is not IPv${inst.family} like the instance`);
  if (inst.family === 6 && inst.version === 2) {
    if ((l.block ?? []).some((s) => s.words[0].value === 'version')) ctx.sink.warning(l.words[0], `vrrp_instance ${inst.name}: IPv6 instances run VRRP version 3 (RFC 5798); using version 3`);
    inst.version = 3;
  }
}

function parseScript(ctx: Ctx, l: Line): VrrpScriptConfig | undefined {
  const a = ctx.args(l, 1, 1);
  if (!a) return undefined;
  const sc: VrrpScriptConfig = { name: a[0].value, script: '', interval: 1, weight: 0, rise: 1, fall: 1, pos: l.words[0] };
  for (const s of l.block ?? []) {
    const k = s.words[0].value;
    switch (k) {
      case 'script':
        sc.script = command(ctx, s) ?? '';
        break;
      case 'interval':
        sc.interval = ctx.num(s, { min: 0.01, max: 86400, int: false }) ?? sc.interval;
        break;
      case 'timeout':
        sc.timeout = ctx.num(s, { min: 0.01, max: 86400, int: false });
        break;
      case 'weight': {
        const v = s.words[1];
        const n = Number(v?.value);
        if (!v || !/^-?[0-9]+$/.test(v.value) || n < -253 || n > 253) ctx.sink.error(v ?? s.words[0], 'weight: expected an integer from -253 to 253');
        else sc.weight = n;
        if (s.words[2] && s.words[2].value !== 'reverse') ctx.sink.error(s.words[2], 'weight takes N [reverse]');
        else if (s.words[2]) ctx.notImplemented(s, "weight's 'reverse'");
        break;
      }
      case 'rise':
        sc.rise = ctx.num(s, { min: 1, max: 1000 }) ?? sc.rise;
        break;
      case 'fall':
        sc.fall = ctx.num(s, { min: 1, max: 1000 }) ?? sc.fall;
        break;
      case 'user':
      case 'init_fail':
        ctx.notImplemented(s, `vrrp_script option '${k}'`);
        break;
      default:
        ctx.unknown(s, 'vrrp_script');
    }
  }
  if (!sc.script) ctx.sink.error(l.words[0], `vrrp_script ${sc.name}: script is required`);
  return sc;
}

function parseSyncGroup(ctx: Ctx, l: Line): VrrpSyncGroupConfig | undefined {
  const a = ctx.args(l, 1, 1);
  if (!a) return undefined;
  const sg: VrrpSyncGroupConfig = { name: a[0].value, members: [], notify: {}, pos: l.words[0] };
  for (const s of l.block ?? []) {
    const k = s.words[0].value;
    if (k === 'group') for (const b of s.block ?? []) for (const w of b.words) sg.members.push(w.value);
    else if (k === 'notify_master' || k === 'notify_backup' || k === 'notify_fault' || k === 'notify_stop' || k === 'notify') {
      const c = command(ctx, s);
      if (c) sg.notify[k === 'notify' ? 'any' : (k.slice(7) as VrrpNotifyKind)] = c;
    } else if (k === 'smtp_alert' || k === 'global_tracking' || k === 'sync_group_tracking_weight' || k === 'track_interface' || k === 'track_script') ctx.notImplemented(s, `vrrp_sync_group option '${k}'`);
    else ctx.unknown(s, 'vrrp_sync_group');
  }
  return sg;
}

function parseGlobals(ctx: Ctx, l: Line, g: VrrpGlobals): void {
  for (const s of l.block ?? []) {
    const k = s.words[0].value;
    if (!GLOBAL_VRRP.has(k)) continue; // keepalived's other global_defs keys do not concern VRRP here
    let v: Token[] | undefined;
    switch (k) {
      case 'router_id':
        if ((v = ctx.args(s, 1, 1))) g.routerId = v[0].value;
        break;
      case 'vrrp_version':
        if ((v = ctx.args(s, 1, 1))) {
          if (v[0].value === '2' || v[0].value === '3') g.version = Number(v[0].value) as 2 | 3;
          else ctx.sink.error(v[0], `vrrp_version must be 2 or 3, got '${v[0].value}'`);
        }
        break;
      case 'vrrp_garp_master_delay':
        g.garpMasterDelay = ctx.num(s, { max: 255 }) ?? g.garpMasterDelay;
        break;
      case 'vrrp_garp_master_repeat':
        g.garpMasterRepeat = ctx.num(s, { min: 1, max: 255 }) ?? g.garpMasterRepeat;
        break;
      case 'script_user':
        if ((v = ctx.args(s, 1, 2))) g.scriptUser = v.map((t) => t.value).join(':');
        break;
      case 'enable_script_security':
        ctx.noArgs(s);
        g.enableScriptSecurity = true;
        break;
    }
  }
}

/** Reads every VRRP block of a keepalived.conf line tree (after includes are expanded). */
export function parseVrrp(ctx: Ctx, lines: readonly Line[]): VrrpConfig {
  const out = emptyVrrpConfig();
  for (const l of lines) if (l.words[0].value === 'global_defs') parseGlobals(ctx, l, out.globals);
  for (const l of lines) {
    const k = l.words[0].value;
    if (k === 'vrrp_instance') {
      const i = parseInstance(ctx, l, out.globals);
      if (!i) continue;
      if (out.instances.some((o) => o.name === i.name)) ctx.sink.error(l.words[1], `vrrp_instance ${i.name} is defined twice`);
      else if (i.vrid && i.iface && out.instances.some((o) => o.vrid === i.vrid && o.iface === i.iface && o.family === i.family)) ctx.sink.error(l.words[1], `vrrp_instance ${i.name}: virtual_router_id ${i.vrid} is already used on ${i.iface}${i.family === 6 ? ' (IPv6)' : ''}`);
      else out.instances.push(i);
    } else if (k === 'vrrp_script') {
      const sc = parseScript(ctx, l);
      if (sc) out.scripts.push(sc);
    } else if (k === 'vrrp_sync_group') {
      const sg = parseSyncGroup(ctx, l);
      if (sg) out.syncGroups.push(sg);
    }
  }
  for (const i of out.instances) {
    for (const t of i.trackScripts) if (!out.scripts.some((s) => s.name === t.name)) ctx.sink.error(t.pos, `track_script: no vrrp_script named '${t.name}'`);
  }
  for (const g of out.syncGroups) {
    for (const m of g.members) if (!out.instances.some((i) => i.name === m)) ctx.sink.error(g.pos, `vrrp_sync_group ${g.name}: no vrrp_instance named '${m}'`);
  }
  return out;
}

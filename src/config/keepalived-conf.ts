// keepalived.conf, LVS part: virtual_server / virtual_server_group / real_server and
// their health checkers. keepalived's grammar is line oriented (`keyword values…`,
// `{ }` blocks, no semicolons, `#`/`!` comments, `include GLOB`), so this parser builds
// its own line tree from the shared tokenizer with `newlines: true`.
//
// Deliberate difference from keepalived: an unknown keyword is an error (keepalived
// logs "Unknown keyword" and carries on), because a mistyped `weight` silently
// ignored is how a lab ends up with a surprise. Options keepalived has but Triad
// does not implement are accepted with one warning each.

import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadConfigFile, readConfigText } from './config-file.js';
import { DiagnosticSink, type Position } from './diagnostics.js';
import { tokenize, type Token } from './tokenizer.js';
import { MAX_NESTING, TOO_DEEP } from './limits.js';
import { parseAddress, formatAddress } from '../net/ip.js';
import { ipv4FromBytes } from '../wire/ipv4.js';
import { emptyVrrpConfig, isVrrpTopLevel, parseVrrp, type VrrpConfig } from './keepalived-vrrp.js';
import { parseSyncDaemon, type SyncDaemonConfig } from './keepalived-sync.js';

/** keepalived's lb_algo words (IPVS's scheduler names); what each does is in lb/schedulers.ts. */
export const LB_ALGOS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'] as const;
export type LbAlgo = (typeof LB_ALGOS)[number];
export type LbKind = 'NAT' | 'DR' | 'TUN';
export type L4Proto = 'TCP' | 'UDP';

export interface HttpUrl {
  path: string;
  /** Accepted status codes; empty means keepalived's default, any 2xx. */
  statusCodes: Array<[number, number]>;
  digest?: string;
}

export interface CheckConfig {
  kind: 'TCP_CHECK' | 'HTTP_GET' | 'MISC_CHECK' | 'PING_CHECK';
  connectIp?: string;
  connectPort?: number;
  bindTo?: string;
  /** Seconds. */
  connectTimeout: number;
  retry: number;
  delayBeforeRetry: number;
  /** Seconds between checks. */
  delayLoop: number;
  urls: HttpUrl[];
  virtualhost?: string;
  miscPath?: string;
  miscTimeout?: number;
  miscDynamic: boolean;
  pos: Position;
}

export interface RealServerConfig {
  ip: string;
  port: number;
  weight: number;
  inhibitOnFailure: boolean;
  checks: CheckConfig[];
  pos: Position;
}

export interface VirtualServerConfig {
  /** `VIP:PORT/PROTO`, unique per file. */
  key: string;
  vip: string;
  port: number;
  protocol: L4Proto;
  algo: LbAlgo;
  kind: LbKind;
  /** Hash the source port too (mh-port / sh-port). */
  hashPort: boolean;
  /** Seconds; 0 = no persistence. */
  persistenceTimeout: number;
  /** Netmask prefix length for persistence (persistence_granularity). */
  persistencePrefix: number;
  delayLoop: number;
  quorum: number;
  hysteresis: number;
  sorryServer?: { ip: string; port: number };
  inhibitOnFailure: boolean;
  alpha: boolean;
  omega: boolean;
  /** Triad extension `triad_interface IFNAME`. */
  iface?: string;
  /** Triad extension `lb_datapath nft|packet` (keepalived ignores it); else the global choice. */
  datapath?: 'nft' | 'packet';
  realServers: RealServerConfig[];
  pos: Position;
  /** Where lb_algo was given, for errors about the scheduler. */
  algoPos?: Position;
}

export interface KeepalivedConfig {
  virtualServers: VirtualServerConfig[];
  /** `global_defs { lb_datapath nft|packet }` (Triad extension). */
  datapath?: 'nft' | 'packet';
  /** vrrp_instance, vrrp_script, vrrp_sync_group and global_defs' VRRP keys (keepalived-vrrp.ts). */
  vrrp: VrrpConfig;
  /** `global_defs { lvs_sync_daemon … }` (keepalived-sync.ts). */
  syncDaemon?: SyncDaemonConfig;
  files: string[];
}

// ---------------------------------------------------------------------------------
// Line tree

export interface Line {
  words: Token[];
  block?: Line[];
}

function buildLines(tokens: Token[], sink: DiagnosticSink): Line[] {
  let i = 0;
  // Past MAX_NESTING a block is reported once and skipped by counting braces, not by recursion.
  const skipBlock = (): void => {
    for (let open = 1; tokens[i].kind !== 'eof'; i++) {
      const t = tokens[i];
      if (t.kind === 'punct' && t.value === '{') open++;
      else if (t.kind === 'punct' && t.value === '}' && --open === 0) {
        i++;
        return;
      }
    }
  };
  const list = (closing: boolean, depth: number): Line[] => {
    const out: Line[] = [];
    let cur: Token[] = [];
    const flush = (): void => {
      if (cur.length) out.push({ words: cur });
      cur = [];
    };
    for (;;) {
      const t = tokens[i];
      if (t.kind === 'eof') {
        flush();
        if (closing) sink.error(t, "unexpected end of file: missing '}'");
        return out;
      }
      i++;
      if (t.kind === 'newline') flush();
      else if (t.kind === 'punct' && t.value === '{') {
        if (depth >= MAX_NESTING) {
          sink.error(t, TOO_DEEP);
          skipBlock();
          cur = [];
          continue;
        }
        const block = list(true, depth + 1);
        if (cur.length) out.push({ words: cur, block });
        else if (out.length && !out[out.length - 1].block) out[out.length - 1].block = block; // `{` on its own line
        else sink.error(t, "'{' without a keyword");
        cur = [];
      } else if (t.kind === 'punct' && t.value === '}') {
        flush();
        if (closing) return out;
        sink.error(t, "unexpected '}'");
      } else cur.push(t);
    }
  };
  return list(false, 0);
}

/** Minimal glob (`*`, `?`, `[…]` per path segment), enough for keepalived's `include`. */
function expandGlob(pattern: string): string[] {
  if (!/[*?[]/.test(pattern)) return [pattern];
  const abs = path.resolve(pattern);
  const segs = abs.split(path.sep).filter((s) => s !== '');
  let bases: string[] = [path.sep];
  for (const seg of segs) {
    const next: string[] = [];
    if (!/[*?[]/.test(seg)) {
      for (const b of bases) next.push(path.join(b, seg));
    } else {
      const re = new RegExp('^' + seg.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$');
      for (const b of bases) {
        let names: string[] = [];
        try {
          names = readdirSync(b);
        } catch {
          continue;
        }
        for (const n of names.sort()) if (re.test(n) && !n.startsWith('.')) next.push(path.join(b, n));
      }
    }
    bases = next;
  }
  return bases.filter((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

const TOKEN_OPTS = { hashComments: true, bangComments: true, newlines: true, punctuation: ['{', '}'] } as const;

/** `chain`: the files whose includes led here (a file including one of them is a cycle). */
function loadLines(file: string, text: string, sink: DiagnosticSink, files: string[], chain: readonly string[]): Line[] {
  const depth = chain.length;
  sink.addSource(file, text);
  files.push(file);
  const lines = buildLines(tokenize(file, text, sink, TOKEN_OPTS), sink);
  const expand = (ls: Line[]): Line[] => {
    const out: Line[] = [];
    for (const l of ls) {
      if (l.words[0].value === 'include' && !l.block) {
        if (l.words.length !== 2) {
          sink.error(l.words[0], 'include takes one file name or glob');
          continue;
        }
        if (depth >= 8) {
          sink.error(l.words[0], 'include nested too deeply (a cycle?)');
          continue;
        }
        const pat = path.resolve(path.dirname(file), l.words[1].value);
        // A glob that matches nothing is no mistake (keepalived's glob(3) use); a plain name must be readable.
        for (const m of expandGlob(pat)) {
          if (m === path.resolve(file) || chain.includes(m)) {
            sink.error(l.words[1], `include cycle: '${m}' is already being read`);
            continue;
          }
          const t = readConfigText(m, sink, l.words[1]);
          // A loop, not push(...): spreading a large file's lines as arguments overflows the stack.
          if (t !== undefined) for (const x of loadLines(m, t, sink, files, [...chain, path.resolve(file)])) out.push(x);
        }
        continue;
      }
      out.push(l.block ? { words: l.words, block: expand(l.block) } : l);
    }
    return out;
  };
  return expand(lines);
}

// ---------------------------------------------------------------------------------
// Values

export class Ctx {
  constructor(readonly sink: DiagnosticSink) {}
  warned = new Set<string>();

  args(l: Line, min: number, max: number): Token[] | undefined {
    const a = l.words.slice(1);
    if (a.length < min || a.length > max) {
      const want = min === max ? `${min}` : `${min} to ${max}`;
      this.sink.error(a[max] ?? l.words[0], `${l.words[0].value} takes ${want} value${max === 1 ? '' : 's'}, got ${a.length}`);
      return undefined;
    }
    return a;
  }
  num(l: Line, opts: { min?: number; max?: number; int?: boolean } = {}): number | undefined {
    const a = this.args(l, 1, 1);
    if (!a) return undefined;
    const v = Number(a[0].value);
    const { min = 0, max = Number.MAX_SAFE_INTEGER, int = true } = opts;
    if (!/^[0-9]+(\.[0-9]+)?$/.test(a[0].value) || (int && !Number.isInteger(v)) || v < min || v > max) {
      this.sink.error(a[0], `${l.words[0].value}: expected ${int ? 'an integer' : 'a number'} from ${min} to ${max}, got '${a[0].value}'`);
      return undefined;
    }
    return v;
  }
  ip(t: Token): string | undefined {
    const a = parseAddress(t.value);
    if (!a) {
      this.sink.error(t, `'${t.value}' is not an IP address`);
      return undefined;
    }
    if (a.family !== 4) {
      this.sink.error(t, 'IPv6 virtual and real servers are not supported by Triad\'s load balancer (IPv4 only); serve IPv6 services with keepalived/LVS');
      return undefined;
    }
    return formatAddress(a);
  }
  port(t: Token | undefined, at: Token): number | undefined {
    if (!t) {
      this.sink.error(at, 'missing port');
      return undefined;
    }
    const v = Number(t.value);
    if (!/^[0-9]+$/.test(t.value) || v < 1 || v > 65535) {
      this.sink.error(t, `'${t.value}' is not a port (1-65535)`);
      return undefined;
    }
    return v;
  }
  noArgs(l: Line): void {
    if (l.words.length > 1) this.sink.error(l.words[1], `${l.words[0].value} takes no value`);
  }
  noBlock(l: Line): boolean {
    if (l.block) {
      this.sink.error(l.words[0], `${l.words[0].value} does not take a block`);
      return false;
    }
    return true;
  }
  notImplemented(l: Line, what = `'${l.words[0].value}'`): void {
    this.sink.warning(l.words[0], `${what} is accepted but not implemented by Triad; ignored`);
  }
  unknown(l: Line, where: string): void {
    this.sink.error(l.words[0], `unknown keyword '${l.words[0].value}' in ${where}`);
  }
}

/** Inheritable checker defaults (keepalived ≥ 2.1 allows them on virtual_server and real_server). */
interface CheckDefaults {
  connectTimeout: number;
  retry?: number;
  delayBeforeRetry?: number;
  delayLoop: number;
}

// Options of keepalived that Triad accepts and ignores, per block.
const VS_IGNORED = new Set([
  'persistence_engine', 'virtualhost', 'ha_suspend', 'ops', 'quorum_up', 'quorum_down', 'smtp_alert',
  'sorry_server_inhibit', 'sorry_server_lvs_method', 'mh-fallback', 'sh-fallback', 'flag-1', 'flag-2', 'flag-3',
  'ip_family', 'warmup', 'lvs_timeouts', 'tunnel_type',
]);
const RS_IGNORED = new Set([
  'notify_up', 'notify_down', 'uthreshold', 'lthreshold', 'smtp_alert', 'virtualhost', 'warmup', 'alpha', 'omega',
  'SSL_GET', 'SMTP_CHECK', 'DNS_CHECK', 'BFD_CHECK', 'FILE_CHECK', 'UDP_CHECK', 'tunnel_type',
]);
const CHECK_IGNORED = new Set(['bind_port', 'bind_if', 'fwmark', 'warmup', 'alpha', 'http_protocol', 'enable_sni', 'user', 'log_all_failures', 'smtp_alert']);

/**
 * connect_timeout, retry, delay_before_retry and delay_loop: the same keywords and
 * ranges on a checker, a real_server and a virtual_server. Returns false for any
 * other keyword so the caller's switch goes on.
 */
function parseTiming(ctx: Ctx, s: Line, k: string, into: { connectTimeout?: number; retry?: number; delayBeforeRetry?: number; delayLoop?: number }): boolean {
  switch (k) {
    case 'connect_timeout':
      into.connectTimeout = ctx.num(s, { min: 0.001, max: 3600, int: false }) ?? into.connectTimeout;
      return true;
    case 'retry':
      into.retry = ctx.num(s, { max: 1000 }) ?? into.retry;
      return true;
    case 'delay_before_retry':
      into.delayBeforeRetry = ctx.num(s, { max: 3600, int: false }) ?? into.delayBeforeRetry;
      return true;
    case 'delay_loop':
      into.delayLoop = ctx.num(s, { min: 0.001, max: 86400, int: false }) ?? into.delayLoop;
      return true;
    default:
      return false;
  }
}

function parseCheck(ctx: Ctx, l: Line, d: CheckDefaults): CheckConfig | undefined {
  const kind = l.words[0].value as CheckConfig['kind'];
  ctx.args(l, 0, 0);
  const c: CheckConfig = {
    kind,
    connectTimeout: d.connectTimeout,
    retry: d.retry ?? 1,
    delayBeforeRetry: d.delayBeforeRetry ?? (kind === 'HTTP_GET' ? 3 : 1),
    delayLoop: d.delayLoop,
    urls: [],
    miscDynamic: false,
    pos: l.words[0],
  };
  for (const s of l.block ?? []) {
    const k = s.words[0].value;
    if (CHECK_IGNORED.has(k)) {
      ctx.notImplemented(s, `${kind} option '${k}'`);
      continue;
    }
    if (k === 'url' && kind === 'HTTP_GET') {
      c.urls.push(parseUrl(ctx, s));
      continue;
    }
    if (!ctx.noBlock(s)) continue;
    let a: Token[] | undefined;
    switch (k) {
      case 'connect_ip':
        if ((a = ctx.args(s, 1, 1))) c.connectIp = ctx.ip(a[0]);
        break;
      case 'connect_port':
        if ((a = ctx.args(s, 1, 1))) c.connectPort = ctx.port(a[0], s.words[0]);
        break;
      case 'bindto':
        if ((a = ctx.args(s, 1, 1))) c.bindTo = ctx.ip(a[0]);
        break;
      case 'nb_get_retry':
      case 'nb_sock_retry':
        // keepalived's older names for retry.
        parseTiming(ctx, s, 'retry', c);
        break;
      case 'virtualhost':
        if (kind !== 'HTTP_GET') ctx.unknown(s, kind);
        else if ((a = ctx.args(s, 1, 1))) c.virtualhost = a[0].value;
        break;
      case 'misc_path':
        if (kind !== 'MISC_CHECK') ctx.unknown(s, kind);
        else if ((a = ctx.args(s, 1, 1))) c.miscPath = a[0].value;
        break;
      case 'misc_timeout':
        if (kind !== 'MISC_CHECK') ctx.unknown(s, kind);
        else c.miscTimeout = ctx.num(s, { min: 1, max: 86400 });
        break;
      case 'misc_dynamic':
        if (kind !== 'MISC_CHECK') ctx.unknown(s, kind);
        else {
          ctx.noArgs(s);
          c.miscDynamic = true;
        }
        break;
      default:
        if (!parseTiming(ctx, s, k, c)) ctx.unknown(s, kind);
    }
  }
  if (kind === 'MISC_CHECK' && !c.miscPath) {
    ctx.sink.error(l.words[0], 'MISC_CHECK needs misc_path');
    return undefined;
  }
  if (kind === 'HTTP_GET' && c.urls.length === 0) {
    ctx.sink.error(l.words[0], 'HTTP_GET needs at least one url { path … }');
    return undefined;
  }
  return c;
}

function parseUrl(ctx: Ctx, l: Line): HttpUrl {
  ctx.args(l, 0, 0);
  const u: HttpUrl = { path: '/', statusCodes: [] };
  let hasPath = false;
  for (const s of l.block ?? []) {
    const k = s.words[0].value;
    if (!ctx.noBlock(s)) continue;
    let a: Token[] | undefined;
    switch (k) {
      case 'path':
        if ((a = ctx.args(s, 1, 1))) {
          u.path = a[0].value;
          hasPath = true;
        }
        break;
      case 'digest':
        if ((a = ctx.args(s, 1, 1))) {
          if (!/^[0-9a-fA-F]{32}$/.test(a[0].value)) ctx.sink.error(a[0], 'digest must be 32 hex digits (an MD5 sum)');
          else u.digest = a[0].value.toLowerCase();
        }
        break;
      case 'status_code':
        for (const t of s.words.slice(1)) {
          const m = /^([0-9]{3})(?:-([0-9]{3}))?$/.exec(t.value);
          if (!m) ctx.sink.error(t, `'${t.value}' is not an HTTP status code or range`);
          else u.statusCodes.push([Number(m[1]), Number(m[2] ?? m[1])]);
        }
        if (s.words.length < 2) ctx.sink.error(s.words[0], 'status_code needs a value');
        break;
      case 'regex':
      case 'regex_no_match':
      case 'regex_options':
      case 'regex_stack':
      case 'regex_min_offset':
      case 'regex_max_offset':
      case 'virtualhost':
        ctx.notImplemented(s, `url option '${k}'`);
        break;
      default:
        ctx.unknown(s, 'url');
    }
  }
  if (!hasPath) ctx.sink.error(l.words[0], 'url needs a path');
  return u;
}

function parseRealServer(ctx: Ctx, l: Line, d: CheckDefaults, vsPort: number, vsInhibit: boolean): RealServerConfig | undefined {
  const a = ctx.args(l, 1, 2);
  if (!a) return undefined;
  const ip = ctx.ip(a[0]);
  const port = a[1] ? ctx.port(a[1], l.words[0]) : vsPort; // keepalived allows omitting it (fwmark / DR)
  const rs: RealServerConfig = { ip: ip ?? '', port: port ?? 0, weight: 1, inhibitOnFailure: vsInhibit, checks: [], pos: l.words[0] };
  const defs = { ...d };
  const checks: Line[] = [];
  for (const s of l.block ?? []) {
    const k = s.words[0].value;
    if (RS_IGNORED.has(k)) {
      ctx.notImplemented(s, `real_server option '${k}'`);
      continue;
    }
    if (k === 'TCP_CHECK' || k === 'HTTP_GET' || k === 'MISC_CHECK' || k === 'PING_CHECK') {
      checks.push(s);
      continue;
    }
    if (!ctx.noBlock(s)) continue;
    switch (k) {
      case 'weight':
        rs.weight = ctx.num(s, { max: 65535 }) ?? rs.weight;
        break;
      case 'inhibit_on_failure':
        ctx.noArgs(s);
        rs.inhibitOnFailure = true;
        break;
      default:
        if (!parseTiming(ctx, s, k, defs)) ctx.unknown(s, 'real_server');
    }
  }
  for (const s of checks) {
    const c = parseCheck(ctx, s, defs);
    if (c) rs.checks.push(c);
  }
  if (ip === undefined || port === undefined) return undefined;
  return rs;
}

interface GroupMember {
  vip: string;
  port: number;
}

function parseGroup(ctx: Ctx, l: Line): GroupMember[] {
  const out: GroupMember[] = [];
  for (const s of l.block ?? []) {
    if (s.words[0].value === 'fwmark') {
      ctx.notImplemented(s, 'fwmark virtual servers');
      continue;
    }
    const a = s.words;
    if (a.length !== 2) {
      ctx.sink.error(a[2] ?? a[0], 'a virtual_server_group entry is IP[-LAST] PORT or fwmark N');
      continue;
    }
    const m = /^(\d+\.\d+\.\d+\.)(\d+)(?:-(\d+))?$/.exec(a[0].value);
    const port = ctx.port(a[1], s.words[0]);
    if (!m) {
      ctx.ip(a[0]);
      continue;
    }
    const first = Number(m[2]);
    const last = m[3] === undefined ? first : Number(m[3]);
    if (last < first || last > 255) {
      ctx.sink.error(a[0], `bad address range '${a[0].value}'`);
      continue;
    }
    for (let x = first; x <= last; x++) {
      const ip = ctx.ip({ ...a[0], value: m[1] + String(x) });
      if (ip && port !== undefined) out.push({ vip: ip, port });
    }
  }
  return out;
}

function parseVirtualServer(ctx: Ctx, l: Line, groups: Map<string, GroupMember[]>, out: VirtualServerConfig[]): void {
  const a = l.words.slice(1);
  let members: GroupMember[] = [];
  if (a[0]?.value === 'fwmark') {
    ctx.notImplemented(l, 'fwmark virtual servers');
    return;
  }
  if (a[0]?.value === 'group') {
    if (a.length !== 2) {
      ctx.sink.error(l.words[0], 'virtual_server group takes a group name');
      return;
    }
    const g = groups.get(a[1].value);
    if (!g) {
      ctx.sink.error(a[1], `unknown virtual_server_group '${a[1].value}'`);
      return;
    }
    members = g;
  } else {
    if (a.length !== 2) {
      ctx.sink.error(a[2] ?? l.words[0], 'virtual_server takes IP PORT, group NAME or fwmark N');
      return;
    }
    const ip = ctx.ip(a[0]);
    const port = ctx.port(a[1], l.words[0]);
    if (ip === undefined || port === undefined) return;
    members = [{ vip: ip, port }];
  }
  const base: Omit<VirtualServerConfig, 'key' | 'vip' | 'port'> = {
    protocol: 'TCP',
    algo: 'wrr',
    kind: 'NAT', // keepalived's default lb_kind
    hashPort: false,
    persistenceTimeout: 0,
    persistencePrefix: 32,
    delayLoop: 60,
    quorum: 1,
    hysteresis: 0,
    inhibitOnFailure: false,
    alpha: false,
    omega: false,
    realServers: [],
    pos: l.words[0],
  };
  let algoSet = false;
  const defs: CheckDefaults = { connectTimeout: 5, delayLoop: 60 };
  const rsLines: Line[] = [];
  for (const s of l.block ?? []) {
    const k = s.words[0].value;
    if (VS_IGNORED.has(k)) {
      ctx.notImplemented(s, `virtual_server option '${k}'`);
      continue;
    }
    if (k === 'real_server') {
      rsLines.push(s);
      continue;
    }
    if (!ctx.noBlock(s)) continue;
    let v: Token[] | undefined;
    switch (k) {
      case 'lb_algo':
      case 'lvs_sched':
        if ((v = ctx.args(s, 1, 1))) {
          if (!(LB_ALGOS as readonly string[]).includes(v[0].value)) ctx.sink.error(v[0], `unknown scheduler '${v[0].value}' (one of ${LB_ALGOS.join(', ')})`);
          else {
            base.algo = v[0].value as LbAlgo;
            base.algoPos = v[0];
            algoSet = true;
          }
        }
        break;
      case 'lb_kind':
      case 'lvs_method':
        if ((v = ctx.args(s, 1, 1))) {
          const m = v[0].value.toUpperCase();
          if (m !== 'NAT' && m !== 'DR' && m !== 'TUN') ctx.sink.error(v[0], `unknown forwarding method '${v[0].value}' (NAT, DR or TUN)`);
          else base.kind = m;
        }
        break;
      case 'protocol':
        if ((v = ctx.args(s, 1, 1))) {
          const p = v[0].value.toUpperCase();
          if (p === 'TCP' || p === 'UDP') base.protocol = p;
          else if (p === 'SCTP') ctx.sink.error(v[0], 'SCTP is not supported by the nft engine');
          else ctx.sink.error(v[0], `unknown protocol '${v[0].value}' (TCP or UDP)`);
        }
        break;
      case 'persistence_timeout':
        // keepalived: the keyword alone means 6 minutes.
        base.persistenceTimeout = s.words.length === 1 ? 360 : (ctx.num(s, { min: 1, max: 31 * 86400 }) ?? 0);
        break;
      case 'persistence_granularity':
        if ((v = ctx.args(s, 1, 1))) {
          const len = maskLength(v[0].value);
          if (len === undefined) ctx.sink.error(v[0], `'${v[0].value}' is not a netmask`);
          else base.persistencePrefix = len;
        }
        break;
      case 'delay_loop':
        parseTiming(ctx, s, k, defs);
        base.delayLoop = defs.delayLoop;
        break;
      case 'connect_timeout':
      case 'retry':
      case 'delay_before_retry':
        parseTiming(ctx, s, k, defs);
        break;
      case 'quorum':
        base.quorum = ctx.num(s, { min: 1, max: 1 << 30 }) ?? base.quorum;
        break;
      case 'hysteresis':
        base.hysteresis = ctx.num(s, { max: 1 << 30 }) ?? base.hysteresis;
        break;
      case 'sorry_server':
        if ((v = ctx.args(s, 1, 2))) {
          const ip = ctx.ip(v[0]);
          const port = v[1] ? ctx.port(v[1], s.words[0]) : members[0]?.port;
          if (ip !== undefined && port !== undefined) base.sorryServer = { ip, port };
        }
        break;
      case 'inhibit_on_failure':
      case 'alpha':
      case 'omega':
        ctx.noArgs(s);
        if (k === 'inhibit_on_failure') base.inhibitOnFailure = true;
        else if (k === 'alpha') base.alpha = true;
        else {
          base.omega = true;
          ctx.sink.warning(s.words[0], 'omega is accepted; Triad runs no quorum_down script on exit');
        }
        break;
      case 'mh-port':
      case 'sh-port':
        ctx.noArgs(s);
        base.hashPort = true;
        break;
      case 'triad_interface':
        if ((v = ctx.args(s, 1, 1))) base.iface = v[0].value;
        break;
      case 'lb_datapath':
        if ((v = ctx.args(s, 1, 1))) {
          const d = datapathOf(v[0].value);
          if (d) base.datapath = d;
          else ctx.sink.error(v[0], `unknown datapath '${v[0].value}' (nft or packet)`);
        }
        break;
      default:
        ctx.unknown(s, 'virtual_server');
    }
  }
  if (!algoSet) {
    // keepalived leaves the choice to IPVS, whose default is wlc; the nft engine cannot serve wlc.
    ctx.sink.warning(l.words[0], 'no lb_algo: keepalived would use IPVS\'s default wlc, which the nft engine cannot serve; using wrr');
  }
  for (const s of rsLines) {
    const rs = parseRealServer(ctx, s, defs, members[0]?.port ?? 0, base.inhibitOnFailure);
    if (!rs) continue;
    if (base.kind === 'DR' && members.some((m) => m.port !== rs.port)) {
      ctx.sink.error(s.words[2] ?? s.words[0], 'in DR mode the real server port must equal the virtual server port (the packet is not rewritten)');
    }
    base.realServers.push(rs);
  }
  for (const m of members) {
    const key = `${m.vip}:${m.port}/${base.protocol}`;
    if (out.some((o) => o.key === key)) {
      ctx.sink.error(l.words[0], `virtual server ${key} is defined twice`);
      continue;
    }
    out.push({ ...base, key, vip: m.vip, port: m.port, realServers: base.realServers.map((r) => ({ ...r })) });
  }
}

function datapathOf(v: string): 'nft' | 'packet' | undefined {
  const d = v.toLowerCase();
  return d === 'nft' || d === 'nftables' ? 'nft' : d === 'packet' || d === 'userspace' ? 'packet' : undefined;
}

function maskLength(text: string): number | undefined {
  if (/^[0-9]{1,2}$/.test(text) && Number(text) <= 32) return Number(text);
  const a = parseAddress(text);
  if (!a || a.family !== 4) return undefined;
  const n = ipv4FromBytes(a.bytes);
  let len = 0;
  while (len < 32 && n & (0x80000000 >>> len)) len++;
  return ((n << len) >>> 0) === 0 || len === 32 ? len : undefined;
}

const TOP_VRRP_IGNORED = new Set(['vrrp_track_process', 'track_file', 'vrrp_track_file', 'bfd_instance']);
const TOP_IGNORED = new Set(['static_ipaddress', 'static_routes', 'static_rules', 'linkbeat_interfaces', 'garp_group', 'net_namespace', 'instance']);

/** Parses keepalived.conf text (and its includes); diagnostics go to the sink. */
export function parseKeepalivedConf(file: string, text: string, sink: DiagnosticSink): KeepalivedConfig {
  const ctx = new Ctx(sink);
  const files: string[] = [];
  const lines = loadLines(file, text, sink, files, []);
  const groups = new Map<string, GroupMember[]>();
  const vss: VirtualServerConfig[] = [];
  // Groups first: keepalived allows `virtual_server group` before its definition.
  for (const l of lines) {
    if (l.words[0].value !== 'virtual_server_group') continue;
    const a = ctx.args(l, 1, 1);
    if (a) groups.set(a[0].value, parseGroup(ctx, l));
  }
  let datapath: 'nft' | 'packet' | undefined;
  let syncDaemon: SyncDaemonConfig | undefined;
  let syncKey: string | undefined;
  for (const l of lines) {
    const k = l.words[0].value;
    if (k === 'virtual_server_group') continue;
    if (k === 'global_defs') {
      // Triad's own keyword in global_defs; the rest of the block is keepalived's and ignored.
      for (const g of l.block ?? []) {
        if (g.words[0].value === 'lvs_sync_daemon') syncDaemon = parseSyncDaemon(g.words, sink);
        else if (g.words[0].value === 'triad_sync_key') {
          if (g.words.length === 2) syncKey = g.words[1].value;
          else sink.error(g.words[0], 'triad_sync_key takes one word, the shared secret of connection sync');
        }
        if (g.words[0].value !== 'lb_datapath') continue;
        const d = g.words[1] ? datapathOf(g.words[1].value) : undefined;
        if (d) datapath = d;
        else sink.error(g.words[1] ?? g.words[0], 'lb_datapath takes nft or packet');
      }
      continue; // its VRRP keys are read by parseVrrp; keepalived's others do not concern Triad
    }
    if (k === 'virtual_server') parseVirtualServer(ctx, l, groups, vss);
    else if (isVrrpTopLevel(k)) continue;
    else if (TOP_VRRP_IGNORED.has(k)) sink.warning(l.words[0], `${k} ${l.words[1]?.value ?? ''}: accepted but not implemented by Triad; this block is ignored`.replace(' :', ':'));
    else if (TOP_IGNORED.has(k)) sink.warning(l.words[0], `${k} is accepted and ignored by Triad`);
    else ctx.unknown(l, 'the top level');
  }
  const vrrp = parseVrrp(ctx, lines);
  if (syncDaemon && syncKey !== undefined) syncDaemon.key = syncKey;
  return { virtualServers: vss, files, datapath, vrrp, syncDaemon };
}

/** Reads and parses a keepalived.conf file; never throws for syntax, reports to the sink. */
export function loadKeepalivedConf(file: string, sink: DiagnosticSink): KeepalivedConfig {
  return loadConfigFile(file, sink, parseKeepalivedConf) ?? { virtualServers: [], files: [], vrrp: emptyVrrpConfig() };
}

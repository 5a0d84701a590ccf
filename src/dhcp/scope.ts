// Scope resolution: which shared network and subnet a request belongs to, which host
// declaration and classes the client has, and the scopes (most specific first) its
// parameters and options are looked up in (dhcpd.conf(5) "REFERENCE: DECLARATIONS").

import type { DhcpdConf, Host, Params, Pool, Scope, SharedNetwork, Subnet } from '../config/dhcpd-conf.js';
import { evaluate, memberships, type EvalEnv, type Membership } from './classify.js';
import { clientKey } from './lease.js';
import { OPT, type DhcpPacket } from './packet.js';
import { AGENT_SUBOPT } from '../wire/dhcp-options.js';
import type { EngineState, LinkInfo } from './engine.js';
import { keptCopy } from './kept-bytes.js';

export function chain(scope: Scope | undefined): Scope[] {
  const out: Scope[] = [];
  for (let s = scope; s; s = s.parent) out.push(s);
  return out;
}

/** A configuration's scopes never change once loaded: each one's chain is built once. */
const chains = new WeakMap<Scope, Scope[]>();
const sharedChains = new WeakSet<readonly Scope[]>();

/**
 * chain(scope), the same (frozen) array every time: what the scope list of a client without
 * a host declaration, classes or `if` statements is, so per-list answers can be kept with it.
 */
export function sharedChain(scope: Scope): Scope[] {
  let c = chains.get(scope);
  if (!c) {
    const list: SharedList = chain(scope);
    // Its parameters resolved once (most specific first wins, as param() walks them).
    const resolved = new Map<string, unknown>();
    for (const s of list) for (const [k, v] of Object.entries(s.params)) if (v !== undefined && !resolved.has(k)) resolved.set(k, v);
    list[RESOLVED] = resolved;
    c = Object.freeze(list) as Scope[];
    chains.set(scope, c);
    sharedChains.add(c);
  }
  return c;
}

const RESOLVED = Symbol('resolved params');
/** A shared chain carries its parameters resolved. */
interface SharedList extends Array<Scope> {
  [RESOLVED]?: Map<string, unknown>;
}

/** True for a list from sharedChain (it lives as long as its configuration). */
export const isSharedChain = (scopes: readonly Scope[]): boolean => sharedChains.has(scopes);

/**
 * Most specific first: host (its groups up to global, excluding the network's), classes,
 * pool/subnet chain; each scope preceded by the branches of its `if` chains that match.
 */
export function scopeList(c: Client, base: Scope, classScopes: Scope[] = c.classes.scopes): Scope[] {
  // The common case (no host, no classes, no `if`): the pool's or subnet's own chain.
  if (!c.host && classScopes.length === 0 && !c.conf.hasConditionals) return sharedChain(base);
  const baseChain = chain(base);
  const seen = new Set(baseChain);
  const out: Scope[] = [];
  if (c.host) for (const s of chain(c.host.scope)) if (!seen.has(s) && s.kind !== 'global') out.push(s);
  out.push(...classScopes, ...baseChain);
  if (!c.conf.hasConditionals) return out;
  const env: EvalEnv = { req: c.req, conf: c.conf.conf, known: c.host !== undefined };
  const expanded: Scope[] = [];
  const add = (s: Scope): void => {
    for (const ch of s.conditionals ?? []) {
      const hit = ch.find((b) => b.cond === undefined || evaluate(b.cond, env) === true);
      if (hit) add(hit.scope);
    }
    expanded.push(s);
  };
  for (const s of out) add(s);
  return expanded;
}

export function param<K extends keyof Params>(scopes: Scope[], k: K): Params[K] | undefined {
  const resolved = (scopes as SharedList)[RESOLVED];
  // The map holds, under each key, that key's value from the scopes (see sharedChain).
  if (resolved) return resolved.get(k) as Params[K] | undefined;
  for (const s of scopes) if (s.params[k] !== undefined) return s.params[k];
  return undefined;
}

/** One option's value as options(scopes) would have it, without merging the rest. */
export function option(scopes: Scope[], code: number): Buffer | undefined {
  for (const s of scopes) {
    const v = s.options.get(code);
    if (v !== undefined) return v;
  }
  return undefined;
}

export function options(scopes: Scope[]): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  for (let i = scopes.length - 1; i >= 0; i--) for (const [c, v] of scopes[i].options) m.set(c, v);
  return m;
}

// ---- network selection ---------------------------------------------------------------

export const inSubnet = (s: Subnet, ip: number): boolean => (ip & s.mask) >>> 0 === s.network;

export function subnetFor(conf: DhcpdConf, ip: number): Subnet | undefined {
  let best: Subnet | undefined;
  for (const s of conf.subnets) if (inSubnet(s, ip) && (!best || s.mask >>> 0 > best.mask >>> 0)) best = s;
  return best;
}

function relayLinkSelection(req: DhcpPacket): number | undefined {
  // RFC 3527 link-selection sub-option of RAI, then RFC 3011 subnet selection.
  const rai = req.options.get(OPT.AGENT_INFO);
  if (rai) {
    for (let i = 0; i + 1 < rai.length; ) {
      const code = rai[i];
      const len = rai[i + 1];
      if (code === AGENT_SUBOPT.LINK_SELECTION && len === 4 && i + 6 <= rai.length) return rai.readUInt32BE(i + 2);
      i += 2 + len;
    }
  }
  const sel = req.options.get(OPT.SUBNET_SELECTION);
  if (sel && sel.length === 4) return sel.readUInt32BE(0);
  return undefined;
}

export interface Where {
  network: SharedNetwork;
  /** Subnet the request came from (giaddr's, or the link's). */
  subnet: Subnet;
  serverId: number;
}

export function locate(conf: DhcpdConf, req: DhcpPacket, link: LinkInfo): Where | undefined {
  const primary = link.addresses[0]?.ip ?? 0;
  if (req.giaddr !== 0) {
    const s = subnetFor(conf, relayLinkSelection(req) ?? req.giaddr);
    return s ? { network: s.sharedNetwork, subnet: s, serverId: primary } : undefined;
  }
  for (const a of link.addresses) {
    const s = subnetFor(conf, a.ip);
    if (s) return { network: s.sharedNetwork, subnet: s, serverId: a.ip };
  }
  return undefined;
}

export function poolOf(net: SharedNetwork, ip: number): Pool | undefined {
  for (const p of net.pools) for (const r of p.ranges) if (ip >= r.start && ip <= r.end) return p;
  return undefined;
}

// ---- hosts and classes -----------------------------------------------------------------

function findHost(conf: DhcpdConf, req: DhcpPacket): Host | undefined {
  const uid = req.options.get(OPT.CLIENT_ID);
  const hw = req.chaddr.subarray(0, Math.min(req.hlen, 16));
  let byHw: Host | undefined;
  for (const h of conf.hosts) {
    if (h.uid && uid && h.uid.equals(uid)) return h;
    if (!byHw && h.hwAddr && h.hwType === req.htype && h.hwAddr.equals(hw)) byHw = h;
  }
  return byHw;
}

export function fixedFor(st: EngineState, host: Host | undefined, net: SharedNetwork): { ip: number; subnet: Subnet } | undefined {
  if (!host) return undefined;
  const cands = [...host.fixedAddresses];
  for (const n of host.fixedNames) {
    const ip = st.resolveName?.(n);
    if (ip !== undefined) cands.push(ip);
  }
  for (const ip of cands) {
    const s = net.subnets.find((x) => inSubnet(x, ip));
    if (s) return { ip, subnet: s };
  }
  return undefined;
}

// ---- the client ------------------------------------------------------------------------

export interface Client {
  req: DhcpPacket;
  conf: { conf: DhcpdConf; hasConditionals: boolean };
  key: string;
  uid?: Buffer;
  hw: Buffer;
  host?: Host;
  classes: { names: string[]; scopes: Scope[] };
  members: Membership[];
  bootp: boolean;
  /** echo-client-id in the client's network scopes (for NAKs, which carry no other options). */
  echoId?: boolean;
}

const conditionalCache = new WeakMap<DhcpdConf, boolean>();

/** Whether any scope of the file has `if` statements (computed once per configuration). */
function hasConditionals(conf: DhcpdConf): boolean {
  let v = conditionalCache.get(conf);
  if (v === undefined) {
    const scopes: Scope[] = [conf.global, ...conf.sharedNetworks.map((n) => n.scope), ...conf.subnets.map((x) => x.scope), ...conf.pools.map((p) => p.scope), ...conf.hosts.map((h) => h.scope)];
    for (const cl of conf.classes.values()) scopes.push(cl.scope, ...cl.subclasses.values());
    const all = new Set<Scope>();
    for (const s of scopes) for (const x of chain(s)) all.add(x);
    v = [...all].some((s) => (s.conditionals?.length ?? 0) > 0);
    conditionalCache.set(conf, v);
  }
  return v;
}

export function client(conf: DhcpdConf, req: DhcpPacket): Client {
  const host = findHost(conf, req);
  const ignoreUids = conf.global.params.ignoreClientUids === true;
  const uid = ignoreUids ? undefined : req.options.get(OPT.CLIENT_ID);
  const hw = keptCopy(req.chaddr.subarray(0, Math.min(req.hlen, 16)));
  const members = memberships(conf, req, host !== undefined);
  return {
    req,
    conf: { conf, hasConditionals: hasConditionals(conf) },
    key: clientKey(uid, req.htype, hw),
    uid: uid && uid.length ? keptCopy(uid) : undefined,
    hw,
    host,
    classes: { names: members.map((m) => m.cls.name), scopes: members.flatMap((m) => m.scopes) },
    members,
    bootp: !req.options.has(OPT.MESSAGE_TYPE),
  };
}

export function authoritative(scopes: Scope[]): boolean {
  return param(scopes, 'authoritative') === true;
}

// The DHCP server's decisions as a pure function: a request, the configuration, the
// receiving link and the lease state in; a reply, where it goes, and the leases to
// commit (durably, before the reply is sent) out. RFC 2131 §4.3 unless noted.

import type { DhcpdConf, Host, Params, Pool, Scope, SharedNetwork, Subnet } from '../config/dhcpd-conf.js';
import { evaluate, memberships, type EvalEnv, type Membership } from './classify.js';
import { bill, billingClasses, hasBillingClasses, type BillingOutcome } from './billing.js';
import { reusable, reuseLog, type Reuse } from './lease-reuse.js';
import { clientKey, type Lease, type LeaseDb } from './lease.js';
import { arrivalNetworkChecked, classifyRequest } from './request-state.js';
import { BOOTREPLY, DEFAULT_MAX_MESSAGE, MSG_NAMES, MsgType, OPT, cString, formatHw, type DhcpPacket } from './packet.js';
import { formatIPv4 } from '../config/dhcp-options.js';
import { AGENT_SUBOPT } from '../wire/dhcp-options.js';
import type { NameEvent } from '../net/name-registration.js';
import { bindEvent, bindingFor, ddnsEnabled, fqdnReply, OPT_CLIENT_FQDN, OPT_DOMAIN_NAME, type DdnsParams } from './ddns.js';

export interface LinkAddress {
  ip: number;
  prefixLen: number;
}

/** The interface a request arrived on. */
export interface LinkInfo {
  name: string;
  index: number;
  mac: Buffer;
  addresses: LinkAddress[];
}

export type Destination =
  | { kind: 'relay'; ip: number; port: number } // giaddr, server port (RFC 2131 §4.1)
  | { kind: 'unicast'; ip: number } // ciaddr: the client has an address, the kernel can route/ARP
  | { kind: 'broadcast' } // 255.255.255.255 / ff:ff:ff:ff:ff:ff
  | { kind: 'hw'; mac: Buffer; ip: number }; // yiaddr at chaddr, no ARP entry needed

export interface Reply {
  packet: DhcpPacket;
  order: number[];
  maxSize: number;
  dest: Destination;
}

export interface Decision {
  reply?: Reply;
  /** Leases to write durably before the reply is sent. */
  commit: Lease[];
  /** One ISC-style log line (`DHCPACK on … to … via …`), built only when logged. */
  log: () => string;
  /** ping-check: echo this address first (timeout in ms); if it answers, call abandonProbed and ask again. */
  probe?: { ip: number; timeoutMs: number };
  /** Host names to publish once the commit is durable (DHCP names in DNS). */
  names?: NameEvent[];
}

export interface EngineState {
  conf: DhcpdConf;
  db: LeaseDb;
  /** Pool scan cursors, so allocation does not rescan used addresses. */
  cursors: Map<Pool, number>;
  /** How long an OFFER reserves its address (ms). */
  offerHoldMs: number;
  /** Quarantine of a DECLINEd address (s), ISC's abandon-lease-time default. */
  abandonSec: number;
  /** Fixed-address names resolved by the service (Triad's own zones). */
  resolveName?: (name: string) => number | undefined;
}

export function newEngineState(conf: DhcpdConf, db: LeaseDb): EngineState {
  return { conf, db, cursors: new Map(), offerHoldMs: 60_000, abandonSec: 86_400 };
}

const BROADCAST_FLAG = 0x8000;

// ---- scope resolution --------------------------------------------------------------

function chain(scope: Scope | undefined): Scope[] {
  const out: Scope[] = [];
  for (let s = scope; s; s = s.parent) out.push(s);
  return out;
}

/**
 * Most specific first: host (its groups up to global, excluding the network's), classes,
 * pool/subnet chain; each scope preceded by the branches of its `if` chains that match.
 */
function scopeList(c: Client, base: Scope, classScopes: Scope[] = c.classes.scopes): Scope[] {
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

function param<K extends keyof Params>(scopes: Scope[], k: K): Params[K] | undefined {
  for (const s of scopes) if (s.params[k] !== undefined) return s.params[k];
  return undefined;
}

function options(scopes: Scope[]): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  for (let i = scopes.length - 1; i >= 0; i--) for (const [c, v] of scopes[i].options) m.set(c, v);
  return m;
}

// ---- network selection ---------------------------------------------------------------

const inSubnet = (s: Subnet, ip: number): boolean => (ip & s.mask) >>> 0 === s.network;

function subnetFor(conf: DhcpdConf, ip: number): Subnet | undefined {
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

interface Where {
  network: SharedNetwork;
  /** Subnet the request came from (giaddr's, or the link's). */
  subnet: Subnet;
  serverId: number;
}

function locate(conf: DhcpdConf, req: DhcpPacket, link: LinkInfo): Where | undefined {
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

function fixedFor(st: EngineState, host: Host | undefined, net: SharedNetwork): { ip: number; subnet: Subnet } | undefined {
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

function permitted(pool: Pool, known: boolean, classes: string[], bootp: boolean): boolean {
  const matches = (p: Pool['allow'][number]): boolean => {
    switch (p.kind) {
      case 'known-clients':
        return known;
      case 'unknown-clients':
        return !known;
      case 'members-of':
        return classes.includes(p.cls);
      case 'dynamic-bootp':
        return bootp;
      case 'all-clients':
      case 'authenticated':
        return true;
      case 'unauthenticated':
        return false;
    }
  };
  if (pool.deny.some(matches)) return false;
  if (pool.allow.length && !pool.allow.some(matches)) return false;
  return true;
}

function poolOf(net: SharedNetwork, ip: number): Pool | undefined {
  for (const p of net.pools) for (const r of p.ranges) if (ip >= r.start && ip <= r.end) return p;
  return undefined;
}

// ---- the client ------------------------------------------------------------------------

interface Client {
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

function client(conf: DhcpdConf, req: DhcpPacket): Client {
  const host = findHost(conf, req);
  const ignoreUids = conf.global.params.ignoreClientUids === true;
  const uid = ignoreUids ? undefined : req.options.get(OPT.CLIENT_ID);
  const hw = Buffer.from(req.chaddr.subarray(0, Math.min(req.hlen, 16)));
  const members = memberships(conf, req, host !== undefined);
  return {
    req,
    conf: { conf, hasConditionals: hasConditionals(conf) },
    key: clientKey(uid, req.htype, hw),
    uid: uid && uid.length ? Buffer.from(uid) : undefined,
    hw,
    host,
    classes: { names: members.map((m) => m.cls.name), scopes: members.flatMap((m) => m.scopes) },
    members,
    bootp: !req.options.has(OPT.MESSAGE_TYPE),
  };
}

// ---- allocation ----------------------------------------------------------------------------

interface Choice {
  ip: number;
  scopes: Scope[];
  fixed: boolean;
  existing?: Lease;
  /** The address was already on offer to this client (probed then, not again). */
  reoffer?: boolean;
}

function usableFor(st: EngineState, c: Client, ip: number, net: SharedNetwork, nowMs: number): Choice | undefined {
  const pool = poolOf(net, ip);
  if (!pool) return undefined;
  if (!permitted(pool, c.host !== undefined, c.classes.names, c.bootp)) return undefined;
  if (c.bootp && !pool.ranges.some((r) => r.dynamicBootp && ip >= r.start && ip <= r.end)) return undefined;
  if (st.db.takenByOther(ip, c.key, Math.floor(nowMs / 1000), nowMs)) return undefined;
  const l = st.db.get(ip);
  return { ip, scopes: scopeList(c, pool.scope), fixed: false, existing: l };
}

function allocate(st: EngineState, c: Client, where: Where, nowMs: number, requested?: number): Choice | undefined {
  const net = where.network;
  const fixed = fixedFor(st, c.host, net);
  if (fixed) return { ip: fixed.ip, scopes: scopeList(c, fixed.subnet.scope), fixed: true };
  if (c.host && param(scopeList(c, net.scope, []), 'booting') === false) return undefined;
  if (!c.host && param(chain(where.subnet.scope), 'unknownClients') === false) return undefined;
  // 0. The address already offered to this client: a retransmitted DISCOVER (same xid or
  // not) gets the same answer, and the client never holds two (RFC 2131 §4.3.1).
  const held = st.db.offers.heldFor(c.key, nowMs);
  if (held !== undefined) {
    const u = usableFor(st, c, held, net, nowMs);
    if (u) return { ...u, reoffer: true };
  }
  // 1. The client's own lease on this network (RFC 2131 §4.3.1: previous address first).
  const own = [...st.db.forKey(c.key), ...(c.uid ? [] : st.db.forHw(c.req.htype, c.hw).filter((l) => !l.uid))];
  own.sort((a, b) => (b.state === 'active' ? 1 : 0) - (a.state === 'active' ? 1 : 0) || b.ends - a.ends);
  for (const l of own) {
    if (l.state === 'abandoned') continue;
    const u = usableFor(st, c, l.ip, net, nowMs);
    if (u) return u;
  }
  // 2. The address the client asked for.
  if (requested) {
    const u = usableFor(st, c, requested, net, nowMs);
    if (u) return u;
  }
  // 3. A free address: never-used first, from a per-pool cursor; then the longest-expired.
  const nowSec = Math.floor(nowMs / 1000);
  let oldest: Choice | undefined;
  let oldestEnds = Infinity;
  let stealable: { ip: number; expires: number; pool: Pool } | undefined;
  for (const pool of net.pools) {
    if (!permitted(pool, c.host !== undefined, c.classes.names, c.bootp)) continue;
    const size = pool.ranges.reduce((n, r) => n + (r.end - r.start + 1), 0);
    if (size === 0) continue;
    let cur = st.cursors.get(pool) ?? 0;
    for (let k = 0; k < size; k++, cur = (cur + 1) % size) {
      const ip = addrAt(pool, cur);
      if (c.bootp && !pool.ranges.some((r) => r.dynamicBootp && ip >= r.start && ip <= r.end)) continue;
      if (!net.subnets.some((s) => inSubnet(s, ip) && ip !== s.network && ip !== (s.network | ~s.mask) >>> 0)) continue;
      const o = st.db.offers.get(ip);
      if (o && o.expires > nowMs && o.key !== c.key) {
        // Offered to another client: a last resort when the pool is exhausted (see below).
        const l0 = st.db.get(ip);
        const boundElsewhere = l0 && (l0.state === 'abandoned' || l0.state === 'active') && l0.ends > nowSec;
        if (!boundElsewhere && (!stealable || o.expires < stealable.expires)) stealable = { ip, expires: o.expires, pool };
        continue;
      }
      if (st.db.takenByOther(ip, c.key, nowSec, nowMs)) continue;
      const l = st.db.get(ip);
      if (!l) {
        st.cursors.set(pool, (cur + 1) % size);
        return { ip, scopes: scopeList(c, pool.scope), fixed: false };
      }
      if (l.state !== 'active' || l.ends <= nowSec) {
        if (l.ends < oldestEnds) {
          oldestEnds = l.ends;
          oldest = { ip, scopes: scopeList(c, pool.scope), fixed: false, existing: l };
        }
      }
    }
  }
  if (oldest) return oldest;
  // Every address is bound or on offer. An OFFER is no commitment (RFC 2131 §4.3.1 "SHOULD
  // reserve"): take the oldest outstanding offer, so a flood of DISCOVERs cannot starve the
  // pool. Its first client then gets a NAK for it, never a second ACK.
  if (stealable) {
    st.db.offers.delete(stealable.ip);
    return { ip: stealable.ip, scopes: scopeList(c, stealable.pool.scope), fixed: false, existing: st.db.get(stealable.ip) };
  }
  return undefined;
}

function addrAt(pool: Pool, n: number): number {
  for (const r of pool.ranges) {
    const size = r.end - r.start + 1;
    if (n < size) return (r.start + n) >>> 0;
    n -= size;
  }
  return 0;
}

// ---- replies -------------------------------------------------------------------------------

function leaseTime(scopes: Scope[], req: DhcpPacket, bootp: boolean): number {
  if (bootp) return param(scopes, 'dynamicBootpLeaseLength') ?? 0xffffffff;
  const def = param(scopes, 'defaultLeaseTime') ?? 43200;
  const max = param(scopes, 'maxLeaseTime') ?? 86400;
  const min = param(scopes, 'minLeaseTime') ?? 0;
  const asked = req.options.get(OPT.LEASE_TIME);
  let t = asked && asked.length === 4 ? asked.readUInt32BE(0) : def;
  if (t > max) t = max;
  if (t < min) t = min;
  return t;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function textField(s: string | undefined, size: number): Buffer {
  const b = Buffer.alloc(size);
  if (s) b.write(s.slice(0, size - 1), 'latin1');
  return b;
}

function maxSize(req: DhcpPacket): number {
  const mms = req.options.get(OPT.MAX_SIZE);
  // RFC 2132 §9.10: at least 576; the value counts the IP and UDP headers (as ISC reads it).
  if (mms && mms.length === 2) return Math.max(DEFAULT_MAX_MESSAGE, mms.readUInt16BE(0) - 28);
  return DEFAULT_MAX_MESSAGE;
}

/** Options in the order the client asked (option 55), subnet mask before routers (RFC 2132 §3.3). */
function optionOrder(req: DhcpPacket, available: Map<number, Buffer>, head: number[]): number[] {
  const out = [...head];
  const seen = new Set(head);
  const prl = req.options.get(OPT.PRL);
  const wanted = prl ? [...prl] : [...available.keys()].sort((a, b) => a - b);
  if (prl && available.has(OPT.SUBNET_MASK) && !prl.includes(OPT.SUBNET_MASK) && prl.includes(OPT.ROUTERS)) wanted.unshift(OPT.SUBNET_MASK);
  const ri = wanted.indexOf(OPT.ROUTERS);
  const mi = wanted.indexOf(OPT.SUBNET_MASK);
  if (ri >= 0 && mi > ri) {
    wanted.splice(mi, 1);
    wanted.splice(ri, 0, OPT.SUBNET_MASK);
  }
  for (const c of wanted) {
    if (seen.has(c) || !available.has(c) || c === OPT.AGENT_INFO) continue;
    seen.add(c);
    out.push(c);
  }
  return out;
}

function destination(req: DhcpPacket, reply: DhcpPacket, type: number, scopes: Scope[]): Destination {
  if (req.giaddr !== 0) return { kind: 'relay', ip: req.giaddr, port: 67 };
  if (type === MsgType.NAK) return { kind: 'broadcast' };
  if (req.ciaddr !== 0) return { kind: 'unicast', ip: req.ciaddr };
  if (req.flags & BROADCAST_FLAG || param(scopes, 'alwaysBroadcast')) return { kind: 'broadcast' };
  if (req.htype === 1 && req.hlen === 6 && reply.yiaddr !== 0) return { kind: 'hw', mac: Buffer.from(req.chaddr.subarray(0, 6)), ip: reply.yiaddr };
  return { kind: 'broadcast' };
}

function buildReply(c: Client, type: number | undefined, yiaddr: number, serverId: number, scopes: Scope[], lease: number | undefined, net: Subnet | undefined): Reply {
  const req = c.req;
  const conf = scopes;
  const opts = options(conf);
  if (net && !opts.has(OPT.SUBNET_MASK)) opts.set(OPT.SUBNET_MASK, u32(net.mask));
  // dhcpd.conf(5) use-host-decl-names: the host declaration's name is the client's host-name.
  if (c.host && param(conf, 'useHostDeclNames') === true && !opts.has(OPT.HOST_NAME)) opts.set(OPT.HOST_NAME, Buffer.from(c.host.name, 'latin1'));
  const p: DhcpPacket = {
    op: BOOTREPLY,
    htype: req.htype,
    hlen: req.hlen,
    hops: req.hops,
    xid: req.xid,
    secs: 0,
    flags: req.flags,
    ciaddr: type === MsgType.ACK || type === MsgType.INFORM ? req.ciaddr : 0,
    yiaddr,
    siaddr: param(conf, 'nextServer') ?? 0,
    giaddr: req.giaddr,
    chaddr: Buffer.from(req.chaddr),
    sname: textField(param(conf, 'serverName'), 64),
    file: textField(param(conf, 'filename'), 128),
    cookie: req.cookie || param(conf, 'alwaysReplyRfc1048') === true,
    options: new Map(),
  };
  const head: number[] = [];
  if (type !== undefined) {
    p.options.set(OPT.MESSAGE_TYPE, Buffer.from([type === MsgType.INFORM ? MsgType.ACK : type]));
    head.push(OPT.MESSAGE_TYPE);
  }
  p.options.set(OPT.SERVER_ID, u32(param(conf, 'serverIdentifier') ?? serverId));
  head.push(OPT.SERVER_ID);
  if (lease !== undefined && type !== MsgType.INFORM) {
    p.options.set(OPT.LEASE_TIME, u32(lease));
    head.push(OPT.LEASE_TIME);
  }
  for (const [k, v] of opts) if (!p.options.has(k)) p.options.set(k, v);
  const order = optionOrder(req, p.options, head);
  if (param(conf, 'echoClientId') === true) {
    // RFC 6842 §3: the client's own identifier goes back; dhcpd then always sends option 61,
    // the configured one when the client sent none, whatever the client asked for.
    const id = req.options.get(OPT.CLIENT_ID);
    if (id) p.options.set(OPT.CLIENT_ID, id);
    if (p.options.has(OPT.CLIENT_ID) && !order.includes(OPT.CLIENT_ID)) order.push(OPT.CLIENT_ID);
  }
  // RFC 3046 §2.2: the relay agent information option is echoed unchanged, last.
  const rai = req.options.get(OPT.AGENT_INFO);
  if (rai && req.giaddr !== 0) {
    p.options.set(OPT.AGENT_INFO, rai);
    order.push(OPT.AGENT_INFO);
  }
  if (!p.cookie) {
    p.options.clear();
    p.vend = undefined;
  }
  const reply: Reply = { packet: p, order, maxSize: maxSize(req), dest: { kind: 'broadcast' } };
  reply.dest = destination(req, p, type ?? 0, conf);
  return reply;
}

function nak(c: Client, serverId: number, why: string): Reply {
  const req = c.req;
  const p: DhcpPacket = {
    op: BOOTREPLY, htype: req.htype, hlen: req.hlen, hops: req.hops, xid: req.xid, secs: 0,
    // RFC 2131 §4.3.2: a NAK is broadcast, and through a relay the flag asks it to
    // broadcast; ISC dhcpd sets the flag on every NAK, so does Triad.
    flags: req.flags | BROADCAST_FLAG,
    ciaddr: 0, yiaddr: 0, siaddr: 0, giaddr: req.giaddr, chaddr: Buffer.from(req.chaddr),
    sname: Buffer.alloc(64), file: Buffer.alloc(128), cookie: true,
    options: new Map([
      [OPT.MESSAGE_TYPE, Buffer.from([MsgType.NAK])],
      [OPT.SERVER_ID, u32(serverId)],
      [OPT.MESSAGE, Buffer.from(why)],
    ]),
  };
  const order: number[] = [OPT.MESSAGE_TYPE, OPT.SERVER_ID, OPT.MESSAGE];
  const id = req.options.get(OPT.CLIENT_ID);
  if (c.echoId && id) {
    // RFC 6842 §3: a NAK, too, carries the client's identifier back.
    p.options.set(OPT.CLIENT_ID, id);
    order.push(OPT.CLIENT_ID);
  }
  const rai = req.options.get(OPT.AGENT_INFO);
  if (rai && req.giaddr !== 0) {
    p.options.set(OPT.AGENT_INFO, rai);
    order.push(OPT.AGENT_INFO);
  }
  return { packet: p, order, maxSize: DEFAULT_MAX_MESSAGE, dest: req.giaddr !== 0 ? { kind: 'relay', ip: req.giaddr, port: 67 } : { kind: 'broadcast' } };
}

function hostname(req: DhcpPacket): string | undefined {
  const h = req.options.get(OPT.HOST_NAME);
  return h && h.length ? h.toString('latin1').replace(/\0+$/, '') : undefined;
}

function via(req: DhcpPacket, link: LinkInfo): string {
  return req.giaddr ? formatIPv4(req.giaddr) : link.name;
}

function bindLease(c: Client, ip: number, secs: number, nowSec: number, billing?: BillingOutcome): Lease {
  return {
    ...(billing?.kind === 'billed' ? { billing: billing.billing } : {}),
    ip,
    starts: nowSec,
    ends: secs >= 0xffffffff ? Infinity : nowSec + secs,
    cltt: nowSec,
    state: 'active',
    hwType: c.req.htype,
    hwAddr: c.hw,
    uid: c.uid,
    hostname: hostname(c.req),
  };
}

function ownsLease(st: EngineState, c: Client, l: Lease): boolean {
  return st.db.forKey(c.key).includes(l) || (!c.uid && !l.uid && l.hwAddr?.equals(c.hw) === true);
}

/**
 * What a dynamic lease about to be offered or acknowledged is billed to (lease limits), and
 * whether the client's current lease is answered unchanged (dhcp-cache-threshold).
 */
function leaseTerms(st: EngineState, c: Client, ch: Choice, nowSec: number): { billing?: BillingOutcome; reuse?: Reuse } {
  if (ch.fixed) return {};
  const l = st.db.get(ch.ip);
  const own = l && l.state === 'active' && l.ends > nowSec && ownsLease(st, c, l) ? l : undefined;
  const billing = hasBillingClasses(st.conf) ? bill(st.db, ch.ip, own?.billing, billingClasses(c.members), nowSec) : undefined;
  if (billing?.kind === 'refused') return { billing };
  // A billing change, or DNS names to maintain, always extends the lease (as dhcpd does).
  const blocked = billing?.changed === true || ddnsEnabled(ddnsParams(ch.scopes));
  return { billing, reuse: reusable(own, nowSec, param(ch.scopes, 'cacheThreshold'), blocked) };
}

const noBilling = (what: string, last: string): string => `${what}: no available billing: lease limit reached in all matching classes (last: '${last}')`;

function ddnsParams(scopes: Scope[]): DdnsParams {
  return {
    style: param(scopes, 'ddnsUpdateStyle'),
    updates: param(scopes, 'ddnsUpdates'),
    domainName: param(scopes, 'ddnsDomainname'),
    revDomainName: param(scopes, 'ddnsRevDomainname'),
    ttl: param(scopes, 'ddnsTtl'),
    clientUpdates: param(scopes, 'clientUpdates'),
    domainOption: options(scopes).get(OPT_DOMAIN_NAME),
  };
}

function authoritative(scopes: Scope[]): boolean {
  return param(scopes, 'authoritative') === true;
}

function ours(st: EngineState, serverIds: Set<number>, sid: number): boolean {
  if (serverIds.has(sid)) return true;
  for (const s of st.conf.subnets) if (s.scope.params.serverIdentifier === sid) return true;
  return st.conf.global.params.serverIdentifier === sid;
}

/**
 * A relayed DHCPREQUEST from a link no subnet declares, naming an address on a subnet this
 * server is authoritative for: the client is not where it thinks it is, so it gets a NAK
 * (ISC dhcpd does the same); without `authoritative` it is ignored.
 */
function wrongNetworkFromUnknownLink(st: EngineState, req: DhcpPacket, link: LinkInfo, broadcast?: boolean): Decision | undefined {
  if (req.giaddr === 0) return undefined;
  const target = classifyRequest(req, broadcast).target;
  const s = target !== undefined ? subnetFor(st.conf, target) : undefined;
  if (!s || target === undefined || !authoritative(chain(s.scope))) return undefined;
  const sid = param(chain(s.scope), 'serverIdentifier') ?? link.addresses[0]?.ip ?? 0;
  return { reply: nak(client(st.conf, req), sid, 'wrong network'), commit: [], log: () => `DHCPNAK on ${formatIPv4(target)} to ${formatHw(req)} via ${via(req, link)}: wrong network (the relay's link has no subnet declaration)` };
}

/**
 * Decides the answer to one request. `serverIds` are all of this server's addresses;
 * `broadcast` says whether the request was sent to 255.255.255.255 (RENEWING is unicast,
 * REBINDING broadcast, RFC 2131 §4.3.2), when the edge knows.
 */
export function handleRequest(st: EngineState, req: DhcpPacket, link: LinkInfo, nowMs: number, serverIds: Set<number>, broadcast?: boolean): Decision {
  const nowSec = Math.floor(nowMs / 1000);
  const typeBuf = req.options.get(OPT.MESSAGE_TYPE);
  const type = typeBuf && typeBuf.length === 1 ? typeBuf[0] : undefined;
  // Only log lines use it: format the MAC lazily (template literals call toString).
  const hw = { toString: (): string => formatHw(req) };
  const name = type !== undefined ? (MSG_NAMES[type] ?? `DHCP type ${type}`) : 'BOOTREQUEST';
  if (typeBuf && typeBuf.length !== 1) return { commit: [], log: () => `${name} from ${hw}: bad message type option; dropped` };
  const where = locate(st.conf, req, link);
  if (!where) {
    const wrong = type === MsgType.REQUEST ? wrongNetworkFromUnknownLink(st, req, link, broadcast) : undefined;
    if (wrong) return wrong;
    return { commit: [], log: () => `${name} from ${hw} via ${via(req, link)}: no subnet declaration; ignored` };
  }
  const c = client(st.conf, req);
  const netScopes = scopeList(c, where.subnet.scope);
  c.echoId = param(netScopes, 'echoClientId') === true;
  const sid = param(netScopes, 'serverIdentifier') ?? where.serverId;
  const requested = req.options.get(OPT.REQUESTED_ADDRESS);
  const reqIp = requested && requested.length === 4 ? requested.readUInt32BE(0) : undefined;

  if (type === undefined) {
    // RFC 951/1542 BOOTP: fixed hosts, or dynamic-bootp ranges when bootp is allowed.
    if (param(netScopes, 'bootp') === false) return { commit: [], log: () => `BOOTREQUEST from ${hw}: bootp denied` };
    const ch = allocate(st, c, where, nowMs);
    if (!ch) return { commit: [], log: () => `BOOTREQUEST from ${hw} via ${via(req, link)}: no dynamic-bootp address available` };
    const secs = leaseTime(ch.scopes, req, true);
    const reply = buildReply(c, undefined, ch.ip, sid, ch.scopes, undefined, subnetFor(st.conf, ch.ip));
    const commit = ch.fixed ? [] : [bindLease(c, ch.ip, secs, nowSec)];
    for (const l of commit) st.db.put(l);
    return { reply, commit, log: () => `BOOTREPLY for ${formatIPv4(ch.ip)} to ${c.host?.name ?? hw} via ${via(req, link)}` };
  }

  switch (type) {
    case MsgType.DISCOVER: {
      const ch = allocate(st, c, where, nowMs, reqIp);
      if (!ch) return { commit: [], log: () => `DHCPDISCOVER from ${hw} via ${via(req, link)}: network ${where.network.name}: no free leases` };
      const terms = leaseTerms(st, c, ch, nowSec);
      const billing = terms.billing;
      if (billing?.kind === 'refused') return { commit: [], log: () => noBilling(`DHCPDISCOVER from ${hw} via ${via(req, link)}`, billing.last) };
      const reuse = terms.reuse;
      const secs = reuse?.remaining ?? leaseTime(ch.scopes, req, false);
      if (!ch.fixed) st.db.offers.set(ch.ip, { key: c.key, expires: nowMs + st.offerHoldMs });
      const reply = buildReply(c, MsgType.OFFER, ch.ip, sid, ch.scopes, secs, subnetFor(st.conf, ch.ip));
      // RFC 2131 §2.2 / ISC ping-check: probe addresses new to this client; not fixed ones,
      // not the client's own still-active lease, not the one already on offer to it.
      const ownActive = ch.existing && ch.existing.state === 'active' && ch.existing.ends > nowSec && st.db.forKey(c.key).includes(ch.existing);
      const probe = !ch.fixed && !ownActive && !ch.reoffer && param(ch.scopes, 'pingCheck') === true ? { ip: ch.ip, timeoutMs: (param(ch.scopes, 'pingTimeout') ?? 1) * 1000 } : undefined;
      return { reply, commit: [], probe, log: () => `DHCPOFFER on ${formatIPv4(ch.ip)} to ${hw}${c.host ? ` (${c.host.name})` : ''} via ${via(req, link)}${reuse ? `; ${reuseLog(reuse, formatIPv4(ch.ip))}` : ''}` };
    }
    case MsgType.REQUEST: {
      const kind = classifyRequest(req, broadcast);
      const state = kind.state;
      if (state === 'SELECTING' && kind.serverId !== undefined && !ours(st, serverIds, kind.serverId) && kind.serverId !== sid) {
        // The client chose another server: our offer is released (RFC 2131 §3.1 step 4, §4.3.2).
        st.db.offers.releaseFor(c.key);
        return { commit: [], log: () => `DHCPREQUEST for ${reqIp !== undefined ? formatIPv4(reqIp) : '?'} (${formatIPv4(kind.serverId!)}) from ${hw}: not us` };
      }
      if (kind.target === undefined) return { commit: [], log: () => `DHCPREQUEST from ${hw}: ${state} without requested address; dropped` };
      const target = kind.target;
      const auth = authoritative(netScopes);
      const nakFor = (why: string, note: string): Decision => ({ reply: nak(c, sid, why), commit: [], log: () => `DHCPNAK on ${formatIPv4(target)} to ${hw} via ${via(req, link)}: ${note} (${state})` });
      const silent = (note: string): Decision => ({ commit: [], log: () => `DHCPREQUEST for ${formatIPv4(target)} from ${hw} via ${via(req, link)}: ${note} (${state})` });
      let network: SharedNetwork;
      if (arrivalNetworkChecked(req)) {
        if (!where.network.subnets.some((s) => inSubnet(s, target))) return auth ? nakFor('wrong network', 'wrong network') : silent('wrong network; not authoritative, silent');
        network = where.network;
      } else {
        const s = subnetFor(st.conf, target);
        if (!s) return silent('no subnet declares it; silent');
        network = s.sharedNetwork;
      }
      // ISC dhcpd's rules, whatever the state: an address of the client's fixed host or free
      // in a pool it may use is ACKed; one in a pool but not for this client (bound or offered
      // to another, abandoned, a pool it may not use, not its fixed address) is NAKed; one in
      // no pool is no business of ours (silence, with or without `authoritative`).
      const fixed = fixedFor(st, c.host, network);
      let ch: Choice | undefined;
      if (fixed) {
        if (fixed.ip !== target) return nakFor('requested address is incorrect', `not the fixed address ${formatIPv4(fixed.ip)}`);
        ch = { ip: fixed.ip, scopes: scopeList(c, fixed.subnet.scope), fixed: true };
      } else {
        if (!poolOf(network, target)) return silent('in no pool; silent');
        ch = usableFor(st, c, target, network, nowMs);
        if (!ch) return nakFor('requested address not available', 'not available to this client');
      }
      // As for a DISCOVER: `deny unknown-clients;` (outside pools) and `deny booting;` leave
      // the client unanswered, whatever address it asks for.
      if (!c.host && param(ch.scopes, 'unknownClients') === false) return silent('unknown client; silent');
      if (c.host && param(ch.scopes, 'booting') === false) return silent('booting denied; silent');
      const terms = leaseTerms(st, c, ch, nowSec);
      const billing = terms.billing;
      if (billing?.kind === 'refused') return { commit: [], log: () => noBilling(`DHCPREQUEST for ${formatIPv4(target)} from ${hw} via ${via(req, link)}`, billing.last) };
      // dhcp-cache-threshold: the lease is answered as it stands; nothing to write.
      const reuse = terms.reuse;
      const secs = reuse?.remaining ?? leaseTime(ch.scopes, req, false);
      st.db.offers.delete(ch.ip);
      st.db.offers.releaseFor(c.key);
      const commit = ch.fixed || reuse ? [] : [bindLease(c, ch.ip, secs, nowSec, billing)];
      for (const l of commit) st.db.put(l);
      const reply = buildReply(c, MsgType.ACK, ch.ip, sid, ch.scopes, secs, subnetFor(st.conf, ch.ip));
      // ISC update-static-leases defaults to off: fixed addresses get no names.
      const dp = ddnsParams(ch.scopes);
      const binding = commit.length ? bindingFor(dp, req, ch.ip, secs, commit[0].ends, c.key) : undefined;
      const names = bindEvent(binding);
      const asked = req.options.get(OPT_CLIENT_FQDN);
      if (asked && ddnsEnabled(dp) && reply.packet.cookie) {
        // RFC 4702 §4: answer the client's FQDN option, before option 82 (which stays last).
        reply.packet.options.set(OPT_CLIENT_FQDN, fqdnReply(asked, binding));
        const at = reply.order.indexOf(OPT.AGENT_INFO);
        if (at >= 0) reply.order.splice(at, 0, OPT_CLIENT_FQDN);
        else reply.order.push(OPT_CLIENT_FQDN);
      }
      return { reply, commit, names, log: () => `DHCPACK on ${formatIPv4(ch.ip)} to ${hw}${c.host ? ` (${c.host.name})` : ''} via ${via(req, link)} (${state})${reuse ? `; ${reuseLog(reuse, formatIPv4(ch.ip))}` : ''}` };
    }
    case MsgType.RELEASE: {
      const l = st.db.get(req.ciaddr);
      if (!l || l.state !== 'active' || !(st.db.forKey(c.key).includes(l) || l.hwAddr?.equals(c.hw))) {
        return { commit: [], log: () => `DHCPRELEASE of ${formatIPv4(req.ciaddr)} from ${hw} via ${via(req, link)} (not found)` };
      }
      const freed: Lease = { ...l, state: 'free', ends: nowSec, cltt: nowSec };
      st.db.put(freed);
      return { commit: [freed], names: [{ kind: 'unbind', ip: freed.ip, owner: c.key }], log: () => `DHCPRELEASE of ${formatIPv4(req.ciaddr)} from ${hw} via ${via(req, link)} (found)` };
    }
    case MsgType.DECLINE: {
      if (reqIp === undefined) return { commit: [], log: () => `DHCPDECLINE from ${hw}: no address; dropped` };
      if (!poolOf(where.network, reqIp)) return { commit: [], log: () => `DHCPDECLINE of ${formatIPv4(reqIp)} from ${hw}: not in a pool` };
      const l = st.db.get(reqIp);
      if (l && l.state === 'active' && l.ends > nowSec && !st.db.forKey(c.key).includes(l)) {
        return { commit: [], log: () => `DHCPDECLINE of ${formatIPv4(reqIp)} from ${hw}: leased to another client; ignored` };
      }
      // RFC 2131 §3.1 step 5: the address is in use on the network: quarantine it.
      const ab: Lease = { ip: reqIp, starts: nowSec, ends: nowSec + st.abandonSec, cltt: nowSec, state: 'abandoned' };
      st.db.put(ab);
      st.db.offers.delete(reqIp);
      return { commit: [ab], log: () => `DHCPDECLINE of ${formatIPv4(reqIp)} from ${hw} via ${via(req, link)}: abandoned` };
    }
    case MsgType.INFORM: {
      // dhcpd answers a relayed DHCPINFORM without ciaddr too: for the relay's subnet, through
      // the relay (the reply goes to giaddr, RFC 2131 §4.3.5 and §4.1).
      if (req.ciaddr === 0 && req.giaddr === 0) return { commit: [], log: () => `DHCPINFORM from ${hw} without ciaddr; dropped` };
      const s = req.ciaddr !== 0 ? subnetFor(st.conf, req.ciaddr) : where.subnet;
      const scopes = s ? scopeList(c, s.scope) : netScopes;
      if (!authoritative(scopes)) return { commit: [], log: () => `DHCPINFORM from ${formatIPv4(req.ciaddr)}: not authoritative for its subnet` };
      const reply = buildReply(c, MsgType.INFORM, 0, sid, scopes, undefined, s);
      return { reply, commit: [], log: () => `DHCPACK to ${formatIPv4(req.ciaddr)} (${hw}) via ${via(req, link)}` };
    }
    default:
      return { commit: [], log: () => `${name} from ${hw}: not a request; dropped` };
  }
}

/** For logs: the boot file a reply carries. */
export function replyFile(r: Reply): string {
  return cString(r.packet.file);
}

/** ping-check found `ip` in use: quarantine it like a DECLINE (ISC: "Abandoning IP address"). */
export function abandonProbed(st: EngineState, ip: number, nowMs: number): Lease {
  const nowSec = Math.floor(nowMs / 1000);
  const ab: Lease = { ip, starts: nowSec, ends: nowSec + st.abandonSec, cltt: nowSec, state: 'abandoned' };
  st.db.put(ab);
  st.db.offers.delete(ip);
  return ab;
}

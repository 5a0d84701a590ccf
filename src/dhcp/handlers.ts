// One handler per message (RFC 2131 §4.3): what the server answers and which changes it
// intends. Handlers read the lease state and write nothing: their changes go into
// `m.changes`, which the server makes durable and applies before it replies.

import type { Scope, SharedNetwork } from '../config/dhcpd-conf.js';
import { formatIPv4 } from '../config/dhcp-options.js';
import { bill, billingClasses, hasBillingClasses, type BillingOutcome } from './billing.js';
import type { Changes } from './changes.js';
import { bindEvent, bindingFor, ddnsEnabled, fqdnReply, OPT_CLIENT_FQDN, OPT_DOMAIN_NAME, type DdnsParams } from './ddns.js';
import type { Decision, EngineState, LinkInfo } from './engine.js';
import { reusable, reuseLog, type Reuse } from './lease-reuse.js';
import type { Lease } from './lease.js';
import { MsgType, OPT, formatHw, type DhcpPacket } from './packet.js';
import { buildReply, leaseTime, nak } from './reply.js';
import { arrivalNetworkChecked, classifyRequest, type RequestState } from './request-state.js';
import { allocate, usableFor, type Choice } from './allocator.js';
import { authoritative, chain, client, fixedFor, inSubnet, option, param, poolOf, scopeList, subnetFor, type Client, type Where } from './scope.js';
import { evaluate } from './classify.js';

/** What a handler decides, before the changes are attached (see Decision). */
export type Outcome = Omit<Decision, keyof Changes>;

/** One message, located and classified: what every handler starts from. */
export interface Message {
  st: EngineState;
  req: DhcpPacket;
  link: LinkInfo;
  nowMs: number;
  nowSec: number;
  serverIds: Set<number>;
  broadcast?: boolean;
  c: Client;
  where: Where;
  /** The client's scopes on the network it came from. */
  netScopes: Scope[];
  /** The server identifier to send. */
  sid: number;
  /** Option 50, when well-formed. */
  reqIp?: number;
  /** The client's MAC for log lines, formatted only when logged. */
  hw: { toString(): string };
  changes: Changes;
}

export function via(req: DhcpPacket, link: LinkInfo): string {
  return req.giaddr ? formatIPv4(req.giaddr) : link.name;
}

function hostname(req: DhcpPacket): string | undefined {
  const h = req.options.get(OPT.HOST_NAME);
  return h && h.length ? h.toString('latin1').replace(/\0+$/, '') : undefined;
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

/** A DECLINEd or ping-answered address, quarantined (ISC's abandon-lease-time). */
export function abandoned(st: EngineState, ip: number, nowSec: number): Lease {
  return { ip, starts: nowSec, ends: nowSec + st.abandonSec, cltt: nowSec, state: 'abandoned' };
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
  // A billing change, or DNS names to maintain, always extends the lease (as dhcpd does);
  // so does a lease the HA partner has not confirmed (the new record goes to it again).
  const blocked = billing?.changed === true || ddnsEnabled(ddnsParams(ch.scopes)) || st.unconfirmed?.(ch.ip) === true;
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
    domainOption: option(scopes, OPT_DOMAIN_NAME),
  };
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
export function wrongNetworkFromUnknownLink(st: EngineState, req: DhcpPacket, link: LinkInfo, broadcast?: boolean): Outcome | undefined {
  if (req.giaddr === 0) return undefined;
  const target = classifyRequest(req, broadcast).target;
  const s = target !== undefined ? subnetFor(st.conf, target) : undefined;
  if (!s || target === undefined || !authoritative(chain(s.scope))) return undefined;
  const sid = param(chain(s.scope), 'serverIdentifier') ?? link.addresses[0]?.ip ?? 0;
  return { reply: nak(client(st.conf, req), sid, 'wrong network'), log: () => `DHCPNAK on ${formatIPv4(target)} to ${formatHw(req)} via ${via(req, link)}: wrong network (the relay's link has no subnet declaration)` };
}

/** RFC 951/1542 BOOTP: fixed hosts, or dynamic-bootp ranges when bootp is allowed. */
export function onBootRequest(m: Message): Outcome {
  const { st, c, req, link, hw } = m;
  if (param(m.netScopes, 'bootp') === false) return { log: () => `BOOTREQUEST from ${hw}: bootp denied` };
  const ch = allocate(st, c, m.where, m.nowMs, m.changes);
  if (!ch) return { log: () => `BOOTREQUEST from ${hw} via ${via(req, link)}: no dynamic-bootp address available` };
  const secs = leaseTime(ch.scopes, req, true);
  const reply = buildReply(c, undefined, ch.ip, m.sid, ch.scopes, undefined, subnetFor(st.conf, ch.ip));
  if (!ch.fixed) m.changes.commit.push(bindLease(c, ch.ip, secs, m.nowSec));
  return { reply, log: () => `BOOTREPLY for ${formatIPv4(ch.ip)} to ${c.host?.name ?? hw} via ${via(req, link)}` };
}

/** The lease time under the HA survivor's cap (EngineState.leaseCap), if any. */
function capped(st: Message['st'], secs: number): number {
  const cap = st.leaseCap?.();
  return cap !== undefined && cap < secs ? cap : secs;
}

export function onDiscover(m: Message): Outcome {
  const { st, c, req, link, hw, where, nowSec } = m;
  const ch = allocate(st, c, where, m.nowMs, m.changes, m.reqIp);
  if (!ch) return { log: () => `DHCPDISCOVER from ${hw} via ${via(req, link)}: network ${where.network.name}: no free leases`, allocationFailed: true };
  const terms = leaseTerms(st, c, ch, nowSec);
  const billing = terms.billing;
  if (billing?.kind === 'refused') return { log: () => noBilling(`DHCPDISCOVER from ${hw} via ${via(req, link)}`, billing.last) };
  const reuse = terms.reuse;
  const secs = capped(st, reuse?.remaining ?? leaseTime(ch.scopes, req, false));
  if (!ch.fixed) m.changes.offers.push({ op: 'hold', ip: ch.ip, key: c.key, expires: m.nowMs + st.offerHoldMs });
  const reply = buildReply(c, MsgType.OFFER, ch.ip, m.sid, ch.scopes, secs, subnetFor(st.conf, ch.ip));
  // RFC 2131 §2.2 / ISC ping-check: probe addresses new to this client; not fixed ones,
  // not the client's own still-active lease, not the one already on offer to it.
  const ownActive = ch.existing && ch.existing.state === 'active' && ch.existing.ends > nowSec && st.db.forKey(c.key).includes(ch.existing);
  const probe = !ch.fixed && !ownActive && !ch.reoffer && param(ch.scopes, 'pingCheck') === true ? { ip: ch.ip, timeoutMs: (param(ch.scopes, 'pingTimeout') ?? 1) * 1000 } : undefined;
  return { reply, probe, log: () => `DHCPOFFER on ${formatIPv4(ch.ip)} to ${hw}${c.host ? ` (${c.host.name})` : ''} via ${via(req, link)}${reuse ? `; ${reuseLog(reuse, formatIPv4(ch.ip))}` : ''}` };
}

export function onRequest(m: Message): Outcome {
  const { st, c, req, link, hw, where, nowSec, sid, reqIp } = m;
  const kind = classifyRequest(req, m.broadcast);
  const state: RequestState = kind.state;
  if (state === 'SELECTING' && kind.serverId !== undefined && !ours(st, m.serverIds, kind.serverId) && kind.serverId !== sid) {
    // The client chose another server: our offer is released (RFC 2131 §3.1 step 4, §4.3.2).
    m.changes.offers.push({ op: 'release', key: c.key });
    return { log: () => `DHCPREQUEST for ${reqIp !== undefined ? formatIPv4(reqIp) : '?'} (${formatIPv4(kind.serverId!)}) from ${hw}: not us` };
  }
  if (kind.target === undefined) return { log: () => `DHCPREQUEST from ${hw}: ${state} without requested address; dropped` };
  const target = kind.target;
  const auth = authoritative(m.netScopes);
  const nakFor = (why: string, note: string): Outcome => ({ reply: nak(c, sid, why), log: () => `DHCPNAK on ${formatIPv4(target)} to ${hw} via ${via(req, link)}: ${note} (${state})` });
  const silent = (note: string): Outcome => ({ log: () => `DHCPREQUEST for ${formatIPv4(target)} from ${hw} via ${via(req, link)}: ${note} (${state})` });
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
    ch = usableFor(st, c, target, network, m.nowMs);
    if (!ch) return nakFor('requested address not available', 'not available to this client');
  }
  // As for a DISCOVER: `deny unknown-clients;` (outside pools) and `deny booting;` leave
  // the client unanswered, whatever address it asks for.
  if (!c.host && param(ch.scopes, 'unknownClients') === false) return silent('unknown client; silent');
  if (c.host && param(ch.scopes, 'booting') === false) return silent('booting denied; silent');
  const terms = leaseTerms(st, c, ch, nowSec);
  const billing = terms.billing;
  if (billing?.kind === 'refused') return { log: () => noBilling(`DHCPREQUEST for ${formatIPv4(target)} from ${hw} via ${via(req, link)}`, billing.last) };
  // dhcp-cache-threshold: the lease is answered as it stands; nothing to write.
  const reuse = terms.reuse;
  const secs = capped(st, reuse?.remaining ?? leaseTime(ch.scopes, req, false));
  m.changes.offers.push({ op: 'withdraw', ip: ch.ip }, { op: 'release', key: c.key });
  const lease = ch.fixed || reuse ? undefined : bindLease(c, ch.ip, secs, nowSec, billing);
  if (lease) m.changes.commit.push(lease);
  const reply = buildReply(c, MsgType.ACK, ch.ip, sid, ch.scopes, secs, subnetFor(st.conf, ch.ip));
  // ISC update-static-leases defaults to off: fixed addresses get no names; on, they get
  // them for the lease time they are given (renewed with each ACK).
  const dp = ddnsParams(ch.scopes);
  const hostExpr = param(ch.scopes, 'ddnsHostname');
  if (hostExpr) {
    const v = evaluate(hostExpr, { req, conf: st.conf, known: c.host !== undefined });
    dp.hostname = Buffer.isBuffer(v) ? v.toString('latin1').replace(/\0+$/, '') : '';
  }
  const staticName = ch.fixed && param(ch.scopes, 'updateStaticLeases') === true;
  const binding = lease ? bindingFor(dp, req, ch.ip, secs, lease.ends, c.key) : staticName ? bindingFor(dp, req, ch.ip, secs, nowSec + secs, c.key) : undefined;
  const names = bindEvent(binding);
  const asked = req.options.get(OPT_CLIENT_FQDN);
  if (asked && ddnsEnabled(dp) && reply.packet.cookie) {
    // RFC 4702 §4: answer the client's FQDN option, before option 82 (which stays last).
    reply.packet.options.set(OPT_CLIENT_FQDN, fqdnReply(asked, binding));
    const at = reply.order.indexOf(OPT.AGENT_INFO);
    if (at >= 0) reply.order.splice(at, 0, OPT_CLIENT_FQDN);
    else reply.order.push(OPT_CLIENT_FQDN);
  }
  return { reply, names, log: () => `DHCPACK on ${formatIPv4(ch.ip)} to ${hw}${c.host ? ` (${c.host.name})` : ''} via ${via(req, link)} (${state})${reuse ? `; ${reuseLog(reuse, formatIPv4(ch.ip))}` : ''}` };
}

export function onRelease(m: Message): Outcome {
  const { st, c, req, link, hw, nowSec } = m;
  const l = st.db.get(req.ciaddr);
  if (!l || l.state !== 'active' || !(st.db.forKey(c.key).includes(l) || l.hwAddr?.equals(c.hw))) {
    return { log: () => `DHCPRELEASE of ${formatIPv4(req.ciaddr)} from ${hw} via ${via(req, link)} (not found)` };
  }
  const freed: Lease = { ...l, state: 'free', ends: nowSec, cltt: nowSec };
  m.changes.commit.push(freed);
  return { names: [{ kind: 'unbind', ip: freed.ip, owner: c.key }], log: () => `DHCPRELEASE of ${formatIPv4(req.ciaddr)} from ${hw} via ${via(req, link)} (found)` };
}

export function onDecline(m: Message): Outcome {
  const { st, c, req, link, hw, nowSec, reqIp } = m;
  if (reqIp === undefined) return { log: () => `DHCPDECLINE from ${hw}: no address; dropped` };
  if (!poolOf(m.where.network, reqIp)) return { log: () => `DHCPDECLINE of ${formatIPv4(reqIp)} from ${hw}: not in a pool` };
  const l = st.db.get(reqIp);
  if (l && l.state === 'active' && l.ends > nowSec && !st.db.forKey(c.key).includes(l)) {
    return { log: () => `DHCPDECLINE of ${formatIPv4(reqIp)} from ${hw}: leased to another client; ignored` };
  }
  // RFC 2131 §3.1 step 5: the address is in use on the network: quarantine it.
  m.changes.commit.push(abandoned(st, reqIp, nowSec));
  m.changes.offers.push({ op: 'withdraw', ip: reqIp });
  return { log: () => `DHCPDECLINE of ${formatIPv4(reqIp)} from ${hw} via ${via(req, link)}: abandoned` };
}

export function onInform(m: Message): Outcome {
  const { st, c, req, link, hw } = m;
  // dhcpd answers a relayed DHCPINFORM without ciaddr too: for the relay's subnet, through
  // the relay (the reply goes to giaddr, RFC 2131 §4.3.5 and §4.1).
  if (req.ciaddr === 0 && req.giaddr === 0) return { log: () => `DHCPINFORM from ${hw} without ciaddr; dropped` };
  const s = req.ciaddr !== 0 ? subnetFor(st.conf, req.ciaddr) : m.where.subnet;
  const scopes = s ? scopeList(c, s.scope) : m.netScopes;
  if (!authoritative(scopes)) return { log: () => `DHCPINFORM from ${formatIPv4(req.ciaddr)}: not authoritative for its subnet` };
  const reply = buildReply(c, MsgType.INFORM, 0, m.sid, scopes, undefined, s);
  return { reply, log: () => `DHCPACK to ${formatIPv4(req.ciaddr)} (${hw}) via ${via(req, link)}` };
}

/** The handler of each DHCP message type a server answers (RFC 2131 §4.3); others are dropped. */
export const HANDLERS: ReadonlyMap<number, (m: Message) => Outcome> = new Map([
  [MsgType.DISCOVER, onDiscover],
  [MsgType.REQUEST, onRequest],
  [MsgType.RELEASE, onRelease],
  [MsgType.DECLINE, onDecline],
  [MsgType.INFORM, onInform],
]);

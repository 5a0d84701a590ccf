// The DHCP server's decisions as a pure function: a request, the configuration, the
// receiving link and the lease state in; a reply, where it goes, and the changes it
// intends (leases to write, offers, cursor moves) out. Nothing here writes: the server
// makes the lease records durable, then applies the changes, then replies. RFC 2131 §4.3.
//
// The parts: scope.ts (which network, subnet, host, classes and scopes), allocator.ts
// (which address), reply.ts (the BOOTREPLY and where it goes), handlers.ts (one function
// per message type).

import type { DhcpdConf, Pool } from '../config/dhcpd-conf.js';
import type { NameEvent } from '../net/name-registration.js';
import { iterativeAllocator, poolFacts, type AllocationStrategy, type PoolFacts } from './allocator.js';
import { noChanges, type Changes } from './changes.js';
import { compileExpressions } from './classify.js';
import { HANDLERS, abandoned, onBootRequest, via, wrongNetworkFromUnknownLink, type Message, type Outcome } from './handlers.js';
import type { LeaseDb } from './lease.js';
import { MSG_NAMES, MsgType, OPT, cString, formatHw, type DhcpPacket } from './packet.js';
import type { Reply } from './reply.js';
import { client, locate, param, scopeList } from './scope.js';

export type { Destination, Reply } from './reply.js';
export type { Changes } from './changes.js';

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

/** The answer to one request: the reply, and (as Changes) what must change first. */
export interface Decision extends Changes {
  reply?: Reply;
  /** One ISC-style log line (`DHCPACK on … to … via …`), built only when logged. */
  log: () => string;
  /** ping-check: echo this address first (timeout in ms); if it answers, abandon it (abandonProbed) and ask again. */
  probe?: { ip: number; timeoutMs: number };
  /** No free address for a DISCOVER (Kea's v4-allocation-fail). */
  allocationFailed?: boolean;
  /** Host names to publish once the commit is durable (DHCP names in DNS). */
  names?: NameEvent[];
}

export interface EngineState {
  conf: DhcpdConf;
  db: LeaseDb;
  /** Pool scan cursors (by pool index), so allocation does not rescan used addresses. */
  cursors: Map<number, number>;
  /** Pool sizes and compiled permit lists, computed when the configuration is loaded. */
  pools: Map<Pool, PoolFacts>;
  /** How a free address is chosen. */
  allocator: AllocationStrategy;
  /** Addresses whose lease records are being written, with the client each is for: taken for everyone else. */
  inFlight?: ReadonlyMap<number, string>;
  /** How long an OFFER reserves its address (ms). */
  offerHoldMs: number;
  /** Quarantine of a DECLINEd address (s), ISC's abandon-lease-time default. */
  abandonSec: number;
  /** Fixed-address names resolved by the service (Triad's own zones). */
  resolveName?: (name: string) => number | undefined;
  /**
   * Addresses of `pool` this server may give to a client that does not hold them already
   * (an HA pair in load-balancing: the half of the pool that belongs to the client's scope,
   * so two servers never hand out one address at once). Unset: every address.
   */
  mayAllocate?: (ip: number, req: DhcpPacket, pool: Pool) => boolean;
  /**
   * Classes the request belongs to beyond dhcpd.conf's own (an HA pair: Kea's HA_<server>
   * class of the client's scope), seen by pools' `allow members of`.
   */
  extraClasses?: (req: DhcpPacket) => string[];
  /**
   * A lease whose record the HA partner has not taken (its update failed): never answered
   * unchanged from the cache, so the next ACK writes and sends it again.
   */
  unconfirmed?: (ip: number) => boolean;
  /**
   * The longest lease this server may give now (an HA survivor in partner-down: ISC's MCLT,
   * since its partner cannot be told). Unset or undefined: no cap.
   */
  leaseCap?: () => number | undefined;
}

export function newEngineState(conf: DhcpdConf, db: LeaseDb, allocator: AllocationStrategy = iterativeAllocator): EngineState {
  compileExpressions(conf);
  return { conf, db, cursors: new Map(), pools: poolFacts(conf), allocator, offerHoldMs: 60_000, abandonSec: 86_400 };
}

/**
 * Decides the answer to one request, changing nothing. `serverIds` are all of this server's
 * addresses; `broadcast` says whether the request was sent to 255.255.255.255 (RENEWING is
 * unicast, REBINDING broadcast, RFC 2131 §4.3.2), when the edge knows.
 */
export function decide(st: EngineState, req: DhcpPacket, link: LinkInfo, nowMs: number, serverIds: Set<number>, broadcast?: boolean): Decision {
  const changes = noChanges();
  return withChanges(changes, outcome(st, req, link, nowMs, serverIds, changes, broadcast));
}

/** One object shape for every decision (the server reads them all alike). */
function withChanges(ch: Changes, o: Outcome): Decision {
  return { commit: ch.commit, offers: ch.offers, cursors: ch.cursors, reply: o.reply, log: o.log, probe: o.probe, names: o.names, allocationFailed: o.allocationFailed };
}

function outcome(st: EngineState, req: DhcpPacket, link: LinkInfo, nowMs: number, serverIds: Set<number>, changes: Changes, broadcast?: boolean): Outcome {
  const typeBuf = req.options.get(OPT.MESSAGE_TYPE);
  const type = typeBuf && typeBuf.length === 1 ? typeBuf[0] : undefined;
  // Only log lines use it: format the MAC lazily (template literals call toString).
  const hw = { toString: (): string => formatHw(req) };
  const name = type !== undefined ? (MSG_NAMES[type] ?? `DHCP type ${type}`) : 'BOOTREQUEST';
  if (typeBuf && typeBuf.length !== 1) return { log: () => `${name} from ${hw}: bad message type option; dropped` };
  const where = locate(st.conf, req, link);
  if (!where) {
    const wrong = type === MsgType.REQUEST ? wrongNetworkFromUnknownLink(st, req, link, broadcast) : undefined;
    if (wrong) return wrong;
    return { log: () => `${name} from ${hw} via ${via(req, link)}: no subnet declaration; ignored` };
  }
  const handler = type === undefined ? onBootRequest : HANDLERS.get(type);
  if (!handler) return { log: () => `${name} from ${hw}: not a request; dropped` };
  const c = client(st.conf, req);
  if (st.extraClasses) c.classes.names.push(...st.extraClasses(req));
  const netScopes = scopeList(c, where.subnet.scope);
  c.echoId = param(netScopes, 'echoClientId') === true;
  const requested = req.options.get(OPT.REQUESTED_ADDRESS);
  const m: Message = {
    st, req, link, nowMs, nowSec: Math.floor(nowMs / 1000), serverIds, broadcast, c, where, netScopes,
    sid: param(netScopes, 'serverIdentifier') ?? where.serverId,
    reqIp: requested && requested.length === 4 ? requested.readUInt32BE(0) : undefined,
    hw, changes,
  };
  return handler(m);
}

/** Applies a decision's changes to memory (once its lease records are durable). */
export function applyChanges(st: EngineState, ch: Changes, nowMs: number): void {
  st.db.apply(ch, nowMs);
  for (const mv of ch.cursors) st.cursors.set(mv.pool, mv.next);
}

/**
 * Decides and applies at once, as a server whose lease writes cannot fail would: for
 * tests and tools that drive the engine without a lease file.
 */
export function handleRequest(st: EngineState, req: DhcpPacket, link: LinkInfo, nowMs: number, serverIds: Set<number>, broadcast?: boolean): Decision {
  const d = decide(st, req, link, nowMs, serverIds, broadcast);
  applyChanges(st, d, nowMs);
  return d;
}

/** For logs: the boot file a reply carries. */
export function replyFile(r: Reply): string {
  return cString(r.packet.file);
}

/** ping-check found `ip` in use: quarantine it like a DECLINE (ISC: "Abandoning IP address"). */
export function abandonProbed(st: EngineState, ip: number, nowMs: number): Changes {
  return { commit: [abandoned(st, ip, Math.floor(nowMs / 1000))], offers: [{ op: 'withdraw', ip }], cursors: [] };
}

// Reply assembly: the BOOTREPLY for a decided answer — header fields, options from the
// client's scopes in the order it asked for them (option 55), the lease time, echoed
// client identifier and relay agent information — and where it is sent (RFC 2131 §4.1).

import type { Scope, Subnet } from '../config/dhcpd-conf.js';
import { BOOTREPLY, DEFAULT_MAX_MESSAGE, MsgType, OPT, type DhcpPacket } from './packet.js';
import { isSharedChain, options, param, type Client } from './scope.js';
import { formatIPv4 } from '../config/dhcp-options.js';
import { formatMac } from '../wire/mac.js';

export type Destination =
  | { kind: 'relay'; ip: number; port: number } // giaddr, server port (RFC 2131 §4.1)
  | { kind: 'unicast'; ip: number } // ciaddr: the client has an address, the kernel can route/ARP
  | { kind: 'broadcast' } // 255.255.255.255 / ff:ff:ff:ff:ff:ff
  | { kind: 'hw'; mac: Buffer; ip: number }; // yiaddr at chaddr, no ARP entry needed

/** Where a reply is going, in the log's words. */
export function destinationText(d: Destination, clientPort: number): string {
  if (d.kind === 'relay') return `relay ${formatIPv4(d.ip)}:${d.port}`;
  if (d.kind === 'unicast') return `${formatIPv4(d.ip)}:${clientPort}`;
  if (d.kind === 'hw') return `${formatIPv4(d.ip)} at ${formatMac(d.mac)}`;
  return 'broadcast';
}

export interface Reply {
  packet: DhcpPacket;
  order: number[];
  maxSize: number;
  dest: Destination;
}

export const BROADCAST_FLAG = 0x8000;

export function leaseTime(scopes: Scope[], req: DhcpPacket, bootp: boolean): number {
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

/** The all-zero sname and file of most replies: shared (a reply's fields are only read). */
const ZERO_FIELD = new Map([64, 128].map((n) => [n, Buffer.alloc(n)]));

function textField(s: string | undefined, size: number): Buffer {
  if (!s) return ZERO_FIELD.get(size) ?? Buffer.alloc(size);
  const b = Buffer.alloc(size);
  b.write(s.slice(0, size - 1), 'latin1');
  return b;
}

/**
 * The options of a scope list with the subnet mask of `net` added: the same for every
 * reply from that list, so kept with the list when it is a configuration's own
 * (sharedChain) rather than built per reply.
 */
const listOptions = new WeakMap<readonly Scope[], Map<Subnet | undefined, Map<number, Buffer>>>();

function optionsFor(scopes: Scope[], net: Subnet | undefined): Map<number, Buffer> {
  const shared = isSharedChain(scopes);
  let byNet = shared ? listOptions.get(scopes) : undefined;
  const hit = byNet?.get(net);
  if (hit) return hit;
  return merged(scopes, net, shared, byNet);
}

/** Option maps kept with their scope list (see optionsFor): their replies' option order may be kept too. */
const sharedOptions = new WeakSet<Map<number, Buffer>>();

function merged(scopes: Scope[], net: Subnet | undefined, shared: boolean, byNet: Map<Subnet | undefined, Map<number, Buffer>> | undefined): Map<number, Buffer> {
  const opts = options(scopes);
  if (net && !opts.has(OPT.SUBNET_MASK)) opts.set(OPT.SUBNET_MASK, u32(net.mask));
  if (shared) {
    if (!byNet) listOptions.set(scopes, (byNet = new Map()));
    byNet.set(net, opts);
    sharedOptions.add(opts);
  }
  return opts;
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

/**
 * The option order for a reply whose options are exactly `head` plus a shared option map:
 * the same for every request with the same parameter request list, so kept per map and
 * list (a copy is returned: callers append to it).
 */
const orders = new WeakMap<Map<number, Buffer>, Map<string, number[]>>();

function orderFor(req: DhcpPacket, opts: Map<number, Buffer>, available: Map<number, Buffer>, head: number[]): number[] {
  if (!sharedOptions.has(opts)) return optionOrder(req, available, head);
  const prl = req.options.get(OPT.PRL);
  const key = `${head.join(',')}/${prl ? prl.toString('latin1') : '-'}`;
  let byKey = orders.get(opts);
  const hit = byKey?.get(key);
  if (hit) return hit.slice();
  const order = optionOrder(req, available, head);
  if (!byKey) orders.set(opts, (byKey = new Map()));
  // Bounded: parameter request lists differ per client kind, not per client.
  if (byKey.size < 256) byKey.set(key, order.slice());
  return order;
}

function destination(req: DhcpPacket, reply: DhcpPacket, type: number, scopes: Scope[]): Destination {
  if (req.giaddr !== 0) return { kind: 'relay', ip: req.giaddr, port: 67 };
  if (type === MsgType.NAK) return { kind: 'broadcast' };
  if (req.ciaddr !== 0) return { kind: 'unicast', ip: req.ciaddr };
  if (req.flags & BROADCAST_FLAG || param(scopes, 'alwaysBroadcast')) return { kind: 'broadcast' };
  if (req.htype === 1 && req.hlen === 6 && reply.yiaddr !== 0) return { kind: 'hw', mac: Buffer.from(req.chaddr.subarray(0, 6)), ip: reply.yiaddr };
  return { kind: 'broadcast' };
}

export function buildReply(c: Client, type: number | undefined, yiaddr: number, serverId: number, scopes: Scope[], lease: number | undefined, net: Subnet | undefined): Reply {
  const req = c.req;
  const conf = scopes;
  const opts = optionsFor(conf, net);
  // dhcpd.conf(5) use-host-decl-names: the host declaration's name is the client's host-name.
  // (A client with a host declaration never has a shared list: opts is its own here.)
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
  const order = orderFor(req, opts, p.options, head);
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

export function nak(c: Client, serverId: number, why: string): Reply {
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

// The DHCP relay agent's decisions as pure functions (RFC 1542 §4, RFC 3046), modelled on
// ISC dhcrelay's do_relay4 / add_relay_agent_options / strip_relay_agent_options:
// a request heard from a client link goes to every server with giaddr and hops set and,
// when asked, option 82; a server's reply goes back out of the link giaddr names, with
// option 82 checked and removed.

import { BOOTREPLY, BOOTREQUEST, OPT, encodePacket, type DhcpPacket } from './packet.js';
import { AGENT_SUBOPT } from '../wire/dhcp-options.js';

/** ISC dhcrelay -m: what to do with a request that already carries option 82. */
export type RaiPolicy = 'forward' | 'append' | 'replace' | 'discard';

export interface RelayInterface {
  name: string;
  /** IPv4 addresses of the link, primary first (giaddr is the first: ISC's ip->addresses[0]). */
  addresses: number[];
  /** Requests are accepted here (ISC -i / -id). */
  downstream: boolean;
  /** Replies are accepted here (ISC -i / -iu). */
  upstream: boolean;
}

export interface RelaySettings {
  /** -a: add option 82 to requests, check and strip it from replies. */
  agentInformation: boolean;
  /** -c: requests whose hops already reached this are dropped (ISC default 10). */
  maxHops: number;
  /** -m (ISC's code default is replace-after-forward; Debian users see `forward`'s effect rarely). */
  policy: RaiPolicy;
  /** Remote-ID sub-option 2 value; none by default, as ISC. */
  remoteId?: Buffer;
  /**
   * -D semantics: drop replies whose option 82 is absent or names no link of ours. Triad
   * drops by default when it added option 82 (the reply must carry what it sent); set
   * false to forward such replies by giaddr alone (ISC's default without -D).
   */
  dropMismatch: boolean;
}

export const DEFAULT_MAX_HOPS = 10;

export function defaultRelaySettings(): RelaySettings {
  return { agentInformation: false, maxHops: DEFAULT_MAX_HOPS, policy: 'replace', dropMismatch: true };
}

const SUB_CIRCUIT_ID = AGENT_SUBOPT.CIRCUIT_ID;
const SUB_REMOTE_ID = AGENT_SUBOPT.REMOTE_ID;
const BROADCAST_FLAG = 0x8000;

/** RFC 3046 §2.0 sub-options of option 82, in order; undefined when malformed. */
export function parseAgentInfo(v: Buffer): { code: number; value: Buffer }[] | undefined {
  const out: { code: number; value: Buffer }[] = [];
  for (let i = 0; i < v.length; ) {
    if (i + 2 > v.length) return undefined;
    const len = v[i + 1];
    if (i + 2 + len > v.length) return undefined;
    out.push({ code: v[i], value: v.subarray(i + 2, i + 2 + len) });
    i += 2 + len;
  }
  return out;
}

/** Option 82 as this relay adds it: circuit-id = the receiving link's name, remote-id if configured. */
export function agentInfoFor(iface: string, remoteId?: Buffer): Buffer {
  const circuit = Buffer.from(iface, 'latin1').subarray(0, 255);
  const parts: Buffer[] = [Buffer.from([SUB_CIRCUIT_ID, circuit.length]), circuit];
  if (remoteId && remoteId.length) parts.push(Buffer.from([SUB_REMOTE_ID, Math.min(255, remoteId.length)]), remoteId.subarray(0, 255));
  return Buffer.concat(parts);
}

export type RequestDecision = { forward: DhcpPacket } | { drop: string };
export type ReplyDecision =
  | { deliver: DhcpPacket; iface: RelayInterface; dest: { kind: 'broadcast' } | { kind: 'hw'; mac: Buffer; ip: number } }
  | { drop: string };

/** A BOOTREQUEST heard on `iface`: what to send to every server. */
export function relayRequest(req: DhcpPacket, iface: RelayInterface, own: Set<number>, s: RelaySettings): RequestDecision {
  if (req.op !== BOOTREQUEST) return { drop: 'not a BOOTREQUEST' };
  if (!iface.downstream) return { drop: `request received on upstream-only interface ${iface.name}` };
  // ISC: a request whose giaddr is ours is one we just sent (heard again on another link).
  if (req.giaddr !== 0 && own.has(req.giaddr)) return { drop: 'our own relayed request' };
  // RFC 1542 §4.1.1; ISC: `if (hops < max_hop_count) hops++ else drop`.
  if (req.hops >= s.maxHops) return { drop: `hop count ${req.hops} reached the limit ${s.maxHops}` };
  const giaddr = req.giaddr !== 0 ? req.giaddr : (iface.addresses[0] ?? 0);
  if (giaddr === 0) return { drop: `interface ${iface.name} has no IPv4 address` };
  const out: DhcpPacket = { ...req, hops: req.hops + 1, giaddr, options: new Map(req.options) };
  // BOOTP without the cookie is forwarded unchanged (ISC only edits options after option 53).
  if (!s.agentInformation || !req.cookie || !req.options.has(OPT.MESSAGE_TYPE)) return { forward: out };
  const existing = req.options.get(OPT.AGENT_INFO);
  if (existing) {
    // RFC 3046 §2.1.1: a relay that receives option 82 with giaddr 0 must discard the packet
    // (an untrusted client forged it); with giaddr set it applies its policy.
    if (req.giaddr === 0) return { drop: 'option 82 from a client (giaddr 0)' };
    switch (s.policy) {
      case 'discard':
        return { drop: 'request already carries option 82 (policy discard)' };
      case 'forward':
        return { forward: out };
      case 'append': {
        const mine = agentInfoFor(iface.name, s.remoteId);
        // Concatenated sub-options (RFC 3396 splits >255 on encode).
        out.options.set(OPT.AGENT_INFO, Buffer.concat([existing, mine]));
        moveLast(out.options, OPT.AGENT_INFO);
        return { forward: out };
      }
      case 'replace':
        break;
    }
  }
  out.options.set(OPT.AGENT_INFO, agentInfoFor(iface.name, s.remoteId));
  // RFC 3046 §2.1: the relay agent option is the last one before END.
  moveLast(out.options, OPT.AGENT_INFO);
  return { forward: out };
}

function moveLast(m: Map<number, Buffer>, code: number): void {
  const v = m.get(code);
  if (v === undefined) return;
  m.delete(code);
  m.set(code, v);
}

/** A BOOTREPLY from a server (received on `from`, or handed over in-process when `from` is undefined). */
export function relayReply(rep: DhcpPacket, from: RelayInterface | undefined, ifaces: RelayInterface[], s: RelaySettings): ReplyDecision {
  if (rep.op !== BOOTREPLY) return { drop: 'not a BOOTREPLY' };
  if (from && !from.upstream) return { drop: `Dropping reply received on ${from.name}` };
  // ISC: giaddr must be one of our links ("Packet to bogus giaddr").
  const out = ifaces.find((i) => i.addresses.includes(rep.giaddr));
  if (!out) return { drop: 'Packet to bogus giaddr' };
  const p: DhcpPacket = { ...rep, options: new Map(rep.options) };
  if (s.agentInformation && rep.cookie && rep.options.has(OPT.MESSAGE_TYPE)) {
    const rai = rep.options.get(OPT.AGENT_INFO);
    const subs = rai ? parseAgentInfo(rai) : undefined;
    const circuit = subs?.find((x) => x.code === SUB_CIRCUIT_ID)?.value.toString('latin1');
    const remote = subs?.find((x) => x.code === SUB_REMOTE_ID)?.value;
    const matches = circuit === out.name && (!s.remoteId || (remote !== undefined && remote.equals(s.remoteId)));
    if (!matches && s.dropMismatch) return { drop: rai ? 'option 82 does not match what this relay sent' : 'reply without option 82' };
    p.options.delete(OPT.AGENT_INFO);
  }
  // RFC 1542 §5.4 / RFC 2131 §4.1: broadcast when the client asked for it or has no address yet to unicast to.
  const mac = p.htype === 1 && p.hlen === 6 ? Buffer.from(p.chaddr.subarray(0, 6)) : undefined;
  const dest = p.flags & BROADCAST_FLAG || !mac || p.yiaddr === 0 ? ({ kind: 'broadcast' } as const) : ({ kind: 'hw', mac, ip: p.yiaddr } as const);
  return { deliver: p, iface: out, dest };
}

/** Encodes a relayed message keeping its option order (no size limit below the link's MTU). */
export function encodeRelayed(p: DhcpPacket): Buffer {
  return encodePacket(p, { order: [...p.options.keys()], maxSize: 1500 - 28 });
}

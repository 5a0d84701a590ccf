// Which client state a DHCPREQUEST comes from (RFC 2131 §4.3.2), the address it is about,
// and whether the network it came from can be checked against that address.

import { OPT, type DhcpPacket } from './packet.js';

export type RequestState = 'SELECTING' | 'INIT-REBOOT' | 'RENEWING' | 'REBINDING';

export interface RequestKind {
  state: RequestState;
  /** The address asked for: requested-address (SELECTING, INIT-REBOOT), else ciaddr. */
  target?: number;
  /** The server identifier the client names (SELECTING). */
  serverId?: number;
}

const BROADCAST_FLAG = 0x8000;

function u32opt(req: DhcpPacket, code: number): number | undefined {
  const b = req.options.get(code);
  return b && b.length === 4 ? b.readUInt32BE(0) : undefined;
}

/**
 * §4.3.2: server identifier with ciaddr 0 → SELECTING; no server identifier, ciaddr 0 →
 * INIT-REBOOT; ciaddr set → RENEWING when unicast, REBINDING when broadcast or relayed.
 * `broadcast` is whether it was sent to 255.255.255.255, when the edge knows.
 */
export function classifyRequest(req: DhcpPacket, broadcast?: boolean): RequestKind {
  const serverId = u32opt(req, OPT.SERVER_ID);
  const requested = u32opt(req, OPT.REQUESTED_ADDRESS);
  if (req.ciaddr === 0) return { state: serverId !== undefined ? 'SELECTING' : 'INIT-REBOOT', target: requested, serverId };
  const rebinding = (broadcast ?? (req.flags & BROADCAST_FLAG) !== 0) || req.giaddr !== 0;
  return { state: rebinding ? 'REBINDING' : 'RENEWING', target: req.ciaddr, serverId };
}

/**
 * Whether the address must lie on the network the request came from. It must when the
 * client has no address yet (SELECTING, INIT-REBOOT: the request was broadcast on its own
 * link or relayed from it) and when a relay names the link (giaddr). A client that has an
 * address and no relay (RENEWING, or REBINDING on this wire) is served on its address's
 * network: a unicast renewal may have crossed routers, and the server trusts ciaddr
 * (§4.3.2). ISC dhcpd 4.4 draws the same line.
 */
export function arrivalNetworkChecked(req: DhcpPacket): boolean {
  return req.ciaddr === 0 || req.giaddr !== 0;
}

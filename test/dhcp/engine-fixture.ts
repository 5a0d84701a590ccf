// What the engine's unit tests share: the lab link, its server identifier, an engine made
// from a dhcpd.conf text, and a client message of a given type.
import { parseDhcpdConf } from '../../src/config/dhcpd-conf.js';
import { parseIPv4 as ip } from '../../src/config/dhcp-options.js';
import { newEngineState, type LinkInfo, type EngineState } from '../../src/dhcp/engine.js';
import { LeaseDb } from '../../src/dhcp/lease.js';
import { decodePacket, type DhcpPacket } from '../../src/dhcp/packet.js';
import { validDiscover } from './fuzz-cases.js';

export const LINK: LinkInfo = { name: 'br0', index: 3, mac: Buffer.from('020000000001', 'hex'), addresses: [{ ip: ip('192.168.117.1')!, prefixLen: 24 }] };
export const IDS = new Set([ip('192.168.117.1')!]);

/** An engine on this configuration text, with an empty lease database. */
export function engineFor(conf: string): EngineState {
  const { conf: c, sink } = parseDhcpdConf('t.conf', conf);
  if (sink.hasErrors()) throw new Error(sink.errors.map((e) => e.message).join('; '));
  return newEngineState(c, new LeaseDb());
}

/** A client message from `mac` of DHCP message type `type`, with extra options. */
export function msg(mac: string, type: number, opts: number[][] = [], edit?: (p: DhcpPacket) => void): DhcpPacket {
  const p = decodePacket(validDiscover(mac.split(':').map((h) => parseInt(h, 16)), opts));
  p.options.set(53, Buffer.from([type]));
  edit?.(p);
  return p;
}

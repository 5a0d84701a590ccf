// proxyDHCP decisions (PXE 2.1 §2.2.3 and §2.2.4), pure: another server on the LAN
// hands out addresses; this one answers a PXE client's DHCPDISCOVER on port 67 with a
// proxy offer (no address, vendor class "PXEClient", the boot server and file) and its
// DHCPREQUEST to port 4011 with a DHCPACK carrying the same boot file.

import type { BootChoice, PxeProxyConf } from '../config/pxe-proxy-conf.js';
import { BOOTREPLY, BOOTREQUEST, MsgType, OPT, emptyPacket, type DhcpPacket } from './packet.js';

/** Where the request arrived: the DHCP port (broadcast) or the PXE boot-server port 4011. */
export type ProxyPort = 'dhcp' | 'boot-server';

export type ProxyDest = { kind: 'broadcast' } | { kind: 'relay'; ip: number } | { kind: 'source' };

export type ProxyDecision =
  | { answer: true; packet: DhcpPacket; order: number[]; dest: ProxyDest; file: string; arch: number; tags: string[] }
  | { answer: false; reason: string };

const PXE_CLIENT = Buffer.from('PXEClient', 'latin1');
/**
 * Option 43, PXE vendor options (PXE 2.1 §2.4): PXE_DISCOVERY_CONTROL (6) = 8: "a boot
 * file name is in this packet: download it", so the client neither shows a menu nor
 * runs boot-server discovery.
 */
const PXE_VENDOR_OPTIONS = Buffer.from([6, 1, 8, 255]);

/** The client's architecture (option 93, RFC 4578 §2.1); 0 (BIOS) when absent. */
export function clientArch(req: DhcpPacket): number {
  const v = req.options.get(93);
  return v && v.length >= 2 ? v.readUInt16BE(0) : 0;
}

/** Tags set by dhcp-userclass (substring of option 77) and dhcp-vendorclass (prefix of option 60). */
export function clientTags(req: DhcpPacket, conf: PxeProxyConf): string[] {
  const tags = new Set<string>();
  for (const c of conf.classes) {
    const v = req.options.get(c.option)?.toString('latin1');
    if (v === undefined) continue;
    if (c.option === 77 ? v.includes(c.text) : v.startsWith(c.text)) tags.add(c.tag);
  }
  return [...tags];
}

function tagsMatch(choice: BootChoice, tags: readonly string[]): boolean {
  return choice.tags.every((t) => tags.includes(t.name) !== t.negate);
}

/**
 * The boot file for this client: a pxe-service for its architecture, else a dhcp-boot;
 * among the matching lines one with tags wins over one without (dnsmasq's precedence of
 * tagged settings), else the first in the file.
 */
export function chooseBoot(conf: PxeProxyConf, arch: number, tags: readonly string[]): BootChoice | undefined {
  const best = (list: BootChoice[]): BootChoice | undefined => {
    const ok = list.filter((c) => tagsMatch(c, tags));
    return ok.find((c) => c.tags.length > 0) ?? ok[0];
  };
  return best(conf.services.filter((s) => s.arch === arch)) ?? best(conf.boots);
}

function field(text: string, size: number): Buffer {
  const b = Buffer.alloc(size);
  b.write(text.slice(0, size - 1), 'latin1');
  return b;
}

/**
 * The answer to `req` received on `port`, from `serverIp` (the address of the interface
 * it came in on).
 */
export function decideProxy(conf: PxeProxyConf, req: DhcpPacket, port: ProxyPort, serverIp: number): ProxyDecision {
  if (req.op !== BOOTREQUEST) return { answer: false, reason: 'not a request' };
  const type = req.options.get(OPT.MESSAGE_TYPE)?.[0];
  if (type === undefined) return { answer: false, reason: 'BOOTP (no DHCP message type)' };
  const vendor = req.options.get(OPT.VENDOR_CLASS);
  // PXE 2.1 §2.2.3: only clients that call themselves PXEClient are answered; everyone
  // else is the real DHCP server's business.
  if (!vendor || vendor.length < PXE_CLIENT.length || !vendor.subarray(0, PXE_CLIENT.length).equals(PXE_CLIENT)) return { answer: false, reason: 'not a PXE client' };
  if (port === 'dhcp' && type !== MsgType.DISCOVER) return { answer: false, reason: 'only DHCPDISCOVER is answered on the DHCP port' };
  if (port === 'boot-server' && type !== MsgType.REQUEST && type !== MsgType.INFORM) return { answer: false, reason: 'only DHCPREQUEST and DHCPINFORM are answered on port 4011' };
  const arch = clientArch(req);
  const tags = clientTags(req, conf);
  const boot = chooseBoot(conf, arch, tags);
  if (!boot) return { answer: false, reason: `no boot file for architecture ${arch}${tags.length ? ` and tags ${tags.join(',')}` : ''}` };

  const p = emptyPacket();
  p.op = BOOTREPLY;
  p.htype = req.htype;
  p.hlen = req.hlen;
  p.xid = req.xid;
  p.flags = req.flags;
  p.giaddr = req.giaddr;
  p.chaddr = Buffer.from(req.chaddr);
  // No yiaddr: the address is the real DHCP server's to give (PXE 2.1 Table 2-2).
  p.ciaddr = port === 'boot-server' ? req.ciaddr : 0;
  p.siaddr = boot.serverAddress ?? serverIp;
  if (boot.serverName) p.sname = field(boot.serverName, 64);
  p.file = field(boot.file, 128);
  const sid = Buffer.alloc(4);
  sid.writeUInt32BE(serverIp >>> 0);
  p.options.set(OPT.MESSAGE_TYPE, Buffer.from([port === 'dhcp' ? MsgType.OFFER : MsgType.ACK]));
  p.options.set(OPT.SERVER_ID, sid);
  p.options.set(OPT.VENDOR_CLASS, PXE_CLIENT);
  p.options.set(43, PXE_VENDOR_OPTIONS);
  const order = [OPT.MESSAGE_TYPE, OPT.SERVER_ID, OPT.VENDOR_CLASS, 43];
  // The client's UUID/GUID goes back as it came (PXE 2.1 Table 2-2).
  const guid = req.options.get(97);
  if (guid) {
    p.options.set(97, guid);
    order.push(97);
  }
  const dest: ProxyDest = port === 'boot-server' ? { kind: 'source' } : req.giaddr ? { kind: 'relay', ip: req.giaddr } : { kind: 'broadcast' };
  return { answer: true, packet: p, order, dest, file: boot.file, arch, tags };
}

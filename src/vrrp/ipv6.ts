// The IPv6 side of a VRRP instance (RFC 5798): where its advertisements come from (the
// interface's link-local address, §5.1.2.1, or unicast_src_ip), addresses as bytes and
// as the numbers the election compares, and the announcements of a new master.

import { readFileSync } from 'node:fs';
import type { VrrpInstanceConfig } from '../config/keepalived-vrrp.js';
import { formatAddress, parseAddress } from '../net/ip.js';
import { findLink } from '../net/link.js';
import { parseIfInet6 } from '../net/raw-ip6.js';
import type { Logger } from '../log.js';
import { sendUnsolicitedNa } from './na.js';

export function ip6Bytes(text: string): Buffer {
  const a = parseAddress(text);
  if (!a || a.family !== 6) throw new Error(`'${text}' is not an IPv6 address`);
  return Buffer.from(a.bytes);
}

/** An IPv6 address as one 128-bit number (the election compares addresses as numbers). */
export function bigint6(b: Uint8Array): bigint {
  return BigInt('0x' + Buffer.from(b).toString('hex'));
}

export function formatIp6(n: bigint): string {
  return formatAddress({ family: 6, bytes: Buffer.from(n.toString(16).padStart(32, '0'), 'hex') });
}

function ifInet6(): string {
  try {
    return readFileSync('/proc/net/if_inet6', 'utf8');
  } catch {
    return '';
  }
}

/** The source of the instance's advertisements, or why there is none yet (the instance waits in FAULT). */
export function vrrpSource6(c: VrrpInstanceConfig): Buffer | string {
  const addrs = parseIfInet6(ifInet6(), c.iface);
  if (c.unicastSrcIp) {
    const want = ip6Bytes(c.unicastSrcIp);
    const have = addrs.find((a) => a.addr.equals(want));
    if (!have) return `interface ${c.iface} does not have unicast_src_ip ${c.unicastSrcIp}`;
    if (have.tentative) return `unicast_src_ip ${c.unicastSrcIp} on ${c.iface} is still in duplicate address detection`;
    return want;
  }
  const ll = addrs.filter((a) => a.linkLocal);
  const usable = ll.find((a) => !a.tentative);
  if (usable) return usable.addr;
  return ll.length ? `interface ${c.iface}'s link-local address is still in duplicate address detection` : `interface ${c.iface} has no IPv6 link-local address to send advertisements from`;
}

/** One unsolicited Neighbor Advertisement per IPv6 address (RFC 4861 §7.2.6). */
export function announceVips6(vips: { ip: string; iface: string }[], log: Logger): void {
  for (const v of vips) {
    try {
      const link = findLink(v.iface);
      if (!link) throw new Error(`interface ${v.iface} does not exist`);
      sendUnsolicitedNa(v.iface, link.index, link.mac, ip6Bytes(v.ip));
      log.info({ vip: v.ip, iface: v.iface }, 'unsolicited neighbor advertisement sent');
    } catch (e) {
      log.warn({ vip: v.ip, iface: v.iface, err: (e as Error).message }, 'unsolicited neighbor advertisement failed');
    }
  }
}

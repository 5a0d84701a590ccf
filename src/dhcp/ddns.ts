// Which DNS names a granted lease asks for (dhcpd.conf(5) DYNAMIC DNS UPDATES, style
// interim/standard; RFC 4702 client FQDN option), as a pure function. Triad does not send
// RFC 2136 updates to another server: the names go to this process's own DNS service
// through the name-registration channel, which decides about zones and conflicts.

import type { NameBinding, NameEvent } from '../net/name-registration.js';
import { OPT, type DhcpPacket } from './packet.js';
import { plainNameFromWire, plainNameToWire } from '../wire/dns-name.js';

export const OPT_CLIENT_FQDN = OPT.CLIENT_FQDN;
const OPT_DOMAIN_NAME = OPT.DOMAIN_NAME;

export interface DdnsParams {
  style?: string;
  updates?: boolean;
  domainName?: string;
  revDomainName?: string;
  ttl?: number;
  /** allow (true/undefined) / deny, ignore (false) client-updates. */
  clientUpdates?: boolean;
  /** ddns-hostname's value for this client, when set (the host part; a domain after it is dropped); '' when it evaluated to nothing. */
  hostname?: string;
  /** option domain-name of the scope (fallback for ddns-domainname). */
  domainOption?: Buffer;
}

/** dhcpd.conf: updates happen with style interim or standard, unless ddns-updates off. */
export function ddnsEnabled(p: DdnsParams): boolean {
  return (p.style === 'interim' || p.style === 'standard') && p.updates !== false;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Option 81 (RFC 4702 §2): flags, two RCODEs, then the name (wire form when E is set). */
export function parseClientFqdn(v: Buffer): { flags: number; name: string } | undefined {
  if (v.length < 3) return undefined;
  const flags = v[0];
  const rest = v.subarray(3);
  if (!(flags & 0x04)) return { flags, name: rest.toString('latin1').replace(/\0+$/, '') };
  const name = plainNameFromWire(rest);
  return name === undefined ? undefined : { flags, name };
}

function normalDomain(d: string): string | undefined {
  const s = d.trim().toLowerCase().replace(/\.$/, '');
  if (!s) return undefined;
  return s.split('.').every((l) => LABEL.test(l)) ? `${s}.` : undefined;
}

/**
 * The binding for a lease of `ip` to client `owner`, or undefined when nothing is to be
 * registered (updates off, no usable host name, or the client asked for none: N bit).
 */
export function bindingFor(p: DdnsParams, req: DhcpPacket, ip: number, leaseSecs: number, ends: number, owner: string): NameBinding | undefined {
  if (!ddnsEnabled(p)) return undefined;
  const fqdnOpt = req.options.get(OPT_CLIENT_FQDN);
  const fqdn = fqdnOpt ? parseClientFqdn(fqdnOpt) : undefined;
  // ISC's ddns-hostname default: the host part of option 81, else option 12.
  // A ddns-hostname that evaluates to nothing gives no name (ISC), not the client's.
  if (p.hostname === '') return undefined;
  const raw = p.hostname || fqdn?.name || req.options.get(OPT.HOST_NAME)?.toString('latin1').replace(/\0+$/, '');
  if (!raw) return undefined;
  const host = raw.split('.')[0].toLowerCase();
  if (!LABEL.test(host)) return undefined;
  const domain = normalDomain(p.domainName ?? p.domainOption?.toString('latin1').replace(/\0+$/, '').split(/\s+/)[0] ?? '');
  if (!domain) return undefined;
  let forward = true;
  if (fqdn && p.clientUpdates !== false) {
    // RFC 4702 §3.3: N = no server updates at all; S = 0: the client updates its A itself.
    if (fqdn.flags & 0x08) return undefined;
    if (!(fqdn.flags & 0x01)) forward = false;
  }
  // dhcpd.conf(5): ddns-ttl defaults to half the lease time (bounded here to a day).
  const ttl = p.ttl ?? Math.max(1, Math.min(86400, Math.floor(leaseSecs / 2)));
  return { fqdn: `${host}.${domain}`, ip, ttl, expires: ends, owner, forward, reverse: true, revDomain: normalDomain(p.revDomainName ?? 'in-addr.arpa') ?? 'in-addr.arpa.' };
}

export function bindEvent(b: NameBinding | undefined): NameEvent[] {
  return b ? [{ kind: 'bind', binding: b }] : [];
}

export { OPT_DOMAIN_NAME };

/**
 * Option 81 for the ACK (RFC 4702 §4): S says whether the server adds the A record, O that
 * it overrode the client's wish, N when it adds nothing; both RCODEs 255; the name in the
 * client's encoding (E bit).
 */
export function fqdnReply(requested: Buffer, b: NameBinding | undefined): Buffer {
  const asked = parseClientFqdn(requested);
  const e = (asked?.flags ?? 0) & 0x04;
  const wantS = ((asked?.flags ?? 0) & 0x01) !== 0;
  const s = b?.forward ?? false;
  const flags = e | (s ? 0x01 : 0) | (s !== wantS ? 0x02 : 0) | (b ? 0 : 0x08);
  const name = b ? b.fqdn : (asked?.name ?? '');
  let enc: Buffer;
  if (e) {
    // Every label here is at most 63 octets: checked host and domain labels, or the client's own wire name.
    enc = plainNameToWire(name) ?? Buffer.from([0]);
  } else enc = Buffer.from(name.replace(/\.$/, ''), 'latin1');
  return Buffer.concat([Buffer.from([flags, 255, 255]), enc]);
}

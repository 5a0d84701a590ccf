// DHCP option text helpers for the dhcpd.conf parser and the DHCP service; the option
// table itself is in wire/dhcp-options.ts (re-exported here for existing importers).

import type { OptionDef } from '../wire/dhcp-options.js';
export { OPT, AGENT_SUBOPT, OptionTable, STANDARD_OPTIONS, type OptionAtom, type OptionDef, type OptionType } from '../wire/dhcp-options.js';

// ---- IPv4 helpers (addresses as unsigned 32-bit numbers) -------------------------

// Addresses, hex lists and names are the shared wire vocabulary (wire/), re-exported
// under the names the DHCP code reads them by.
import { formatIPv4 } from '../wire/ipv4.js';
import { formatMac } from '../wire/mac.js';
export { parseIPv4, formatIPv4 } from '../wire/ipv4.js';
export { parseMac as parseHexList } from '../wire/mac.js';
export { plainNameToWire as encodeDomain } from '../wire/dns-name.js';

export function isDomainName(text: string): boolean {
  return /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/.test(text) && text.length <= 253;
}

/** Renders an option value for humans (logs, `triad leases`), using its type when known. */
export function formatOptionValue(def: OptionDef | undefined, data: Buffer): string {
  if (!def) return formatMac(data);
  const a = def.type.atoms;
  if (a.length === 1 && a[0].kind === 'text') return JSON.stringify(data.toString('latin1'));
  if (a.length === 1 && a[0].kind === 'ip' && data.length % 4 === 0) {
    const out: string[] = [];
    for (let i = 0; i < data.length; i += 4) out.push(formatIPv4(data.readUInt32BE(i)));
    return out.join(', ');
  }
  if (a.length === 1 && a[0].kind === 'int' && !def.type.array && data.length === a[0].bits / 8) {
    return String(a[0].bits === 8 ? (a[0].signed ? data.readInt8(0) : data[0]) : a[0].bits === 16 ? (a[0].signed ? data.readInt16BE(0) : data.readUInt16BE(0)) : a[0].signed ? data.readInt32BE(0) : data.readUInt32BE(0));
  }
  return formatMac(data);
}

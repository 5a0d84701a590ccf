// DHCP option text helpers for the dhcpd.conf parser and the DHCP service; the option
// table itself is in wire/dhcp-options.ts (re-exported here for existing importers).

import type { OptionDef } from '../wire/dhcp-options.js';
export { OPT, AGENT_SUBOPT, OptionTable, STANDARD_OPTIONS, type OptionAtom, type OptionDef, type OptionType } from '../wire/dhcp-options.js';

// ---- IPv4 helpers (addresses as unsigned 32-bit numbers) -------------------------

export function parseIPv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const b = m.slice(1).map(Number);
  if (b.some((x) => x > 255)) return undefined;
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

export function formatIPv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** `aa:bb:cc` (one or two hex digits per octet) → bytes; undefined if not a hex list. */
export function parseHexList(text: string): Buffer | undefined {
  if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2})*$/.test(text)) return undefined;
  return Buffer.from(text.split(':').map((h) => parseInt(h, 16)));
}

/** Domain name to DNS wire form (no compression); undefined when a label is too long. */
export function encodeDomain(name: string): Buffer | undefined {
  const parts = name.replace(/\.$/, '').split('.').filter((p) => p !== '');
  const out: number[] = [];
  for (const p of parts) {
    const b = Buffer.from(p, 'latin1');
    if (b.length > 63) return undefined;
    out.push(b.length, ...b);
  }
  out.push(0);
  return Buffer.from(out);
}

export function isDomainName(text: string): boolean {
  return /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/.test(text) && text.length <= 253;
}

/** Renders an option value for humans (logs, `triad leases`), using its type when known. */
export function formatOptionValue(def: OptionDef | undefined, data: Buffer): string {
  if (!def) return data.toString('hex').replace(/(..)(?=.)/g, '$1:');
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
  return data.toString('hex').replace(/(..)(?=.)/g, '$1:');
}

// DHCPv4 option names, codes and value types as ISC dhcpd knows them (RFC 2132 and
// later), shared by the dhcpd.conf parser (type-checking `option NAME VALUE`) and the
// DHCP codec/decisions (names for logs, types for lease-file and CLI output).

/** One element of an option's value. */
export type OptionAtom =
  | { kind: 'ip' }
  | { kind: 'ip6' }
  | { kind: 'bool' }
  | { kind: 'int'; bits: 8 | 16 | 32; signed: boolean }
  | { kind: 'text' }
  | { kind: 'string' } // octets: quoted string or colon-separated hex
  | { kind: 'domain' } // one unquoted domain name, DNS wire form
  | { kind: 'domain-list'; compressed: boolean } // quoted names, DNS wire form (RFC 3397)
  | { kind: 'zerolen' }
  | { kind: 'encapsulate'; space: string };

/** A record of atoms; `array` repeats the whole record, `repeatLast` only its last atom (`{ a, array of b }`). */
export interface OptionType {
  atoms: OptionAtom[];
  array: boolean;
  repeatLast?: boolean;
}

export interface OptionDef {
  space: string;
  name: string;
  code: number;
  type: OptionType;
}

const I: OptionAtom = { kind: 'ip' };
const T: OptionAtom = { kind: 'text' };
const X: OptionAtom = { kind: 'string' };
const F: OptionAtom = { kind: 'bool' };
const B: OptionAtom = { kind: 'int', bits: 8, signed: false };
const S: OptionAtom = { kind: 'int', bits: 16, signed: false };
const L: OptionAtom = { kind: 'int', bits: 32, signed: false };
const l: OptionAtom = { kind: 'int', bits: 32, signed: true };

const one = (a: OptionAtom): OptionType => ({ atoms: [a], array: false });
const arr = (...a: OptionAtom[]): OptionType => ({ atoms: a, array: true });

// ISC's dhcp universe (common/tables.c) by name, for the options a user writes.
const STANDARD: [number, string, OptionType][] = [
  [1, 'subnet-mask', one(I)],
  [2, 'time-offset', one(l)],
  [3, 'routers', arr(I)],
  [4, 'time-servers', arr(I)],
  [5, 'ien116-name-servers', arr(I)],
  [6, 'domain-name-servers', arr(I)],
  [7, 'log-servers', arr(I)],
  [8, 'cookie-servers', arr(I)],
  [9, 'lpr-servers', arr(I)],
  [10, 'impress-servers', arr(I)],
  [11, 'resource-location-servers', arr(I)],
  [12, 'host-name', one(T)],
  [13, 'boot-size', one(S)],
  [14, 'merit-dump', one(T)],
  [15, 'domain-name', one(T)],
  [16, 'swap-server', one(I)],
  [17, 'root-path', one(T)],
  [18, 'extensions-path', one(T)],
  [19, 'ip-forwarding', one(F)],
  [20, 'non-local-source-routing', one(F)],
  [21, 'policy-filter', arr(I, I)],
  [22, 'max-dgram-reassembly', one(S)],
  [23, 'default-ip-ttl', one(B)],
  [24, 'path-mtu-aging-timeout', one(L)],
  [25, 'path-mtu-plateau-table', arr(S)],
  [26, 'interface-mtu', one(S)],
  [27, 'all-subnets-local', one(F)],
  [28, 'broadcast-address', one(I)],
  [29, 'perform-mask-discovery', one(F)],
  [30, 'mask-supplier', one(F)],
  [31, 'router-discovery', one(F)],
  [32, 'router-solicitation-address', one(I)],
  [33, 'static-routes', arr(I, I)],
  [34, 'trailer-encapsulation', one(F)],
  [35, 'arp-cache-timeout', one(L)],
  [36, 'ieee802-3-encapsulation', one(F)],
  [37, 'default-tcp-ttl', one(B)],
  [38, 'tcp-keepalive-interval', one(L)],
  [39, 'tcp-keepalive-garbage', one(F)],
  [40, 'nis-domain', one(T)],
  [41, 'nis-servers', arr(I)],
  [42, 'ntp-servers', arr(I)],
  [43, 'vendor-encapsulated-options', one(X)],
  [44, 'netbios-name-servers', arr(I)],
  [45, 'netbios-dd-server', arr(I)],
  [46, 'netbios-node-type', one(B)],
  [47, 'netbios-scope', one(T)],
  [48, 'font-servers', arr(I)],
  [49, 'x-display-manager', arr(I)],
  [50, 'dhcp-requested-address', one(I)],
  [51, 'dhcp-lease-time', one(L)],
  [52, 'dhcp-option-overload', one(B)],
  [53, 'dhcp-message-type', one(B)],
  [54, 'dhcp-server-identifier', one(I)],
  [55, 'dhcp-parameter-request-list', arr(B)],
  [56, 'dhcp-message', one(T)],
  [57, 'dhcp-max-message-size', one(S)],
  [58, 'dhcp-renewal-time', one(L)],
  [59, 'dhcp-rebinding-time', one(L)],
  [60, 'vendor-class-identifier', one(X)],
  [61, 'dhcp-client-identifier', one(X)],
  [62, 'nwip-domain', one(X)],
  [63, 'nwip-suboptions', one(X)],
  [64, 'nisplus-domain', one(T)],
  [65, 'nisplus-servers', arr(I)],
  [66, 'tftp-server-name', one(T)],
  [67, 'bootfile-name', one(T)],
  [68, 'mobile-ip-home-agent', arr(I)],
  [69, 'smtp-server', arr(I)],
  [70, 'pop-server', arr(I)],
  [71, 'nntp-server', arr(I)],
  [72, 'www-server', arr(I)],
  [73, 'finger-server', arr(I)],
  [74, 'irc-server', arr(I)],
  [75, 'streettalk-server', arr(I)],
  [76, 'streettalk-directory-assistance-server', arr(I)],
  [77, 'user-class', one(T)],
  [78, 'slp-directory-agent', { atoms: [F, I], array: true }],
  [79, 'slp-service-scope', { atoms: [F, T], array: false }],
  [81, 'fqdn', one(X)],
  [82, 'relay-agent-information', one(X)],
  [85, 'nds-servers', arr(I)],
  [86, 'nds-tree-name', one(T)],
  [87, 'nds-context', one(T)],
  [88, 'bcms-controller-names', one({ kind: 'domain-list', compressed: false })],
  [89, 'bcms-controller-address', arr(I)],
  [90, 'authenticate', one(X)],
  [91, 'client-last-transaction-time', one(L)],
  [92, 'associated-ip', arr(I)],
  [93, 'pxe-system-type', arr(S)],
  [94, 'pxe-interface-id', { atoms: [B, B, B], array: false }],
  [97, 'pxe-client-id', { atoms: [B, X], array: false }],
  [98, 'uap-servers', one(T)],
  [99, 'geoconf-civic', one(X)],
  [100, 'pcode', one(T)],
  [101, 'tcode', one(T)],
  [108, 'v6-only-preferred', one(L)],
  [112, 'netinfo-server-address', arr(I)],
  [113, 'netinfo-server-tag', one(T)],
  [114, 'default-url', one(T)],
  [116, 'auto-config', one(B)],
  [117, 'name-service-search', arr(S)],
  [118, 'subnet-selection', one(I)],
  [119, 'domain-search', one({ kind: 'domain-list', compressed: true })],
  [120, 'vivco', one(X)],
  // Not predefined by ISC 4.4 (users declare it); Triad knows it so configs need no definition.
  [121, 'classless-static-routes', arr(B)],
  [124, 'vivco-suboptions', one(X)],
  [125, 'vivso', one(X)],
  [150, 'tftp-server-address', arr(I)],
  [209, 'pxelinux-configfile', one(T)],
  [210, 'path-prefix', one(T)],
  [211, 'reboot-time', one(L)],
  [213, 'v4-access-domain', one({ kind: 'domain' })],
  [220, 'subnet-allocation', one(X)],
  [221, 'virtual-subnet-selection', one(X)],
];

/** Option spaces and their definitions; `dhcp` is the standard space. */
export class OptionTable {
  private byName = new Map<string, OptionDef>();
  private byCode = new Map<string, OptionDef>();
  readonly spaces = new Set<string>(['dhcp', 'server', 'agent', 'vendor', 'fqdn', 'vendor-class', 'nwip', 'pxelinux']);

  constructor() {
    for (const [code, name, type] of STANDARD) this.define({ space: 'dhcp', name, code, type });
    // RFC 3046 sub-options, so `option agent.circuit-id` and class matches on them parse.
    this.define({ space: 'agent', name: 'circuit-id', code: 1, type: one(X) });
    this.define({ space: 'agent', name: 'remote-id', code: 2, type: one(X) });
    this.define({ space: 'agent', name: 'link-selection', code: 5, type: one(I) });
  }

  /** A copy that `option NAME code N = TYPE` statements can extend without touching this one. */
  clone(): OptionTable {
    const t = new OptionTable();
    for (const d of this.byName.values()) t.define(d);
    for (const s of this.spaces) t.spaces.add(s);
    return t;
  }

  define(def: OptionDef): void {
    const old = this.byName.get(`${def.space}.${def.name}`);
    if (old) this.byCode.delete(`${old.space}.${old.code}`);
    this.byName.set(`${def.space}.${def.name}`, def);
    this.byCode.set(`${def.space}.${def.code}`, def);
  }

  lookup(space: string, name: string): OptionDef | undefined {
    return this.byName.get(`${space}.${name}`);
  }

  byNumber(code: number, space = 'dhcp'): OptionDef | undefined {
    return this.byCode.get(`${space}.${code}`);
  }
}

/** Shared read-only standard table, for code that only needs names and types. */
export const STANDARD_OPTIONS = new OptionTable();

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

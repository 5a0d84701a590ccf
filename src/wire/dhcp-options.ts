// DHCPv4 options, one row each: code, name and value type as ISC dhcpd knows them (RFC 2132
// and later), and for the options Triad's own code reads or writes, the constant it uses
// (OPT.NAME). The dhcpd.conf parser type-checks `option NAME VALUE` with it, the DHCP codec
// and decisions use the constants, logs and `triad leases` the names and types.

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

/** code, name, type, and the OPT constant when Triad's code names the option. */
type Row = readonly [number, string, OptionType, string?];

// ISC's dhcp universe (common/tables.c) by name, for the options a user writes.
const STANDARD = [
  [1, 'subnet-mask', one(I), 'SUBNET_MASK'],
  [2, 'time-offset', one(l)],
  [3, 'routers', arr(I), 'ROUTERS'],
  [4, 'time-servers', arr(I)],
  [5, 'ien116-name-servers', arr(I)],
  [6, 'domain-name-servers', arr(I)],
  [7, 'log-servers', arr(I)],
  [8, 'cookie-servers', arr(I)],
  [9, 'lpr-servers', arr(I)],
  [10, 'impress-servers', arr(I)],
  [11, 'resource-location-servers', arr(I)],
  [12, 'host-name', one(T), 'HOST_NAME'],
  [13, 'boot-size', one(S)],
  [14, 'merit-dump', one(T)],
  [15, 'domain-name', one(T), 'DOMAIN_NAME'],
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
  [50, 'dhcp-requested-address', one(I), 'REQUESTED_ADDRESS'],
  [51, 'dhcp-lease-time', one(L), 'LEASE_TIME'],
  [52, 'dhcp-option-overload', one(B), 'OVERLOAD'],
  [53, 'dhcp-message-type', one(B), 'MESSAGE_TYPE'],
  [54, 'dhcp-server-identifier', one(I), 'SERVER_ID'],
  [55, 'dhcp-parameter-request-list', arr(B), 'PRL'],
  [56, 'dhcp-message', one(T), 'MESSAGE'],
  [57, 'dhcp-max-message-size', one(S), 'MAX_SIZE'],
  [58, 'dhcp-renewal-time', one(L), 'RENEWAL_TIME'],
  [59, 'dhcp-rebinding-time', one(L), 'REBINDING_TIME'],
  [60, 'vendor-class-identifier', one(X), 'VENDOR_CLASS'],
  [61, 'dhcp-client-identifier', one(X), 'CLIENT_ID'],
  [62, 'nwip-domain', one(X)],
  [63, 'nwip-suboptions', one(X)],
  [64, 'nisplus-domain', one(T)],
  [65, 'nisplus-servers', arr(I)],
  [66, 'tftp-server-name', one(T), 'TFTP_SERVER'],
  [67, 'bootfile-name', one(T), 'BOOTFILE'],
  [68, 'mobile-ip-home-agent', arr(I)],
  [69, 'smtp-server', arr(I)],
  [70, 'pop-server', arr(I)],
  [71, 'nntp-server', arr(I)],
  [72, 'www-server', arr(I)],
  [73, 'finger-server', arr(I)],
  [74, 'irc-server', arr(I)],
  [75, 'streettalk-server', arr(I)],
  [76, 'streettalk-directory-assistance-server', arr(I)],
  [77, 'user-class', one(T), 'USER_CLASS'],
  [78, 'slp-directory-agent', { atoms: [F, I], array: true }],
  [79, 'slp-service-scope', { atoms: [F, T], array: false }],
  [81, 'fqdn', one(X), 'CLIENT_FQDN'],
  [82, 'relay-agent-information', one(X), 'AGENT_INFO'],
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
  [118, 'subnet-selection', one(I), 'SUBNET_SELECTION'],
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
] as const satisfies readonly Row[];

type Named = Extract<(typeof STANDARD)[number], readonly [number, string, OptionType, string]>;

/** Codes of the options Triad's code uses by name (PAD and END are the codec's markers, RFC 2132 §3.1, §3.2). */
export const OPT = {
  PAD: 0,
  ...(Object.fromEntries(STANDARD.filter((r): r is Named => r.length === 4).map((r) => [r[3], r[0]])) as { readonly [R in Named as R[3]]: R[0] }),
  END: 255,
} as const;

// RFC 3046 §2.0 relay agent sub-options (and RFC 3527's link selection), one row each.
const AGENT = [
  [1, 'circuit-id', one(X), 'CIRCUIT_ID'],
  [2, 'remote-id', one(X), 'REMOTE_ID'],
  [5, 'link-selection', one(I), 'LINK_SELECTION'],
] as const satisfies readonly Row[];

/** Codes of the relay agent information (option 82) sub-options. */
export const AGENT_SUBOPT = Object.fromEntries(AGENT.map((r) => [r[3], r[0]])) as { readonly [R in (typeof AGENT)[number] as R[3]]: R[0] };

/** Option spaces and their definitions; `dhcp` is the standard space. */
export class OptionTable {
  private byName = new Map<string, OptionDef>();
  private byCode = new Map<string, OptionDef>();
  readonly spaces = new Set<string>(['dhcp', 'server', 'agent', 'vendor', 'fqdn', 'vendor-class', 'nwip', 'pxelinux']);

  constructor() {
    for (const [code, name, type] of STANDARD) this.define({ space: 'dhcp', name, code, type });
    // RFC 3046 sub-options, so `option agent.circuit-id` and class matches on them parse.
    for (const [code, name, type] of AGENT) this.define({ space: 'agent', name, code, type });
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

// IPv4 addresses as text, as 32-bit unsigned numbers (DHCP pools, packet headers) and
// as four octets (DNS RDATA, prefixes). The one place dotted quads are read and written.

/**
 * The 32-bit number of a dotted quad, or undefined. Each octet is 1-3 decimal digits,
 * at most 255. Without `leadingZeros` an octet may not start with 0 unless it is 0,
 * as inet_pton and BIND read addresses; ISC dhcpd's parser takes `010` as 10.
 */
function scan(s: string, leadingZeros: boolean): number | undefined {
  // Hand-rolled: this runs for every A record of a zone.
  let n = 0;
  let part = 0;
  let digits = 0;
  let v = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return undefined;
      n = n * 256 + v;
      part++;
      digits = 0;
      v = 0;
      continue;
    }
    if (c < 0x30 || c > 0x39) return undefined;
    if (!leadingZeros && digits > 0 && v === 0) return undefined;
    v = v * 10 + (c - 0x30);
    if (++digits > 3 || v > 255) return undefined;
  }
  return part === 4 ? n : undefined;
}

/** A dotted quad as a number (leading zeros allowed in an octet, as dhcpd.conf does); undefined when invalid. */
export function parseIPv4(text: string): number | undefined {
  return scan(text, true);
}

/** A dotted quad as inet_pton reads it (no leading zeros), as four octets; undefined when invalid. */
export function ipv4FromText(text: string): Uint8Array | undefined {
  const n = scan(text, false);
  return n === undefined ? undefined : ipv4Bytes(n);
}

/** Dotted-quad text of a 32-bit unsigned number. */
export function formatIPv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Dotted-quad text of the four octets at `off`. */
export function ipv4ToText(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** The four octets of a 32-bit number, network order. */
export function ipv4Bytes(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

/** The 32-bit unsigned number of the four octets at `off`. */
export function ipv4FromBytes(b: Uint8Array, off = 0): number {
  return ((b[off] << 24) >>> 0) + (b[off + 1] << 16) + (b[off + 2] << 8) + b[off + 3];
}

/** The netmask of a prefix length (0-32) as a number: 24 → 255.255.255.0. */
export function ipv4Mask(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}

/** The prefix length of a netmask (its leading one bits): 255.255.255.0 → 24. */
export function ipv4PrefixLength(mask: number): number {
  let n = 0;
  for (let m = mask >>> 0; m & 0x80000000; m = (m << 1) >>> 0) n++;
  return n;
}

/** The reverse-lookup name of an address under `revDomain` (RFC 1035 §3.5): 4.3.2.1.in-addr.arpa. */
export function ipv4ReverseName(n: number, revDomain: string): string {
  return `${n & 255}.${(n >>> 8) & 255}.${(n >>> 16) & 255}.${n >>> 24}.${revDomain}`;
}

/** The number of an address checked before (a config value, the kernel's output); 0 when `text` is not a dotted quad. */
export function ipNumber(text: string): number {
  return parseIPv4(text) ?? 0;
}

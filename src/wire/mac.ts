// Hardware (MAC) addresses as text: two lower-case hex digits per octet joined by ':'.
// The one place they are written and read (DHCP chaddr, leases, links, ARP, logs).

const HEX = Array.from({ length: 256 }, (_, c) => c.toString(16).padStart(2, '0'));

/** `aa:bb:…` of every octet of `b` (a MAC is 6 of them; a DHCP chaddr up to 16). */
export function formatMac(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (i ? ':' : '') + HEX[b[i]];
  return s;
}

/** `aa:bb:cc…` (one or two hex digits per octet, any count) as bytes; undefined when it is not such a list. */
export function parseMac(text: string): Buffer | undefined {
  if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2})*$/.test(text)) return undefined;
  return Buffer.from(text.split(':').map((h) => parseInt(h, 16)));
}

/** The bytes of a MAC checked before (a config value, the kernel's output); six zero octets ("none") when `text` is not one. */
export function macBytes(text: string): Buffer {
  return parseMac(text) ?? Buffer.alloc(6);
}

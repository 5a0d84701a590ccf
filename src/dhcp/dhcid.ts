// The record that says which client owns a DHCP name, so another client cannot take it:
// - `ddns-update-style standard`: a DHCID record (RFC 4701): identifier type, digest
//   type 1, SHA-256 over the identifier and the name in wire form (§3.3, §3.5);
// - `ddns-update-style interim`: the TXT record ISC dhcpd writes: two hex digits for the
//   identifier's kind, then the MD5 of the identifier in hex (no name in the digest).
// The identifier is the client identifier (option 61) when the client sent one, else
// the hardware type and address; an RFC 4361 client identifier (type 255) gives its DUID.

import { createHash } from 'node:crypto';
import { plainNameToWire } from '../wire/dns-name.js';

/** RFC 4701 §3.3 identifier types. */
export const DHCID_TYPE = { HTYPE_CHADDR: 0, CLIENT_ID: 1, DUID: 2 } as const;

export interface ClientIdentity {
  /** Option 61 as sent, when there was one. */
  uid?: Uint8Array;
  hwType: number;
  hwAddr: Uint8Array;
}

/** The client behind a lease key (`id:HEX` or `hw:TYPE:HEX`, see lease.ts clientKey). */
export function identityFromKey(key: string): ClientIdentity | undefined {
  if (key.startsWith('id:')) return { uid: Buffer.from(key.slice(3), 'hex'), hwType: 0, hwAddr: new Uint8Array(0) };
  const m = /^hw:(\d+):([0-9a-f]*)$/.exec(key);
  return m ? { hwType: Number(m[1]), hwAddr: Buffer.from(m[2], 'hex') } : undefined;
}

/** RFC 4701 DHCID RDATA for a client and the name it gets (absolute, text form). */
export function dhcidRdata(id: ClientIdentity, fqdn: string): Uint8Array {
  let type: number;
  let data: Uint8Array;
  if (id.uid && id.uid.length > 0) {
    // RFC 4361 §6.1: type 255, IAID (4 octets), DUID → the DUID identifies the client.
    if (id.uid[0] === 255 && id.uid.length > 5) {
      type = DHCID_TYPE.DUID;
      data = id.uid.subarray(5);
    } else {
      type = DHCID_TYPE.CLIENT_ID;
      data = id.uid;
    }
  } else {
    type = DHCID_TYPE.HTYPE_CHADDR;
    data = Buffer.concat([Uint8Array.of(id.hwType), id.hwAddr]);
  }
  const name = plainNameToWire(fqdn.toLowerCase());
  if (!name) throw new Error(`not a host name: ${fqdn}`);
  const digest = createHash('sha256').update(data).update(name).digest();
  return new Uint8Array(Buffer.concat([Uint8Array.of(type >> 8, type & 0xff, 1), digest]));
}

const HEX = '0123456789abcdef';

/**
 * The interim-style TXT value: ISC writes the option code (61) or 0 for a hardware
 * address as its first hex digit and the code modulo 15 as the second ("31", "00"),
 * then the MD5 of the client identifier, or of hardware type and address, in hex.
 */
export function interimTxt(id: ClientIdentity): string {
  const useUid = id.uid !== undefined && id.uid.length > 0;
  const code = useUid ? 61 : 0;
  const data = useUid ? id.uid! : Buffer.concat([Uint8Array.of(id.hwType), id.hwAddr]);
  return HEX[(code >> 4) & 0xf] + HEX[code % 15] + createHash('md5').update(data).digest('hex');
}

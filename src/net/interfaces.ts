// This host's addresses and networks, as BIND's `localhost` and `localnets`
// see them: every address of every interface, and every network they sit on.

import os from 'node:os';
import { parseAddress, prefixNetwork, type Address, type Prefix } from './ip.js';

export interface HostAddress {
  address: Address;
  /** Textual address as the OS reports it (no zone index). */
  text: string;
  /** Prefix length of the attached network. */
  prefixLength: number;
  interface: string;
  /** IPv6 link-local (fe80::/10) needs a zone index to bind; callers usually skip it. */
  linkLocal: boolean;
}

export interface HostNetworks {
  addresses: HostAddress[];
  /** Host prefixes (/32, /128) of every address: `localhost`. */
  localhost: Prefix[];
  /** Attached networks: `localnets`. */
  localnets: Prefix[];
}

type InterfaceMap = NodeJS.Dict<os.NetworkInterfaceInfo[]>;

/** Pure: turns an os.networkInterfaces()-shaped map into addresses and networks. */
export function hostNetworksFrom(ifaces: InterfaceMap): HostNetworks {
  const addresses: HostAddress[] = [];
  for (const [name, infos] of Object.entries(ifaces)) {
    for (const info of infos ?? []) {
      const text = info.address.replace(/%.*$/, '');
      const address = parseAddress(text);
      if (!address) continue;
      const prefixLength = typeof info.cidr === 'string' ? Number(info.cidr.split('/')[1]) : address.family === 4 ? 32 : 128;
      const linkLocal = address.family === 6 && address.bytes[0] === 0xfe && (address.bytes[1] & 0xc0) === 0x80;
      addresses.push({ address, text, prefixLength, interface: name, linkLocal });
    }
  }
  const localhost = addresses.map((a) => ({ family: a.address.family, bytes: a.address.bytes, length: a.address.family === 4 ? 32 : 128 }));
  const localnets = addresses.map((a) => {
    const p: Prefix = { family: a.address.family, bytes: a.address.bytes, length: a.prefixLength };
    return { ...p, bytes: prefixNetwork(p).bytes };
  });
  return { addresses, localhost, localnets };
}

/** This host, now. Interfaces can change; callers re-read on reload as BIND rescans. */
export function hostNetworks(): HostNetworks {
  return hostNetworksFrom(os.networkInterfaces());
}

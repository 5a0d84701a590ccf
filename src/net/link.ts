// Interface facts for packet-level services: index, MAC, IPv4 addresses with prefix
// length, flags. Read from os.networkInterfaces() and /sys/class/net (Linux).

import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { ipNumber } from '../wire/ipv4.js';
import { macBytes } from '../wire/mac.js';

export interface Link {
  name: string;
  index: number;
  mac: Buffer;
  /** IPv4 addresses as numbers, primary first. */
  addresses: { ip: number; prefixLen: number }[];
  broadcast: boolean;
  loopback: boolean;
  up: boolean;
}

function sys(name: string, attr: string): string | undefined {
  try {
    return readFileSync(`/sys/class/net/${name}/${attr}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function listLinks(): Link[] {
  const nets = os.networkInterfaces();
  let names: string[];
  try {
    names = readdirSync('/sys/class/net');
  } catch {
    names = Object.keys(nets);
  }
  const out: Link[] = [];
  for (const name of names) {
    const index = Number(sys(name, 'ifindex') ?? 0);
    const flags = parseInt(sys(name, 'flags') ?? '0', 16);
    const macText = sys(name, 'address') ?? '00:00:00:00:00:00';
    const mac = macBytes(macText).subarray(0, 6);
    const addrs = (nets[name] ?? []).filter((a) => a.family === 'IPv4').map((a) => ({ ip: ipNumber(a.address), prefixLen: Number(a.cidr?.split('/')[1] ?? 32) }));
    // IFF_UP 0x1, IFF_BROADCAST 0x2, IFF_LOOPBACK 0x8
    out.push({ name, index, mac, addresses: addrs, broadcast: (flags & 0x2) !== 0, loopback: (flags & 0x8) !== 0, up: (flags & 0x1) !== 0 });
  }
  return out;
}

export function findLink(name: string): Link | undefined {
  return listLinks().find((l) => l.name === name);
}

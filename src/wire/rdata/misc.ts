// APL (RFC 3123) and WKS (RFC 1035 §3.4.2) RDATA.

import { readFileSync } from 'node:fs';
import { RdataError, TextCursor, WireReader, WireWriter, parseUint } from './codec.js';
import { ipv4FromText, ipv4ToText } from '../ipv4.js';
import { ipv6FromText, ipv6ToText } from './addr.js';
import { GenericOnly } from './generic.js';

export function aplFromText(c: TextCursor): Uint8Array {
  const w = new WireWriter();
  while (!c.atEnd()) {
    const t = c.word('an APL item');
    const m = /^(!?)([0-9]+):([^/]+)\/([0-9]+)$/.exec(t.text);
    if (!m) throw new RdataError(`bad APL item '${t.text}'`, t);
    const afi = Number(m[2]);
    const prefix = Number(m[4]);
    let addr: Uint8Array | undefined;
    if (afi === 1) {
      addr = ipv4FromText(m[3]);
      if (prefix > 32) throw new RdataError('APL prefix too long', t);
    } else if (afi === 2) {
      addr = ipv6FromText(m[3]);
      if (prefix > 128) throw new RdataError('APL prefix too long', t);
    } else throw new RdataError(`bad APL address family '${m[2]}'`, t);
    if (!addr) throw new RdataError(`bad APL address '${m[3]}'`, t);
    let len = addr.length;
    while (len > 0 && addr[len - 1] === 0) len--;
    w.u16(afi).u8(prefix).u8((m[1] ? 0x80 : 0) | len).bytes(addr.subarray(0, len));
  }
  return w.done();
}

export function aplToText(r: WireReader): string {
  const items: string[] = [];
  while (r.left > 0) {
    const afi = r.u16();
    const prefix = r.u8();
    const x = r.u8();
    const len = x & 0x7f;
    const part = r.bytes(len);
    // RFC 3123 §4: the address part has its trailing zero octets removed.
    if (len > 0 && part[len - 1] === 0) throw new RdataError('APL address with trailing zero octet');
    let text: string;
    if (afi === 1) {
      if (len > 4 || prefix > 32) throw new RdataError('bad APL item');
      const a = new Uint8Array(4);
      a.set(part);
      text = ipv4ToText(a);
    } else if (afi === 2) {
      if (len > 16 || prefix > 128) throw new RdataError('bad APL item');
      const a = new Uint8Array(16);
      a.set(part);
      text = ipv6ToText(a);
    } else {
      // Other address families are kept and printed in the generic form, as BIND does.
      r.rest();
      throw new GenericOnly();
    }
    items.push(`${x & 0x80 ? '!' : ''}${afi}:${text}/${prefix}`);
  }
  return items.join(' ');
}

const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, ip: 0 };
let services: Map<string, number> | undefined;

/** Service names as getservbyname(3) knows them, from /etc/services when present. */
function serviceMap(): Map<string, number> {
  if (services) return services;
  services = new Map([['ftp', 21], ['ssh', 22], ['telnet', 23], ['smtp', 25], ['domain', 53], ['http', 80], ['https', 443]]);
  try {
    for (const line of readFileSync('/etc/services', 'latin1').split('\n')) {
      const m = /^([A-Za-z0-9._-]+)\s+([0-9]+)\/(tcp|udp)((?:\s+[A-Za-z0-9._-]+)*)/.exec(line);
      if (!m) continue;
      const port = Number(m[2]);
      for (const n of [m[1], ...m[4].trim().split(/\s+/).filter(Boolean)]) {
        if (!services.has(n.toLowerCase())) services.set(n.toLowerCase(), port);
      }
    }
  } catch {
    // No /etc/services: the built-in names suffice.
  }
  return services;
}

export function wksFromText(c: TextCursor): Uint8Array {
  const at = c.word('an IPv4 address');
  const addr = ipv4FromText(at.text);
  if (!addr) throw new RdataError(`bad IPv4 address '${at.text}'`, at);
  const pt = c.word('a protocol');
  let proto: number;
  if (/^[0-9]+$/.test(pt.text)) proto = parseUint(pt, 255);
  else {
    const p = PROTOCOLS[pt.text.toLowerCase()];
    if (p === undefined) throw new RdataError(`unknown protocol '${pt.text}'`, pt);
    proto = p;
  }
  const bits = new Uint8Array(8192);
  let max = -1;
  for (const t of c.rest()) {
    if (t.quoted) throw new RdataError('expected a port, got a quoted string', t);
    let port: number;
    // BIND reads a port with strtol, so a leading '+' passes.
    if (/^\+?[0-9]+$/.test(t.text)) port = parseUint({ ...t, text: t.text.replace(/^\+/, '') }, 65535);
    else {
      const p = serviceMap().get(t.text.toLowerCase());
      if (p === undefined) throw new RdataError(`unknown service '${t.text}'`, t);
      port = p;
    }
    bits[port >> 3] |= 0x80 >> (port & 7);
    max = Math.max(max, port);
  }
  return new WireWriter().bytes(addr).u8(proto).bytes(bits.subarray(0, max < 0 ? 0 : (max >> 3) + 1)).done();
}

export function wksToText(r: WireReader): string {
  const addr = ipv4ToText(r.bytes(4));
  const proto = r.u8();
  const bits = r.rest();
  if (bits.length > 8192) throw new RdataError('WKS bitmap too long');
  // BIND refuses a bitmap that ends in a zero octet (it would never write one).
  if (bits.length > 0 && bits[bits.length - 1] === 0) throw new RdataError('WKS bitmap with trailing zero octet');
  const ports: number[] = [];
  for (let o = 0; o < bits.length; o++) for (let b = 0; b < 8; b++) if (bits[o] & (0x80 >> b)) ports.push(o * 8 + b);
  return [addr, String(proto), ...ports.map(String)].join(' ');
}

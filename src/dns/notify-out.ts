// NOTIFY out (RFC 1996), the decisions without sockets: whom a zone's new serial is
// announced to, what the message looks like, when it is sent again, and whether a
// reply ends it. The sending itself is notify-sender.ts, in the main process only.

import { nameKey, nameToText, parseName } from '../wire/dns-name.js';
import { CLASS_IN, T } from '../wire/rr-type.js';
import { FLAG_AA, FLAG_QR, OPCODE_NOTIFY, decodeMessage } from './message.js';
import type { Zone } from './zone.js';
import { effectivePrimary, type NotifyMode, type NotifyRemote, type NotifySource, type PrimarySettings } from '../config/named-conf-notify.js';

export interface NotifyTarget {
  address: string;
  port: number;
  /** The TSIG key named for it in also-notify (signed once TSIG is configured). */
  key?: string;
}

/** What the main process needs to announce one zone's serial; plain JSON (it crosses IPC). */
export interface NotifyZoneInfo {
  /** Origin as text, absolute, as written in the zone (for logs and the question). */
  zone: string;
  serial: number;
  /** The SOA record sent in the answer section (RFC 1996 §3.7), RDATA as hex. */
  soa?: { ttl: number; rdata: string };
  targets: NotifyTarget[];
  /** Seconds to wait before sending (notify-delay). */
  delay: number;
  source?: NotifySource;
  sourceV6?: NotifySource;
}

/** The MNAME of an SOA RDATA (its first name), uncompressed. */
function mname(rd: Uint8Array): Uint8Array {
  let i = 0;
  while (i < rd.length && rd[i] !== 0) i += rd[i] + 1;
  return rd.subarray(0, i + 1);
}

const ipv4 = (rd: Uint8Array): string => Array.from(rd).join('.');
function ipv6(rd: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((rd[i] << 8) | rd[i + 1]).toString(16));
  return parts.join(':');
}

/**
 * Where a zone's NOTIFY goes (BIND 9.18): with `notify yes` (and `primary-only`, as
 * Triad serves only primary zones) the hosts of the apex NS records except the one the
 * SOA MNAME names, at the addresses the zone itself holds for them (glue and in-zone
 * A/AAAA records); plus `also-notify`, with its ports and keys. `explicit`: only
 * also-notify. `no`: nobody. Each address#port once, and never one this server listens
 * on (`ownListen`: `address#port`, addresses as ownKey spells them), as BIND skips itself.
 */
export function notifyTargets(zone: Zone, mode: NotifyMode, alsoNotify: readonly NotifyRemote[], ownListen: ReadonlySet<string>): NotifyTarget[] {
  if (mode === 'no') return [];
  const out: NotifyTarget[] = [];
  const seen = new Set<string>();
  const add = (t: NotifyTarget): void => {
    const k = ownKey(t.address, t.port);
    if (seen.has(k) || ownListen.has(k)) return;
    seen.add(k);
    out.push(t);
  };
  if (mode !== 'explicit') {
    const apex = zone.apex;
    const soa = apex?.rrsets.get(T.SOA)?.rdatas[0];
    const primaryKey = soa ? nameKey(mname(soa)) : undefined;
    for (const host of apex?.rrsets.get(T.NS)?.rdatas ?? []) {
      const key = nameKey(host);
      if (key === primaryKey) continue;
      const node = zone.nodes.get(key);
      for (const rd of node?.rrsets.get(T.A)?.rdatas ?? []) if (rd.length === 4) add({ address: ipv4(rd), port: 53 });
      for (const rd of node?.rrsets.get(T.AAAA)?.rdatas ?? []) if (rd.length === 16) add({ address: ipv6(rd), port: 53 });
    }
  }
  for (const r of alsoNotify) add(r.key === undefined ? { address: r.address, port: r.port ?? 53 } : { address: r.address, port: r.port ?? 53, key: r.key });
  return out;
}

/** `address#port` with the address in one spelling, for comparing targets with listen addresses. */
export const ownKey = (address: string, port: number): string => `${normalize6(address)}#${port}`;

/** IPv6 text in one spelling (full groups, no zero compression, lower case), for comparing addresses. */
export function normalize6(a: string): string {
  if (!a.includes(':')) return a;
  const [head, tail] = a.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => Number.parseInt(g, 16).toString(16)).join(':');
}

/** The zone's announcement: its serial and SOA, the targets and the sending settings (primary zones only). */
export function notifyInfo(zone: Zone, options: PrimarySettings | undefined, zoneSettings: PrimarySettings | undefined, ownListen: ReadonlySet<string>): NotifyZoneInfo {
  const s = effectivePrimary(options, zoneSettings);
  const soa = zone.apex?.rrsets.get(T.SOA);
  const info: NotifyZoneInfo = { zone: nameToText(zone.origin), serial: zone.serial, targets: notifyTargets(zone, s.notify, s.alsoNotify, ownListen), delay: s.notifyDelay };
  if (soa && soa.rdatas[0]) info.soa = { ttl: soa.ttl, rdata: Buffer.from(soa.rdatas[0]).toString('hex') };
  if (s.notifySource) info.source = s.notifySource;
  if (s.notifySourceV6) info.sourceV6 = s.notifySourceV6;
  return info;
}

/**
 * When a NOTIFY is sent again without a reply (RFC 1996 §3.6 leaves it to the
 * server): 5 tries in all, each waiting twice as long as the one before it.
 * The result is the wait after each try, in milliseconds.
 */
export const NOTIFY_TRIES = 5;
export function notifyRetryWaits(tries = NOTIFY_TRIES, firstMs = 2000): number[] {
  return Array.from({ length: tries }, (_, i) => firstMs * 2 ** i);
}

/**
 * notify-delay as BIND keeps it: the zone's NOTIFYs go at once, then a timer of `delay`
 * seconds runs; a change before it ends waits for it. From the time the window ends
 * (`windowEnd`, ms; 0 when none ran yet) and now: how long to wait, and the next window's end.
 */
export function notifyWait(windowEnd: number, now: number, delaySec: number): { waitMs: number; windowEnd: number } {
  const at = Math.max(now, windowEnd);
  return { waitMs: at - now, windowEnd: at + Math.max(0, delaySec) * 1000 };
}

/** A NOTIFY request (RFC 1996 §3.7): opcode NOTIFY, AA, the zone's SOA question, and the SOA in the answer section. */
export function notifyMessage(id: number, zone: string, soa?: { ttl: number; rdata: Uint8Array }): Uint8Array {
  const name = parseName(zone.endsWith('.') ? zone : `${zone}.`);
  const rrLen = soa ? 2 + 10 + soa.rdata.length : 0;
  const buf = Buffer.alloc(12 + name.length + 4 + rrLen);
  buf.writeUInt16BE(id, 0);
  buf.writeUInt16BE((OPCODE_NOTIFY << 11) | FLAG_AA, 2);
  buf.writeUInt16BE(1, 4);
  buf.writeUInt16BE(soa ? 1 : 0, 6);
  let p = 12;
  buf.set(name, p);
  p += name.length;
  buf.writeUInt16BE(T.SOA, p);
  buf.writeUInt16BE(CLASS_IN, p + 2);
  p += 4;
  if (soa) {
    buf.writeUInt16BE(0xc00c, p); // the owner is the question's name
    buf.writeUInt16BE(T.SOA, p + 2);
    buf.writeUInt16BE(CLASS_IN, p + 4);
    buf.writeUInt32BE(soa.ttl >>> 0, p + 6);
    buf.writeUInt16BE(soa.rdata.length, p + 10);
    buf.set(soa.rdata, p + 12);
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/**
 * Whether `reply` answers our NOTIFY `id` for `zone` (RFC 1996 §4.7): a response with
 * the same ID, opcode NOTIFY and question. Its rcode (any) ends the retries; returned for the log.
 */
export function notifyReply(reply: Uint8Array, id: number, zone: string): { rcode: number } | undefined {
  const d = decodeMessage(reply);
  if (typeof d === 'string') return undefined;
  if (d.id !== id || (d.flags & FLAG_QR) === 0 || d.opcode !== OPCODE_NOTIFY) return undefined;
  const q = d.questions[0];
  const want = nameKey(parseName(zone.endsWith('.') ? zone : `${zone}.`));
  if (q && (nameKey(q.name) !== want || q.type !== T.SOA)) return undefined;
  return { rcode: d.rcode };
}

/** The addresses and ports this server listens on, as ownKey spells them: never notified. */
export function ownListen(listen: readonly { address: string; port: number }[]): Set<string> {
  return new Set(listen.map((l) => ownKey(l.address, l.port)));
}

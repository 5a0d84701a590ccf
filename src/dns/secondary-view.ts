// Secondary zones in a process's ServingView: each configured secondary starts as a
// placeholder answered SERVFAIL (no copy yet, as named answers a secondary that has
// not transferred) and is replaced by the version the main process sends.

import type { ZoneConfig } from '../config/named-conf.js';
import { compileAddressMatch, type AddressMatchList, type MatchEnvironment } from '../net/address-match.js';
import { nameKey, parseName } from '../wire/dns-name.js';
import { formatAddress, parseAddress } from '../net/ip.js';
import type { SecondaryEntry, ServingView } from './pipeline.js';
import { buildZone, type Zone } from './zone.js';
import { CLASS_IN } from '../wire/rr-type.js';

/** The zone's origin (wire form) for a configured name. */
export function zoneOrigin(name: string): Uint8Array {
  return parseName(name === '.' || name.endsWith('.') ? name : `${name}.`);
}

/** Who may NOTIFY a secondary zone: its primaries' addresses, then allow-notify (zone's, else options'). */
export function secondaryEntry(zc: ZoneConfig, env: MatchEnvironment, optionsAllowNotify?: AddressMatchList): SecondaryEntry {
  const extra = zc.secondary?.allowNotify ?? optionsAllowNotify;
  // Compared in one spelling (IPv6 can be written several ways).
  const canonical = (a: string): string => {
    const p = parseAddress(a);
    return p ? formatAddress(p) : a;
  };
  const primaries = new Set(zc.primaries.map((p) => canonical(p.address)));
  const allow = extra ? compileAddressMatch(extra, env) : undefined;
  return { name: zc.name, origin: zoneOrigin(zc.name), notifyAcl: (addr) => primaries.has(canonical(addr)) || (allow ? allow(addr) : false) };
}

/** The view with the held secondary versions in place of their placeholders. */
export function withSecondaries(view: ServingView, held: ReadonlyMap<string, Zone>): ServingView {
  if (!view.secondaries || view.secondaries.size === 0) return view;
  const zones = view.zones.filter((z) => !view.secondaries?.has(z.originKey));
  const notLoaded = (view.notLoaded ?? []).filter((o) => !view.secondaries?.has(nameKey(o)));
  for (const [key, e] of view.secondaries) {
    const z = held.get(key);
    if (z) zones.push(z);
    else notLoaded.push(e.origin);
  }
  return { ...view, zones, notLoaded };
}

/** A zone version as it crosses the IPC channel (JSON): records with base64 owner and RDATA. */
export interface WireZone {
  origin: string;
  serial: number;
  expiresAt?: number;
  records: [string, number, number, number, string][];
}

export function zoneToWire(zone: Zone): WireZone {
  const records: WireZone['records'] = [];
  const b64 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');
  for (const node of zone.nodes.values()) {
    for (const set of node.rrsets.values()) for (const rd of set.rdatas) records.push([b64(set.owner), set.type, set.class, set.ttl, b64(rd)]);
  }
  return { origin: b64(zone.origin), serial: zone.serial, expiresAt: zone.expiresAt, records };
}

export function zoneFromWire(w: WireZone): Zone {
  const u8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
  const origin = u8(w.origin);
  const z = buildZone(origin, CLASS_IN, w.records.map(([o, type, cls, ttl, rd]) => ({ owner: u8(o), type, class: cls, ttl, rdata: u8(rd) })), w.serial);
  if (w.expiresAt !== undefined) z.expiresAt = w.expiresAt;
  return z;
}

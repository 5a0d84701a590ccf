// BIND's automatic empty zones (RFC 6303 and later RFCs): with recursion on, named
// answers these reverse and special-use names itself (an SOA and an NS, no other
// data) instead of asking the Internet, unless the configuration serves a zone of
// that very name, forwards it with `forward only`, disables it
// (`disable-empty-zone`) or turns them all off (`empty-zones-enable no`). Names
// and record shapes as BIND 9.18 serves them (measured): upper case owners, SOA
// `ZONE . 0 28800 7200 604800 86400` with TTL 86400, NS ZONE with TTL 0 and the
// apex records written as the query spelled the name (a zone with a configured
// zone below it is an ordinary zone instead: NS TTL 86400, names as listed);
// `empty-server` and `empty-contact` replace the SOA's names and the NS target.

import type { NamedConfig } from '../config/named-conf.js';
import { nameKey, parseName } from '../wire/dns-name.js';
import { CLASS_IN, T, type ResourceRecord } from '../wire/rr-type.js';
import { buildZone, type Zone } from './zone.js';

const ip6Zeros = (lead: string): string => `${lead}.${'0.'.repeat(31)}IP6.ARPA`;

/** BIND 9.18's list, in its order. */
export const BUILTIN_EMPTY_ZONES: readonly string[] = [
  // RFC 1918
  '10.IN-ADDR.ARPA', ...Array.from({ length: 16 }, (_, i) => `${16 + i}.172.IN-ADDR.ARPA`), '168.192.IN-ADDR.ARPA',
  // RFC 6598 (100.64.0.0/10)
  ...Array.from({ length: 64 }, (_, i) => `${64 + i}.100.IN-ADDR.ARPA`),
  // RFC 5735, RFC 5737
  '0.IN-ADDR.ARPA', '127.IN-ADDR.ARPA', '254.169.IN-ADDR.ARPA', '2.0.192.IN-ADDR.ARPA', '100.51.198.IN-ADDR.ARPA',
  '113.0.203.IN-ADDR.ARPA', '255.255.255.255.IN-ADDR.ARPA',
  // ::/128 and ::1/128, fd00::/8, fe80::/10, RFC 3849's example prefix
  ip6Zeros('0'), ip6Zeros('1'), 'D.F.IP6.ARPA', '8.E.F.IP6.ARPA', '9.E.F.IP6.ARPA', 'A.E.F.IP6.ARPA', 'B.E.F.IP6.ARPA',
  '8.B.D.0.1.0.0.2.IP6.ARPA',
  // RFC 7534, RFC 8375, RFC 9462
  'EMPTY.AS112.ARPA', 'HOME.ARPA', 'RESOLVER.ARPA',
];

const fqdn = (n: string): string => (n.endsWith('.') ? n : `${n}.`);
const keyOf = (n: string): string => nameKey(parseName(fqdn(n)));

function u32(n: number): number[] {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** Whether `name` (a key) is at or below `zone` (a key): nameKey is length-prefixed labels. */
function atOrBelow(name: string, zone: string): boolean {
  if (!name.endsWith(zone)) return false;
  let i = 0;
  while (i < name.length - zone.length) i += name.charCodeAt(i) + 1;
  return i === name.length - zone.length;
}

/** The empty zones named would add for this configuration (none with recursion off). */
export function emptyZones(conf: NamedConfig): Zone[] {
  const o = conf.options;
  if (!o.recursion || !o.emptyZones.enable) return [];
  // Global `forward only` puts the root in BIND's forwarding table: every empty zone is skipped.
  if (o.forward === 'only' && o.forwarders.length > 0) return [];
  const configured = new Set(conf.zones.map((z) => keyOf(z.name)));
  const disabled = new Set(o.emptyZones.disabled.map(keyOf));
  const forwardOnly = conf.zones.filter((z) => z.type === 'forward' && (z.forwarders?.length ?? 0) > 0 && (z.forward ?? o.forward) === 'only').map((z) => keyOf(z.name));
  const out: Zone[] = [];
  for (const name of BUILTIN_EMPTY_ZONES) {
    const origin = parseName(fqdn(name));
    const key = nameKey(origin);
    if (configured.has(key) || disabled.has(key) || forwardOnly.some((f) => atOrBelow(key, f))) continue;
    const server = o.emptyZones.server !== undefined ? parseName(fqdn(o.emptyZones.server)) : origin;
    const contact = parseName(fqdn(o.emptyZones.contact ?? '.'));
    const soa = Uint8Array.from([...server, ...contact, ...u32(0), ...u32(28800), ...u32(7200), ...u32(604800), ...u32(86400)]);
    // With a configured zone below it, named makes an ordinary zone (NS TTL 86400, names
    // as listed); otherwise its built-in database (NS TTL 0, apex at the name asked).
    const parentOfConfigured = [...configured].some((c) => c !== key && atOrBelow(c, key));
    const records: ResourceRecord[] = [
      { owner: origin, type: T.SOA, class: CLASS_IN, ttl: 86400, rdata: soa },
      { owner: origin, type: T.NS, class: CLASS_IN, ttl: parentOfConfigured ? 86400 : 0, rdata: server },
    ];
    const zone = buildZone(origin, CLASS_IN, records, 0);
    if (!parentOfConfigured) zone.atQueryName = true;
    out.push(zone);
  }
  return out;
}

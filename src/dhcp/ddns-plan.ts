// What Triad asks another DNS server to do for a DHCP name, as ISC dhcpd 4.4 does it
// (RFC 4703 §5.3, §5.5 with ISC's choices), in pure functions: the messages, and what to do
// next given the server's RCODE. The runner (ddns-out.ts) sends them.
//
// Adding (with update-conflict-detection, the default):
//   1. prerequisite: the name is not in use; add A and the owner record (DHCID or TXT).
//   2. on YXDOMAIN: prerequisite: the owner record is ours; replace the A RRset.
//      Any other failure of 2 means another client holds the name: nothing changes.
//   then the PTR: delete the PTR RRset of the reverse name, add ours (no prerequisite).
// Without conflict detection: one update replacing A and the owner record.
// Removing:
//   1. prerequisite: the owner record is ours; delete our A record.
//   2. if that worked: prerequisites: no A, no AAAA left, owner record ours; delete it.
//   then delete our PTR record (also when the name was not ours, as ISC does).

import { addRecord, aRdata, deleteRecord, deleteRrset, nameNotInUse, ptrRdata, rrsetAbsent, rrsetIs, txtRdata, UPDATE_RCODE, type UpdateRecord } from '../wire/dns-update.js';
import { T } from '../wire/rr-type.js';
import { dhcidRdata, interimTxt, type ClientIdentity } from './dhcid.js';

export interface NameFacts {
  /** Absolute, lower case: `pc1.example.org.`. */
  fqdn: string;
  ip: number;
  ttl: number;
  style: 'standard' | 'interim';
  client: ClientIdentity;
}

export interface UpdateBody {
  prerequisites: UpdateRecord[];
  updates: UpdateRecord[];
}

/** The owner record: DHCID (standard) or TXT (interim), its type and RDATA. */
export function ownerRecord(f: NameFacts): { type: number; rdata: Uint8Array } {
  return f.style === 'standard' ? { type: T.DHCID, rdata: dhcidRdata(f.client, f.fqdn) } : { type: T.TXT, rdata: txtRdata(interimTxt(f.client)) };
}

export function forwardAdd(f: NameFacts, conflictDetection: boolean): UpdateBody {
  const o = ownerRecord(f);
  const a = addRecord(f.fqdn, T.A, f.ttl, aRdata(f.ip));
  const own = addRecord(f.fqdn, o.type, f.ttl, o.rdata);
  if (!conflictDetection) return { prerequisites: [], updates: [deleteRrset(f.fqdn, T.A), deleteRrset(f.fqdn, o.type), a, own] };
  return { prerequisites: [nameNotInUse(f.fqdn)], updates: [a, own] };
}

export function forwardReplace(f: NameFacts): UpdateBody {
  const o = ownerRecord(f);
  return { prerequisites: [rrsetIs(f.fqdn, o.type, o.rdata)], updates: [deleteRrset(f.fqdn, T.A), addRecord(f.fqdn, T.A, f.ttl, aRdata(f.ip))] };
}

export type Next = 'done' | 'replace' | 'conflict' | 'failed';

/** After the first add: added, or the name exists (try as its owner), or an error. */
export function afterForwardAdd(rcode: number, conflictDetection: boolean): Next {
  if (rcode === UPDATE_RCODE.NOERROR) return 'done';
  if (conflictDetection && rcode === UPDATE_RCODE.YXDOMAIN) return 'replace';
  return 'failed';
}

/** After the replace: ours, or another client's name (RFC 4703 §5.3.1: leave it). */
export function afterForwardReplace(rcode: number): Next {
  if (rcode === UPDATE_RCODE.NOERROR) return 'done';
  if (rcode === UPDATE_RCODE.NXRRSET || rcode === UPDATE_RCODE.NXDOMAIN) return 'conflict';
  return 'failed';
}

/** `4.3.2.1.in-addr.arpa.` for 1.2.3.4, under the configured reverse domain. */
export function reverseName(ip: number, revDomain = 'in-addr.arpa.'): string {
  return `${ip & 0xff}.${(ip >>> 8) & 0xff}.${(ip >>> 16) & 0xff}.${ip >>> 24}.${revDomain}`;
}

export function reverseAdd(f: NameFacts, revName: string): UpdateBody {
  return { prerequisites: [], updates: [deleteRrset(revName, T.PTR), addRecord(revName, T.PTR, f.ttl, ptrRdata(f.fqdn))] };
}

export function forwardRemove(f: NameFacts): UpdateBody {
  const o = ownerRecord(f);
  return { prerequisites: [rrsetIs(f.fqdn, o.type, o.rdata)], updates: [deleteRecord(f.fqdn, T.A, aRdata(f.ip))] };
}

export function ownerRemove(f: NameFacts): UpdateBody {
  const o = ownerRecord(f);
  return { prerequisites: [rrsetAbsent(f.fqdn, T.A), rrsetAbsent(f.fqdn, T.AAAA), rrsetIs(f.fqdn, o.type, o.rdata)], updates: [deleteRrset(f.fqdn, o.type)] };
}

export function reverseRemove(f: NameFacts, revName: string): UpdateBody {
  return { prerequisites: [], updates: [deleteRecord(revName, T.PTR, ptrRdata(f.fqdn))] };
}

/** The configured zone a name falls in: the longest `zone` suffix, or undefined. */
export function zoneFor<Z extends { name: string }>(zones: readonly Z[], name: string): Z | undefined {
  const n = name.toLowerCase();
  let best: Z | undefined;
  for (const z of zones) {
    const zn = z.name.toLowerCase().replace(/\.?$/, '.');
    if ((n === zn || n.endsWith(`.${zn}`)) && (!best || zn.length > best.name.replace(/\.?$/, '.').length)) best = z;
  }
  return best;
}

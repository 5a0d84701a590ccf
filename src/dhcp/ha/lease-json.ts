// Leases as Kea's lease_cmds hook writes them in lease4-update / lease4-get-page:
// ip-address, hw-address, client-id (colon hex), valid-lft, expire (cltt + valid-lft),
// subnet-id, hostname, fqdn-fwd/rev and state (0 default, 1 declined, 2 expired-reclaimed).

import { formatIPv4, parseIPv4 } from '../../wire/ipv4.js';
import type { Lease } from '../lease.js';

export interface KeaLease4 {
  'ip-address': string;
  'hw-address': string;
  'client-id'?: string;
  'valid-lft': number;
  /** In lease4-update (cltt + valid-lft). */
  expire?: number;
  /** In lease4-get-page answers (Kea's own lease form; its synchronisation needs it). */
  cltt?: number;
  'subnet-id': number;
  hostname: string;
  'fqdn-fwd': boolean;
  'fqdn-rev': boolean;
  state: number;
}

const colonHex = (b: Buffer): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

function parseColonHex(s: string): Buffer | undefined {
  if (s === '') return Buffer.alloc(0);
  const parts = s.split(/[:-]/);
  if (parts.length > 64 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

/**
 * Triad's lease record in Kea's shape; `subnetId` is the receiver's subnet (0: let it find
 * it by address). `form`: 'update' carries expire (lease4-update), 'page' carries cltt
 * (lease4-get-page answers, as Kea lists leases).
 */
export function leaseToKea(l: Lease, subnetId: number, form: 'update' | 'page' = 'update'): KeaLease4 {
  const valid = Math.max(0, l.ends - (l.cltt ?? l.starts));
  const state = l.state === 'active' ? 0 : l.state === 'abandoned' ? 1 : 2;
  return {
    'ip-address': formatIPv4(l.ip),
    'hw-address': l.hwAddr ? colonHex(l.hwAddr) : '',
    ...(l.uid && l.uid.length ? { 'client-id': colonHex(l.uid) } : {}),
    'valid-lft': valid,
    ...(form === 'update' ? { expire: l.ends } : { cltt: l.ends - valid }),
    'subnet-id': subnetId,
    hostname: l.hostname ?? '',
    'fqdn-fwd': false,
    'fqdn-rev': false,
    state,
  };
}

/** A lease from the partner, or why it is refused. */
export function leaseFromKea(v: unknown, nowSec: number): Lease | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'arguments must be a lease object';
  const o = v as Record<string, unknown>;
  const ipS = o['ip-address'];
  if (typeof ipS !== 'string') return "missing 'ip-address'";
  const ip = parseIPv4(ipS);
  if (ip === undefined) return `'ip-address' ${ipS} is not an IPv4 address`;
  const hwS = o['hw-address'];
  if (typeof hwS !== 'string') return "missing 'hw-address'";
  const hw = parseColonHex(hwS);
  if (!hw || hw.length > 16) return `'hw-address' ${hwS} is not a hardware address`;
  let uid: Buffer | undefined;
  if (o['client-id'] !== undefined) {
    if (typeof o['client-id'] !== 'string') return "'client-id' must be a string";
    uid = parseColonHex(o['client-id']);
    if (!uid) return `'client-id' ${o['client-id']} is not colon-separated hex`;
  }
  const valid = o['valid-lft'] ?? 0;
  if (typeof valid !== 'number' || !Number.isInteger(valid) || valid < 0 || valid > 0xffffffff) return "'valid-lft' must be a whole number";
  let ends: number;
  if (o['expire'] !== undefined) {
    if (typeof o['expire'] !== 'number' || !Number.isInteger(o['expire']) || o['expire'] < 0) return "'expire' must be a whole number";
    ends = o['expire'];
  } else if (typeof o['cltt'] === 'number') ends = o['cltt'] + valid;
  else ends = nowSec + valid;
  const stateN = o['state'] ?? 0;
  if (typeof stateN !== 'number' || ![0, 1, 2].includes(stateN)) return "'state' must be 0, 1 or 2";
  const hostname = typeof o['hostname'] === 'string' && o['hostname'] !== '' ? o['hostname'].replace(/\.$/, '') : undefined;
  const starts = ends - valid;
  return {
    ip,
    starts,
    ends,
    cltt: starts,
    state: stateN === 0 ? (ends > nowSec ? 'active' : 'expired') : stateN === 1 ? 'abandoned' : 'free',
    hwType: 1,
    ...(hw.length ? { hwAddr: hw } : {}),
    ...(uid && uid.length ? { uid } : {}),
    ...(hostname ? { hostname } : {}),
  };
}

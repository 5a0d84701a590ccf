// Leases as `triad leases` and `triad ctl dhcp leases` print them (ISC's
// dhcp-lease-list columns): address, MAC, hostname, expiry, and the state with --all.

import { formatIPv4 } from '../config/dhcp-options.js';
import { formatMac } from '../wire/mac.js';
import type { Lease } from './lease.js';

export interface LeaseRow {
  ip: string;
  mac: string | null;
  hostname: string | null;
  /** ISO time, or null for an infinite lease. */
  expires: string | null;
  state: string;
}

/** Active, unexpired leases (every record with `all`), by address. `now` in seconds. */
export function leaseRows(leases: Iterable<Lease>, now: number, all: boolean): LeaseRow[] {
  return [...leases]
    .filter((l) => all || (l.state === 'active' && l.ends > now))
    .sort((a, b) => a.ip - b.ip)
    .map((l) => ({
      ip: formatIPv4(l.ip),
      mac: l.hwAddr ? formatMac(l.hwAddr) : null,
      hostname: l.hostname ?? null,
      expires: l.ends === Infinity ? null : new Date(l.ends * 1000).toISOString().replace('.000', ''),
      state: l.state,
    }));
}

/** The rows as aligned columns with a header line. */
export function formatLeaseTable(rows: readonly LeaseRow[], all: boolean): string {
  const cells = rows.map((r) => [r.ip, r.mac ?? '-', r.hostname ?? '-', r.expires ?? 'never', ...(all ? [r.state] : [])]);
  const head = ['IP', 'MAC', 'HOSTNAME', 'EXPIRES', ...(all ? ['STATE'] : [])];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(head), ...cells.map(line)].join('\n') + '\n';
}

// `triad ctl dhcp fixed-host ADDR [NAME]`: a lease turned into a fixed host. The host
// goes into a file of Triad's own (DATA_DIR/dhcpd-fixed-hosts.conf), never into the
// user's dhcpd.conf; the DHCP loader reads that file after dhcpd.conf as if it were
// included at its end. Here: the decision and the block's text, without files.

import path from 'node:path';
import type { DhcpdConf } from '../config/dhcpd-conf.js';
import type { Lease } from './lease.js';
import { formatIPv4 } from '../wire/ipv4.js';
import { formatMac } from '../wire/mac.js';

export const FIXED_HOSTS_FILE = 'dhcpd-fixed-hosts.conf';

/** DATA_DIR/dhcpd-fixed-hosts.conf. */
export function fixedHostsPath(dataDir: string): string {
  return path.join(dataDir, FIXED_HOSTS_FILE);
}

export interface FixedHost {
  name: string;
  mac: string;
  ip: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/**
 * The host to write for the lease of `ip`, or why not: no active lease, no Ethernet
 * address, a host already declared for that MAC, address or name. The name is `name`,
 * else the lease's hostname (its first label), else one made from the MAC.
 */
export function decideFixedHost(conf: Pick<DhcpdConf, 'hosts'>, lease: Lease | undefined, ip: number, nowSec: number, name?: string): FixedHost | { refused: string } {
  const addr = formatIPv4(ip);
  if (!lease || lease.state !== 'active' || lease.ends <= nowSec) return { refused: `no active lease for ${addr}` };
  if (!lease.hwAddr || lease.hwAddr.length !== 6 || (lease.hwType ?? 1) !== 1) return { refused: `the lease of ${addr} has no Ethernet address to fix it to` };
  const m = formatMac(lease.hwAddr);
  const fromLease = lease.hostname?.split('.')[0];
  const chosen = name ?? (fromLease && NAME.test(fromLease) ? fromLease : `fixed-${m.replace(/:/g, '-')}`);
  if (!NAME.test(chosen)) return { refused: `'${chosen}' is not a usable host name (letters, digits, '-' and '_')` };
  for (const h of (conf.hosts)) {
    if (h.hwAddr && (h.hwType ?? 1) === 1 && h.hwAddr.equals(lease.hwAddr)) return { refused: `host ${h.name} already has hardware ethernet ${m}` };
    if (h.fixedAddresses.includes(ip)) return { refused: `host ${h.name} already has fixed-address ${addr}` };
    if (h.name.toLowerCase() === chosen.toLowerCase()) return { refused: `a host named ${chosen} already exists (give another NAME)` };
  }
  return { name: chosen, mac: m, ip: addr };
}

/** The declaration as dhcpd.conf writes it, with a comment saying where it came from. */
export function renderFixedHost(h: FixedHost, at: Date): string {
  return `# from the lease of ${h.ip}, ${at.toISOString().replace(/\.\d{3}Z$/, 'Z')}\nhost ${h.name} {\n  hardware ethernet ${h.mac};\n  fixed-address ${h.ip};\n}\n`;
}

/** The file's first line when Triad creates it. */
export const FIXED_HOSTS_HEADER = '# Triad-owned: fixed hosts made from leases (triad ctl dhcp fixed-host, the dashboard).\n# Read after dhcpd.conf as if included at its end. Do not edit by hand; delete a block to undo.\n';

/** Each lease row with `fixedHost`: the host declared for its address and MAC, or null. */
export function markFixed<R extends { ip: string; mac: string | null }>(rows: R[], conf: Pick<DhcpdConf, 'hosts'>): (R & { fixedHost: string | null })[] {
  return rows.map((r) => {
    const h = conf.hosts.find((x) => x.hwAddr !== undefined && formatMac(x.hwAddr) === r.mac && x.fixedAddresses.some((a) => formatIPv4(a) === r.ip));
    return { ...r, fixedHost: h ? h.name : null };
  });
}

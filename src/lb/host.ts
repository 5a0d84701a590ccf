// The load balancer's edges on its host: which interface holds a VIP, MACs,
// neighbours and sysctls (VIP addresses and gratuitous ARP are net/vip.ts's). All shell out to
// iproute2 / iputils-arping; decisions stay in the pure functions below.

import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { parseAddress, prefixContains } from '../net/ip.js';
import { formatIPv4 } from '../wire/ipv4.js';
import { formatMac } from '../wire/mac.js';
import type { HostAddress } from '../net/interfaces.js';
import type { Logger } from '../log.js';
import type { LinkTable } from '../net/link-watch.js';

export { addVip, delVip, gratuitousArp } from '../net/vip.js';

const run = promisify(execFile);

/** The interface whose connected subnet (not a /32 host address) holds `ip`. */
export function interfaceFor(ip: string, addrs: readonly HostAddress[]): string | undefined {
  const a = parseAddress(ip);
  if (!a) return undefined;
  let best: HostAddress | undefined;
  for (const h of addrs) {
    if (h.address.family !== a.family || h.prefixLength >= (a.family === 4 ? 32 : 128)) continue;
    if (!prefixContains({ family: h.address.family, bytes: h.address.bytes, length: h.prefixLength }, a)) continue;
    if (!best || h.prefixLength > best.prefixLength) best = h; // longest prefix wins
  }
  return best?.interface;
}

/**
 * This host's IPv4 addresses from the link watcher's table: unlike os.networkInterfaces(),
 * it includes links that are down or without carrier, so a virtual server is placed (and
 * its VIP added) before its link comes up.
 */
export function hostAddressesFrom(table: LinkTable): HostAddress[] {
  const out: HostAddress[] = [];
  for (const l of table.links.values()) {
    for (const a of l.addresses) {
      const text = formatIPv4(a.ip);
      const address = parseAddress(text);
      if (address) out.push({ address, text, prefixLength: a.prefixLen, interface: l.name, linkLocal: false });
    }
  }
  return out;
}

export function macText(mac: Buffer): string | undefined {
  if (mac.length !== 6 || mac.every((b) => b === 0)) return undefined;
  return formatMac(mac);
}

/** Parses `arping` output for the replying MAC. */
export function parseArpingMac(out: string): string | undefined {
  const m = /reply from \S+ \[([0-9A-Fa-f:]{17})\]/.exec(out);
  return m?.[1].toLowerCase();
}

/** The MAC of a neighbour: the kernel's table first, then one ARP request. */
export async function resolveMac(ip: string, iface: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('ip', ['-j', 'neigh', 'show', 'to', ip, 'dev', iface]);
    const j = JSON.parse(stdout || '[]') as Array<{ lladdr?: string; state?: string[] }>;
    const e = j.find((x) => x.lladdr && !x.state?.includes('FAILED') && !x.state?.includes('INCOMPLETE'));
    if (e?.lladdr) return e.lladdr.toLowerCase();
  } catch {
    // fall through to arping
  }
  try {
    const { stdout } = await run('arping', ['-c', '1', '-w', '2', '-I', iface, ip]);
    return parseArpingMac(stdout);
  } catch (e) {
    const out = (e as { stdout?: string }).stdout;
    return out ? parseArpingMac(out) : undefined;
  }
}

const sysctlFile = (key: string): string => `/proc/sys/${key.replace(/\./g, '/')}`;

/**
 * Sysctls the load balancer changed and the value each had before. At stop they are put
 * back, so a stopped Triad leaves the host forwarding as it found it; a value someone
 * changed again meanwhile is theirs and is left alone.
 */
export class SysctlChanges {
  private readonly before = new Map<string, { was: string; set: string }>();
  constructor(private readonly log: Logger) {}

  /** Sets a sysctl when it differs, and says so. */
  async set(key: string, value: string): Promise<void> {
    const cur = (await readFile(sysctlFile(key), 'utf8').catch(() => '')).trim();
    if (cur === value) return;
    await writeFile(sysctlFile(key), value);
    const had = this.before.get(key);
    this.before.set(key, { was: had ? had.was : cur, set: value });
    this.log.info({ sysctl: key, from: cur, to: value }, 'sysctl set for the load balancer');
  }

  async restore(): Promise<void> {
    for (const [key, { was, set }] of this.before) {
      const cur = (await readFile(sysctlFile(key), 'utf8').catch(() => '')).trim();
      if (was === '' || cur !== set) continue;
      try {
        await writeFile(sysctlFile(key), was);
        this.log.info({ sysctl: key, from: set, to: was }, 'sysctl restored');
      } catch (e) {
        this.log.warn({ sysctl: key, err: (e as Error).message }, 'cannot restore sysctl');
      }
    }
    this.before.clear();
  }
}

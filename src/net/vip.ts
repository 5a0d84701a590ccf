// Service addresses on this host's interfaces (the load balancer's VIPs, VRRP's virtual
// addresses): added and removed with iproute2, announced with gratuitous ARP
// (iputils-arping), as keepalived does with netlink and its own ARP frames.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from '../log.js';

const run = promisify(execFile);

/** `ip addr add IP/PREFIX dev IFACE [label L]`; an address already there is fine. */
export async function addVip(ip: string, iface: string, prefix = 32, label?: string): Promise<void> {
  // IPv6: nodad, as keepalived does: the address moves between boxes and must be usable at once;
  // a /128 is deprecated (preferred_lft 0), as keepalived does, so it is not picked as a source.
  const v6 = ip.includes(':') ? ['nodad', ...(prefix === 128 ? ['preferred_lft', '0'] : [])] : [];
  const args = ['addr', 'add', `${ip}/${prefix}`, 'dev', iface, ...(label ? ['label', label] : []), ...v6];
  try {
    await run('ip', args);
  } catch (e) {
    const err = (e as { stderr?: string }).stderr ?? String(e);
    // Already there (added by us a moment ago, before its netlink notice arrived): fine.
    if (/File exists/.test(err)) return;
    throw new Error(`ip ${args.join(' ')}: ${err.trim()}`);
  }
}

/** `ip addr del IP/PREFIX dev IFACE`; an address already gone is fine. */
export async function delVip(ip: string, iface: string, prefix = 32): Promise<void> {
  await run('ip', ['addr', 'del', `${ip}/${prefix}`, 'dev', iface]).catch(() => undefined);
}

/** Gratuitous ARP (unsolicited reply) so neighbours learn where the VIP lives. */
export async function gratuitousArp(ip: string, iface: string, log: Logger): Promise<void> {
  try {
    await run('arping', ['-U', '-c', '1', '-I', iface, ip]);
    log.info({ vip: ip, iface }, 'gratuitous ARP sent');
  } catch (e) {
    const err = e as { code?: string; stderr?: string };
    log.warn({ vip: ip, iface, err: err.code === 'ENOENT' ? 'arping not installed (apt install iputils-arping)' : (err.stderr ?? String(e)).trim() }, 'gratuitous ARP failed');
  }
}

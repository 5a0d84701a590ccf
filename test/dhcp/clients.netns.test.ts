// More real DHCP clients against Triad in namespaces, beside dhclient and udhcpc (lab.netns):
// dhcpcd (Debian's dhcpcd-base) and systemd-networkd. Each gets a lease with the router,
// DNS server and domain of the seed lab's dhcpd.conf, and Triad records it.
// Both clients keep state under /run and /var/lib: they run in a private mount namespace
// with those directories on tmpfs, so nothing of the host is read or written.

import t, { type Test } from 'tap';
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { NetnsLab, sh, sleep, labPrerequisites } from './netns-lab.js';
import { parseLeaseFile } from '../../src/dhcp/lease-file.js';
import { formatIPv4 } from '../../src/config/dhcp-options.js';
import { REPO_ROOT } from '../helpers/paths.js';

const NETWORKD = '/lib/systemd/systemd-networkd';

/** Triad's active leases, address → MAC. */
function activeLeases(file: string): Map<string, string> {
  const { leases } = parseLeaseFile(file, readFileSync(file, 'utf8'));
  const now = Date.now() / 1000;
  const out = new Map<string, string>();
  for (const l of leases.values()) if (l.state === 'active' && l.ends > now) out.set(formatIPv4(l.ip), l.hwAddr?.toString('hex').replace(/(..)(?!$)/g, '$1:') ?? '');
  return out;
}

async function waitFor(what: string, cond: () => boolean, ms: number, detail: () => string = () => ''): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await sleep(200);
  }
}

async function labWithTriad(t: Test, prefix: string): Promise<{ lab: NetnsLab; leases: string; output: () => string }> {
  const lab = new NetnsLab(prefix);
  t.teardown(() => lab.cleanup());
  await lab.setupServer('192.168.117.1/24');
  const conf = lab.file('dhcpd.conf', readFileSync(path.join(REPO_ROOT, 'conf', 'dhcpd.conf'), 'utf8'));
  const leases = lab.file('dhcpd.leases');
  const server = await lab.startTriad(conf, leases, 'br0');
  return { lab, leases, output: server.output };
}

// The seed lab's options (conf/dhcpd.conf).
const ROUTER = '192.168.117.254';
const DNS = '192.168.117.1';
const DOMAIN = 'cafe.babe';

t.test('dhcpcd gets a lease with router, DNS and domain', { timeout: 120_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'dhcpcd', 'unshare']))) return;
  const { lab, leases, output } = await labWithTriad(t, 'tdc');
  const mac = '02:00:00:00:dc:01';
  const ns = await lab.addClient('dc', mac);
  const out = path.join(lab.dir, 'dhcpcd.events');
  // dhcpcd configures the address itself; the script (in place of dhcpcd-run-hooks, which
  // would rewrite /etc/resolv.conf) only records what it was given.
  const script = lab.file(
    'dhcpcd.sh',
    `#!/bin/sh\necho "$reason ip=$new_ip_address mask=$new_subnet_mask routers=$new_routers dns=$new_domain_name_servers domain=$new_domain_name" >> ${out}\n`,
  );
  await sh(`chmod 755 ${script}`);
  const conf = lab.file('dhcpcd.conf', 'option domain_name_servers, domain_name, routers\n');
  const dc = lab.spawnIn(ns, 'unshare', [
    '-m',
    'sh',
    '-c',
    `mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib/dhcpcd && exec dhcpcd -4 -B -A -L -t 30 -f ${conf} -c ${script} eth0`,
  ]);
  await waitFor('dhcpcd to bind', () => /^BOUND /m.test(lab.read('dhcpcd.events')), 60_000, () => `dhcpcd: ${dc.output()}\ntriad: ${output()}`);
  const ev = lab.read('dhcpcd.events');
  const bound = /^BOUND ip=(\S+) mask=(\S+) routers=(\S*) dns=(\S*) domain=(\S*)/m.exec(ev);
  t.ok(bound, `dhcpcd reports BOUND: ${bound?.[0] ?? ev.trim()}`);
  const ip = bound?.[1] ?? '';
  t.match(ip, /^192\.168\.117\.(1\d\d)$/, `address ${ip} from the pool`);
  t.equal(bound?.[2], '255.255.255.0', 'subnet mask');
  t.equal(bound?.[3], ROUTER, 'router');
  t.equal(bound?.[4], DNS, 'DNS server');
  t.equal(bound?.[5], DOMAIN, 'domain name');
  const addrs = (await sh(`ip -n ${ns} -4 -br addr show dev eth0`)).stdout;
  t.match(addrs, new RegExp(`${ip.replace(/\./g, '\\.')}/24`), `dhcpcd configured ${ip}/24 on eth0`);
  await waitFor('the lease on disk', () => activeLeases(leases).get(ip) === mac, 10_000);
  t.equal(activeLeases(leases).get(ip), mac, 'Triad holds the lease for dhcpcd\'s MAC');
  t.equal([...activeLeases(leases).values()].filter((m) => m === mac).length, 1, 'one lease for it');
});

t.test('systemd-networkd gets a lease with router, DNS and domain', { timeout: 120_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'unshare']))) return;
  if (!existsSync(NETWORKD)) {
    t.fail(`${NETWORKD} is not installed (Debian's systemd package)`);
    return;
  }
  const { lab, leases, output } = await labWithTriad(t, 'tdn');
  const mac = '02:00:00:00:dd:01';
  const ns = await lab.addClient('nd', mac);
  // networkd reads .network files from /etc, /run and /usr/lib: the private mount namespace
  // hides the host's and offers only ours; its state (leases) goes to a tmpfs /run.
  const etc = path.join(lab.dir, 'networkd-etc');
  const state = path.join(lab.dir, 'networkd-run');
  await sh(`mkdir -p ${etc} ${state}`);
  lab.file('networkd-etc/50-eth0.network', `[Match]\nName=eth0\n\n[Network]\nDHCP=ipv4\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n\n[DHCPv4]\nUseDNS=yes\nUseDomains=yes\nUseRoutes=yes\nSendHostname=no\n`);
  const setup = [
    'set -e',
    // Without udev in the namespace networkd must not wait for it: a read-only /sys tells it so (as in a container).
    'mount -o remount,ro /sys',
    `mount --bind ${state} /run`,
    'mkdir -p /run/systemd/netif/links /run/systemd/netif/leases /run/systemd/netif/lldp /run/systemd/network',
    'chown -R systemd-network: /run/systemd/netif',
    `mount --bind ${etc} /etc/systemd/network`,
    'mount -t tmpfs tmpfs /usr/lib/systemd/network',
    `exec ${NETWORKD}`,
  ].join(' && ');
  const nd = lab.spawnIn(ns, 'unshare', ['-m', 'sh', '-c', setup]);
  const leaseDir = path.join(state, 'systemd', 'netif', 'leases');
  const leaseText = (): string => (existsSync(leaseDir) ? readdirSync(leaseDir).map((f) => readFileSync(path.join(leaseDir, f), 'utf8')).join('\n') : '');
  await waitFor('systemd-networkd to write a DHCP lease', () => /^ADDRESS=/m.test(leaseText()), 60_000, () => `systemd-networkd (exit ${nd.exitCode}): ${nd.output()}\ntriad: ${output()}`);
  const lease = leaseText();
  const field = (k: string): string | undefined => new RegExp(`^${k}=(.*)$`, 'm').exec(lease)?.[1];
  const ip = field('ADDRESS') ?? '';
  t.match(ip, /^192\.168\.117\.(1\d\d)$/, `address ${ip} from the pool`);
  t.equal(field('NETMASK'), '255.255.255.0', 'subnet mask');
  t.equal(field('ROUTER'), ROUTER, 'router');
  t.equal(field('DNS'), DNS, 'DNS server');
  t.equal(field('DOMAINNAME'), DOMAIN, 'domain name');
  const addrs = (await sh(`ip -n ${ns} -4 -br addr show dev eth0`)).stdout;
  t.match(addrs, new RegExp(`${ip.replace(/\./g, '\\.')}/24`), `networkd configured ${ip}/24 on eth0`);
  const routes = (await sh(`ip -n ${ns} -4 route show default`)).stdout;
  t.match(routes, new RegExp(`default via ${ROUTER.replace(/\./g, '\\.')}`), 'default route via the router');
  await waitFor('the lease on disk', () => activeLeases(leases).get(ip) === mac, 10_000);
  t.equal(activeLeases(leases).get(ip), mac, 'Triad holds the lease for networkd\'s MAC');
});

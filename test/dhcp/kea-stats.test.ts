// `triad ctl dhcp stats` in Kea's statistic names: counters by message type, and per
// subnet (numbered in the file's order) its pool size, assigned and declined addresses.
import t from 'tap';
import { parseDhcpdConf } from '../../src/config/dhcpd-conf.js';
import { keaStatistics } from '../../src/dhcp/kea-stats.js';
import type { Lease } from '../../src/dhcp/lease.js';
import { ipNumber } from '../../src/wire/ipv4.js';

const { conf } = parseDhcpdConf('/etc/dhcp/dhcpd.conf', `
subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.10 10.0.0.19; range 10.0.0.100 10.0.0.104; }
shared-network two {
  subnet 10.1.0.0 netmask 255.255.0.0 { }
  pool { range 10.1.2.1 10.1.2.50; }
}
`);
const now = 1_800_000_000;
const lease = (ip: string, state: Lease['state'], ends = now + 600): Lease => ({ ip: ipNumber(ip), starts: now - 60, ends, state });

/** Counters by message type, as the server keeps them. */
function byType(counts: Record<number, number>): Float64Array {
  const a = new Float64Array(256);
  for (const [t, n] of Object.entries(counts)) a[Number(t)] = n;
  return a;
}

t.test('packet counters and subnets in Kea names', async (t) => {
  const leases = [lease('10.0.0.10', 'active'), lease('10.0.0.11', 'active', now - 1), lease('10.0.0.12', 'abandoned'), lease('10.1.2.3', 'active'), lease('10.1.2.4', 'free')];
  const { stats, subnets } = keaStatistics(conf, leases, { received: 20, malformed: 1, ignored: 2, replies: 9 }, { received: byType({ 1: 5, 3: 6, 7: 1, 4: 1, 99: 2 }), sent: byType({ 2: 4, 5: 4, 6: 1 }) }, now);
  t.same(subnets, [{ id: 1, prefix: '10.0.0.0/24' }, { id: 2, prefix: '10.1.0.0/16' }]);
  t.equal(stats['pkt4-received'], 20);
  t.equal(stats['pkt4-discover-received'], 5);
  t.equal(stats['pkt4-request-received'], 6);
  t.equal(stats['pkt4-release-received'], 1);
  t.equal(stats['pkt4-decline-received'], 1);
  t.equal(stats['pkt4-inform-received'], 0);
  t.equal(stats['pkt4-unknown-received'], 2, 'a type no server answers');
  t.equal(stats['pkt4-sent'], 9);
  t.equal(stats['pkt4-offer-sent'], 4);
  t.equal(stats['pkt4-ack-sent'], 4);
  t.equal(stats['pkt4-nak-sent'], 1);
  t.equal(stats['pkt4-parse-failed'], 1);
  t.equal(stats['pkt4-receive-drop'], 2);
  t.equal(stats['subnet[1].total-addresses'], 15, 'both ranges');
  t.equal(stats['subnet[1].assigned-addresses'], 1, 'an expired lease is not assigned');
  t.equal(stats['subnet[1].declined-addresses'], 1);
  t.equal(stats['subnet[2].total-addresses'], 50, "a shared network's pool counts for the subnet holding it");
  t.equal(stats['subnet[2].assigned-addresses'], 1);
  t.equal(stats['declined-addresses'], 1);
});

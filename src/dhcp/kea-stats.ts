// `triad ctl dhcp stats` in Kea's statistic names (kea-dhcp4 `statistic-get-all`), so
// dashboards and scripts written against Kea read Triad's: packet counters by message
// type, and per subnet its pool size, assigned and declined addresses. dhcpd.conf gives
// subnets no ids; as Kea numbers subnets without one, they are numbered 1, 2, … in the
// order the file declares them.

import type { DhcpdConf } from '../config/dhcpd-conf.js';
import type { Lease } from './lease.js';
import { formatIPv4, ipv4PrefixLength } from '../wire/ipv4.js';

/** Messages by DHCP message type (option 53), received and sent. */
export interface TypeCounters {
  /** Indexed by message type (0 for BOOTP). */
  received: Float64Array;
  sent: Float64Array;
}

export interface PacketCounters {
  received: number;
  malformed: number;
  ignored: number;
  replies: number;
}

const RECEIVED: Record<number, string> = { 1: 'discover', 2: 'offer', 3: 'request', 4: 'decline', 5: 'ack', 6: 'nak', 7: 'release', 8: 'inform' };
const SENT: Record<number, string> = { 2: 'offer', 5: 'ack', 6: 'nak' };

/** A subnet as the statistics name it: its number and network. */
export interface SubnetLabel {
  id: number;
  prefix: string;
}

export function keaStatistics(conf: DhcpdConf, leases: Iterable<Lease>, pkt: PacketCounters, types: TypeCounters, nowSec: number): { stats: Record<string, number>; subnets: SubnetLabel[] } {
  const stats: Record<string, number> = {
    'pkt4-received': pkt.received,
    ...Object.fromEntries(Object.entries(RECEIVED).map(([t, n]) => [`pkt4-${n}-received`, types.received[Number(t)] ?? 0])),
    'pkt4-unknown-received': types.received.reduce((a, v, t) => (RECEIVED[t] ? a : a + v), 0),
    'pkt4-sent': pkt.replies,
    ...Object.fromEntries(Object.entries(SENT).map(([t, n]) => [`pkt4-${n}-sent`, types.sent[Number(t)] ?? 0])),
    'pkt4-parse-failed': pkt.malformed,
    'pkt4-receive-drop': pkt.ignored,
  };
  const subnets = conf.subnets.map((s, i) => ({ s, id: i + 1, total: 0, assigned: 0, declined: 0 }));
  const find = (ip: number) => subnets.find((x) => ((ip & x.s.mask) >>> 0) === x.s.network);
  for (const p of conf.pools) for (const r of p.ranges) {
    const x = find(r.start);
    if (x) x.total += Math.max(0, r.end - r.start + 1);
  }
  let declined = 0;
  for (const l of leases) {
    const x = find(l.ip);
    if (l.state === 'abandoned') {
      declined++;
      if (x) x.declined++;
    } else if (l.state === 'active' && l.ends > nowSec && x) x.assigned++;
  }
  stats['declined-addresses'] = declined;
  for (const x of subnets) {
    stats[`subnet[${x.id}].total-addresses`] = x.total;
    stats[`subnet[${x.id}].assigned-addresses`] = x.assigned;
    stats[`subnet[${x.id}].declined-addresses`] = x.declined;
  }
  return { stats, subnets: subnets.map((x) => ({ id: x.id, prefix: `${formatIPv4(x.s.network)}/${ipv4PrefixLength(x.s.mask)}` })) };
}

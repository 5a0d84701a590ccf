// The DHCP service's Prometheus families, after Kea's statistics: pkt4-*-received and
// pkt4-*-sent by message type, parse failures and drops, and per subnet and pool
// total-addresses, assigned-addresses and declined-addresses, allocation failures
// (v4-allocation-fail), the lease file's sync latency, and the HA state. Built at
// scrape time from the server's counters and the lease table.

import type { DhcpdConf } from '../config/dhcpd-conf.js';
import { formatIPv4, ipv4PrefixLength } from '../wire/ipv4.js';
import { histogramSamples, type MetricFamily, type MetricSample } from '../service.js';
import type { LeaseDb } from './lease.js';
import type { DhcpServer } from './server.js';
import { SYNC_BUCKETS, type LeaseStore } from './lease-store.js';

/** Kea's words for the message types (pkt4-discover-received…). */
const TYPE_NAMES: Record<number, string> = { 1: 'discover', 2: 'offer', 3: 'request', 4: 'decline', 5: 'ack', 6: 'nak', 7: 'release', 8: 'inform' };

const typeName = (t: number): string => TYPE_NAMES[t] ?? (t === 0 ? 'bootp' : 'unknown');

function byType(counts: Float64Array): MetricSample[] {
  const out = new Map<string, number>();
  counts.forEach((n, t) => {
    if (n) out.set(typeName(t), (out.get(typeName(t)) ?? 0) + n);
  });
  return [...out].map(([type, value]) => ({ labels: { type }, value }));
}

export interface DhcpMetricsInput {
  conf: DhcpdConf;
  db: LeaseDb;
  server?: DhcpServer;
  store?: LeaseStore;
  /** The HA pair's state and this server's name, when in a pair. */
  ha?: { server: string; state: string };
  nowSec: number;
}

export function dhcpFamilies(m: DhcpMetricsInput): MetricFamily[] {
  const { conf, db, server, store, nowSec } = m;
  const subnetTotal: MetricSample[] = [];
  const subnetAssigned: MetricSample[] = [];
  const subnetDeclined: MetricSample[] = [];
  const poolTotal: MetricSample[] = [];
  const poolAssigned: MetricSample[] = [];
  const poolDeclined: MetricSample[] = [];
  // One pass over the leases: the addresses in use and quarantined.
  const assigned = new Set<number>();
  const declined = new Set<number>();
  for (const l of db.all()) {
    if (l.state === 'active' && l.ends > nowSec) assigned.add(l.ip);
    else if (l.state === 'abandoned') declined.add(l.ip);
  }
  const countIn = (set: Set<number>, start: number, end: number): number => {
    let n = 0;
    if (end - start + 1 < set.size) {
      for (let ip = start; ip <= end; ip++) if (set.has(ip)) n++;
    } else for (const ip of set) if (ip >= start && ip <= end) n++;
    return n;
  };
  for (const s of conf.subnets) {
    const subnet = `${formatIPv4(s.network)}/${ipv4PrefixLength(s.mask)}`;
    const inSubnet = (ip: number): boolean => (ip & s.mask) >>> 0 === s.network;
    let total = 0;
    let a = 0;
    let d = 0;
    for (const p of s.sharedNetwork.pools) {
      for (const r of p.ranges) {
        if (!inSubnet(r.start)) continue;
        const pool = `${formatIPv4(r.start)}-${formatIPv4(r.end)}`;
        const size = r.end - r.start + 1;
        const pa = countIn(assigned, r.start, r.end);
        const pd = countIn(declined, r.start, r.end);
        total += size;
        a += pa;
        d += pd;
        poolTotal.push({ labels: { subnet, pool }, value: size });
        poolAssigned.push({ labels: { subnet, pool }, value: pa });
        poolDeclined.push({ labels: { subnet, pool }, value: pd });
      }
    }
    subnetTotal.push({ labels: { subnet }, value: total });
    subnetAssigned.push({ labels: { subnet }, value: a });
    subnetDeclined.push({ labels: { subnet }, value: d });
  }
  const st = server?.stats;
  const fams: MetricFamily[] = [
    { name: 'triad_dhcp4_packets_received_total', help: 'DHCPv4 requests received and decided, by message type (Kea pkt4-TYPE-received).', type: 'counter', samples: server ? byType(server.types.received) : [] },
    { name: 'triad_dhcp4_packets_sent_total', help: 'DHCPv4 replies sent, by message type (Kea pkt4-TYPE-sent).', type: 'counter', samples: server ? byType(server.types.sent) : [] },
    { name: 'triad_dhcp4_packets_parse_failed_total', help: 'DHCPv4 packets that could not be read (Kea pkt4-parse-failed).', type: 'counter', samples: [{ value: st?.malformed ?? 0 }] },
    { name: 'triad_dhcp4_packets_receive_drop_total', help: 'DHCPv4 packets dropped without a decision (Kea pkt4-receive-drop).', type: 'counter', samples: [{ value: st?.ignored ?? 0 }] },
    { name: 'triad_dhcp4_send_errors_total', help: 'DHCPv4 replies that could not be sent.', type: 'counter', samples: [{ value: st?.sendErrors ?? 0 }] },
    { name: 'triad_dhcp4_lease_write_errors_total', help: 'Lease-file writes that failed (the reply was not sent).', type: 'counter', samples: [{ value: st?.leaseWriteErrors ?? 0 }] },
    { name: 'triad_dhcp4_allocation_fail_total', help: 'DISCOVERs for which no address was free (Kea v4-allocation-fail).', type: 'counter', samples: [{ value: server?.allocationFailures ?? 0 }] },
    { name: 'triad_dhcp4_subnet_total_addresses', help: 'Addresses in the subnet\'s pools (Kea subnet[id].total-addresses).', type: 'gauge', samples: subnetTotal },
    { name: 'triad_dhcp4_subnet_assigned_addresses', help: 'Addresses of the subnet leased now (Kea subnet[id].assigned-addresses).', type: 'gauge', samples: subnetAssigned },
    { name: 'triad_dhcp4_subnet_declined_addresses', help: 'Addresses of the subnet quarantined after a DECLINE or a ping answer (Kea subnet[id].declined-addresses).', type: 'gauge', samples: subnetDeclined },
    { name: 'triad_dhcp4_pool_total_addresses', help: 'Addresses in the pool range (Kea subnet[id].pool[pid].total-addresses).', type: 'gauge', samples: poolTotal },
    { name: 'triad_dhcp4_pool_assigned_addresses', help: 'Addresses of the pool range leased now (Kea …pool[pid].assigned-addresses).', type: 'gauge', samples: poolAssigned },
    { name: 'triad_dhcp4_pool_declined_addresses', help: 'Addresses of the pool range quarantined (Kea …pool[pid].declined-addresses).', type: 'gauge', samples: poolDeclined },
  ];
  if (store) {
    const l = store.syncLatency;
    fams.push({ name: 'triad_dhcp4_lease_file_sync_seconds', help: 'Time each lease-file append waited for the disk (write and fdatasync).', type: 'histogram', samples: histogramSamples(SYNC_BUCKETS, l.buckets, l.sum, l.count) });
  }
  if (m.ha) fams.push({ name: 'triad_dhcp4_ha_state', help: 'This server\'s state in its DHCP HA pair (1 for the current state).', type: 'gauge', samples: [{ labels: { server: m.ha.server, state: m.ha.state }, value: 1 }] });
  return fams;
}

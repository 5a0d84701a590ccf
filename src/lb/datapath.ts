// The desired state the control plane hands to a datapath engine, and the
// engine interface. The state is complete every time (no deltas): engines diff
// it against what they installed, so a reload can never leave half a change.

import type { LbAlgo } from '../config/keepalived-conf.js';

export interface DpServer {
  /** Name fragment, unique within its virtual server (e.g. `r10_1_0_2_8080`). */
  id: string;
  ip: string;
  port: number;
  /** DR only: the real server's MAC on the virtual server's interface. */
  mac?: string;
  /** Effective weight: 0 = quiescent (drain / inhibit_on_failure). */
  weight: number;
  /** False when health checks took it out: neither new nor existing flows go there. */
  alive: boolean;
}

export interface DpVirtualServer {
  /** Name fragment, unique (e.g. `v10_0_0_100_80t`). */
  id: string;
  vip: string;
  port: number;
  proto: 'tcp' | 'udp';
  kind: 'NAT' | 'DR' | 'TUN';
  /** Which engine forwards it: the kernel's nftables (default) or Triad's packet engine. */
  datapath?: 'nft' | 'packet';
  /** DR: the interface frames arrive on and leave by. */
  iface: string;
  /** DR: the load balancer's MAC on iface (source of forwarded frames). */
  lbMac?: string;
  algo: LbAlgo;
  hashPort: boolean;
  persistence?: { timeout: number; prefix: number };
  servers: DpServer[];
  /** When set, quorum is lost: every new flow goes here. */
  sorry?: DpServer;
  /**
   * The VIP is a VRRP address: VRRP adds it on the master and removes it on the backup.
   * The packet engine then serves it only while the address is on its interface (and
   * leaves ARP to the kernel, which answers for the address where it is).
   */
  vrrp?: boolean;
}

export interface DesiredState {
  vss: DpVirtualServer[];
}

export interface ServerCounters {
  conns: number;
  inPkts: number;
  inBytes: number;
  outPkts: number;
  outBytes: number;
  /** Flows currently tracked (conntrack for NAT, the flow map for DR). */
  active: number;
}

export interface Datapath {
  readonly name: string;
  /** Removes anything a previous (crashed) instance left behind. */
  reset(): Promise<void>;
  apply(state: DesiredState): Promise<void>;
  counters(state: DesiredState): Promise<Map<string, ServerCounters>>;
  remove(): Promise<void>;
}

/** `vsId/rsId`, the key of counters. */
export function counterKey(vs: DpVirtualServer, rs: DpServer): string {
  return `${vs.id}/${rs.id}`;
}

export function vsName(vip: string, port: number, proto: 'tcp' | 'udp'): string {
  return `v${vip.replace(/\./g, '_')}_${port}${proto[0]}`;
}

export function rsName(ip: string, port: number): string {
  return `r${ip.replace(/\./g, '_')}_${port}`;
}

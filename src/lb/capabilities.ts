// What each load-balancer engine can serve: one table of schedulers × datapaths and
// forwarding methods × datapaths. `triad check` and `triad run` (config-check.ts) refuse
// a virtual server its engine cannot serve, with the engine that can; the engines'
// own refusals (scheduler.ts) word it from here too. The scheduler rows follow from
// the descriptors in schedulers.ts; a new engine is a column here.

import type { LbAlgo, LbKind } from '../config/keepalived-conf.js';
import { SCHEDULERS, type SchedulerDescriptor } from './schedulers.js';

export type DatapathName = 'nft' | 'packet';

export const DATAPATHS: readonly DatapathName[] = ['nft', 'packet'];

/**
 * nftables evaluates a slot table per new flow (numgen, jhash), so only schedulers
 * that are "hash or counter → slot" fit; the packet engine also keeps live connection
 * counts (lc, wlc, sed, nq as IPVS computes them). Derived from the descriptors.
 */
export const SCHEDULER_SUPPORT: Readonly<Record<LbAlgo, Readonly<Record<DatapathName, boolean>>>> = Object.fromEntries(
  (Object.entries(SCHEDULERS) as [LbAlgo, SchedulerDescriptor][]).map(([algo, d]) => [algo, { nft: d.slots !== undefined, packet: d.slots !== undefined || d.live !== undefined }]),
) as Record<LbAlgo, Record<DatapathName, boolean>>;

/** Forwarding methods: IP-in-IP (TUN) is built by the packet engine only. */
export const KIND_SUPPORT: Readonly<Record<LbKind, Readonly<Record<DatapathName, boolean>>>> = {
  DR: { nft: true, packet: true },
  NAT: { nft: true, packet: true },
  TUN: { nft: false, packet: true },
};

const schedulersOf = (d: DatapathName): LbAlgo[] => (Object.keys(SCHEDULER_SUPPORT) as LbAlgo[]).filter((a) => SCHEDULER_SUPPORT[a][d]);

/** Why `datapath` cannot run scheduler `algo`, naming what can; undefined when it can. */
export function schedulerProblem(algo: LbAlgo, datapath: DatapathName): string | undefined {
  const row = SCHEDULER_SUPPORT[algo];
  if (!row) return `unknown scheduler '${String(algo)}'`;
  if (row[datapath]) return undefined;
  if (datapath === 'nft' && row.packet) {
    return `scheduler '${algo}' needs live per-server connection counts, which the nftables engine cannot evaluate; use ${schedulersOf('nft').join(', ')}, or the userspace engine (lb_datapath packet)`;
  }
  const packetOnly = schedulersOf('packet').filter((a) => !SCHEDULER_SUPPORT[a].nft);
  return `scheduler '${algo}' is not implemented by Triad's engines; use ${schedulersOf('nft').join(', ')} (or ${packetOnly.join(', ')} with lb_datapath packet)`;
}

/** Why `datapath` cannot forward by `kind`; undefined when it can. */
export function kindProblem(kind: LbKind, datapath: DatapathName): string | undefined {
  if (KIND_SUPPORT[kind][datapath]) return undefined;
  const ok = (Object.keys(KIND_SUPPORT) as LbKind[]).filter((k) => KIND_SUPPORT[k][datapath]);
  return `lb_kind ${kind} is not supported by the ${datapath} engine (${ok.join(' and ')} are); use lb_datapath ${DATAPATHS.find((d) => KIND_SUPPORT[kind][d]) ?? 'packet'}`;
}

// Slot tables for one virtual server: the scheduler's descriptor (schedulers.ts)
// applied to the current backends. Schedulers that need live connection counts
// cannot be expressed as a slot table and are refused here, naming the engine that can.

import type { LbAlgo } from '../config/keepalived-conf.js';
import { schedulerProblem } from './capabilities.js';
import { SCHEDULERS } from './schedulers.js';
import type { SchedBackend, SlotTable } from './slot-table.js';

export class UnsupportedSchedulerError extends Error {}

/** Builds the slot table for one virtual server's current backends. */
export function buildSlotTable(algo: LbAlgo, backends: readonly SchedBackend[], hashPort: boolean): SlotTable {
  const d = SCHEDULERS[algo] as (typeof SCHEDULERS)[LbAlgo] | undefined;
  if (!d) throw new UnsupportedSchedulerError(`unknown scheduler '${String(algo)}'`);
  if (!d.slots) throw new UnsupportedSchedulerError(schedulerProblem(algo, 'nft') ?? `scheduler '${algo}' cannot be a slot table`);
  const weights = backends.map((b) => Math.max(0, b.weight));
  const live = weights.map((w, i) => (w > 0 ? i : -1)).filter((i) => i >= 0);
  if (live.length === 0) return { selector: 'first', slots: [] };
  return d.slots(weights, live, backends, hashPort);
}

// Receive offloads the packet engine turns off on the interfaces it serves (GRO and LRO
// merge frames into superpackets larger than the MTU, which AF_PACKET cannot send on),
// and puts back when it stops, as SysctlChanges does for sysctls: a stopped Triad leaves
// the interface as it found it. Shells out to ethtool; the decisions are pure functions.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from '../log.js';

const run = promisify(execFile);

/** ethtool -K short names and the feature names `ethtool -k` lists them under. */
export const RECEIVE_OFFLOADS: ReadonlyArray<{ short: string; feature: string }> = [
  { short: 'gro', feature: 'generic-receive-offload' },
  { short: 'lro', feature: 'large-receive-offload' },
];

export interface FeatureState {
  on: boolean;
  /** The driver does not let it change ("[fixed]"). */
  fixed: boolean;
}

/** Parses `ethtool -k IFACE` output: feature name → state. */
export function parseFeatures(text: string): Map<string, FeatureState> {
  const out = new Map<string, FeatureState>();
  for (const line of text.split('\n')) {
    const m = /^\s*([a-z0-9-]+):\s+(on|off)\b(.*)$/.exec(line);
    if (m) out.set(m[1], { on: m[2] === 'on', fixed: /\[fixed\]/.test(m[3]) });
  }
  return out;
}

/** The receive offloads that are on and may be changed: the ones to turn off (short names). */
export function offloadsToTurnOff(features: Map<string, FeatureState>): string[] {
  return RECEIVE_OFFLOADS.filter(({ feature }) => {
    const s = features.get(feature);
    return s !== undefined && s.on && !s.fixed;
  }).map((o) => o.short);
}

/**
 * Which of the offloads turned off earlier to turn on again: only those still off now
 * (one someone turned on meanwhile needs nothing; one they changed is theirs).
 */
export function offloadsToRestore(turnedOff: readonly string[], features: Map<string, FeatureState>): string[] {
  return turnedOff.filter((short) => {
    const feature = RECEIVE_OFFLOADS.find((o) => o.short === short)?.feature;
    const s = feature ? features.get(feature) : undefined;
    return s !== undefined && !s.on && !s.fixed;
  });
}

/** `ethtool -K IFACE name on|off …` arguments. */
export function ethtoolArgs(iface: string, shorts: readonly string[], on: boolean): string[] {
  return ['-K', iface, ...shorts.flatMap((s) => [s, on ? 'on' : 'off'])];
}

export class OffloadChanges {
  /** Interface name → offloads this engine turned off on it. */
  private readonly changed = new Map<string, string[]>();
  constructor(private readonly log: Logger) {}

  private async features(iface: string): Promise<Map<string, FeatureState>> {
    const { stdout } = await run('ethtool', ['-k', iface]);
    return parseFeatures(stdout);
  }

  /** Turns GRO/LRO off on `iface` where on, and remembers what it changed. */
  async turnOff(iface: string): Promise<void> {
    const off = offloadsToTurnOff(await this.features(iface));
    if (!off.length) return;
    await run('ethtool', ethtoolArgs(iface, off, false));
    const had = this.changed.get(iface) ?? [];
    this.changed.set(iface, [...new Set([...had, ...off])]);
    this.log.info({ iface, offloads: off }, `receive offloads turned off on ${iface} for the packet engine (${off.join(', ')}): it forwards frames as the wire carried them`);
  }

  /** Turns back on what turnOff turned off, where still off; failures are logged, never fatal. */
  async restore(): Promise<void> {
    for (const [iface, off] of this.changed) {
      try {
        const again = offloadsToRestore(off, await this.features(iface));
        if (!again.length) continue;
        await run('ethtool', ethtoolArgs(iface, again, true));
        this.log.info({ iface, offloads: again }, `receive offloads restored on ${iface} (${again.join(', ')})`);
      } catch (e) {
        this.log.warn({ iface, err: ((e as { stderr?: string }).stderr ?? (e as Error).message).trim() }, `cannot restore receive offloads on ${iface}`);
      }
    }
    this.changed.clear();
  }
}

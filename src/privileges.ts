// `triad run -u USER` (BIND's `-u`): every privileged socket is opened as root,
// then the process becomes USER and keeps only the capabilities its configured
// services still need (each ServiceDefinition lists them). Node has no capability
// API, so the libc calls go through koffi (net/capabilities.ts):
// prctl(PR_SET_KEEPCAPS) keeps the permitted set across setuid(2), capset(2) then
// narrows it, prctl(PR_CAPBSET_DROP) empties the bounding set of the rest, and the
// kept capabilities are raised in the ambient set so that the tools Triad runs
// (nft, ip, arping, check scripts) have them too (capabilities(7)).
//
// Capabilities are per thread: keepcaps and capset apply to the main thread, which
// opens every socket and spawns every child; libuv's pool threads (file I/O) lose
// all of theirs at setuid, which they do not need.

import { execFileSync } from 'node:child_process';
import { chownSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { capsetAll, ensure, prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, PR_CAPBSET_DROP, PR_CAPBSET_READ, PR_SET_KEEPCAPS } from './net/capabilities.js';
import type { CapabilityName } from './service.js';

/** capabilities(7) numbers of those Triad may keep. */
export const CAPABILITIES: Readonly<Record<CapabilityName, number>> = { CAP_NET_BIND_SERVICE: 10, CAP_NET_BROADCAST: 11, CAP_NET_ADMIN: 12, CAP_NET_RAW: 13 };

export interface RunAs {
  user: string;
  uid: number;
  gid: number;
  /** Supplementary groups (as initgroups(3) would set them). */
  groups: number[];
}

/** The uid and primary gid of a user name or number (`id`, so NSS users count). */
export function lookupUser(user: string): RunAs {
  const id = (flag: string): number[] => {
    try {
      return execFileSync('id', [flag, user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split(/\s+/).map(Number);
    } catch {
      throw new Error(`-u ${user}: no such user`);
    }
  };
  return { user, uid: id('-u')[0], gid: id('-g')[0], groups: id('-G') };
}

/** The three 64-bit masks of capset(2), version 3, from a list of capabilities. */
export function capMask(caps: readonly CapabilityName[]): bigint {
  return caps.reduce((m, c) => m | (1n << BigInt(CAPABILITIES[c])), 0n);
}

/** Parses CapEff/CapPrm/CapBnd/CapAmb and Uid/Gid of /proc/PID/status (tests, `ctl status`). */
export function procStatus(text: string): { uid: number; gid: number; caps: Record<string, bigint> } {
  const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1] ?? '';
  const caps: Record<string, bigint> = {};
  for (const n of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) caps[n] = BigInt(`0x${field(n) || '0'}`);
  return { uid: Number(field('Uid').split(/\s+/)[0]), gid: Number(field('Gid').split(/\s+/)[0]), caps };
}

/** The owner of DATA_DIR and everything in it becomes the user (symbolic links are left alone). */
export function chownTree(dir: string, to: RunAs): void {
  const visit = (p: string): void => {
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) return;
    if (st.uid !== to.uid || st.gid !== to.gid) chownSync(p, to.uid, to.gid);
    if (st.isDirectory()) for (const e of readdirSync(p)) visit(path.join(p, e));
  };
  visit(dir);
}

/**
 * Becomes `to` keeping `keep`: bounding set reduced to `keep`, supplementary groups
 * of the user, gid, uid, then permitted = effective = inheritable = ambient = `keep`.
 * Throws with the failing step; the caller exits rather than serve half-dropped.
 */
export function dropPrivileges(to: RunAs, keep: readonly CapabilityName[]): void {
  const mask = capMask(keep);
  const last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  // The bounding set first: dropping from it needs CAP_SETPCAP, which goes at setuid.
  // Only those still in it (a container's is already narrow).
  for (let c = 0; c <= last; c++) {
    if (mask & (1n << BigInt(c)) || prctl(PR_CAPBSET_READ, c) !== 1) continue;
    ensure(`PR_CAPBSET_DROP ${c}`, prctl(PR_CAPBSET_DROP, c));
  }
  ensure('PR_SET_KEEPCAPS', prctl(PR_SET_KEEPCAPS, 1));
  const { setgroups, setgid, setuid } = process;
  if (!setgroups || !setgid || !setuid) throw new Error('-u: this platform cannot change the user');
  setgroups(to.groups);
  setgid(to.gid);
  setuid(to.uid);
  capsetAll(mask);
  ensure('PR_SET_KEEPCAPS 0', prctl(PR_SET_KEEPCAPS, 0));
  for (const c of keep) ensure(`PR_CAP_AMBIENT_RAISE ${c}`, prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAPABILITIES[c]));
}

// `triad ctl dns refresh|retransfer ZONE` (rndc's), and `zonestatus` of a secondary
// zone, answered by the process that owns the secondaries (secondary.ts).

import { ControlUsageError, type ControlReply } from '../control/server.js';
import type { SecondaryZones } from './secondary.js';

/** The reply for a secondary-zone command, or undefined when the command is not about one. */
export function secondaryControl(sec: SecondaryZones, cmd: string, args: string[]): ControlReply | undefined {
  if (cmd !== 'refresh' && cmd !== 'retransfer' && cmd !== 'zonestatus') return undefined;
  const name = args[0];
  if (!name) {
    if (cmd === 'zonestatus') return undefined;
    throw new ControlUsageError(`usage: triad ctl dns ${cmd} ZONE`);
  }
  if (!sec.has(name)) {
    if (cmd === 'zonestatus') return undefined;
    const have = sec.names();
    throw new ControlUsageError(`'${name}' is not a secondary zone (secondaries: ${have.length ? have.join(', ') : 'none'})`);
  }
  if (cmd === 'refresh') return { text: sec.refresh(name), data: { queued: 'refresh' } };
  if (cmd === 'retransfer') return { text: sec.retransfer(name), data: { queued: 'retransfer' } };
  const s = sec.status(name);
  const lines = [`name: ${s.name}`, `type: secondary`, `files: ${s.file ?? ''}`, `primaries: ${s.primaries.join(' ')}`];
  lines.push(s.loaded ? `serial: ${s.serial}` : `loaded: no (${s.expired ? 'expired' : 'no copy yet'}; answered SERVFAIL)`);
  if (s.lastRefresh) lines.push(`last refresh: ${s.lastRefresh}`);
  if (s.lastTransfer) lines.push(`last transfer: ${s.lastTransfer}`);
  if (s.nextRefresh) lines.push(`next refresh: ${s.nextRefresh}`);
  if (s.expires) lines.push(`expires: ${s.expires}`);
  if (s.transferring) lines.push('transfer: in progress');
  if (s.lastError) lines.push(`last error: ${s.lastError}`);
  lines.push(`notifies accepted: ${s.notifiesAccepted}`, `notifies refused: ${s.notifiesRefused}`);
  return { text: lines.join('\n') + '\n', data: s };
}

// Entry module of a DNS cluster worker (cluster.setupPrimary exec). The primary
// keeps the other services; workers only answer DNS, sharing the UDP/TCP
// sockets the cluster module hands out, so every core runs the query path.
// Control comes from the primary over IPC: reload, stop.

import { formatDiagnostic } from '../config/diagnostics.js';
import { createLogger } from '../log.js';
import { DnsHost } from './dns-host.js';
import { factsToWire, type NamesSnapshot, type ZoneFactsWire } from './dhcp-names.js';
import type { FailedZone } from './view-builder.js';
import { localControl } from './control.js';
import { ControlUsageError, type ControlReply } from '../control/server.js';
import type { NotifyZoneInfo } from './notify-out.js';

export type ToWorker =
  | { type: 'reload'; id: number }
  | { type: 'stop' }
  | { type: 'ctl'; id: number; cmd: string; args: string[] }
  | { type: 'names'; snapshot: NamesSnapshot }
  /** Answered once every message sent before it is handled (DHCP names served before their NOTIFY goes out). */
  | { type: 'sync'; id: number };
export type FromWorker =
  /** `facts`: the primary zones as their files say, what DHCP names are judged against (the primary parses no zone). */
  | { type: 'ready'; facts: ZoneFactsWire[]; addresses: [string, number[]][]; notify: NotifyZoneInfo[] }
  | { type: 'start-failed'; error: string }
  /** `warnings` and `zoneErrors` formatted with file:line:col; `loaded` the zones loaded now, `failed` those that did not. */
  | { type: 'reloaded'; id: number; warnings: string[]; zoneErrors: string[]; loaded: { name: string; serial: number }[]; failed: FailedZone[]; facts: ZoneFactsWire[]; addresses: [string, number[]][]; notify: NotifyZoneInfo[] }
  | { type: 'synced'; id: number }
  | { type: 'reload-failed'; id: number; error: string }
  /** `triad ctl` commands answered from this worker's cache and counters. */
  | { type: 'ctl-reply'; id: number; reply?: ControlReply; error?: string; usage?: boolean };

async function main(): Promise<void> {
  const namedConf = process.argv[2];
  const log = createLogger({ name: 'dns' });
  const send = (m: FromWorker): void => {
    if (process.send) process.send(m);
  };
  if (!namedConf || !process.send) {
    log.error('the DNS worker is started by `triad run`, not directly');
    process.exit(2);
  }
  // Signals are the primary's business; a terminal's Ctrl-C reaches the whole group.
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);
  const host = new DnsHost(namedConf, log);
  const stop = async (): Promise<void> => {
    log.info({ stats: host.stats() }, 'dns worker stopping');
    await host.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  // The primary went away (even by SIGKILL): do not keep serving on our own.
  process.on('disconnect', () => void stop());
  process.on('message', (m: ToWorker) => {
    if (m.type === 'stop') void stop();
    else if (m.type === 'names') host.setNames(m.snapshot);
    else if (m.type === 'sync') send({ type: 'synced', id: m.id });
    else if (m.type === 'ctl') {
      try {
        send({ type: 'ctl-reply', id: m.id, reply: localControl(host, m.cmd, m.args) });
      } catch (err) {
        send({ type: 'ctl-reply', id: m.id, error: err instanceof Error ? err.message : String(err), usage: err instanceof ControlUsageError });
      }
    }
    else if (m.type === 'reload') {
      host.reload().then(
        (cfg) =>
          send({
            type: 'reloaded', id: m.id, warnings: cfg.warnings.map((w) => formatDiagnostic(w)), zoneErrors: cfg.zoneErrors.map((e) => formatDiagnostic(e)),
            loaded: cfg.loaded.map((z) => ({ name: z.name, serial: z.serial })), failed: cfg.failed, facts: factsToWire(host.facts), addresses: [...host.addresses],
            notify: host.notifyInfos(),
          }),
        (err: unknown) => send({ type: 'reload-failed', id: m.id, error: err instanceof Error ? err.message : String(err) }),
      );
    }
  });
  try {
    await host.start();
  } catch (err) {
    send({ type: 'start-failed', error: err instanceof Error ? err.message : String(err) });
    await host.stop();
    process.exit(1);
  }
  // The primary logs the configuration's warnings once; workers log only their zones at debug.
  if (host.config) for (const z of host.config.loaded) log.debug({ zone: z.name, serial: z.serial }, 'zone loaded');
  send({ type: 'ready', facts: factsToWire(host.facts), addresses: [...host.addresses], notify: host.notifyInfos() });
}

void main();

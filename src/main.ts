// `triad run`: start every service whose configuration is present, reload them on
// SIGHUP (a broken file keeps the old configuration), stop them on SIGTERM/SIGINT.

import path from 'node:path';
import type { ParsedArgs } from './args.js';
import { optString } from './args.js';
import { createLogger } from './log.js';
import type { RunOptions, Service } from './service.js';
import { NameRegistrations } from './net/name-registration.js';

/** A factory returns undefined when its service has no configuration to run. */
type ServiceFactory = (opts: RunOptions) => Promise<Service | undefined>;

const FACTORIES: ServiceFactory[] = [
  async (o) => (await import('./dns/service.js')).createDnsService(o),
  async (o) => (await import('./lb/service.js')).createLbService(o),
  async (o) => (await import('./dhcp/service.js')).createDhcpService(o),
  async (o) => (await import('./dhcp/relay-service.js')).createRelayService(o),
];

export function runOptionsFrom(args: ParsedArgs): RunOptions {
  const confDir = path.resolve(optString(args, 'conf-dir') ?? 'conf');
  const files: Record<string, string | undefined> = {};
  const flags: Record<string, string | boolean | undefined> = {};
  for (const [k, v] of Object.entries(args.options)) {
    if (k.endsWith('-conf') || k === 'leases') files[k] = typeof v === 'string' ? path.resolve(v) : undefined;
    else flags[k] = v;
  }
  const dataDir = path.resolve(optString(args, 'data-dir') ?? process.env.TRIAD_DATA_DIR ?? path.join(confDir, '..', '.triad-data'));
  return { confDir, dataDir, files, flags, log: createLogger({ level: optString(args, 'log-level') }), names: new NameRegistrations() };
}

export async function runCommand(args: ParsedArgs): Promise<number> {
  const opts = runOptionsFrom(args);
  const log = opts.log;
  // A SIGHUP while the services start must not kill the process (its default
  // action); it is remembered and delivered once the reload handler is in place.
  let hupDuringStart = false;
  const earlyHup = (): void => {
    hupDuringStart = true;
  };
  process.on('SIGHUP', earlyHup);
  const services: Service[] = [];
  try {
    for (const factory of FACTORIES) {
      const s = await factory(opts);
      if (s) services.push(s);
    }
    if (services.length === 0) {
      log.error({ confDir: opts.confDir }, 'no service has a configuration to run');
      return 1;
    }
    for (const s of services) await s.start();
  } catch (err) {
    log.error({ err }, 'start failed');
    for (const s of services) await s.stop().catch(() => undefined);
    return 1;
  }
  log.info({ services: services.map((s) => s.name) }, 'triad running');

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    for (const s of services.slice().reverse()) {
      try {
        await s.stop();
      } catch (err) {
        log.error({ err, service: s.name }, 'stop failed');
      }
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    void (async () => {
      for (const s of services) {
        try {
          await s.reload();
          log.info({ service: s.name }, 'reloaded');
        } catch (err) {
          log.error({ service: s.name, err: err instanceof Error ? err.message : String(err) }, 'reload failed; keeping the running configuration');
        }
      }
    })();
  });
  process.off('SIGHUP', earlyHup);
  if (hupDuringStart) process.kill(process.pid, 'SIGHUP');
  // Never returns while serving: sockets keep the event loop alive.
  return -1;
}

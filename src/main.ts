// `triad run`: start every service whose configuration is present, reload them on
// SIGHUP (a broken file keeps the old configuration), stop them on SIGTERM/SIGINT.
// A service whose file is broken is logged and left out; the others serve
// (`--strict`: all or nothing). `triad ctl status` shows which run.

import type { ParsedArgs } from './args.js';
import { runOptionsFrom } from './service.js';
import { SERVICES } from './services.js';
import { formatServiceStatus, Supervisor } from './supervisor.js';
import { controlSocketPath, registerControl, unregisterControl } from './control/server.js';
import { StatisticsServer } from './web/server.js';
import { mkdirSync, readFileSync } from 'node:fs';
import { capMask, chownTree, dropPrivileges, lookupUser, procStatus, type RunAs } from './privileges.js';
import type { CapabilityName } from './service.js';

export async function runCommand(args: ParsedArgs): Promise<number> {
  const opts = runOptionsFrom(args);
  const log = opts.log;
  const strict = args.options['strict'] === true;
  // The statistics channel belongs to the process: services add their metrics to it, named.conf says where it listens.
  const statistics = new StatisticsServer(log);
  opts.metrics = statistics;
  // A SIGHUP while the services start must not kill the process (its default
  // action); it is remembered and delivered once the reload handler is in place.
  let hupDuringStart = false;
  const earlyHup = (): void => {
    hupDuringStart = true;
  };
  process.on('SIGHUP', earlyHup);
  // Files Triad writes (leases, journals, zone files of secondaries, the control
  // socket) are for its user and group only: 0640, directories 0750.
  process.umask(0o027);
  let runAs: RunAs | undefined;
  const user = opts.flags['user'];
  if (typeof user === 'string') {
    if (process.getuid?.() !== 0) {
      log.error({ user }, `-u ${user}: triad run must start as root to open its sockets and then become ${user}`);
      return 2;
    }
    try {
      runAs = lookupUser(user);
    } catch (err) {
      log.error({ user }, (err as Error).message);
      return 2;
    }
    opts.runAs = runAs;
    // DATA_DIR becomes the user's (as BIND's working directory must be named's): DNS
    // workers start as the user and read it, and everything is written there after the drop.
    mkdirSync(opts.dataDir, { recursive: true });
    chownTree(opts.dataDir, runAs);
  }
  const services = new Supervisor(SERVICES, opts);
  const decision = await services.start(strict);
  const statuses = services.status();
  if (!decision.serve) {
    await statistics.stop();
    log.error({ confDir: opts.confDir }, decision.message);
    return decision.exitCode;
  }
  const failed = statuses.filter((s) => s.state === 'failed').map((s) => s.name);
  const running = statuses.filter((s) => s.state === 'running').map((s) => s.name);
  if (failed.length) log.warn({ services: running, failed }, decision.message);
  else log.info({ services: running }, decision.message);

  // `triad ctl status`: on the local control socket and every named.conf `controls` channel.
  const socket = controlSocketPath(opts.dataDir, opts.flags['control-socket']);
  const optionOf = (name: string): string | undefined => SERVICES.find((d) => d.name === name)?.config.option;
  try {
    await registerControl(socket, 'status', async () => {
      const list = services.status();
      return { text: formatServiceStatus(list, optionOf), data: { pid: process.pid, services: list } };
    });
  } catch (err) {
    log.error({ socket, err: err instanceof Error ? err.message : String(err) }, 'cannot open the control socket: triad ctl status is not available');
  }

  if (runAs) {
    // Every configured service keeps what it needs, also one that failed to start:
    // a SIGHUP after the file is fixed starts it as the user.
    const configured = new Set(services.status().filter((st) => st.state !== 'not configured').map((st) => st.name));
    const wanted = [...new Set(SERVICES.filter((d) => configured.has(d.name)).flatMap((d): readonly CapabilityName[] => d.capabilities ?? []))].sort();
    // One this process does not have (a container granted fewer) cannot be kept: say so and go on without it.
    const have = procStatus(readFileSync('/proc/self/status', 'utf8')).caps.CapPrm;
    const keep = wanted.filter((c) => (have & capMask([c])) !== 0n);
    const missing = wanted.filter((c) => !keep.includes(c));
    if (missing.length) log.warn({ missing }, `-u ${runAs.user}: ${missing.join(', ')} not available to this process; what needs ${missing.length > 1 ? 'them' : 'it'} will fail after the drop`);
    try {
      chownTree(opts.dataDir, runAs); // what the services created as root while starting
      dropPrivileges(runAs, keep);
    } catch (err) {
      log.fatal({ user: runAs.user, err: err instanceof Error ? err.message : String(err) }, `cannot become ${runAs.user}; stopping rather than running as root`);
      await services.stop();
      await unregisterControl('status').catch(() => undefined);
      return 1;
    }
    log.info({ user: runAs.user, uid: runAs.uid, gid: runAs.gid, capabilities: keep }, `running as ${runAs.user}`);
  }

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await services.stop();
    await statistics.stop();
    await unregisterControl('status').catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (!stopping) void services.reload();
  });
  process.off('SIGHUP', earlyHup);
  if (hupDuringStart) process.kill(process.pid, 'SIGHUP');
  // Never returns while serving: sockets keep the event loop alive.
  return -1;
}

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

// `triad <command>`: dispatch to the command modules, loaded lazily so that
// `checkzone` does not pay for starting the DHCP or load-balancer code. `run`,
// `check` and `ctl` are Triad's own; every other command comes from a service's
// definition (src/services.ts), as do the options `run` and `check` accept.

import { parseArgs } from './args.js';
import { COMMON_OPTIONS, OptionError, validateOptions, type CommandSpec, type OptionSpec } from './service.js';
import { serviceOptions, SERVICES } from './services.js';

/** What `triad run` and `triad check` accept: the common options, each service's file option and options. */
function runOptionSpecs(): OptionSpec[] {
  return [
    ...COMMON_OPTIONS,
    { name: 'strict', kind: 'flag', summary: 'all services or none' },
    { name: 'user', kind: 'string', value: 'USER', summary: 'run: once every socket is open, become USER keeping only the capabilities the services need (also -u USER, as named -u)' },
    ...SERVICES.map((d): OptionSpec => ({ name: d.config.option, kind: 'file', summary: `${d.name}: instead of CONF_DIR/${d.config.file}` })),
    ...serviceOptions(),
  ];
}

const CORE: CommandSpec[] = [
  {
    name: 'run',
    summary: 'run every service whose configuration is present; one whose file is broken is logged and left out while the others serve (SIGHUP retries it); --strict: start all or exit non-zero',
    booleans: ['strict'],
    load: async () => (await import('./main.js')).runCommand,
  },
  {
    name: 'check',
    summary: 'check the configuration (like named-checkconf -z) and exit',
    load: async () => (await import('./check.js')).checkCommand,
  },
  {
    name: 'ctl',
    summary: 'ctl [SERVICE] COMMAND [ARGS] [--json]: talk to a running triad (ctl status; ctl dns stats; ctl dhcp leases; ctl lb drain VIP:PORT RIP:PORT; `triad ctl` alone lists them)',
    booleans: ['json'],
    load: async () => (await import('./control/ctl.js')).ctlCommand,
  },
];

/** Every command: Triad's own, then each service's, in the order of the service list. */
export const COMMANDS: readonly CommandSpec[] = [...CORE.slice(0, 2), ...SERVICES.flatMap((d) => d.commands ?? []), CORE[2]];

/** Options checked before a command runs; undefined: the command checks its own. */
function optionsOf(name: string, entry: CommandSpec): { specs: OptionSpec[]; strict: boolean } | undefined {
  if (name === 'run' || name === 'check') return { specs: runOptionSpecs(), strict: true };
  if (entry.options) return { specs: [...COMMON_OPTIONS, ...entry.options], strict: false };
  return undefined;
}

function usage(): string {
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`);
  const opts = runOptionSpecs().map((o) => `  --${o.name}${'value' in o ? ` ${o.value}` : o.kind === 'file' ? ' FILE' : o.kind === 'choice' ? ` ${o.choices.join('|')}` : ''}`.padEnd(34) + ` ${o.summary}`);
  return `usage: triad <command> [options]\n\ncommands:\n${lines.join('\n')}\n\noptions of run and check:\n${opts.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`triad: unknown command '${name}'\n${usage()}`);
    return 1;
  }
  // `run -u USER`: BIND's spelling of --user.
  const argv2 = name === 'run' || name === 'check' ? rest.map((a, i) => (a === '-u' && rest[i + 1] !== undefined ? '--user' : a)) : rest;
  const args = parseArgs(argv2, entry.booleans ?? []);
  const check = optionsOf(name, entry);
  if (check) {
    try {
      validateOptions(args, check.specs);
      if (check.strict) {
        const unknown = Object.keys(args.options).filter((k) => !check.specs.some((s) => s.name === k));
        if (unknown.length) throw new OptionError(`unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `--${k}`).join(', ')} (see triad --help)`);
      }
    } catch (e) {
      if (!(e instanceof OptionError)) throw e;
      process.stderr.write(`triad ${name}: ${e.message}\n`);
      return 2;
    }
  }
  const command = await entry.load();
  return command(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    // `run` keeps the process alive through its sockets; other commands end here.
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof OptionError) process.stderr.write(`triad: ${err.message}\n`);
    // A user reads one line; the stack is for a bug report (TRIAD_DEBUG=1 shows it).
    else if (err instanceof Error) process.stderr.write(`triad: ${process.env.TRIAD_DEBUG ? (err.stack ?? err.message) : err.message}\n`);
    else process.stderr.write(`triad: ${String(err)}\n`);
    process.exitCode = err instanceof OptionError ? 2 : 1;
  },
);

// `triad <command>`: dispatch to the command modules, loaded lazily so that
// `checkzone` does not pay for starting the DHCP or load-balancer code.

import { parseArgs, type ParsedArgs } from './args.js';

type Command = (args: ParsedArgs) => Promise<number>;

interface CommandEntry {
  summary: string;
  booleans?: readonly string[];
  load: () => Promise<Command>;
}

const COMMANDS: Record<string, CommandEntry> = {
  run: {
    summary: 'run every service whose configuration is present; one whose file is broken is logged and left out while the others serve (SIGHUP retries it); --strict: start all or exit non-zero',
    booleans: ['strict'],
    load: async () => (await import('./main.js')).runCommand,
  },
  check: {
    summary: 'check the configuration (like named-checkconf -z) and exit',
    load: async () => (await import('./check.js')).checkCommand,
  },
  checkzone: {
    summary: 'checkzone ZONE FILE: load one zone file like named-checkzone',
    load: async () => (await import('./dns/commands.js')).checkzoneCommand,
  },
  leases: {
    summary: 'list active DHCP leases (address, MAC, hostname, expiry); --leases FILE, --all',
    booleans: ['all'],
    load: async () => (await import('./dhcp/commands.js')).leasesCommand,
  },
  relay: {
    summary: 'DHCP relay agent: --interfaces IF,… --servers ADDR,… [--agent-information] [--max-hops N] [--policy forward|append|replace|discard] [--remote-id ID]; or dhcrelay flags (-a -m P -c N -i IF … SERVER…)',
    booleans: ['agent-information', 'a'],
    load: async () => (await import('./dhcp/relay-service.js')).relayCommand,
  },
  compilezone: {
    summary: 'compilezone ZONE FILE: print the zone like named-compilezone -s full -o -',
    load: async () => (await import('./dns/commands.js')).compilezoneCommand,
  },
  ctl: {
    summary: 'ctl COMMAND [ARGS] [--json]: talk to a running triad (ctl status: each service running, failed and why, or not configured; ctl lb; ctl lb drain VIP:PORT RIP:PORT; ctl stats …)',
    booleans: ['json'],
    load: async () => (await import('./control/ctl.js')).ctlCommand,
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(12)} ${v.summary}`);
  return `usage: triad <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`triad: unknown command '${name}'\n${usage()}`);
    return 1;
  }
  const command = await entry.load();
  return command(parseArgs(rest, entry.booleans ?? []));
}

main(process.argv.slice(2)).then(
  (code) => {
    // `run` keeps the process alive through its sockets; other commands end here.
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`triad: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);

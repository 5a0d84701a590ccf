// The relay agent as a `triad run` service (CONF_DIR/isc-dhcp-relay, Debian's
// /etc/default/isc-dhcp-relay format, or --relay-conf FILE) and as `triad relay`
// (--interfaces IF,… --servers ADDR,… [--agent-information] [--max-hops N]
// [--policy P] [--remote-id ID] [--drop-mismatch yes|no]).

import type { ParsedArgs } from '../args.js';
import { optString } from '../args.js';
import { applyDhcrelayFlags, loadDefaultRelay, type RelayConf, type RelayPolicy } from '../config/default-relay.js';
import { ConfigError, DiagnosticSink, formatDiagnostic } from '../config/diagnostics.js';
import { parseIPv4 } from '../config/dhcp-options.js';
import { createLogger } from '../log.js';
import type { RunOptions, Service } from '../service.js';
import { RelayAgent, type RelayAgentConfig } from './relay-agent.js';
import { relayConfPath } from './relay-paths.js';
import { defaultRelaySettings } from './relay.js';

export { RELAY_CONF_NAME, relayConfPath } from './relay-paths.js';

/** RelayConf → what the agent runs; throws with every problem. */
export function agentConfig(conf: RelayConf): RelayAgentConfig {
  const problems: string[] = [];
  const servers: number[] = [];
  for (const s of conf.servers) {
    const ip = parseIPv4(s);
    if (ip === undefined) problems.push(`server ${s}: an IPv4 address is expected (names are not resolved)`);
    else servers.push(ip);
  }
  if (!conf.servers.length) problems.push('no DHCP server to relay to (SERVERS / --servers)');
  if (!conf.interfaces.length) problems.push('no interface to relay on (INTERFACES / --interfaces)');
  if (problems.length) throw new Error(`relay: ${problems.join('; ')}`);
  const settings = defaultRelaySettings();
  if (conf.agentInformation !== undefined) settings.agentInformation = conf.agentInformation;
  if (conf.maxHops !== undefined) settings.maxHops = conf.maxHops;
  if (conf.policy) settings.policy = conf.policy;
  if (conf.remoteId) settings.remoteId = Buffer.from(conf.remoteId, 'latin1');
  if (conf.dropMismatch !== undefined) settings.dropMismatch = conf.dropMismatch;
  return { interfaces: conf.interfaces, servers, settings, port: conf.port };
}

export async function createRelayService(opts: RunOptions): Promise<Service | undefined> {
  const file = relayConfPath(opts);
  if (!file) return undefined;
  const log = opts.log.child({ service: 'dhcp-relay' });
  const read = (): RelayAgentConfig => {
    const sink = new DiagnosticSink();
    const conf = loadDefaultRelay(file, sink);
    for (const w of sink.warnings) log.warn(formatDiagnostic(w));
    sink.throwIfErrors();
    if (!conf) throw new Error(`${file}: not found`);
    return agentConfig(conf);
  };
  let cfg = read();
  let agent: RelayAgent | undefined;
  return {
    name: 'dhcp-relay',
    async start() {
      agent = new RelayAgent(cfg, log);
      await agent.start();
    },
    async reload() {
      // A broken file throws here, before the running agent is touched.
      const next = read();
      await agent?.stop();
      const fresh = new RelayAgent(next, log);
      try {
        await fresh.start();
      } catch (err) {
        // The new settings cannot run (e.g. an interface is gone): go back to the old ones.
        await fresh.stop().catch(() => undefined);
        agent = new RelayAgent(cfg, log);
        await agent.start().catch((e: Error) => log.error({ err: e.message }, 'relay: the previous configuration does not start again either'));
        throw err;
      }
      agent = fresh;
      cfg = next;
    },
    async stop() {
      await agent?.stop();
    },
  };
}

/** Command-line flags → RelayConf (the same meaning as the file's OPTIONS). */
export function relayConfFromArgs(args: ParsedArgs): RelayConf {
  const list = (k: string): string[] => (optString(args, k) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const conf: RelayConf = { servers: list('servers'), interfaces: [] };
  for (const n of list('interfaces')) conf.interfaces.push({ name: n, upstream: true, downstream: true });
  for (const n of list('upstream')) conf.interfaces.push({ name: n, upstream: true, downstream: false });
  for (const n of list('downstream')) conf.interfaces.push({ name: n, upstream: false, downstream: true });
  if (args.options['agent-information'] === true || args.options['a'] === true) conf.agentInformation = true;
  const hops = optString(args, 'max-hops');
  if (hops !== undefined) {
    if (!/^[0-9]+$/.test(hops) || Number(hops) < 1 || Number(hops) > 255) throw new Error(`--max-hops ${hops}: 1..255 expected`);
    conf.maxHops = Number(hops);
  }
  const policy = optString(args, 'policy') ?? optString(args, 'm');
  if (policy !== undefined) {
    if (!['forward', 'append', 'replace', 'discard'].includes(policy)) throw new Error(`--policy ${policy}: forward, append, replace or discard expected`);
    conf.policy = policy as RelayPolicy;
  }
  const rid = optString(args, 'remote-id');
  if (rid) conf.remoteId = rid;
  const dm = optString(args, 'drop-mismatch');
  if (dm !== undefined) conf.dropMismatch = !['no', 'false', 'off'].includes(dm);
  const port = optString(args, 'port');
  if (port !== undefined) conf.port = Number(port);
  // dhcrelay's own syntax works too: `triad relay -a -m append -i eth1 -iu eth0 10.0.0.1`.
  if (args.positionals.length) {
    const sink = new DiagnosticSink();
    const at = { file: 'command line', line: 1, col: 1 };
    applyDhcrelayFlags(args.positionals.map((text) => ({ text, pos: at })), conf, sink);
    if (sink.hasErrors()) throw new Error(sink.errors.map((d) => d.message).join('; '));
  }
  return conf;
}

/** `triad relay …`: runs the relay agent alone until SIGTERM/SIGINT. */
export async function relayCommand(args: ParsedArgs): Promise<number> {
  const log = createLogger({ level: optString(args, 'log-level') }).child({ service: 'dhcp-relay' });
  let cfg: RelayAgentConfig;
  try {
    cfg = agentConfig(relayConfFromArgs(args));
  } catch (e) {
    process.stderr.write(`triad relay: ${e instanceof ConfigError ? e.message : (e as Error).message}\n`);
    return 2;
  }
  const agent = new RelayAgent(cfg, log);
  await agent.start();
  const stop = (): void => {
    void agent.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return -1;
}

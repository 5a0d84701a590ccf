// The DNS service as Triad's service list sees it: named.conf, how `triad check`
// reads it, how `triad run` creates it, `--dns-workers`, `checkzone`/`compilezone`,
// and the rndc-like control commands. Loading this module loads no DNS code: the
// service and the commands are imported when used.

import { integerOption, type ControlSpec, type OptionSpec, type RunOptions, type ServiceDefinition } from '../service.js';
import { checkDnsConfig, NAMED_CONF, namedConfPath } from './dns-config.js';

export const DNS_WORKERS: OptionSpec = { name: 'dns-workers', kind: 'integer', min: 0, max: 1024, value: 'N', summary: 'DNS worker processes (default one per core; 0 answers in the main process)' };

/** `--dns-workers N`, or undefined for one per core. */
export function dnsWorkers(opts: Pick<RunOptions, 'flags'>): number | undefined {
  return integerOption(opts, DNS_WORKERS);
}

/** `triad ctl dns …`, as `rndc`; the spellings without `dns` stay (aliases). */
export const DNS_CONTROL: ControlSpec = {
  commands: [
    { name: 'stats', summary: 'queries, answers by rcode, cache hits/misses, upstream timeouts, spoofing drops', read: true, alias: true },
    { name: 'flush', args: '[NAME]', summary: 'empty the cache (or only NAME and below)', read: false, alias: true },
    { name: 'reload', summary: 'reload named.conf and the zones (a broken file keeps the old data)', read: false, alias: true },
    { name: 'dumpdb', summary: 'the cache as zone-file text', read: true, alias: true },
    { name: 'zonestatus', args: 'ZONE [VIEW]', summary: 'serial, file, nodes and RRsets of a zone (of VIEW, with views)', read: true, alias: true },
    { name: 'refresh', args: 'ZONE', summary: 'a secondary zone asks its primaries for a newer serial now', read: false },
    { name: 'retransfer', args: 'ZONE', summary: 'a secondary zone transfers the whole zone again now', read: false },
    { name: 'notify', args: 'ZONE', summary: "send NOTIFY for a primary zone's serial to its secondaries again (as rndc notify)", read: false },
    { name: 'querylog', args: '[on|off]', summary: 'turn the query log on or off; alone, toggle it (as rndc querylog)', read: false },
  ],
};

export const dnsDefinition: ServiceDefinition = {
  name: 'dns',
  config: NAMED_CONF,
  locate: namedConfPath,
  check: async (file) => checkDnsConfig(file),
  create: async (o) => (await import('./service.js')).createDnsService(o),
  options: [DNS_WORKERS],
  commands: [
    {
      name: 'checkzone',
      summary: 'checkzone ZONE FILE: load one zone file like named-checkzone',
      load: async () => (await import('./commands.js')).checkzoneCommand,
    },
    {
      name: 'compilezone',
      summary: 'compilezone ZONE FILE: print the zone like named-compilezone -s full -o -',
      load: async () => (await import('./commands.js')).compilezoneCommand,
    },
  ],
  control: DNS_CONTROL,
  // A reload may listen on a new address or port below 1024 (listen-on, controls).
  capabilities: ['CAP_NET_BIND_SERVICE'],
};

// The HTTP boot server as Triad's service list sees it. Its settings live in the TFTP
// file (CONF_DIR/tftpd-hpa or --tftpd-conf FILE) as TRIAD_HTTP_ADDRESS and
// TRIAD_HTTP_DIRECTORY; a file without TRIAD_HTTP_ADDRESS configures no HTTP server.
// Loading this module loads no socket code.

import { existsSync, readFileSync } from 'node:fs';
import { DiagnosticSink } from '../config/diagnostics.js';
import { loadHttpBoot, wantsHttpBoot } from '../config/default-httpboot.js';
import { locateConfig, type ConfigLocation, type ControlSpec, type RunOptions, type ServiceDefinition } from '../service.js';

/** The same file as the TFTP server's: Debian's /etc/default/tftpd-hpa, by that name in CONF_DIR. */
export const HTTPBOOT_CONF: ConfigLocation = { file: 'tftpd-hpa', option: 'tftpd-conf' };

/** The file, when it asks for an HTTP boot server. */
export function httpBootConfPath(opts: Pick<RunOptions, 'confDir' | 'files'>): string | undefined {
  const file = locateConfig(opts, HTTPBOOT_CONF);
  if (!file || !existsSync(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined; // unreadable: the TFTP service reports it
  }
  return wantsHttpBoot(file, text) ? file : undefined;
}

export const HTTPBOOT_CONTROL: ControlSpec = {
  commands: [
    { name: 'show', summary: 'requests, files served, refusals and bytes sent', read: true },
    { name: 'status', summary: 'the same as show', read: true },
  ],
  default: 'show',
};

export const httpBootDefinition: ServiceDefinition = {
  name: 'httpboot',
  config: HTTPBOOT_CONF,
  locate: httpBootConfPath,
  check: async (file) => {
    const sink = new DiagnosticSink();
    const conf = loadHttpBoot(file, sink);
    const info = conf && !sink.hasErrors() ? [`httpboot: ${conf.directory} on http://${conf.address || '*'}:${conf.port}/`] : [];
    return { diagnostics: sink.items, info };
  },
  create: async (o) => (await import('./service.js')).createHttpBootService(o),
  control: HTTPBOOT_CONTROL,
  // Port 80 (or another below 1024) again when a reload changes the address.
  capabilities: ['CAP_NET_BIND_SERVICE'],
};

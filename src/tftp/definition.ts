// The TFTP server as Triad's service list sees it: CONF_DIR/tftpd-hpa (Debian's
// /etc/default/tftpd-hpa) or --tftpd-conf FILE, its check, its creation, and
// `triad ctl tftp`. Loading this module loads no socket code.

import { DiagnosticSink } from '../config/diagnostics.js';
import { loadDefaultTftpd } from '../config/default-tftpd.js';
import { locateConfig, type ConfigLocation, type ControlSpec, type RunOptions, type ServiceDefinition } from '../service.js';

/** Debian's /etc/default/tftpd-hpa, by the same name in CONF_DIR. */
export const TFTPD_CONF: ConfigLocation = { file: 'tftpd-hpa', option: 'tftpd-conf' };

export function tftpdConfPath(opts: Pick<RunOptions, 'confDir' | 'files'>): string | undefined {
  return locateConfig(opts, TFTPD_CONF);
}

export const TFTP_CONTROL: ControlSpec = {
  commands: [
    { name: 'show', summary: 'transfers active, completed, failed and refused, and bytes sent', read: true },
    { name: 'status', summary: 'the same as show', read: true },
  ],
  default: 'show',
};

export const tftpDefinition: ServiceDefinition = {
  name: 'tftp',
  config: TFTPD_CONF,
  locate: tftpdConfPath,
  check: async (file) => {
    const sink = new DiagnosticSink();
    const conf = loadDefaultTftpd(file, sink);
    const info = conf && !sink.hasErrors() ? [`tftp: ${conf.directory} on ${conf.address || '*'}:${conf.port}${conf.secure ? ' (secure)' : ''}${conf.create ? '' : ', read-only'}`] : [];
    return { diagnostics: sink.items, info };
  },
  create: async (o) => (await import('./service.js')).createTftpService(o),
  control: TFTP_CONTROL,
  // Port 69 again at a reload.
  capabilities: ['CAP_NET_BIND_SERVICE'],
};

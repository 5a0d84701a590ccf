// proxyDHCP as Triad's service list sees it: CONF_DIR/pxe-proxy.conf (dnsmasq's
// `dhcp-range=…,proxy` lines) or --pxe-proxy-conf FILE. Loading this module loads no
// socket code.

import { DiagnosticSink } from '../config/diagnostics.js';
import { loadPxeProxyConf } from '../config/pxe-proxy-conf.js';
import { formatIPv4 } from '../wire/ipv4.js';
import { locateConfig, type ConfigLocation, type ControlSpec, type ServiceDefinition } from '../service.js';

export const PXE_PROXY_CONF: ConfigLocation = { file: 'pxe-proxy.conf', option: 'pxe-proxy-conf' };

export const PXE_PROXY_CONTROL: ControlSpec = {
  commands: [
    { name: 'show', summary: 'interfaces answered, proxy offers and boot-server ACKs sent, requests ignored', read: true },
    { name: 'status', summary: 'the same as show', read: true },
  ],
  default: 'show',
};

export const pxeProxyDefinition: ServiceDefinition = {
  name: 'pxe-proxy',
  config: PXE_PROXY_CONF,
  locate: (opts) => locateConfig(opts, PXE_PROXY_CONF),
  check: async (file) => {
    const sink = new DiagnosticSink();
    const conf = loadPxeProxyConf(file, sink);
    const where = conf ? [...conf.ranges.map((r) => `${formatIPv4(r.network)}/${r.prefixLen}`), ...conf.interfaces] : [];
    const info = conf && !sink.hasErrors() ? [`pxe-proxy: boot answers on ${where.join(', ')} (${conf.services.length + conf.boots.length} boot file lines)`] : [];
    return { diagnostics: sink.items, info };
  },
  create: async (o) => (await import('./proxy-service.js')).createPxeProxyService(o),
  control: PXE_PROXY_CONTROL,
  // Packet sockets for port 67 on interfaces that appear later.
  capabilities: ['CAP_NET_RAW'],
};

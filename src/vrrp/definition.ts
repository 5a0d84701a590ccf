// VRRP as Triad's service list sees it: keepalived.conf's vrrp_instance blocks (the same
// file as the load balancer; both read it), and `triad ctl vrrp [show]`. The file's
// diagnostics are reported once, by the load balancer's check; this one adds a summary.
// Loading this module loads no socket code.

import { DiagnosticSink } from '../config/diagnostics.js';
import { loadKeepalivedConf } from '../config/keepalived-conf.js';
import { locateConfig, type ConfigLocation, type ControlSpec, type ServiceDefinition } from '../service.js';

/** The same file and option as the load balancer's. */
export const VRRP_CONF: ConfigLocation = { file: 'keepalived.conf', option: 'lb-conf' };

/** keepalived.conf when it holds vrrp_instance blocks (a load-balancer-only file configures no VRRP). */
export function vrrpConfPath(o: Parameters<typeof locateConfig>[0]): string | undefined {
  const file = locateConfig(o, VRRP_CONF);
  if (!file) return undefined;
  return loadKeepalivedConf(file, new DiagnosticSink()).vrrp.instances.length > 0 ? file : undefined;
}

export const VRRP_CONTROL: ControlSpec = {
  commands: [
    { name: 'show', summary: 'each VRRP instance: state, priority, effective priority, master, advertisements sent and received, transitions, dropped packets', read: true },
    { name: 'status', summary: 'the same as show', read: true },
  ],
  default: 'show',
};

export const vrrpDefinition: ServiceDefinition = {
  name: 'vrrp',
  config: VRRP_CONF,
  locate: vrrpConfPath,
  check: async (file) => {
    const conf = loadKeepalivedConf(file, new DiagnosticSink());
    return {
      diagnostics: [],
      info: conf.vrrp.instances.map((i) => `vrrp_instance ${i.name}: virtual_router_id ${i.vrid} on ${i.iface}, VRRP version ${i.version}${i.family === 6 ? ' (IPv6)' : ''}, priority ${i.priority}, ${i.vips.length + i.vipsExcluded.length} address(es)`),
    };
  },
  create: async (o) => (await import('./service.js')).createVrrpService(o),
  control: VRRP_CONTROL,
  // Virtual addresses come and go with the state (netlink); the raw IP socket (protocol 112) and gratuitous ARP.
  capabilities: ['CAP_NET_ADMIN', 'CAP_NET_RAW'],
};

// Starts Triad's DNS (zones from a named.conf, Responder, UDP/TCP server) inside the
// test process, on the addresses given instead of the file's listen-on.
import { loadDnsConfig, requireAllZones } from '../../src/dns/dns-config.js';
import { Responder, type ServingView } from '../../src/dns/responder.js';
import { startDnsServer, type DnsServer, type ListenAddress } from '../../src/dns/server.js';

export interface RunningTriadDns {
  server: DnsServer;
  responder: Responder;
  close(): Promise<void>;
}

export async function startTriadDns(namedConf: string, listen: ListenAddress[], adjust: (v: ServingView) => ServingView = (v) => v): Promise<RunningTriadDns> {
  const cfg = requireAllZones(loadDnsConfig(namedConf));
  const responder = new Responder(adjust(cfg.view));
  const server = await startDnsServer({ listen, responder });
  return { server, responder, close: () => server.close() };
}

// The DHCP relay agent as Triad's service list sees it: CONF_DIR/isc-dhcp-relay
// (Debian's /etc/default/isc-dhcp-relay), its check, its creation, and `triad relay`
// (the agent alone, from command-line flags).

import { DiagnosticSink } from '../config/diagnostics.js';
import { loadDefaultRelay } from '../config/default-relay.js';
import type { ServiceDefinition } from '../service.js';
import { RELAY_CONF, relayConfPath } from './relay-paths.js';

export const relayDefinition: ServiceDefinition = {
  name: 'dhcp-relay',
  config: RELAY_CONF,
  locate: relayConfPath,
  check: async (file) => {
    const sink = new DiagnosticSink();
    const conf = loadDefaultRelay(file, sink);
    if (conf && !sink.hasErrors()) {
      // Throws for server names and a missing interface list (printed as `FILE: error: …`).
      (await import('./relay-service.js')).agentConfig(conf);
    }
    return { diagnostics: sink.items, info: [] };
  },
  create: async (o) => (await import('./relay-service.js')).createRelayService(o),
  // Packet sockets on the interfaces it relays for; port 67 again at a reload.
  capabilities: ['CAP_NET_RAW', 'CAP_NET_BIND_SERVICE'],
  commands: [
    {
      name: 'relay',
      summary: 'DHCP relay agent: --interfaces IF,… --servers ADDR,… [--agent-information] [--max-hops N] [--policy forward|append|replace|discard] [--remote-id ID]; or dhcrelay flags (-a -m P -c N -i IF … SERVER…)',
      booleans: ['agent-information', 'a'],
      load: async () => (await import('./relay-service.js')).relayCommand,
    },
  ],
};

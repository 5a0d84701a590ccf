// The layout bench:lb and lb-instr.js measure on: DR puts the client, the LB and two real
// servers on one bridge (the servers holding the VIP on lo); NAT puts the servers behind
// the LB on a bridge of their own (topo.natEdge()), routed through it. Returns the servers.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Topo } from '../lb/topology.js';

export function benchLayout(topo: Topo, kind: 'DR' | 'NAT', vip: string): string[] {
  const rs = kind === 'DR' ? ['10.0.0.3', '10.0.0.4'] : ['10.1.0.3', '10.1.0.4'];
  if (kind === 'DR') {
    topo.bridge('b');
    topo.addNs('c');
    topo.attach('c', 'eth0', 'b', '10.0.0.2/24');
    topo.addNs('l');
    topo.attach('l', 'eth0', 'b', '10.0.0.1/24');
  } else topo.natEdge();
  // Where the host has br_netfilter loaded, every bridged frame would also pass iptables'
  // hooks in the bridge's namespace, work a switch does not do, charged to whoever sends
  // into the veth (for the packet engine: its own core, inside sendmmsg). Off here, for
  // every contender alike; absent module, nothing to turn off.
  try {
    topo.sysctl('b', 'net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-ip6tables=0', 'net.bridge.bridge-nf-call-arptables=0');
  } catch {
    // no br_netfilter: bridged frames skip iptables already
  }
  rs.forEach((ip, i) => {
    topo.addNs(`r${i}`);
    topo.attach(`r${i}`, 'eth0', 'b', `${ip}/24`);
    if (kind === 'DR') topo.drRealServer(`r${i}`, vip);
    else topo.ip('-n', topo.ns(`r${i}`), 'route', 'add', 'default', 'via', '10.1.0.1');
  });
  return rs;
}

/**
 * The packets-per-second sink: each real server drops UDP port 9 in prerouting, counted,
 * so the packets measured cost the real servers no socket lookup or ICMP reply, work
 * that a veth charges to the sender's core, not the load balancer's own.
 */
export function udpSink(topo: Topo, servers: number): void {
  // Once per topology (its namespaces are new): one drop rule per server, counters from zero.
  for (let i = 0; i < servers; i++) {
    const f = path.join(topo.dir, `sink${i}.nft`);
    writeFileSync(f, 'table ip lbsink {\n  chain pre { type filter hook prerouting priority -300; policy accept;\n    udp dport 9 counter drop\n  }\n}\n');
    topo.sh(`r${i}`, 'nft', '-f', f);
  }
}

/** Packets the sinks of udpSink dropped so far. */
export function sunk(topo: Topo, servers: number): number {
  let total = 0;
  for (let i = 0; i < servers; i++) {
    const out = topo.sh(`r${i}`, 'nft', 'list', 'table', 'ip', 'lbsink');
    total += Number(/counter packets (\d+)/.exec(out)?.[1] ?? 0);
  }
  return total;
}

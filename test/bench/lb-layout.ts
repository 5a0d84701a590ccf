// The layout bench:lb and lb-instr.js measure on: DR puts the client, the LB and two real
// servers on one bridge (the servers holding the VIP on lo); NAT puts the servers behind
// the LB on a bridge of their own (topo.natEdge()), routed through it. Returns the servers.
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
  rs.forEach((ip, i) => {
    topo.addNs(`r${i}`);
    topo.attach(`r${i}`, 'eth0', 'b', `${ip}/24`);
    if (kind === 'DR') topo.drRealServer(`r${i}`, vip);
    else topo.ip('-n', topo.ns(`r${i}`), 'route', 'add', 'default', 'via', '10.1.0.1');
  });
  return rs;
}

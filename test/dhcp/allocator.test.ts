// Allocation: pool facts are computed when the configuration is loaded; the free-address
// choice is a strategy the engine is given (the iterative scan by default).

import t from 'tap';
import { parseDhcpdConf } from '../../src/config/dhcpd-conf.js';
import { parseIPv4 as ip } from '../../src/config/dhcp-options.js';
import { iterativeAllocator, type AllocationStrategy } from '../../src/dhcp/allocator.js';
import { handleRequest, newEngineState } from '../../src/dhcp/engine.js';
import { LeaseDb } from '../../src/dhcp/lease.js';
import { scopeList } from '../../src/dhcp/scope.js';
import { IDS, LINK, msg } from './engine-fixture.js';

const CONF = `
authoritative;
class "lab" { match if substring(hardware, 1, 2) = 02:00; }
subnet 192.168.117.0 netmask 255.255.255.0 {
  pool { range 192.168.117.100 192.168.117.103; range 192.168.117.110 192.168.117.111; allow members of "lab"; }
  pool { range 192.168.117.200 192.168.117.200; deny members of "lab"; }
}
`;
const NOW = 1_800_000_000_000;
const load = () => {
  const { conf, sink } = parseDhcpdConf('t.conf', CONF);
  t.same(sink.errors, []);
  return conf;
};

t.test('pool sizes and permit lists are computed at load', async (t) => {
  const st = newEngineState(load(), new LeaseDb());
  const facts = [...st.pools.values()];
  t.same(facts.map((f) => [f.index, f.size]), [[0, 6], [1, 1]], 'index and size of each pool');
  const lab = { known: false, classes: ['lab'], bootp: false };
  const other = { known: false, classes: [], bootp: false };
  t.same(facts.map((f) => [f.permits(lab), f.permits(other)]), [[true, false], [false, true]], 'allow / deny members of');
  t.equal(st.allocator, iterativeAllocator, 'the iterative scan is the default strategy');
});

t.test('the free address comes from the strategy the engine is given', async (t) => {
  const conf = load();
  // Highest address first: not Triad's behaviour, just proof the engine asks the strategy.
  const fromTop: AllocationStrategy = {
    name: 'from-top',
    free(st, c, net) {
      const pool = net.pools[0];
      return { ip: pool.ranges[pool.ranges.length - 1].end, scopes: scopeList(c, pool.scope), fixed: false };
    },
  };
  const st = newEngineState(conf, new LeaseDb(), fromTop);
  t.equal(handleRequest(st, msg('02:00:00:00:00:01', 1), LINK, NOW, IDS).reply?.packet.yiaddr, ip('192.168.117.111'));
  const dflt = newEngineState(conf, new LeaseDb());
  t.equal(handleRequest(dflt, msg('02:00:00:00:00:01', 1), LINK, NOW, IDS).reply?.packet.yiaddr, ip('192.168.117.100'), 'the default scans from the start');
  t.same([...dflt.cursors], [[0, 1]], 'and its cursor moved past the address');
  t.equal(handleRequest(dflt, msg('aa:00:00:00:00:01', 1), LINK, NOW, IDS).reply?.packet.yiaddr, ip('192.168.117.200'), 'a client outside the class gets the other pool');
});

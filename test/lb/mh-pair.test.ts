// Two load balancers with the same real servers (listed in any order, each box with
// its own MAC and interface) render the same Maglev table and the same fixed hash, so
// the backup of a DR pair sends a flow it never saw to the server the master chose.
import t from 'tap';
import { renderState } from '../../src/lb/nft-render.js';
import type { DesiredState, DpServer } from '../../src/lb/datapath.js';
import { rsName, vsName } from '../../src/lb/datapath.js';
import { PacketScheduler } from '../../src/lb/packet-sched.js';

const srv = (i: number): DpServer => ({ id: rsName(`10.77.0.2${i}`, 80), ip: `10.77.0.2${i}`, port: 80, weight: 1, alive: true, mac: `02:00:00:00:00:2${i}` });
const box = (lbMac: string, iface: string, order: number[]): DesiredState => ({
  vss: [{ id: vsName('10.77.0.100', 80, 'tcp'), vip: '10.77.0.100', port: 80, proto: 'tcp', kind: 'DR', iface, lbMac, algo: 'mh', hashPort: true, servers: order.map(srv) }],
});

t.test('nft engine: the same mh table and hash seed on both boxes', async (t) => {
  const a = renderState(box('02:00:00:00:00:01', 'eth0', [1, 2, 3]));
  const b = renderState(box('02:00:00:00:00:02', 'eth1', [3, 1, 2]));
  t.equal(a.slots.size, 1);
  t.same([...b.slots], [...a.slots], 'identical slot → real server maps (65537 slots)');
  const hashOf = (text: string) => /jhash ip saddr \. th sport mod \d+ seed 0x[0-9a-f]+/.exec(text)?.[0];
  t.ok(hashOf(a.text), 'a fixed seed in the rule');
  t.equal(hashOf(b.text), hashOf(a.text), 'the same hash expression on both');
  // A server leaving changes about 1/N of the slots (Maglev's minimal disruption), not the rest.
  const c = renderState(box('02:00:00:00:00:02', 'eth1', [1, 3]));
  const sa = [...a.slots.values()][0];
  const sc = [...c.slots.values()][0];
  const gone = (v: string) => v.endsWith(rsName('10.77.0.22', 80));
  t.equal(sa.filter(gone).length > 0, true, 'the leaving server had slots');
  const moved = sa.filter((v, i) => !gone(v) && v !== sc[i]).length;
  t.ok(moved / sa.length < 0.05, `flows of the servers that stayed mostly keep them (${moved} of ${sa.length} slots moved)`);
});

t.test('packet engine: mh picks the same server for a flow on two boxes', async (t) => {
  const mk = (order: number[]) => order.map((i) => ({ id: rsName(`10.77.0.2${i}`, 80), weight: 1, usable: true, activeConns: 0, inactConns: 0, ip: i }));
  const a = new PacketScheduler('mh', mk([1, 2, 3]), true);
  const b = new PacketScheduler('mh', mk([2, 3, 1]), true);
  let same = 0;
  const seen = new Set<number>();
  for (let port = 30000; port < 31000; port++) {
    const x = a.pick(0x0a4d000a, port, 0x0a4d0064);
    const y = b.pick(0x0a4d000a, port, 0x0a4d0064);
    if (x && y && x.ip === y.ip) same++;
    if (x) seen.add(x.ip);
  }
  t.equal(same, 1000, 'all 1000 flows');
  t.equal(seen.size, 3, 'spread over the three servers');
});

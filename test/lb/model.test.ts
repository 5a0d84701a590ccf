import t from 'tap';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { parseKeepalivedConf } from '../../src/config/keepalived-conf.js';
import { computeModel, drainKey } from '../../src/lb/model.js';
import { conntrackCounts } from '../../src/lb/nft-engine.js';
import { formatStatus } from '../../src/lb/status.js';
import { hostAddressesFrom, interfaceFor, macText, parseArpingMac } from '../../src/lb/host.js';
import { LinkTable } from '../../src/net/link-watch.js';
import { parseAddress } from '../../src/net/ip.js';

const conf = (body: string) => parseKeepalivedConf('k', body, new DiagnosticSink());
const text = `virtual_server 10.0.0.100 80 {
  lb_algo wrr
  lb_kind DR
  quorum 3
  hysteresis 1
  sorry_server 10.0.0.9 80
  real_server 10.0.0.3 80 {
    weight 2
    TCP_CHECK {
    }
  }
  real_server 10.0.0.4 80 {
    weight 2
    inhibit_on_failure
    TCP_CHECK {
    }
  }
}
`;

t.test('health, inhibit_on_failure, drains, quorum with hysteresis, sorry server', async (t) => {
  const c = conf(text);
  const up = new Map<string, boolean>([['10.0.0.3', true], ['10.0.0.4', true]]);
  const drains = new Set<string>();
  let quorum = new Map<string, boolean>();
  const run = () => {
    const m = computeModel({
      conf: c,
      placement: () => ({ iface: 'eth0', lbMac: '02:00:00:00:00:01' }),
      macOf: (ip) => (ip === '10.0.0.9' || up.has(ip) ? `02:00:00:00:00:0${ip.slice(-1)}` : undefined),
      checkState: (rs) => ({ up: up.get(rs.ip)!, detail: 'x', since: 0 }),
      drains,
      quorumUp: quorum,
    });
    quorum = m.quorumUp;
    return m;
  };
  let m = run();
  t.same(m.state.vss[0].servers.map((s) => [s.alive, s.weight]), [[true, 2], [true, 2]]);
  t.equal(m.state.vss[0].sorry, undefined);
  up.set('10.0.0.4', false);
  m = run();
  t.same(m.state.vss[0].servers[1], { id: 'r10_0_0_4_80', ip: '10.0.0.4', port: 80, mac: '02:00:00:00:00:04', weight: 0, alive: true }, 'inhibited: weight 0, kept');
  t.match(m.views[0].servers[1].state, /inhibited/);
  t.equal(m.views[0].quorumUp, true, 'live weight 2 ≥ quorum 3 - hysteresis 1');
  drains.add(drainKey('10.0.0.100:80/TCP', '10.0.0.3', 80));
  m = run();
  t.equal(m.views[0].quorumUp, false, 'drained: live weight 0');
  t.equal(m.state.vss[0].sorry?.ip, '10.0.0.9', 'sorry server takes new flows');
  drains.clear();
  m = run();
  t.equal(m.views[0].quorumUp, false, 'weight 2 < quorum 3 + hysteresis 1: stays down');
  up.set('10.0.0.4', true);
  m = run();
  t.equal(m.views[0].quorumUp, true);
  t.equal(m.state.vss[0].sorry, undefined);
  const out = formatStatus(m.views.map((v) => ({ ...v, servers: v.servers })), 'nftables');
  t.match(out, /TCP  10\.0\.0\.100:80 +wrr  Route eth0/);
  t.match(out, /-> 10\.0\.0\.3:80 +2 +0 +0/);
});

t.test('DR server without a MAC is down; missing interface is reported', async (t) => {
  const c = conf(text);
  const m = computeModel({ conf: c, placement: () => undefined, macOf: () => undefined, checkState: () => undefined, drains: new Set(), quorumUp: new Map() });
  t.equal(m.state.vss.length, 0);
  t.match(m.views[0].error, /no interface has a connected subnet holding the VIP \(set triad_interface\)/);
  const named = computeModel({ conf: conf(text.replace('lb_kind DR', 'lb_kind DR\n  triad_interface eth7')), placement: () => undefined, macOf: () => undefined, checkState: () => undefined, drains: new Set(), quorumUp: new Map() });
  t.equal(named.views[0].error, 'waiting for interface eth7 (triad_interface)', 'a named interface that is missing is reported by name');
  t.ok(named.views[0].servers.length > 0, 'an unplaced virtual server still lists its real servers');
  t.ok(named.views[0].servers.every((s) => !s.alive && s.effectiveWeight === 0 && /waiting for the interface/.test(s.state)), 'none of them served, and why');
  t.equal(named.state.vss.length, 0, 'nothing of it reaches the data plane');
  t.match(formatStatus(named.views, 'nftables'), /waiting for interface eth7[^\n]*\n  -> 10\.0\.0\.\d+:80 +2? *0 .*not served/);
  const m2 = computeModel({ conf: c, placement: () => ({ iface: 'eth0', lbMac: 'x' }), macOf: () => undefined, checkState: () => undefined, drains: new Set(), quorumUp: new Map() });
  t.match(m2.views[0].servers[0].state, /no ARP reply/);
  t.equal(m2.state.vss[0].servers[0].alive, false);
});

t.test('conntrack counting, arping parsing, interface choice', async (t) => {
  const ct = [
    'ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.2 dst=10.0.0.100 sport=40000 dport=80 src=10.1.0.2 dst=10.0.0.2 sport=8080 dport=40000 [ASSURED] mark=0 zone=0 use=2',
    'ipv4     2 tcp      6 100 TIME_WAIT src=10.0.0.2 dst=10.0.0.100 sport=40001 dport=80 src=10.1.0.2 dst=10.0.0.2 sport=8080 dport=40001 [ASSURED] mark=0 zone=0 use=2',
    'ipv4     2 udp      17 20 src=10.0.0.2 dst=10.0.0.100 sport=5000 dport=53 src=10.1.0.3 dst=10.0.0.2 sport=53 dport=5000 mark=0 zone=0 use=2',
  ].join('\n');
  const m = conntrackCounts(ct);
  t.equal(m.get('tcp 10.0.0.100:80 10.1.0.2:8080'), 1, 'TIME_WAIT not active');
  t.equal(m.get('udp 10.0.0.100:53 10.1.0.3:53'), 1);
  t.equal(parseArpingMac('ARPING 10.0.0.3\nUnicast reply from 10.0.0.3 [AA:BB:CC:00:11:22]  0.6ms\n'), 'aa:bb:cc:00:11:22');
  const addr = (text: string, len: number, iface: string) => ({ address: parseAddress(text)!, text, prefixLength: len, interface: iface, linkLocal: false });
  const addrs = [addr('10.0.0.1', 24, 'eth0'), addr('10.0.0.100', 32, 'eth0'), addr('10.0.0.1', 16, 'eth9'), addr('10.1.0.1', 24, 'eth1')];
  t.equal(interfaceFor('10.0.0.100', addrs), 'eth0', 'longest connected prefix, /32 host addresses ignored');
  t.equal(interfaceFor('10.1.0.7', addrs), 'eth1');
  t.equal(interfaceFor('192.0.2.1', addrs), undefined);
});

t.test('addresses from the link table include links without carrier; MAC text', async (t) => {
  const table = new LinkTable();
  const mac = Buffer.from('0200000000aa', 'hex');
  // eth0: up, no carrier (not RUNNING), 10.0.0.1/24 — os.networkInterfaces() would not list it.
  table.apply({ kind: 'link', op: 'new', index: 2, name: 'eth0', flags: 0x1 | 0x2, mac });
  table.apply({ kind: 'addr', op: 'new', index: 2, ip: 0x0a000001, prefixLen: 24 });
  const addrs = hostAddressesFrom(table);
  t.same(addrs.map((a) => [a.text, a.prefixLength, a.interface]), [['10.0.0.1', 24, 'eth0']]);
  t.equal(interfaceFor('10.0.0.100', addrs), 'eth0', 'the VIP is placed before the link has carrier');
  t.equal(macText(mac), '02:00:00:00:00:aa');
  t.equal(macText(Buffer.alloc(6)), undefined, 'no MAC');
});

import t from 'tap';
import { ConnTable, inKey } from '../../src/lb/conn-table.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../src/net/ip-frame.js';

const server = () => ({ activeConns: 0, inactConns: 0 });
const base = (s: ReturnType<typeof server>, proto = 6, cPort = 1000) => ({ proto, cIp: 1, cPort, vIp: 2, vPort: 80, rIp: 3, rPort: 8080, server: s, vs: {} });

t.test('TCP states move like IPVS and counts follow', async (t) => {
  const tb = new ConnTable<ReturnType<typeof server>>();
  const s = server();
  const c = tb.add(base(s), 0, TCP_SYN);
  t.equal(c.state, 'SYN_RECV');
  t.same(s, { activeConns: 0, inactConns: 1 });
  t.equal(c.expires, 60_000);
  tb.track(c, TCP_SYN | TCP_ACK, false, 0);
  t.equal(c.state, 'SYN_RECV');
  tb.track(c, TCP_ACK, true, 1000);
  t.equal(c.state, 'ESTABLISHED');
  t.equal(c.expires, 901_000, '900 s established');
  t.same(s, { activeConns: 1, inactConns: 0 });
  tb.track(c, TCP_FIN | TCP_ACK, true, 2000);
  t.equal(c.state, 'FIN_WAIT');
  t.equal(c.expires, 122_000, '120 s after FIN');
  t.same(s, { activeConns: 0, inactConns: 1 });
  tb.track(c, TCP_FIN | TCP_ACK, false, 3000);
  t.equal(c.state, 'TIME_WAIT');
  t.equal(tb.lookupIn(inKey(6, 1, 1000, 2, 80)), c);
  t.equal(tb.lookupReply(inKey(6, 3, 8080, 1, 1000)), c);
  t.equal(tb.expire(200_000), 1);
  t.equal(tb.size, 0);
  t.same(s, { activeConns: 0, inactConns: 0 });
});

t.test('RST closes; UDP uses its own timeout; timeouts configurable', async (t) => {
  const tb = new ConnTable<ReturnType<typeof server>>({ tcp: 10, tcpFin: 5, udp: 7 });
  const s = server();
  const c = tb.add(base(s), 0, TCP_SYN);
  tb.track(c, TCP_ACK, true, 0);
  t.equal(c.expires, 10_000);
  tb.track(c, TCP_RST, false, 0);
  t.equal(c.state, 'CLOSE');
  const u = tb.add(base(s, 17, 2000), 0, 0);
  t.equal(u.state, 'UDP');
  t.equal(u.expires, 7000);
  tb.track(u, 0, true, 5000);
  t.equal(u.expires, 12_000);
  t.equal(tb.expire(11_000), 1, 'the closed TCP entry went after 10 s');
  t.equal(tb.size, 1);
});

t.test('rebind moves entries to new server objects and drops removed ones', async (t) => {
  const tb = new ConnTable<ReturnType<typeof server> & { id: string }>();
  const a = { ...server(), id: 'a' };
  const b = { ...server(), id: 'b' };
  const c1 = tb.add({ ...base(a), server: a }, 0, TCP_SYN);
  tb.track(c1, TCP_ACK, true, 0);
  tb.add({ ...base(b, 6, 1001), server: b }, 0, TCP_SYN);
  const a2 = { ...server(), id: 'a' };
  tb.rebind((c) => c.server.id, new Map([['a', a2]]), () => ({}));
  t.equal(tb.size, 1);
  t.equal(c1.server, a2);
  t.same([a2.activeConns, a.activeConns], [1, 0]);
});

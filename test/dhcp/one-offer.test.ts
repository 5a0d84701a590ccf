// One client, one offer: a retransmitted DISCOVER is offered the address already on offer
// to that client (RFC 2131 §4.3.1), whatever its xid, and no second address is held.

import t from 'tap';
import { parseDhcpdConf } from '../../src/config/dhcpd-conf.js';
import { parseIPv4 as ip, formatIPv4 } from '../../src/config/dhcp-options.js';
import { handleRequest, newEngineState, type LinkInfo, type EngineState } from '../../src/dhcp/engine.js';
import { LeaseDb } from '../../src/dhcp/lease.js';
import { OfferBook } from '../../src/dhcp/offers.js';
import { decodePacket, type DhcpPacket } from '../../src/dhcp/packet.js';
import { validDiscover } from './fuzz-cases.js';
import { IDS, LINK, engineFor, msg } from './engine-fixture.js';

const CONF = `
authoritative;
default-lease-time 600;
subnet 192.168.117.0 netmask 255.255.255.0 {
  range 192.168.117.100 192.168.117.103;
  option routers 192.168.117.254;
}
`;
const NOW = 1_800_000_000_000;
const setup = (conf = CONF): EngineState => engineFor(conf);



const offerTo = (st: EngineState, mac: string, at: number, opts: number[][] = [], xid = 0x12345678): string | undefined => {
  const r = handleRequest(st, msg(mac, 1, opts, (p) => (p.xid = xid)), LINK, at, IDS).reply;
  return r ? formatIPv4(r.packet.yiaddr) : undefined;
};

t.test('a retransmitted DISCOVER is offered the same address, same xid or not', async (t) => {
  const st = setup();
  const pxe = '52:54:00:12:34:56';
  t.equal(offerTo(st, pxe, NOW), '192.168.117.100', 'first DISCOVER');
  t.equal(offerTo(st, pxe, NOW + 1000), '192.168.117.100', 'retransmission with the same xid');
  t.equal(offerTo(st, pxe, NOW + 3000, [], 0x7777), '192.168.117.100', 'a new xid');
  t.equal(offerTo(st, pxe, NOW + 5000, [[60, 9, ...Buffer.from('PXEClient')]]), '192.168.117.100', 'more options (a PXE vendor class)');
  t.equal(st.db.offers.size, 1, 'one address held');
  t.equal(st.db.offers.heldFor('hw:1:525400123456', NOW + 5000), ip('192.168.117.100'));
  t.equal(offerTo(st, '02:00:00:00:00:02', NOW + 6000), '192.168.117.101', 'the next client gets the next address');
  t.equal(offerTo(st, '02:00:00:00:00:03', NOW + 6000), '192.168.117.102');
  t.equal(offerTo(st, '02:00:00:00:00:04', NOW + 6000), '192.168.117.103', 'all four addresses go to four clients: none is held twice');
  const ack = handleRequest(st, msg(pxe, 3, [[50, 4, 192, 168, 117, 100], [54, 4, 192, 168, 117, 1]]), LINK, NOW + 7000, IDS);
  t.equal(ack.reply?.packet.options.get(53)?.[0], 5, 'the REQUEST for the offered address is ACKed');
  t.equal(st.db.offers.heldFor('hw:1:525400123456', NOW + 7000), undefined, 'the ACK ends the offer');
  t.equal(offerTo(st, pxe, NOW + 8000), '192.168.117.100', 'a later DISCOVER gets its lease again');
});

t.test('the same client identifier on a new DISCOVER keeps its offer; another identifier is another client', async (t) => {
  const st = setup();
  const mac = '02:00:00:00:00:05';
  const id1 = [61, 3, 1, 2, 3];
  t.equal(offerTo(st, mac, NOW, [id1]), '192.168.117.100');
  t.equal(offerTo(st, mac, NOW + 500, [id1]), '192.168.117.100', 'same client-id: same offer');
  t.equal(offerTo(st, mac, NOW + 500, [[61, 3, 1, 2, 4]]), '192.168.117.101', 'another client-id on the same MAC: another client');
  t.equal(st.db.offers.size, 2);
});

t.test('an offer that lapsed is not held; the client is offered afresh', async (t) => {
  const st = setup();
  const mac = '02:00:00:00:00:06';
  t.equal(offerTo(st, mac, NOW), '192.168.117.100');
  t.equal(st.db.offers.heldFor('hw:1:020000000006', NOW + st.offerHoldMs + 1), undefined, 'the hold ends after offerHoldMs');
  t.equal(offerTo(st, '02:00:00:00:00:07', NOW + st.offerHoldMs + 1), '192.168.117.101', 'another client does not take it while a fresh one is free');
  t.ok(offerTo(st, mac, NOW + st.offerHoldMs + 2), 'the first client is offered an address again');
  t.equal([...st.db.offers.values()].filter((o) => o.key === 'hw:1:020000000006').length, 1, 'and holds one');
});

t.test('ping-check probes the first offer, not a re-offer of the same address', async (t) => {
  const st = setup(CONF.replace('authoritative;', 'authoritative;\nping-check true;'));
  const mac = '02:00:00:00:00:08';
  const first = handleRequest(st, msg(mac, 1), LINK, NOW, IDS);
  t.equal(first.probe?.ip, ip('192.168.117.100'), 'first offer probed');
  const again = handleRequest(st, msg(mac, 1), LINK, NOW + 1000, IDS);
  t.equal(again.reply?.packet.yiaddr, ip('192.168.117.100'));
  t.notOk(again.probe, 'the re-offer is not probed again');
});

t.test('an offer taken over when the pool runs out is no longer the first client\'s', async (t) => {
  const st = setup(CONF.replace('192.168.117.103', '192.168.117.100'));
  t.equal(offerTo(st, '02:00:00:00:00:09', NOW), '192.168.117.100');
  t.equal(offerTo(st, '02:00:00:00:00:0a', NOW + 10), '192.168.117.100', 'the oldest offer is taken over');
  t.equal(st.db.offers.heldFor('hw:1:020000000009', NOW + 20), undefined, 'the first client holds nothing');
  t.equal(st.db.offers.heldFor('hw:1:02000000000a', NOW + 20), ip('192.168.117.100'));
});

t.test('OfferBook: one offer per client', async (t) => {
  const b = new OfferBook();
  b.set(1, { key: 'a', expires: 100 });
  b.set(2, { key: 'a', expires: 100 });
  t.same([...b.keys()], [2], 'a second offer to a client releases its first');
  b.set(3, { key: 'b', expires: 100 });
  b.set(3, { key: 'c', expires: 100 });
  t.equal(b.heldFor('b', 0), undefined, 'an address given to another client is no longer held for the first');
  t.equal(b.heldFor('c', 0), 3);
  t.equal(b.heldFor('c', 100), undefined, 'expired');
  b.releaseFor('a');
  t.notOk(b.has(2));
  b.delete(3);
  t.equal(b.heldFor('c', 0), undefined);
  b.set(4, { key: 'd', expires: 100 });
  b.clear();
  t.equal(b.heldFor('d', 0), undefined);
  t.equal(b.size, 0);
});

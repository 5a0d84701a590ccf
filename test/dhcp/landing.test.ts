// Decisions before effects: the engine changes nothing; a decision's lease record reaches
// the writer before memory changes or the reply may leave; a failed write changes nothing.

import t from 'tap';
import { parseIPv4 as ip } from '../../src/config/dhcp-options.js';
import { decide, handleRequest } from '../../src/dhcp/engine.js';
import { Landing } from '../../src/dhcp/landing.js';
import type { Lease } from '../../src/dhcp/lease.js';
import { IDS, LINK, engineFor, msg } from './engine-fixture.js';

const CONF = `
authoritative;
default-lease-time 600;
subnet 192.168.117.0 netmask 255.255.255.0 {
  range 192.168.117.100 192.168.117.103;
}
`;
const NOW = 1_800_000_000_000;
const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const requestFor = (mac: string): ReturnType<typeof msg> => msg(mac, 3, [[50, 4, 192, 168, 117, 100], [54, 4, 192, 168, 117, 1]]);

t.test('deciding changes nothing: offers, leases and cursors stay as they were', async (t) => {
  const st = engineFor(CONF);
  const d = decide(st, msg(A, 1), LINK, NOW, IDS);
  t.equal(d.reply?.packet.yiaddr, ip('192.168.117.100'));
  t.same(d.offers, [{ op: 'hold', ip: ip('192.168.117.100'), key: 'hw:1:02000000000a', expires: NOW + st.offerHoldMs }], 'the offer is an intended change');
  t.equal(st.db.offers.size, 0, 'no offer held yet');
  t.equal(st.cursors.size, 0, 'no cursor moved yet');
  const ack = decide(st, requestFor(A), LINK, NOW, IDS);
  t.equal(ack.reply?.packet.options.get(53)?.[0], 5, 'an ACK is decided');
  t.equal(ack.commit.length, 1, 'with its lease record');
  t.equal(st.db.size, 0, 'and no lease in memory');
});

t.test('a failed lease write: no reply, memory unchanged', async (t) => {
  const st = engineFor(CONF);
  handleRequest(st, msg(A, 1), LINK, NOW, IDS); // the offer is held
  const landing = new Landing({ commit: () => Promise.reject(new Error('EROFS: read-only file system')) });
  st.inFlight = landing.inFlight;
  const d = decide(st, requestFor(A), LINK, NOW + 1000, IDS);
  t.equal(d.reply?.packet.options.get(53)?.[0], 5);
  let replied = false;
  const err = await new Promise<Error>((resolve) => landing.land(st, d, () => (replied = true), resolve));
  t.match(err.message, /read-only/, 'the write failure is reported');
  t.notOk(replied, 'no DHCPACK goes out');
  t.equal(st.db.get(ip('192.168.117.100')!), undefined, 'no lease in memory');
  t.equal(st.db.offers.heldFor('hw:1:02000000000a', NOW + 1000), ip('192.168.117.100'), 'the offer is still held, as before the request');
  t.equal(landing.inFlight.size, 0, 'nothing is left marked as being written');
});

t.test('a lease enters memory only once written; meanwhile its address is nobody else\'s', async (t) => {
  const st = engineFor(CONF);
  const written: Lease[] = [];
  let finish!: () => void;
  const landing = new Landing({
    commit: (l) => {
      written.push(l);
      return new Promise<void>((resolve) => (finish = resolve));
    },
  });
  st.inFlight = landing.inFlight;
  // No offer first: an INIT-REBOOT style request for a free address.
  const d = decide(st, msg(A, 3, [[50, 4, 192, 168, 117, 100]]), LINK, NOW, IDS);
  t.equal(d.reply?.packet.options.get(53)?.[0], 5);
  let replied = false;
  landing.land(st, d, () => (replied = true), () => t.fail('write should not fail'));
  t.equal(written.length, 1, 'the record is handed to the writer first');
  t.equal(st.db.get(ip('192.168.117.100')!), undefined, 'not in memory while it is being written');
  t.notOk(replied, 'no reply before it is durable');
  const other = decide(st, msg(B, 3, [[50, 4, 192, 168, 117, 100]]), LINK, NOW, IDS);
  t.equal(other.reply?.packet.options.get(53)?.[0], 6, 'another client asking for the address meanwhile is NAKed');
  const offer = decide(st, msg(B, 1), LINK, NOW, IDS);
  t.equal(offer.reply?.packet.yiaddr, ip('192.168.117.101'), '…and offered another');
  finish();
  await new Promise((r) => setImmediate(r));
  t.ok(replied, 'the reply may leave once the record is durable');
  t.equal(st.db.get(ip('192.168.117.100')!)?.state, 'active', 'and the lease is in memory');
  t.equal(landing.inFlight.size, 0);
});

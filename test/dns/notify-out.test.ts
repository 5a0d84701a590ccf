// NOTIFY out (RFC 1996) decided without sockets: targets, the message, replies, retries.
import t from 'tap';
import { normalize6, notifyInfo, notifyWait, ownListen, notifyMessage, notifyReply, notifyRetryWaits, notifyTargets, NOTIFY_TRIES } from '../../src/dns/notify-out.js';
import { decodeMessage, FLAG_AA, FLAG_QR, OPCODE_NOTIFY } from '../../src/dns/message.js';
import { nameToText } from '../../src/wire/dns-name.js';
import { T } from '../../src/wire/rr-type.js';
import { miniZone } from '../helpers/mini-zone.js';

const ZONE = `@ 300 SOA ns1.ex.test. admin.ex.test. 7 3600 600 86400 60
@ 300 NS ns1
@ 300 NS ns2
@ 300 NS ns3
@ 300 NS ns.elsewhere.test.
ns1 300 A 192.0.2.1
ns2 300 A 192.0.2.2
ns2 300 AAAA 2001:db8::2
ns3 300 A 192.0.2.3
ns3 300 A 10.9.9.9
sub 300 NS ns.sub
ns.sub 300 A 192.0.2.44`;

t.test('notify yes: NS hosts but the SOA MNAME, in-zone addresses, not where we listen; then also-notify', async (t) => {
  const z = miniZone('ex.test', ZONE);
  const also = [{ address: '127.0.0.1', port: 5301, key: 'xfer' }, { address: '192.0.2.2' }, { address: '127.0.0.1', port: 5300 }];
  const targets = notifyTargets(z, 'yes', also, ownListen([{ address: '10.9.9.9', port: 53 }, { address: '127.0.0.1', port: 5300 }]));
  t.same(targets, [
    { address: '192.0.2.2', port: 53 },
    { address: '2001:db8:0:0:0:0:0:2', port: 53 },
    { address: '192.0.2.3', port: 53 },
    { address: '127.0.0.1', port: 5301, key: 'xfer' },
  ], 'ns1 is the MNAME, we listen on 10.9.9.9#53 and 127.0.0.1#5300, ns.elsewhere.test has no address in the zone, 192.0.2.2 once');
  t.equal(notifyTargets(z, 'yes', [], ownListen([{ address: '10.9.9.9', port: 5300 }])).length, 4, 'our address on another port is another server');
  t.ok(ownListen([{ address: '2001:DB8::2', port: 53 }]).has('2001:db8:0:0:0:0:0:2#53'), 'IPv6 in one spelling');
  t.same(notifyTargets(z, 'primary-only', [], new Set()).map((x) => x.address), ['192.0.2.2', '2001:db8:0:0:0:0:0:2', '192.0.2.3', '10.9.9.9'], 'primary-only: the same for a primary zone');
  t.same(notifyTargets(z, 'explicit', also, new Set()), [{ address: '127.0.0.1', port: 5301, key: 'xfer' }, { address: '192.0.2.2', port: 53 }, { address: '127.0.0.1', port: 5300 }], 'explicit: also-notify only');
  t.same(notifyTargets(z, 'no', also, new Set()), [], 'no: nobody');
  t.equal(normalize6('2001:DB8::0002'), '2001:db8:0:0:0:0:0:2');
  t.equal(normalize6('::1'), '0:0:0:0:0:0:0:1');
});

t.test("a zone's announcement takes the zone's clauses over the options'", async (t) => {
  const z = miniZone('ex.test', ZONE);
  const info = notifyInfo(z, { notify: 'explicit', alsoNotify: [{ address: '192.0.2.9' }], notifyDelay: 0, notifySource: { address: '127.0.0.1' } }, { alsoNotify: [{ address: '192.0.2.10', port: 5353 }] }, new Set());
  t.equal(info.zone, 'ex.test.');
  t.equal(info.serial, 7);
  t.same(info.targets, [{ address: '192.0.2.10', port: 5353 }]);
  t.equal(info.delay, 0);
  t.same(info.source, { address: '127.0.0.1' });
  t.ok(info.soa && info.soa.ttl === 300, 'the SOA goes with it');
  t.equal(notifyInfo(z, undefined, undefined, new Set()).delay, 5, "BIND's notify-delay default: 5 seconds");
});

t.test('the NOTIFY message and what counts as its answer (RFC 1996 §3.7, §4.7)', async (t) => {
  const z = miniZone('ex.test', ZONE);
  const soa = z.apex!.rrsets.get(T.SOA)!;
  const msg = notifyMessage(0x1234, 'ex.test.', { ttl: 300, rdata: soa.rdatas[0] });
  const d = decodeMessage(msg);
  if (typeof d === 'string') return t.fail(d);
  t.equal(d.id, 0x1234);
  t.equal(d.opcode, OPCODE_NOTIFY);
  t.ok(d.flags & FLAG_AA, 'AA set');
  t.notOk(d.flags & FLAG_QR, 'a request');
  t.same(d.questions.map((q) => [nameToText(q.name), q.type]), [['ex.test.', T.SOA]]);
  t.same(d.answers.map((r) => [nameToText(r.name), r.type, r.ttl, Buffer.from(r.rdata).equals(Buffer.from(soa.rdatas[0]))]), [['ex.test.', T.SOA, 300, true]], 'the SOA in the answer section');
  const reply = Uint8Array.from(msg);
  reply[2] |= 0x80; // QR
  t.same(notifyReply(reply, 0x1234, 'EX.test'), { rcode: 0 }, 'our ID, opcode and question: the answer');
  t.equal(notifyReply(reply, 0x1235, 'ex.test.'), undefined, 'another ID');
  t.equal(notifyReply(msg, 0x1234, 'ex.test.'), undefined, 'not a response');
  t.equal(notifyReply(reply, 0x1234, 'other.test.'), undefined, 'another zone');
  const refused = Uint8Array.from(reply);
  refused[3] = (refused[3] & 0xf0) | 5;
  t.same(notifyReply(refused, 0x1234, 'ex.test.'), { rcode: 5 }, 'REFUSED is an answer too (no more tries)');
  t.equal(notifyReply(reply.subarray(0, 7), 0x1234, 'ex.test.'), undefined, 'a truncated reply is ignored');
  t.same(decodeMessage(notifyMessage(1, 'ex.test')) !== 'string' && (decodeMessage(notifyMessage(1, 'ex.test')) as { answers: unknown[] }).answers, [], 'without an SOA: question only');
});

t.test('retries: 5 tries, each wait twice the one before', async (t) => {
  t.equal(NOTIFY_TRIES, 5);
  t.same(notifyRetryWaits(), [2000, 4000, 8000, 16000, 32000]);
  t.same(notifyRetryWaits(3, 100), [100, 200, 400]);
});

t.test('notify-delay: the first NOTIFY at once, a change within the delay waits for its end', async (t) => {
  t.same(notifyWait(0, 1000, 5), { waitMs: 0, windowEnd: 6000 }, 'none sent yet: now');
  t.same(notifyWait(6000, 2000, 5), { waitMs: 4000, windowEnd: 11000 }, 'within the window: at its end, and a new window after');
  t.same(notifyWait(6000, 9000, 5), { waitMs: 0, windowEnd: 14000 }, 'after the window: now');
  t.same(notifyWait(6000, 2000, 0), { waitMs: 4000, windowEnd: 6000 }, 'notify-delay 0 adds no window');
  t.same(notifyWait(0, 2000, 0), { waitMs: 0, windowEnd: 2000 });
});

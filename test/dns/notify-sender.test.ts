// The NOTIFY sender on real UDP sockets (loopback): a secondary that answers late, one
// that never answers, a newer serial replacing one still retrying, DHCP-name serials.
import t, { type Test } from 'tap';
import dgram from 'node:dgram';
import { NotifySender } from '../../src/dns/notify-sender.js';
import { notifyInfo, type NotifyZoneInfo } from '../../src/dns/notify-out.js';
import { decodeMessage, FLAG_QR } from '../../src/dns/message.js';
import { createLogger } from '../../src/log.js';
import { waitFor } from '../helpers/triad-run.js';
import { miniZone } from '../helpers/mini-zone.js';

const log = createLogger({ level: 'silent' });

interface Heard {
  serial: number;
  id: number;
}

/** A secondary on 127.0.0.1 that records each NOTIFY's serial and answers from the `answerFrom`-th try on. */
async function secondary(t: Test, answerFrom: number): Promise<{ port: number; heard: Heard[] }> {
  const sock = dgram.createSocket('udp4');
  const heard: Heard[] = [];
  sock.on('message', (msg, from) => {
    const d = decodeMessage(msg);
    if (typeof d === 'string') return;
    const rd = d.answers[0]?.rdata;
    heard.push({ serial: rd ? Buffer.from(rd).readUInt32BE(rd.length - 20) : -1, id: d.id });
    if (heard.length < answerFrom) return;
    const reply = Buffer.from(msg);
    reply.writeUInt16BE(reply.readUInt16BE(2) | FLAG_QR, 2);
    sock.send(reply, from.port, from.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  t.teardown(() => sock.close());
  return { port: sock.address().port, heard };
}

const zone = (serial: number): NotifyZoneInfo => {
  const z = miniZone('ex.test', `@ 300 SOA ns.ex.test. admin.ex.test. ${serial} 3600 600 86400 60\n@ 300 NS ns\nns 300 A 192.0.2.1`);
  return notifyInfo(z, { notify: 'explicit', notifyDelay: 0 }, undefined, new Set());
};

t.test('retried until an answer comes; then no more tries', async (t) => {
  const peer = await secondary(t, 3);
  const sender = new NotifySender(log, { retryWaits: [40, 40, 40, 40, 40] });
  t.teardown(() => sender.stop());
  sender.loaded([{ ...zone(7), targets: [{ address: '127.0.0.1', port: peer.port }] }], true);
  t.ok(await waitFor(() => sender.stats.answered === 1, 5000, 20), 'answered');
  await new Promise((r) => setTimeout(r, 200));
  t.equal(peer.heard.length, 3, 'three tries: two unanswered, the third answered, no fourth');
  t.same(peer.heard.map((h) => h.serial), [7, 7, 7]);
  t.equal(new Set(peer.heard.map((h) => h.id)).size, 1, 'a retry is the same message');
});

t.test('given up after the last try', async (t) => {
  const peer = await secondary(t, Infinity);
  const sender = new NotifySender(log, { retryWaits: [20, 20, 20, 20, 20] });
  t.teardown(() => sender.stop());
  sender.loaded([{ ...zone(7), targets: [{ address: '127.0.0.1', port: peer.port }] }], true);
  t.ok(await waitFor(() => sender.stats.failed === 1, 5000, 20), 'failed');
  t.equal(peer.heard.length, 5, 'five tries');
});

t.test('a reload announces only changed serials; DHCP names announce their serial', async (t) => {
  const peer = await secondary(t, 1);
  const sender = new NotifySender(log, { retryWaits: [1000, 1000, 1000, 1000, 1000] });
  t.teardown(() => sender.stop());
  const target = [{ address: '127.0.0.1', port: peer.port }];
  sender.loaded([{ ...zone(7), targets: target }], true);
  t.ok(await waitFor(() => peer.heard.length === 1, 5000, 20), 'at start');
  sender.loaded([{ ...zone(7), targets: target }], false);
  sender.serials({ 'ex.test.': 7, 'other.test.': 99 });
  await new Promise((r) => setTimeout(r, 150));
  t.equal(peer.heard.length, 1, 'same serial, no NOTIFY');
  sender.serials({ 'ex.test.': 8 });
  t.ok(await waitFor(() => peer.heard.length === 2, 5000, 20), 'DHCP names stepped the serial');
  t.equal(peer.heard[1].serial, 8, 'the SOA carries the new serial');
  sender.loaded([{ ...zone(9), targets: target }], false);
  t.ok(await waitFor(() => peer.heard.length === 3, 5000, 20), 'a reload with a new serial');
  t.equal(peer.heard[2].serial, 9);
});

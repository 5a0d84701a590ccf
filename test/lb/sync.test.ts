// Connection sync without sockets: the wire format round-trips, forged, truncated and
// replayed datagrams are refused with a reason, the master's queue is bounded and
// coalesces per flow, and a received entry becomes a backup connection that sends the
// flow's packets to the same real server (NAT replies included).
import t from 'tap';
import { ConnTable, inKey } from '../../src/lb/conn-table.js';
import { buildPathVs, type PathServer } from '../../src/lb/packet-path.js';
import { decodeSync, encodeSync, entriesPerPacket, OP_ADD, OP_REMOVE, SYNC_ENTRY, SYNC_HEADER, SYNC_MAC, type SyncEntry } from '../../src/lb/sync-packet.js';
import { applyEntry, entryOf, ReplayGuard, SyncQueue } from '../../src/lb/sync-table.js';
import { TCP_ACK, TCP_SYN } from '../../src/net/ip-frame.js';

const KEY = Buffer.from('shared secret');
const entry = (cPort: number, over: Partial<SyncEntry> = {}): SyncEntry => ({
  op: OP_ADD, proto: 6, state: 'ESTABLISHED', cIp: 0x0a000002, cPort, vIp: 0x0a000064, vPort: 80, rIp: 0x0a010003, rPort: 8080,
  clientMac: Buffer.from('020000000002', 'hex'), ttl: 897, ...over,
});
const msg = (entries: SyncEntry[], seq = 1) => ({ syncId: 7, sender: 0x0a4d0001, epoch: 1000, seq, time: 2000, entries });

t.test('encode/decode round trip', async (t) => {
  const es = [entry(40000), entry(40001, { op: OP_REMOVE, state: 'CLOSE', clientMac: undefined, ttl: 0 }), entry(5353, { proto: 17, state: 'UDP' })];
  const b = encodeSync(msg(es), KEY);
  t.equal(b.length, SYNC_HEADER + 3 * SYNC_ENTRY + SYNC_MAC);
  const d = decodeSync(b, KEY, 7);
  t.ok(d.ok);
  if (!d.ok) return;
  t.match(d.msg, { syncId: 7, sender: 0x0a4d0001, epoch: 1000, seq: 1, time: 2000 });
  t.same(d.msg.entries, es);
  t.equal(entriesPerPacket(1472), 44, 'a 1472-byte datagram holds 44 entries');
});

t.test('forged, truncated, altered and foreign datagrams are refused with a reason', async (t) => {
  const b = encodeSync(msg([entry(1)]), KEY);
  t.match(decodeSync(b, Buffer.from('wrong key'), 7), { ok: false, reason: 'bad-mac' }, 'another key');
  const flipped = Buffer.from(b);
  flipped[SYNC_HEADER + 17] ^= 1; // the real server's address
  t.match(decodeSync(flipped, KEY, 7), { ok: false, reason: 'bad-mac' }, 'an altered entry');
  t.match(decodeSync(b.subarray(0, b.length - 1), KEY, 7), { ok: false, reason: 'bad-length' }, 'truncated');
  t.match(decodeSync(b.subarray(0, 10), KEY, 7), { ok: false, reason: 'short' });
  const magic = Buffer.from(b);
  magic[0] = 0;
  t.match(decodeSync(magic, KEY, 7), { ok: false, reason: 'bad-magic' });
  const ver = Buffer.from(b);
  ver[2] = 9;
  t.match(decodeSync(ver, KEY, 7), { ok: false, reason: 'bad-version' });
  t.match(decodeSync(b, KEY, 8), { ok: false, reason: 'other-sync-id' });
  const badOp = encodeSync(msg([entry(1, { op: 9 as typeof OP_ADD })]), KEY);
  t.match(decodeSync(badOp, KEY, 7), { ok: false, reason: 'bad-entry' }, 'an unknown op, even signed');
});

t.test('replays, old epochs and stale send times are refused; reordering within the window is not', async (t) => {
  const g = new ReplayGuard();
  t.equal(g.check('a', 10, 1, 100, 100), 'ok');
  t.equal(g.check('a', 10, 1, 100, 100), 'replay', 'the same datagram again');
  t.equal(g.check('a', 10, 5, 100, 100), 'ok');
  t.equal(g.check('a', 10, 3, 100, 100), 'ok', 'late but unseen');
  t.equal(g.check('a', 10, 3, 100, 100), 'replay');
  t.equal(g.check('a', 10, 200, 100, 100), 'ok');
  t.equal(g.check('a', 10, 100, 100, 100), 'replay', 'older than the window');
  t.equal(g.check('a', 9, 500, 100, 100), 'old-epoch', 'a datagram of the sender before its restart');
  t.equal(g.check('a', 11, 1, 100, 100), 'ok', 'a restarted sender');
  t.equal(g.check('b', 11, 1, 100, 161), 'stale', 'sent more than 60 s ago');
  t.equal(g.check('b', 11, 1, 100, 160), 'ok', 'each sender has its own numbers');
});

t.test('the queue keeps one change per flow and is bounded', async (t) => {
  const q = new SyncQueue(2);
  t.ok(q.push('f1', entry(1, { state: 'SYN_RECV' })));
  t.ok(q.push('f2', entry(2)));
  t.ok(q.push('f1', entry(1, { state: 'ESTABLISHED' })), 'a later change of a queued flow replaces it');
  t.notOk(q.push('f3', entry(3)), 'full');
  t.equal(q.dropped, 1);
  const out = q.take(10);
  t.same(out.map((e) => [e.cPort, e.state]), [[2, 'ESTABLISHED'], [1, 'ESTABLISHED']]);
  t.equal(q.size, 0);
});

t.test('an entry becomes a backup connection to the same real server, with the NAT reply mapping', async (t) => {
  const srv = (ip: number): PathServer => ({ id: `r${ip}`, ip, port: 8080, weight: 1, usable: true, outIf: 2, tunSrc: 0, conns: 0, inPkts: 0, inBytes: 0, outPkts: 0, outBytes: 0, activeConns: 0, inactConns: 0 });
  const servers = [srv(0x0a010002), srv(0x0a010003)];
  const vs = buildPathVs({ id: 'v', vip: 0x0a000064, port: 80, proto: 6, kind: 'NAT', ifIndex: 1, algo: 'rr', hashPort: false, servers });
  const master = new ConnTable<PathServer>();
  const mc = master.add({ proto: 6, cIp: 0x0a000002, cPort: 40000, vIp: vs.vip, vPort: 80, rIp: servers[1].ip, rPort: 8080, server: servers[1], clientMac: Buffer.from('020000000002', 'hex'), vs }, 0, TCP_SYN);
  master.track(mc, TCP_ACK, true, 1000);
  const e = entryOf(mc, OP_ADD, 1000);
  t.equal(e.ttl, 900);
  // Over the wire and into the backup's own table, whose server objects are its own.
  const d = decodeSync(encodeSync(msg([e]), KEY), KEY, 7);
  if (!d.ok) throw new Error(d.reason);
  const bServers = [srv(0x0a010002), srv(0x0a010003)];
  const bvs = buildPathVs({ ...vs, servers: bServers });
  const backup = new ConnTable<PathServer>();
  const find = (vip: number, port: number, proto: number) => (vip === bvs.vip && port === 80 && proto === 6 ? bvs : undefined);
  t.equal(applyEntry(backup, d.msg.entries[0], find, 5000), 'installed');
  const c = backup.lookupIn(inKey(6, 0x0a000002, 40000, vs.vip, 80));
  t.equal(c?.server, bServers[1], 'the same real server');
  t.equal(c?.state, 'ESTABLISHED');
  t.equal(c?.expires, 5000 + 900_000);
  t.equal(backup.lookupReply(inKey(6, 0x0a010003, 8080, 0x0a000002, 40000)), c, 'replies map back (NAT)');
  t.same(c?.clientMac, Buffer.from('020000000002', 'hex'));
  t.same([bServers[1].activeConns, bServers[1].inactConns], [1, 0], 'counted as active');
  t.equal(applyEntry(backup, { ...e, rIp: 0x0a0100ff }, find, 5000), 'no-real-server');
  t.equal(applyEntry(backup, { ...e, vPort: 81 }, find, 5000), 'no-virtual-server');
  t.equal(applyEntry(backup, { ...e, op: OP_REMOVE }, find, 6000), 'removed');
  t.equal(backup.size, 0);
  t.same([bServers[1].activeConns, bServers[1].inactConns], [0, 0]);
});

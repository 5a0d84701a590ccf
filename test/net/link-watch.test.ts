// The link watcher's pure parts: rtnetlink messages → events → the table of links,
// readiness with its reason, and what a socket holder does on each change.

import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  IFF_BROADCAST, IFF_LOOPBACK, IFF_LOWER_UP, IFF_RUNNING, IFF_UP, LinkFollower, LinkTable, linkAction, linkKey, parseNetlink, readiness,
  RTM_DELADDR, RTM_DELLINK, RTM_NEWADDR, RTM_NEWLINK, type LinkWatcher, type NetlinkEvent, type WatchedLink,
} from '../../src/net/link-watch.js';
import { REPO_ROOT } from '../helpers/paths.js';

function attr(type: number, value: Buffer): Buffer {
  const len = 4 + value.length;
  const b = Buffer.alloc((len + 3) & ~3);
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(type, 2);
  value.copy(b, 4);
  return b;
}

function nlmsg(type: number, body: Buffer, seq = 0): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(16 + body.length, 0);
  h.writeUInt16LE(type, 4);
  h.writeUInt32LE(seq, 8);
  return Buffer.concat([h, body]);
}

function linkMsg(type: number, index: number, flags: number, name?: string, mac?: string, mtu?: number, operstate?: number): Buffer {
  const ifi = Buffer.alloc(16);
  ifi.writeInt32LE(index, 4);
  ifi.writeUInt32LE(flags, 8);
  const parts: Buffer[] = [ifi];
  if (mac) parts.push(attr(1, Buffer.from(mac.replace(/:/g, ''), 'hex')));
  if (name) parts.push(attr(3, Buffer.from(name + '\0')));
  if (mtu) {
    const m = Buffer.alloc(4);
    m.writeUInt32LE(mtu);
    parts.push(attr(4, m));
  }
  if (operstate !== undefined) parts.push(attr(16, Buffer.from([operstate])));
  return nlmsg(type, Buffer.concat(parts));
}

function addrMsg(type: number, index: number, ip: string, prefixLen: number, family = 2): Buffer {
  const ifa = Buffer.alloc(8);
  ifa[0] = family;
  ifa[1] = prefixLen;
  ifa.writeUInt32LE(index, 4);
  const bytes = family === 2 ? Buffer.from(ip.split('.').map(Number)) : Buffer.alloc(16);
  return nlmsg(type, Buffer.concat([ifa, attr(1, bytes), attr(2, bytes)]));
}

const UPRUN = IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_LOWER_UP;

t.test('parseNetlink: links, addresses, done, errors, overrun, junk', async (t) => {
  const buf = Buffer.concat([
    linkMsg(RTM_NEWLINK, 7, UPRUN, 'eth1', '02:00:00:00:00:07', 1500),
    addrMsg(RTM_NEWADDR, 7, '192.168.118.1', 24),
    addrMsg(RTM_NEWADDR, 7, '::1', 128, 10),
    nlmsg(3, Buffer.alloc(4), 42),
  ]);
  const evs = parseNetlink(buf);
  t.same(evs.map((e) => e.kind), ['link', 'addr', 'done'], 'IPv6 addresses are not followed');
  const l = evs[0] as Extract<NetlinkEvent, { kind: 'link' }>;
  t.same([l.op, l.index, l.name, l.mtu, l.mac?.toString('hex'), l.flags], ['new', 7, 'eth1', 1500, '020000000007', UPRUN]);
  const a = evs[1] as Extract<NetlinkEvent, { kind: 'addr' }>;
  t.same([a.op, a.index, a.ip, a.prefixLen], ['new', 7, 0xc0a87601, 24]);
  t.same(evs[2], { kind: 'done', seq: 42 });

  const err = Buffer.alloc(20);
  err.writeInt32LE(-1, 0);
  t.same(parseNetlink(nlmsg(2, err, 5)), [{ kind: 'error', seq: 5, errno: 1 }], 'NLMSG_ERROR carries -errno');
  t.same(parseNetlink(nlmsg(2, Buffer.alloc(20), 6)), [{ kind: 'done', seq: 6 }], 'an error 0 is an ACK');
  t.same(parseNetlink(nlmsg(4, Buffer.alloc(0))), [{ kind: 'overrun' }]);
  const truncated = linkMsg(RTM_NEWLINK, 7, UPRUN, 'eth1').subarray(0, 20);
  t.same(parseNetlink(truncated), [], 'a truncated message is skipped, not a crash');
  const badLen = Buffer.from(linkMsg(RTM_NEWLINK, 7, UPRUN, 'eth1'));
  badLen.writeUInt32LE(4, 0);
  t.same(parseNetlink(badLen), [], 'a length below the header stops parsing');
  // An attribute running past its message is ignored; the link itself is still reported.
  const badAttr = Buffer.from(linkMsg(RTM_NEWLINK, 9, UPRUN, 'x'));
  badAttr.writeUInt16LE(200, 32);
  t.equal((parseNetlink(badAttr)[0] as { name?: string }).name, undefined);
});

t.test('parseNetlink reads a dump the kernel produced (captured fixture)', async (t) => {
  // RTM_GETLINK + RTM_GETADDR dumps from a namespace holding lo and a veth "tw0" (10.9.8.7/24,
  // MAC 02:11:22:33:44:55), its peer down: captured with test/net/capture-netlink.ts.
  const hex = readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'netlink', 'dump.hex'), 'utf8').trim().split('\n');
  const table = new LinkTable();
  for (const line of hex) for (const ev of parseNetlink(Buffer.from(line, 'hex'))) table.apply(ev);
  const tw = table.byName('tw0');
  t.ok(tw, 'the veth is there');
  t.equal(tw?.mac.toString('hex'), '021122334455');
  t.same(tw?.addresses, [{ ip: 0x0a090807, prefixLen: 24 }]);
  t.equal(tw?.up, true, 'administratively up');
  t.equal(tw?.running, false, 'no carrier: the peer is down');
  t.same(readiness(table, 'tw0', { address: true }), { ok: false, reason: 'no carrier', link: tw });
  const lo = table.byName('lo');
  t.equal(lo?.loopback, true);
  t.same(lo?.addresses, [{ ip: 0x7f000001, prefixLen: 8 }]);
});

t.test('LinkTable follows changes and says which links changed', async (t) => {
  const tb = new LinkTable();
  const apply = (b: Buffer): string[] => parseNetlink(b).flatMap((e) => tb.apply(e));
  t.same(apply(linkMsg(RTM_NEWLINK, 3, IFF_UP | IFF_BROADCAST, 'up0', '02:00:00:00:00:03', 1500)), ['up0']);
  t.same(readiness(tb, 'up0', { address: true }).ok ? 'ok' : (readiness(tb, 'up0') as { reason: string }).reason, 'no carrier');
  t.same(apply(addrMsg(RTM_NEWADDR, 3, '10.97.0.1', 24)), ['up0']);
  t.same(apply(addrMsg(RTM_NEWADDR, 3, '10.97.0.1', 24)), [], 'the same address again changes nothing');
  t.same(apply(linkMsg(RTM_NEWLINK, 3, UPRUN, 'up0', '02:00:00:00:00:03', 1500)), ['up0'], 'carrier comes');
  t.equal(readiness(tb, 'up0', { address: true }).ok, true);
  t.same(apply(linkMsg(RTM_NEWLINK, 3, UPRUN, 'up0', '02:00:00:00:00:03', 1500)), [], 'an identical notification changes nothing');
  t.same(apply(addrMsg(RTM_NEWADDR, 3, '10.97.1.1', 24)), ['up0']);
  t.same(tb.byName('up0')?.addresses.map((a) => a.ip), [0x0a610001, 0x0a610101], 'primary first');
  t.same([...tb.allAddresses()], [0x0a610001, 0x0a610101]);
  t.same(apply(addrMsg(RTM_DELADDR, 3, '10.97.0.1', 24)), ['up0']);
  t.same(tb.byName('up0')?.addresses.map((a) => a.ip), [0x0a610101]);
  t.same(apply(linkMsg(RTM_NEWLINK, 3, UPRUN, 'wan0')), ['up0', 'wan0'], 'a rename changes both names');
  t.equal(tb.byName('up0'), undefined);
  t.equal(tb.byName('wan0')?.mac.toString('hex'), '020000000003', 'attributes not in the message are kept');
  t.same(apply(linkMsg(RTM_DELLINK, 3, 0, 'wan0')), ['wan0']);
  t.equal(tb.links.size, 0);
  t.same(apply(addrMsg(RTM_NEWADDR, 99, '10.0.0.1', 8)), [], 'an address of an unknown link is ignored');
});

t.test('readiness: the true reason', async (t) => {
  const tb = new LinkTable();
  const add = (index: number, name: string, flags: number, ip?: string): void => {
    for (const e of parseNetlink(linkMsg(RTM_NEWLINK, index, flags, name))) tb.apply(e);
    if (ip) for (const e of parseNetlink(addrMsg(RTM_NEWADDR, index, ip, 24))) tb.apply(e);
  };
  add(1, 'lo', IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP, '127.0.0.1');
  add(2, 'down0', IFF_BROADCAST, '10.0.0.1');
  add(3, 'nocar0', IFF_UP | IFF_BROADCAST, '10.0.1.1');
  add(4, 'noaddr0', UPRUN);
  for (const e of parseNetlink(linkMsg(RTM_NEWLINK, 5, IFF_UP | IFF_LOWER_UP, 'dorm0', undefined, undefined, 5))) tb.apply(e);
  for (const e of parseNetlink(addrMsg(RTM_NEWADDR, 5, '10.0.2.1', 24))) tb.apply(e);
  add(7, 'lagging0', IFF_UP | IFF_BROADCAST | IFF_LOWER_UP, '10.0.4.1');
  add(6, 'good0', UPRUN, '10.0.3.1');
  const why = (n: string, needs = { address: true, noLoopback: true }): string => {
    const r = readiness(tb, n, needs);
    return r.ok ? 'ok' : r.reason;
  };
  t.equal(why('nope0'), 'no such interface');
  t.equal(why('lo'), 'a loopback interface');
  t.equal(why('lo', { address: true, noLoopback: false }), 'ok');
  t.equal(why('down0'), 'administratively down');
  t.equal(why('nocar0'), 'no carrier');
  t.equal(why('noaddr0'), 'no IPv4 address');
  t.equal(why('noaddr0', { address: false, noLoopback: true }), 'ok', 'the load balancer needs no address on the link');
  t.equal(why('dorm0'), 'dormant (waiting for authentication)');
  t.equal(why('lagging0'), 'ok', 'carrier counts before IFF_RUNNING follows it');
  t.equal(why('good0'), 'ok');
});

t.test('linkAction: open, reopen on a new index, update on new addresses, close', async (t) => {
  const link = (index: number, ips: number[]): WatchedLink => ({
    name: 'eth1', index, mac: Buffer.alloc(6), addresses: ips.map((ip) => ({ ip, prefixLen: 24 })), broadcast: true, loopback: false, up: true, flags: UPRUN, running: true, carrier: true, dormant: false, mtu: 1500,
  });
  const a = link(4, [1]);
  t.equal(linkAction(undefined, { ok: false, reason: 'no carrier' }), 'none');
  t.equal(linkAction(undefined, { ok: true, link: a }), 'open');
  const held = { index: 4, key: linkKey(a) };
  t.equal(linkAction(held, { ok: true, link: a }), 'none');
  t.equal(linkAction(held, { ok: true, link: link(4, [1, 2]) }), 'update');
  t.equal(linkAction(held, { ok: true, link: link(9, [1]) }), 'reopen', 'the link was deleted and created again');
  t.equal(linkAction(held, { ok: false, reason: 'no carrier' }), 'close');
});

t.test('LinkFollower: waits, logs the reason once, opens, updates, closes, reopens', async (t) => {
  const tb = new LinkTable();
  const listeners: Array<() => void> = [];
  const fakeWatcher = {
    table: tb,
    async subscribe(l: () => void) {
      listeners.push(l);
      return async () => undefined;
    },
  } as unknown as LinkWatcher;
  const logs: string[] = [];
  const log = { warn: (_o: unknown, m: string) => logs.push(`warn ${m}`), info: (_o: unknown, m: string) => logs.push(`info ${m}`), error: () => undefined } as never;
  const calls: string[] = [];
  const f = new LinkFollower((table) => new Map([['eth1', readiness(table, 'eth1', { address: true })]]), {
    open: (l) => calls.push(`open ${l.index}`),
    update: (l) => calls.push(`update ${l.addresses.length}`),
    close: (n, why) => calls.push(`close ${n} ${why}`),
  }, log, fakeWatcher);
  const ev = (b: Buffer): void => {
    for (const e of parseNetlink(b)) tb.apply(e);
    listeners.forEach((l) => l());
  };
  await f.start();
  t.same(logs, ['warn waiting for interface eth1: no such interface']);
  ev(linkMsg(RTM_NEWLINK, 5, IFF_UP | IFF_BROADCAST, 'eth1'));
  ev(addrMsg(RTM_NEWADDR, 5, '10.0.0.1', 24));
  t.same(logs.slice(1), ['warn waiting for interface eth1: no carrier'], 'a new reason is logged, the same one is not repeated');
  ev(linkMsg(RTM_NEWLINK, 5, UPRUN, 'eth1'));
  t.same(calls, ['open 5']);
  t.match(logs.at(-1), /info interface eth1 is ready now/);
  ev(addrMsg(RTM_NEWADDR, 5, '10.0.1.1', 24));
  t.same(calls.at(-1), 'update 2');
  ev(linkMsg(RTM_NEWLINK, 5, IFF_UP | IFF_BROADCAST, 'eth1'));
  t.same(calls.at(-1), 'close eth1 no carrier');
  ev(linkMsg(RTM_NEWLINK, 5, UPRUN, 'eth1'));
  t.same(calls.at(-1), 'open 5', 'down and up again: served again');
  ev(linkMsg(RTM_DELLINK, 5, 0, 'eth1'));
  t.same(calls.at(-1), 'close eth1 no such interface');
  ev(linkMsg(RTM_NEWLINK, 8, UPRUN, 'eth1'));
  ev(addrMsg(RTM_NEWADDR, 8, '10.0.0.1', 24));
  t.same(calls.at(-1), 'open 8', 'created again with a new index: a new socket');
  let fail = true;
  const g = new LinkFollower((table) => new Map([['eth1', readiness(table, 'eth1')]]), {
    open: () => {
      if (fail) throw new Error('bind failed');
    },
    update: () => undefined,
    close: () => undefined,
  }, log, fakeWatcher);
  await g.start();
  t.equal(g.held.size, 0, 'an open that throws is not held');
  t.match(logs.at(-1), /waiting for interface eth1: bind failed/);
  fail = false;
  g.sync();
  t.equal(g.held.size, 1, 'and is tried again on the next change');
  await f.stop();
  t.same(calls.at(-1), 'close eth1 stopping');
});

// The running pair's request filter without sockets: scopes decide who answers, and
// clients left waiting (secs beyond max-ack-delay) while the partner is silent lead the
// standby to partner-down after more than max-unacked-clients of them.
import t from 'tap';
import { HaPair } from '../../../src/dhcp/ha/pair.js';
import { createLogger } from '../../../src/log.js';
import { msg } from '../engine-fixture.js';
import type { HaConfig } from '../../../src/config/ha-conf.js';
import type { Pool } from '../../../src/config/dhcpd-conf.js';
import type { Lease } from '../../../src/dhcp/lease.js';

const pos = { file: 'dhcp-ha.json', line: 1, col: 1 };
const cfg = (over: Partial<HaConfig>): HaConfig => ({
  thisServerName: 'b',
  mode: 'hot-standby',
  heartbeatDelay: 1000,
  maxResponseDelay: 60_000,
  maxAckDelay: 1000,
  maxUnackedClients: 1,
  sendLeaseUpdates: true,
  syncLeases: true,
  syncPageLimit: 100,
  syncTimeout: 1000,
  waitBackupAck: false,
  peers: [
    { name: 'a', url: 'http://127.0.0.1:1/', host: '127.0.0.1', port: 1, role: 'primary', autoFailover: true, pos },
    { name: 'b', url: 'http://127.0.0.1:2/', host: '127.0.0.1', port: 2, role: 'standby', autoFailover: true, pos },
  ],
  pos,
  ...over,
});
const deps = { log: createLogger({ level: 'silent' }), inSubnet: () => true, subnetId: () => 1, land: async () => undefined, leases: () => [], lease: () => undefined };

t.test('the standby stays silent until partner-down', async (t) => {
  // max-response-delay below zero: communication counts as interrupted at once.
  const p = new HaPair(cfg({ maxResponseDelay: -1 }), deps);
  p.state = 'hot-standby';
  p.partnerState = 'unavailable';
  t.equal(p.admit(msg('02:00:00:00:00:01', 1)), false, 'not its scope');
  t.equal(p.unackedClients, 0, 'a client that just started asking is not counted');
  t.equal(p.admit(msg('02:00:00:00:00:01', 1, [], (x) => (x.secs = 5))), false);
  t.equal(p.unackedClients, 1);
  t.equal(p.admit(msg('02:00:00:00:00:01', 1, [], (x) => (x.secs = 6))), false, 'the same client again');
  t.equal(p.unackedClients, 1, 'counted once');
  t.equal(p.state, 'hot-standby', 'not more than max-unacked-clients yet');
  p.admit(msg('02:00:00:00:00:02', 1, [], (x) => (x.secs = 5)));
  t.equal(p.state, 'partner-down', 'a second one tips it');
  t.equal(p.admit(msg('02:00:00:00:00:03', 1)), true, 'now it answers everyone');
});

t.test('while the partner answers, waiting clients are not counted', async (t) => {
  const p = new HaPair(cfg({}), deps);
  p.state = 'hot-standby';
  p.partnerState = 'hot-standby';
  for (let i = 0; i < 5; i++) p.admit(msg(`02:00:00:00:00:0${i}`, 1, [], (x) => (x.secs = 30)));
  t.equal(p.unackedClients, 0);
  t.equal(p.state, 'hot-standby');
});

t.test('load-balancing: each server answers its own hash scope and allocates its half', async (t) => {
  const lb = (me: string) => {
    const p = new HaPair(cfg({ mode: 'load-balancing', thisServerName: me, peers: cfg({}).peers.map((x) => ({ ...x, role: x.name === 'a' ? ('primary' as const) : ('secondary' as const) })) }), deps);
    p.state = 'load-balancing';
    return p;
  };
  const a = lb('a');
  const b = lb('b');
  let both = 0;
  let neither = 0;
  for (let i = 0; i < 50; i++) {
    const m = msg(`02:00:00:00:01:${i.toString(16).padStart(2, '0')}`, 1);
    const x = a.admit(m);
    const y = b.admit(m);
    if (x && y) both++;
    if (!x && !y) neither++;
  }
  t.equal(both, 0, 'no client answered by both');
  t.equal(neither, 0, 'no client left out');
  // A pool without HA_ classes is split by parity of the client's scope: the primary's even.
  const pool = { ranges: [], allow: [], deny: [] } as unknown as Pool;
  const ofA = [...Array(50).keys()].map((i) => msg(`02:00:00:00:01:${i.toString(16).padStart(2, '0')}`, 1)).find((m) => a.admit(m))!;
  const ofB = [...Array(50).keys()].map((i) => msg(`02:00:00:00:01:${i.toString(16).padStart(2, '0')}`, 1)).find((m) => b.admit(m))!;
  t.same(a.classesOf(ofA), ['HA_a'], "Kea's class of the primary's clients");
  t.same(b.classesOf(ofA), ['HA_a'], 'the same on both servers');
  t.same(a.classesOf(ofB), ['HA_b']);
  t.equal(a.mayAllocate(0x0a000064, ofA, pool), true);
  t.equal(a.mayAllocate(0x0a000065, ofA, pool), false);
  t.equal(b.mayAllocate(0x0a000065, ofB, pool), true);
  t.equal(b.mayAllocate(0x0a000064, ofB, pool), false);
  a.state = 'partner-down';
  t.equal(a.mayAllocate(0x0a000065, ofB, pool), true, "alone: the partner's clients get the partner's half");
  t.equal(a.mayAllocate(0x0a000064, ofB, pool), false, 'and never the own half');
  // A pool split by class: the permit list decides, no parity.
  const byClass = { ranges: [], allow: [{ kind: 'members-of', cls: 'HA_b' }], deny: [] } as unknown as Pool;
  t.equal(a.mayAllocate(0x0a000064, ofB, byClass), true);
});

t.test('passive-backup: the primary serves, a backup only keeps copies; wait-backup-ack holds the ACK', async (t) => {
  const lease: Lease = { ip: 0x0a000064, hwType: 1, hwAddr: Buffer.from('020000000001', 'hex'), starts: 1, ends: 2_000_000_000, state: 'active' };
  const pb = (me: string, waitBackupAck: boolean): HaPair => {
    const peers = cfg({}).peers.map((x) => ({ ...x, role: x.name === 'a' ? ('primary' as const) : ('backup' as const) }));
    return new HaPair(cfg({ mode: 'passive-backup', thisServerName: me, waitBackupAck, peers }), deps);
  };
  const backup = pb('b', false);
  backup.step();
  t.equal(backup.state, 'backup', "Kea's backup state");
  t.same(backup.scopes, [], 'a backup answers nobody');
  t.equal(backup.admit(msg('02:00:00:00:00:01', 1)), false);
  t.same(backup.targets, [], 'and sends no lease updates');
  const primary = pb('a', false);
  primary.step();
  t.equal(primary.state, 'passive-backup');
  t.equal(primary.admit(msg('02:00:00:00:00:01', 1)), true, 'the primary answers everyone');
  t.same(primary.targets.map((p) => p.name), ['b'], 'its lease updates go to the backup');
  // The backup's URL (port 2 on loopback) does not answer.
  t.equal(await primary.committed([lease]), true, 'without wait-backup-ack the ACK does not wait');
  const waiting = pb('a', true);
  waiting.step();
  t.equal(await waiting.committed([lease]), false, 'with wait-backup-ack a backup that did not take the lease means no ACK');
});

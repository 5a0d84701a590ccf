// Assertions every load-balancer namespace test makes, whatever the engine (nft or
// packet) and mode (DR or NAT): the same topology (topology.ts) and the same client
// at 10.0.0.2, so the same expectations.

import type { Test } from 'tap';
import { HeldConnection, type ClientResult, type Topo } from './topology.js';

export const CLIENT_ADDR = '10.0.0.2';

/** The share of `total` connections one real server got. */
export const share = (byName: Record<string, number>, name: string, total: number): number => (byName[name] ?? 0) / total;

/** wrr 3:1:1 (rs1:rs2:rs3): each share within 10% of its weight's, and the client's own address seen. */
export function assertWrrShares(t: Test, r: ClientResult, total: number): void {
  t.equal(r.failures, 0, `no failures ${r.errors.join(';')}`);
  for (const [name, want] of [['rs1', 0.6], ['rs2', 0.2], ['rs3', 0.2]] as const) {
    const got = share(r.byName, name, total);
    t.ok(Math.abs(got - want) <= want * 0.1, `${name} share ${got.toFixed(3)} within 10% of ${want}`);
  }
  t.same(r.seenAddrs, [CLIENT_ADDR], 'real servers saw the client address');
}

/** UDP rr: 200 datagrams reach both servers, which see the client's address. */
export function assertUdpRr(t: Test, topo: Topo, vip: string, port: number): void {
  const r = topo.client('c', 'udp', vip, port, 200, 10);
  t.equal(r.failures, 0, r.errors.join(';'));
  t.ok((r.byName.rs1 ?? 0) > 60 && (r.byName.rs2 ?? 0) > 60, `both served: ${JSON.stringify(r.byName)}`);
  t.same(r.seenAddrs, [CLIENT_ADDR]);
}

/** Persistence: 60 connections from one client all land on one real server. */
export function assertPersistence(t: Test, topo: Topo, vip: string, port: number): void {
  const r = topo.client('c', 'tcp', vip, port, 60, 5);
  t.equal(r.failures, 0);
  t.equal(Object.keys(r.byName).length, 1, `one server: ${JSON.stringify(r.byName)}`);
}

/**
 * Drain: a held connection stays on its real server while 200 new ones avoid it;
 * `rsAddress` maps a server name (rs1…) to its RIP.
 */
export async function assertDrainKeepsEstablished(t: Test, topo: Topo, vip: string, port: number, rsAddress: (name: string) => string): Promise<void> {
  const held = new HeldConnection(topo, 'c', vip, port);
  t.teardown(() => held.close());
  const name = (await held.say('one')).split(' ')[0];
  const rs = `${rsAddress(name)}:${port}`;
  t.equal((await topo.ctl('drain', `${vip}:${port}/tcp`, rs)).status, 200);
  const r = topo.client('c', 'tcp', vip, port, 200, 10);
  t.equal(r.byName[name] ?? 0, 0, `no new connection to the drained ${name}`);
  t.equal(r.failures, 0);
  t.equal((await held.say('two')).split(' ')[0], name, 'established connection still on its server');
  t.equal((await topo.ctl('undrain', `${vip}:${port}/tcp`, rs)).status, 200);
}

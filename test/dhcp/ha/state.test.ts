// The HA state machine without sockets: what each heartbeat answer and failure leads to.
import t from 'tap';
import { nextHaState, servedScopes, clientScope, type HaView, type HaState } from '../../../src/dhcp/ha/state.js';
import type { HaConfig } from '../../../src/config/ha-conf.js';

const cfg = (mode: HaConfig['mode'], me = 'a', maxUnackedClients = 0) => ({
  mode,
  maxUnackedClients,
  syncLeases: true,
  thisServerName: me,
  peers: [
    { name: 'a', role: 'primary' as const },
    { name: 'b', role: mode === 'load-balancing' ? ('secondary' as const) : ('standby' as const) },
  ],
});
const v = (over: Partial<HaView>): HaView => ({ role: 'primary', partner: 'unknown', interrupted: false, unackedClients: 0, synced: false, clockSkew: false, ...over });

t.test('a pair starting together: waiting → syncing → ready → hot-standby', async (t) => {
  const c = cfg('hot-standby');
  let s: HaState = 'waiting';
  s = nextHaState(c, s, v({ partner: 'waiting' }));
  t.equal(s, 'syncing', 'the primary syncs first');
  t.equal(nextHaState(c, 'waiting', v({ role: 'standby', partner: 'waiting' })), 'waiting', 'the standby waits for it');
  t.equal(nextHaState(c, s, v({ partner: 'waiting' })), 'syncing');
  s = nextHaState(c, s, v({ partner: 'waiting', synced: true }));
  t.equal(s, 'ready');
  t.equal(nextHaState(c, s, v({ partner: 'waiting' })), 'ready');
  s = nextHaState(c, s, v({ partner: 'ready' }));
  t.equal(s, 'hot-standby', 'primary leaves ready when the partner is ready');
  t.equal(nextHaState(c, 'ready', v({ role: 'standby', partner: 'hot-standby' })), 'hot-standby', 'standby follows the primary');
});

t.test('failure detection: interrupted and unacked clients beyond the limit', async (t) => {
  const c = cfg('hot-standby', 'b', 2);
  const sb = (o: Partial<HaView>) => nextHaState(c, 'hot-standby', v({ role: 'standby', partner: 'unavailable', ...o }));
  t.equal(sb({ interrupted: false }), 'hot-standby', 'one missed heartbeat is not a failure');
  t.equal(sb({ interrupted: true, unackedClients: 2 }), 'hot-standby', 'not more than max-unacked-clients yet');
  t.equal(sb({ interrupted: true, unackedClients: 3 }), 'partner-down');
  t.equal(nextHaState(cfg('hot-standby', 'b', 0), 'hot-standby', v({ role: 'standby', partner: 'unavailable', interrupted: true })), 'partner-down', 'max-unacked-clients 0: interruption alone');
});

t.test('load-balancing goes through communication-recovery; the partner back in ready ends partner-down', async (t) => {
  const c = cfg('load-balancing', 'a', 5);
  t.equal(nextHaState(c, 'load-balancing', v({ partner: 'unavailable', interrupted: true })), 'communication-recovery');
  t.equal(nextHaState(c, 'communication-recovery', v({ partner: 'load-balancing' })), 'load-balancing');
  t.equal(nextHaState(c, 'communication-recovery', v({ partner: 'unavailable', interrupted: true, unackedClients: 6 })), 'partner-down');
  t.equal(nextHaState(c, 'partner-down', v({ partner: 'syncing' })), 'partner-down', 'stays while the partner syncs from us');
  t.equal(nextHaState(c, 'partner-down', v({ partner: 'ready' })), 'load-balancing');
  t.equal(nextHaState(c, 'load-balancing', v({ partner: 'partner-down' })), 'waiting', 'a partner that took over makes us rejoin');
  t.equal(nextHaState(c, 'hot-standby', v({ partner: 'ready', clockSkew: true })), 'terminated');
});

t.test('scopes served in each state', async (t) => {
  t.same(servedScopes(cfg('hot-standby', 'a'), 'hot-standby'), ['a']);
  t.same(servedScopes(cfg('hot-standby', 'b'), 'hot-standby'), [], 'the standby answers nobody');
  t.same(servedScopes(cfg('hot-standby', 'b'), 'partner-down'), ['a'], 'the standby takes the primary scope');
  t.same(servedScopes(cfg('load-balancing', 'b'), 'load-balancing'), ['b']);
  t.same(servedScopes(cfg('load-balancing', 'b'), 'partner-down'), ['a', 'b']);
  t.same(servedScopes(cfg('load-balancing', 'a'), 'waiting'), []);
  t.equal(clientScope(cfg('load-balancing'), 1), 'b');
  t.equal(clientScope(cfg('hot-standby'), 1), 'a');
});

t.test("a backup server stays in Kea's backup state whatever it hears", async (t) => {
  const c = cfg('passive-backup');
  for (const partner of ['unknown', 'unavailable', 'passive-backup', 'partner-down'] as const) t.equal(nextHaState(c, 'waiting', v({ role: 'backup', partner, interrupted: true })), 'backup', partner);
  t.equal(nextHaState(c, 'waiting', v({ role: 'primary', partner: 'unavailable', interrupted: true })), 'passive-backup', 'the primary serves, no failover');
  t.same(servedScopes({ ...c, thisServerName: 'b', peers: [{ name: 'a', role: 'primary' }, { name: 'b', role: 'backup' }] }, 'backup'), []);
});

// Kea's control-channel commands on Triad's HA listener: answers and refusals, and that a
// refusal changes nothing.
import t from 'tap';
import { handleHaCommand, newCommandStats, MAX_COMMAND_BYTES, type HaCommandHost } from '../../../src/dhcp/ha/commands.js';
import type { Lease } from '../../../src/dhcp/lease.js';
import { parseIPv4, formatIPv4 } from '../../../src/wire/ipv4.js';

function host() {
  const stored: Lease[] = [];
  const h: HaCommandHost & { stored: Lease[]; enabled: boolean } = {
    stored,
    enabled: true,
    heartbeat: () => ({ state: 'hot-standby', 'date-time': 'Mon, 30 Nov 2026 20:00:00 GMT', scopes: ['a'], 'unsent-update-count': 0 }),
    inSubnet: (ip) => (ip & 0xffffff00) >>> 0 === parseIPv4('10.9.0.0')!,
    subnetId: () => 1,
    storeLease: async (l) => void stored.push(l),
    deleteLease: async () => false,
    leasesAfter: (after, limit) => stored.filter((l) => l.ip > after).slice(0, limit),
    setDhcpEnabled: (e) => void (h.enabled = e),
    syncCompleteNotified: () => undefined,
    continueStateMachine: () => 'HA state machine continues.',
    maintenance: async () => ({ result: 0, text: 'ok' }),
    setScopes: () => undefined,
  };
  return h;
}
const req = (o: unknown, authorization?: string) => ({ body: Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)), ...(authorization ? { authorization } : {}) });
const AUTH = { user: 'ha', password: 'pw' };
const basic = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');

t.test('heartbeat and a lease update, written before the answer', async (t) => {
  const h = host();
  const st = newCommandStats();
  const hb = await handleHaCommand(h, AUTH, req({ command: 'ha-heartbeat', service: ['dhcp4'] }, basic('ha', 'pw')), st, 1000);
  t.equal(hb.status, 200);
  t.match(hb.body, [{ result: 0, arguments: { state: 'hot-standby', scopes: ['a'], 'unsent-update-count': 0 } }]);
  const up = await handleHaCommand(h, AUTH, req({ command: 'lease4-update', service: ['dhcp4'], arguments: { 'ip-address': '10.9.0.20', 'hw-address': '02:00:00:00:00:11', 'client-id': '01:02:00:00:00:00:11', 'valid-lft': 600, expire: 2000, 'subnet-id': 1, hostname: 'vm1', state: 0, 'force-create': true } }, basic('ha', 'pw')), st, 1500);
  t.match(up.body, [{ result: 0 }]);
  t.equal(h.stored.length, 1);
  t.equal(formatIPv4(h.stored[0].ip), '10.9.0.20');
  t.equal(h.stored[0].ends, 2000);
  t.equal(h.stored[0].starts, 1400);
  t.equal(h.stored[0].state, 'active');
  t.equal(h.stored[0].hostname, 'vm1');
  const page = await handleHaCommand(h, AUTH, req({ command: 'lease4-get-page', arguments: { from: 'start', limit: 10 } }, basic('ha', 'pw')), st, 1500);
  t.match(page.body, [{ result: 0, arguments: { count: 1, leases: [{ 'ip-address': '10.9.0.20', 'hw-address': '02:00:00:00:00:11', 'client-id': '01:02:00:00:00:00:11', 'valid-lft': 600, cltt: 1400, 'subnet-id': 1 }] } }]);
  const next = await handleHaCommand(h, AUTH, req({ command: 'lease4-get-page', arguments: { from: '10.9.0.20', limit: 10 } }, basic('ha', 'pw')), st, 1500);
  t.match(next.body, [{ result: 3 }], 'the last page is empty');
  t.equal(st.leaseUpdatesReceived, 1);
});

t.test('refusals are counted and change nothing', async (t) => {
  const h = host();
  const st = newCommandStats();
  const good = { command: 'lease4-update', arguments: { 'ip-address': '10.9.0.20', 'hw-address': '02:00:00:00:00:11', 'valid-lft': 600 } };
  t.equal((await handleHaCommand(h, AUTH, req(good), st, 1)).status, 401, 'no credentials');
  t.equal((await handleHaCommand(h, AUTH, req(good, basic('ha', 'wrong')), st, 1)).status, 401, 'wrong password');
  t.equal((await handleHaCommand(h, AUTH, req('{"command": "lease4-update", ', basic('ha', 'pw')), st, 1)).status, 400, 'bad JSON');
  t.equal((await handleHaCommand(h, AUTH, { body: Buffer.alloc(10), oversize: true }, st, 1)).status, 413, `over ${MAX_COMMAND_BYTES} bytes`);
  const outside = await handleHaCommand(h, AUTH, req({ ...good, arguments: { ...good.arguments, 'ip-address': '192.168.1.5' } }, basic('ha', 'pw')), st, 1);
  t.match(outside.body, [{ result: 1, text: /not on any subnet/ }]);
  const badHw = await handleHaCommand(h, AUTH, req({ ...good, arguments: { ...good.arguments, 'hw-address': 'zz' } }, basic('ha', 'pw')), st, 1);
  t.match(badHw.body, [{ result: 1, text: /hw-address/ }]);
  const delOutside = await handleHaCommand(h, AUTH, req({ command: 'lease4-del', arguments: { 'ip-address': '192.168.1.5' } }, basic('ha', 'pw')), st, 1);
  t.match(delOutside.body, [{ result: 1, text: /not on any subnet/ }], 'a deletion outside the subnets too');
  const forgedNotify = await handleHaCommand(h, AUTH, req({ command: 'ha-maintenance-notify', arguments: { cancel: false } }), st, 1);
  t.equal(forgedNotify.status, 401, 'a maintenance notification without credentials');
  const badCancel = await handleHaCommand(h, AUTH, req({ command: 'ha-maintenance-notify', arguments: { cancel: 'yes' } }, basic('ha', 'pw')), st, 1);
  t.match(badCancel.body, [{ result: 1, text: /cancel/ }], "a 'cancel' that is not true or false");
  const unknown = await handleHaCommand(h, AUTH, req({ command: 'config-set', arguments: {} }, basic('ha', 'pw')), st, 1);
  t.match(unknown.body, [{ result: 2 }]);
  t.equal(h.stored.length, 0, 'nothing stored');
  t.same({ ...st }, { commands: 5, refusedAuth: 3, refusedJson: 1, refusedSize: 1, refusedLease: 3, unsupported: 1, leaseUpdatesReceived: 0 });
});

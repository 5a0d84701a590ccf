// Load balancing without duplicates: a server of a load-balancing pair offers only
// addresses of its own half (mayAllocate), but keeps a client's own lease.
import t from 'tap';
import { engineFor, msg, LINK, IDS } from '../engine-fixture.js';
import { handleRequest } from '../../../src/dhcp/engine.js';
import { formatIPv4, parseIPv4 } from '../../../src/wire/ipv4.js';

const CONF = 'authoritative;\nsubnet 192.168.117.0 netmask 255.255.255.0 { range 192.168.117.100 192.168.117.110; }\n';
const NOW = 1_800_000_000_000;

t.test('the secondary offers odd addresses only; a client keeps its own lease', async (t) => {
  const st = engineFor(CONF);
  st.mayAllocate = (ip) => (ip & 1) === 1;
  const offered: string[] = [];
  for (let i = 1; i <= 5; i++) {
    const mac = `02:00:00:00:00:0${i}`;
    const d = handleRequest(st, msg(mac, 1), LINK, NOW, IDS);
    offered.push(formatIPv4(d.reply!.packet.yiaddr));
  }
  t.same(offered, ['192.168.117.101', '192.168.117.103', '192.168.117.105', '192.168.117.107', '192.168.117.109']);
  const sixth = handleRequest(st, msg('02:00:00:00:00:06', 1), LINK, NOW, IDS);
  // Its half is used up: the oldest outstanding offer is taken over (as when a pool runs out), never an even address.
  t.equal(sixth.reply ? sixth.reply.packet.yiaddr & 1 : 1, 1, 'nothing from the partner\'s half');
  // A client asking for an even address it does not hold is not given it.
  const asks = handleRequest(st, msg('02:00:00:00:00:07', 3, [[50, 4, 192, 168, 117, 100]]), LINK, NOW, IDS);
  t.not(asks.reply && formatIPv4(asks.reply.packet.yiaddr), '192.168.117.100');
  // All addresses again once alone.
  st.mayAllocate = undefined;
  const alone = handleRequest(st, msg('02:00:00:00:00:08', 1), LINK, NOW, IDS);
  t.equal((alone.reply!.packet.yiaddr & 1), 0, `alone, an even address too (${formatIPv4(alone.reply!.packet.yiaddr)})`);
  t.ok(parseIPv4('192.168.117.100'));
});

t.test("pools split by Kea's HA_ classes: a client gets an address of its scope's pool only", async (t) => {
  const st = engineFor(
    'authoritative;\nsubnet 192.168.117.0 netmask 255.255.255.0 {\n' +
      '  pool { range 192.168.117.100 192.168.117.104; allow members of "HA_server1"; }\n' +
      '  pool { range 192.168.117.105 192.168.117.109; allow members of "HA_server2"; }\n}\n',
  );
  // The pair's classification, as Kea's HA hook does it (here: by the MAC's last octet).
  st.extraClasses = (req) => [req.chaddr[5] % 2 === 0 ? 'HA_server1' : 'HA_server2'];
  for (let i = 1; i <= 8; i++) {
    const d = handleRequest(st, msg(`02:00:00:00:00:0${i}`, 1), LINK, NOW, IDS);
    const ip = d.reply!.packet.yiaddr & 0xff;
    if (i % 2 === 0) t.ok(ip >= 100 && ip <= 104, `HA_server1 client ${i}: ${ip} from the first pool`);
    else t.ok(ip >= 105 && ip <= 109, `HA_server2 client ${i}: ${ip} from the second pool`);
  }
  // Without the class (no pair): neither pool admits the client.
  st.extraClasses = undefined;
  const none = handleRequest(st, msg('02:00:00:00:00:09', 1), LINK, NOW, IDS);
  t.notOk(none.reply?.packet.yiaddr, 'no address outside the classes');
});

t.test('a survivor caps its leases at MCLT', async (t) => {
  const st = engineFor('authoritative;\ndefault-lease-time 3600;\nsubnet 192.168.117.0 netmask 255.255.255.0 { range 192.168.117.100 192.168.117.110; }\n');
  st.leaseCap = () => 600;
  const d = handleRequest(st, msg('02:00:00:00:00:01', 1), LINK, NOW, IDS);
  t.equal(d.reply!.packet.options.get(51)!.readUInt32BE(0), 600, 'offer capped');
  const r = handleRequest(st, msg('02:00:00:00:00:01', 3, [[50, 4, 192, 168, 117, 100], [54, 4, 192, 168, 117, 1]]), LINK, NOW, IDS);
  t.equal(r.reply!.packet.options.get(51)!.readUInt32BE(0), 600, 'ACK capped');
  t.equal(r.commit[0].ends - r.commit[0].starts, 600, 'and so is the lease written');
  st.leaseCap = () => undefined;
  const later = handleRequest(st, msg('02:00:00:00:00:02', 1), LINK, NOW, IDS);
  t.equal(later.reply!.packet.options.get(51)!.readUInt32BE(0), 3600, 'no cap in the normal state');
});

t.test('a lease the partner has not confirmed is written (and sent) again, not reused from the cache', async (t) => {
  const st = engineFor(CONF);
  const req = (): ReturnType<typeof handleRequest> => handleRequest(st, msg('02:00:00:00:00:01', 3, [[50, 4, 192, 168, 117, 100], [54, 4, 192, 168, 117, 1]]), LINK, NOW + 5000, IDS);
  const first = handleRequest(st, msg('02:00:00:00:00:01', 3, [[50, 4, 192, 168, 117, 100], [54, 4, 192, 168, 117, 1]]), LINK, NOW, IDS);
  t.equal(first.commit.length, 1, 'the first ACK writes the lease');
  for (const l of first.commit) st.db.put(l);
  t.equal(req().commit.length, 0, 'an early second REQUEST is answered from the cache (dhcp-cache-threshold)');
  st.unconfirmed = (ip) => ip === parseIPv4('192.168.117.100');
  t.equal(req().commit.length, 1, 'unless the partner has not taken the lease');
});

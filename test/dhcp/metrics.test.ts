// DHCP's statistics (Kea's names): addresses per subnet and pool from the lease table.
import t from 'tap';
import { parseDhcpdConf } from '../../src/config/dhcpd-conf.js';
import { LeaseDb } from '../../src/dhcp/lease.js';
import { dhcpFamilies } from '../../src/dhcp/metrics.js';
import { parseIPv4 } from '../../src/wire/ipv4.js';

t.test('total, assigned and declined addresses per subnet and pool', async (t) => {
  const { conf, sink } = parseDhcpdConf('/x/dhcpd.conf', 'subnet 10.1.0.0 netmask 255.255.255.0 {\n  range 10.1.0.10 10.1.0.19;\n  pool { range 10.1.0.100 10.1.0.149; }\n}\nsubnet 10.2.0.0 netmask 255.255.0.0 { }\n');
  t.same(sink.errors, []);
  const db = new LeaseDb();
  const now = 1_000_000;
  const lease = (ip: string, state: 'active' | 'abandoned' | 'expired', ends: number) => db.put({ ip: parseIPv4(ip)!, starts: now - 10, ends, state });
  lease('10.1.0.10', 'active', now + 600);
  lease('10.1.0.11', 'active', now - 1); // lapsed: not assigned
  lease('10.1.0.120', 'active', now + 600);
  lease('10.1.0.121', 'abandoned', now + 600);
  lease('10.1.0.12', 'expired', now - 100);
  const fams = dhcpFamilies({ conf, db, nowSec: now, ha: { server: 'a', state: 'load-balancing' } });
  const get = (name: string) => Object.fromEntries(fams.find((f) => f.name === name)!.samples.map((s) => [Object.values(s.labels ?? {}).join(' '), s.value]));
  t.same(get('triad_dhcp4_subnet_total_addresses'), { '10.1.0.0/24': 60, '10.2.0.0/16': 0 });
  t.same(get('triad_dhcp4_subnet_assigned_addresses'), { '10.1.0.0/24': 2, '10.2.0.0/16': 0 });
  t.same(get('triad_dhcp4_subnet_declined_addresses'), { '10.1.0.0/24': 1, '10.2.0.0/16': 0 });
  t.same(get('triad_dhcp4_pool_assigned_addresses'), { '10.1.0.0/24 10.1.0.10-10.1.0.19': 1, '10.1.0.0/24 10.1.0.100-10.1.0.149': 1 });
  t.same(get('triad_dhcp4_ha_state'), { 'a load-balancing': 1 });
});

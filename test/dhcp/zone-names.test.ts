import t from 'tap';
import path from 'node:path';
import { zoneAddresses, zoneResolver } from '../../src/dhcp/zone-names.js';
import { parseDhcpdConf } from '../../src/config/dhcpd-conf.js';
import { formatIPv4, parseIPv4 } from '../../src/config/dhcp-options.js';
import { handleRequest, newEngineState } from '../../src/dhcp/engine.js';
import { LeaseDb } from '../../src/dhcp/lease.js';
import { decodePacket } from '../../src/dhcp/packet.js';
import { DEMO } from '../helpers/paths.js';
import { validDiscover } from './fuzz-cases.js';

t.test('fixed-address names resolve through the lab zones', async (t) => {
  const table = zoneAddresses({ confDir: DEMO, files: {} });
  const resolve = zoneResolver(table);
  t.equal(formatIPv4(resolve('ae86.cafe.babe')!), '192.168.117.86');
  t.equal(resolve('no-such-host.cafe.babe'), undefined);
  const { conf } = parseDhcpdConf('t.conf', 'subnet 192.168.117.0 netmask 255.255.255.0 { }\nhost ae86 { hardware ethernet ae:86:ca:fe:ba:be; fixed-address ae86.cafe.babe; }\n');
  const st = newEngineState(conf, new LeaseDb());
  st.resolveName = resolve;
  const link = { name: 'br0', index: 2, mac: Buffer.alloc(6), addresses: [{ ip: parseIPv4('192.168.117.1')!, prefixLen: 24 }] };
  const d = handleRequest(st, decodePacket(validDiscover([0xae, 0x86, 0xca, 0xfe, 0xba, 0xbe])), link, Date.now(), new Set([link.addresses[0].ip]));
  t.equal(formatIPv4(d.reply!.packet.yiaddr), '192.168.117.86', 'OFFER of the address named in the zone');
});

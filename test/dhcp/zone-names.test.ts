// fixed-address names resolve through Triad's own zones: the DNS service publishes the
// addresses of its primary zones on the name-registration channel; DHCP looks names up there.
import t from 'tap';
import path from 'node:path';
import { loadDnsConfig } from '../../src/dns/dns-config.js';
import { primaryZoneAddresses } from '../../src/dns/dhcp-names.js';
import { NameRegistrations } from '../../src/net/name-registration.js';
import { parseDhcpdConf } from '../../src/config/dhcpd-conf.js';
import { formatIPv4, parseIPv4 } from '../../src/config/dhcp-options.js';
import { handleRequest, newEngineState } from '../../src/dhcp/engine.js';
import { LeaseDb } from '../../src/dhcp/lease.js';
import { decodePacket } from '../../src/dhcp/packet.js';
import { DEMO } from '../helpers/paths.js';
import { validDiscover } from './fuzz-cases.js';

t.test('fixed-address names resolve through the lab zones', async (t) => {
  const cfg = loadDnsConfig(path.join(DEMO, 'named.conf'));
  const channel = new NameRegistrations();
  t.equal(channel.lookup('ae86.cafe.babe'), undefined, 'nothing before the DNS service publishes');
  channel.publishAddresses(primaryZoneAddresses(cfg.view.zones, cfg.conf));
  const resolve = (name: string): number | undefined => channel.lookup(name);
  t.equal(formatIPv4(resolve('ae86.cafe.babe')!), '192.168.117.86');
  t.equal(resolve('no-such-host.cafe.babe'), undefined);
  t.equal(formatIPv4(resolve('AE86.cafe.babe.')!), '192.168.117.86', 'absolute, any case');
  const { conf } = parseDhcpdConf('t.conf', 'subnet 192.168.117.0 netmask 255.255.255.0 { }\nhost ae86 { hardware ethernet ae:86:ca:fe:ba:be; fixed-address ae86.cafe.babe; }\n');
  const st = newEngineState(conf, new LeaseDb());
  st.resolveName = resolve;
  const link = { name: 'br0', index: 2, mac: Buffer.alloc(6), addresses: [{ ip: parseIPv4('192.168.117.1')!, prefixLen: 24 }] };
  const d = handleRequest(st, decodePacket(validDiscover([0xae, 0x86, 0xca, 0xfe, 0xba, 0xbe])), link, Date.now(), new Set([link.addresses[0].ip]));
  t.equal(formatIPv4(d.reply!.packet.yiaddr), '192.168.117.86', 'OFFER of the address named in the zone');
});

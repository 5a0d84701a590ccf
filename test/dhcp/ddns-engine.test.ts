// The engine publishes host names with the ACK and answers option 81 (RFC 4702 §4).
import t from 'tap';
import { parseDhcpdConf } from '../../src/config/dhcpd-conf.js';
import { parseIPv4 as ip } from '../../src/config/dhcp-options.js';
import { handleRequest, newEngineState, type LinkInfo } from '../../src/dhcp/engine.js';
import { LeaseDb } from '../../src/dhcp/lease.js';
import { decodePacket, type DhcpPacket } from '../../src/dhcp/packet.js';
import { fqdnReply, parseClientFqdn } from '../../src/dhcp/ddns.js';
import { validDiscover } from './fuzz-cases.js';

const conf = (extra: string): string => `
authoritative;
${extra}
option domain-name "cafe.babe";
subnet 192.168.117.0 netmask 255.255.255.0 { range 192.168.117.100 192.168.117.102; }
host ae86 { hardware ethernet ae:86:ca:fe:ba:be; fixed-address 192.168.117.86; }
`;
const LINK: LinkInfo = { name: 'br0', index: 3, mac: Buffer.from('020000000001', 'hex'), addresses: [{ ip: ip('192.168.117.1')!, prefixLen: 24 }] };
const IDS = new Set([ip('192.168.117.1')!]);
const NOW = 1_800_000_000_000;

function request(text: string, mac: string, opts: number[][], want = [192, 168, 117, 100]): ReturnType<typeof handleRequest> {
  const { conf: c, sink } = parseDhcpdConf('t.conf', conf(text));
  if (sink.hasErrors()) throw new Error(sink.errors.map((e) => e.message).join('; '));
  const st = newEngineState(c, new LeaseDb());
  const p: DhcpPacket = decodePacket(validDiscover(mac.split(':').map((h) => parseInt(h, 16)), [[50, 4, ...want], [54, 4, 192, 168, 117, 1], ...opts.map(([c, ...v]) => [c, v.length, ...v])]));
  p.options.set(53, Buffer.from([3]));
  return handleRequest(st, p, LINK, NOW, IDS);
}
const name = (s: string): number[] => [12, ...Buffer.from(s)];

t.test('ACK carries a bind event when dhcpd.conf asks for updates', async (t) => {
  const d = request('ddns-update-style interim;', '02:00:00:00:00:01', [name('pc')]);
  t.equal(d.names?.length, 1);
  const b = d.names![0].kind === 'bind' ? d.names![0].binding : undefined;
  t.equal(b?.fqdn, 'pc.cafe.babe.');
  t.equal(b?.ip, ip('192.168.117.100'));
  t.equal(b?.ttl, 21600, 'half of ISC\'s default 43200 s lease');
  t.same(request('ddns-update-style none;', '02:00:00:00:00:01', [name('pc')]).names, [], 'style none: nothing');
  t.same(request('', '02:00:00:00:00:01', [name('pc')]).names, [], 'no ddns-update-style: nothing (ISC default none)');
  const fixed = request('ddns-update-style interim;', 'ae:86:ca:fe:ba:be', [name('ae86')], [192, 168, 117, 86]);
  t.match(fixed.log(), /DHCPACK on 192\.168\.117\.86/);
  t.notOk(fixed.names?.length, 'fixed address: no names (update-static-leases off)');
  const fixedOn = request('ddns-update-style interim;\nupdate-static-leases on;', 'ae:86:ca:fe:ba:be', [name('ae86')], [192, 168, 117, 86]);
  const fb = fixedOn.names?.[0]?.kind === 'bind' ? fixedOn.names[0].binding : undefined;
  t.equal(fb?.fqdn, 'ae86.cafe.babe.', 'update-static-leases on: the fixed address gets its name');
  t.equal(fb?.ip, ip('192.168.117.86'));
  const named = request('ddns-update-style interim;\nddns-hostname = lcase(concat("PC-", option host-name));', '02:00:00:00:ab:01', [name('ignored')]);
  t.equal(named.names?.[0]?.kind === 'bind' ? named.names[0].binding.fqdn : undefined, 'pc-ignored.cafe.babe.', 'ddns-hostname expression replaces the client\'s name');
  const none = request('ddns-update-style interim;\nddns-hostname = option host-name;', '02:00:00:00:ab:01', []);
  t.same(none.names, [], 'ddns-hostname evaluating to nothing: no name');
  const literal = request('ddns-update-style interim;\nddns-hostname "fixedname";', '02:00:00:00:ab:01', []);
  t.equal(literal.names?.[0]?.kind === 'bind' ? literal.names[0].binding.fqdn : undefined, 'fixedname.cafe.babe.', 'ddns-hostname as a string, also without a client name');
});

t.test('option 81 answered in the ACK', async (t) => {
  const d = request('ddns-update-style interim;', '02:00:00:00:00:01', [[81, 0x00, 0, 0, ...Buffer.from('pc')]]);
  const v = d.reply!.packet.options.get(81)!;
  t.ok(d.reply!.order.includes(81));
  t.same([v[0], v[1], v[2]], [0x00, 255, 255], 'S=0 as asked (client-updates allowed): no override');
  t.equal(parseClientFqdn(v)?.name, 'pc.cafe.babe');
  const ig = request('ddns-update-style interim;\nignore client-updates;', '02:00:00:00:00:01', [[81, 0x00, 0, 0, ...Buffer.from('pc')]]);
  t.equal(ig.reply!.packet.options.get(81)![0], 0x03, 'ignore client-updates: S=1 and O=1');
  t.equal(fqdnReply(Buffer.from([0x05, 0, 0, 2, 0x70, 0x63, 0]), undefined)[0], 0x04 | 0x02 | 0x08, 'nothing registered: N=1, E kept');
  t.same(parseClientFqdn(fqdnReply(Buffer.from([0x05, 0, 0]), { fqdn: 'a.b.', ip: 1, ttl: 1, expires: 1, owner: '', forward: true, reverse: true, revDomain: 'in-addr.arpa.' })), { flags: 0x05, name: 'a.b' }, 'wire form when E');
});

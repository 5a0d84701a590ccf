import t from 'tap';
import { parseDhcpdConf } from '../../src/config/dhcpd-conf.js';
import { parseIPv4 as ip, formatIPv4 } from '../../src/config/dhcp-options.js';
import { handleRequest, newEngineState, type LinkInfo, type EngineState } from '../../src/dhcp/engine.js';
import { LeaseDb } from '../../src/dhcp/lease.js';
import { decodePacket, encodePacket, type DhcpPacket } from '../../src/dhcp/packet.js';
import { validDiscover } from './fuzz-cases.js';
import { IDS, LINK, engineFor, msg } from './engine-fixture.js';

const CONF = `
authoritative;
default-lease-time 600;
max-lease-time 7200;
option domain-name "cafe.babe";
option domain-name-servers 192.168.117.1;
class "pxe" { match if substring(option vendor-class-identifier, 0, 9) = "PXEClient"; filename "pxe.efi"; }
subnet 192.168.117.0 netmask 255.255.255.0 {
  range 192.168.117.100 192.168.117.102;
  option routers 192.168.117.254;
  next-server 192.168.117.10;
  filename "pxelinux.0";
}
subnet 10.98.0.0 netmask 255.255.255.0 {
  pool { range 10.98.0.100 10.98.0.110; deny unknown-clients; }
  pool { range 10.98.0.200 10.98.0.210; allow unknown-clients; }
}
host ae86 { hardware ethernet ae:86:ca:fe:ba:be; fixed-address 192.168.117.86; }
host known { hardware ethernet 02:00:00:00:00:99; }
`;


const a4 = (s: string): number[] => s.split('.').map(Number);
const NOW = 1_800_000_000_000;
const setup = (conf = CONF): EngineState => engineFor(conf);

t.test('DISCOVER → OFFER: range, options in PRL order with mask before router, unicast to chaddr', async (t) => {
  const st = setup();
  const d = handleRequest(st, msg('02:00:00:00:00:01', 1, [[55, 4, 6, 3, 1, 15]]), LINK, NOW, IDS);
  const r = d.reply!;
  t.equal(formatIPv4(r.packet.yiaddr), '192.168.117.100');
  t.same(r.order, [53, 54, 51, 6, 1, 3, 15], 'ISC order: 53,54,51 then PRL, mask moved before router (RFC 2132 §3.3)');
  t.same(r.dest, { kind: 'hw', mac: Buffer.from('020000000001', 'hex'), ip: ip('192.168.117.100') });
  t.equal(r.packet.options.get(51)!.readUInt32BE(0), 600);
  t.equal(formatIPv4(r.packet.siaddr), '192.168.117.10', 'next-server in siaddr');
  t.equal(r.packet.file.toString().replace(/\0+$/, ''), 'pxelinux.0');
  t.same(d.commit, [], 'an offer commits nothing');
  const enc = encodePacket(r.packet, { order: r.order, maxSize: r.maxSize });
  t.equal(enc.length, 300, 'padded to 300 octets');
  const d2 = handleRequest(st, msg('02:00:00:00:00:02', 1, [], (p) => (p.flags = 0x8000)), LINK, NOW, IDS);
  t.equal(formatIPv4(d2.reply!.packet.yiaddr), '192.168.117.101', 'a second client is offered another address');
  t.same(d2.reply!.dest, { kind: 'broadcast' }, 'broadcast bit → broadcast');
});

t.test('SELECTING, RENEWING, INIT-REBOOT, RELEASE', async (t) => {
  const st = setup();
  const mac = '02:00:00:00:00:01';
  const offer = handleRequest(st, msg(mac, 1), LINK, NOW, IDS).reply!.packet.yiaddr;
  const other = handleRequest(st, msg(mac, 3, [[50, 4, ...a4(formatIPv4(offer))], [54, 4, 10, 9, 9, 9]]), LINK, NOW, IDS);
  t.notOk(other.reply, 'REQUEST for another server: silence');
  t.notOk(st.db.offers.has(offer), '…and our offer is released');
  const ack = handleRequest(st, msg(mac, 3, [[50, 4, ...a4(formatIPv4(offer))], [54, 4, 192, 168, 117, 1], [12, 3, 0x70, 0x63, 0x31]]), LINK, NOW, IDS);
  t.equal(ack.reply!.packet.options.get(53)![0], 5, 'ACK');
  t.equal(ack.commit.length, 1, 'lease to commit before sending');
  t.equal(ack.commit[0].hostname, 'pc1');
  t.equal(ack.commit[0].ends, NOW / 1000 + 600);
  const renew = handleRequest(st, msg(mac, 3, [], (p) => (p.ciaddr = offer)), LINK, NOW + 300_000, IDS);
  t.equal(renew.reply!.packet.yiaddr, offer, 'RENEWING keeps the address');
  t.same(renew.reply!.dest, { kind: 'unicast', ip: offer }, 'reply to ciaddr');
  const reboot = handleRequest(st, msg(mac, 3, [[50, 4, ...a4(formatIPv4(offer))]]), LINK, NOW + 400_000, IDS);
  t.equal(reboot.reply!.packet.options.get(53)![0], 5, 'INIT-REBOOT with its own lease: ACK');
  const stranger = handleRequest(st, msg('02:00:00:00:00:07', 3, [[50, 4, ...a4(formatIPv4(offer))]]), LINK, NOW, IDS);
  t.equal(stranger.reply!.packet.options.get(53)![0], 6, 'INIT-REBOOT for an address of another client: NAK (authoritative)');
  const wrong = handleRequest(st, msg('02:00:00:00:00:08', 3, [[50, 4, 10, 1, 1, 1]]), LINK, NOW, IDS);
  t.equal(wrong.reply!.packet.options.get(53)![0], 6, 'wrong network: NAK');
  t.equal(wrong.reply!.packet.options.get(56)!.toString(), 'wrong network');
  t.same(wrong.reply!.dest, { kind: 'broadcast' }, 'NAK broadcast');
  const rel = handleRequest(st, msg(mac, 7, [], (p) => (p.ciaddr = offer)), LINK, NOW, IDS);
  t.equal(rel.commit[0].state, 'free', 'RELEASE frees the lease');
  t.notOk(rel.reply, 'no reply to RELEASE');
});

t.test('DECLINE quarantines; two clients never share an address', async (t) => {
  const st = setup();
  const a = handleRequest(st, msg('02:00:00:00:00:01', 1), LINK, NOW, IDS).reply!.packet.yiaddr;
  const dec = handleRequest(st, msg('02:00:00:00:00:01', 4, [[50, 4, ...a4(formatIPv4(a))], [54, 4, 192, 168, 117, 1]]), LINK, NOW, IDS);
  t.equal(dec.commit[0].state, 'abandoned');
  const seen = new Set<number>();
  for (let i = 2; i < 5; i++) {
    const r = handleRequest(st, msg(`02:00:00:00:00:0${i}`, 1), LINK, NOW, IDS).reply;
    if (r) seen.add(r.packet.yiaddr);
  }
  t.notOk(seen.has(a), 'the declined address is not offered again');
  t.equal(seen.size, 2, 'only the two other addresses are offered (a third client takes over the oldest offer)');
});

t.test('client identity: option 61 first, else chaddr', async (t) => {
  const st = setup();
  const mac = '02:00:00:00:00:05';
  const x = handleRequest(st, msg(mac, 1, [[61, 3, 1, 2, 3]]), LINK, NOW, IDS).reply!.packet.yiaddr;
  const y = handleRequest(st, msg(mac, 1, [[61, 3, 1, 2, 4]]), LINK, NOW, IDS).reply!.packet.yiaddr;
  t.not(x, y, 'same MAC, two client ids: two addresses');
});

t.test('fixed host, relay, option 82, pool permits, PXE class, INFORM, BOOTP', async (t) => {
  const st = setup();
  const ae = handleRequest(st, msg('ae:86:ca:fe:ba:be', 1), LINK, NOW, IDS);
  t.equal(formatIPv4(ae.reply!.packet.yiaddr), '192.168.117.86', 'ae86 gets its fixed address');
  const relayed = handleRequest(st, msg('02:00:00:00:00:31', 1, [[82, 4, 1, 2, 0x72, 0x64]], (p) => ((p.giaddr = ip('10.98.0.1')!), (p.hops = 1))), LINK, NOW, IDS);
  const rr = relayed.reply!;
  t.equal(formatIPv4(rr.packet.yiaddr), '10.98.0.200', 'unknown client: only the pool that allows unknown clients');
  t.same(rr.dest, { kind: 'relay', ip: ip('10.98.0.1'), port: 67 });
  t.equal(rr.order[rr.order.length - 1], 82, 'option 82 echoed last');
  t.equal(rr.packet.hops, 1);
  const known = handleRequest(st, msg('02:00:00:00:00:99', 1, [], (p) => (p.giaddr = ip('10.98.0.1')!)), LINK, NOW, IDS);
  t.equal(formatIPv4(known.reply!.packet.yiaddr), '10.98.0.100', 'known client: first pool');
  const pxe = handleRequest(st, msg('02:00:00:00:00:41', 1, [[60, 9, ...Buffer.from('PXEClient')]]), LINK, NOW, IDS);
  t.equal(pxe.reply!.packet.file.toString().replace(/\0+$/, ''), 'pxe.efi', 'class scope overrides the subnet filename');
  const inform = handleRequest(st, msg('02:00:00:00:00:51', 8, [], (p) => (p.ciaddr = ip('192.168.117.50')!)), LINK, NOW, IDS);
  t.notOk(inform.reply!.packet.options.has(51), 'INFORM: no lease time');
  t.equal(inform.reply!.packet.options.get(53)![0], 5);
  t.same(inform.reply!.dest, { kind: 'unicast', ip: ip('192.168.117.50') });
  const bootp = msg('ae:86:ca:fe:ba:be', 1);
  bootp.options.clear();
  bootp.cookie = false;
  const b = handleRequest(st, bootp, LINK, NOW, IDS);
  t.equal(formatIPv4(b.reply!.packet.yiaddr), '192.168.117.86', 'BOOTP reply for the fixed host');
  t.equal(b.reply!.packet.cookie, false, 'answered in BOOTP format');
  t.equal(formatIPv4(b.reply!.packet.siaddr), '192.168.117.10');
  const big = handleRequest(st, msg('02:00:00:00:00:61', 1, [[57, 2, 0x05, 0xdc]]), LINK, NOW, IDS);
  t.equal(big.reply!.maxSize, 1500 - 28, 'option 57 honoured');
});

t.test('if / elsif / else choose per request (PXE by architecture)', async (t) => {
  const st = setup(`
option architecture-type code 93 = unsigned integer 16;
subnet 192.168.117.0 netmask 255.255.255.0 {
  range 192.168.117.100 192.168.117.150;
  class "pxeclients" {
    match if substring(option vendor-class-identifier, 0, 9) = "PXEClient";
    next-server 192.168.117.10;
    if option architecture-type = 00:07 {
      filename "efi/bootx64.efi";
    } elsif option architecture-type = 00:06 {
      filename "efi/bootia32.efi";
    } else {
      filename "pxelinux.0";
    }
  }
}
if exists user-class and option user-class = "iPXE" { filename "http://boot/menu.ipxe"; }
`);
  const pxe = (arch: number[]): string => {
    const d = handleRequest(st, msg(`02:00:00:00:44:0${arch[1]}`, 1, [[60, 9, ...Buffer.from('PXEClient')], [93, 2, ...arch]]), LINK, NOW, IDS);
    return d.reply!.packet.file.toString().replace(/\0+$/, '');
  };
  t.equal(pxe([0, 7]), 'efi/bootx64.efi', 'EFI x64');
  t.equal(pxe([0, 6]), 'efi/bootia32.efi', 'EFI IA32');
  t.equal(pxe([0, 0]), 'pxelinux.0', 'BIOS: else branch');
  const ipxe = handleRequest(st, msg('02:00:00:00:44:99', 1, [[77, 4, ...Buffer.from('iPXE')]]), LINK, NOW, IDS);
  t.equal(ipxe.reply!.packet.file.toString().replace(/\0+$/, ''), 'http://boot/menu.ipxe', 'global if on user-class');
  const plain = handleRequest(st, msg('02:00:00:00:44:98', 1), LINK, NOW, IDS);
  t.equal(plain.reply!.packet.file.toString().replace(/\0+$/, ''), '', 'no branch, no filename');
});

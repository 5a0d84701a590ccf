// Which names a lease asks for (dhcpd.conf DYNAMIC DNS UPDATES, RFC 4702 option 81).
import t from 'tap';
import { bindingFor, ddnsEnabled, parseClientFqdn } from '../../src/dhcp/ddns.js';
import { MsgType, OPT, emptyPacket, type DhcpPacket } from '../../src/dhcp/packet.js';

const ip = 0xc0a87564; // 192.168.117.100
function req(opts: [number, Buffer][]): DhcpPacket {
  const p = emptyPacket();
  p.options.set(OPT.MESSAGE_TYPE, Buffer.from([MsgType.REQUEST]));
  for (const [c, v] of opts) p.options.set(c, v);
  return p;
}
const on = { style: 'interim', domainOption: Buffer.from('cafe.babe') };

t.test('enabled only with style interim/standard and ddns-updates not off', async (t) => {
  t.notOk(ddnsEnabled({}), 'ISC default style none');
  t.notOk(ddnsEnabled({ style: 'none', updates: true }));
  t.ok(ddnsEnabled({ style: 'interim' }));
  t.ok(ddnsEnabled({ style: 'standard' }));
  t.notOk(ddnsEnabled({ style: 'interim', updates: false }));
  t.equal(bindingFor({ style: 'none', domainOption: Buffer.from('cafe.babe') }, req([[OPT.HOST_NAME, Buffer.from('pc')]]), ip, 600, 1000, 'k'), undefined);
});

t.test('host-name (12) + option domain-name → A and PTR, ttl half the lease', async (t) => {
  const b = bindingFor(on, req([[OPT.HOST_NAME, Buffer.from('LabPC\0')]]), ip, 600, 5000, 'hw:1:02')!;
  t.same(b, { fqdn: 'labpc.cafe.babe.', ip, ttl: 300, expires: 5000, owner: 'hw:1:02', forward: true, reverse: true, revDomain: 'in-addr.arpa.' });
  const d = bindingFor({ ...on, domainName: 'dyn.cafe.babe.', ttl: 60, revDomainName: 'rev.example' }, req([[OPT.HOST_NAME, Buffer.from('pc')]]), ip, 600, 5000, 'k')!;
  t.equal(d.fqdn, 'pc.dyn.cafe.babe.', 'ddns-domainname wins over option domain-name');
  t.equal(d.ttl, 60);
  t.equal(d.revDomain, 'rev.example.');
});

t.test('unusable names register nothing', async (t) => {
  t.equal(bindingFor(on, req([]), ip, 600, 1, 'k'), undefined, 'no name');
  t.equal(bindingFor(on, req([[OPT.HOST_NAME, Buffer.from('bad_name')]]), ip, 600, 1, 'k'), undefined, 'underscore');
  t.equal(bindingFor(on, req([[OPT.HOST_NAME, Buffer.from('-x')]]), ip, 600, 1, 'k'), undefined, 'leading hyphen');
  t.equal(bindingFor({ style: 'interim' }, req([[OPT.HOST_NAME, Buffer.from('pc')]]), ip, 600, 1, 'k'), undefined, 'no domain');
});

t.test('client FQDN (81): ascii and wire names, S/N flags, client-updates', async (t) => {
  t.same(parseClientFqdn(Buffer.from([0x01, 0, 0, ...Buffer.from('pc.cafe.babe')])), { flags: 1, name: 'pc.cafe.babe' });
  t.same(parseClientFqdn(Buffer.from([0x05, 0, 0, 2, 0x70, 0x63, 4, 0x63, 0x61, 0x66, 0x65, 0])), { flags: 5, name: 'pc.cafe' });
  t.equal(parseClientFqdn(Buffer.from([0x04, 0, 0, 9, 1])), undefined, 'truncated wire name');
  const fq = (flags: number): [number, Buffer] => [81, Buffer.from([flags, 0, 0, ...Buffer.from('fq.other.domain')])];
  const s = bindingFor(on, req([fq(0x01), [OPT.HOST_NAME, Buffer.from('ignored')]]), ip, 600, 1, 'k')!;
  t.equal(s.fqdn, 'fq.cafe.babe.', 'host part of option 81 under our domain');
  t.ok(s.forward, 'S=1: server does the A record');
  t.notOk(bindingFor(on, req([fq(0)]), ip, 600, 1, 'k')!.forward, 'S=0 with allow client-updates: the client does its A, we do the PTR');
  t.ok(bindingFor({ ...on, clientUpdates: false }, req([fq(0)]), ip, 600, 1, 'k')!.forward, 'ignore client-updates: we do both');
  t.equal(bindingFor(on, req([fq(0x08)]), ip, 600, 1, 'k'), undefined, 'N=1: no updates');
  t.ok(bindingFor({ ...on, clientUpdates: false }, req([fq(0x08)]), ip, 600, 1, 'k'), 'ignore client-updates: N ignored');
});

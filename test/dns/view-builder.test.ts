import t from 'tap';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { listenAddresses } from '../../src/dns/view-builder.js';
import { hostNetworksFrom } from '../../src/net/interfaces.js';

const host = hostNetworksFrom({
  lo: [
    { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' },
    { address: '::1', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', family: 'IPv6', mac: '00:00:00:00:00:00', internal: true, cidr: '::1/128', scopeid: 0 },
  ],
  eth0: [
    { address: '192.168.117.1', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '192.168.117.1/24' },
    { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: 'fe80::1/64', scopeid: 2 },
  ],
});

const listen = (text: string): string[] => {
  const sink = new DiagnosticSink();
  const conf = parseNamedConf('/x/named.conf', text, sink);
  t.same(sink.errors, [], text);
  return listenAddresses(conf, host).map((a) => `${a.address}#${a.port}`).sort();
};

t.test('BIND defaults: every IPv4 and IPv6 interface address on port 53 (link-local skipped)', async (t) => {
  t.same(listen(''), ['127.0.0.1#53', '192.168.117.1#53', '::1#53']);
});

t.test('listen-on matches interface addresses; port per statement', async (t) => {
  t.same(listen('options { listen-on port 5300 { 127.0.0.1; }; listen-on-v6 port 5300 { ::1; }; };'), ['127.0.0.1#5300', '::1#5300']);
  t.same(listen('options { listen-on { 192.168.117.0/24; }; listen-on-v6 { none; }; };'), ['192.168.117.1#53']);
  t.same(listen('options { listen-on { !127.0.0.1; any; }; listen-on-v6 { none; }; };'), ['192.168.117.1#53']);
  t.same(listen('acl me { localhost; }; options { port 5353; listen-on { me; }; listen-on-v6 { none; }; };'), ['127.0.0.1#5353', '192.168.117.1#5353']);
});

t.test('plain addresses no interface carries are bound too (distinct loopback addresses)', async (t) => {
  t.same(listen('options { listen-on port 5300 { 127.7.7.7; }; listen-on-v6 { none; }; };'), ['127.7.7.7#5300']);
});

import t from 'tap';
import { rdataFromText, rdataToText, RdataError } from '../../src/wire/rdata.js';
import { parseName } from '../../src/wire/dns-name.js';
import { typeFromText } from '../../src/wire/rr-type.js';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { lexZoneText } from '../../src/config/zone-lexer.js';

const ORIGIN = parseName('example.');

function toks(text: string) {
  const lines = lexZoneText('t', text, new DiagnosticSink());
  return lines.flatMap((l) => l.tokens);
}

function rt(type: string, text: string): string {
  const tn = typeFromText(type);
  if (tn === undefined) throw new Error(type);
  return rdataToText(tn, rdataFromText(tn, toks(text), ORIGIN));
}

function hex(type: string, text: string): string {
  return Buffer.from(rdataFromText(typeFromText(type) as number, toks(text), ORIGIN)).toString('hex');
}

// [type, input, BIND's presentation output]
const CASES: Array<[string, string, string]> = [
  ['A', '192.0.2.5', '192.0.2.5'],
  ['AAAA', '2001:DB8:0:0:1::1', '2001:db8::1:0:0:1'],
  ['AAAA', '::ffff:1.2.3.4', '::ffff:1.2.3.4'],
  ['AAAA', '1:0:0:2:0:0:0:3', '1:0:0:2::3'],
  ['NS', 'ns', 'ns.example.'],
  ['CNAME', 'a\\.b.c.', 'a\\.b.c.'],
  ['PTR', '@', 'example.'],
  ['SOA', 'ns hm 1 1h 15m 2w 5m', 'ns.example. hm.example. 1 3600 900 1209600 300'],
  ['MX', '10 mail', '10 mail.example.'],
  ['TXT', '"a\\"b" "\\\\" "\\065" "\\010" plain', '"a\\"b" "\\\\" "A" "\\010" "plain"'],
  ['TXT', '"\u00c3\u00a9"', '"\\195\\169"'], // UTF-8 bytes as read (latin1)
  ['SRV', '0 5 80 www', '0 5 80 www.example.'],
  ['CAA', '0 issue "letsencrypt.org"', '0 issue "letsencrypt.org"'],
  ['HINFO', '"PC" unix', '"PC" "unix"'],
  ['DNAME', 'other.', 'other.'],
  ['NAPTR', '100 10 "S" "SIP+D2U" "" _sip._udp', '100 10 "S" "SIP+D2U" "" _sip._udp.example.'],
  ['SSHFP', '1 1 0123456789abcdef0123456789abcdef01234567', '1 1 0123456789ABCDEF0123456789ABCDEF01234567'],
  ['TLSA', '3 1 1 ( 0102 0304 )', '3 1 1 01020304'],
  ['SVCB', '1 . port=53 alpn=h2,h3 mandatory=port', '1 . mandatory=port alpn="h2,h3" port=53'],
  ['HTTPS', '1 . alpn="h3" ipv6hint=2001:db8::1 dohpath=/q{?dns}', '1 . alpn="h3" ipv6hint=2001:db8::1 key7="/q{?dns}"'],
  ['DNSKEY', '257 3 RSASHA256 AwEAAQ==', '257 3 8 AwEAAQ=='],
  ['DS', '1 8 2 ' + 'ab'.repeat(32), '1 8 2 ' + 'AB'.repeat(28) + ' ' + 'AB'.repeat(4)],
  ['RRSIG', 'A 8 2 300 20300101000000 20200101000000 1 example. AwEAAQ==', 'A 8 2 300 20300101000000 20200101000000 1 example. AwEAAQ=='],
  ['NSEC', 'b A NS TYPE65534', 'b.example. A NS TYPE65534'],
  ['NSEC3', '1 0 10 - 2vptu5timamqttgl4luu9kg21e0aor3s A', '1 0 10 - 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S A'],
  ['NSEC3PARAM', '1 0 0 AB', '1 0 0 AB'],
  ['LOC', '42 21 54 N 71 06 18 W -24m 30m', '42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m'],
  ['APL', '1:10.0.0.0/8 !2:2001:db8::/32', '1:10.0.0.0/8 !2:2001:db8::/32'],
  ['WKS', '10.0.0.1 tcp 25 21', '10.0.0.1 6 21 25'],
  ['EUI48', '0-23-45-67-89-ab', '00-23-45-67-89-ab'],
  ['URI', '10 1 "https://x/"', '10 1 "https://x/"'],
  ['TYPE1', '\\# 4 C0000205', '192.0.2.5'],
  ['TYPE65534', '\\# 3 ( 01 0203 )', '\\# 3 010203'],
  ['NULL', '\\# 0', '\\# 0'],
  ['RP', '. txt', '. txt.example.'],
  ['CERT', 'PGP 0 0 AQID', 'PGP 0 0 AQID'],
  ['NID', '10 14:4fff:ff20:ee64', '10 14:4fff:ff20:ee64'],
  ['NXT', 'a ( A 127 )', 'a.example. A 127'],
];

t.test('presentation round trips in BIND form', async (t) => {
  for (const [type, input, want] of CASES) t.equal(rt(type, input), want, `${type} ${input}`);
});

t.test('wire forms', async (t) => {
  t.equal(hex('A', '1.2.3.4'), '01020304');
  t.equal(hex('MX', '10 a.'), '000a016100');
  t.equal(hex('TXT', '"ab" ""'), '02616200');
  t.equal(hex('NSEC', '. A RRSIG'), '000006400000000002');
  t.equal(hex('TYPE65534', '\\# 2 abcd'), 'abcd');
});

t.test('malformed RDATA is an RdataError naming the token', async (t) => {
  const bad: Array<[string, string]> = [
    ['A', '1.2.3'], ['A', '01.2.3.4'], ['A', '1.2.3.256'], ['AAAA', '1::2::3'], ['MX', 'x mail'], ['MX', '10'],
    ['TXT', '"' + 'x'.repeat(256) + '"'], ['SOA', 'a b 1 2 3 4'], ['SSHFP', '1 1 abc'], ['DS', '1 8 1 ab'],
    ['TYPE65534', '\\# 2 01'], ['A', '\\# 3 010203'], ['NULL', 'abc'], ['CAA', '0 "" x'], ['A', '1.2.3.4 extra'],
    ['NSEC3', '1 0 1 - CPNMU A'], ['SVCB', '1 . alpn=h2 alpn=h3'], ['SVCB', '1 . mandatory=port'], ['EUI48', '0123'],
  ];
  for (const [type, input] of bad) {
    t.throws(() => rt(type, input), RdataError, `${type} ${input}`);
  }
  try {
    rt('A', '1.2.3.4 extra');
  } catch (e) {
    t.equal((e as RdataError).token?.text, 'extra');
  }
});

// Edge cases of every RR type's RDATA, as one-record zones: the generator behind
// test/fixtures/zones/rr-edges.jsonl (BIND 9.18's verdicts and output for each,
// recorded by test/dns/rr-edge-record.ts) and the helpers the tests share.
//
// Each case is the standard header (SOA, NS, the name server's address) and a
// body of one record (two for the singleton checks); SOA cases replace the header's SOA.

import fs from 'node:fs';
import path from 'node:path';
import { T, typeToText } from '../../src/wire/rr-type.js';
import { rdataFromText, isGenericForm } from '../../src/wire/rdata.js';
import { hexEncode } from '../../src/wire/rdata/codec.js';
import { lexZoneText } from '../../src/config/zone-lexer.js';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { parseName } from '../../src/wire/dns-name.js';
import { FIXTURES } from '../helpers/paths.js';

export const ZONE = 'example';
export const HEADER = '$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n';
export const HEADER_NO_SOA = '$TTL 300\n@ NS ns\nns A 192.0.2.1\n';
export const FIXTURE = path.join(FIXTURES, 'zones', 'rr-edges.jsonl');
export const DISAGREEMENTS = path.join(FIXTURES, 'zones', 'rr-edges-disagreements.tsv');
const BIND_UNIT_INPUTS = path.join(FIXTURES, 'zones', 'rr-edges-bind-unit-inputs.json');

export interface EdgeCase {
  name: string;
  /** The header lacks its SOA (the body supplies one). */
  noSoa?: boolean;
  body: string;
}

export interface RecordedCase extends EdgeCase {
  /** named-checkzone's verdict. */
  check: 'accept' | 'reject';
  /** named-compilezone's verdict (its defaults: check-names fail, NS-as-address fail). */
  compile: 'accept' | 'reject';
  /** named-compilezone -s full output lines that are not the header's, whitespace folded. */
  out: string[];
}

export function zoneText(c: EdgeCase): string {
  return (c.noSoa ? HEADER_NO_SOA : HEADER) + c.body;
}

/** The header's own lines in named-compilezone's output (dropped before comparing). */
export const HEADER_OUT = new Set([
  'example. 300 IN SOA ns.example. hm.example. 1 2 3 4 5',
  'example. 300 IN NS ns.example.',
  'ns.example. 300 IN A 192.0.2.1',
]);

export function foldOut(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/[ \t]+/g, ' ').trim()).filter((l) => l !== '' && !HEADER_OUT.has(l)).sort();
}

export function readRecorded(): RecordedCase[] {
  return fs.readFileSync(FIXTURE, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as RecordedCase);
}

/** name → reason, from the disagreements list (deliberate differences). */
export function readDisagreements(): Map<string, string> {
  const m = new Map<string, string>();
  if (!fs.existsSync(DISAGREEMENTS)) return m;
  for (const line of fs.readFileSync(DISAGREEMENTS, 'utf8').split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const [name, , reason] = line.split('\t');
    m.set(name, reason ?? '');
  }
  return m;
}

// ---- the generator -------------------------------------------------------------

const B64KEY = 'AwEAAcPi4JhBAy7NdFv/EWzBTIBVzLW0fJnN9+ghn27kOPFzWQ3TqxeH2Cl/NqbuPt6aZ8HdTKkD6ILPu2lTfbqPBgM=';
const HEX20 = '123456789ABCDEF67890123456789ABCDEF67890';
const HEX32 = 'E39A1B9EF9C7C9E0C1B4C1D1B6F8FD5CF8E8A0B71C3B7F0B2C6D6A1F2B3C4D5E';
const HEX48 = 'A'.repeat(96);
const HEX64 = 'B'.repeat(128);
const SIGTAIL = '20270101000000 20261101000000 12345 example. ' + B64KEY;

/** A valid RDATA for each type BIND 9.18 knows (the owner is `x` unless said). */
export const SAMPLES: Array<[string, string, string?]> = [
  ['A', '192.0.2.1'], ['NS', 'ns'], ['MD', 'ns'], ['MF', 'ns'], ['CNAME', 'ns'], ['SOA', 'ns hm 1 2 3 4 5', '@'],
  ['MB', 'ns'], ['MG', 'ns'], ['MR', 'ns'], ['NULL', '\\# 2 0102'], ['WKS', '192.0.2.1 tcp 25 80'], ['PTR', 'ns'],
  ['HINFO', '"cpu" "os"'], ['MINFO', 'hm hm'], ['MX', '10 ns'], ['TXT', '"hello" "world"'], ['RP', 'hm ns'],
  ['AFSDB', '1 ns'], ['X25', '311061700956'], ['ISDN', '150862028003217 004'], ['RT', '10 ns'],
  ['NSAP', '0x47000580ffff000000321099991111222233334444'], ['NSAP-PTR', 'ns'], ['SIG', 'A 8 2 300 ' + SIGTAIL],
  ['KEY', '512 3 8 ' + B64KEY], ['PX', '10 ns ns'], ['GPOS', '-32.6882 116.8652 10.0'], ['AAAA', '2001:db8::1'],
  ['LOC', '52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m'], ['NXT', 'ns A NS'], ['EID', '0123456789abcdef'],
  ['NIMLOC', '0123456789abcdef'], ['SRV', '0 5 80 ns'], ['ATMA', '+358400'], ['NAPTR', '100 10 "u" "E2U+sip" "!^.*$!sip:a@b!" .'],
  ['KX', '10 ns'], ['CERT', 'PGP 0 0 ' + B64KEY], ['A6', '0 2001:db8::1'], ['DNAME', 'ns'], ['SINK', '1 0 0 AQID'],
  ['APL', '1:192.0.2.0/24 !2:2001:db8::/32'], ['DS', `12345 8 2 ${HEX32}`], ['SSHFP', `1 1 ${HEX20}`],
  ['IPSECKEY', '10 1 2 192.0.2.38 ' + B64KEY], ['RRSIG', 'A 8 2 300 ' + SIGTAIL], ['NSEC', 'ns A NS RRSIG'],
  ['DNSKEY', '257 3 8 ' + B64KEY], ['DHCID', 'AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA='],
  ['NSEC3', '1 0 10 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG', '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom'],
  ['NSEC3PARAM', '1 0 10 AABBCCDD'], ['TLSA', `3 1 1 ${HEX32}`], ['SMIMEA', `3 1 1 ${HEX32}`],
  ['HIP', '2 200100107B1A74DF365639CC39F1D578 ' + B64KEY + ' ns'], ['NINFO', '"info"'], ['RKEY', '0 3 253 ' + B64KEY],
  ['TALINK', 'ns ns'], ['CDS', `12345 8 2 ${HEX32}`], ['CDNSKEY', '257 3 8 ' + B64KEY], ['OPENPGPKEY', B64KEY],
  ['CSYNC', '66 3 A NS AAAA'], ['ZONEMD', `2021071219 1 1 ${HEX48}`], ['SVCB', '1 . alpn=h2 port=8443'],
  ['HTTPS', '1 . alpn=h2,h3 ipv4hint=192.0.2.1'], ['DSYNC', 'CDS NOTIFY 5359 ns'], ['HHIT', 'AQID'], ['BRID', 'AQID'],
  ['SPF', '"v=spf1 -all"'], ['UINFO', '\\# 1 00'], ['UID', '\\# 4 00000001'], ['GID', '\\# 4 00000001'], ['UNSPEC', '\\# 1 00'],
  ['NID', '10 0014:4fff:ff20:ee64'], ['L32', '10 10.1.2.0'], ['L64', '10 2001:0DB8:1140:1000'], ['LP', '10 ns'],
  ['EUI48', '00-00-5e-00-53-2a'], ['EUI64', '00-00-5e-ef-10-00-00-2a'], ['URI', '10 1 "ftp://ftp1.example.com/public"'],
  ['CAA', '0 issue "ca.example.net"'], ['AVC', '"app-name:WOLFGANG|app-class:OAM"'], ['DOA', '0 1 2 "" aHR0cHM6Ly93d3cuaXNjLm9yZy8='],
  ['AMTRELAY', '0 0 3 ns'], ['RESINFO', 'qnamemin exterr=15,16,17'], ['WALLET', '"BTC" "x"'], ['TA', `12345 8 2 ${HEX32}`],
  ['DLV', `12345 8 2 ${HEX32}`],
];

/** Hand-written cases: the edge cases users hit, per type. */
const SPECIAL: Array<[string, string]> = [
  // CERT: type and algorithm mnemonics (RFC 4398 §2.1), numbers, unknown ones.
  ...['PKIX', 'SPKI', 'PGP', 'IPKIX', 'ISPKI', 'IPGP', 'ACPKIX', 'IACPKIX', 'URI', 'OID', 'pgp', 'X509', '65535', '65536', '0'].map(
    (t): [string, string] => ['CERT', `${t} 1 8 ${B64KEY}`]),
  ...['RSAMD5', 'DH', 'DSA', 'ECC', 'RSASHA1', 'NSEC3DSA', 'NSEC3RSASHA1', 'DSA-NSEC3-SHA1', 'RSASHA1-NSEC3-SHA1', 'RSASHA256',
    'RSASHA512', 'ECCGOST', 'ECC-GOST', 'ECDSAP256SHA256', 'ECDSAP384SHA384', 'ED25519', 'ED448', 'INDIRECT', 'PRIVATEDNS',
    'PRIVATEOID', 'rsasha256', 'DELETE', 'FOO', '0', '255', '256'].map((a): [string, string] => ['CERT', `PKIX 1 ${a} ${B64KEY}`]),
  ['CERT', 'PKIX 1 8'], ['CERT', 'PKIX 65536 8 AQID'], ['CERT', 'URI 0 0 AQID'],
  // KEY / DNSKEY flags, with and without key data (RFC 2535 §3.1.2: NOKEY carries none).
  ...['0xC000', '49152', 'NOKEY', 'NOCONF', 'NOAUTH', 'NOKEY|ZONE', 'ZONE|SIG2', 'HOST|FLAG2', 'EXTEND', 'FLAG4|FLAG5', 'KSK',
    'REVOKE', 'USER', 'NTYP3', '0x10000', '65536', '0x', 'BOGUS', 'ZONE|', '|ZONE', '0x0100'].flatMap((f): Array<[string, string]> => [
    ['KEY', `${f} 3 8`], ['KEY', `${f} 3 8 ${B64KEY}`], ['DNSKEY', `${f} 3 8 ${B64KEY}`]]),
  ['DNSKEY', '257 3 8'], ['DNSKEY', '256 3 8'], ['CDNSKEY', '0 3 0 AA=='], ['CDNSKEY', '0 3 0'], ['CDS', '0 0 0 00'], ['CDS', '0 0 0'],
  ['KEY', '256 4 8 ' + B64KEY], ['KEY', '256 3 0 ' + B64KEY], ['RKEY', '49152 3 8'], ['DNSKEY', '49152 3 8'],
  // SVCB / HTTPS parameters (RFC 9460).
  ...[
    'ALPN=h2', 'Alpn=h2', 'alpn=h2', 'alpn="h2,h3"', 'alpn=h2\\,x', 'alpn="h2\\\\,x"', 'alpn="h\\0502"', 'alpn=""', 'alpn', 'alpn=,h2',
    'no-default-alpn alpn=h2', 'no-default-alpn', 'no-default-alpn=x alpn=h2', 'no-default-alpn="" alpn=h2', 'NO-DEFAULT-ALPN alpn=h2',
    'port=53', 'port=65535', 'port=65536', 'port=-1', 'port=', 'port', 'port=0x35', 'port=53,54', 'PORT=53',
    'ipv4hint=192.0.2.1', 'ipv4hint=192.0.2.1,192.0.2.2', 'ipv4hint=192.0.2.1,', 'ipv4hint=', 'ipv4hint', 'ipv4hint=2001:db8::1',
    'ipv6hint=2001:db8::1', 'ipv6hint=2001:db8::1,::1', 'ipv6hint=', 'ipv6hint=192.0.2.1', 'ipv6hint=::ffff:192.0.2.1',
    'ech=AQID', 'ech', 'ech=', 'ech=""', 'ech=AQI', 'ech=!!!!', 'ECH=AQID',
    'mandatory=alpn alpn=h2', 'mandatory=alpn', 'mandatory=mandatory', 'mandatory=alpn,alpn alpn=h2', 'mandatory=', 'mandatory',
    'mandatory=port,alpn alpn=h2 port=1', 'mandatory=key999 key999=x', 'mandatory=bogus', 'MANDATORY=alpn alpn=h2',
    'key0=alpn alpn=h2', 'key1=h2', 'key3=53', 'key4=192.0.2.1', 'key7=/q{?dns}', 'key65535', 'key65535=x', 'key65536=x', 'key65535="a b"',
    'key999', 'key999=', 'key999=""', 'KEY999=x', 'key01=h2', 'bogus=1', 'dohpath=/dns-query{?dns}', 'dohpath=/q', 'key7=x', 'ohttp',
    'key8', 'key8=x', 'alpn=h2 alpn=h3', 'port=1 key3=2', '"alpn=h2"', 'alpn="h2" port="53"', 'alpn= h2',
  ].flatMap((p): Array<[string, string]> => [['SVCB', `1 . ${p}`], ['HTTPS', `1 svc ${p}`]]),
  ['SVCB', '0 ns'], ['SVCB', '0 ns alpn=h2'], ['SVCB', '0 .'], ['HTTPS', '0 . port=1'], ['SVCB', '65535 .'], ['SVCB', '65536 .'],
  ['SVCB', '1'], ['HTTPS', '1 . alpn=h2 ipv6hint=2001:db8::1 ech=AQID port=443 mandatory=alpn,port'],
  // Singleton types: a second record at the same name.
  ['RESINFO', '"a"\nx RESINFO "b"'], ['DNAME', 'ns\nx DNAME ns2'], ['CNAME', 'ns\nx CNAME ns2'],
  ['NSEC3PARAM', '1 0 10 AABBCCDD\nx NSEC3PARAM 1 0 11 AABBCCDD'], ['ZONEMD', `1 1 1 ${HEX48}\nx ZONEMD 1 1 2 ${HEX64}`],
  ['TXT', '"a"\nx TXT "b"'], ['RESINFO', '"a"\nx RESINFO "a"'], ['RESINFO', 'qnamemin'], ['RESINFO', '""'], ['RESINFO', 'a=b c'],
  ['DNAME', 'ns\nx A 192.0.2.1'], ['DNAME', 'ns\ny.x A 192.0.2.1'],
  // SSHFP fingerprints.
  ['SSHFP', '1 1'], ['SSHFP', '1 1 -'], ['SSHFP', '1 0'], ['SSHFP', '1 0 00'], ['SSHFP', '1 2 ' + HEX20], ['SSHFP', '1 2 ' + HEX32],
  ['SSHFP', '4 2 ' + HEX32], ['SSHFP', '1 3 ' + HEX20], ['SSHFP', '0 0 00'], ['SSHFP', '1 1 ' + HEX20 + '0'], ['SSHFP', '1 1 \\# 20'],
  ['SSHFP', '\\# 2 0101'], ['SSHFP', '\\# 3 010100'], ['SSHFP', '\\# 22 0101' + HEX20],
  // LOC values in and out of range (RFC 1876).
  ...['90 N 180 E 0m', '90 0 0 N 180 0 0 E 0m', '91 N 0 E 0m', '90 1 N 0 E 0m', '0 N 181 E 0m', '0 60 N 0 E 0m', '0 0 60 N 0 E 0m',
    '0 0 59.999 N 0 0 59.999 W 0m', '0 0 59.9999 N 0 E 0m', '0 N 0 E -100000.00m', '0 N 0 E -100000.01m', '0 N 0 E 42849672.95m',
    '0 N 0 E 42849672.96m', '0 N 0 E 0m 90000000m', '0 N 0 E 0m 90000001m', '0 N 0 E 0m 1m 90000000.00m 90000000m',
    '0 N 0 E 0m 1m 1m 90000001m', '0 N 0 E 0m 0.01m', '0 N 0 E 0m 0.001m', '0 N 0 E 0.001m', '0 N 0 E 0', '0 N 0 E 1.5',
    '0 n 0 e 0m', '0 X 0 E 0m', '0 N 0 E', '0 N 0 E 0m 1m 1m 1m 1m', '-1 N 0 E 0m', '0 N 0 E 0M', '0 N 0 E 0m 1e3m',
    '0 N 0 E +1m', '1.5 N 0 E 0m', '0 1.5 N 0 E 0m', '0 0 1. N 0 E 0m', '0 0 .5 N 0 E 0m', '0 N 0 E 0m 1m 1m 0m'].map(
    (l): [string, string] => ['LOC', l]),
  ['LOC', '\\# 16 00121316898a8f0a7fefde2c00989680'], ['LOC', '\\# 16 01121316898a8f0a7fefde2c00989680'],
  ['LOC', '\\# 16 00a21316898a8f0a7fefde2c00989680'], ['LOC', '\\# 16 001a1316898a8f0a7fefde2c00989680'],
  ['LOC', '\\# 16 00121316ffffffff7fefde2c00989680'], ['LOC', '\\# 16 00121316898a8f0affffffff00989680'],
  // ZONEMD digest lengths (RFC 8976 §2.2.4: at least 12 octets; SHA384 48, SHA512 64).
  ...[['1', '1', '00'], ['1', '1', HEX48], ['1', '1', HEX64], ['1', '2', HEX64], ['1', '2', HEX48], ['1', '3', '00'], ['1', '3', 'AA'.repeat(11)],
    ['1', '3', 'AA'.repeat(12)], ['0', '1', HEX48], ['2', '1', HEX48], ['1', '0', 'AA'.repeat(12)], ['1', '255', 'AA'.repeat(12)],
    ['1', '1', ''], ['1', '241', 'AA'.repeat(12)]].map(([s, a, d]): [string, string] => ['ZONEMD', `2021071219 ${s} ${a} ${d}`]),
  ['ZONEMD', '\\# 7 0000000101 0100'], ['ZONEMD', '\\# 18 0000000101 03' + 'AA'.repeat(12)], ['ZONEMD', '\\# 17 0000000101 03' + 'AA'.repeat(11)],
  ['ZONEMD', '\\# 7 0000000101 0300'],
  // DS digest lengths per digest type.
  ...[['1', HEX20], ['1', HEX32], ['2', HEX20], ['2', HEX32], ['3', HEX32], ['4', HEX48], ['4', HEX32], ['5', '00'], ['0', '00'], ['2', '']].map(
    ([d, h]): [string, string] => ['DS', `1 8 ${d} ${h}`]),
  ['DS', '1 RSASHA256 2 ' + HEX32], ['DS', '1 8 SHA-256 ' + HEX32], ['DS', '1 8 2 ' + HEX32.slice(0, 32) + ' ' + HEX32.slice(32)],
  // TXT and friends: lengths, quoting, escapes.
  ['TXT', '"' + 'a'.repeat(255) + '"'], ['TXT', '"' + 'a'.repeat(256) + '"'], ['TXT', 'a'.repeat(255)], ['TXT', 'a'.repeat(256)],
  ['TXT', '""'], ['TXT', '"\\256"'], ['TXT', '"\\25"'], ['TXT', '"\\"'], ['TXT', '"a\\"b"'], ['TXT', '"\\065"'], ['TXT', '"'],
  ['HINFO', '"cpu"'], ['HINFO', 'cpu os'], ['HINFO', '"a" "b" "c"'], ['HINFO', '"" ""'], ['ISDN', '"a"'], ['ISDN', '"a" "b" "c"'],
  ['X25', '123'], ['X25', '"1234"'], ['X25', '12a4'], ['X25', '""'], ['GPOS', '"1" "2"'], ['GPOS', '1 2 3 4'], ['GPOS', '"a" "b" "c"'],
  ['GPOS', '"" "" ""'], ['CAA', '0 issue ""'], ['CAA', '0 "" "x"'], ['CAA', '0 iss-ue "x"'], ['CAA', '256 issue "x"'], ['CAA', '128 tbs x'],
  ['CAA', '0 issue'], ['CAA', '0 ISSUE "x"'], ['CAA', '0 issue "' + 'a'.repeat(300) + '"'], ['URI', '1 1 ""'], ['URI', '1 1 x'],
  ['URI', '1 1'], ['NAPTR', '1 1 "" "" "" .'], ['NAPTR', '1 1 "a" "b" "!x!y!" .'], ['NAPTR', '1 1 "a" "b" "!x(!y\\\\2!" .'],
  ['NAPTR', '1 1 "" "" "!x!y" .'], ['NAPTR', '1 1 "" "" "" ns'], ['NAPTR', '1 1 u "" "" .'],
  // Names: lengths and escapes.
  ['NS', 'a'.repeat(63) + '.example.'], ['NS', 'a'.repeat(64) + '.example.'], ['NS', Array(4).fill('a'.repeat(62)).join('.') + '.'],
  ['NS', Array(4).fill('a'.repeat(63)).join('.') + '.'], ['NS', '\\046.example.'], ['NS', '\\256.example.'], ['NS', 'a..b'],
  ['NS', '@'], ['NS', '.'], ['NS', '"ns"'], ['NS', '192.0.2.1'], ['NS', '192.0.2.1.'], ['NS', 'ns_x'], ['MX', '10 a_b'], ['MX', '10 192.0.2.1'],
  ['SRV', '0 0 0 .'], ['SRV', '0 0 0 _x.example.'], ['PTR', 'a_b'], ['SOA', 'ns hm 1 2 3 4 5 6'], ['SOA', 'ns hm 1 2 3 4'],
  ['SOA', 'ns hm 4294967296 2 3 4 5'], ['SOA', 'ns hm 1 1h 1d 1w 1m'], ['SOA', 'ns hm 1 1x 2 3 4'], ['SOA', 'n_s hm 1 2 3 4 5'],
  ['SOA', 'ns h_m 1 2 3 4 5'], ['RP', 'h_m ns'], ['RP', 'hm n_s'], ['MINFO', 'h_m hm'],
  // Addresses.
  ['A', '192.0.2'], ['A', '192.0.2.01'], ['A', '192.0.2.256'], ['A', '0x7f.0.0.1'], ['A', '192.0.2.1 192.0.2.2'], ['A', '"192.0.2.1"'],
  ['AAAA', '::'], ['AAAA', '::ffff:192.0.2.1'], ['AAAA', '1:2:3:4:5:6:7:8:9'], ['AAAA', '1::2::3'], ['AAAA', '12345::'], ['AAAA', '::1%eth0'],
  ['A6', '128'], ['A6', '128 ns'], ['A6', '64 ::1 ns'], ['A6', '129 ::1'], ['A6', '0 ::1 ns'], ['A6', '3 ::1 ns'],
  ['APL', ''], ['APL', '1:192.0.2.0/33'], ['APL', '3:1.2.3.4/8'], ['APL', '1:192.0.2.1/24'], ['APL', '2:::/0'], ['APL', '!1:0.0.0.0/0'],
  ['APL', '1:192.0.2.0'], ['WKS', '192.0.2.1 6'], ['WKS', '192.0.2.1 tcp 65535'], ['WKS', '192.0.2.1 tcp 65536'], ['WKS', '192.0.2.1 bogus 1'],
  ['WKS', '192.0.2.1 udp domain'], ['WKS', '192.0.2.1 tcp nosuchservice'], ['WKS', '192.0.2.1 256 1'],
  ['EUI48', '00-00-5e-00-53'], ['EUI48', '00:00:5e:00:53:2a'], ['EUI48', '0-0-5e-0-53-2a'], ['EUI48', '00-00-5e-00-53-2a-00'],
  ['EUI64', '00-00-5e-ef-10-00-00'], ['NID', '10 0014:4fff:ff20'], ['NID', '10 0014:4fff:ff20:ee64:1'], ['L64', '10 0:0:0:10000'],
  ['L32', '10 10.1.2'], ['LP', '10 .'], ['LP', '65536 ns'],
  // DNSSEC records.
  ['NSEC', 'ns'], ['NSEC', 'ns TYPE65535'], ['NSEC', 'ns TYPE0'], ['NSEC', 'ns BOGUS'], ['NSEC', 'ns A A'], ['NSEC', 'ns 1'],
  ['NSEC3', '1 0 10 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR'], ['NSEC3', '1 0 10 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJ'],
  ['NSEC3', '2 0 10 AABBCCDD 2T7B4G4V'], ['NSEC3', '1 0 10 AABBCCD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR'],
  ['NSEC3', '1 0 10 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR='], ['NSEC3PARAM', '1 0 10 -'], ['NSEC3PARAM', '1 0 65536 -'],
  ['NSEC3PARAM', '1 0 10 ' + 'AB'.repeat(255)], ['NSEC3PARAM', '1 0 10 ' + 'AB'.repeat(256)], ['NSEC3PARAM', '1 0 10'],
  ['RRSIG', 'A 8 2 300 20270101000000 20261101000000 12345 example.'], ['RRSIG', 'A 8 0 300 ' + SIGTAIL],
  ['RRSIG', 'A 8 2 300 20271301000000 20261101000000 12345 example. AQID'], ['RRSIG', 'A 8 2 1h ' + SIGTAIL],
  ['RRSIG', 'BOGUS 8 2 300 ' + SIGTAIL], ['RRSIG', 'TYPE999 8 2 300 ' + SIGTAIL], ['RRSIG', 'A 8 2 300 20270101000000 20261101000000 12345 x.example. AQID'],
  ['RRSIG', 'A 8 2 300 1 2 12345 example. AQID'], ['RRSIG', 'A 8 2 300 2027010100000 20261101000000 12345 example. AQID'],
  ['TLSA', '3 1 1'], ['TLSA', '3 1 1 -'], ['TLSA', '256 1 1 00'], ['TLSA', '3 1 1 0'], ['TLSA', '3 1 1 00 11'], ['TLSA', '3 1 1 GG'],
  ['DHCID', ''], ['DHCID', 'AAIB'], ['DHCID', 'AAI'], ['DHCID', 'AA=='], ['OPENPGPKEY', 'AQI='], ['OPENPGPKEY', 'AQI'], ['OPENPGPKEY', 'A'],
  ['IPSECKEY', '10 0 2 . ' + B64KEY], ['IPSECKEY', '10 0 2 .'], ['IPSECKEY', '10 1 2 192.0.2.38'], ['IPSECKEY', '10 3 2 ns ' + B64KEY],
  ['IPSECKEY', '10 2 2 2001:db8::1 ' + B64KEY], ['IPSECKEY', '10 4 2 ns ' + B64KEY], ['IPSECKEY', '10 1 2 ns ' + B64KEY],
  ['IPSECKEY', '\\# 3 0a0002'], ['HIP', '2 200100107B1A74DF365639CC39F1D578 ' + B64KEY], ['HIP', '2 2001 ' + B64KEY],
  ['HIP', '2 - ' + B64KEY], ['HIP', '2 200100107B1A74DF365639CC39F1D578'], ['CSYNC', '66 3'], ['CSYNC', '66 65536 A'],
  ['AMTRELAY', '0 0 0'], ['AMTRELAY', '0 0 0 .'], ['AMTRELAY', '0 1 1 192.0.2.1'], ['AMTRELAY', '0 2 1 192.0.2.1'], ['AMTRELAY', '0 0 4 00'],
  ['AMTRELAY', '0 0 2 2001:db8::1'], ['AMTRELAY', '0 0 3'], ['AMTRELAY', '0 0 0 ns'], ['AMTRELAY', '\\# 2 0004'],
  ['DOA', '0 1 2 "" -'], ['DOA', '0 1 2 "text/plain" AQID'], ['DOA', '0 1 2 text/plain AQID'], ['DOA', '0 1 2 ""'],
  ['SINK', '1 0 0'], ['SINK', '1 0 0 -'], ['ATMA', '39246f000e7c9c0312000100010000a1b2c3d4e5f600'], ['ATMA', '+'], ['ATMA', '+1a'],
  ['ATMA', '3924'], ['ATMA', '392'], ['ATMA', '\\# 1 00'], ['ATMA', '\\# 2 0200'], ['ATMA', '\\# 2 0161'],
  ['NXT', 'ns'], ['NXT', 'ns 1 2 127'], ['NXT', 'ns 128'], ['NXT', 'ns TYPE0'], ['NSAP', '0x'], ['NSAP', '0x4'], ['NSAP', '47'],
  ['NSAP', '0x47.0005.80'], ['EID', ''], ['EID', '0'], ['NIMLOC', 'zz'], ['NULL', 'x'], ['NULL', ''],
  ['DSYNC', 'CDS 1 5359 ns'], ['DSYNC', 'CDS NOTIFY 65536 ns'], ['DSYNC', 'BOGUS NOTIFY 1 ns'], ['DSYNC', 'CDS 2 1 ns'],
  ['TA', '1 8 1 ' + HEX32], ['DLV', '1 8 1 ' + HEX32],
  // Wire data the fuzz test found Triad and BIND judging differently (all fixed).
  ['CAA', '\\# 8 000569737375656561'], ['CAA', '\\# 8 0005697373752D61'], ['CAA', '\\# 2 0000'], ['CAA', '\\# 3 000161'],
  ['RRSIG', '\\# 27 000108020000012C6B36EC806AE681003039076578616D706C6500'],
  ['SIG', '\\# 27 000108020000012C6B36EC806AE681003039076578616D706C6500'],
  ['RRSIG', '\\# 28 000108020000012CEB36EC806AE681003039076578616D706C6500AA'],
  ['RRSIG', 'A 8 2 300 19581213204552 20261101000000 12345 example. qg=='],
  ['RRSIG', '\\# 28 000108000000012C6B36EC806AE681003039076578616D706C6500AA'],
  ['SIG', '\\# 28 000108000000012C6B36EC806AE681003039076578616D706C6500AA'],
  ['KEY', '\\# 6 C0000308AABB'], ['KEY', '\\# 4 02000308'], ['KEY', '\\# 4 C2000308'], ['DNSKEY', '\\# 4 01000308'],
  ['NXT', '\\# 2 0089'], ['NXT', '\\# 2 0040'], ['NAPTR', '\\# 19 0064000A0175074532552B7369700321612100'],
  ['LOC', '\\# 16 000216138B3CF418810CBCE0009895B8'], ['LOC', '\\# 16 000016038B7CF018810CBCE0409895B8'],
  ['CERT', '\\# 5 0003000000'], ['ATMA', '.'], ['APL', '\\# 5 0001080100'], ['APL', '\\# 4 00010800'],
  ['WKS', '\\# 5 C000020106'], ['WKS', '\\# 6 C00002010600'],
  // Types by number, and the generic form's own limits.
  ['TYPE1', '192.0.2.1'], ['TYPE1', '\\# 4 C0000201'], ['TYPE65', '1 . alpn=h2'], ['TYPE999', '\\# 1 00'], ['TYPE999', 'x'],
  ['TYPE65535', '\\# 0'], ['TYPE0', '\\# 0'], ['TYPE65536', '\\# 0'], ['A', '\\# 4 c0000201'], ['A', '\\# 04 C0000201'],
  ['A', '\\# 4 C0 00 02 01'], ['A', '\\# 4 ( C0000201 )'], ['TYPE999', '\\# 65536 00'], ['TYPE999', '\\#'], ['TYPE999', '\\# x 00'],
  ['TXT', '\\#'], ['TXT', '"\\#" 0'],
  // Maximum sizes: a 255-octet name, RDATA of 65535 octets.
  ['NS', `${'a'.repeat(63)}.${'a'.repeat(63)}.${'a'.repeat(63)}.${'b'.repeat(61)}.`],
  ['NS', `${'a'.repeat(63)}.${'a'.repeat(63)}.${'a'.repeat(63)}.${'b'.repeat(62)}.`],
  ['TXT', Array(257).fill(`"${'a'.repeat(254)}"`).join(' ') + ' "' + 'a'.repeat(254) + '"'],
  ['TXT', Array(258).fill(`"${'a'.repeat(255)}"`).join(' ')],
  // BIND's loader takes at most 65510 octets of RDATA.
  ['TXT', Array(255).fill(`"${'a'.repeat(255)}"`).join(' ') + ` "${'a'.repeat(229)}"`],
  ['TXT', Array(255).fill(`"${'a'.repeat(255)}"`).join(' ') + ` "${'a'.repeat(230)}"`],
  // A6 prefixes that do not fall on an octet boundary.
  ['A6', '95 ::111.14.49.120 ns'], ['A6', '\\# 10 5F6F0E31780320E4E900'], ['A6', '\\# 11 5F006F0E31780320E4E900'],
  ['A6', '\\# 11 5F016F0E31780320E4E900'], ['A6', '127 ::ff ns'], ['A6', '1 ffff::1 ns'], ['A6', '\\# 18 01FFFF0000000000000000000000000000000100'],
];

/** Tokens of a sample's RDATA as the zone lexer sees them. */
function tokens(rdata: string): string[] {
  const lines = lexZoneText('t', `x A ${rdata}\n`, new DiagnosticSink());
  return lines.flatMap((l) => l.tokens.slice(2).map((t) => (t.quoted ? `"${t.text}"` : t.text)));
}

/** Wire form of a sample via Triad's own parser (any wire will do: BIND judges the generic forms built from it). */
function wireOf(type: number, rdata: string): Uint8Array | undefined {
  const lines = lexZoneText('t', `x A ${rdata}\n`, new DiagnosticSink());
  const toks = lines.flatMap((l) => l.tokens.slice(2));
  try {
    return rdataFromText(type, toks, parseName('example.'));
  } catch {
    return undefined;
  }
}

function generic(w: Uint8Array): string {
  return `\\# ${w.length}${w.length ? ' ' + hexEncode(w) : ''}`;
}

export function generateCases(): EdgeCase[] {
  const out: EdgeCase[] = [];
  const seen = new Set<string>();
  const add = (type: string, rdata: string, owner = 'x'): void => {
    const soa = type === 'SOA';
    const body = `${soa ? '@' : owner} ${type}${rdata === '' ? '' : ' ' + rdata}\n`;
    const key = body;
    if (seen.has(key)) return;
    seen.add(key);
    const n = out.filter((c) => c.name.startsWith(`${type.toLowerCase()}-`)).length + 1;
    out.push({ name: `${type.toLowerCase()}-${n}`, noSoa: soa || undefined, body });
  };
  for (const [type, sample, owner] of SAMPLES) {
    const num = (T as Record<string, number>)[type];
    const toks = tokens(sample);
    add(type, sample, owner);
    add(type, '', owner);
    add(type, '\\# 0', owner);
    add(type, '\\# 1 00', owner);
    add(type, '\\# 2 0000', owner);
    add(type, `${sample} extra`, owner);
    add(type, `${sample} "extra"`, owner);
    if (toks.length > 1) add(type, toks.slice(0, -1).join(' '), owner);
    for (let i = 0; i < toks.length && i < 8; i++) {
      const t = toks[i];
      const rest = (rep: string): string => [...toks.slice(0, i), rep, ...toks.slice(i + 1)].join(' ');
      if (!t.startsWith('"')) add(type, rest(`"${t}"`), owner);
      if (/^[0-9]+$/.test(t)) {
        for (const v of ['-1', '256', '65536', '4294967296', '1x', '0x10', '010', '+1', '1.0']) add(type, rest(v), owner);
      } else if (/^[A-Za-z0-9+/]{8,}={0,2}$/.test(t) && t.length % 4 === 0) {
        add(type, rest(t.slice(0, -1)), owner); // base64 that does not end on a quantum
        add(type, rest(`${t.slice(0, 4)}!${t.slice(5)}`), owner);
      } else if (/^[0-9A-Fa-f]{6,}$/.test(t)) {
        add(type, rest(t.slice(0, -1)), owner); // odd-length hex
        add(type, rest(`${t.slice(0, -2)}GG`), owner);
      }
    }
    if (isGenericForm(tokens(sample).map((text) => ({ text, quoted: false, file: '', line: 0, col: 0 })))) continue;
    const w = num === undefined ? undefined : wireOf(num, sample);
    if (w) {
      add(type, generic(w), owner);
      for (const len of new Set([w.length - 1, Math.floor(w.length / 2), 1])) if (len > 0 && len < w.length) add(type, generic(w.subarray(0, len)), owner);
      add(type, generic(Uint8Array.from([...w, 0])), owner);
    }
  }
  for (const [type, rdata] of SPECIAL) add(type, rdata);
  // RDATA inputs (text, and wire data as \\#) from BIND's own rdata unit tests (tests/dns/rdata_test.c,
  // MPL-2.0), judged here by BIND 9.18's tools like every other case.
  const fromBind = JSON.parse(fs.readFileSync(BIND_UNIT_INPUTS, 'utf8')) as Array<[string, string]>;
  for (const [type, rdata] of fromBind) add(type, rdata);
  return out;
}

export function typeNameOf(c: EdgeCase): string {
  const m = /^\S+ (\S+)/.exec(c.body);
  return m ? m[1] : typeToText(0);
}

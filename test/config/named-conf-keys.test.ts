// `key` statements: what the parser keeps (conf.keys, conf.viewKeys) and the
// errors named-checkconf reports, with their line and column.
import t from 'tap';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { decodeBase64, keyId } from '../../src/config/named-conf-keys.js';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { compileAddressMatch } from '../../src/net/address-match.js';
import { configuredKey, servedKeys } from '../../src/dns/tsig-stage.js';

const FILE = '/etc/triad-test/named.conf';

function load(text: string, files: Record<string, string> = {}) {
  const sink = new DiagnosticSink();
  const conf = parseNamedConf(FILE, text, sink, files);
  return { conf, errors: sink.errors.map((d) => `${d.line}:${d.col} ${d.message}`), warnings: sink.warnings.map((d) => `${d.line}:${d.col} ${d.message}`) };
}

// As tsig-keygen, ddns-confgen and rndc-confgen -a write them.
const TSIG_KEYGEN = 'key "k1" {\n\talgorithm hmac-sha512;\n\tsecret "a8GJ13Xtn05gRQQzrvVpYBCxxNINUMAZGyMQJ3vwpCieZniafQLx+HcBygz1gIpPIshbR4Gf4CHylVzvBueCPg==";\n};\n';
const RNDC_KEY = 'key "rndc-key" {\n\talgorithm hmac-sha256;\n\tsecret "QHSiI80DmMqNh6OmRWsAnacrRv+hTowL7+279g3Aj+I=";\n};\n';

t.test('keys from files the BIND tools write, included', async (t) => {
  const { conf, errors, warnings } = load('include "k1.key";\ninclude "rndc.key";\noptions { allow-transfer { key k1; }; };\n', { 'k1.key': TSIG_KEYGEN, 'rndc.key': RNDC_KEY });
  t.same(errors, []);
  t.same(warnings.filter((w) => /key/i.test(w)), [], 'no warning about keys');
  const k1 = conf.keys.get('k1');
  t.equal(k1?.hmac, 'hmac-sha512');
  t.equal(k1?.secretBytes?.length, 64, 'the secret is decoded');
  t.equal(k1?.pos.file.endsWith('k1.key'), true, 'the key remembers the file it came from');
  t.equal(conf.keys.get('rndc-key')?.hmac, 'hmac-sha256');
  t.equal(conf.keys.get('rndc-key')?.digestBits, undefined, 'full-length MAC');
});

t.test('algorithms, truncation and names', async (t) => {
  const { conf, errors, warnings } = load([
    'key a { algorithm hmac-sha256-128; secret "abcd"; };',
    'key b { algorithm HMAC-MD5.SIG-ALG.REG.INT; secret "abcd"; };',
    'key c { algorithm "hmac-sha224"; secret abcd; };',
    'key d { algorithm hmac-sha1-0; secret "ab cd"; };',
    'key e { algorithm hmac-sha384; secret ""; };',
    'key "F." { algorithm hmac-md5-72; secret "abc="; };',
  ].join('\n'));
  t.same(errors, []);
  t.equal(conf.keys.get('a')?.digestBits, 128);
  t.equal(conf.keys.get('b')?.hmac, 'hmac-md5', 'the old long name of HMAC-MD5');
  t.equal(conf.keys.get('c')?.hmac, 'hmac-sha224');
  t.equal(conf.keys.get('d')?.digestBits, undefined, 'zero bits is no truncation');
  t.same([...(conf.keys.get('d')?.secretBytes ?? [])], [0x69, 0xb7, 0x1d], 'whitespace inside the base64 is skipped');
  t.equal(conf.keys.get('e')?.secretBytes?.length, 0, 'an empty secret is valid base64');
  t.ok(conf.keys.has('f'), 'key names are DNS names: no case, no trailing dot');
  t.same(warnings.filter((w) => /digest-bits/.test(w)), ["4:19 key 'd' digest-bits too small [<80]", "6:22 key 'F.' digest-bits too small [<64]"]);
});

t.test('errors as named-checkconf words them, at the token', async (t) => {
  const cases: [string, string][] = [
    ['key k1 { algorithm hmac-sha257; secret "abcd"; };', "1:20 unknown algorithm 'hmac-sha257'"],
    ['key k2 { algorithm hmac-sha256; secret "ab!cd"; };', "1:40 bad secret 'bad base64 encoding'"],
    ['key k2 { algorithm hmac-sha256; secret "abc"; };', "1:40 bad secret 'bad base64 encoding'"],
    ['key k2 { algorithm hmac-sha256; secret "ab=cd"; };', "1:40 bad secret 'bad base64 encoding'"],
    ['key k3 { algorithm hmac-sha256; };', "1:5 key 'k3' must have both 'secret' and 'algorithm' defined"],
    ['key k4 { secret "abcd"; };', "1:5 key 'k4' must have both 'secret' and 'algorithm' defined"],
    ['key k5 { algorithm hmac-sha256; secret "abcd"; };\nkey K5 { algorithm hmac-sha256; secret "abcd"; };', `2:5 key 'K5': already exists previous definition: ${FILE}:1`],
    ['key k5 { algorithm hmac-sha256; secret "abcd"; };\nkey "k5." { algorithm hmac-sha256; secret "abcd"; };', `2:5 key 'k5.': already exists previous definition: ${FILE}:1`],
    ['key k7 { algorithm hmac-sha256-127; secret "abcd"; };', "1:20 key 'k7' digest-bits not multiple of 8"],
    ['key k10 { algorithm hmac-sha1-300; secret "abcd"; };', "1:21 key 'k10' digest-bits too large [80..160]"],
    ['key k14 { algorithm hmac-sha256; secret "abcd"; secret "abcd"; };', "1:49 'secret' redefined near 'secret'"],
    ['key k16 { algorithm hmac-sha256; secret "abcd"; foo 1; };', "1:49 unknown option 'foo'"],
    ['key "bad..name" { algorithm hmac-sha256; secret "abcd"; };', "1:5 key 'bad..name': bad key name"],
    [`key "${'a'.repeat(64)}" { algorithm hmac-sha256; secret "abcd"; };`, `1:5 key '${'a'.repeat(64)}': bad key name`],
    ['key k1 { algorithm hmac-sha256; secret "abcd"; };\nview v { key k1 { algorithm hmac-sha256; secret "abcd"; }; };', `2:14 key 'k1': already exists previous definition: ${FILE}:1`],
  ];
  for (const [text, want] of cases) {
    const { errors } = load(text);
    t.same(errors, [want], text);
  }
});

t.test('keys in views are the view\'s own', async (t) => {
  const { conf, errors } = load([
    'view a { key k1 { algorithm hmac-sha256; secret "abcd"; }; zone "x" { type primary; file "x.zone"; }; };',
    'view b { key k1 { algorithm hmac-sha512; secret "abcd"; }; };',
  ].join('\n'));
  t.same(errors, [], 'the same key name in two views is fine (named-checkconf agrees)');
  t.equal(conf.viewKeys.get('a')?.get('k1')?.hmac, 'hmac-sha256');
  t.equal(conf.viewKeys.get('b')?.get('k1')?.hmac, 'hmac-sha512');
  t.equal(conf.keys.size, 0);
  t.equal(configuredKey(conf, 'K1.', 'b')?.algorithm, 'hmac-sha512', 'a view\'s key by name, for signing what that view sends');
  t.equal(configuredKey(conf, 'k1'), undefined, 'no top-level key of that name');
  t.same(servedKeys(conf).map((k) => k.algorithm), ['hmac-sha256'], 'the served (first) view\'s keys verify requests');
});

t.test('a key element in an address match list matches the signing key', async (t) => {
  const { conf, errors, warnings } = load('key k1 { algorithm hmac-sha256; secret "abcd"; };\noptions { allow-transfer { !key other; key K1.; 10.0.0.1; }; };');
  t.same(errors, []);
  t.same(warnings.filter((w) => /TSIG/.test(w)), [], 'no "not implemented" warning any more');
  const m = compileAddressMatch(conf.options.allowTransfer ?? [], { localhost: [], localnets: [], acls: new Map() });
  t.equal(m('192.0.2.1'), false, 'unsigned, not listed: denied');
  t.equal(m('192.0.2.1', 'k1'), true, 'signed with k1: allowed from anywhere');
  t.equal(m('10.0.0.1'), true, 'the address still matches');
  t.equal(m('10.0.0.1', 'other'), false, 'a negated key wins first');
  t.equal(m('192.0.2.1', 'k2'), false, 'another key does not match');
});

t.test('base64 and key ids', async (t) => {
  t.same(decodeBase64('AAEC'), Uint8Array.of(0, 1, 2));
  t.equal(decodeBase64('abcd===='), undefined);
  t.equal(decodeBase64('abcde'), undefined);
  t.equal(keyId('Rndc-Key.'), 'rndc-key');
  t.equal(keyId('.'), '.');
});

import t from 'tap';
import { RR_TYPES, T, additionalTarget, embeddedNames, rrType, typeFromText, typeToText } from '../../src/wire/rr-type.js';
import { SHAPES, codecFor } from '../../src/wire/rdata/types.js';
import { parseName } from '../../src/wire/dns-name.js';

t.test('one row per type: numbers, mnemonics and codecs agree', async (t) => {
  const codes = Object.values(RR_TYPES).map((r) => r.code);
  t.equal(new Set(codes).size, codes.length, 'no number is given twice');
  for (const [mnemonic, row] of Object.entries(RR_TYPES)) {
    t.equal(T[mnemonic as keyof typeof T], row.code);
    t.equal(typeToText(row.code), mnemonic);
    t.equal(typeFromText(mnemonic.toLowerCase()), row.code);
    t.equal(codecFor(row.code), 'codec' in row ? SHAPES[row.codec] : undefined, `${mnemonic}: its codec`);
  }
  t.equal(typeToText(54), 'TYPE54');
  t.equal(typeFromText('TYPE65535'), 65535);
  t.equal(typeFromText('TYPE65536'), undefined);
  t.equal(rrType(54), undefined);
  t.equal(rrType(T.MX)?.mnemonic, 'MX');
});

t.test('rows describe the names inside RDATA consistently', async (t) => {
  for (const [mnemonic, row] of Object.entries(RR_TYPES)) {
    const names: readonly (number | string)[] = 'names' in row ? row.names : [];
    if ('decompress' in row) t.ok(names.includes('name') && !names.includes('str'), `${mnemonic}: a decompressed type has names at fixed places`);
    if ('compress' in row) t.ok('decompress' in row, `${mnemonic}: what may be compressed is decompressed too`);
    if ('additional' in row) t.type(rrType(row.code)?.firstNameAt, 'number', `${mnemonic}: the additional target is at a fixed offset`);
  }
});

t.test('embedded names and additional targets from the rows', async (t) => {
  const ns = parseName('ns.example.');
  const hm = parseName('hm.example.');
  const soa = Uint8Array.from([...ns, ...hm, ...new Array(20).fill(0)]);
  t.same(embeddedNames(T.SOA, soa), [{ offset: 0, compress: true }, { offset: ns.length, compress: true }]);
  t.same(embeddedNames(T.MX, Uint8Array.from([0, 10, ...ns])), [{ offset: 2, compress: true }]);
  t.same(embeddedNames(T.SRV, Uint8Array.from([0, 1, 0, 2, 0, 53, ...ns])), [{ offset: 6, compress: false }]);
  t.same(embeddedNames(T.DNAME, ns), [{ offset: 0, compress: false }]);
  // NAPTR: order, preference, then three character-strings before the replacement name.
  const naptr = Uint8Array.from([0, 1, 0, 2, 1, 0x53, 0, 2, 0x61, 0x62, ...ns]);
  t.same(embeddedNames(T.NAPTR, naptr), [{ offset: 10, compress: false }]);
  t.same(embeddedNames(T.RRSIG, new Uint8Array(30)), [{ offset: 18, compress: false }]);
  t.same(embeddedNames(T.A, Uint8Array.of(192, 0, 2, 1)), []);
  t.same(embeddedNames(T.LP, Uint8Array.from([0, 10, ...ns])), [], 'LP names a locator, not a host: none');
  t.equal(additionalTarget(T.NS, ns), 0);
  t.equal(additionalTarget(T.MX, ns), 2);
  t.equal(additionalTarget(T.SRV, ns), 6);
  t.equal(additionalTarget(T.CNAME, ns), undefined);
  t.equal(additionalTarget(T.AFSDB, ns), undefined);
});

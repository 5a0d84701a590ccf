import t from 'tap';
import { plainNameFromWire, plainNameToWire } from '../../src/wire/dns-name.js';

t.test('plain names (DHCP host and domain names) to wire form and back', async (t) => {
  t.same(plainNameToWire('host.example.'), Buffer.from('\x04host\x07example\x00', 'latin1'));
  t.same(plainNameToWire('host.example'), Buffer.from('\x04host\x07example\x00', 'latin1'));
  t.same(plainNameToWire(''), Buffer.from([0]), 'the root');
  t.same(plainNameToWire('a..b'), Buffer.from('\x01a\x01b\x00', 'latin1'), 'empty labels skipped');
  t.equal(plainNameToWire(`${'x'.repeat(64)}.example`), undefined, 'label over 63 octets');
  t.equal(plainNameFromWire(Buffer.from('\x04host\x07example\x00', 'latin1')), 'host.example');
  t.equal(plainNameFromWire(Buffer.from('\x04host\x07example', 'latin1')), 'host.example', 'root label missing');
  t.equal(plainNameFromWire(Buffer.from('\x04ho', 'latin1')), undefined, 'label runs past the end');
  t.equal(plainNameFromWire(Buffer.from([64, ...Buffer.alloc(64, 0x61), 0])), undefined, 'label over 63 octets');
  t.equal(plainNameFromWire(new Uint8Array(0)), '');
});

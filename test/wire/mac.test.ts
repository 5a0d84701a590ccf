import t from 'tap';
import { formatMac, macBytes, parseMac } from '../../src/wire/mac.js';

t.test('MACs and colon hex lists', async (t) => {
  t.equal(formatMac(Uint8Array.of(0x02, 0, 0xab, 0x0c, 0xff, 1)), '02:00:ab:0c:ff:01');
  t.equal(formatMac(new Uint8Array(0)), '');
  t.equal(formatMac(Uint8Array.of(1, 2, 3)), '01:02:03', 'any length (a DHCP chaddr, option data)');
  t.same(parseMac('02:00:AB:c:ff:01'), Buffer.from([2, 0, 0xab, 0x0c, 0xff, 1]));
  t.same(parseMac('7'), Buffer.from([7]));
  for (const bad of ['', '02:00:', ':02', '02::00', '0g:00', '123:00', '02-00-00']) t.equal(parseMac(bad), undefined, `refuses '${bad}'`);
  t.same(macBytes('00:11:22:33:44:55'), Buffer.from([0, 0x11, 0x22, 0x33, 0x44, 0x55]));
  t.same(macBytes('nonsense'), Buffer.alloc(6), 'no MAC: zeros');
});

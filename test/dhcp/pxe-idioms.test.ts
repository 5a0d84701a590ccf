// The network-boot lab example (conf/examples/pxe/dhcpd.conf) decides as ISC dhcpd does,
// for the requests real boot clients send: PXE firmware (BIOS and UEFI), iPXE (which adds
// user-class "iPXE" — the loop-breaking branch), UEFI HTTP boot ("HTTPClient", answered
// with "HTTPClient" and an http:// boot file), and a client that is none of these.
// Each request carries the options its firmware sends (vendor class, option 93, 94, 55).

import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { formatIPv4 } from '../../src/config/dhcp-options.js';
import { handleRequest } from '../../src/dhcp/engine.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { IDS, LINK, engineFor, msg } from './engine-fixture.js';

const NOW = Date.UTC(2026, 0, 1);
// The example's lab link is 192.168.50.0/24; the fixture's link is 192.168.117.0/24.
const EXAMPLE = readFileSync(path.join(REPO_ROOT, 'conf/examples/pxe/dhcpd.conf'), 'utf8').replaceAll('192.168.50.', '192.168.117.');

const text = (code: number, s: string): number[] => [code, s.length, ...Buffer.from(s, 'latin1')];
const arch = (n: number): number[] => [93, 2, n >> 8, n & 0xff];
// What iPXE 1.0 (Debian's ipxe-qemu ROM) asks for, as captured from it.
const PXE_PRL = [55, 23, 1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203];

function offer(mac: string, opts: number[][]): { file: string; siaddr: string; vendor?: string; yiaddr: string } {
  const d = handleRequest(st, msg(mac, 1, opts), LINK, NOW, IDS);
  const p = d.reply!.packet;
  return { file: p.file.toString('latin1').replace(/\0+$/, ''), siaddr: formatIPv4(p.siaddr), vendor: p.options.get(60)?.toString('latin1'), yiaddr: formatIPv4(p.yiaddr) };
}

const st = engineFor(EXAMPLE);

t.test('PXE firmware: BIOS gets undionly.kpxe, UEFI gets ipxe.efi, both from next-server', async (t) => {
  const bios = offer('02:00:00:00:50:01', [text(60, 'PXEClient:Arch:00000:UNDI:002001'), arch(0), [94, 3, 1, 2, 1], PXE_PRL]);
  t.equal(bios.file, 'undionly.kpxe');
  t.equal(bios.siaddr, '192.168.117.1', 'next-server in siaddr');
  t.match(bios.yiaddr, /^192\.168\.117\.1\d\d$/);
  const efi = offer('02:00:00:00:50:02', [text(60, 'PXEClient:Arch:00007:UNDI:003016'), arch(7), [94, 3, 1, 3, 16], PXE_PRL]);
  t.equal(efi.file, 'ipxe.efi', 'arch 00:07');
  t.equal(offer('02:00:00:00:50:03', [text(60, 'PXEClient:Arch:00009:UNDI:003016'), arch(9), PXE_PRL]).file, 'ipxe.efi', 'arch 00:09');
  t.equal(offer('02:00:00:00:50:04', [text(60, 'PXEClient:Arch:00000:UNDI:002001'), PXE_PRL]).file, 'undionly.kpxe', 'no option 93: the else branch');
  t.equal(bios.vendor, undefined, 'no vendor class is sent back unless configured');
});

t.test('iPXE (user-class "iPXE") gets its script over HTTP: the chain-load loop is broken', async (t) => {
  const ipxe = offer('02:00:00:00:50:11', [text(60, 'PXEClient:Arch:00000:UNDI:002001'), text(77, 'iPXE'), arch(0), PXE_PRL]);
  t.equal(ipxe.file, 'http://192.168.117.1:8080/boot.ipxe');
  t.equal(ipxe.siaddr, '192.168.117.1');
  const efi = offer('02:00:00:00:50:12', [text(60, 'PXEClient:Arch:00007:UNDI:003016'), text(77, 'iPXE'), arch(7), PXE_PRL]);
  t.equal(efi.file, 'http://192.168.117.1:8080/boot.ipxe', 'iPXE on UEFI too: the user-class test comes first');
  const other = offer('02:00:00:00:50:13', [text(60, 'PXEClient:Arch:00000:UNDI:002001'), text(77, 'gPXE'), arch(0), PXE_PRL]);
  t.equal(other.file, 'undionly.kpxe', 'another user class is not iPXE');
});

t.test('UEFI HTTP boot: "HTTPClient" is answered with "HTTPClient" and an http:// boot file', async (t) => {
  // EDK2's HTTP boot driver (HttpBootDhcp4.c) asks for these 27, one of them left 0.
  const prl = [55, 27, 1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58, 59, 60, 0, 67, 97];
  const http = offer('02:00:00:00:50:21', [text(60, 'HTTPClient:Arch:00016:UNDI:003001'), arch(16), [94, 3, 1, 3, 1], prl]);
  t.equal(http.file, 'http://192.168.117.1:8080/ipxe.efi');
  t.equal(http.vendor, 'HTTPClient', 'option 60 names HTTPClient, or the firmware ignores the offer');
});

t.test('a client that does not network-boot gets an address and no boot file', async (t) => {
  const plain = offer('02:00:00:00:50:31', [[55, 4, 1, 3, 6, 15]]);
  t.equal(plain.file, '');
  t.equal(plain.siaddr, '0.0.0.0', 'no next-server outside the PXE class');
  t.match(plain.yiaddr, /^192\.168\.117\.1\d\d$/);
});

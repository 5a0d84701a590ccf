// proxyDHCP decisions and its configuration file, without sockets: who is answered,
// with which boot file, and what a proxy offer and a boot-server ACK carry.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { parsePxeProxyConf, type PxeProxyConf } from '../../src/config/pxe-proxy-conf.js';
import { BOOTREPLY, MsgType, OPT, cString, decodePacket, emptyPacket, encodePacket, type DhcpPacket } from '../../src/dhcp/packet.js';
import { decideProxy } from '../../src/dhcp/proxy.js';
import { REPO_ROOT } from '../helpers/paths.js';

const SERVER = 0x0a000102; // 10.0.1.2

function conf(text: string): { conf: PxeProxyConf; sink: DiagnosticSink } {
  const sink = new DiagnosticSink();
  return { conf: parsePxeProxyConf('pxe-proxy.conf', text, sink), sink };
}

const LAB = conf(`# a lab behind a router that runs DHCP
dhcp-range=10.0.1.0,proxy,255.255.255.0
dhcp-userclass=set:ipxe,iPXE
pxe-service=x86PC,"Network boot",undionly.kpxe
pxe-service=X86-64_EFI,"UEFI boot",ipxe.efi,10.0.1.9
dhcp-boot=tag:ipxe,http://10.0.1.2/boot.ipxe
dhcp-boot=pxelinux.0,bootsrv
`).conf;

function request(type: number, extra: Record<number, Buffer> = {}): DhcpPacket {
  const p = emptyPacket();
  p.xid = 0x1234abcd;
  p.flags = 0x8000;
  Buffer.from([2, 0, 0, 0, 0, 7]).copy(p.chaddr);
  p.options.set(OPT.MESSAGE_TYPE, Buffer.from([type]));
  p.options.set(OPT.VENDOR_CLASS, Buffer.from('PXEClient:Arch:00000:UNDI:002001'));
  for (const [k, v] of Object.entries(extra)) p.options.set(Number(k), v);
  // Through the codec, as from the wire.
  return decodePacket(encodePacket(p, { order: [...p.options.keys()] }));
}
const arch = (n: number): Buffer => Buffer.from([n >> 8, n & 255]);

t.test('configuration: dnsmasq lines read, mistakes at file:line:col', async (t) => {
  t.same(LAB.ranges.map((r) => [r.network, r.prefixLen]), [[0x0a000100, 24]]);
  t.equal(LAB.services.length, 2);
  t.equal(LAB.services[0].file, 'undionly.kpxe');
  t.equal(conf('dhcp-range=10.0.0.0,proxy\npxe-service=x86PC,"Boot, BIOS",pxelinux').conf.services[0].file, 'pxelinux.0', 'BIOS basename gets its .0 as in dnsmasq');
  const bad = conf('dhcp-range=10.0.0.0,10.0.0.50,10.0.0.99\npxe-service=Amiga,"x",a.0\ndhcp-boot=x,y,not-an-ip\nbogus=1\n').sink;
  t.same(bad.errors.map((d) => [d.line, d.col]), [[1, 21], [2, 13], [3, 15], [4, 1], [1, 1]]);
  t.match(bad.errors[0].message, /proxy/);
  t.match(bad.errors[3].message, /bogus: not a proxyDHCP setting/);
  t.ok(conf('dhcp-range=10.0.0.0,proxy\n').sink.errors.some((d) => /no boot file/.test(d.message)), 'a file without a boot file is an error');
});

t.test('a BIOS PXE DISCOVER on port 67 gets a proxy offer', async (t) => {
  const d = decideProxy(LAB, request(MsgType.DISCOVER, { 93: arch(0), 97: Buffer.from([0, ...Array(16).keys()]) }), 'dhcp', SERVER);
  if (!d.answer) return t.fail(d.reason);
  const p = decodePacket(encodePacket(d.packet, { order: d.order }));
  t.equal(p.op, BOOTREPLY);
  t.equal(p.xid, 0x1234abcd);
  t.equal(p.flags, 0x8000);
  t.equal(p.yiaddr, 0, 'no address: that is the router\'s DHCP server\'s to give');
  t.equal(p.siaddr, SERVER, 'next-server: this server');
  t.equal(cString(p.file), 'undionly.kpxe');
  t.equal(p.options.get(OPT.MESSAGE_TYPE)?.[0], MsgType.OFFER);
  t.equal(p.options.get(OPT.VENDOR_CLASS)?.toString(), 'PXEClient');
  t.equal(p.options.get(OPT.SERVER_ID)?.readUInt32BE(0), SERVER);
  t.same([...(p.options.get(43) ?? [])], [6, 1, 8, 255], 'PXE discovery control: boot the file in this packet');
  t.same([...(p.options.get(97) ?? [])], [0, ...Array(16).keys()], 'the client GUID comes back');
  t.same(d.dest, { kind: 'broadcast' });
  t.same(p.chaddr.subarray(0, 6), Buffer.from([2, 0, 0, 0, 0, 7]));
});

t.test('the file follows the architecture, tags and the boot server of the line', async (t) => {
  const efi = decideProxy(LAB, request(MsgType.DISCOVER, { 93: arch(7) }), 'dhcp', SERVER);
  t.ok(efi.answer && efi.file === 'ipxe.efi' && efi.packet.siaddr === 0x0a000109, 'UEFI x64: ipxe.efi from 10.0.1.9');
  const ipxe = decideProxy(LAB, request(MsgType.DISCOVER, { 93: arch(0), 77: Buffer.from('iPXE') }), 'dhcp', SERVER);
  t.ok(ipxe.answer && ipxe.file === 'undionly.kpxe', 'a pxe-service for the architecture comes before dhcp-boot');
  const arm = decideProxy(LAB, request(MsgType.DISCOVER, { 93: arch(11), 77: Buffer.from('iPXE') }), 'dhcp', SERVER);
  t.ok(arm.answer && arm.file === 'http://10.0.1.2/boot.ipxe' && arm.tags.includes('ipxe'), 'the tagged dhcp-boot wins for iPXE');
  const plain = decideProxy(LAB, request(MsgType.DISCOVER, { 93: arch(11) }), 'dhcp', SERVER);
  t.ok(plain.answer && plain.file === 'pxelinux.0' && cString(plain.packet.sname) === 'bootsrv', 'untagged dhcp-boot with its server name');
});

t.test('who is not answered', async (t) => {
  const notPxe = request(MsgType.DISCOVER);
  notPxe.options.set(OPT.VENDOR_CLASS, Buffer.from('MSFT 5.0'));
  t.match(decideProxy(LAB, notPxe, 'dhcp', SERVER), { answer: false, reason: 'not a PXE client' });
  const none = request(MsgType.DISCOVER);
  none.options.delete(OPT.VENDOR_CLASS);
  t.match(decideProxy(LAB, none, 'dhcp', SERVER), { answer: false });
  t.match(decideProxy(LAB, request(MsgType.REQUEST), 'dhcp', SERVER), { answer: false }, 'a REQUEST on 67 is the real server\'s');
  t.match(decideProxy(LAB, request(MsgType.DISCOVER), 'boot-server', SERVER), { answer: false }, 'a DISCOVER on 4011 is not answered');
  const reply = request(MsgType.DISCOVER);
  reply.op = BOOTREPLY;
  t.match(decideProxy(LAB, reply, 'dhcp', SERVER), { answer: false });
  const noFile = conf('dhcp-range=10.0.0.0,proxy\npxe-service=x86PC,"x",a.0\n').conf;
  t.match(decideProxy(noFile, request(MsgType.DISCOVER, { 93: arch(7) }), 'dhcp', SERVER), { answer: false, reason: /no boot file for architecture 7/ });
});

t.test('a REQUEST to port 4011 gets an ACK with the boot file, back to its sender', async (t) => {
  const req = request(MsgType.REQUEST, { 93: arch(0) });
  req.ciaddr = 0x0a000164;
  const d = decideProxy(LAB, req, 'boot-server', SERVER);
  if (!d.answer) return t.fail(d.reason);
  t.equal(d.packet.options.get(OPT.MESSAGE_TYPE)?.[0], MsgType.ACK);
  t.equal(d.packet.ciaddr, 0x0a000164);
  t.equal(d.packet.yiaddr, 0);
  t.equal(cString(d.packet.file), 'undionly.kpxe');
  t.same(d.dest, { kind: 'source' });
  const relayed = request(MsgType.DISCOVER);
  relayed.giaddr = 0x0a000201;
  t.same((decideProxy(LAB, relayed, 'dhcp', SERVER) as { dest: unknown }).dest, { kind: 'relay', ip: 0x0a000201 });
});

t.test('the example in conf/examples reads without a diagnostic and breaks the iPXE loop', async (t) => {
  const file = path.join(REPO_ROOT, 'conf', 'examples', 'pxe-proxy', 'pxe-proxy.conf');
  const ex = conf(readFileSync(file, 'utf8'));
  t.same(ex.sink.items, []);
  const rom = decideProxy(ex.conf, request(MsgType.DISCOVER, { 93: arch(7) }), 'dhcp', SERVER);
  t.ok(rom.answer && rom.file === 'ipxe.efi', 'the UEFI ROM gets iPXE');
  const ipxe = decideProxy(ex.conf, request(MsgType.DISCOVER, { 93: arch(7), 77: Buffer.from('iPXE') }), 'dhcp', SERVER);
  t.ok(ipxe.answer && ipxe.file === 'http://192.168.1.5/boot.ipxe', 'iPXE gets its script');
});

t.test('triad check reads pxe-proxy.conf through the service list', async (t) => {
  const { pxeProxyDefinition } = await import('../../src/dhcp/proxy-definition.js');
  const file = path.join(REPO_ROOT, 'conf', 'examples', 'pxe-proxy', 'pxe-proxy.conf');
  const ok = await pxeProxyDefinition.check(file, {} as never);
  t.same(ok.diagnostics, []);
  t.match(ok.info, [/pxe-proxy: boot answers on 192\.168\.1\.0\/24 \(4 boot file lines\)/]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-pxe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = path.join(dir, 'pxe-proxy.conf');
  writeFileSync(bad, 'dhcp-range=10.0.0.0,proxy\npxe-prompt="Press F8",5\npxe-service=x86PC,"x",a.0\n');
  const r = await pxeProxyDefinition.check(bad, {} as never);
  t.match(r.diagnostics, [{ file: bad, line: 2, col: 1, severity: 'error', message: /pxe-prompt: not a proxyDHCP setting/ }]);
  t.same(r.info, []);
});

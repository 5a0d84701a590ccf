// A PXE-like client for the proxyDHCP namespace test, run inside the client namespace
// (`ip netns exec NS node dist/test/dhcp/pxe-client.js IFACE`): what a PXE ROM does,
// built with Triad's DHCP codec over a real UDP socket. It broadcasts a DHCPDISCOVER with
// vendor class PXEClient, collects the offers (the router's address offer and the proxy
// offer), takes the address with a DHCPREQUEST, configures it, asks the proxy's port 4011
// for the boot file, and prints what it saw as one JSON line. A second DISCOVER without
// PXEClient shows who answers an ordinary client.
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { BOOTREPLY, MsgType, OPT, cString, decodePacket, emptyPacket, encodePacket, type DhcpPacket } from '../../src/dhcp/packet.js';
import { formatIPv4 } from '../../src/wire/ipv4.js';

const iface = process.argv[2] ?? 'eth0';
const MAC = Buffer.from([0x02, 0x50, 0x58, 0x45, 0x00, 0x01]);

interface Seen {
  type: number;
  yiaddr: string;
  siaddr: string;
  serverId: string;
  vendor: string;
  file: string;
  option43: number[];
  guid: number[];
  xid: number;
}

const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
const got: Seen[] = [];
sock.on('message', (msg) => {
  let p: DhcpPacket;
  try {
    p = decodePacket(msg);
  } catch {
    return;
  }
  if (p.op !== BOOTREPLY || !p.chaddr.subarray(0, 6).equals(MAC)) return;
  got.push({
    type: p.options.get(OPT.MESSAGE_TYPE)?.[0] ?? 0,
    yiaddr: formatIPv4(p.yiaddr),
    siaddr: formatIPv4(p.siaddr),
    serverId: p.options.has(OPT.SERVER_ID) ? formatIPv4(p.options.get(OPT.SERVER_ID)!.readUInt32BE(0)) : '',
    vendor: p.options.get(OPT.VENDOR_CLASS)?.toString('latin1') ?? '',
    file: cString(p.file),
    option43: [...(p.options.get(43) ?? [])],
    guid: [...(p.options.get(97) ?? [])],
    xid: p.xid,
  });
});

function packet(type: number, xid: number, pxe: boolean, extra: [number, Buffer][] = []): Buffer {
  const p = emptyPacket();
  p.xid = xid;
  p.flags = 0x8000; // broadcast replies: this socket has no address yet
  MAC.copy(p.chaddr);
  p.options.set(OPT.MESSAGE_TYPE, Buffer.from([type]));
  if (pxe) {
    p.options.set(OPT.VENDOR_CLASS, Buffer.from('PXEClient:Arch:00000:UNDI:002001'));
    p.options.set(93, Buffer.from([0, 0]));
    p.options.set(97, Buffer.from([0, ...Array.from({ length: 16 }, (_, i) => 0xa0 + i)]));
  } else p.options.set(OPT.VENDOR_CLASS, Buffer.from('MSFT 5.0'));
  for (const [k, v] of extra) p.options.set(k, v);
  p.options.set(OPT.PRL, Buffer.from([1, 3, 43, 60, 66, 67]));
  return encodePacket(p, { order: [...p.options.keys()] });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const send = (b: Buffer, port: number, ip: string): Promise<void> => new Promise((r, j) => sock.send(b, port, ip, (e) => (e ? j(e) : r())));
const ip4 = (s: string): Buffer => Buffer.from(s.split('.').map(Number));

async function discover(xid: number, pxe: boolean): Promise<Seen[]> {
  // Retries as a ROM does (the bridge port may still be learning).
  for (let i = 0; i < 8; i++) {
    await send(packet(MsgType.DISCOVER, xid, pxe), 67, '255.255.255.255');
    await sleep(1000);
    const offers = got.filter((g) => g.xid === xid && g.type === MsgType.OFFER);
    const address = offers.some((o) => o.yiaddr !== '0.0.0.0');
    const proxied = offers.some((o) => o.yiaddr === '0.0.0.0');
    if (address && (proxied || !pxe)) {
      await sleep(500); // late offers still count
      return got.filter((g) => g.xid === xid && g.type === MsgType.OFFER);
    }
  }
  return got.filter((g) => g.xid === xid && g.type === MsgType.OFFER);
}

await new Promise<void>((r) => sock.bind(68, '0.0.0.0', () => r()));
sock.setBroadcast(true);
const result: Record<string, unknown> = {};
const offers = await discover(0x50584501, true);
result.offers = offers;
const address = offers.find((o) => o.yiaddr !== '0.0.0.0');
const proxy = offers.find((o) => o.yiaddr === '0.0.0.0' && o.vendor === 'PXEClient');
if (address) {
  await send(packet(MsgType.REQUEST, 0x50584502, true, [[50, ip4(address.yiaddr)], [OPT.SERVER_ID, ip4(address.serverId)]]), 67, '255.255.255.255');
  for (let i = 0; i < 50 && !got.some((g) => g.xid === 0x50584502 && g.type === MsgType.ACK); i++) await sleep(100);
  const ack = got.find((g) => g.xid === 0x50584502 && g.type === MsgType.ACK);
  result.ack = ack;
  if (ack) {
    execFileSync('ip', ['addr', 'add', `${ack.yiaddr}/24`, 'dev', iface]);
    if (proxy) {
      // PXE 2.1 §2.2.4: the boot-server request goes to the proxy's port 4011.
      const req = packet(MsgType.REQUEST, 0x50584503, true);
      const p = decodePacket(req);
      p.ciaddr = ack.yiaddr.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);
      p.flags = 0;
      await send(encodePacket(p, { order: [...p.options.keys()] }), 4011, proxy.serverId);
      for (let i = 0; i < 30 && !got.some((g) => g.xid === 0x50584503); i++) await sleep(100);
      result.bootAck = got.find((g) => g.xid === 0x50584503);
    }
  }
}
result.plainOffers = await discover(0x50584504, false);
process.stdout.write(JSON.stringify(result) + '\n');
sock.close();

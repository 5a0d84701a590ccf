// The soak test's evidence readers: DHCPACKs from a capture, leases from a lease file.
import t from 'tap';
import { acksFromPcap, leasesFromFile } from './evidence.js';

/** An Ethernet/IPv4/UDP frame from port 67 carrying a BOOTREPLY of DHCP type `type` for `yiaddr`/`mac`. */
function frame(type: number, yiaddr: number[], mac: number[], srcPort = 67): Buffer {
  const bootp = Buffer.alloc(244);
  bootp[0] = 2;
  bootp[1] = 1;
  bootp[2] = 6;
  Buffer.from(yiaddr).copy(bootp, 16);
  Buffer.from(mac).copy(bootp, 28);
  bootp.writeUInt32BE(0x63825363, 236);
  Buffer.from([53, 1, type, 255]).copy(bootp, 240);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(srcPort, 0);
  udp.writeUInt16BE(68, 2);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip[9] = 17;
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([eth, ip, udp, bootp]);
}

function pcap(frames: Buffer[], cutLast = false): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt32LE(1, 20);
  const recs = frames.map((f, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1000 + i, 0);
    r.writeUInt32LE(500_000, 4);
    r.writeUInt32LE(f.length, 8);
    r.writeUInt32LE(f.length, 12);
    return Buffer.concat([r, f]);
  });
  const all = Buffer.concat([head, ...recs]);
  return cutLast ? all.subarray(0, all.length - 10) : all;
}

t.test('ACKs from a capture: the last ACK per address, offers, NAKs, zero yiaddr and other ports left out', async (t) => {
  const m1 = [2, 0, 0, 0, 0, 1];
  const m2 = [2, 0, 0, 0, 0, 2];
  const acks = acksFromPcap(
    pcap([
      frame(2, [10, 0, 0, 9], m1), // offer
      frame(5, [10, 0, 0, 5], m1),
      frame(6, [0, 0, 0, 0], m2), // NAK
      frame(5, [0, 0, 0, 0], m2), // ACK to an INFORM
      frame(5, [10, 0, 0, 5], m2),
      frame(5, [10, 0, 0, 7], m1, 1067),
      frame(5, [10, 0, 0, 8], m1),
    ], true),
  );
  t.same([...acks.keys()], ['10.0.0.5'], 'one address; the record cut by the capture end is not read');
  t.same(acks.get('10.0.0.5'), { mac: '02:00:00:00:00:02', ms: 1004_500 }, 'the last client and its capture time');
  t.equal(acksFromPcap(Buffer.alloc(0)).size, 0, 'an empty capture');
});

t.test('leases from a lease file: the last record of each address', async (t) => {
  const text = `lease 10.0.0.5 {\n  starts 3 2026/12/01 00:00:00;\n  binding state active;\n  next binding state free;\n  hardware ethernet 02:00:00:00:00:0A;\n}\nlease 10.0.0.6 {\n  next binding state free;\n  binding state active;\n  hardware ethernet 02:00:00:00:00:0b;\n}\nlease 10.0.0.5 {\n  binding state free;\n  hardware ethernet 02:00:00:00:00:0a;\n}\n`;
  const l = leasesFromFile(text);
  t.same(l.get('10.0.0.5'), { state: 'free', mac: '02:00:00:00:00:0a' }, 'a later record replaces an earlier one');
  t.same(l.get('10.0.0.6'), { state: 'active', mac: '02:00:00:00:00:0b' }, '"next binding state" is not the state');
  t.equal(l.get('10.0.0.7'), undefined);
});

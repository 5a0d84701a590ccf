// What the soak test reads its evidence from: the DHCP replies Triad put on the wire
// (a tcpdump capture) and the lease file. Pure functions, tested in evidence.test.ts.

/** DHCPACKs with a non-zero yiaddr in a pcap file (Ethernet, IPv4, UDP from port 67): address → client hardware address and capture time (ms), the last one. */
export function acksFromPcap(buf: Buffer): Map<string, { mac: string; ms: number }> {
  const acks = new Map<string, { mac: string; ms: number }>();
  if (buf.length < 24) return acks;
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  if (u32(20) !== 1) throw new Error(`capture link type ${u32(20)} is not Ethernet`);
  let o = 24;
  while (o + 16 <= buf.length) {
    const incl = u32(o + 8);
    const ms = u32(o) * 1000 + Math.floor(u32(o + 4) / (magic === 0xa1b23c4d || magic === 0x4d3cb2a1 ? 1e6 : 1e3));
    const p = o + 16;
    o = p + incl;
    if (o > buf.length) break; // a record cut by the capture's end
    if (buf.readUInt16BE(p + 12) !== 0x0800) continue;
    const ip = p + 14;
    if (buf[ip + 9] !== 17) continue;
    const udp = ip + (buf[ip] & 15) * 4;
    if (buf.readUInt16BE(udp) !== 67) continue;
    const b = udp + 8;
    if (b + 240 > o || buf[b] !== 2) continue;
    let q = b + 240;
    let type = 0;
    while (q < o && buf[q] !== 255) {
      if (buf[q] === 0) {
        q++;
        continue;
      }
      if (buf[q] === 53) type = buf[q + 2];
      q += 2 + buf[q + 1];
    }
    if (type !== 5) continue;
    const yi = [...buf.subarray(b + 16, b + 20)].join('.');
    if (yi === '0.0.0.0') continue;
    const mac = [...buf.subarray(b + 28, b + 28 + Math.min(16, buf[b + 2]))].map((x) => x.toString(16).padStart(2, '0')).join(':');
    acks.set(yi, { mac, ms });
  }
  return acks;
}

/** The last record of each address in an ISC-format lease file: binding state and hardware address. */
export function leasesFromFile(text: string): Map<string, { state: string; mac: string }> {
  const out = new Map<string, { state: string; mac: string }>();
  for (const m of text.matchAll(/^lease (\d+\.\d+\.\d+\.\d+) \{([^}]*)\}/gm)) {
    const state = /^\s*binding state (\w+);/m.exec(m[2])?.[1] ?? '?';
    const mac = /hardware ethernet ([0-9a-f:]+);/i.exec(m[2])?.[1]?.toLowerCase() ?? '';
    out.set(m[1], { state, mac });
  }
  return out;
}

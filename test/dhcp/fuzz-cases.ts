// Malformed DHCP messages for the fuzz test and codec tests: truncations, bad option
// lengths, overload loops, bad cookies, random bytes — from a seeded generator.

import { BOOTREQUEST, MAGIC_COOKIE } from '../../src/dhcp/packet.js';

/** xorshift32: reproducible without a dependency. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

export function validDiscover(mac: number[], opts: number[][] = []): Buffer {
  const b = Buffer.alloc(240);
  b[0] = BOOTREQUEST;
  b[1] = 1;
  b[2] = 6;
  b.writeUInt32BE(0x12345678, 4);
  Buffer.from(mac).copy(b, 28);
  b.writeUInt32BE(MAGIC_COOKIE, 236);
  const o: number[] = [53, 1, 1, ...opts.flat(), 255];
  return Buffer.concat([b, Buffer.from(o)]);
}

export function fuzzCase(r: () => number, i: number): Buffer {
  const byte = (): number => Math.floor(r() * 256);
  const mac = [0x02, 0xfa, 0x22, byte(), byte(), byte()];
  const base = validDiscover(mac, [[61, 7, 1, ...mac], [55, 4, 1, 3, 6, 15]]);
  switch (i % 12) {
    case 0: // truncated anywhere
      return base.subarray(0, Math.floor(r() * base.length));
    case 1: // option length running past the end
      return Buffer.concat([base.subarray(0, 240), Buffer.from([53, 1, 1, 61, 200, 1, 2, 3])]);
    case 2: // overload pointing at file/sname that overload again (a loop)
    {
      const b = Buffer.from(base);
      b.fill(0, 44, 236);
      Buffer.from([52, 1, 3, 255]).copy(b, 108); // file: overload again
      Buffer.from([52, 1, 3, 255]).copy(b, 44); // sname: overload again
      return Buffer.concat([b.subarray(0, 240), Buffer.from([52, 1, 3, 53, 1, 1, 255])]);
    }
    case 3: // bad overload values / lengths
      return Buffer.concat([base.subarray(0, 240), Buffer.from([52, byte() % 3, byte(), 53, 1, 3, 255])]);
    case 4: // random bytes after a valid header
      return Buffer.concat([base.subarray(0, 240), Buffer.from(Array.from({ length: Math.floor(r() * 400) }, byte))]);
    case 5: // totally random
      return Buffer.from(Array.from({ length: Math.floor(r() * 700) }, byte));
    case 6: // hlen > 16, bad op, bad htype
    {
      const b = Buffer.from(base);
      b[2] = 16 + (byte() % 240);
      if (r() < 0.5) b[0] = byte();
      return b;
    }
    case 7: // message type with wrong length, zero-length options
      return Buffer.concat([base.subarray(0, 240), Buffer.from([53, 0, 61, 0, 50, 0, 54, 0, 55, 0, 57, 0, 82, 0, 255])]);
    case 8: // REQUEST with garbage server id / requested address and a fake ciaddr
    {
      const b = Buffer.concat([base.subarray(0, 240), Buffer.from([53, 1, 3, 54, 4, byte(), byte(), byte(), byte(), 50, 4, 192, 168, 117, byte(), 255])]);
      if (r() < 0.5) b.writeUInt32BE((0xc0a87500 | byte()) >>> 0, 12);
      return b;
    }
    case 9: // PAD flood with no END, option 82 with broken sub-options, long option split
      return Buffer.concat([base.subarray(0, 240), Buffer.alloc(Math.floor(r() * 300)), Buffer.from([53, 1, 1, 82, 6, 1, 9, 1, 2, 3, 4, 61, 255, ...Array.from({ length: 255 }, byte), 61, 3, 1, 2, 3])]);
    case 10: // each message type with random giaddr (relayed)
    {
      const b = Buffer.from(base);
      b[242] = 1 + (byte() % 10);
      b.writeUInt32BE((byte() << 24) >>> 0, 24);
      return b;
    }
    default: // bit flips of a valid packet
    {
      const b = Buffer.from(base);
      for (let k = 0; k < 1 + (byte() % 8); k++) b[Math.floor(r() * b.length)] ^= 1 << (byte() % 8);
      return b;
    }
  }
}

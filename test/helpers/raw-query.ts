// A DNS query as raw bytes, built without src/'s encoder: RD set, one question
// (class IN), and an OPT record advertising 1232 octets (RFC 6891). No TSIG.
import { parseName } from '../../src/wire/dns-name.js';

export function rawQuery(name: string, type = 1, id = 0x1234): Uint8Array {
  const qn = parseName(name);
  const b = Buffer.alloc(12 + qn.length + 4 + 11);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(0x0100, 2);
  b.writeUInt16BE(1, 4);
  b.writeUInt16BE(1, 10);
  b.set(qn, 12);
  b.writeUInt16BE(type, 12 + qn.length);
  b.writeUInt16BE(1, 14 + qn.length);
  const o = 16 + qn.length;
  b[o] = 0; // the OPT's owner: the root
  b.writeUInt16BE(41, o + 1);
  b.writeUInt16BE(1232, o + 3);
  return b;
}

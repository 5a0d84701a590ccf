// TFTP packets (RFC 1350 §5, options RFC 2347 §2): decoding that never throws on bad
// input (a malformed packet is a reason, not an exception) and encoding.

export const OP = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;

/** RFC 1350 §5 error codes, 8 from RFC 2347. */
export const ERR = {
  UNDEFINED: 0,
  NOT_FOUND: 1,
  ACCESS: 2,
  DISK_FULL: 3,
  ILLEGAL_OP: 4,
  UNKNOWN_TID: 5,
  EXISTS: 6,
  NO_USER: 7,
  OPTIONS: 8,
} as const;

export type TftpMode = 'octet' | 'netascii';

export type TftpPacket =
  | { op: 1 | 2; filename: string; mode: TftpMode; options: Map<string, string>; optionOrder: string[] }
  | { op: 3; block: number; data: Buffer }
  | { op: 4; block: number }
  | { op: 5; code: number; message: string }
  | { op: 6; options: Map<string, string> };

/** Names and option values longer than this are refused (the request fits one 512-octet packet). */
const MAX_STRING = 512;

function strings(buf: Buffer, from: number): string[] | undefined {
  const out: string[] = [];
  let i = from;
  while (i < buf.length) {
    const z = buf.indexOf(0, i);
    if (z < 0) return undefined; // not NUL-terminated: truncated
    if (z - i > MAX_STRING) return undefined;
    out.push(buf.toString('latin1', i, z));
    i = z + 1;
  }
  return out;
}

/** Decodes one packet; a string saying why when it is malformed. */
export function decodePacket(buf: Buffer): TftpPacket | string {
  if (buf.length < 4) return 'packet shorter than 4 octets';
  const op = buf.readUInt16BE(0);
  switch (op) {
    case OP.RRQ:
    case OP.WRQ: {
      const s = strings(buf, 2);
      if (!s || s.length < 2) return 'request without a NUL-terminated file name and mode';
      if (s[0] === '') return 'empty file name';
      const mode = s[1].toLowerCase();
      if (mode !== 'octet' && mode !== 'netascii') return `transfer mode '${s[1]}' is not supported`;
      if ((s.length - 2) % 2 !== 0) return 'option without a value';
      const options = new Map<string, string>();
      const optionOrder: string[] = [];
      for (let i = 2; i < s.length; i += 2) {
        const k = s[i].toLowerCase();
        if (k === '' || options.has(k)) continue; // RFC 2347: names are case-insensitive; the first one counts
        options.set(k, s[i + 1]);
        optionOrder.push(k);
      }
      return { op, filename: s[0], mode, options, optionOrder };
    }
    case OP.DATA:
      return { op, block: buf.readUInt16BE(2), data: buf.subarray(4) };
    case OP.ACK:
      if (buf.length !== 4) return 'ACK of wrong length';
      return { op, block: buf.readUInt16BE(2) };
    case OP.ERROR: {
      const z = buf.indexOf(0, 4);
      return { op, code: buf.readUInt16BE(2), message: buf.toString('latin1', 4, z < 0 ? buf.length : z) };
    }
    case OP.OACK: {
      const s = strings(buf, 2) ?? [];
      const options = new Map<string, string>();
      for (let i = 0; i + 1 < s.length; i += 2) options.set(s[i].toLowerCase(), s[i + 1]);
      return { op, options };
    }
    default:
      return `unknown opcode ${op}`;
  }
}

export function encodeRequest(op: 1 | 2, filename: string, mode: TftpMode, options: Record<string, string> = {}): Buffer {
  const parts = [filename, mode, ...Object.entries(options).flat()].map((s) => Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from([0])]));
  return Buffer.concat([u16(op), ...parts]);
}

export function encodeData(block: number, data: Buffer): Buffer {
  return Buffer.concat([u16(OP.DATA), u16(block & 0xffff), data]);
}

export function encodeAck(block: number): Buffer {
  return Buffer.concat([u16(OP.ACK), u16(block & 0xffff)]);
}

export function encodeError(code: number, message: string): Buffer {
  return Buffer.concat([u16(OP.ERROR), u16(code), Buffer.from(message, 'latin1'), Buffer.from([0])]);
}

export function encodeOack(options: Map<string, string>): Buffer {
  const parts: Buffer[] = [u16(OP.OACK)];
  for (const [k, v] of options) parts.push(Buffer.from(`${k}\0${v}\0`, 'latin1'));
  return Buffer.concat(parts);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

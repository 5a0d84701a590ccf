// RFC 2136 UPDATE messages as a client builds them: the zone section, prerequisites
// and updates, each a record whose class and TTL carry the meaning (§2.4, §2.5).
// Names are written uncompressed; the answer is read for its ID and RCODE only.

import { parseName } from './dns-name.js';
import { CLASS_ANY, CLASS_IN, CLASS_NONE, T } from './rr-type.js';

export const OPCODE_UPDATE = 5;

/** RCODEs an update answer may carry (RFC 2136 §2.2). */
export const UPDATE_RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, YXDOMAIN: 6, YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10 } as const;
export const UPDATE_RCODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(UPDATE_RCODE).map(([k, v]) => [v, k]));

export interface UpdateRecord {
  /** Absolute name, text form (`pc1.example.org.`). */
  name: string;
  type: number;
  cls: number;
  ttl: number;
  rdata: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** §2.4.4: the name is not in use (no records of any type). */
export const nameNotInUse = (name: string): UpdateRecord => ({ name, type: T.ANY, cls: CLASS_NONE, ttl: 0, rdata: EMPTY });
/** §2.4.3: the name is in use. */
export const nameInUse = (name: string): UpdateRecord => ({ name, type: T.ANY, cls: CLASS_ANY, ttl: 0, rdata: EMPTY });
/** §2.4.1: an RRset of this type exists (value independent). */
export const rrsetExists = (name: string, type: number): UpdateRecord => ({ name, type, cls: CLASS_ANY, ttl: 0, rdata: EMPTY });
/** §2.4.3: no RRset of this type. */
export const rrsetAbsent = (name: string, type: number): UpdateRecord => ({ name, type, cls: CLASS_NONE, ttl: 0, rdata: EMPTY });
/** §2.4.2: the RRset exists with exactly this record (value dependent). */
export const rrsetIs = (name: string, type: number, rdata: Uint8Array): UpdateRecord => ({ name, type, cls: CLASS_IN, ttl: 0, rdata });
/** §2.5.1: add a record. */
export const addRecord = (name: string, type: number, ttl: number, rdata: Uint8Array): UpdateRecord => ({ name, type, cls: CLASS_IN, ttl, rdata });
/** §2.5.2: delete an RRset. */
export const deleteRrset = (name: string, type: number): UpdateRecord => ({ name, type, cls: CLASS_ANY, ttl: 0, rdata: EMPTY });
/** §2.5.4: delete one record. */
export const deleteRecord = (name: string, type: number, rdata: Uint8Array): UpdateRecord => ({ name, type, cls: CLASS_NONE, ttl: 0, rdata });

export interface UpdateMessage {
  id: number;
  zone: string;
  prerequisites: UpdateRecord[];
  updates: UpdateRecord[];
}

function u16(n: number): Uint8Array {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}

function record(r: UpdateRecord): Uint8Array[] {
  const ttl = Buffer.alloc(4);
  ttl.writeUInt32BE(r.ttl >>> 0);
  return [parseName(r.name), u16(r.type), u16(r.cls), ttl, u16(r.rdata.length), r.rdata];
}

/** The message bytes (§2: header, zone, prerequisite, update sections; no additional). */
export function buildUpdate(m: UpdateMessage): Uint8Array {
  const parts: Uint8Array[] = [
    u16(m.id), u16(OPCODE_UPDATE << 11), u16(1), u16(m.prerequisites.length), u16(m.updates.length), u16(0),
    parseName(m.zone), u16(T.SOA), u16(CLASS_IN),
  ];
  for (const r of m.prerequisites) parts.push(...record(r));
  for (const r of m.updates) parts.push(...record(r));
  return new Uint8Array(Buffer.concat(parts));
}

/** ID and RCODE of an answer to an update, or undefined when it is not one (too short, not a response, not UPDATE). */
export function updateAnswer(msg: Uint8Array): { id: number; rcode: number } | undefined {
  if (msg.length < 12) return undefined;
  const flags = (msg[2] << 8) | msg[3];
  if (!(flags & 0x8000) || ((flags >> 11) & 0xf) !== OPCODE_UPDATE) return undefined;
  return { id: (msg[0] << 8) | msg[1], rcode: flags & 0xf };
}

/** A record's RDATA: an IPv4 address (A). */
export function aRdata(ip: number): Uint8Array {
  return Uint8Array.of((ip >>> 24) & 0xff, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff);
}

/** PTR RDATA: the target name. */
export function ptrRdata(target: string): Uint8Array {
  return parseName(target);
}

/** TXT RDATA of one character-string (at most 255 octets). */
export function txtRdata(text: string): Uint8Array {
  const b = Buffer.from(text, 'latin1');
  return new Uint8Array(Buffer.concat([Uint8Array.of(b.length), b]));
}

// What an answer takes over from its query, by opcode, and which rcode a message
// gets that cannot be answered (pure; responder.ts renders). Measured against
// BIND 9.18 with crafted queries (test/dns/opcode-compare.peer.test.ts); it
// follows BIND's dns_message_reply() and ns_client_request():
//  - only QUERY answers copy RD and CD (RFC 1035 §4.1.1, RFC 4035 §3.2.2); answers
//    to every other opcode start from a clean header: QR, the opcode, the rcode;
//  - QUERY and NOTIFY answers repeat the question, UPDATE answers the zone
//    section (RFC 2136 §3.8); others repeat nothing;
//  - opcodes other than QUERY, NOTIFY and UPDATE are NOTIMP (RFC 1035 §4.1.1),
//    even when the rest of the message could not be used;
//  - EDNS is looked at before the question (a version above 0 is BADVERS,
//    RFC 6891 §6.1.3, whatever the opcode or question count).

import { FLAG_CD, FLAG_RD, OPCODE_NOTIFY, OPCODE_QUERY, OPCODE_UPDATE, RCODE } from './message.js';

/** Opcodes Triad implements (BIND's set): QUERY, NOTIFY (RFC 1996), UPDATE (RFC 2136, answered REFUSED/NOTAUTH). */
export function opcodeImplemented(opcode: number): boolean {
  return opcode === OPCODE_QUERY || opcode === OPCODE_NOTIFY || opcode === OPCODE_UPDATE;
}

/** The query's header bits an answer copies: RD and CD, for QUERY only. */
export function echoedFlags(opcode: number, queryFlags: number): number {
  return opcode === OPCODE_QUERY ? queryFlags & (FLAG_RD | FLAG_CD) : 0;
}

/** Whether an answer repeats the question (QUERY, NOTIFY) or zone section (UPDATE). */
export function echoesQuestion(opcode: number): boolean {
  return opcode === OPCODE_QUERY || opcode === OPCODE_NOTIFY || opcode === OPCODE_UPDATE;
}

/**
 * The rcode for a message that parsed but has no question: NOTIMP for an opcode
 * we do not implement, else FORMERR; a QUERY with no question but a COOKIE is a
 * cookie refresh, answered NOERROR (RFC 7873 §5.4). (Several questions are a
 * parse error: FORMERR whatever the opcode.)
 */
export function questionlessRcode(opcode: number, hasCookie: boolean): number {
  if (!opcodeImplemented(opcode)) return RCODE.NOTIMP;
  if (hasCookie && opcode === OPCODE_QUERY) return RCODE.NOERROR;
  return RCODE.FORMERR;
}

// What an answer takes over from its query, by opcode, and which rcode a message
// gets that cannot be answered (pure; policy.ts and the sources apply them,
// render.ts writes the answers). Measured against
// BIND 9.18 with crafted queries (test/dns/bind-compare.peer.test.ts); it
// follows BIND's dns_message_reply() and ns_client_request():
//  - only QUERY answers copy RD and CD (RFC 1035 §4.1.1, RFC 4035 §3.2.2); answers
//    to every other opcode start from a clean header: QR, the opcode, the rcode;
//  - QUERY and NOTIFY answers repeat the question, UPDATE answers the zone
//    section (RFC 2136 §3.8); others repeat nothing;
//  - opcodes other than QUERY, NOTIFY and UPDATE are NOTIMP (RFC 1035 §4.1.1),
//    even when the rest of the message could not be used;
//  - EDNS is looked at before the question (a version above 0 is BADVERS,
//    RFC 6891 §6.1.3, whatever the opcode or question count);
//  - meta types (RFC 6895 §3.1) other than ANY, AXFR and IXFR are no questions
//    for the query path: MAILA/MAILB get NOTIMP, the rest FORMERR;
//  - RA (recursion available) is only ever set on QUERY answers for class IN:
//    BIND decides it per view, and a message turned away before a view is chosen
//    (BADVERS, an unknown opcode, class 0/ANY/NONE) or one for the CHAOS view
//    has none.

import { FLAG_CD, FLAG_RD, OPCODE_NOTIFY, OPCODE_QUERY, OPCODE_UPDATE, RCODE } from './message.js';
import { CLASS_IN, T } from '../wire/rr-type.js';

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
 * cookie refresh, answered NOERROR (RFC 7873 §5.4). A QUERY that holds other
 * records instead of a question gets SERVFAIL, as BIND answers it (it takes the
 * class from those records and then finds no question to answer). (Several
 * questions are a parse error: FORMERR whatever the opcode.)
 */
export function questionlessRcode(opcode: number, hasCookie: boolean, records = 0): number {
  if (!opcodeImplemented(opcode)) return RCODE.NOTIMP;
  if (opcode === OPCODE_QUERY && records > 0) return RCODE.SERVFAIL;
  if (hasCookie && opcode === OPCODE_QUERY) return RCODE.NOERROR;
  return RCODE.FORMERR;
}

/** The rcode for a QUERY of a meta type, or undefined when the type is answered as usual. */
export function metaTypeRcode(qtype: number): number | undefined {
  if (qtype === T.ANY || qtype === T.AXFR || qtype === T.IXFR) return undefined;
  if (qtype === 253 || qtype === 254) return RCODE.NOTIMP; // MAILB, MAILA (RFC 883 era, never implemented)
  if (qtype === T.OPT || (qtype >= 128 && qtype <= 255)) return RCODE.FORMERR;
  return undefined;
}

/** Whether the answer may carry RA at all (then allow-recursion decides per client). */
export function raMayBeSet(opcode: number, qclass: number, ednsVersion: number): boolean {
  return opcode === OPCODE_QUERY && qclass === CLASS_IN && ednsVersion === 0;
}

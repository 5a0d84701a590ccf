// The policy stage of the answer pipeline: what is decided before any source is
// asked. ADMISSION runs first of all, before the response cache; headerPolicy()
// after the cache, on the parsed query (the rules are reply-policy.ts's, measured
// against BIND 9.18). The per-zone ACLs (allow-query, allow-transfer) are looked
// up here and applied by the sources once they know the zone.

import { OPCODE_QUERY, RCODE, type ParsedQuery } from './message.js';
import { echoedFlags, echoesQuestion, metaTypeRcode, opcodeImplemented } from './reply-policy.js';
import { errorReply, type AddressMatcher, type ErrorReply, type ServingView } from './pipeline.js';
import { nameKey } from '../wire/dns-name.js';
import { CLASS_CH } from '../wire/rr-type.js';
import type { Zone } from './zone.js';

/**
 * A check every packet passes before anything else, the response cache included:
 * the matcher says which clients get no answer at all. Undefined when the
 * configuration asks for none.
 */
export type Admission = (view: ServingView) => AddressMatcher | undefined;

/**
 * The admission checks, in order. options { blackhole }: BIND drops those clients
 * before reading their message. (A per-client rate limit belongs here too.)
 */
export const ADMISSION: readonly Admission[] = [(view) => view.blackhole];

/**
 * Header rules, in BIND's order: EDNS version (BADVERS), opcode (NOTIMP), class 0
 * (FORMERR), CHAOS takes queries only (NOTIMP), QCLASS ANY/NONE in a query
 * (FORMERR), meta types (reply-policy.ts metaTypeRcode). Undefined: go on to the sources.
 */
export function headerPolicy(q: ParsedQuery): ErrorReply | undefined {
  const keep = echoedFlags(q.opcode, q.flags); // RD and CD, for QUERY only
  const echoed = echoesQuestion(q.opcode) ? q.question : undefined;
  // RFC 6891 §6.1.3; BIND answers BADVERS before looking at the COOKIE or the opcode.
  if (q.edns && q.edns.version !== 0) return errorReply(RCODE.BADVERS, echoed, keep, { bareOpt: true });
  if (!opcodeImplemented(q.opcode)) return errorReply(RCODE.NOTIMP, undefined, keep);
  const question = q.question;
  // Class 0 names no class at all; BIND: "message class could not be determined".
  if (question.class === 0) return errorReply(RCODE.FORMERR, echoed, keep);
  // BIND's CHAOS view (version.bind…) takes queries only.
  if (q.opcode !== OPCODE_QUERY && question.class === CLASS_CH) return errorReply(RCODE.NOTIMP, question, keep);
  if (q.opcode !== OPCODE_QUERY) return undefined;
  // QCLASS ANY (255) and NONE (254) make no sense in a query here; BIND answers FORMERR.
  if (question.class === 255 || question.class === 254) return errorReply(RCODE.FORMERR, question, keep);
  const meta = metaTypeRcode(question.type);
  if (meta !== undefined) return errorReply(meta, question, keep);
  return undefined;
}

/** allow-query for a zone: its own, else the view's. */
export function queryAcl(view: ServingView, zone: Zone): AddressMatcher {
  return view.zoneAllowQuery.get(nameKey(zone.origin)) ?? view.allowQuery;
}

/** allow-transfer for a zone: its own, else the view's; undefined refuses every client. */
export function transferAcl(view: ServingView, zone: Zone): AddressMatcher | undefined {
  return view.zoneAllowTransfer?.get(nameKey(zone.origin)) ?? view.allowTransfer;
}

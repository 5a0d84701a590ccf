// The sources for the opcodes other than QUERY. We are no secondary and accept no
// updates, so each answers for the zone it names and lets nothing through.

import { FLAG_AA, OPCODE_NOTIFY, OPCODE_UPDATE, RCODE } from '../message.js';
import { errorReply, type Handler, type Source } from '../pipeline.js';
import { nameKey } from '../name.js';
import { CLASS_IN, T } from '../rr.js';

/**
 * UPDATE (RFC 2136): the zone section names a zone with type SOA (§3.1). REFUSED
 * for our zones (as BIND with no update policy), NOTAUTH otherwise; the answer
 * repeats the zone section and no header bits (reply-policy.ts).
 */
export const updateSource: Source = (env): Handler => ({
  name: 'update',
  answer({ q }) {
    if (q.opcode !== OPCODE_UPDATE) return undefined;
    const question = q.question;
    if (question.type !== T.SOA) return errorReply(RCODE.FORMERR, question, 0);
    const z = question.class === CLASS_IN ? env.zones.find(question.name) : undefined;
    const exact = z !== undefined && nameKey(z.origin) === nameKey(question.name);
    return errorReply(exact ? RCODE.REFUSED : RCODE.NOTAUTH, question, 0);
  },
});

/** NOTIFY (RFC 1996): BIND accepts one for a zone it serves (AA) and, as a primary, ignores it. */
export const notifySource: Source = (env): Handler => ({
  name: 'notify',
  answer({ q }) {
    if (q.opcode !== OPCODE_NOTIFY) return undefined;
    const question = q.question;
    if (question.type !== T.SOA) return errorReply(RCODE.FORMERR, question, 0);
    const z = question.class === CLASS_IN ? env.zones.find(question.name) : undefined;
    if (!z) return errorReply(RCODE.NOTAUTH, question, 0);
    return errorReply(RCODE.NOERROR, question, FLAG_AA);
  },
});

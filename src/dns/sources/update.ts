// The UPDATE source (RFC 2136). We accept no dynamic updates yet, so every
// update is turned away, as BIND turns it away with no update policy.

import { OPCODE_UPDATE, RCODE } from '../message.js';
import { errorReply, type Handler, type Source } from '../pipeline.js';
import { nameKey } from '../../wire/dns-name.js';
import { CLASS_IN, T } from '../../wire/rr-type.js';

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

// The NOTIFY source (RFC 1996). We are no secondary, so a NOTIFY changes nothing.

import { FLAG_AA, OPCODE_NOTIFY, RCODE } from '../message.js';
import { errorReply, type Handler, type Source } from '../pipeline.js';
import { CLASS_IN, T } from '../../wire/rr-type.js';

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

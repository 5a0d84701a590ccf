// The NOTIFY source (RFC 1996). For a secondary zone, a NOTIFY from one of its
// primaries (or an allow-notify address) is acknowledged and starts a refresh in
// the process that owns the zone's timers; from anyone else it is REFUSED, as BIND
// refuses a "notify from non-primary". For our primary zones it changes nothing.

import { FLAG_AA, OPCODE_NOTIFY, RCODE } from '../message.js';
import { errorReply, type Handler, type Source } from '../pipeline.js';
import { nameKey } from '../../wire/dns-name.js';
import { CLASS_IN, T } from '../../wire/rr-type.js';

/** NOTIFY (RFC 1996): BIND accepts one for a zone it serves (AA); a secondary then refreshes (§3.7). */
export const notifySource: Source = (env): Handler => ({
  name: 'notify',
  answer({ q, client }) {
    if (q.opcode !== OPCODE_NOTIFY) return undefined;
    const question = q.question;
    if (question.type !== T.SOA) return errorReply(RCODE.FORMERR, question, 0, { noCache: true });
    const z = question.class === CLASS_IN ? env.zones.find(question.name) : undefined;
    if (!z) return errorReply(RCODE.NOTAUTH, question, 0, { noCache: true });
    const sec = env.view.secondaries?.get(nameKey(question.name));
    if (sec) {
      const ok = sec.notifyAcl(client.address);
      env.view.onNotify?.(sec.name, client.address, ok);
      if (!ok) return errorReply(RCODE.REFUSED, question, 0, { noCache: true });
    }
    return errorReply(RCODE.NOERROR, question, FLAG_AA, { noCache: true });
  },
});

// The NOTIFY source (RFC 1996). For a secondary zone, a NOTIFY from one of its
// primaries (or an allow-notify address) is acknowledged and starts a refresh in
// the process that owns the zone's timers; from anyone else it is REFUSED, as BIND
// refuses a "notify from non-primary". For our primary zones it changes nothing.

import { decodeMessage, FLAG_AA, OPCODE_NOTIFY, RCODE } from '../message.js';
import { errorReply, type Handler, type Source } from '../pipeline.js';
import { nameKey } from '../../wire/dns-name.js';
import { CLASS_IN, T } from '../../wire/rr-type.js';

/** NOTIFY (RFC 1996): BIND accepts one for a zone it serves (AA); a secondary then refreshes (§3.7). */
export const notifySource: Source = (env): Handler => ({
  name: 'notify',
  answer({ q, msg, client }) {
    if (q.opcode !== OPCODE_NOTIFY) return undefined;
    const question = q.question;
    if (question.type !== T.SOA) return errorReply(RCODE.FORMERR, question, 0, { noCache: true });
    const z = question.class === CLASS_IN ? env.zones.find(question.name) : undefined;
    if (!z) return errorReply(RCODE.NOTAUTH, question, 0, { noCache: true });
    const sec = env.view.secondaries?.get(nameKey(question.name));
    if (sec) {
      const ok = sec.notifyAcl(client.address);
      env.view.onNotify?.(sec.name, client.address, ok, ok ? notifiedSerial(msg) : undefined);
      if (!ok) return errorReply(RCODE.REFUSED, question, 0, { noCache: true });
    }
    return errorReply(RCODE.NOERROR, question, FLAG_AA, { noCache: true });
  },
});

/** The serial a NOTIFY may carry in an SOA in its answer section (RFC 1996 §3.7), if any. */
function notifiedSerial(msg: Uint8Array): number | undefined {
  const d = decodeMessage(msg);
  if (typeof d === 'string') return undefined;
  const rd = d.answers.find((a) => a.type === T.SOA)?.rdata;
  if (!rd || rd.length < 20) return undefined;
  const i = rd.length - 20;
  return ((rd[i] << 24) >>> 0) + ((rd[i + 1] << 16) | (rd[i + 2] << 8) | rd[i + 3]);
}

// The UPDATE source (RFC 2136). An update for a dynamic zone goes to the process
// that decides updates (dynamic-zones.ts) and its rcode comes back; any other zone
// of ours is REFUSED, as BIND refuses a zone with no update policy.

import { OPCODE_UPDATE, RCODE } from '../message.js';
import { errorReply, type Handler, type Source } from '../pipeline.js';
import { nameKey, nameToText } from '../../wire/dns-name.js';
import { CLASS_IN, T } from '../../wire/rr-type.js';

/**
 * UPDATE (RFC 2136): the zone section names a zone with type SOA (§3.1). A dynamic
 * zone's update is decided elsewhere; REFUSED for our other zones (as BIND with no
 * update policy), NOTAUTH otherwise; the answer repeats the zone section and no
 * header bits (reply-policy.ts).
 */
export const updateSource: Source = (env): Handler => ({
  name: 'update',
  answer({ q, msg, client }) {
    if (q.opcode !== OPCODE_UPDATE) return undefined;
    const question = q.question;
    if (question.type !== T.SOA) return errorReply(RCODE.FORMERR, question, 0);
    const z = question.class === CLASS_IN ? env.zones.find(question.name) : undefined;
    const exact = z !== undefined && nameKey(z.origin) === nameKey(question.name);
    const onUpdate = env.view.onUpdate;
    if (exact && onUpdate && env.view.dynamicZones?.has(z.originKey)) {
      const req = { zone: nameToText(z.origin), msg: Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength).toString('base64'), address: client.address, key: client.key, tcp: client.transport === 'tcp' };
      return {
        kind: 'later',
        reply: onUpdate(req).then(
          (rcode) => errorReply(rcode, question, 0, { noCache: true }),
          () => errorReply(RCODE.SERVFAIL, question, 0, { noCache: true }),
        ),
      };
    }
    return errorReply(exact ? RCODE.REFUSED : RCODE.NOTAUTH, question, 0);
  },
});

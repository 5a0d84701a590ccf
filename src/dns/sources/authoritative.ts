// The authoritative source: names in our class IN zones, answered from the zone
// data (authority.ts answerFromZone). A name in no zone of ours passes on (to the
// resolver when recursion is on).

import { FLAG_RD, OPCODE_QUERY, RCODE, EDNS_OPT_EXPIRE, type ParsedQuery } from '../message.js';
import { answerFromZone, type AuthorityAnswer } from '../authority.js';
import { echoedFlags } from '../reply-policy.js';
import { queryAcl } from '../policy.js';
import { errorReply, type AddressMatcher, type Handler, type QueryContext, type Reply, type ServingView, type Source } from '../pipeline.js';
import { nameKey, parentName } from '../../wire/dns-name.js';
import { CLASS_IN, T } from '../../wire/rr-type.js';
import type { Zone } from '../zone.js';

export const authoritativeSource: Source = (env): Handler => ({
  name: 'authoritative',
  answer(ctx) {
    const { q, client } = ctx;
    const question = q.question;
    if (q.opcode !== OPCODE_QUERY || question.class !== CLASS_IN) return undefined;
    let zone = env.zones.find(question.name);
    if (!zone) return undefined;
    // The DS RRset of a zone lives in its parent (RFC 4035 §3.1.4.1): when we serve
    // the parent too, answer from there, as BIND does.
    if (question.type === T.DS && question.name.length > 1 && nameKey(zone.origin) === nameKey(question.name)) {
      zone = env.zones.find(parentName(question.name)) ?? zone;
    }
    const keep = echoedFlags(q.opcode, q.flags);
    // named answers SERVFAIL for a zone that is not loaded, before its allow-query.
    if (env.unloaded.has(zone)) return errorReply(RCODE.SERVFAIL, question, keep, { noCache: true });
    const acl = queryAcl(env.view, zone);
    if (!acl(client.address, client.key)) return errorReply(RCODE.REFUSED, question, keep, { ede: { code: 18, text: '' }, noCache: true });
    return zoneReply(env.view, ctx, zone, acl);
  },
});

/**
 * The answer from one zone we hold (class IN or the CHAOS zones). AXFR and IXFR
 * reach here only when the transfer source did not take them: over UDP (FORMERR)
 * or as NOTIMP (BIND's answers).
 */
export function zoneReply(view: ServingView, { q, client }: QueryContext, zone: Zone, acl: AddressMatcher | undefined): Reply {
  const question = q.question;
  if (question.type === T.AXFR || question.type === T.IXFR) {
    const rc = client.transport === 'udp' ? RCODE.FORMERR : RCODE.NOTIMP;
    return errorReply(rc, question, echoedFlags(q.opcode, q.flags), { acl });
  }
  const mode = view.minimalResponses ?? 'no-auth-recursive';
  const minimal = mode === 'yes' || mode === 'no-auth' || (mode === 'no-auth-recursive' && (q.flags & FLAG_RD) !== 0);
  const ans = answerFromZone(zone, question.name, question.type, { minimal, noAdditional: mode === 'yes' });
  const expire = expireFor(q, zone, ans);
  // A secondary's EXPIRE counts down, so that answer is not kept in the response cache.
  return { kind: 'data', answer: ans, acl, expire, noCache: expire !== undefined && zone.expiresAt !== undefined ? true : undefined };
}

/**
 * The EXPIRE option value for an authoritative answer (RFC 7314): only for an
 * SOA question answered with the zone's SOA, to a client that sent the option,
 * as BIND 9.18 does for a primary zone (its SOA EXPIRE field).
 */
export function expireFor(q: ParsedQuery, zone: Zone, ans: AuthorityAnswer): number | undefined {
  // RFC 7314 §2; BIND accepts the option whatever its length.
  if (!q.edns || !q.edns.options.some((o) => o.code === EDNS_OPT_EXPIRE) || q.question.type !== T.SOA || ans.rcode !== RCODE.NOERROR || !ans.aa) return undefined;
  const origin = nameKey(zone.origin);
  const soa = ans.answer.find((s) => s.type === T.SOA && nameKey(s.owner) === origin);
  const rd = soa?.rdatas[0];
  if (!rd || rd.length < 20) return undefined;
  // A secondary: the time left before its copy expires, as BIND sends it.
  if (zone.expiresAt !== undefined) return Math.max(0, Math.floor((zone.expiresAt - Date.now()) / 1000));
  return new DataView(rd.buffer, rd.byteOffset + rd.length - 8, 4).getUint32(0);
}

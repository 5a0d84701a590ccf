// The zone-transfer source: AXFR (RFC 5936) and IXFR (RFC 1995) of our class IN
// zones. Over TCP the whole zone (or, when the client is current, its SOA) as a
// stream; IXFR over UDP gets the SOA alone, telling the client to come back over
// TCP (RFC 1995 §2). An IXFR over TCP is answered from the zone's journal when it
// reaches back to the client's serial (ixfr-out.ts decides), else with the whole zone.

import { decodeMessage, OPCODE_QUERY, RCODE } from '../message.js';
import type { SectionRRset } from '../authority.js';
import { echoedFlags } from '../reply-policy.js';
import { transferAcl } from '../policy.js';
import { errorReply, type Handler, type QueryContext, type Reply, type Source, type SourceEnv } from '../pipeline.js';
import { nameKey } from '../../wire/dns-name.js';
import { CLASS_IN, T } from '../../wire/rr-type.js';
import { planIxfr } from '../ixfr-out.js';

export const transferSource: Source = (env): Handler => ({
  name: 'transfer',
  answer(ctx) {
    const { q } = ctx;
    const t = q.question.type;
    if ((t !== T.AXFR && t !== T.IXFR) || q.opcode !== OPCODE_QUERY || q.question.class !== CLASS_IN) return undefined;
    if (ctx.stream) return transfer(env, ctx);
    if (t === T.IXFR && ctx.client.transport === 'udp') return udpIxfr(env, ctx);
    return undefined;
  },
});

/**
 * IXFR over UDP. As BIND 9.18: FORMERR without the client's SOA, NOTAUTH for a
 * name that is no zone apex of ours, REFUSED outside allow-transfer, no AA, no RA.
 */
function udpIxfr(env: SourceEnv, { q, msg, client }: QueryContext): Reply {
  const question = q.question;
  const single = (rcode: number): Reply => errorReply(rcode, question, echoedFlags(q.opcode, q.flags), { noCache: true, noRa: true });
  if (!clientSoa(msg)) return single(RCODE.FORMERR);
  const zone = env.zones.find(question.name);
  if (!zone || nameKey(zone.origin) !== nameKey(question.name)) return single(RCODE.NOTAUTH);
  const acl = transferAcl(env.view, zone);
  if (!acl || !acl(client.address, client.key)) return single(RCODE.REFUSED);
  const apex = zone.nodes.get(nameKey(zone.origin));
  const soa = apex?.rrsets.get(T.SOA);
  if (!apex || !soa) return single(RCODE.SERVFAIL);
  const answer: SectionRRset[] = [{ owner: apex.name, type: T.SOA, class: soa.class, ttl: soa.ttl, rdatas: [soa.rdatas[0]] }];
  return { kind: 'data', answer: { rcode: RCODE.NOERROR, aa: false, answer, authority: [], additional: [] }, noCache: true, noRa: true };
}

/** AXFR, and IXFR answered with the whole zone or, when the client is current, its SOA (RFC 1995 §4). */
function transfer(env: SourceEnv, { q, msg, client }: QueryContext): Reply {
  const question = q.question;
  const zone = env.zones.find(question.name);
  // Refusals echo RD and CD (BIND 9.18, measured); the transfer itself does not.
  const single = (rcode: number): Reply => errorReply(rcode, question, echoedFlags(q.opcode, q.flags), { noCache: true, noRa: true });
  // BIND: a name that is not the apex of one of our zones gets NOTAUTH.
  if (!zone || nameKey(zone.origin) !== nameKey(question.name)) return single(RCODE.NOTAUTH);
  if (env.unloaded.has(zone)) return single(RCODE.SERVFAIL);
  const acl = transferAcl(env.view, zone);
  if (!acl || !acl(client.address, client.key)) return single(RCODE.REFUSED);
  const key = nameKey(zone.origin);
  const apex = zone.nodes.get(key);
  const soa = apex?.rrsets.get(T.SOA);
  if (!apex || !soa) return single(RCODE.SERVFAIL);
  const soaSet: SectionRRset = { owner: apex.name, type: T.SOA, class: soa.class, ttl: soa.ttl, rdatas: [soa.rdatas[0]] };
  const records: SectionRRset[] = [soaSet];
  let full = true;
  if (question.type === T.IXFR) {
    // RFC 1995 §3: the client's SOA sits in the authority section.
    const theirs = clientSoa(msg);
    if (!theirs) return single(RCODE.FORMERR);
    const serial = readSerial(theirs);
    if (serial !== undefined) {
      const plan = planIxfr(zone, env.view.journals?.get(key), serial);
      if (plan.kind === 'up-to-date') full = false;
      else if (plan.kind === 'incremental') return { kind: 'stream', records: plan.records };
    }
  }
  if (full) {
    for (const node of zone.nodes.values()) {
      for (const set of node.rrsets.values()) {
        if (node === apex && set.type === T.SOA) continue;
        records.push({ owner: node.name, type: set.type, class: set.class, ttl: set.ttl, rdatas: set.rdatas });
      }
    }
    records.push(soaSet);
  }
  return { kind: 'stream', records };
}

/** RDATA of the SOA the client sent in the authority section (IXFR), if any. */
function clientSoa(msg: Uint8Array): Uint8Array | undefined {
  const d = decodeMessage(msg);
  return typeof d === 'string' ? undefined : d.authorities.find((r) => r.type === T.SOA)?.rdata;
}

/** SERIAL of an SOA RDATA (after the two names), if well formed. */
function readSerial(rd: Uint8Array): number | undefined {
  let i = 0;
  for (let k = 0; k < 2; k++) {
    while (i < rd.length && rd[i] !== 0) i += rd[i] + 1;
    i++;
  }
  if (i + 4 > rd.length) return undefined;
  return ((rd[i] << 24) >>> 0) + ((rd[i + 1] << 16) | (rd[i + 2] << 8) | rd[i + 3]);
}

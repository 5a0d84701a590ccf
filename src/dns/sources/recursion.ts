// The resolver source (recursion yes): class IN names outside our zones.
// allow-query-cache decides whether the client may see cached data,
// allow-recursion whether we go upstream for it (RD set). Others get REFUSED with
// EDE 18 (Prohibited), as BIND 9.18. Answers go through the same render stage
// (EDNS, truncation) as authoritative ones.

import { FLAG_CD, FLAG_RD, OPCODE_QUERY, RCODE } from '../message.js';
import { errorReply, type DataReply, type DropReply, type ErrorReply, type Handler, type QueryContext, type RecursiveResolver, type Source, type SourceEnv } from '../pipeline.js';
import { CLASS_IN, T } from '../../wire/rr-type.js';

export const recursionSource: Source = (env): Handler | undefined => {
  const resolver = env.resolver;
  if (!resolver) return undefined;
  return {
    name: 'recursion',
    answer(ctx) {
      const question = ctx.q.question;
      if (ctx.q.opcode !== OPCODE_QUERY || question.class !== CLASS_IN || question.type === T.AXFR || question.type === T.IXFR) return undefined;
      return fromResolverCache(env, resolver, ctx) ?? { kind: 'later', reply: recurse(env, resolver, ctx) };
    },
  };
};

/**
 * The synchronous path for names the resolver has cached (fresh, not stale):
 * rendered at once, and the encoded answer kept in the response cache, so cache
 * hits take the same fast path as authoritative answers. A kept copy's TTLs are
 * rewritten on every reuse to what the resolver's cache gives then, and the copy
 * lives until its first record expires, as long as the resolver's cache still holds
 * the same entries, checked once a second (resolver.ts stillCached): that check
 * stands in for the lookup a fresh answer would make, so the cache's counters and
 * its least-recently-used order move as when the answer was made anew each second;
 * a flushed or replaced entry shows within that second. In its last second an
 * answer is made anew for every query (as fromCache would count it). A resolver
 * without stillCached gets the plain second. Undefined sends the query down the
 * asynchronous path.
 */
function fromResolverCache(env: SourceEnv, resolver: RecursiveResolver, { q, client }: QueryContext): DataReply | undefined {
  const cacheAcl = env.allowQueryCache;
  if (!cacheAcl || !cacheAcl(client.address, client.key)) return undefined;
  const res = resolver.fromCache(q.question);
  if (!res || res.stale) return undefined;
  let minTtl = Infinity;
  for (const set of res.answer) minTtl = Math.min(minTtl, set.ttl);
  for (const set of res.authority) minTtl = Math.min(minTtl, set.ttl);
  const reply: DataReply = {
    kind: 'data', answer: { rcode: res.rcode, aa: false, answer: res.answer, authority: res.authority, additional: [] },
    acl: cacheAcl, noCache: minTtl <= 1, expires: Date.now() + 1000,
  };
  const exp = res.expires;
  const until = res.until;
  const proof = res.proof;
  if (resolver.stillCached && proof && exp && until !== undefined && exp.length === res.answer.length + res.authority.length) {
    const ttls: number[] = [];
    const na = res.answer.length;
    for (let i = 0; i < exp.length; i++) {
      const set = i < na ? res.answer[i] : res.authority[i - na];
      for (let j = 0; j < set.rdatas.length; j++) ttls.push(exp[i]);
    }
    reply.expires = until;
    reply.ttls = ttls;
    reply.recheck = (now) => until - now > 1000 && resolver.stillCached!(proof);
  }
  return reply;
}

async function recurse(env: SourceEnv, resolver: RecursiveResolver, { q, client }: QueryContext): Promise<ErrorReply | DataReply | DropReply> {
  const rec = env.allowRecursion ? env.allowRecursion(client.address, client.key) : false;
  const cacheOk = env.allowQueryCache ? env.allowQueryCache(client.address, client.key) : rec;
  const refuse = (): ErrorReply => errorReply(RCODE.REFUSED, q.question, q.flags & (FLAG_RD | FLAG_CD), { ede: { code: 18, text: '' } });
  if (!cacheOk) return refuse();
  const res = rec && (q.flags & FLAG_RD) !== 0 ? await resolver.resolve(q.question) : resolver.fromCache(q.question);
  if (!res) {
    if (!rec) return refuse();
    // RD clear and no answer cached: the closest delegation the cache knows, as
    // BIND answers (a referral, RFC 1034 §4.3.1), else an empty answer.
    const d = resolver.delegationFromCache?.(q.question.name, q.question.class);
    return { kind: 'data', answer: { rcode: RCODE.NOERROR, aa: false, answer: [], authority: d ? [d.ns] : [], additional: d ? d.glue : [] } };
  }
  // A cap on recursion (clients-per-query, fetches-per-zone drop) says: no answer.
  if (res.drop) return { kind: 'drop' };
  // RFC 8914 §4.4: EDE 3 marks answers served stale (RFC 8767).
  return { kind: 'data', answer: { rcode: res.rcode, aa: false, answer: res.answer, authority: res.authority, additional: [], ede: res.stale ? { code: 3, text: '' } : undefined } };
}

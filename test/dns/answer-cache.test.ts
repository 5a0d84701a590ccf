// The response cache with answers from the resolver's cache: a reused answer shows
// the TTLs the resolver's cache gives at that moment, is not reused past its first
// record's expiry (nor where serve-stale would answer), follows a flush or a replaced
// entry within a second, and moves the cache's counters as an answer made anew each
// second would. The resolver's cache and the response cache share one fake clock.
import t from 'tap';
import dnsPacket from 'dns-packet';
import { DEFERRED, Responder, type ServingView, type ClientInfo } from '../../src/dns/responder.js';
import { Resolver } from '../../src/dns/resolver.js';
import { buildForwardPolicy } from '../../src/dns/forwarding.js';
import { RANK } from '../../src/dns/cache.js';
import { ttlOffsets } from '../../src/dns/answer-cache.js';
import { parseName } from '../../src/wire/dns-name.js';
import { T } from '../../src/wire/rr-type.js';

const view: ServingView = {
  zones: [], allowQuery: () => true, zoneAllowQuery: new Map(), recursion: true, udpSize: 1232, allowRecursion: () => true,
};
const client: ClientInfo = { address: '127.0.0.5', port: 5000, transport: 'udp' };
const n = (name: string): Uint8Array => parseName(`${name}.`);
type Packet = ReturnType<typeof dnsPacket.decode>;

function query(name: string, id = 7, edns = true): Uint8Array {
  return dnsPacket.encode({
    type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', class: 'IN', name }],
    additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 4096 }] : [],
  });
}

function setup(opts: { serveStale?: boolean } = {}) {
  let now = 1_700_000_000_000;
  const clock = (): number => now;
  const upstream: string[] = [];
  const resolver = new Resolver({
    forward: buildForwardPolicy({ forwarders: [{ address: '127.0.0.9', port: 5300 }], forward: 'only', zones: [] }),
    // Every upstream fails: a query not answered from a cache ends in SERVFAIL (or a stale answer).
    transport: async (_s, q) => {
      upstream.push(Buffer.from(q.name).toString('latin1'));
      throw new Error('no upstream in this test');
    },
    tries: 1, timeoutMs: 50, serveStale: opts.serveStale, cache: { now: clock, maxStaleTtl: opts.serveStale ? 3600 : 0 },
  });
  const r = new Responder(view, { resolver, clock });
  /** The answer now, synchronous (from a cache) or undefined when it goes upstream. */
  const ask = (name: string, id = 7): Packet | undefined => {
    const out = r.respond(query(name, id), client, () => undefined);
    if (out === DEFERRED) return undefined;
    if (!out) throw new Error('dropped');
    return dnsPacket.decode(Buffer.from(out));
  };
  /** The answer a responder without a response cache gives now (built from the resolver's cache). */
  const fresh = (name: string, id = 7): Buffer => Buffer.from(new Responder(view, { resolver, clock }).respond(query(name, id), client, () => undefined)!);
  const bytes = (name: string, id = 7): Buffer => Buffer.from(r.respond(query(name, id), client, () => undefined)!);
  const later = (name: string): Promise<Packet> => new Promise((resolve) => {
    r.respond(query(name), client, (out) => resolve(dnsPacket.decode(Buffer.from(out!))));
  });
  return { resolver, r, ask, fresh, bytes, later, upstream, tick: (ms: number) => (now += ms) };
}

const a = (ip: number[]) => Uint8Array.from(ip);
const ttls = (p: Packet | undefined): number[] => [...(p?.answers ?? []), ...(p?.authorities ?? [])].map((x) => (x as { ttl: number }).ttl);

t.test('a reused answer shows the TTLs left, exactly as the resolver cache gives them', async (t) => {
  const s = setup();
  s.resolver.cache.put({ owner: n('www.example'), type: T.A, class: 1, ttl: 300, rdatas: [a([192, 0, 2, 1]), a([192, 0, 2, 2])] }, RANK.ANSWER);
  t.same(ttls(s.ask('www.example')), [300, 300]);
  const hits0 = s.r.stats.cacheHits;
  s.tick(3000);
  t.same(ttls(s.ask('www.example')), [297, 297], '3 s later: 3 lower');
  t.equal(s.r.stats.cacheHits, hits0 + 1, 'from the response cache');
  for (const step of [1, 499, 500, 1, 998, 1000, 123_456]) {
    s.tick(step);
    t.same(s.bytes('www.example', 99), s.fresh('www.example', 99), `byte for byte as made anew (+${step} ms)`);
  }
  t.equal(s.upstream.length, 0, 'never went upstream');
});

t.test('no reuse past the first record to expire: CNAME chain, then the data upstream', async (t) => {
  const s = setup();
  s.resolver.cache.put({ owner: n('alias.example'), type: T.CNAME, class: 1, ttl: 10, rdatas: [n('www.example')] }, RANK.ANSWER);
  s.resolver.cache.put({ owner: n('www.example'), type: T.A, class: 1, ttl: 300, rdatas: [a([192, 0, 2, 1])] }, RANK.ANSWER);
  t.same(ttls(s.ask('alias.example')), [10, 300]);
  s.tick(7500);
  t.same(ttls(s.ask('alias.example')), [3, 293], 'both count down, rounded up');
  s.tick(2499);
  t.same(ttls(s.ask('alias.example')), [1, 291], '1 ms before the CNAME expires');
  t.same(s.bytes('alias.example'), s.fresh('alias.example'));
  s.tick(1);
  t.equal(s.ask('alias.example'), undefined, 'the CNAME expired: not answered from any cache, the query goes upstream');
  t.same(ttls(s.ask('www.example')), [290], 'the A record itself still answers');
});

t.test('serve-stale unchanged: an expired answer is never reused; the resolver tries upstream first', async (t) => {
  const s = setup({ serveStale: true });
  s.resolver.cache.put({ owner: n('www.example'), type: T.A, class: 1, ttl: 60, rdatas: [a([192, 0, 2, 1])] }, RANK.ANSWER);
  t.same(ttls(s.ask('www.example')), [60]);
  s.tick(60_000);
  const p = await s.later('www.example');
  t.ok(s.upstream.includes('\x03www\x07example\x00'), 'asked upstream');
  t.same(ttls(p), [30], 'answered stale with stale-answer-ttl');
  t.equal(s.ask('www.example'), undefined, 'and the stale answer is not reused from the response cache');
});

t.test('negative answers: the SOA TTL counts down; no reuse after it', async (t) => {
  const s = setup();
  const soa = dnsPacket.encode({ type: 'response', answers: [{ type: 'SOA', name: 'example', ttl: 3600, data: {
    mname: 'ns.example', rname: 'h.example', serial: 1, refresh: 3600, retry: 900, expire: 604800, minimum: 300 } }] });
  // The SOA's RDATA: the encoded record past its owner name (9 octets) and its fixed fields (10).
  const rdata = Uint8Array.from(dnsPacket.answer.encode(dnsPacket.decode(soa).answers![0]).subarray(9 + 10));
  s.resolver.cache.putNegative(n('nx.example'), T.A, 1, 'nxdomain', { owner: n('example'), type: T.SOA, class: 1, ttl: 3600, rdatas: [rdata] });
  const p = s.ask('nx.example');
  t.equal(p?.rcode, 'NXDOMAIN');
  t.same(ttls(p), [300], 'the negative TTL: the SOA minimum');
  s.tick(3000);
  t.same(ttls(s.ask('nx.example')), [297]);
  t.same(s.bytes('nx.example'), s.fresh('nx.example'));
  s.tick(297_000);
  t.equal(s.ask('nx.example'), undefined, 'expired: goes upstream');
});

t.test('a flushed or replaced entry shows within a second, as before', async (t) => {
  const s = setup();
  s.resolver.cache.put({ owner: n('www.example'), type: T.A, class: 1, ttl: 300, rdatas: [a([192, 0, 2, 1])] }, RANK.ANSWER);
  s.ask('www.example');
  s.resolver.cache.put({ owner: n('www.example'), type: T.A, class: 1, ttl: 600, rdatas: [a([192, 0, 2, 7])] }, RANK.ANSWER);
  s.tick(999);
  t.same((s.ask('www.example')?.answers?.[0] as { data: string }).data, '192.0.2.1', 'within the second: the copy');
  s.tick(1);
  const p = s.ask('www.example');
  t.same((p?.answers?.[0] as { data: string }).data, '192.0.2.7', 'then the new data');
  t.same(ttls(p), [599]);
  s.resolver.cache.flush();
  s.tick(1000);
  t.equal(s.ask('www.example'), undefined, 'flushed: goes upstream');
});

t.test("the resolver cache's counters move as when the answer was made anew each second", async (t) => {
  const s = setup();
  const c = s.resolver.cache.stats;
  s.resolver.cache.put({ owner: n('www.example'), type: T.A, class: 1, ttl: 5, rdatas: [a([192, 0, 2, 1])] }, RANK.ANSWER);
  s.resolver.cache.put({ owner: n('alias.example'), type: T.CNAME, class: 1, ttl: 300, rdatas: [n('www.example')] }, RANK.ANSWER);
  const seen: [number, number][] = [];
  for (const step of [0, 400, 400, 199, 1, 500, 700, 1500, 1000, 300]) {
    s.tick(step);
    s.ask('www.example');
    seen.push([c.hits, c.misses]);
  }
  // Made at 0, rechecked (counted) at 1000, 2200, 3700; at 4700 the A record is in its
  // last second (TTL 1): made anew, not kept; at 5000 it has expired (misses, upstream).
  t.same(seen.map((x) => x[0]), [1, 1, 1, 1, 2, 2, 3, 4, 5, 5]);
  t.same(seen.slice(0, 9).map((x) => x[1]), Array(9).fill(0), 'no misses while fresh');
  t.ok(seen[9][1] > 0, 'the expired one is a miss');
  // A CNAME chain counts its first lookup, a miss (resolver.ts walkCache), each time it is made.
  const s2 = setup();
  const c2 = s2.resolver.cache.stats;
  s2.resolver.cache.put({ owner: n('www.example'), type: T.A, class: 1, ttl: 300, rdatas: [a([192, 0, 2, 1])] }, RANK.ANSWER);
  s2.resolver.cache.put({ owner: n('alias.example'), type: T.CNAME, class: 1, ttl: 300, rdatas: [n('www.example')] }, RANK.ANSWER);
  s2.ask('alias.example');
  s2.tick(500);
  s2.ask('alias.example');
  t.same([c2.hits, c2.misses], [0, 1]);
  s2.tick(600);
  s2.ask('alias.example');
  t.same([c2.hits, c2.misses], [0, 2]);
});

t.test('ttlOffsets: every TTL field but the OPT record', async (t) => {
  const m = dnsPacket.encode({
    type: 'response', id: 1, flags: 0, questions: [{ type: 'A', class: 'IN', name: 'a.example' }],
    answers: [{ type: 'CNAME', name: 'a.example', ttl: 0x01020304, data: 'b.example' }, { type: 'A', name: 'b.example', ttl: 0x05060708, data: '192.0.2.1' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 }],
  });
  const at = ttlOffsets(m)!;
  t.equal(at.length, 2);
  t.same([...m.subarray(at[0], at[0] + 4)], [1, 2, 3, 4]);
  t.same([...m.subarray(at[1], at[1] + 4)], [5, 6, 7, 8]);
  t.equal(ttlOffsets(m.subarray(0, m.length - 1)), undefined, 'a cut message cannot be walked');
});

import t from 'tap';
import { RRCache, RANK } from '../../src/dns/cache.js';
import { buildForwardPolicy, forwardRuleFor } from '../../src/dns/forwarding.js';
import { classify } from '../../src/dns/iterator.js';
import { Resolver, type Transport } from '../../src/dns/resolver.js';
import { InFlight } from '../../src/dns/coalesce.js';
import { RttTable, buildQuery, matchesQuery } from '../../src/dns/upstream.js';
import { decodeMessage, FLAG_AA, FLAG_QR, RCODE, type DecodedMessage, type DecodedRR } from '../../src/dns/message.js';
import { nameToText, parseName } from '../../src/wire/dns-name.js';
import { T } from '../../src/wire/rr-type.js';
import type { SectionRRset } from '../../src/dns/authority.js';

const n = (s: string): Uint8Array => parseName(s.endsWith('.') ? s : `${s}.`);
const a = (owner: string, ip: string, ttl = 300): SectionRRset => ({ owner: n(owner), type: T.A, class: 1, ttl, rdatas: [Uint8Array.from(ip.split('.').map(Number))] });
function soaRd(minimum: number): Uint8Array {
  const mname = n('ns.example');
  const rname = n('root.example');
  const out = new Uint8Array(mname.length + rname.length + 20);
  out.set(mname, 0);
  out.set(rname, mname.length);
  new DataView(out.buffer).setUint32(mname.length + rname.length + 16, minimum);
  return out;
}
const soa = (owner: string, ttl: number, min: number): SectionRRset => ({ owner: n(owner), type: T.SOA, class: 1, ttl, rdatas: [soaRd(min)] });

t.test('cache: TTL counts down, clamps, expiry, ranking', async (t) => {
  let now = 1_000_000;
  const c = new RRCache({ now: () => now, maxCacheTtl: 3600, minCacheTtl: 10 });
  c.put(a('www.example', '192.0.2.1', 300));
  now += 100_500;
  const hit = c.get(n('WWW.example'), T.A, 1);
  t.equal(hit?.kind, 'rrset');
  t.equal(hit?.kind === 'rrset' && hit.set.ttl, 200, 'TTL reduced by time in cache (rounded up)');
  c.put(a('long.example', '192.0.2.2', 999999));
  t.equal((c.get(n('long.example'), T.A, 1) as { set: SectionRRset }).set.ttl, 3600, 'max-cache-ttl clamp');
  c.put(a('short.example', '192.0.2.3', 1));
  t.equal((c.get(n('short.example'), T.A, 1) as { set: SectionRRset }).set.ttl, 10, 'min-cache-ttl clamp');
  now += 300_000;
  t.equal(c.get(n('www.example'), T.A, 1), undefined, 'expired');
  c.put(a('x.example', '192.0.2.9'), RANK.AUTH_ANSWER);
  c.put(a('x.example', '203.0.113.66'), RANK.GLUE);
  const x = c.get(n('x.example'), T.A, 1) as { set: SectionRRset };
  t.same([...x.set.rdatas[0]], [192, 0, 2, 9], 'glue does not replace an authoritative answer');
});

t.test('cache: negative entries per RFC 2308', async (t) => {
  let now = 0;
  const c = new RRCache({ now: () => now, maxNcacheTtl: 900 });
  c.putNegative(n('nope.example'), T.A, 1, 'nxdomain', soa('example', 3600, 600));
  const h = c.get(n('nope.example'), T.MX, 1);
  t.equal(h?.kind, 'nxdomain', 'NXDOMAIN covers every type');
  t.equal(h?.kind === 'nxdomain' && h.soa?.ttl, 600, 'TTL = min(SOA TTL, MINIMUM)');
  c.putNegative(n('www.example'), T.AAAA, 1, 'nodata', soa('example', 5000, 5000));
  t.equal(c.get(n('www.example'), T.A, 1), undefined, 'NODATA is per type');
  const nd = c.get(n('www.example'), T.AAAA, 1);
  t.equal(nd?.kind === 'nodata' && nd.soa?.ttl, 900, 'max-ncache-ttl clamp');
  now += 901_000;
  t.equal(c.get(n('www.example'), T.AAAA, 1), undefined);
});

t.test('cache: serve-stale keeps expired entries only when asked', async (t) => {
  let now = 0;
  const c = new RRCache({ now: () => now, maxStaleTtl: 3600, staleAnswerTtl: 30 });
  c.put(a('www.example', '192.0.2.1', 60));
  now += 120_000;
  t.equal(c.get(n('www.example'), T.A, 1), undefined);
  const s = c.get(n('www.example'), T.A, 1, { stale: true });
  t.equal(s?.stale, true);
  t.equal(s?.kind === 'rrset' && s.set.ttl, 30, 'stale-answer-ttl');
  now += 3_700_000;
  t.equal(c.get(n('www.example'), T.A, 1, { stale: true }), undefined, 'beyond max-stale-ttl');
});

t.test('cache: memory bound holds while filling with many names', async (t) => {
  const max = 1 << 20;
  const c = new RRCache({ maxSize: max });
  for (let i = 0; i < 50_000; i++) c.put(a(`h${i}.fill.example`, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`));
  t.ok(c.calculatedSize <= max, `calculated size ${c.calculatedSize} ≤ ${max}`);
  t.ok(c.size < 50_000 && c.size > 200, `evicted old entries (${c.size} kept)`);
  t.equal(c.get(n('h0.fill.example'), T.A, 1), undefined, 'oldest evicted');
  t.equal(c.get(n('h49999.fill.example'), T.A, 1)?.kind, 'rrset', 'newest kept');
  t.equal(c.flush(n('h49999.fill.example')), 1);
  t.match(c.dump(), /h49998\.fill\.example\.\t\d+\tIN\tA\t10\.0\.195\.78/);
});

t.test('forwarding rules: deepest forward zone wins, empty list disables', async (t) => {
  const p = buildForwardPolicy({
    forwarders: [{ address: '127.0.0.1', port: 5300 }], forward: 'only',
    zones: [{ name: 'corp.example', forwarders: [{ address: '127.0.0.2' }], forward: 'only' }, { name: 'open.corp.example', forwarders: [] }],
  });
  t.same(forwardRuleFor(p, n('www.other')).forwarders, [{ address: '127.0.0.1', port: 5300 }]);
  t.equal(forwardRuleFor(p, n('www.other')).mode, 'only');
  t.same(forwardRuleFor(p, n('a.CORP.example')).forwarders, [{ address: '127.0.0.2', port: 53 }]);
  t.same(forwardRuleFor(p, n('x.open.corp.example')).forwarders, [], 'empty list: no forwarding below');
  t.equal(forwardRuleFor(p, n('x.open.corp.example')).mode, 'first');
});

t.test('rtt ordering and query matching', async (t) => {
  const r = new RttTable();
  const s1 = { address: '127.0.0.1', port: 1 };
  const s2 = { address: '127.0.0.2', port: 2 };
  t.same(r.order([s1, s2]), [s1, s2], 'configured order first');
  r.record(s1, 50);
  r.record(s2, 5);
  t.same(r.order([s1, s2]), [s2, s1], 'fastest first');
  const q = { name: n('www.example'), type: T.A, class: 1 };
  const m = decodeMessage(buildQuery(1234, q, true)) as DecodedMessage;
  t.notOk(matchesQuery(m, 1234, q), 'a query is not an answer (QR clear)');
  m.flags |= FLAG_QR;
  t.ok(matchesQuery(m, 1234, q));
  t.notOk(matchesQuery(m, 1235, q), 'wrong ID');
  t.notOk(matchesQuery(m, 1234, { ...q, name: n('www.example.net') }), 'wrong question');
});

function rr(owner: string, type: number, rdata: Uint8Array, ttl = 300): DecodedRR {
  return { name: n(owner), type, class: 1, ttl, rdata };
}
function msg(p: Partial<DecodedMessage> & { q: string; qtype?: number }): DecodedMessage {
  return { id: 1, flags: FLAG_QR | (p.flags ?? 0), opcode: 0, rcode: p.rcode ?? 0, questions: [{ name: n(p.q), type: p.qtype ?? T.A, class: 1 }], answers: p.answers ?? [], authorities: p.authorities ?? [], additionals: p.additionals ?? [] };
}
const ip = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));

t.test('classify: bailiwick scrubbing', async (t) => {
  const ref = classify(msg({
    q: 'www.leaf.tld', authorities: [rr('tld', T.NS, n('ns.tld')), rr('leaf.tld', T.NS, n('ns.leaf.tld'))],
    additionals: [rr('ns.leaf.tld', T.A, ip('127.0.0.3')), rr('victim.other', T.A, ip('6.6.6.6')), rr('ns.tld', T.A, ip('1.2.3.4'))],
  }), n('www.leaf.tld'), T.A, n('tld'));
  t.equal(ref.kind, 'referral');
  if (ref.kind === 'referral') {
    t.equal(nameToText(ref.zone), 'leaf.tld.');
    t.same(ref.glue.map((g) => nameToText(g.owner)), ['ns.leaf.tld.'], 'only glue for the referral NS names');
  }
  const ans = classify(msg({
    q: 'www.leaf.tld', flags: FLAG_AA,
    answers: [rr('www.leaf.tld', T.A, ip('192.0.2.1')), rr('www.victim.other', T.A, ip('6.6.6.6'))],
  }), n('www.leaf.tld'), T.A, n('leaf.tld'));
  t.equal(ans.kind, 'answer');
  t.equal(ans.kind === 'answer' && ans.rrsets.length, 1, 'unrelated answer records dropped');
  const oob = classify(msg({ q: 'www.leaf.tld', answers: [rr('www.leaf.tld', T.A, ip('192.0.2.1'))] }), n('www.leaf.tld'), T.A, n('other.tld'));
  t.equal(oob.kind, 'fail', 'answer from outside the bailiwick is not believed');
  const cn = classify(msg({ q: 'alias.leaf.tld', flags: FLAG_AA, answers: [rr('alias.leaf.tld', T.CNAME, n('www.other.tld'))] }), n('alias.leaf.tld'), T.A, n('leaf.tld'));
  t.equal(cn.kind, 'cname');
  t.equal(cn.kind === 'cname' && nameToText(cn.next), 'www.other.tld.');
  const nx = classify(msg({ q: 'nope.leaf.tld', rcode: RCODE.NXDOMAIN, flags: FLAG_AA, authorities: [rr('leaf.tld', T.SOA, soaRd(60))] }), n('nope.leaf.tld'), T.A, n('leaf.tld'));
  t.equal(nx.kind, 'nxdomain');
  t.ok(nx.kind === 'nxdomain' && nx.soa, 'SOA kept');
  t.equal(classify(msg({ q: 'x', rcode: RCODE.SERVFAIL }), n('x'), T.A, n('.')).kind, 'fail');
});

t.test('resolver: iterative walk, caching, coalescing, serve-stale', async (t) => {
  let sent = 0;
  let down = false;
  const transport: Transport = async (s, q) => {
    sent++;
    if (down) throw new Error('down');
    await new Promise((r) => setTimeout(r, 5));
    const name = nameToText(q.name);
    if (s.address === '198.41.0.4') {
      return msg({ q: name, authorities: [rr('tld', T.NS, n('ns.tld'))], additionals: [rr('ns.tld', T.A, ip('127.0.0.20'))] });
    }
    if (s.address === '127.0.0.20') {
      return msg({ q: name, authorities: [rr('leaf.tld', T.NS, n('ns.leaf.tld'))], additionals: [rr('ns.leaf.tld', T.A, ip('127.0.0.30'))] });
    }
    if (name === 'www.leaf.tld.') return msg({ q: name, flags: FLAG_AA, answers: [rr('www.leaf.tld', T.A, ip('192.0.2.7'), 1)] });
    return msg({ q: name, flags: FLAG_AA, rcode: RCODE.NXDOMAIN, authorities: [rr('leaf.tld', T.SOA, soaRd(60))] });
  };
  const r = new Resolver({ forward: buildForwardPolicy({ forwarders: [], forward: 'first', zones: [] }), transport, serveStale: true, cache: { maxStaleTtl: 3600 } });
  const q = { name: n('www.leaf.tld'), type: T.A, class: 1 };
  const all = await Promise.all(Array.from({ length: 10 }, () => r.resolve(q)));
  t.equal(sent, 3, 'ten identical questions: one walk root → tld → leaf');
  t.ok(all.every((x) => x.rcode === 0 && x.answer.length === 1));
  await r.resolve(q);
  t.equal(sent, 3, 'second time from the cache');
  const nx = await r.resolve({ name: n('nope.leaf.tld'), type: T.A, class: 1 });
  t.equal(nx.rcode, RCODE.NXDOMAIN);
  t.equal(sent, 4, 'NS of leaf.tld cached: straight to the leaf server');
  await new Promise((res) => setTimeout(res, 1100));
  down = true;
  const st = await r.resolve(q);
  t.equal(st.rcode, 0, 'stale answer when upstreams fail');
  t.equal(st.stale, true);
  const sf = await r.resolve({ name: n('never.leaf.tld'), type: T.MX, class: 1 });
  t.equal(sf.rcode, RCODE.SERVFAIL);
});

t.test('resolver: forward only does not iterate; forward first does', async (t) => {
  const seen: string[] = [];
  const transport: Transport = async (s) => {
    seen.push(s.address);
    throw new Error('unreachable');
  };
  const only = new Resolver({ forward: buildForwardPolicy({ forwarders: [{ address: '127.0.0.9', port: 5300 }], forward: 'only', zones: [] }), transport, tries: 1 });
  t.equal((await only.resolve({ name: n('x.example'), type: T.A, class: 1 })).rcode, RCODE.SERVFAIL);
  t.same(seen, ['127.0.0.9']);
  seen.length = 0;
  const first = new Resolver({ forward: buildForwardPolicy({ forwarders: [{ address: '127.0.0.9', port: 5300 }], forward: 'first', zones: [] }), transport, tries: 1 });
  await first.resolve({ name: n('x.example'), type: T.A, class: 1 });
  t.equal(seen[0], '127.0.0.9');
  t.ok(seen.length > 1, 'then the root servers');
});

t.test('InFlight shares one promise', async (t) => {
  const f = new InFlight<number>();
  let calls = 0;
  const start = async (): Promise<number> => {
    calls++;
    await new Promise((r) => setTimeout(r, 5));
    return 7;
  };
  const v = await Promise.all([f.run('k', start), f.run('k', start), f.run('j', start)]);
  t.same(v, [7, 7, 7]);
  t.equal(calls, 2);
  t.equal(f.joined, 1);
  t.equal(f.size, 0);
});

t.test('cache: glue is never an answer', async (t) => {
  const c = new RRCache();
  c.put(a('ns1.leaf.tld', '127.0.0.3'), RANK.GLUE);
  t.equal(c.get(n('ns1.leaf.tld'), T.A, 1, { minRank: RANK.ANSWER }), undefined, 'hidden from answers');
  t.equal(c.get(n('ns1.leaf.tld'), T.A, 1)?.kind, 'rrset', 'still usable to reach the server');
});

t.test('classify: sloppy servers (what is believed, what is asked again)', async (t) => {
  const leaf = n('leaf.tld');
  const soa = rr('leaf.tld', T.SOA, soaRd(60));
  // A CNAME with an SOA beside it is followed, never NODATA for the target.
  const c1 = classify(msg({ q: 'c.leaf.tld', flags: FLAG_AA, answers: [rr('c.leaf.tld', T.CNAME, n('t.leaf.tld'))], authorities: [soa] }), n('c.leaf.tld'), T.A, leaf);
  t.equal(c1.kind, 'cname', 'CNAME + SOA: follow the target');
  // NXDOMAIN for the end of a chain counts inside the bailiwick only.
  const nxIn = classify(msg({ q: 'c.leaf.tld', rcode: RCODE.NXDOMAIN, flags: FLAG_AA, answers: [rr('c.leaf.tld', T.CNAME, n('t.leaf.tld'))], authorities: [soa] }), n('c.leaf.tld'), T.A, leaf);
  t.equal(nxIn.kind, 'nxdomain');
  const nxOut = classify(msg({ q: 'c.leaf.tld', rcode: RCODE.NXDOMAIN, flags: FLAG_AA, answers: [rr('c.leaf.tld', T.CNAME, n('www.other.tld'))], authorities: [soa] }), n('c.leaf.tld'), T.A, leaf);
  t.equal(nxOut.kind, 'cname', 'NXDOMAIN about a name outside the bailiwick: ask its own servers');
  // A referral with AA set is still a referral.
  const ref = classify(msg({ q: 'www.sub.leaf.tld', flags: FLAG_AA, authorities: [rr('sub.leaf.tld', T.NS, n('ns.sub.leaf.tld'))],
    additionals: [rr('ns.sub.leaf.tld', T.A, ip('127.0.0.9'))] }), n('www.sub.leaf.tld'), T.A, leaf);
  t.equal(ref.kind, 'referral', 'AA on a referral is ignored');
  t.equal(ref.kind === 'referral' && ref.glue.length, 1);
  // Broken answers: records that answer nothing, an SOA of another zone, NS that lead nowhere.
  t.equal(classify(msg({ q: 'n.leaf.tld', flags: FLAG_AA, answers: [rr('n.leaf.tld', T.TXT, Uint8Array.of(1, 0x78))] }), n('n.leaf.tld'), T.A, leaf).kind,
    'fail', 'an answer section of the wrong type');
  t.equal(classify(msg({ q: 'n.leaf.tld', flags: FLAG_AA, answers: [rr('www.victim.other', T.A, ip('6.6.6.6'))] }), n('n.leaf.tld'), T.A, leaf).kind,
    'fail', 'an answer section about another name only');
  t.equal(classify(msg({ q: 'o.leaf.tld', flags: FLAG_AA, authorities: [rr('other.tld', T.SOA, soaRd(60))] }), n('o.leaf.tld'), T.A, leaf).kind,
    'fail', 'NODATA with the SOA of another zone');
  t.equal(classify(msg({ q: 'o.leaf.tld', rcode: RCODE.NXDOMAIN, flags: FLAG_AA, authorities: [rr('other.tld', T.SOA, soaRd(60))] }), n('o.leaf.tld'), T.A, leaf).kind,
    'nxdomain', 'NXDOMAIN is taken whatever SOA comes with it');
  t.equal(classify(msg({ q: 'q.leaf.tld', flags: FLAG_AA, authorities: [rr('leaf.tld', T.NS, n('ns.leaf.tld'))] }), n('q.leaf.tld'), T.A, leaf).kind,
    'fail', 'the zone\'s own NS and nothing else: lame');
  t.equal(classify(msg({ q: 'q.leaf.tld', authorities: [rr('tld', T.NS, n('ns.tld'))] }), n('q.leaf.tld'), T.A, leaf).kind, 'fail', 'upward referral');
  t.equal(classify(msg({ q: 'q.leaf.tld', authorities: [rr('zz.leaf.tld', T.NS, n('ns.zz.leaf.tld'))] }), n('q.leaf.tld'), T.A, leaf).kind,
    'fail', 'referral off the path to the name');
  t.equal(classify(msg({ q: 'q.leaf.tld' }), n('q.leaf.tld'), T.A, leaf).kind, 'nodata', 'nothing at all, even without AA: NODATA');
});

t.test('resolver: bad glue, then the other name servers are looked up; NS names that are CNAMEs are not followed', async (t) => {
  const asked: string[] = [];
  const transport: Transport = async (s, q) => {
    const name = nameToText(q.name);
    asked.push(`${s.address} ${name}`);
    if (s.address === '198.41.0.4') {
      if (name.endsWith('good.tld.')) return msg({ q: name, authorities: [rr('good.tld', T.NS, n('ns.good.tld'))], additionals: [rr('ns.good.tld', T.A, ip('127.0.0.3'))] });
      return msg({ q: name, authorities: [rr('bad.tld', T.NS, n('ns.bad.tld')), rr('bad.tld', T.NS, n('alias.good.tld')), rr('bad.tld', T.NS, n('ns2.good.tld'))],
        additionals: [rr('ns.bad.tld', T.A, ip('127.0.0.66'))] });
    }
    if (s.address === '127.0.0.66') throw new Error('unreachable');
    if (s.address === '127.0.0.3') {
      if (name === 'ns2.good.tld.') return msg({ q: name, flags: FLAG_AA, answers: [rr('ns2.good.tld', T.A, ip('127.0.0.4'))] });
      if (name === 'alias.good.tld.') return msg({ q: name, flags: FLAG_AA, answers: [rr('alias.good.tld', T.CNAME, n('ns3.good.tld')), rr('ns3.good.tld', T.A, ip('127.0.0.5'))] });
    }
    if (s.address === '127.0.0.4') return msg({ q: name, flags: FLAG_AA, answers: [rr('www.bad.tld', T.A, ip('192.0.2.40'))] });
    return msg({ q: name, rcode: RCODE.REFUSED });
  };
  const r = new Resolver({ forward: buildForwardPolicy({ forwarders: [], forward: 'first', zones: [] }), transport, tries: 1 });
  const res = await r.resolve({ name: n('www.bad.tld'), type: T.A, class: 1 });
  t.equal(res.rcode, 0);
  t.same(res.answer.map((s) => [...s.rdatas[0]].join('.')), ['192.0.2.40'], 'answered by the server found after the glue failed');
  t.ok(asked.includes('127.0.0.66 www.bad.tld.'), 'the glue was tried first');
  t.ok(asked.includes('127.0.0.3 alias.good.tld.'), 'the CNAME\'d NS name was looked up');
  t.notOk(asked.some((a) => a.startsWith('127.0.0.5')), 'but the address behind its CNAME is never used');
});

t.test('resolver: the closest cached delegation (non-recursive queries)', async (t) => {
  const r = new Resolver({ forward: buildForwardPolicy({ forwarders: [], forward: 'first', zones: [] }), transport: async () => { throw new Error('no network'); } });
  t.equal(r.delegationFromCache(n('www.leaf.tld'), 1), undefined, 'nothing cached: nothing to refer to');
  r.cache.put({ owner: n('tld'), type: T.NS, class: 1, ttl: 300, rdatas: [n('ns.tld')] }, RANK.AUTHORITY);
  r.cache.put({ owner: n('leaf.tld'), type: T.NS, class: 1, ttl: 300, rdatas: [n('ns1.leaf.tld'), n('ns2.other.tld')] }, RANK.AUTHORITY);
  r.cache.put(a('ns1.leaf.tld', '127.0.0.3'), RANK.GLUE);
  const d = r.delegationFromCache(n('a.b.www.leaf.tld'), 1);
  t.equal(d && nameToText(d.ns.owner), 'leaf.tld.', 'the deepest cut above the name');
  t.same(d?.glue.map((g) => nameToText(g.owner)), ['ns1.leaf.tld.'], 'with the addresses the cache has');
  t.equal(nameToText(r.delegationFromCache(n('x.tld'), 1)?.ns.owner ?? n('.')), 'tld.');
});

t.test('no network: every root server fails at once, SERVFAIL comes at once', async (t) => {
  let sent = 0;
  const transport: Transport = async () => {
    sent++;
    throw new Error('connect ENETUNREACH');
  };
  const r = new Resolver({ forward: buildForwardPolicy({ forwarders: [], forward: 'first', zones: [] }), transport, tries: 1 });
  const res = await r.resolve({ name: n('www.example.com'), type: T.A, class: 1 });
  t.equal(res.rcode, RCODE.SERVFAIL);
  // Each root address once; no lookup of the root servers' own names through the same
  // failed roots (that fallback, nested, multiplied the queries without bound).
  t.ok(sent <= 26, `at most one query per root address (${sent})`);
});

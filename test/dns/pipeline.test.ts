// The answer pipeline's stages without sockets: the source list and its order, a
// source added in front of the others, the one response-cache key, and the
// exception path (a source that throws: SERVFAIL, a counter apart from malformed
// input, and one log line per interval).
import t from 'tap';
import dnsPacket from 'dns-packet';
import { DEFERRED, Responder, type ServingView, type ClientInfo } from '../../src/dns/responder.js';
import { SOURCES } from '../../src/dns/sources.js';
import { errorReply, type Source } from '../../src/dns/pipeline.js';
import { FaultLog } from '../../src/dns/fault-log.js';
import { ADMISSION, type Admission } from '../../src/dns/policy.js';
import { AnswerCache, fastKey, parsedKey } from '../../src/dns/answer-cache.js';
import { decodeMessage, parseQuery, RCODE, type DecodedMessage } from '../../src/dns/message.js';
import { nameKey, parseName } from '../../src/wire/dns-name.js';
import { miniZone, TRI } from '../helpers/mini-zone.js';

const tri = miniZone('tri.test', TRI);
const view: ServingView = { zones: [tri], allowQuery: () => true, zoneAllowQuery: new Map(), recursion: false, version: 'Triad-test', udpSize: 1232 };
const udp: ClientInfo = { address: '127.0.0.1', port: 5353, transport: 'udp' };

function query(name: string, opts: { type?: string; edns?: boolean; do?: boolean; id?: number } = {}): Uint8Array {
  return dnsPacket.encode({
    type: 'query', id: opts.id ?? 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: opts.type ?? 'A', class: 'IN', name }],
    additionals: opts.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: opts.do ? dnsPacket.DNSSEC_OK : 0, options: [] }] : [],
  });
}
function decode(b: Uint8Array | null | undefined): DecodedMessage {
  if (!b) throw new Error('dropped');
  const d = decodeMessage(b);
  if (typeof d === 'string') throw new Error(d);
  return d;
}

t.test('the sources, in the order they are asked', async (t) => {
  t.same(new Responder(view).handlers.map((h) => h.name), ['update', 'notify', 'transfer', 'chaos', 'authoritative'],
    'recursion off: no resolver source');
  const resolver = { resolve: () => Promise.reject(new Error('unused')), fromCache: () => undefined };
  t.same(new Responder({ ...view, recursion: true }, { resolver }).handlers.map((h) => h.name),
    ['update', 'notify', 'transfer', 'chaos', 'authoritative', 'recursion']);
  t.equal(SOURCES.length, 6);
});

t.test('a source added in front answers or passes on', async (t) => {
  // As a response policy zone would: one name rewritten to NXDOMAIN, the rest passed on.
  const blocked = nameKey(parseName('www.tri.test.'));
  const rpz: Source = () => ({
    name: 'rpz',
    answer: ({ q }) => (nameKey(q.question.name) === blocked ? errorReply(RCODE.NXDOMAIN, q.question, q.flags & 0x0110) : undefined),
  });
  const r = new Responder(view, { sources: [rpz, ...SOURCES] });
  t.equal(r.handlers[0].name, 'rpz');
  t.equal(decode(r.respond(query('www.tri.test'), udp)).rcode, RCODE.NXDOMAIN, 'the added source answers first');
  const other = decode(r.respond(query('mx.tri.test', { type: 'MX' }), udp));
  t.equal(other.rcode, RCODE.NOERROR, 'other names reach the authoritative source');
  t.ok(other.answers.length > 0);
  t.equal(decode(r.respond(query('www.example.com'), udp)).rcode, RCODE.REFUSED, 'a name nobody answers is REFUSED');
  // As a response policy zone's DROP action would: a source that answers nothing.
  const dropper: Source = () => ({ name: 'drop', answer: ({ q }) => (nameKey(q.question.name) === blocked ? { kind: 'drop' } : undefined) });
  const dropping = new Responder(view, { sources: [dropper, ...SOURCES] });
  t.equal(dropping.respond(query('www.tri.test'), udp), null, 'dropped');
  t.equal(decode(dropping.respond(query('mx.tri.test', { type: 'MX' }), udp)).rcode, RCODE.NOERROR, 'others answered');
});

t.test('an admission check added to the list runs before the response cache', async (t) => {
  // As a per-client rate limit would: one answer, then nothing, cache hits included.
  let budget = 1;
  const limit: Admission = () => () => budget-- <= 0;
  const r = new Responder(view, { admission: [...ADMISSION, limit] });
  t.equal(decode(r.respond(query('www.tri.test'), udp)).rcode, RCODE.NOERROR, 'within the budget: answered');
  t.equal(r.respond(query('www.tri.test'), udp), null, 'over it: dropped, though the answer is cached');
  t.equal(r.respondTcp(query('tri.test', { type: 'AXFR' }), { ...udp, transport: 'tcp' }), null, 'a transfer too');
  t.equal(r.stats.cacheHits, 0);
});

t.test('the fast key and the parsed key agree', async (t) => {
  const cases: Array<[Uint8Array, ClientInfo]> = [
    [query('www.tri.test'), udp],
    [query('WWW.Tri.test', { edns: true }), udp],
    [query('www.tri.test', { edns: true, do: true }), udp],
    [query('www.tri.test', { edns: true }), { ...udp, transport: 'tcp' }],
    [query('www.tri.test'), { ...udp, address: '::1' }],
  ];
  for (const [msg, client] of cases) {
    const p = parseQuery(msg);
    if (p.kind !== 'ok') throw new Error(p.kind);
    const size = client.transport === 'tcp' ? 65535 : p.query.edns ? Math.min(p.query.edns.udpSize, 1232) : 512;
    const fast = fastKey(msg, client.transport === 'tcp' ? 65535 : 0, 1232, client.address.includes(':') ? 6 : 4);
    if (!fast) throw new Error('the common shape has no fast key');
    const parsed = parsedKey(msg, p.query, size, client.address);
    t.same(Buffer.from(fast.bytes.subarray(0, fast.len)), Buffer.from(parsed.bytes.subarray(0, parsed.len)), 'the same octets');
    t.equal(fast.hash, parsed.hash, 'the same hash');
  }
});

function throwingFor(name: string): Source {
  const key = nameKey(parseName(name));
  return () => ({
    name: 'broken',
    answer: ({ q }) => {
      if (nameKey(q.question.name) === key) throw new Error('broken source');
      return undefined;
    },
  });
}

t.test('an exception inside the pipeline: SERVFAIL, counted apart, logged once per interval', async (t) => {
  const lines: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  let now = 1_000_000;
  const faults = new FaultLog({ error: (obj, msg) => lines.push({ obj: obj as Record<string, unknown>, msg }) }, 10_000, () => now);
  const r = new Responder(view, { sources: [throwingFor('bad.tri.test.'), ...SOURCES], faults });
  const d = decode(r.respond(query('bad.tri.test', { id: 4321, edns: true }), udp));
  t.equal(d.rcode, RCODE.SERVFAIL);
  t.equal(d.id, 4321);
  t.equal(d.questions.length, 1, 'the question is repeated');
  t.ok(d.flags & 0x0100, 'RD copied');
  t.ok(d.additionals.some((a) => a.type === 41), 'with OPT');
  t.equal(r.stats.internalErrors, 1);
  t.equal(r.stats.malformed, 0, 'not counted as malformed input');
  t.equal(r.stats.byRcode.SERVFAIL, 1);
  t.equal(lines.length, 1, 'one log line');
  t.match(String(lines[0].obj.err), /broken source[\s\S]*at /, 'with the stack');
  t.match(lines[0].msg, /SERVFAIL/);
  t.equal(decode(r.respond(query('bad.tri.test'), udp)).rcode, RCODE.SERVFAIL, 'again: not cached, still SERVFAIL');
  t.equal(r.stats.internalErrors, 2);
  t.equal(lines.length, 1, 'within 10 s: not logged again');
  t.equal(decode(r.respond(query('www.tri.test'), udp)).rcode, RCODE.NOERROR, 'other names are answered');
  now += 10_000;
  r.respond(query('bad.tri.test'), udp);
  t.equal(lines.length, 2, 'after 10 s: logged again');
  t.equal(lines[1].obj.notLogged, 1, 'saying how many were not logged');
});

t.test('exceptions in a zone transfer and in a deferred answer', async (t) => {
  const lines: string[] = [];
  const faults = new FaultLog({ error: (_obj, msg) => lines.push(msg) });
  const r = new Responder(view, { sources: [throwingFor('tri.test.'), ...SOURCES], faults });
  const outs = r.respondTcp(query('tri.test', { type: 'AXFR' }), { ...udp, transport: 'tcp' });
  t.equal(outs?.length, 1);
  t.equal(decode(outs?.[0]).rcode, RCODE.SERVFAIL, 'AXFR: one SERVFAIL message');
  const rejecting: Source = () => ({ name: 'late', answer: () => ({ kind: 'later', reply: Promise.reject(new Error('late failure')) }) });
  const r2 = new Responder(view, { sources: [rejecting], faults });
  const got = await new Promise<Uint8Array | null>((resolve) => {
    t.equal(r2.respond(query('www.tri.test'), udp, (b) => resolve(b)), DEFERRED);
  });
  t.equal(decode(got).rcode, RCODE.SERVFAIL, 'a deferred answer that fails: SERVFAIL');
  t.equal(r.stats.internalErrors + r2.stats.internalErrors, 2);
  t.equal(lines.length, 1, 'one log line for both within the interval (one FaultLog per process)');
});

t.test('blackhole comes before everything, zone transfers included', async (t) => {
  const r = new Responder({ ...view, blackhole: (a) => a === '10.66.0.1', allowTransfer: () => true });
  const tcp: ClientInfo = { address: '10.66.0.1', port: 5353, transport: 'tcp' };
  t.equal(r.respond(query('www.tri.test'), { ...tcp, transport: 'udp' }), null, 'a query: dropped');
  t.equal(r.respondTcp(query('tri.test', { type: 'AXFR' }), tcp), null, 'an AXFR over TCP: dropped');
  t.equal(r.stats.queries, 0, 'and not counted as queries');
  t.ok((r.respondTcp(query('tri.test', { type: 'AXFR' }), { ...tcp, address: '10.66.0.2' }) ?? []).length > 0, 'another client gets the transfer');
});

t.test('the response cache compares key octets: a hash shared by two keys never mixes their answers', async (t) => {
  const cache = new AnswerCache(10);
  const entry = { bytes: new Uint8Array([1, 2, 3]), cookieAt: -1, rcode: 0 };
  cache.set({ bytes: new Uint8Array([1, 2]), len: 2, hash: 7 }, entry);
  t.equal(cache.get({ bytes: new Uint8Array([1, 2]), len: 2, hash: 7 }, '192.0.2.1'), entry, 'the same key: found');
  t.equal(cache.get({ bytes: new Uint8Array([1, 3]), len: 2, hash: 7 }, '192.0.2.1'), undefined, 'another key with the same hash: not found');
  const other = { ...entry, rcode: 3 };
  cache.set({ bytes: new Uint8Array([1, 3]), len: 2, hash: 7 }, other);
  t.equal(cache.get({ bytes: new Uint8Array([1, 3]), len: 2, hash: 7 }, '192.0.2.1'), other, 'the later replaces the earlier');
  t.equal(cache.get({ bytes: new Uint8Array([1, 2]), len: 2, hash: 7 }, '192.0.2.1'), undefined);
});

t.test('the fast key differs where the answer may differ: case, DO, size, family', async (t) => {
  const k = (msg: Uint8Array, tcp: number, fam: number): string => {
    const key = fastKey(msg, tcp, 1232, fam);
    return key ? Buffer.from(key.bytes.subarray(0, key.len)).toString('hex') : '';
  };
  const base = k(query('www.tri.test', { edns: true }), 0, 4);
  t.not(k(query('WWW.tri.test', { edns: true }), 0, 4), base, 'case');
  t.not(k(query('www.tri.test', { edns: true, do: true }), 0, 4), base, 'DO');
  t.not(k(query('www.tri.test'), 0, 4), base, 'no EDNS');
  t.not(k(query('www.tri.test', { edns: true }), 65535, 4), base, 'TCP');
  t.not(k(query('www.tri.test', { edns: true }), 0, 6), base, 'IPv6 client');
  t.equal(k(query('www.tri.test', { edns: true, id: 99 }), 0, 4), base, 'the ID is not part of it');
});

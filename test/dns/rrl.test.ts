// Response-rate limiting decisions (rrl.ts) and the stage around them (rrl-stage.ts): BIND 9.18's accounts, credit, slip and log lines.
import t from 'tap';
import { RateLimiter, type RrlResponse, type RrlSettings } from '../../src/dns/rrl.js';
import { RrlStage, classifyResponse, slip } from '../../src/dns/rrl-stage.js';
import { Responder, type ServingView } from '../../src/dns/responder.js';
import { loadZoneText } from '../../src/dns/zone-loader.js';
import { rawQuery } from '../helpers/raw-query.js';

function settings(over: Partial<RrlSettings> = {}): RrlSettings {
  return { responsesPerSecond: 5, referralsPerSecond: 5, nodataPerSecond: 5, nxdomainsPerSecond: 5, errorsPerSecond: 5, allPerSecond: 0, window: 15, slip: 2,
    qpsScale: 0, ipv4PrefixLength: 24, ipv6PrefixLength: 56, logOnly: false, maxTableSize: 20000, minTableSize: 500, ...over };
}
const A: RrlResponse = { kind: 'answer', name: 'www.example.com', qtype: 1, qclass: 1 };

function run(l: RateLimiter, n: number, r: RrlResponse = A, addr = '127.0.0.2', now = 100): string[] {
  return Array.from({ length: n }, () => l.check(addr, 'udp', r, now).action);
}

t.test('a burst: `rate` answers, then slip, drop, slip… (slip 2), the first limited one slipped', async (t) => {
  const l = new RateLimiter(settings());
  t.same(run(l, 10), ['ok', 'ok', 'ok', 'ok', 'ok', 'slip', 'drop', 'slip', 'drop', 'slip']);
});

t.test('slip 1 slips every limited response, slip 0 none, slip 3 one in three', async (t) => {
  t.same(run(new RateLimiter(settings({ slip: 1 })), 8).slice(5), ['slip', 'slip', 'slip']);
  t.same(run(new RateLimiter(settings({ slip: 0 })), 8).slice(5), ['drop', 'drop', 'drop']);
  t.same(run(new RateLimiter(settings({ slip: 3 })), 11).slice(5), ['slip', 'drop', 'drop', 'slip', 'drop', 'drop']);
});

t.test('credit: rate tokens a second, but a flooding client owes up to window × rate', async (t) => {
  const l = new RateLimiter(settings({ window: 2 }));
  run(l, 100, A, '127.0.0.2', 100);
  // Floored at -10; one second later -5: still nothing answered.
  t.same(run(l, 3, A, '127.0.0.2', 101).filter((a) => a === 'ok'), []);
  // After a quiet window the account starts full again.
  t.same(run(l, 6, A, '127.0.0.2', 110), ['ok', 'ok', 'ok', 'ok', 'ok', 'slip']);
});

t.test('accounts: per client prefix, per name and type; NXDOMAIN per zone; errors per prefix', async (t) => {
  const l = new RateLimiter(settings());
  run(l, 10);
  t.same(run(l, 1, A, '127.0.0.200'), ['drop'], 'the same /24 shares the account');
  t.same(run(l, 1, A, '127.0.1.2'), ['ok'], 'another /24 does not');
  t.same(run(l, 1, { ...A, qtype: 28 }), ['ok'], 'another type is another account');
  t.same(run(l, 1, { ...A, name: 'a.example.com' }), ['ok'], 'another name too');
  const nx = (name: string): RrlResponse => ({ kind: 'nxdomain', name, qtype: 1, qclass: 1 });
  for (let i = 0; i < 5; i++) t.equal(l.check('127.0.0.2', 'udp', nx('example.com'), 100).action, 'ok');
  t.equal(l.check('127.0.0.2', 'udp', nx('example.com'), 100).action, 'slip', 'random names under one zone: one account');
  const err: RrlResponse = { kind: 'error', name: '', qtype: 0, qclass: 0, rcode: 'REFUSED' };
  t.same(run(l, 7, err), ['ok', 'ok', 'ok', 'ok', 'ok', 'drop', 'drop'], 'errors are dropped, never slipped');
});

t.test('per-kind rates; 0 is unlimited', async (t) => {
  const l = new RateLimiter(settings({ responsesPerSecond: 0, nodataPerSecond: 2 }));
  t.same(run(l, 20).filter((a) => a !== 'ok'), []);
  t.same(run(l, 4, { kind: 'nodata', name: 'x.example.com', qtype: 16, qclass: 1 }), ['ok', 'ok', 'slip', 'drop']);
});

t.test('all-per-second limits every response of a prefix, dropped without slip', async (t) => {
  const l = new RateLimiter(settings({ responsesPerSecond: 0, allPerSecond: 3 }));
  const acts = ['a', 'b', 'c', 'd', 'e'].map((n) => l.check('127.0.0.2', 'udp', { ...A, name: `${n}.example.com` }, 100));
  t.same(acts.map((v) => v.action), ['ok', 'ok', 'ok', 'drop', 'drop']);
  t.match(acts[3].log, ['limit all responses to 127.0.0.0/24']);
});

t.test('TCP and exempt clients are never limited; log-only logs and answers', async (t) => {
  const l = new RateLimiter(settings({ exempt: (a) => a === '127.0.0.9' }));
  t.same(Array.from({ length: 20 }, () => l.check('127.0.0.2', 'tcp', A, 100).action).filter((a) => a !== 'ok'), []);
  t.same(run(l, 20, A, '127.0.0.9').filter((a) => a !== 'ok'), []);
  const lo = new RateLimiter(settings({ logOnly: true }));
  const v = Array.from({ length: 8 }, () => lo.check('127.0.0.2', 'udp', A, 100));
  t.same(v.map((x) => x.action).filter((a) => a !== 'ok'), []);
  t.same(v[5].log, ['would limit responses to 127.0.0.0/24 for www.example.com IN A  (' + /\(([0-9a-f]{8})\)/.exec(v[5].log?.[0] ?? '')?.[1] + ')']);
  t.equal(lo.stats.wouldSlip + lo.stats.wouldDrop, 3);
  // BIND (log-only): "would stop limiting …" at the first response after a quiet minute.
  t.match(lo.check('127.0.9.9', 'udp', A, 161).log, [/^would stop limiting responses to 127\.0\.0\.0\/24 for www\.example\.com IN A {2}\(/]);
});

t.test("log lines in BIND's words: start once, stop after a quiet minute", async (t) => {
  const l = new RateLimiter(settings());
  const lines: string[] = [];
  const note = (r: RrlResponse, now: number, addr = '127.0.0.2'): void => {
    for (let i = 0; i < 8; i++) lines.push(...(l.check(addr, 'udp', r, now).log ?? []));
  };
  note(A, 100);
  note({ kind: 'nxdomain', name: 'example.com', qtype: 1, qclass: 1 }, 100);
  note({ kind: 'referral', name: 'sub.example.com', qtype: 1, qclass: 1 }, 100);
  note({ kind: 'nodata', name: 'a.example.com', qtype: 16, qclass: 1 }, 100, '2001:db8::1');
  note({ kind: 'error', name: '', qtype: 0, qclass: 0, rcode: 'REFUSED' }, 100);
  note(A, 200, '127.0.1.1');
  t.match(lines, [
    /^limit responses to 127\.0\.0\.0\/24 for www\.example\.com IN A {2}\([0-9a-f]{8}\)$/,
    /^limit NXDOMAIN responses to 127\.0\.0\.0\/24 for example\.com {2}\([0-9a-f]{8}\)$/,
    /^limit referral responses to 127\.0\.0\.0\/24 for sub\.example\.com IN {2}\([0-9a-f]{8}\)$/,
    /^limit NODATA responses to 2001:db8::\/56 for a\.example\.com IN {2}\([0-9a-f]{8}\)$/,
    /^limit REFUSED error responses to 127\.0\.0\.0\/24$/,
    /^stop limiting responses to 127\.0\.0\.0\/24 for www\.example\.com IN A/,
  ]);
  t.ok(lines.some((x) => x.startsWith('limit responses to 127.0.1.0/24')));
});

t.test('a full table forgets its least recently used account', async (t) => {
  const l = new RateLimiter(settings({ maxTableSize: 3 }));
  for (let i = 0; i < 10; i++) run(l, 1, { ...A, name: `n${i}.example.com` });
  t.equal(l.size, 3);
});

t.test('several workers: each allows its share of the rate', async (t) => {
  const l = new RateLimiter(settings({ responsesPerSecond: 10 }), 1 / 2);
  t.equal(run(l, 20).filter((a) => a === 'ok').length, 5);
  t.equal(run(new RateLimiter(settings({ responsesPerSecond: 5 }), 1 / 2), 20).filter((a) => a === 'ok').length, 3, 'rounded up');
  t.equal(run(new RateLimiter(settings({ responsesPerSecond: 1 }), 1 / 4), 20).filter((a) => a === 'ok').length, 1, 'never below one');
});

t.test('qps-scale shrinks the limits when the server is busy, not for clients that used TCP', async (t) => {
  const l = new RateLimiter(settings({ responsesPerSecond: 10, qpsScale: 10 }));
  // 100 responses a second for a window's seconds: scale 0.1 → 1 a second.
  for (let s = 0; s < 16; s++) for (let i = 0; i < 100; i++) l.check(`10.0.${i}.1`, 'udp', { ...A, name: `n${i}.x` }, 1000 + s);
  t.same(run(l, 3, A, '127.0.5.5', 1016), ['ok', 'slip', 'drop']);
  l.check('127.0.6.6', 'tcp', A, 1016);
  t.equal(run(l, 12, A, '127.0.6.6', 1016).filter((a) => a === 'ok').length, 10);
});

// The stage: what a response is, and the slip that goes back.
const ZONE = `$ORIGIN example.com.
$TTL 300
@ IN SOA ns h 1 3600 600 86400 300
@ IN NS ns
ns IN A 127.0.0.1
www IN A 192.0.2.1
sub IN NS ns.sub
ns.sub IN A 192.0.2.9
`;
function view(rateLimit?: RrlSettings): ServingView {
  const z = loadZoneText({ origin: 'example.com', file: 'example.com.zone', directory: '/', checkNames: 'fail', text: ZONE }).zone;
  if (!z) throw new Error('zone did not load');
  return { zones: [z], allowQuery: () => true, zoneAllowQuery: new Map(), recursion: false, udpSize: 1232, rateLimit };
}
const client = { address: '127.0.0.2', port: 5555, transport: 'udp' as const };

t.test('responses are classified as BIND counts them', async (t) => {
  const r = new Responder(view());
  const kind = (name: string, type: number): unknown => {
    const out = r.respond(rawQuery(name, type), client);
    if (!out) throw new Error('no answer');
    const c = classifyResponse(out);
    return c && { kind: c.kind, name: c.name, ...(c.rcode ? { rcode: c.rcode } : {}) };
  };
  t.same(kind('www.example.com.', 1), { kind: 'answer', name: 'www.example.com' });
  t.same(kind('www.example.com.', 16), { kind: 'nodata', name: 'www.example.com' });
  t.same(kind('nope.example.com.', 1), { kind: 'nxdomain', name: 'example.com' });
  t.same(kind('a.sub.example.com.', 1), { kind: 'referral', name: 'sub.example.com' });
  t.same(kind('other.org.', 1), { kind: 'error', name: '', rcode: 'REFUSED' });
});

t.test('a Responder with rate-limit: rate answers, then TC=1 slips and silence; TCP and other clients are answered', async (t) => {
  const two = settings({ responsesPerSecond: 2, nxdomainsPerSecond: 2 });
  const r = new Responder(view(two), { rrl: new RrlStage(new RateLimiter(two), undefined, () => 100) });
  const outs = Array.from({ length: 6 }, () => r.respond(rawQuery('nope.example.com.', 1), client));
  t.same(outs.map((o) => (o === null ? 'none' : (o[2] & 2) !== 0 ? 'tc' : 'full')), ['full', 'full', 'tc', 'none', 'tc', 'none']);
  const s = outs[2];
  if (!s) throw new Error('no slip');
  t.equal(s[3] & 0xf, 3, 'an NXDOMAIN slip keeps its rcode');
  t.same([...s.subarray(6, 10)], [0, 0, 0, 0], 'no records but the OPT');
  t.equal(s[11], 1, 'the OPT');
  t.equal(r.stats.rateDropped, 2, 'drops counted');
  t.equal(r.stats.rateSlipped, 2, 'slips counted');
  t.ok(r.respond(rawQuery('nope.example.com.', 1), { ...client, address: '127.0.1.2' }), 'another prefix is answered');
  t.ok(r.respond(rawQuery('nope.example.com.', 1), { ...client, transport: 'tcp' }), 'TCP is answered');
});

t.test('slip of an answer: NOERROR, TC, AA kept; a referral slip has AA', async (t) => {
  const r = new Responder(view());
  const a = r.respond(rawQuery('www.example.com.', 1), client);
  const d = r.respond(rawQuery('a.sub.example.com.', 1), client);
  if (!a || !d) throw new Error('no answer');
  const sa = slip(a);
  t.equal(sa[2] & 0x06, 0x06);
  t.equal(sa[3] & 0xf, 0);
  t.equal(d[2] & 0x04, 0, 'the referral itself is not authoritative');
  t.equal(slip(d, true)[2] & 0x06, 0x06);
});

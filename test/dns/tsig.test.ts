// TSIG (RFC 8945): the pure sign/verify functions against an independent HMAC
// computation, the stream rules of §5.3.1, the error verdicts, the answer
// pipeline's TSIG stage (Responder), and real `dig -y` messages both ways.
import t from 'tap';
import dgram from 'node:dgram';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import {
  TSIG_ERROR, TsigResponseVerifier, TsigStreamSigner, findTsig, keyFinder, signMessage, signQuery, signRequest, verifyRequest, type TsigKey,
} from '../../src/wire/tsig.js';
import { Responder, type ServingView, type ClientInfo } from '../../src/dns/responder.js';
import { decodeMessage, RCODE } from '../../src/dns/message.js';
import { nameKey } from '../../src/wire/dns-name.js';
import { miniZone, TRI } from '../helpers/mini-zone.js';
import { rawQuery } from '../helpers/raw-query.js';
import { FaultLog } from '../../src/dns/fault-log.js';

const SECRET = Buffer.from('QHSiI80DmMqNh6OmRWsAnacrRv+hTowL7+279g3Aj+I=', 'base64');
const K256: TsigKey = { name: 'k256', algorithm: 'hmac-sha256', secret: SECRET };
const NOW = 1_700_000_000;
const find = keyFinder([K256]);

/** A query for `name` (type A unless said) with an OPT, as bytes (no TSIG). */
const query = (name: string, id = 0x1234, type = 1): Uint8Array => rawQuery(name, type, id);

/** RFC 8945 §4.3 written out independently of src/: request MAC = HMAC(message ‖ variables). */
function handSigned(msg: Uint8Array, key: TsigKey, time: number, macLen?: number): Uint8Array {
  const keyName = Buffer.from('046b32353600', 'hex'); // k256.
  const alg = Buffer.from('0b686d61632d73686132353600', 'hex'); // hmac-sha256.
  const time48 = Buffer.alloc(6);
  time48.writeUIntBE(time, 0, 6);
  const vars = Buffer.concat([keyName, Buffer.from([0, 255, 0, 0, 0, 0]), alg, time48, Buffer.from([1, 44, 0, 0, 0, 0])]);
  const mac = createHmac('sha256', key.secret).update(msg).update(vars).digest().subarray(0, macLen ?? 32);
  const rdata = Buffer.concat([alg, time48, Buffer.from([1, 44, 0, mac.length]), mac, Buffer.from(msg.subarray(0, 2)), Buffer.from([0, 0, 0, 0])]);
  const rr = Buffer.concat([keyName, Buffer.from([0, 250, 0, 255, 0, 0, 0, 0, rdata.length >> 8, rdata.length & 0xff]), rdata]);
  const out = Buffer.concat([msg, rr]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return out;
}

t.test('a request signed by hand verifies, and signing gives the same bytes', async (t) => {
  const q = query('x.');
  const hand = handSigned(q, K256, NOW);
  const v = verifyRequest(hand, find, NOW + 10);
  t.equal(v.kind, 'ok');
  const ours = signMessage(q, K256, { now: NOW });
  t.same(Buffer.from(ours.message), hand, 'signMessage writes exactly the RFC layout');
});

t.test('request verdicts in BIND\'s order', async (t) => {
  const q = query('x.');
  t.equal(verifyRequest(q, find, NOW).kind, 'unsigned');
  const other: TsigKey = { ...K256, name: 'nokey' };
  const r1 = verifyRequest(signQuery(q, other, NOW).message, find, NOW);
  t.same(r1.kind === 'error' && r1.error, TSIG_ERROR.BADKEY, 'unknown key: BADKEY');
  const r2 = verifyRequest(signQuery(q, { ...K256, algorithm: 'hmac-sha512' }, NOW).message, find, NOW);
  t.same(r2.kind === 'error' && r2.error, TSIG_ERROR.BADKEY, 'known name, other algorithm: BADKEY');
  const r3 = verifyRequest(signQuery(q, { ...K256, secret: Buffer.from('wrong') }, NOW).message, find, NOW);
  t.same(r3.kind === 'error' && r3.error, TSIG_ERROR.BADSIG, 'wrong secret: BADSIG');
  t.same(r3.kind === 'error' && r3.key, undefined, 'BADSIG answers are not signed');
  const r4 = verifyRequest(signQuery(q, K256, NOW - 301).message, find, NOW);
  t.same(r4.kind === 'error' && r4.error, TSIG_ERROR.BADTIME, 'signed 301 s ago (fudge 300): BADTIME');
  t.ok(r4.kind === 'error' && r4.key, 'BADTIME answers are signed');
  t.equal(verifyRequest(signQuery(q, K256, NOW - 300).message, find, NOW).kind, 'ok', 'at the edge of the fudge: ok');
  t.equal(verifyRequest(signQuery(q, K256, NOW + 300).message, find, NOW).kind, 'ok', 'ahead within the fudge: ok');
  const r5 = verifyRequest(handSigned(q, K256, NOW, 16), find, NOW);
  t.same(r5.kind === 'error' && r5.error, TSIG_ERROR.BADTRUNC, 'a 16-octet MAC for a full-length key: BADTRUNC');
  const trunc: TsigKey = { ...K256, digestBits: 128 };
  t.equal(verifyRequest(handSigned(q, K256, NOW, 16), keyFinder([trunc]), NOW).kind, 'ok', 'hmac-sha256-128 accepts it');
  t.equal(verifyRequest(handSigned(q, K256, NOW, 8), find, NOW).kind, 'formerr', 'under 10 octets: FORMERR');
  t.equal(verifyRequest(handSigned(q, K256, NOW, 15), find, NOW).kind, 'formerr', 'under half the digest: FORMERR');
  // A TSIG followed by another record: FORMERR (RFC 8945 §5.1).
  const signed = Buffer.from(signQuery(q, K256, NOW).message);
  const moved = Buffer.concat([signed, Buffer.from('0000290400000000000000', 'hex')]);
  moved.writeUInt16BE(moved.readUInt16BE(10) + 1, 10);
  t.equal(verifyRequest(moved, find, NOW).kind, 'formerr', 'TSIG not last: FORMERR');
  // One flipped bit anywhere in the signed part: BADSIG.
  const flipped = Buffer.from(signed);
  flipped[13] ^= 0x20; // x → X
  t.same((verifyRequest(flipped, find, NOW) as { error?: number }).error, TSIG_ERROR.BADSIG, 'a changed question: BADSIG');
});

t.test('streams: every message signed, or up to 99 unsigned between', async (t) => {
  const req = signQuery(query('x.', 7, 252), K256, NOW);
  // Messages of one TXT record each (owner the root), different contents.
  const msgs = Array.from({ length: 7 }, (_, i) => {
    const m = Buffer.alloc(12 + 11 + 20, i);
    m.writeUInt16BE(7, 0);
    m.writeUInt16BE(0x8400, 2);
    m.writeUInt16BE(0, 4);
    m.writeUInt16BE(1, 6);
    m.writeUInt16BE(0, 8);
    m.writeUInt16BE(0, 10);
    Buffer.from([0, 0, 16, 0, 1, 0, 0, 0, 60, 0, 20, 19]).copy(m, 12);
    return m;
  });
  for (const every of [1, 3]) {
    const s = new TsigStreamSigner(K256, req.mac, () => NOW, every);
    const out = msgs.map((m, i) => s.sign(m, i === msgs.length - 1));
    const signed = out.filter((m) => findTsig(m).kind === 'found').length;
    t.equal(signed, every === 1 ? 7 : 3, `every ${every}: ${signed} signed`);
    const v = new TsigResponseVerifier(K256, req.mac, () => NOW);
    t.ok(out.every((m) => v.verify(m).ok), `every ${every}: each message verifies`);
    t.ok(v.finish().ok, 'the stream ends signed');
    const bad = new TsigResponseVerifier(K256, req.mac, () => NOW);
    const tampered = out.map((m, i) => (i === 1 ? Buffer.concat([m.subarray(0, 20), Buffer.from([m[20] ^ 1]), m.subarray(21)]) : m));
    const results = tampered.map((m) => bad.verify(m).ok);
    t.ok(results.includes(false), `every ${every}: a changed octet in message 2 is caught`);
  }
  const s = new TsigStreamSigner(K256, req.mac, () => NOW);
  const first = s.sign(msgs[0]);
  const v = new TsigResponseVerifier(K256, req.mac, () => NOW);
  t.ok(v.verify(first).ok);
  t.ok(v.verify(msgs[1]).ok, 'an unsigned message after the first is held');
  t.notOk(v.finish().ok, 'but the stream may not end unsigned');
  const v2 = new TsigResponseVerifier(K256, req.mac, () => NOW);
  t.notOk(v2.verify(msgs[0]).ok, 'the first message must be signed');
  const other = signQuery(query('x.', 7, 252), K256, NOW);
  const v3 = new TsigResponseVerifier(K256, other.mac.map((b) => b ^ 1), () => NOW);
  t.notOk(v3.verify(first).ok, 'an answer to another request does not verify');
});

const tri = miniZone('tri.test', TRI);
const closed = miniZone('closed.test', '@ 600 SOA ns root 1 600 600 86400 60\n@ 600 NS ns\nwww 600 A 10.2.0.80\n');
const view: ServingView = {
  zones: [tri, closed],
  allowQuery: () => true,
  zoneAllowQuery: new Map([[nameKey(closed.origin), (_a: string, key?: string) => key === 'k256']]),
  recursion: false,
  udpSize: 1232,
  tsigKeys: [K256],
  allowTransfer: (_a, key) => key === 'k256',
};
const udp: ClientInfo = { address: '127.0.0.1', port: 5353, transport: 'udp' };

t.test('the Responder verifies, answers for the key, and signs', async (t) => {
  const r = new Responder(view, { now: () => NOW });
  const req = signQuery(query('www.closed.test.'), K256, NOW);
  const out = r.respond(req.message, udp);
  t.ok(out);
  const v = new TsigResponseVerifier(K256, req.mac, () => NOW);
  t.ok(v.verify(out!).ok, 'the answer is signed with the key, over the request MAC');
  const d = decodeMessage(out!);
  t.ok(typeof d !== 'string' && d.rcode === RCODE.NOERROR && d.answers.length === 1, 'allow-query { key k256; } let the signed query in');
  const plain = decodeMessage(r.respond(query('www.closed.test.'), udp)!);
  t.ok(typeof plain !== 'string' && plain.rcode === RCODE.REFUSED, 'the same query unsigned is refused');
  // Twice: the signed answer is never served from the response cache.
  const again = signQuery(query('www.closed.test.'), K256, NOW + 1);
  t.ok(new TsigResponseVerifier(K256, again.mac, () => NOW).verify(r.respond(again.message, udp)!).ok, 'a second signed query gets its own signature');
  const err = r.respond(signQuery(query('nope.example.'), K256, NOW).message, udp)!;
  const de = decodeMessage(err);
  t.ok(typeof de !== 'string' && de.rcode === RCODE.REFUSED, 'an error answer…');
  t.equal(findTsig(err).kind, 'found', '…is signed too, as BIND does');
  const bad = r.respond(signQuery(query('www.tri.test.'), { ...K256, secret: Buffer.from('x') }, NOW).message, udp)!;
  const db = decodeMessage(bad);
  const tb = findTsig(bad);
  t.ok(typeof db !== 'string' && db.rcode === RCODE.NOTAUTH, 'bad MAC: NOTAUTH');
  t.ok(tb.kind === 'found' && tb.tsig.error === TSIG_ERROR.BADSIG && tb.tsig.mac.length === 0, 'with BADSIG and no MAC');
  const late = signQuery(query('www.tri.test.'), K256, NOW - 1000);
  const lo = r.respond(late.message, udp)!;
  const tl = findTsig(lo);
  t.ok(tl.kind === 'found' && tl.tsig.error === TSIG_ERROR.BADTIME && tl.tsig.other.length === 6, 'BADTIME with our time in Other Data');
  t.ok(tl.kind === 'found' && tl.tsig.timeSigned === NOW - 1000, 'and the request\'s time signed');
});

t.test('a signed AXFR is signed message by message; unsigned is refused', async (t) => {
  const big = miniZone('big.test', '@ 600 SOA ns root 1 600 600 86400 60\n@ 600 NS ns\n' +
    Array.from({ length: 3000 }, (_, i) => `h${i} 600 TXT padding-padding-padding-padding-padding-${i}`).join('\n'));
  const r = new Responder({ ...view, zones: [big] }, { now: () => NOW });
  const tcp: ClientInfo = { ...udp, transport: 'tcp' };
  // As the code that transfers zones in will use it.
  const ex = signRequest(query('big.test.', 9, 252), K256, () => NOW);
  const outs = r.respondTcp(ex.message, tcp)!;
  t.ok(outs.length > 2, `${outs.length} messages`);
  t.ok(outs.every((m) => ex.check(m).ok) && ex.finish().ok, 'every message verifies in order');
  t.notOk(signRequest(query('big.test.', 10, 252), K256, () => NOW).check(outs[0]).ok, 'not as the answer to another request (another ID, another MAC)');
  const plain = r.respondTcp(query('big.test.', 9, 252), tcp)!;
  const d = decodeMessage(plain[0]);
  t.ok(plain.length === 1 && typeof d !== 'string' && d.rcode === RCODE.REFUSED, 'allow-transfer { key k256; } refuses the unsigned request');
  const wrong = r.respondTcp(signQuery(query('big.test.', 9, 252), { ...K256, name: 'nokey' }, NOW).message, tcp)!;
  const tw = findTsig(wrong[0]);
  t.ok(wrong.length === 1 && tw.kind === 'found' && tw.tsig.error === TSIG_ERROR.BADKEY, 'an unknown key gets BADKEY, not the zone');
});

/** Runs dig against a UDP socket the test answers; returns dig's output. */
async function digAgainst(args: string[], answer: (q: Buffer) => Uint8Array, fail: (why: string) => void): Promise<{ out: string; query?: Buffer }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', res));
  const port = sock.address().port;
  let query: Buffer | undefined;
  sock.on('message', (m, rinfo) => {
    query = m;
    sock.send(answer(m), rinfo.port, rinfo.address);
  });
  const dig = spawn('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=2', ...args]);
  let out = '';
  dig.stdout.on('data', (d: Buffer) => (out += d.toString()));
  dig.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((res) => {
    dig.on('error', (e) => { out += String(e); res(-1); });
    dig.on('close', res);
  });
  sock.close();
  if (code === -1) fail(`dig could not run (install bind9-dnsutils: test/install-deps.sh): ${out}`);
  return { out, query };
}

t.test('dig -y: its request verifies here, our signed answer verifies there', async (t) => {
  const b64 = SECRET.toString('base64');
  const now = (): number => Math.floor(Date.now() / 1000);
  const good = await digAgainst(['www.tri.test', 'A', '-y', `hmac-sha256:k256:${b64}`], (m) => {
    const r = verifyRequest(m, find, now());
    if (r.kind !== 'ok') return m;
    const stripped = Buffer.from(m.subarray(0, r.tsig.start));
    stripped.writeUInt16BE(stripped.readUInt16BE(10) - 1, 10);
    stripped[2] |= 0x84; // QR, AA
    return signMessage(stripped, K256, { now: now(), requestMac: r.tsig.mac }).message;
  }, (w) => t.fail(w));
  t.ok(good.query, 'dig sent a query');
  t.equal(good.query && verifyRequest(good.query, find, now()).kind, 'ok', 'dig\'s signed request verifies with our code');
  t.match(good.out, /TSIG\s+hmac-sha256\. \d+ 300 32 \S+ \d+ NOERROR 0/, 'dig shows our TSIG');
  t.notMatch(good.out, /Couldn't verify|WARNING -- Some TSIG/, 'and verified it');
  const forged = await digAgainst(['www.tri.test', 'A', '-y', `hmac-sha256:k256:${b64}`], (m) => {
    const r = verifyRequest(m, find, now());
    if (r.kind !== 'ok') return m;
    const stripped = Buffer.from(m.subarray(0, r.tsig.start));
    stripped.writeUInt16BE(stripped.readUInt16BE(10) - 1, 10);
    stripped[2] |= 0x84;
    return signMessage(stripped, K256, { now: now(), requestMac: r.tsig.mac.map((x) => x ^ 1) }).message;
  }, (w) => t.fail(w));
  t.match(forged.out, /Couldn't verify|WARNING -- Some TSIG/, 'an answer signed over another request MAC is caught by dig');
  const md5 = await digAgainst(['x', 'SOA', '-y', `hmac-md5:Other.Key:${b64}`], (m) => m, (w) => t.fail(w));
  const f = md5.query ? findTsig(md5.query) : undefined;
  t.ok(f?.kind === 'found' && Buffer.from(f.tsig.algorithm).toString('latin1').includes('hmac-md5'), 'hmac-md5 goes by its long name');
  const k: TsigKey = { name: 'other.key', algorithm: 'hmac-md5', secret: SECRET };
  t.equal(md5.query && verifyRequest(md5.query, keyFinder([k]), now()).kind, 'ok', 'and verifies, key names without case');
});

t.test('mangled signed messages never throw and never verify', async (t) => {
  const r = new Responder(view, { now: () => NOW });
  const base = Buffer.from(signQuery(query('www.tri.test.'), K256, NOW).message);
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let threw = 0;
  let verified = 0;
  for (let i = 0; i < 3000; i++) {
    const m = Buffer.from(base);
    const flips = 1 + rnd(4);
    for (let j = 0; j < flips; j++) m[12 + rnd(m.length - 12)] = rnd(256);
    const cut = rnd(5) === 0 ? m.subarray(0, 12 + rnd(m.length - 12)) : m;
    if (cut.equals(base)) continue;
    try {
      // Names compare without case (RFC 8945 §4.3.3: canonical form), so only a change of
      // letter case in the key or algorithm name may still verify.
      if (verifyRequest(cut, find, NOW).kind === 'ok' && cut.toString('latin1').toLowerCase() !== base.toString('latin1').toLowerCase()) verified++;
      r.respond(cut, udp);
      r.respondTcp(cut, { ...udp, transport: 'tcp' });
    } catch {
      threw++;
    }
  }
  t.equal(threw, 0, 'no exception');
  t.equal(verified, 0, 'no changed message verifies (but for the letter case of the TSIG names)');
  t.equal(r.stats.internalErrors, 0, 'no internal error in the pipeline');
});

t.test('refused signed requests are logged, one line per interval', async (t) => {
  const lines: string[] = [];
  let clock = 0;
  const faults = new FaultLog({ error: (_o, m) => lines.push(`error ${m}`), warn: (o, m) => lines.push(`warn ${m} ${JSON.stringify(o)}`) }, 10_000, () => clock);
  const r = new Responder(view, { now: () => NOW, faults });
  const bad = (): Uint8Array => signQuery(query('www.tri.test.'), { ...K256, name: 'nokey' }, NOW).message;
  r.respond(bad(), udp);
  r.respond(bad(), udp);
  clock = 10_000;
  r.respond(signQuery(query('www.tri.test.'), { ...K256, secret: Buffer.from('x') }, NOW).message, udp);
  t.equal(lines.length, 2, 'the second within 10 s is only counted');
  t.match(lines[0], /^warn dns: request has invalid signature: TSIG nokey: tsig verify failure \(BADKEY\) .*"client":"127\.0\.0\.1#5353"/);
  t.match(lines[1], /TSIG k256: tsig verify failure \(BADSIG\).*"notLogged":1/);
});

import t from 'tap';
import dnsPacket from 'dns-packet';
import { Responder, type ServingView, type ClientInfo } from '../../src/dns/responder.js';
import { decodeMessage, type DecodedMessage } from '../../src/dns/message.js';
import { nameKey, parseName } from '../../src/wire/dns-name.js';
import { miniZone, TRI } from '../helpers/mini-zone.js';

const tri = miniZone('tri.test', TRI + Array.from({ length: 40 }, (_, i) => `bigish 3600 A 10.9.0.${i + 1}`).join('\n'));
const locked = miniZone('locked.test', `
@ 600 SOA ns root 1 600 600 86400 60
@ 600 NS ns
www 600 A 10.2.0.80
`);
const view: ServingView = {
  zones: [tri, locked],
  allowQuery: () => true,
  zoneAllowQuery: new Map([[nameKey(parseName('locked.test.')), (a: string) => a === '127.0.0.2']]),
  recursion: false,
  version: 'Triad-test',
  udpSize: 1232,
};
const udp: ClientInfo = { address: '127.0.0.1', port: 5353, transport: 'udp' };

interface Q { name: string; type?: string; cls?: string; rd?: boolean; edns?: boolean | { size?: number; version?: number; cookie?: boolean; do?: boolean }; id?: number; opcode?: string }
function query(q: Q): Uint8Array {
  const e = q.edns === undefined ? {} : q.edns;
  const additionals = e === false ? [] : [{
    type: 'OPT', name: '.', udpPayloadSize: (e as { size?: number }).size ?? 1232,
    flags: (e as { do?: boolean }).do ? dnsPacket.DNSSEC_OK : 0,
    options: (e as { cookie?: boolean }).cookie ? [{ code: 10, data: Buffer.from('0123456789abcdef', 'hex') }] : [],
  }];
  const b = dnsPacket.encode({ type: 'query', id: q.id ?? 99, flags: q.rd === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ type: q.type ?? 'A', class: q.cls ?? 'IN', name: q.name }], additionals });
  if (q.opcode === 'STATUS') b[2] = (2 << 3) | (b[2] & 0x87);
  if (e !== false && (e as { version?: number }).version) b[b.length - 5] = (e as { version: number }).version; // OPT TTL version octet (no options)
  return b;
}
function ask(r: Responder, q: Q, client = udp): DecodedMessage {
  const out = r.respond(query(q), client);
  if (!out) throw new Error('dropped');
  const d = decodeMessage(out);
  if (typeof d === 'string') throw new Error(d);
  return d;
}
const rcode = (d: DecodedMessage): number => d.rcode;

t.test('answers, IDs and flags', async (t) => {
  const r = new Responder(view);
  const d = ask(r, { name: 'www.tri.test', id: 777 });
  t.equal(d.id, 777);
  t.equal(rcode(d), 0);
  t.ok(d.flags & 0x8000, 'QR');
  t.ok(d.flags & 0x0400, 'AA');
  t.ok(d.flags & 0x0100, 'RD echoed');
  t.notOk(d.flags & 0x0080, 'no RA');
  t.equal(d.answers.length, 1);
  t.equal(d.additionals.length, 1, 'OPT only');
  t.equal(d.additionals[0].class, 1232, 'our UDP size');
});

t.test('the cache patches the ID and keeps per-client ACLs', async (t) => {
  const r = new Responder(view);
  ask(r, { name: 'www.tri.test', id: 1 });
  const d = ask(r, { name: 'www.tri.test', id: 2 });
  t.equal(d.id, 2);
  t.equal(rcode(ask(r, { name: 'www.locked.test' }, { ...udp, address: '127.0.0.2' })), 0);
  t.equal(rcode(ask(r, { name: 'www.locked.test' })), 5, 'a cached allowed answer is not given to a refused client');
  t.equal(rcode(ask(r, { name: 'www.locked.test' }, { ...udp, address: '127.0.0.2' })), 0);
  t.ok((r.stats.byRcode.REFUSED ?? 0) >= 1);
  t.ok(r.stats.queries >= 5);
});

t.test('the fast path finds what the full path cached', async (t) => {
  const r = new Responder(view);
  for (const edns of [false, true, { size: 4096, do: true }] as const) {
    const q: Q = { name: 'mx.TRI.test', type: 'MX', edns };
    const first = ask(r, q);
    const before = r.stats.fastHits;
    const second = ask(r, { ...q, id: 4321 });
    t.equal(r.stats.fastHits, before + 1, `fast hit with edns=${JSON.stringify(edns)}`);
    t.equal(second.id, 4321);
    t.same(second.answers, first.answers);
  }
  ask(r, { name: 'www.tri.test', edns: { cookie: true } });
  const hits = r.stats.cacheHits;
  const before = r.stats.fastHits;
  ask(r, { name: 'www.tri.test', edns: { cookie: true } });
  t.equal(r.stats.cacheHits, hits + 1, 'queries with a COOKIE hit the cache through the full parse');
  t.equal(r.stats.fastHits, before);
});

t.test('REFUSED outside our zones; CHAOS names', async (t) => {
  const r = new Responder(view);
  t.equal(rcode(ask(r, { name: 'www.example.com' })), 5);
  const v = ask(r, { name: 'version.bind', type: 'TXT', cls: 'CH' });
  t.equal(rcode(v), 0);
  t.same(Buffer.from(v.answers[0].rdata.subarray(1)).toString(), 'Triad-test');
  t.equal(rcode(ask(r, { name: 'version.server', type: 'TXT', cls: 'CH' })), 5);
  const hidden = new Responder({ ...view, version: undefined });
  const none = ask(hidden, { name: 'version.bind', type: 'TXT', cls: 'CH' });
  t.equal(rcode(none), 0, 'version none: NODATA, as BIND');
  t.equal(none.answers.length, 0);
  t.equal(none.authorities[0]?.type, 6);
});

t.test('EDNS: BADVERS, DO echoed, cookies', async (t) => {
  const r = new Responder(view);
  const bad = ask(r, { name: 'www.tri.test', edns: { version: 1 } });
  t.equal(bad.rcode, 0, 'low bits');
  t.equal(bad.additionals[0].ttl >>> 24, 1, 'extended rcode 16 = BADVERS');
  t.equal(bad.answers.length, 0);
  const d = ask(r, { name: 'www.tri.test', edns: { do: true } });
  t.ok(d.additionals[0].ttl & 0x8000, 'DO');
  const c1 = ask(r, { name: 'www.tri.test', edns: { cookie: true } });
  const opt = c1.additionals[0].rdata;
  t.equal(opt.length, 4 + 24);
  t.equal(Buffer.from(opt.subarray(4, 12)).toString('hex'), '0123456789abcdef', 'client cookie echoed');
  const c2 = ask(r, { name: 'www.tri.test', edns: { cookie: true } });
  t.equal(Buffer.from(c2.additionals[0].rdata.subarray(4, 12)).toString('hex'), '0123456789abcdef', 'also from the cache');
});

t.test('truncation like BIND', async (t) => {
  const r = new Responder(view);
  const plain = ask(r, { name: 'bigish.tri.test', edns: false });
  t.ok(plain.flags & 0x0200, 'TC without EDNS');
  t.equal(plain.answers.length, 29, 'as many whole RRs as fit in 512');
  const e = ask(r, { name: 'bigish.tri.test', edns: { size: 600 } });
  t.ok(e.flags & 0x0200, 'TC with EDNS 600');
  t.equal(e.answers.length, 0, 'with EDNS only question and OPT remain');
  t.equal(e.additionals.length, 1);
  const big = ask(r, { name: 'bigish.tri.test', edns: { size: 4096 } });
  t.notOk(big.flags & 0x0200, 'fits in 1232');
  t.equal(big.answers.length, 40);
  const tcp = ask(r, { name: 'bigish.tri.test', edns: false }, { ...udp, transport: 'tcp' });
  t.notOk(tcp.flags & 0x0200, 'TCP is never truncated');
  t.equal(tcp.answers.length, 40);
});

t.test('malformed input: FORMERR or drop, never a throw', async (t) => {
  const r = new Responder(view);
  t.equal(r.respond(Uint8Array.of(1, 2, 3), udp), null);
  const noq = r.respond(Uint8Array.of(0, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0), udp);
  t.ok(noq);
  if (noq) t.equal(noq[3] & 0xf, 1, 'FORMERR');
  const notimp = ask(r, { name: 'www.tri.test', opcode: 'STATUS' });
  t.equal(notimp.rcode, 4);
  t.equal(notimp.questions.length, 0);
  t.ok(r.stats.malformed >= 2);
  for (let i = 0; i < 2000; i++) {
    const b = query({ name: 'www.tri.test' });
    b[(i * 7) % b.length] = (i * 31) & 0xff;
    r.respond(b.subarray(0, (i % b.length) + 1), udp);
  }
  t.equal(rcode(ask(r, { name: 'www.tri.test' })), 0, 'still answering');
});

t.test('zone transfers over TCP', async (t) => {
  const tcp: ClientInfo = { ...udp, transport: 'tcp' };
  const open = new Responder({ ...view, allowTransfer: () => true });
  const msgs = open.respondTcp(query({ name: 'tri.test', type: 'AXFR', edns: false }), tcp) ?? [];
  t.ok(msgs.length >= 1);
  const decoded = msgs.map((m) => decodeMessage(m)).filter((d): d is DecodedMessage => typeof d !== 'string');
  t.equal(decoded.length, msgs.length, 'every message decodes');
  const all = decoded.flatMap((d) => d.answers);
  t.equal(all[0].type, 6, 'SOA first');
  t.equal(all[all.length - 1].type, 6, 'SOA last');
  const expected = [...tri.nodes.values()].reduce((n, node) => n + [...node.rrsets.values()].reduce((m, s) => m + s.rdatas.length, 0), 0) + 1;
  t.equal(all.length, expected, 'every record once, SOA twice');
  t.ok(decoded[0].flags & 0x0400, 'AA');
  t.equal(decoded[0].questions.length, 1);
  const viaPacket = dnsPacket.decode(Buffer.from(msgs[0]));
  t.equal(viaPacket.answers.length, decoded[0].answers.length, 'dns-packet reads the same records');

  const closed = new Responder(view);
  const refused = closed.respondTcp(query({ name: 'tri.test', type: 'AXFR' }), tcp) ?? [];
  t.equal(refused.length, 1);
  t.equal(refused[0][3] & 0xf, 5, 'REFUSED without allow-transfer');
  const notauth = open.respondTcp(query({ name: 'www.tri.test', type: 'AXFR' }), tcp) ?? [];
  t.equal(notauth[0][3] & 0xf, 9, 'NOTAUTH below the apex');
  const noSoa = open.respondTcp(query({ name: 'tri.test', type: 'IXFR' }), tcp) ?? [];
  t.equal(noSoa[0][3] & 0xf, 1, 'IXFR without the client SOA is FORMERR');
  const ixfr = dnsPacket.encode({ type: 'query', id: 9, questions: [{ type: 'IXFR', name: 'tri.test' }],
    authorities: [{ type: 'SOA', name: 'tri.test', data: { mname: 'a.', rname: 'b.', serial: 7, refresh: 1, retry: 1, expire: 1, minimum: 1 } }] });
  const current = open.respondTcp(ixfr, tcp) ?? [];
  const cd = decodeMessage(current[0]);
  t.ok(typeof cd !== 'string' && cd.answers.length === 1 && cd.answers[0].type === 6, 'IXFR from the current serial: the SOA alone');
  t.same(open.respondTcp(query({ name: 'www.tri.test' }), tcp)?.length, 1, 'ordinary TCP queries give one message');
});

/** A raw message: header then parts. */
function raw(flags: number, counts: [number, number, number, number], ...parts: Uint8Array[]): Uint8Array {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(4242, 0);
  h.writeUInt16BE(flags, 2);
  counts.forEach((c, i) => h.writeUInt16BE(c, 4 + 2 * i));
  return Buffer.concat([h, ...parts]);
}
const qname = (s: string): Uint8Array => Buffer.concat([parseName(s), Buffer.of(0, 6, 0, 1)]);
const opt = (version = 0, options: number[] = []): Uint8Array =>
  Buffer.of(0, 0, 41, 4, 0, 0, version, 0, 0, options.length >> 8, options.length & 0xff, ...options);
const COOKIE = [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8];

t.test('opcodes and flags as BIND answers them', async (t) => {
  const r = new Responder(view);
  const dec = (b: Uint8Array | null): DecodedMessage => {
    if (!b) throw new Error('dropped');
    const d = decodeMessage(b);
    if (typeof d === 'string') throw new Error(d);
    return d;
  };
  const allFlags = 0x0100 | 0x0010 | 0x0020 | 0x0400 | 0x0080 | 0x0040;
  const op15 = dec(r.respond(raw((15 << 11) | allFlags, [1, 0, 0, 1], qname('tri.test.'), opt(0, COOKIE)), udp));
  t.equal(op15.rcode, 4, 'opcode 15: NOTIMP');
  t.equal(op15.flags, 0x8000 | (15 << 11) | 4, 'only QR, the opcode and the rcode');
  t.equal(op15.questions.length, 0, 'no question');
  t.ok(op15.additionals.some((x) => x.type === 41), 'with OPT');
  const bare = dec(r.respond(raw(15 << 11 | 0x0110, [0, 0, 0, 0]), udp));
  t.equal(bare.rcode, 4, 'opcode 15 without a question: NOTIMP, not FORMERR');
  t.equal(bare.flags & 0x0110, 0, 'RD and CD not echoed');
  const refresh = dec(r.respond(raw(15 << 11, [0, 0, 0, 1], opt(0, COOKIE)), udp));
  t.equal(refresh.rcode, 4, 'a COOKIE refresh is for QUERY only');
  const q0 = dec(r.respond(raw(0x0110, [0, 0, 0, 1], opt(0, COOKIE)), udp));
  t.equal(q0.rcode, 0, 'QUERY with only a COOKIE: refresh');
  t.equal(q0.flags & 0x0110, 0x0110, 'QUERY keeps RD and CD');
  const badvers = dec(r.respond(raw(0x0110, [0, 0, 0, 1], opt(1, COOKIE)), udp));
  t.equal(badvers.additionals.find((x) => x.type === 41)?.ttl, 1 << 24, 'EDNS version 1 without a question: BADVERS first');
  const badvers15 = dec(r.respond(raw((15 << 11) | 0x0110, [1, 0, 0, 1], qname('tri.test.'), opt(1)), udp));
  t.equal(badvers15.flags & 0x0110, 0, 'BADVERS to opcode 15: no RD/CD');
  t.equal(badvers15.questions.length, 0, 'and no question');
  const notify = dec(r.respond(raw((4 << 11) | 0x0110, [0, 0, 0, 0]), udp));
  t.equal(notify.rcode, 1, 'NOTIFY without a question: FORMERR');
  t.equal(notify.flags & 0x0110, 0);
  const cut = dec(r.respond(raw((15 << 11) | 0x0110, [1, 0, 0, 0], parseName('tri.test.'), Buffer.of(0)), udp));
  t.equal(cut.rcode, 1, 'a malformed opcode-15 message: FORMERR');
  t.equal(cut.flags & 0x0110, 0, 'without RD/CD');
  const two = dec(r.respond(raw(0x0100, [2, 0, 0, 1], qname('www.tri.test.'), qname('tri.test.'), opt()), udp));
  t.equal(two.rcode, 1, 'two questions: FORMERR');
  t.equal(two.questions.length + two.additionals.length, 0, 'a parse error: neither question nor OPT');
  const upd = dec(r.respond(raw((5 << 11), [2, 0, 0, 0], qname('tri.test.'), qname('www.tri.test.')), udp));
  t.equal(upd.questions.length, 1, 'UPDATE with two zones: FORMERR repeating the first');
  const cls0 = dec(r.respond(raw(0x0100, [1, 0, 0, 0], Buffer.concat([parseName('www.tri.test.'), Buffer.of(0, 1, 0, 0)])), udp));
  t.equal(cls0.rcode, 1, 'class 0: FORMERR');
  t.equal(cls0.questions.length, 1);
});

t.test('EDNS EXPIRE (RFC 7314) for SOA answers', async (t) => {
  const r = new Responder(view);
  const EXPIRE = [0, 9, 0, 0];
  const expireOf = (d: DecodedMessage): number | undefined => {
    const o = d.additionals.find((x) => x.type === 41);
    if (!o) return undefined;
    for (let i = 0; i + 4 <= o.rdata.length; ) {
      const code = (o.rdata[i] << 8) | o.rdata[i + 1];
      const len = (o.rdata[i + 2] << 8) | o.rdata[i + 3];
      if (code === 9) return len === 4 ? Buffer.from(o.rdata).readUInt32BE(i + 4) : -1;
      i += 4 + len;
    }
    return undefined;
  };
  const soaExpire = (() => {
    const rd = tri.nodes.get(nameKey(tri.origin))?.rrsets.get(6)?.rdatas[0] as Uint8Array;
    return Buffer.from(rd).readUInt32BE(rd.length - 8);
  })();
  const ask2 = (name: string, type: number, options: number[]): DecodedMessage => {
    const out = r.respond(raw(0x0100, [1, 0, 0, 1], Buffer.concat([parseName(name), Buffer.of(type >> 8, type & 0xff, 0, 1)]), opt(0, options)), udp);
    const d = decodeMessage(out as Uint8Array);
    if (typeof d === 'string') throw new Error(d);
    return d;
  };
  t.equal(expireOf(ask2('tri.test.', 6, EXPIRE)), soaExpire, 'the SOA EXPIRE field');
  t.equal(expireOf(ask2('tri.test.', 6, [])), undefined, 'not asked: not sent (and not served from the answer cache)');
  t.equal(expireOf(ask2('tri.test.', 6, EXPIRE)), soaExpire, 'asked again: sent (cache keeps them apart)');
  t.equal(expireOf(ask2('www.tri.test.', 1, EXPIRE)), undefined, 'only for SOA questions');
  t.equal(expireOf(ask2('nope.tri.test.', 6, EXPIRE)), undefined, 'not for a negative answer');
  const bad = ask2('tri.test.', 6, [0, 9, 0, 1, 7]);
  t.equal(bad.rcode, 1, 'a one-octet EXPIRE option is FORMERR');
  const nx = ask2('nope.tri.test.', 6, []);
  t.equal(nx.authorities[0]?.ttl, 0, 'NXDOMAIN for an SOA question: SOA TTL 0 (zero-no-soa-ttl)');
  const nodata = ask2('www.tri.test.', 6, []);
  t.ok((nodata.authorities[0]?.ttl ?? 0) > 0, 'NODATA keeps the negative TTL');
});


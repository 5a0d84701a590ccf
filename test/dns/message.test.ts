import t from 'tap';
import dnsPacket from 'dns-packet';
import { parseQuery, decodeMessage, readName, MessageWriter, WriteOverflow } from '../../src/dns/message.js';
import { parseName, nameToText } from '../../src/wire/dns-name.js';
import { T, CLASS_IN } from '../../src/wire/rr-type.js';

function header(id: number, flags: number, qd: number, an: number, ns: number, ar: number): number[] {
  return [id >> 8, id & 0xff, flags >> 8, flags & 0xff, 0, qd, 0, an, 0, ns, 0, ar];
}
const wire = (s: string): number[] => Array.from(parseName(s));

t.test('parses a dig-style query with OPT and COOKIE', async (t) => {
  const q = dnsPacket.encode({
    type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'AAAA', class: 'IN', name: 'WwW.Example.test' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: dnsPacket.DNSSEC_OK, options: [{ code: 10, data: Buffer.alloc(8, 7) }] }],
  });
  const p = parseQuery(q);
  t.equal(p.kind, 'ok');
  if (p.kind !== 'ok') return;
  t.equal(p.query.id, 4242);
  t.equal(nameToText(p.query.question.name), 'WwW.Example.test.', 'case kept');
  t.equal(p.query.question.type, T.AAAA);
  t.equal(p.query.edns?.udpSize, 1232);
  t.equal(p.query.edns?.do, true);
  t.equal(p.query.cookie?.length, 8);
});

t.test('hostile inputs never throw', async (t) => {
  const cases: [string, number[], string][] = [
    ['empty', [], 'drop'],
    ['short header', [1, 2, 3], 'drop'],
    ['response', [...header(1, 0x8000, 1, 0, 0, 0), ...wire('a.'), 0, 1, 0, 1], 'drop'],
    ['no question', header(1, 0, 0, 0, 0, 0), 'formerr'],
    ['qdcount lies', header(1, 0, 1, 0, 0, 0), 'formerr'],
    ['two questions', [...header(1, 0, 2, 0, 0, 0), ...wire('a.'), 0, 1, 0, 1, ...wire('b.'), 0, 1, 0, 1], 'formerr'],
    ['pointer loop', [...header(1, 0, 1, 0, 0, 0), 0xc0, 12, 0, 1, 0, 1], 'formerr'],
    ['pointer to itself via two hops', [...header(1, 0, 1, 0, 0, 0), 1, 0x61, 0xc0, 12, 0, 1, 0, 1], 'formerr'],
    ['forward pointer', [...header(1, 0, 1, 0, 0, 0), 0xc0, 14, 0, 0, 1, 0, 1], 'formerr'],
    ['pointer past the end', [...header(1, 0, 1, 0, 0, 0), 0xff, 0xff], 'formerr'],
    ['label 0x40', [...header(1, 0, 1, 0, 0, 0), 0x40, ...Array(64).fill(0x61), 0, 0, 1, 0, 1], 'formerr'],
    ['label past end', [...header(1, 0, 1, 0, 0, 0), 10, 0x61], 'formerr'],
    ['name over 255', [...header(1, 0, 1, 0, 0, 0), ...Array(5).fill([63, ...Array(63).fill(0x61)]).flat(), 0, 0, 1, 0, 1], 'formerr'],
    ['RDLENGTH past end', [...header(1, 0, 1, 0, 0, 1), ...wire('a.'), 0, 1, 0, 1, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 200], 'formerr'],
    ['two OPT', [...header(1, 0, 1, 0, 0, 2), ...wire('a.'), 0, 1, 0, 1, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0], 'formerr'],
    ['OPT owner not root', [...header(1, 0, 1, 0, 0, 1), ...wire('a.'), 0, 1, 0, 1, 1, 0x61, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0], 'formerr'],
    ['option overruns', [...header(1, 0, 1, 0, 0, 1), ...wire('a.'), 0, 1, 0, 1, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 4, 0, 10, 0, 9], 'formerr'],
    ['bad cookie length', [...header(1, 0, 1, 0, 0, 1), ...wire('a.'), 0, 1, 0, 1, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 7, 0, 10, 0, 3, 1, 2, 3], 'formerr'],
    ['bad client-subnet', [...header(1, 0, 1, 0, 0, 1), ...wire('a.'), 0, 1, 0, 1, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 8, 0, 8, 0, 4, 0, 1, 40, 0], 'formerr'],
    ['OPT in the answer section', [...header(1, 0, 1, 1, 0, 0), ...wire('a.'), 0, 1, 0, 1, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0], 'formerr'],
    ['trailing garbage is accepted', [...header(1, 0, 1, 0, 0, 0), ...wire('a.'), 0, 1, 0, 1, 9, 9, 9], 'ok'],
    ['OPT after another record', [...header(1, 0, 1, 0, 0, 2), ...wire('a.'), 0, 1, 0, 1, ...wire('b.'), 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0], 'ok'],
  ];
  for (const [what, bytes, want] of cases) {
    const p = parseQuery(Uint8Array.from(bytes));
    t.equal(p.kind, want, what);
  }
  t.equal(readName(Uint8Array.of(0xc0, 0), 0), 'forward or self compression pointer');
});

t.test('a fuzz pass: random and mutated packets never throw', async (t) => {
  const base = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'www.example.test' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, options: [] }] });
  let seed = 12345;
  const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
  let threw = 0;
  for (let i = 0; i < 20000; i++) {
    const b = Uint8Array.from(i % 2 ? base : Array.from({ length: rnd(80) }, () => rnd(256)));
    for (let k = 0; k < 1 + rnd(4); k++) if (b.length) b[rnd(b.length)] = rnd(256);
    try {
      parseQuery(b);
      decodeMessage(b);
    } catch {
      threw++;
    }
  }
  t.equal(threw, 0);
});

t.test('writer compresses names and dns-packet decodes the result', async (t) => {
  const w = new MessageWriter(new Uint8Array(512));
  const q = parseName('www.example.test.');
  w.u16(7); w.u16(0x8400); w.u16(1); w.u16(3); w.u16(0); w.u16(0);
  w.name(q, true); w.u16(T.A); w.u16(CLASS_IN);
  const before = w.pos;
  w.rr(q, T.A, CLASS_IN, 300, Uint8Array.of(192, 0, 2, 1));
  t.equal(w.pos - before, 2 + 10 + 4, 'owner is a pointer to the question');
  w.rr(parseName('example.test.'), T.MX, CLASS_IN, 300, Uint8Array.from([0, 10, ...wire('mail.example.test.')]));
  const txt = Uint8Array.from([5, ...Buffer.from('hello'), 255, ...Array(255).fill(0x78)]);
  w.rr(parseName('t.example.test.'), T.TXT, CLASS_IN, 60, txt);
  const out = w.result();
  const d = dnsPacket.decode(Buffer.from(out));
  t.equal(d.answers?.length, 3);
  t.equal(d.answers?.[0].name, 'www.example.test');
  t.same((d.answers?.[1] as { data: unknown }).data, { preference: 10, exchange: 'mail.example.test' });
  const strings = (d.answers?.[2] as { data: Buffer[] }).data;
  t.equal(strings.length, 2);
  t.equal(strings[1].length, 255, 'a 255-octet TXT string survives');
  const own = decodeMessage(out);
  t.ok(typeof own !== 'string');
  if (typeof own !== 'string') {
    t.same(Array.from(own.answers[1].rdata), [0, 10, ...wire('mail.example.test.')], 'MX target decompressed');
    t.equal(own.answers[2].rdata.length, txt.length);
  }
});

t.test('compression is case-sensitive, keeping owner case as BIND does', async (t) => {
  const w = new MessageWriter(new Uint8Array(512));
  w.name(parseName('WWW.example.test.'), true);
  const at = w.pos;
  w.name(parseName('www.example.test.'), true);
  t.equal(w.pos - at, 4 + 2, 'www written, example.test is a pointer');
  const at2 = w.pos;
  w.name(parseName('test.'), true);
  t.equal(w.pos - at2, 6, 'only the first two suffixes of a name are pointer targets (BIND 9.18)');
});

t.test('escaped dots and unknown types round-trip', async (t) => {
  const w = new MessageWriter(new Uint8Array(512));
  w.u16(1); w.u16(0x8000); w.u16(0); w.u16(2); w.u16(0); w.u16(0);
  const dotted = parseName('a\\.b.example.test.');
  w.rr(dotted, T.A, CLASS_IN, 1, Uint8Array.of(1, 2, 3, 4));
  w.rr(parseName('x.test.'), 65, CLASS_IN, 1, Uint8Array.of(0, 1, 0));
  const d = decodeMessage(w.result());
  t.ok(typeof d !== 'string');
  if (typeof d === 'string') return;
  t.equal(nameToText(d.answers[0].name), 'a\\.b.example.test.');
  t.equal(d.answers[1].type, 65, 'HTTPS stays type 65');
  t.same(Array.from(d.answers[1].rdata), [0, 1, 0]);
});

t.test('writer refuses to overflow its limit', async (t) => {
  const w = new MessageWriter(new Uint8Array(512), 20);
  let caught: unknown;
  try {
    w.name(parseName('a-long-name-that-does-not-fit.test.'), true);
  } catch (err) {
    caught = err;
  }
  t.ok(caught instanceof WriteOverflow);
});

import t from 'tap';
import { DiagnosticSink, formatDiagnostic } from '../../src/config/diagnostics.js';
import { lexZoneText } from '../../src/config/zone-lexer.js';
import { parseZoneFile, type ZoneEntry } from '../../src/config/zone-file.js';
import { parseName, nameToText } from '../../src/wire/dns-name.js';
import { T } from '../../src/wire/rr-type.js';

const ORIGIN = parseName('example.');

function parse(text: string, files: Record<string, string> = {}): { entries: ZoneEntry[]; sink: DiagnosticSink } {
  const sink = new DiagnosticSink();
  const entries = parseZoneFile({
    file: 'z.db', text, origin: ORIGIN, directory: '/zones', sink,
    readFile: (p) => {
      const f = files[p];
      if (f === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      return f;
    },
  });
  return { entries, sink };
}

const show = (e: ZoneEntry): string => `${nameToText(e.owner)} ${e.ttl} ${e.type} ${e.rdata.map((x) => x.text).join(' ')}`;

t.test('lexer: parentheses, comments, quotes and blank owners', async (t) => {
  const sink = new DiagnosticSink();
  const lines = lexZoneText('z', '@ SOA a b ( 1 ; c\n 2 3 4 5 )\n  A 1.2.3.4 ; x\nq TXT "a;b\\"c" d\\;e\n', sink);
  t.equal(lines.length, 3);
  t.same(lines[0].tokens.map((x) => x.text), ['@', 'SOA', 'a', 'b', '1', '2', '3', '4', '5']);
  t.equal(lines[1].blankOwner, true);
  t.same(lines[2].tokens.map((x) => [x.text, x.quoted]), [['q', false], ['TXT', false], ['a;b"c', true], ['d\\;e', false]]);
  t.equal(lines[2].tokens[2].col, 7);
  t.equal(sink.items.length, 0);
});

t.test('lexer: unbalanced quotes and parentheses are reported with positions', async (t) => {
  const sink = new DiagnosticSink();
  sink.addSource('z', 'a TXT "x\nb TXT ( "y"\n');
  lexZoneText('z', 'a TXT "x\nb TXT ( "y"\n', sink);
  t.same(sink.errors.map((d) => `${d.line}:${d.col} ${d.message}`), ['1:7 unbalanced quotes', '2:7 unbalanced parentheses']);
  t.match(formatDiagnostic(sink.errors[0]), /^z:1:7: error: unbalanced quotes\n {4}a TXT "x\n {10}\^$/);
});

t.test('owners, TTL and class in either order, TTL units', async (t) => {
  const { entries, sink } = parse('$TTL 1h30m\n@ IN SOA ns hm 1 2 3 4 5\n NS ns\nwww 2W IN A 1.2.3.4\nwww IN 1d A 1.2.3.5\nx.other. A 1.1.1.1\n');
  t.same(entries.map(show), [
    'example. 5400 6 ns hm 1 2 3 4 5', 'example. 5400 2 ns', 'www.example. 1209600 1 1.2.3.4',
    'www.example. 86400 1 1.2.3.5', 'x.other. 0 1 1.1.1.1',
  ]);
  t.equal(sink.items.length, 0);
});

t.test('TTL defaults: SOA minimum, RFC 1035 previous TTL, none at all', async (t) => {
  let r = parse('@ SOA ns hm 1 2 3 4 1h\na A 1.2.3.4\n');
  t.same(r.entries.map((e) => e.ttl), [3600, 3600]);
  t.match(r.sink.warnings[0].message, /SOA MINTTL/);
  r = parse('a 20 A 1.2.3.4\nb A 1.2.3.5\n');
  t.same(r.entries.map((e) => e.ttl), [20, 20]);
  t.match(r.sink.warnings[0].message, /RFC1035/);
  r = parse('a A 1.2.3.4\n');
  t.equal(r.entries.length, 0);
  t.match(r.sink.errors[0].message, /no TTL specified/);
  r = parse('$TTL 3000000000\na A 1.2.3.4\n');
  t.equal(r.entries[0].ttl, 0);
  t.match(r.sink.warnings[0].message, /MAXTTL/);
});

t.test('$ORIGIN and $INCLUDE (relative to the directory, origin restored, loops caught)', async (t) => {
  const files = {
    '/zones/inc.db': 'i A 1.1.1.1\n',
    '/zones/loop.db': '$INCLUDE loop.db\n',
  };
  const { entries, sink } = parse('$TTL 60\n$ORIGIN sub\na A 1.2.3.4\n$INCLUDE inc.db other.example.\nb A 1.2.3.5\n$INCLUDE inc.db\n$INCLUDE loop.db\n$INCLUDE nope.db\n', files);
  t.same(entries.map((e) => nameToText(e.owner)), ['a.sub.example.', 'i.other.example.', 'b.sub.example.', 'i.sub.example.']);
  t.same(sink.errors.map((d) => `${d.file}:${d.line}:${d.col}`), ['loop.db:1:10', 'z.db:8:10']);
  t.match(sink.errors[0].message, /loop/);
});

t.test('$GENERATE: ranges, steps, modifiers, escapes, ttl and class', async (t) => {
  const { entries, sink } = parse('$TTL 60\n$GENERATE 1-5/2 h$ A 10.0.0.$\n$GENERATE 10-11 x${1,4,x}.${0,0,X}.${-10,3,o} 30 IN PTR p$$\\$\n$GENERATE 255-255 ${0,3,n} TXT ${0,1,N}\n');
  t.same(entries.map(show), [
    'h1.example. 60 1 10.0.0.1', 'h3.example. 60 1 10.0.0.3', 'h5.example. 60 1 10.0.0.5',
    'x000b.A.000.example. 30 12 p$\\$', 'x000c.B.001.example. 30 12 p$\\$', 'f.f.example. 60 16 F.F',
  ]);
  t.equal(sink.items.length, 0);
  const bad = parse('$TTL 60\n$GENERATE 5-1 h$ A 1.2.3.$\n$GENERATE 1-2 h${1,x} A 1.2.3.$\n$GENERATE 1-2 h$ A 1.2.3.$ extra\n');
  t.same(bad.sink.errors.map((d) => d.line), [2, 3, 4]);
  t.equal(bad.entries.length, 0);
});

t.test('unknown directives and types are errors; every error of a file is reported', async (t) => {
  const { entries, sink } = parse('$TTL 60\n$FOO bar\na BOGUS 1\nb A 1.2.3.4\nc CH A 1.2.3.4\nd AXFR 1\n');
  t.same(sink.errors.map((d) => `${d.line}:${d.col}`), ['2:1', '3:3', '6:3']);
  t.same(entries.map((e) => [nameToText(e.owner), e.class]), [['b.example.', undefined], ['c.example.', 3]]);
  t.equal(entries[0].type, T.A);
});

t.test('$TTL, $ORIGIN and $GENERATE need a newline before end of file (BIND: extra input text)', async (t) => {
  for (const d of ['$TTL 60', '$ORIGIN sub', '$GENERATE 1-2 a$ A 1.2.3.$', '$TTL 60 ; comment']) {
    const r = parse(`$TTL 1\na A 1.2.3.4\n${d}`);
    t.match(r.sink.errors.map((x) => x.message), [/extra input text/], d);
    t.equal(parse(`$TTL 1\na A 1.2.3.4\n${d}\n`).sink.errors.length, 0, `${d} with newline`);
  }
  t.equal(parse('$TTL 1\na A 1.2.3.4').sink.errors.length, 0, 'a record may end the file');
});

import t from 'tap';
import { tokenize } from '../../src/config/tokenizer.js';
import { DiagnosticSink } from '../../src/config/diagnostics.js';

t.test('named.conf comments, strings and positions', async (t) => {
  const sink = new DiagnosticSink();
  const text = 'options { // c\n  directory "/var/x"; # h\n /* multi\n line */ version "a\\"b";\n};\n';
  const toks = tokenize('n.conf', text, sink, { hashComments: true, slashComments: true });
  t.same(toks.filter((x) => x.kind !== 'eof').map((x) => x.value), ['options', '{', 'directory', '/var/x', ';', 'version', 'a"b', ';', '}', ';']);
  const version = toks.find((x) => x.value === 'version');
  t.equal(version?.line, 4);
  t.equal(version?.col, 10);
  t.equal(sink.items.length, 0);
});

t.test('punctuation longest first, newlines when asked, bang comments', async (t) => {
  const sink = new DiagnosticSink();
  const toks = tokenize('d.conf', 'if a ~= b { x; }\n! c\ny', sink, { bangComments: true, newlines: true, punctuation: ['{', '}', ';', '~=', '~'] });
  t.same(toks.map((x) => `${x.kind}:${x.value}`), ['word:if', 'word:a', 'punct:~=', 'word:b', 'punct:{', 'word:x', 'punct:;', 'punct:}', 'newline:\n', 'newline:\n', 'word:y', 'eof:']);
  t.equal(toks.find((x) => x.value === 'y')?.line, 3);
});

t.test('unterminated string is an error, not a crash', async (t) => {
  const sink = new DiagnosticSink();
  tokenize('x', 'a "bc\n', sink, {});
  t.equal(sink.errors.length, 1);
});

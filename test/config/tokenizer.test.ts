import t from 'tap';
import { tokenize } from '../../src/config/tokenizer.js';
import { buildBlockTree } from '../../src/config/block-tree.js';
import { DiagnosticSink, formatDiagnostic } from '../../src/config/diagnostics.js';

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

t.test('block tree reports a missing semicolon with line and caret', async (t) => {
  const sink = new DiagnosticSink();
  const text = 'options {\n  recursion no\n};\n';
  sink.addSource('n.conf', text);
  const tree = buildBlockTree(tokenize('n.conf', text, sink, { slashComments: true }), sink, { semicolonAfterBlock: true });
  t.equal(tree.length, 1);
  t.equal(sink.errors.length, 1);
  const d = sink.errors[0];
  t.equal(`${d.line}:${d.col}`, '2:13');
  t.match(formatDiagnostic(d), /n\.conf:2:13: error: missing ';'\n {4} {2}recursion no\n {4} {12}\^/);
});

t.test('unterminated string is an error, not a crash', async (t) => {
  const sink = new DiagnosticSink();
  tokenize('x', 'a "bc\n', sink, {});
  t.equal(sink.errors.length, 1);
});

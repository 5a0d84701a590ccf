// Messages speak to users: no string in src/ (log lines, errors, warnings, help) and
// no line of README.md mentions an issue number. A user cannot look up "issue 5";
// a message says what is not implemented and what to do instead.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './helpers/paths.js';
import { filesUnder } from './helpers/files.js';

/** "issue 5", "issues #12", "ticket 3", "bug #4", "#17" after "see" … */
const ISSUE_LIKE = /\b(?:issues?|tickets?|bugs?)\s*(?:#|no\.?|number)?\s*\d+|\bsee\s+#\d+/i;

const sourceFiles = (dir: string): string[] => filesUnder(dir, '.ts');

/** Every string literal and template text of a TypeScript source, with its line. */
function stringsOf(file: string, text: string): { line: number; text: string }[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: { line: number; text: string }[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) {
      out.push({ line: sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1, text: n.text });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

t.test('the detector finds what it is meant to find', async (t) => {
  const planted = "log.warn(`${k}: VRRP is not implemented in Triad yet (issue 5 covers the LVS part)`);\n// issue 7 in a comment is not a message\nconst ok = 'port 53';\n";
  const hits = stringsOf('planted.ts', planted).filter((s) => ISSUE_LIKE.test(s.text));
  t.same(hits.map((h) => h.line), [1], 'the message is caught, the comment and the plain string are not');
  t.ok(ISSUE_LIKE.test('see #12'));
  t.ok(ISSUE_LIKE.test('Issues #3 and #4'));
  t.notOk(ISSUE_LIKE.test('RFC 2131 §4.1'));
});

t.test('no string under src/ mentions an issue number', async (t) => {
  const files = sourceFiles(path.join(REPO_ROOT, 'src'));
  t.ok(files.length > 50, `src/ has its sources (${files.length} files)`);
  const found: string[] = [];
  for (const f of files) {
    for (const s of stringsOf(f, readFileSync(f, 'utf8'))) {
      if (ISSUE_LIKE.test(s.text)) found.push(`${path.relative(REPO_ROOT, f)}:${s.line}: ${JSON.stringify(s.text)}`);
    }
  }
  t.same(found, [], 'say what is not implemented and what to do instead');
});

t.test('README.md mentions no issue number', async (t) => {
  const lines = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8').split('\n');
  const found = lines.map((l, i) => ({ l, i })).filter(({ l }) => ISSUE_LIKE.test(l)).map(({ l, i }) => `README.md:${i + 1}: ${l}`);
  t.same(found, []);
});

// The runner's counting: what one file's TAP output adds to `N passed, N failed`.
import t from 'tap';
import { countTap } from './run-tests.js';

t.test('top-level tests are counted; nested asserts are not', async (t) => {
  const out = '# Subtest: a\n    ok 1 - x\n    ok 2 - y\n    1..2\nok 1 - a\nnot ok 2 - b\n1..2\n';
  t.same(countTap(out, 1, null), { passed: 1, failed: 1, skipped: 0 });
});

t.test('skips and todos are counted apart, never as passes', async (t) => {
  const r = countTap('ok 1 - a # SKIP no tool\nok 2 - b # TODO later\nok 3 - c\n', 0, null);
  t.equal(r.passed, 1);
  t.equal(r.skipped, 2);
});

t.test('a crash, a signal or no test at all is one failure', async (t) => {
  t.match(countTap('ok 1 - a\n', 1, null), { failed: 1, fault: /exited with code 1/ });
  t.match(countTap('ok 1 - a\n', null, 'SIGKILL'), { failed: 1, fault: /SIGKILL/ });
  t.match(countTap('1..0\n', 0, null), { failed: 1, fault: /ran no test/ });
});

t.test('a file that failed inside is not counted twice', async (t) => {
  t.same(countTap('not ok 1 - a\n', 1, null), { passed: 0, failed: 1, skipped: 0 });
});

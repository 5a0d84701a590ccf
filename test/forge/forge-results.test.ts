// The Forge runner's verdicts: only a pass passes; a skip, an xfail, a test that never
// reported and a run that never finished all fail.
import t from 'tap';
import { parsePytest, verdicts } from './forge-results.js';

const OUT = `
INFO     forge:srv_msg.py:692 Received packet OFFER
ERROR    forge:srv_msg.py:697 Unanswered packet type=BOOTP_REPLY
PASSED tests/not-in-the-summary.py::looks_like_a_result
=========================== short test summary info ============================
PASSED tests/iscdhcp/v4/test_billing_class.py::test_v4_dhcpd_billing_class_limit
FAILED tests/iscdhcp/v4/test_x.py::test_b - AssertionError: No response received.
ERROR tests/iscdhcp/v4/test_y.py::test_c - fabric.exceptions.NetworkError: Low level socket error
SKIPPED [1] tests/iscdhcp/v4/test_z.py:10: not for this server
SKIPPED tests/iscdhcp/v4/test_z.py::test_d
1 failed, 1 passed, 1 error, 1 skipped, 744 warnings in 319.90s (0:05:19)
`;

t.test('reads the short summary, not log lines', async (t) => {
  const run = parsePytest(OUT);
  t.same(
    run.results.map((r) => [r.id, r.outcome]),
    [
      ['tests/iscdhcp/v4/test_billing_class.py::test_v4_dhcpd_billing_class_limit', 'passed'],
      ['tests/iscdhcp/v4/test_x.py::test_b', 'failed'],
      ['tests/iscdhcp/v4/test_y.py::test_c', 'error'],
      ['tests/iscdhcp/v4/test_z.py:10', 'skipped'],
      ['tests/iscdhcp/v4/test_z.py::test_d', 'skipped'],
    ],
  );
  t.equal(run.results[1].reason, 'AssertionError: No response received.');
  t.equal(run.summary, '1 failed, 1 passed, 1 error, 1 skipped, 744 warnings in 319.90s (0:05:19)');
});

t.test('verdicts: a skip fails, a missing expected test fails, no summary fails', async (t) => {
  const v = verdicts(parsePytest(OUT), ['tests/iscdhcp/v4/test_billing_class.py::test_v4_dhcpd_billing_class_limit', 'tests/never.py::ran']);
  t.same(v.map((x) => x.ok), [true, false, false, false, false, false]);
  t.match(v[3].detail, /^skipped: 1 test\(s\): not for this server/);
  t.same(v[5], { id: 'tests/never.py::ran', ok: false, detail: 'did not run (no result from pytest)' });
  const cut = verdicts(parsePytest(OUT.split('\n').slice(0, 8).join('\n')));
  t.same(cut[cut.length - 1], { id: '(forge run)', ok: false, detail: 'pytest did not finish (no summary line)' });
  const none = verdicts(parsePytest('no tests ran in 0.51s\n'));
  t.same(none, [{ id: '(forge run)', ok: false, detail: 'no test ran: no tests ran in 0.51s' }]);
  const one = verdicts(parsePytest('=== short test summary info ===\nPASSED tests/a.py::b\n1 passed in 3.2s\n'));
  t.same(one, [{ id: 'tests/a.py::b', ok: true }]);
});

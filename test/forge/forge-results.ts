// Reads what pytest (run by Forge with -rA) wrote: one outcome per test, and the closing
// summary. Pure, so the rules (a skip is no pass, a missing test is a failure) are unit-tested.

export type Outcome = 'passed' | 'failed' | 'error' | 'skipped' | 'xfailed' | 'xpassed';

export interface TestResult {
  id: string;
  outcome: Outcome;
  reason?: string;
}

export interface PytestRun {
  results: TestResult[];
  /** pytest's closing line (`3 failed, 12 passed … in 300s`), when it got that far. */
  summary?: string;
}

const LINE = /^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (tests\/\S+?)(?: - (.*))?$/;
const OUTCOME: Record<string, Outcome> = { PASSED: 'passed', FAILED: 'failed', ERROR: 'error', SKIPPED: 'skipped', XFAIL: 'xfailed', XPASS: 'xpassed' };

export function parsePytest(text: string): PytestRun {
  const results: TestResult[] = [];
  let summary: string | undefined;
  let inSummary = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    // The per-test lines live in "short test summary info"; log lines elsewhere can start
    // with ERROR too ("ERROR    forge:…").
    if (/^=+ short test summary info =+$/.test(line)) {
      inSummary = true;
      continue;
    }
    const s = /^=*\s*(.*\bin [\d.]+s\b.*?)\s*=*$/.exec(line);
    if (s && /\b(passed|failed|error|errors|skipped|deselected|no tests ran)\b/.test(s[1])) {
      summary = s[1];
      inSummary = false;
      continue;
    }
    if (!inSummary) continue;
    const m = LINE.exec(line);
    if (m) results.push({ id: m[2], outcome: OUTCOME[m[1]], reason: m[3] });
    // -rA reports skips by place, not by id: `SKIPPED [2] tests/x.py:10: why`.
    const k = /^SKIPPED \[(\d+)\] (tests\/[^:]+:\d+): ?(.*)$/.exec(line);
    if (k) results.push({ id: k[2], outcome: 'skipped', reason: `${k[1]} test(s): ${k[3]}` });
  }
  return { results, summary };
}

export interface Verdict {
  id: string;
  ok: boolean;
  detail?: string;
}

/**
 * One verdict per test: passed is ok; anything else (failed, error, skipped, xfail) is not.
 * `expected` ids that pytest never reported fail as "did not run"; with no summary line at
 * all the run itself failed (crash, timeout).
 */
export function verdicts(run: PytestRun, expected: string[] = []): Verdict[] {
  const out: Verdict[] = [];
  const seen = new Set<string>();
  for (const r of run.results) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    out.push(r.outcome === 'passed' ? { id: r.id, ok: true } : { id: r.id, ok: false, detail: `${r.outcome}${r.reason ? `: ${r.reason}` : ''}` });
  }
  for (const id of expected) if (!seen.has(id)) out.push({ id, ok: false, detail: 'did not run (no result from pytest)' });
  if (run.summary === undefined) out.push({ id: '(forge run)', ok: false, detail: 'pytest did not finish (no summary line)' });
  else if (out.length === 0) out.push({ id: '(forge run)', ok: false, detail: `no test ran: ${run.summary}` });
  return out;
}

// Every RR type's edge cases (test/fixtures/zones/rr-edges.jsonl, one-record zones
// with named-checkzone's verdict and named-compilezone's verdict and output, as
// BIND 9.18 gave them): Triad's checkzone and compilezone must reach the same.
// A deliberate difference is listed, with its reason, in rr-edges-disagreements.tsv.
// `node dist/test/dns/rr-edges.test.js --report` prints every difference.
import t from 'tap';
import { checkzone, compilezone } from '../../src/dns/commands.js';
import { ZONE, foldOut, readDisagreements, readRecorded, zoneText, type RecordedCase } from './rr-edge-cases.js';

export interface Comparison {
  c: RecordedCase;
  check: 'accept' | 'reject';
  compile: 'accept' | 'reject';
  out: string[];
  /** Why Triad differs from BIND, empty when it agrees. */
  diff: string;
  /** Text of any internal error (a stack trace escaping would be a crash of the test itself). */
  internal?: string;
}

export function compareAll(cases: RecordedCase[]): Comparison[] {
  return cases.map((c) => {
    const file = `${c.name}.db`;
    const text = zoneText(c);
    const ck = checkzone({ zone: ZONE, file, directory: process.cwd(), text });
    const cp = compilezone({ zone: ZONE, file, directory: process.cwd(), text });
    const r: Comparison = {
      c, check: ck.code === 0 ? 'accept' : 'reject', compile: cp.code === 0 ? 'accept' : 'reject', out: cp.code === 0 ? foldOut(cp.stdout) : [], diff: '',
    };
    const internal = [ck.stderr, cp.stderr].find((s) => s.includes('internal error'));
    if (internal) r.internal = internal.trim();
    const why: string[] = [];
    if (r.check !== c.check) why.push(`checkzone: BIND ${c.check}s, Triad ${r.check}s (${firstError(ck.stderr)})`);
    if (r.compile !== c.compile) why.push(`compilezone: BIND ${c.compile}s, Triad ${r.compile}s (${firstError(cp.stderr)})`);
    else if (JSON.stringify(r.out) !== JSON.stringify(c.out)) why.push(`output: BIND ${JSON.stringify(c.out)} Triad ${JSON.stringify(r.out)}`);
    r.diff = why.join('; ');
    return r;
  });
}

function firstError(stderr: string): string {
  return stderr.split('\n').find((l) => / error: |internal error/.test(l)) ?? 'no error';
}

if (process.argv.includes('--report')) {
  const res = compareAll(readRecorded());
  for (const r of res) if (r.diff) console.log(`${r.c.name}\t${r.c.body.trim().replace(/\n/g, ' | ')}\t${r.diff}`);
  console.log(`${res.filter((r) => !r.diff).length}/${res.length} agree`);
} else {
  t.test('RR edge cases: checkzone and compilezone reach BIND 9.18\'s verdicts and output', async (t) => {
    const cases = readRecorded();
    t.ok(cases.length > 2000, `${cases.length} recorded cases`);
    const res = compareAll(cases);
    const listed = readDisagreements();
    const agree = res.filter((r) => !r.diff).length;
    t.comment(`RR edge cases: ${agree}/${res.length} agree with BIND`);
    for (const r of res) {
      t.notOk(r.internal, `${r.c.name}: no internal error`);
      if (r.diff) t.ok(listed.has(r.c.name), `${r.c.name} (${r.c.body.trim()}) agrees with BIND or is listed: ${r.diff}`);
      // checkzone and compilezone agree with each other except where BIND's compile defaults are stricter.
      if (r.c.check === r.c.compile) t.equal(r.compile, r.check, `${r.c.name}: compilezone and checkzone agree`);
    }
    const disagreeing = new Set(res.filter((r) => r.diff).map((r) => r.c.name));
    for (const name of listed.keys()) t.ok(disagreeing.has(name), `listed ${name} still differs (else remove it from the list)`);
  });
}

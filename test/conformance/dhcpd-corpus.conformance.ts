// Conformance: for every configuration of ISC's own tests, Triad reaches the verdict of
// `dhcpd -4 -t` (ISC DHCP 4.4.3-P1) and reports its first error on the same line.
// Deliberate differences are listed, with reasons, in test/fixtures/dhcpd-corpus-differences.tsv.

import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDhcpdConf } from '../../src/config/dhcpd-conf.js';
import { FIXTURES } from '../helpers/paths.js';
import { corpusDir } from './corpus.js';

const dir = corpusDir('dhcpd-conf');
const rows = readFileSync(path.join(dir, 'index.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
const differences = new Map(
  readFileSync(path.join(FIXTURES, 'dhcpd-corpus-differences.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [file, ours, reason] = l.split('\t');
      return [file, { ours, reason }] as const;
    }),
);

t.ok(rows.length >= 119, `corpus has ${rows.length} files`);
for (const [file, verdict, line] of rows) {
  t.test(file, async (t) => {
    const { sink } = parseDhcpdConf(path.join(dir, 'files', file));
    const errs = sink.errors;
    const ours = errs.length ? `reject\t${errs[0].line}` : 'accept\t';
    const theirs = `${verdict}\t${line ?? ''}`;
    const diff = differences.get(file);
    if (diff) {
      t.ok(diff.reason && diff.reason.length > 10, `listed difference has a reason: ${diff.reason}`);
      t.equal(ours.replace('\t', ' ').trim(), diff.ours, `our verdict matches the listed difference (dhcpd: ${theirs})`);
      return;
    }
    if (verdict === 'reject' && !line) t.equal(ours.split('\t')[0], 'reject', `dhcpd rejects; ours: ${errs.map((e) => `${e.line}:${e.col} ${e.message}`).join('; ')}`);
    else t.equal(ours, theirs, `verdict and first error line; ours: ${errs.map((e) => `${e.line}:${e.col} ${e.message}`).join('; ')}`);
  });
}

// Where the conformance corpora are: the folder given to
// `npm run test:conformance -- --corpus DIR` (the runner passes it as TRIAD_CORPUS).
import t from 'tap';
import path from 'node:path';

export function corpusDir(kind: 'zones' | 'dhcpd-conf'): string {
  const root = process.env.TRIAD_CORPUS;
  if (!root) {
    // Run directly without the runner: fail with the way to run it, never skip.
    t.fail('no conformance corpus: run `npm run test:conformance -- --corpus DIR`');
    process.exit(1);
  }
  return path.join(root, kind);
}

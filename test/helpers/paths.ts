// Paths tests need, computed from the compiled location (dist/test/helpers).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
export const BIN_TRIAD = path.join(REPO_ROOT, 'bin', 'triad');
/** The richer demo lab under conf/examples/demo (named.conf + zones/). */
export const DEMO = path.join(REPO_ROOT, 'conf', 'examples', 'demo');
export const DEMO_ZONES = path.join(DEMO, 'zones');

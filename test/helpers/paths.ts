// Paths tests need, computed from the compiled location (dist/test/helpers).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
export const SHARED = path.resolve(REPO_ROOT, '..', 'shared');
export const BIN_TRIAD = path.join(REPO_ROOT, 'bin', 'triad');

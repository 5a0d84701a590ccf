// `triad check`: load every configuration `triad run` would, report every error
// and warning with file:line:col, exit non-zero when any error was found.
import type { ParsedArgs } from './args.js';

export async function checkCommand(_args: ParsedArgs): Promise<number> {
  process.stderr.write('triad check: not implemented yet\n');
  return 2;
}

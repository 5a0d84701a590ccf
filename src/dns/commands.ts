// `triad checkzone` and `triad compilezone`, BIND's named-checkzone/named-compilezone.
import type { ParsedArgs } from '../args.js';

export async function checkzoneCommand(_args: ParsedArgs): Promise<number> {
  process.stderr.write('not implemented yet\n');
  return 2;
}

export async function compilezoneCommand(_args: ParsedArgs): Promise<number> {
  process.stderr.write('not implemented yet\n');
  return 2;
}

// Fuzz target: the tftp-remap parser (see test/fuzz/parsers.ts).
import { fuzzTarget } from '../jsfuzz-target.cjs';

export const fuzz = fuzzTarget('tftp-remap');

// Fuzz target: the default-relay parser (see test/fuzz/parsers.ts).
import { fuzzTarget } from '../jsfuzz-target.cjs';

export const fuzz = fuzzTarget('default-relay');

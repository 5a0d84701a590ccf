// Fuzz target: the ha-conf parser (see test/fuzz/parsers.ts).
import { fuzzTarget } from '../jsfuzz-target.cjs';

export const fuzz = fuzzTarget('ha-conf');

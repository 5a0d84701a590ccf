// Fuzz target: the tokenizer parser (see test/fuzz/parsers.ts).
import { fuzzTarget } from '../jsfuzz-target.cjs';

export const fuzz = fuzzTarget('tokenizer');

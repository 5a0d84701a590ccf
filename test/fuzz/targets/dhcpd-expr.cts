// Fuzz target: the dhcpd-expr parser (see test/fuzz/parsers.ts).
import { fuzzTarget } from '../jsfuzz-target.cjs';

export const fuzz = fuzzTarget('dhcpd-expr');

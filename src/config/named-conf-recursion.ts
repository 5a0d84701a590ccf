// named.conf caps on recursion (BIND 9.18): `recursive-clients N` (recursive
// queries in progress at once), `clients-per-query N` / `max-clients-per-query M`
// (clients waiting on one identical fetch) and `fetches-per-zone N [drop|fail]`
// (fetches at once to one zone's servers; 0 = no limit).

import type { DiagnosticSink } from './diagnostics.js';
import type { NStatement } from './named-conf.js';

export interface RecursionLimits {
  recursiveClients?: number;
  clientsPerQuery?: number;
  maxClientsPerQuery?: number;
  fetchesPerZone?: { limit: number; response: 'drop' | 'fail' };
}

/** BIND 9.18 defaults. */
export const RECURSION_DEFAULTS = { recursiveClients: 1000, clientsPerQuery: 10, maxClientsPerQuery: 100 };

const NAMES = new Set(['recursive-clients', 'clients-per-query', 'max-clients-per-query', 'fetches-per-zone']);

/** Reads one of the clauses into `into`; false for any other clause. Integer-typed values are already checked. */
export function recursionClause(s: NStatement, into: RecursionLimits, sink: DiagnosticSink): boolean {
  const name = s.words[0].value.toLowerCase();
  if (!NAMES.has(name)) return false;
  const v = s.words[1];
  // fetches-per-zone is not in the integer-checked grammar: its value may be missing.
  const n = v ? Number(v.value) : NaN;
  switch (name) {
    case 'recursive-clients':
      into.recursiveClients = n;
      break;
    case 'clients-per-query':
      into.clientsPerQuery = n;
      break;
    case 'max-clients-per-query':
      into.maxClientsPerQuery = n;
      break;
    default: {
      if (!v || !/^\d+$/.test(v.value)) {
        sink.error(v ?? s.words[0], `fetches-per-zone: expected a number near '${v?.value ?? ';'}'`);
        break;
      }
      const r = s.words[2];
      const response = r ? r.value.toLowerCase() : 'drop';
      if (response !== 'drop' && response !== 'fail') {
        sink.error(r, `fetches-per-zone: expected 'drop' or 'fail' near '${r.value}'`);
        break;
      }
      if (s.words.length > 3) {
        sink.error(s.words[3], `fetches-per-zone: unexpected '${s.words[3].value}'`);
        break;
      }
      into.fetchesPerZone = { limit: n, response };
    }
  }
  return true;
}

// Module loader hooks for the fuzz worker: the parsers are ES modules, which jsfuzz's
// own require() hook never sees, so their code is instrumented here with the same
// istanbul instrumenter jsfuzz uses. jsfuzz then reads the coverage counters from
// globalThis.__coverage__ and keeps the inputs that reach new code.

import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

// istanbul-lib-instrument is jsfuzz's own dependency: resolved from jsfuzz, so it is the
// version jsfuzz uses whatever npm hoists. It has no type declarations here.
const fromJsfuzz = createRequire(createRequire(import.meta.url).resolve('jsfuzz/package.json'));
const { createInstrumenter } = fromJsfuzz('istanbul-lib-instrument') as {
  createInstrumenter: (o: object) => { instrumentSync: (code: string, file: string) => string };
};
const instrumenter = createInstrumenter({ compact: true, esModules: true, coverageVariable: '__coverage__' });

/** The code under test: the configuration parsers, the lease file and what they call. */
const INSTRUMENT = /\/dist\/src\/(config|dhcp\/lease-file|net\/ip|net\/address-match|wire)\b/;

interface LoadResult {
  format?: string;
  source?: string | ArrayBuffer | Uint8Array;
  shortCircuit?: boolean;
}
type NextLoad = (url: string, context: object) => Promise<LoadResult>;

export async function load(url: string, context: object, nextLoad: NextLoad): Promise<LoadResult> {
  const r = await nextLoad(url, context);
  if (r.format !== 'module' || !INSTRUMENT.test(url) || r.source === undefined) return r;
  const code = typeof r.source === 'string' ? r.source : Buffer.from(r.source as Uint8Array).toString('utf8');
  try {
    return { ...r, source: instrumenter.instrumentSync(code, fileURLToPath(url)) };
  } catch {
    return r; // uninstrumented: still fuzzed, only without guidance from this file
  }
}

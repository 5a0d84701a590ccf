// Mutated zone files must give diagnostics, never an exception.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { loadZoneText } from '../../src/dns/zone-loader.js';
import { compileZoneText } from '../../src/dns/compile.js';
import { FIXTURES } from '../helpers/paths.js';

/** Small deterministic PRNG so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

const ALPHABET = ' \t\n()";\\$@*.#0123456789abcdefABCDEF-+=/:,!';

t.test('mutated zone files never throw', async (t) => {
  const bases = ['syntax.db', 'types.db'].map((f) => fs.readFileSync(path.join(FIXTURES, 'zones', f), 'latin1'));
  const rand = rng(2026);
  let rejected = 0;
  const N = 1500;
  for (let i = 0; i < N; i++) {
    const base = bases[i % bases.length];
    const chars = [...base];
    const edits = 1 + Math.floor(rand() * 6);
    for (let k = 0; k < edits; k++) {
      const at = Math.floor(rand() * chars.length);
      const op = rand();
      const ch = ALPHABET[Math.floor(rand() * ALPHABET.length)];
      if (op < 0.4) chars[at] = ch;
      else if (op < 0.7) chars.splice(at, 1);
      else chars.splice(at, 0, ch);
    }
    const text = chars.join('');
    let ok = true;
    try {
      const r = loadZoneText({ origin: i % 2 ? 'syntax.test' : 'example', text, directory: path.join(FIXTURES, 'zones') });
      if (!r.zone) rejected++;
      else compileZoneText(r.records ?? []);
    } catch (e) {
      ok = false;
      t.fail(`mutation ${i} threw: ${(e as Error).stack}\n${text}`);
      break;
    }
    if (!ok) break;
  }
  t.ok(rejected > 0 && rejected < N, `${rejected}/${N} mutated files rejected, none crashed`);
});

// Edge cases of master-file syntax and zone checks, each judged by BIND itself
// (named-checkzone verdict, named-compilezone output) and by Triad's loader.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadZoneFile } from '../../src/dns/zone-loader.js';
import { compileZoneText } from '../../src/dns/compile.js';
import { FIXTURES } from '../helpers/paths.js';

function cases(): Array<{ name: string; text: string }> {
  const raw = fs.readFileSync(path.join(FIXTURES, 'zones', 'edge-cases.txt'), 'latin1');
  const out: Array<{ name: string; text: string }> = [];
  for (const part of raw.split(/^%% /m).slice(1)) {
    const nl = part.indexOf('\n');
    out.push({ name: part.slice(0, nl).trim(), text: part.slice(nl + 1) });
  }
  return out;
}

const norm = (s: string): string[] => s.split('\n').map((l) => l.replace(/[ \t]+/g, ' ').trim()).filter((l) => l !== '').sort();

t.test('edge cases: same verdict and output as BIND', { timeout: 300000 }, async (t) => {
  const have = spawnSync('sh', ['-c', 'command -v named-checkzone && command -v named-compilezone']).status === 0;
  t.ok(have, 'named-checkzone and named-compilezone are installed');
  if (!have) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-zone-edge-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'inc1.db'), 'i1 A 1.1.1.1\n');
  const all = cases();
  t.ok(all.length > 200, `${all.length} cases`);
  for (const c of all) {
    const file = `${c.name}.db`;
    fs.writeFileSync(path.join(dir, file), c.text, 'latin1');
    const check = spawnSync('named-checkzone', ['-q', 'example', file], { cwd: dir });
    const bindAccepts = check.status === 0;
    const res = loadZoneFile({ origin: 'example', file, directory: dir });
    const errs = res.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.col} ${d.message}`).join('; ');
    t.equal(!!res.zone, bindAccepts, `${c.name}: verdict (BIND ${bindAccepts ? 'accepts' : 'rejects'}) ${errs}`);
    if (bindAccepts && res.records) {
      const comp = spawnSync('named-compilezone', ['-q', '-k', 'ignore', '-i', 'none', '-s', 'full', '-o', '-', 'example', file], { cwd: dir, encoding: 'latin1' });
      t.same(norm(compileZoneText(res.records).join('\n')), norm(comp.stdout), `${c.name}: output`);
    }
  }
});

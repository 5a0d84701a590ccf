// Every fixture named.conf gets the same verdict from BIND's `named-checkconf -z`
// and from `triad check`; Triad's errors carry file:line:col. Both run from the
// fixture folder, where BIND's cwd-relative paths and Triad's file-relative
// paths are the same.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { BIN_TRIAD, FIXTURES } from '../helpers/paths.js';

const DIR = path.join(FIXTURES, 'named-conf');
const files = readdirSync(DIR).filter((f) => f.endsWith('.conf')).sort();

t.test('named-checkconf is installed', async (t) => {
  const r = spawnSync('named-checkconf', ['-v'], { encoding: 'utf8' });
  t.equal(r.error, undefined, 'named-checkconf must be installed (bind9-utils; test/install-deps.sh)');
});

t.ok(files.length >= 20, 'enough fixtures');

for (const f of files) {
  t.test(f, async (t) => {
    const bind = spawnSync('named-checkconf', ['-z', f], { cwd: DIR, encoding: 'utf8' });
    const triad = spawnSync(process.execPath, [BIN_TRIAD, 'check', '--named-conf', f], { cwd: DIR, encoding: 'utf8', env: { ...process.env, TRIAD_LOG_LEVEL: 'error' } });
    const bindOk = bind.status === 0;
    const triadOk = triad.status === 0;
    const intent = f.startsWith('accept-');
    t.equal(bindOk, intent, `named-checkconf ${intent ? 'accepts' : 'rejects'} it`);
    if (bindOk !== intent) t.comment(bind.stdout + bind.stderr);
    t.equal(triadOk, bindOk, 'triad check agrees with named-checkconf');
    if (triadOk !== bindOk) t.comment(`--- triad:\n${triad.stderr}${triad.stdout}\n--- bind:\n${bind.stdout}${bind.stderr}`);
    if (!bindOk) {
      t.match(triad.stderr, /:\d+:\d+: error: /, 'the error has file:line:col');
      t.match(triad.stderr, /\n {4}[^\n]*\n {4} *\^/, 'the line and a caret are shown');
    } else {
      t.notMatch(triad.stderr, /: error: /, 'no error printed');
      // Zones BIND loaded, Triad loaded too, with the same serial.
      // (BIND loads a zone once per view; Triad serves the first view only, so compare as sets.)
      const loaded = (s: string): string[] => [...new Set(s.split('\n').filter((l) => /^zone \S+\/IN: loaded serial/.test(l)))].sort();
      t.same(loaded(triad.stdout), loaded(bind.stdout), 'same zones loaded');
    }
  });
}

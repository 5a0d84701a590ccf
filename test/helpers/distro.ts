// Stages a distribution's stock BIND files (test/fixtures/distro/NAME, a root
// file system) under a temporary root. The files are copied unchanged except
// that every absolute path they name (/etc/…, /var/…, /usr/…, /run/…) gets the
// temporary root in front, so named and Triad read and write only there.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES } from './paths.js';

export interface StagedDistro {
  /** The temporary root; remove() deletes it. */
  root: string;
  /** The main named.conf, inside root. */
  namedConf: string;
  /** Files whose text changed, with the number of paths rewritten in each. */
  rewritten: Map<string, number>;
  remove(): void;
}

const MAIN: Record<string, string> = { debian: 'etc/bind/named.conf', rhel: 'etc/named.conf' };

/** Prefixes `root` to quoted absolute paths under the top folders a configuration names. */
export function rebase(text: string, root: string): { text: string; count: number } {
  let count = 0;
  const out = text.replace(/"\/(etc|var|usr|run)\//g, (_m, top: string) => {
    count++;
    return `"${root}/${top}/`;
  });
  return { text: out, count };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

export function stageDistro(name: 'debian' | 'rhel'): StagedDistro {
  const root = mkdtempSync(path.join(os.tmpdir(), `triad-distro-${name}-`));
  cpSync(path.join(FIXTURES, 'distro', name), root, { recursive: true });
  const rewritten = new Map<string, number>();
  for (const file of walk(root)) {
    const r = rebase(readFileSync(file, 'utf8'), root);
    if (r.count === 0) continue;
    writeFileSync(file, r.text);
    rewritten.set(path.relative(root, file), r.count);
  }
  return { root, namedConf: path.join(root, MAIN[name]), rewritten, remove: () => rmSync(root, { recursive: true, force: true }) };
}

// Files under a folder, for tests that read the source tree and for the runner.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Every file below `dir` whose name ends with `suffix`, sorted. */
export function filesUnder(dir: string, suffix: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, suffix));
    else if (e.endsWith(suffix)) out.push(p);
  }
  return out.sort();
}

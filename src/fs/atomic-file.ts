// Writing a file so that a crash leaves the old contents or the new, never half of them:
// a temporary file in the same folder (0640), flushed to disk, renamed over the old one,
// then the folder flushed. Secondary and dynamic zone files, Triad-owned DHCP files.

import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** Writes `text` to `file` atomically (temp + fsync + rename + fsync of the folder). */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const dir = path.dirname(file);
  await fsp.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  // Only for Triad's user and group (README: Running with least privilege).
  const fh = await fsp.open(tmp, 'w', 0o640);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  try {
    const d = await fsp.open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // Some file systems cannot fsync a folder; the rename itself is still atomic.
  }
}

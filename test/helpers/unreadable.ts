// Files a test needs to be unreadable. Root reads any file whatever its mode, so when the
// tests run as root the read is done with the effective user nobody (and back).

import { chmodSync, writeFileSync } from 'node:fs';

/** Writes a file of root's (or this user's) that `withoutRootReads` cannot read. */
export function writeUnreadable(file: string, text = '# nothing\n'): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, process.getuid?.() === 0 ? 0o600 : 0o000);
}

/** Runs `fn` unable to read files of mode 0600 that root owns. The folders on the way must be searchable by others. */
export function withoutRootReads<T>(fn: () => T): T {
  if (process.getuid?.() !== 0 || !process.seteuid) return fn();
  process.seteuid(65534);
  try {
    return fn();
  } finally {
    process.seteuid(0);
  }
}

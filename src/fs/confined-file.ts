// Opening a file a network client asked for, confined to a served directory (TFTP's root,
// HTTP boot's root): symbolic links are followed only while they stay inside it, and only
// regular files are opened (no devices, FIFOs, sockets or directories). Each protocol
// turns a refusal's kind into its own answer (a TFTP error code, an HTTP status).

import { constants, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';

export type RefusalKind =
  /** No such file, or the served directory itself cannot be read. */
  | 'missing'
  /** A directory was asked for. */
  | 'directory'
  /** Outside the directory, not a regular file, not readable by everyone, permission denied. */
  | 'denied'
  /** A name the file system cannot take (too long, too many links). */
  | 'bad-name'
  /** Any other error of the file system. */
  | 'failed';

export interface FileRefusal {
  refused: RefusalKind;
  /** Why, in users' words, for the log line. */
  reason: string;
}

export interface ConfinedFile {
  handle: fsp.FileHandle;
  stat: Stats;
  /** The file's path after symbolic links (inside the directory). */
  real: string;
}

export const isRefusal = (r: ConfinedFile | FileRefusal): r is FileRefusal => 'refused' in r;

/** `real` lies inside `dir` (both resolved). */
export function inside(dir: string, real: string): boolean {
  return real === dir || real.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/**
 * Opens `rel` under `root` for reading. The opened descriptor is checked to be a regular
 * file, so a path swapped after the check cannot slip a device in. Without `permissive`
 * the file must be readable by everyone (tftpd-hpa serves only o+r files). `label` names
 * the directory in reasons ("the TFTP directory").
 */
export async function openConfined(root: string, rel: string, permissive: boolean, label = 'the directory'): Promise<ConfinedFile | FileRefusal> {
  let realRoot: string;
  try {
    realRoot = await fsp.realpath(root);
  } catch {
    return { refused: 'missing', reason: `${label} ${root} cannot be read` };
  }
  let real: string;
  try {
    real = await fsp.realpath(path.join(realRoot, rel));
  } catch (err) {
    return errnoRefusal(err);
  }
  if (!inside(realRoot, real) || real === realRoot) {
    if (real === realRoot) return { refused: 'directory', reason: 'the name is the directory itself' };
    return { refused: 'denied', reason: `a symbolic link leads outside ${label}` };
  }
  let handle: fsp.FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: the path was resolved above.
    handle = await fsp.open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    return errnoRefusal(err);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    return stat.isDirectory() ? { refused: 'directory', reason: 'not a regular file (a directory)' } : { refused: 'denied', reason: 'not a regular file' };
  }
  if (!permissive && (stat.mode & 0o004) === 0) {
    await handle.close();
    return { refused: 'denied', reason: 'the file is not readable by everyone (--permissive allows it)' };
  }
  return { handle, stat, real };
}

/** A file system error as a refusal. */
export function errnoRefusal(err: unknown): FileRefusal {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return { refused: 'missing', reason: 'no such file' };
  if (code === 'EACCES' || code === 'EPERM') return { refused: 'denied', reason: 'permission denied' };
  if (code === 'ELOOP') return { refused: 'bad-name', reason: 'too many symbolic links' };
  if (code === 'ENAMETOOLONG') return { refused: 'bad-name', reason: 'the name is too long' };
  return { refused: 'failed', reason: code ?? String(err) };
}

// Opening a requested file inside the HTTP boot root: symbolic links are followed only
// while they stay inside the root, and only regular files are served (no devices, FIFOs,
// sockets or directories) — the same rules the TFTP server keeps for its root.

import { constants, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import type { Refusal } from './request.js';

export interface OpenedFile {
  handle: fsp.FileHandle;
  stat: Stats;
}

/**
 * Opens `rel` under `root` for reading. The descriptor itself is checked to be a regular
 * file, so a path swapped after the check cannot slip a device in. Without `permissive`
 * the file must be readable by everyone (tftpd-hpa's rule for what it serves).
 */
export async function openInRoot(root: string, rel: string, permissive: boolean): Promise<OpenedFile | Refusal> {
  let realRoot: string;
  let real: string;
  try {
    realRoot = await fsp.realpath(root);
  } catch {
    return { status: 404, reason: `the directory ${root} cannot be read` };
  }
  try {
    real = await fsp.realpath(path.join(realRoot, rel));
  } catch (err) {
    return errnoRefusal(err);
  }
  if (!real.startsWith(realRoot.endsWith('/') ? realRoot : `${realRoot}/`)) return { status: 403, reason: 'a symbolic link leads outside the directory' };
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
    return stat.isDirectory() ? { status: 404, reason: 'a directory (no listings are served)' } : { status: 403, reason: 'not a regular file' };
  }
  if (!permissive && (stat.mode & 0o004) === 0) {
    await handle.close();
    return { status: 403, reason: 'the file is not readable by everyone (--permissive allows it)' };
  }
  return { handle, stat };
}

function errnoRefusal(err: unknown): Refusal {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return { status: 404, reason: 'no such file' };
  if (code === 'EACCES' || code === 'EPERM') return { status: 403, reason: 'permission denied' };
  if (code === 'ELOOP') return { status: 403, reason: 'too many symbolic links' };
  if (code === 'ENAMETOOLONG') return { status: 404, reason: 'the name is too long' };
  return { status: 403, reason: code ?? String(err) };
}

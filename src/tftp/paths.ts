// Which file a requested name means, confined to the TFTP root. The name check is pure
// (confineName); opening (openConfined) resolves symbolic links and refuses anything that
// ends outside the root or is not a regular file (devices, FIFOs, directories).

import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { ERR } from './packet.js';

export interface Refusal {
  code: number;
  /** Sent to the client in the ERROR packet. */
  message: string;
  /** Why, for the log line. */
  reason: string;
}

const ACCESS = (reason: string): Refusal => ({ code: ERR.ACCESS, message: 'Access violation', reason });
export const NOT_FOUND: Refusal = { code: ERR.NOT_FOUND, message: 'File not found', reason: 'no such file' };

/**
 * The name relative to the root, or a refusal. With --secure (tftpd-hpa chroots to the
 * root) a leading `/` means the root itself; without it an absolute name must lie under
 * the root's path, as tftpd-hpa restricts to its directory list. A `..` component is
 * refused outright in both modes.
 */
export function confineName(name: string, root: string, secure: boolean): string | Refusal {
  if (name.includes('\0')) return ACCESS('NUL in the file name');
  let rel = name;
  if (name.startsWith('/')) {
    if (secure) rel = name.replace(/^\/+/, '');
    else {
      const r = root.endsWith('/') ? root : `${root}/`;
      if (!name.startsWith(r)) return ACCESS('an absolute name outside the TFTP directory');
      rel = name.slice(r.length);
    }
  }
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return ACCESS("a '..' component in the file name");
  if (parts.some((p) => Buffer.byteLength(p) > 255)) return ACCESS('a file name component longer than 255 octets');
  if (parts.length === 0) return ACCESS('the name is the TFTP directory itself');
  return parts.join('/');
}

export interface OpenedFile {
  handle: fsp.FileHandle;
  size: number;
  /** The file's path after symbolic links (inside the root). */
  real: string;
}

/**
 * Opens `rel` under `root` for reading. Symbolic links are followed only while they stay
 * inside the root; the opened descriptor is checked to be a regular file (a swap of the
 * path after the check cannot slip a device in). Without `permissive`, the file must be
 * readable by everyone (tftpd-hpa serves only o+r files).
 */
export async function openConfined(root: string, rel: string, permissive: boolean): Promise<OpenedFile | Refusal> {
  let realRoot: string;
  try {
    realRoot = await fsp.realpath(root);
  } catch {
    return { code: ERR.NOT_FOUND, message: 'File not found', reason: `the TFTP directory ${root} cannot be read` };
  }
  let real: string;
  try {
    real = await fsp.realpath(path.join(realRoot, rel));
  } catch (err) {
    return errnoRefusal(err);
  }
  if (!real.startsWith(realRoot.endsWith('/') ? realRoot : `${realRoot}/`)) return ACCESS('a symbolic link leads outside the TFTP directory');
  let handle: fsp.FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: the path was resolved above.
    handle = await fsp.open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    return errnoRefusal(err);
  }
  const st = await handle.stat();
  if (!st.isFile()) {
    await handle.close();
    return ACCESS('not a regular file');
  }
  if (!permissive && (st.mode & 0o004) === 0) {
    await handle.close();
    return ACCESS('the file is not readable by everyone (--permissive allows it)');
  }
  return { handle, size: st.size, real };
}

function errnoRefusal(err: unknown): Refusal {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return NOT_FOUND;
  if (code === 'EACCES' || code === 'EPERM') return ACCESS('permission denied');
  if (code === 'ELOOP') return ACCESS('too many symbolic links');
  if (code === 'ENAMETOOLONG') return ACCESS('the name is too long');
  return { code: ERR.UNDEFINED, message: 'Cannot open the file', reason: code ?? String(err) };
}

export interface UploadTarget {
  handle: fsp.FileHandle;
  /** Written here first, renamed to `final` when complete (a failed upload changes nothing). */
  temp: string;
  final: string;
}

/**
 * A file to write `rel` into (--create). Its folder must exist inside the root (after
 * symbolic links); an existing name must be a regular file that everyone may write
 * (tftpd-hpa's rule; --permissive lifts it), never a symbolic link.
 */
export async function createConfined(root: string, rel: string, permissive: boolean): Promise<UploadTarget | Refusal> {
  let realRoot: string;
  let parent: string;
  try {
    realRoot = await fsp.realpath(root);
    parent = await fsp.realpath(path.join(realRoot, path.dirname(rel)));
  } catch (err) {
    return errnoRefusal(err);
  }
  if (parent !== realRoot && !parent.startsWith(`${realRoot}/`)) return ACCESS('a symbolic link leads outside the TFTP directory');
  const final = path.join(parent, path.basename(rel));
  try {
    const st = await fsp.lstat(final);
    if (!st.isFile()) return ACCESS('not a regular file');
    if (!permissive && (st.mode & 0o002) === 0) return ACCESS('the existing file is not writable by everyone (--permissive allows it)');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return errnoRefusal(err);
  }
  const temp = path.join(parent, `.${path.basename(rel)}.triad-upload-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  try {
    const handle = await fsp.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    return { handle, temp, final };
  } catch (err) {
    return errnoRefusal(err);
  }
}

// Which file a requested name means, confined to the TFTP root. The name check is pure
// (confineName); opening follows the confinement rules HTTP boot shares
// (fs/confined-file.ts), answered as TFTP errors; uploads (--create) are TFTP's own.

import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { ERR } from './packet.js';
import { errnoRefusal, inside, isRefusal, openConfined as openFile, type FileRefusal } from '../fs/confined-file.js';

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

/** A refusal of the shared confinement rules (fs/confined-file.ts) as a TFTP error. */
function tftpRefusal(f: FileRefusal): Refusal {
  if (f.refused === 'missing') return { code: ERR.NOT_FOUND, message: 'File not found', reason: f.reason };
  if (f.refused === 'failed') return { code: ERR.UNDEFINED, message: 'Cannot open the file', reason: f.reason };
  return ACCESS(f.reason);
}

/** Opens `rel` under `root` for reading, by the shared confinement rules (fs/confined-file.ts). */
export async function openConfined(root: string, rel: string, permissive: boolean): Promise<OpenedFile | Refusal> {
  const f = await openFile(root, rel, permissive, 'the TFTP directory');
  if (isRefusal(f)) return tftpRefusal(f);
  return { handle: f.handle, size: f.stat.size, real: f.real };
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
    return tftpRefusal(errnoRefusal(err));
  }
  if (!inside(realRoot, parent)) return ACCESS('a symbolic link leads outside the TFTP directory');
  const final = path.join(parent, path.basename(rel));
  try {
    const st = await fsp.lstat(final);
    if (!st.isFile()) return ACCESS('not a regular file');
    if (!permissive && (st.mode & 0o002) === 0) return ACCESS('the existing file is not writable by everyone (--permissive allows it)');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return tftpRefusal(errnoRefusal(err));
  }
  const temp = path.join(parent, `.${path.basename(rel)}.triad-upload-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  try {
    const handle = await fsp.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    return { handle, temp, final };
  } catch (err) {
    return tftpRefusal(errnoRefusal(err));
  }
}

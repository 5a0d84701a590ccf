// Opening a requested file inside the HTTP boot root, by the confinement rules TFTP
// shares (fs/confined-file.ts), answered as HTTP statuses.

import type { promises as fsp, Stats } from 'node:fs';
import { isRefusal, openConfined } from '../fs/confined-file.js';
import type { Refusal } from './request.js';

export interface OpenedFile {
  handle: fsp.FileHandle;
  stat: Stats;
}

/** Opens `rel` under `root` for reading; a refusal carries its HTTP status. */
export async function openInRoot(root: string, rel: string, permissive: boolean): Promise<OpenedFile | Refusal> {
  const f = await openConfined(root, rel, permissive, 'the HTTP boot directory');
  if (!isRefusal(f)) return { handle: f.handle, stat: f.stat };
  if (f.refused === 'directory') return { status: 404, reason: 'a directory (no listings are served)' };
  if (f.refused === 'missing' || f.refused === 'bad-name') return { status: 404, reason: f.reason };
  return { status: 403, reason: f.reason };
}

// Who may run a dashboard write action: a request carrying one of the secrets of the
// keys named.conf's `controls` channels name (`keys { "NAME"; };`), sent as
// `Authorization: Bearer BASE64-SECRET` — the secret exactly as the `key` statement
// writes it. A header, not a cookie, so a page on another site cannot make a browser
// send it (no cross-site request forgery). Compared in constant time. Pure.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { ActionKey } from '../service.js';

export type ActionAuth = { ok: true; key: string } | { ok: false; reason: string };

const digest = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

/** Decides one request by its Authorization header. */
export function authorizeAction(header: string | undefined, keys: readonly ActionKey[] | undefined): ActionAuth {
  if (!keys || keys.length === 0) return { ok: false, reason: "no key is configured for actions (named.conf's controls … keys { … })" };
  const m = /^Bearer\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return { ok: false, reason: header ? 'the Authorization header is not "Bearer BASE64-SECRET"' : 'no key was sent' };
  // Both sides hashed first: equal lengths for timingSafeEqual, and the secret's length is not revealed.
  const given = digest(Buffer.from(m[1], 'base64'));
  let match: string | undefined;
  for (const k of keys) if (timingSafeEqual(given, digest(k.secret)) && match === undefined) match = k.name;
  return match === undefined ? { ok: false, reason: 'the key does not match' } : { ok: true, key: match };
}

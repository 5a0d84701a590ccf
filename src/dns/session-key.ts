// The session key of `update-policy local` (BIND 9.18): a fresh HMAC key made at
// start and written where `nsupdate -l` reads it (options session-keyfile), so
// nsupdate on this machine can change local zones without any key configured.
// Held per process: the main process makes it, DNS workers are handed it at fork.

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { NamedConfig } from '../config/named-conf.js';
import type { TsigAlgorithm, TsigKey } from '../wire/tsig.js';
import { TSIG_ALGORITHMS } from '../wire/tsig.js';
import { DEFAULT_SESSION_KEY_NAME } from './update-policy.js';

/** Environment variable that carries the key to DNS workers. */
export const SESSION_KEY_ENV = 'TRIAD_DNS_SESSION_KEY';

let current: TsigKey | undefined;

/** The session key of this process, if one was made (or handed over). */
export function sessionKey(): TsigKey | undefined {
  return current;
}

export function setSessionKey(k: TsigKey | undefined): void {
  current = k;
}

/** Does any zone use `update-policy local`? */
export function wantsSessionKey(conf: NamedConfig): boolean {
  return conf.zones.some((z) => z.type === 'primary' && z.update?.updatePolicy?.local === true);
}

/** Where the key file goes: options session-keyfile, else session.key in the data directory (null: none). */
export function sessionKeyFile(conf: NamedConfig, dataDir: string): string | null {
  const f = conf.options.sessionKey?.file;
  if (f === null) return null;
  if (f === undefined) return path.join(dataDir, 'session.key');
  return path.resolve(conf.options.directory, f);
}

/** The key's name and algorithm as configured (BIND: local-ddns, hmac-sha256). */
export function sessionKeyName(conf: NamedConfig): string {
  return conf.options.sessionKey?.name ?? DEFAULT_SESSION_KEY_NAME;
}

/** Makes a new key and writes its file (mode 0600) as named does; returns the key. */
export function makeSessionKey(conf: NamedConfig, dataDir: string): { key: TsigKey; file: string | null } {
  const alg = (conf.options.sessionKey?.algorithm ?? 'hmac-sha256') as TsigAlgorithm;
  const algorithm = TSIG_ALGORITHMS.includes(alg) ? alg : 'hmac-sha256';
  const size = algorithm === 'hmac-sha512' || algorithm === 'hmac-sha384' ? 64 : 32;
  const key: TsigKey = { name: sessionKeyName(conf), algorithm, secret: new Uint8Array(randomBytes(size)) };
  const file = sessionKeyFile(conf, dataDir);
  if (file) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, keyFileText(key), { mode: 0o600 });
  }
  return { key, file };
}

export function keyFileText(k: TsigKey): string {
  return `key "${k.name}" {\n\talgorithm ${k.algorithm};\n\tsecret "${Buffer.from(k.secret).toString('base64')}";\n};\n`;
}

/** The key as it crosses to a worker (environment). */
export function keyToEnv(k: TsigKey): string {
  return JSON.stringify({ name: k.name, algorithm: k.algorithm, secret: Buffer.from(k.secret).toString('base64') });
}

export function keyFromEnv(text: string | undefined): TsigKey | undefined {
  if (!text) return undefined;
  try {
    const o = JSON.parse(text) as { name: string; algorithm: TsigAlgorithm; secret: string };
    return { name: o.name, algorithm: o.algorithm, secret: new Uint8Array(Buffer.from(o.secret, 'base64')) };
  } catch {
    return undefined;
  }
}

// The secret server cookies are made with (RFC 7873 §7.1, RFC 9018): one per `triad
// run`, shared by the main process and every DNS worker (handed over in the
// environment) and kept across reloads, so a cookie one worker issued is valid at
// every other, as it is with named's single process and its `cookie-secret`.

import { randomBytes } from 'node:crypto';

export const COOKIE_SECRET_ENV = 'TRIAD_COOKIE_SECRET';

let secret: Uint8Array | undefined;

/** This run's secret: the one a worker was started with, else a new random one. */
export function cookieSecret(): Uint8Array {
  if (!secret) {
    const env = process.env[COOKIE_SECRET_ENV];
    secret = env && /^[0-9a-f]{32}$/.test(env) ? Uint8Array.from(Buffer.from(env, 'hex')) : Uint8Array.from(randomBytes(16));
  }
  return secret;
}

/** The secret as a worker's environment carries it. */
export function cookieSecretEnv(): string {
  return Buffer.from(cookieSecret()).toString('hex');
}

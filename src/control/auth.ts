// Signed control requests over a named.conf `controls { inet … keys { … }; }`
// channel. Like rndc's messages, each request carries the key's name, the time it
// was sent and a random nonce, and an HMAC (the key's algorithm and secret, as in
// rndc.key) over those and the request itself. The channel refuses a request
// whose MAC does not verify, whose time is outside the window (BIND's rndc allows
// a clock skew of 300 s), or whose nonce it has already seen within the window —
// so a captured request cannot be sent again. The reply is signed too, over the
// request's nonce, so the client knows it came from the holder of the key.
//
// Headers: x-triad-key (key name), x-triad-time (Unix seconds), x-triad-nonce
// (hex, 16+ octets), x-triad-mac (base64). Pure functions; the HTTP edges are in
// server.ts and dns/control.ts.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What signing needs of a key (a subset of a named.conf `key`). */
export interface ControlKey {
  name: string;
  /** Base algorithm, e.g. `hmac-sha256`. */
  hmac?: string;
  secretBytes?: Uint8Array;
}

/** Seconds a request may be early or late (BIND's rndc: 300). */
export const CLOCK_WINDOW_S = 300;

export type HeaderBag = Record<string, string | string[] | undefined>;

function header(h: HeaderBag, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function mac(key: ControlKey, text: string): Buffer {
  const alg = (key.hmac ?? 'hmac-sha256').replace(/^hmac-/, '');
  return createHmac(alg, key.secretBytes ?? new Uint8Array()).update(text).digest();
}

/** What the request MAC covers: the method, path, key name, time, nonce and body, one per line. */
function requestText(method: string, path: string, key: string, time: string, nonce: string, body: string): string {
  return ['triad-control-request', method.toUpperCase(), path, key.toLowerCase(), time, nonce, body].join('\n');
}

function replyText(nonce: string, status: number, body: string): string {
  return ['triad-control-reply', nonce, String(status), body].join('\n');
}

/** The headers of one signed request. */
export function signRequest(key: ControlKey, method: string, path: string, body: string, nowS = Math.floor(Date.now() / 1000), nonce = randomBytes(16).toString('hex')): Record<string, string> {
  const time = String(nowS);
  return {
    'x-triad-key': key.name,
    'x-triad-time': time,
    'x-triad-nonce': nonce,
    'x-triad-mac': mac(key, requestText(method, path, key.name, time, nonce, body)).toString('base64'),
  };
}

/** The MAC header of a reply to a request with `nonce`. */
export function signReply(key: ControlKey, nonce: string, status: number, body: string): string {
  return mac(key, replyText(nonce, status, body)).toString('base64');
}

/** Whether a reply's MAC is right for the request's nonce. */
export function verifyReply(key: ControlKey, nonce: string, status: number, body: string, macB64: string | undefined): boolean {
  if (!macB64) return false;
  const want = mac(key, replyText(nonce, status, body));
  const got = Buffer.from(macB64, 'base64');
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * Nonces seen within the window, so that a request is accepted once. Entries leave
 * when their time is outside the window; only requests whose MAC verified enter, so
 * nobody without the key can fill it.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  /** True the first time; false for a nonce already seen (a replay). */
  accept(nonce: string, nowS: number): boolean {
    for (const [n, t] of this.seen) if (t < nowS - 2 * CLOCK_WINDOW_S) this.seen.delete(n);
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, nowS);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

export type Verdict = { ok: true; key: ControlKey; nonce: string } | { ok: false; reason: string };

/**
 * Checks one request against the channel's keys: signed, by a key of the channel,
 * MAC right, time inside the window, nonce never seen. The reason says which check
 * failed (logged; the client is told only that it was refused).
 */
export function verifyRequest(keys: readonly ControlKey[], guard: ReplayGuard, method: string, path: string, body: string, headers: HeaderBag, nowS = Math.floor(Date.now() / 1000)): Verdict {
  const name = header(headers, 'x-triad-key');
  const time = header(headers, 'x-triad-time');
  const nonce = header(headers, 'x-triad-nonce');
  const macB64 = header(headers, 'x-triad-mac');
  if (!name || !time || !nonce || !macB64) return { ok: false, reason: 'request is not signed' };
  const key = keys.find((k) => k.name.toLowerCase().replace(/\.$/, '') === name.toLowerCase().replace(/\.$/, ''));
  if (!key) return { ok: false, reason: `key '${name}' is not allowed on this channel` };
  if (!/^[0-9]{1,12}$/.test(time) || !/^[0-9a-f]{32,128}$/i.test(nonce)) return { ok: false, reason: 'malformed signature headers' };
  const want = mac(key, requestText(method, path, name, time, nonce, body));
  const got = Buffer.from(macB64, 'base64');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, reason: `bad signature (key '${name}')` };
  if (Math.abs(nowS - Number(time)) > CLOCK_WINDOW_S) return { ok: false, reason: `request time is outside the ${CLOCK_WINDOW_S} s window (clocks differ, or a request was replayed)` };
  if (!guard.accept(nonce.toLowerCase(), nowS)) return { ok: false, reason: 'replayed request (nonce already seen)' };
  return { ok: true, key, nonce };
}

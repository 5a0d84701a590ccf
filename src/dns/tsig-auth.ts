// TSIG (RFC 8945) for what Triad asks of other servers — SOA checks, zone transfers
// in, NOTIFYs out: the MessageAuth hook of xfr-client.ts over tsig.ts's signing.
// Each sign() starts a new exchange; verify() and finish() check its replies.

import type { NamedConfig } from '../config/named-conf.js';
import { signRequest, type TsigExchange } from '../wire/tsig.js';
import { configuredKey } from './tsig-stage.js';
import type { MessageAuth } from './xfr-client.js';

export function tsigAuth(key: Parameters<typeof signRequest>[1]): MessageAuth {
  let exchange: TsigExchange | undefined;
  const why = (r: ReturnType<TsigExchange['check']>): string | undefined => (r.ok ? undefined : `TSIG: ${r.reason}`);
  return {
    sign(msg) {
      exchange = signRequest(msg, key);
      return exchange.message;
    },
    verify(msg) {
      return exchange ? why(exchange.check(msg)) : 'TSIG: no signed request';
    },
    finish() {
      return exchange ? why(exchange.finish()) : undefined;
    },
  };
}

/** The signer for a `key NAME` of a primaries/also-notify entry, from the configuration in force. */
export function authFor(conf: () => NamedConfig | undefined): (keyName: string, view?: string) => MessageAuth | undefined {
  return (keyName, view) => {
    const c = conf();
    const k = c ? configuredKey(c, keyName, view) : undefined;
    return k ? tsigAuth(k) : undefined;
  };
}

/**
 * TSIG for NOTIFYs (RFC 1996 over RFC 8945): each NOTIFY is signed with the key its
 * also-notify entry names and only a reply signed with it ends its retries.
 * Exchanges are matched by key and message ID; the oldest are forgotten past a bound.
 */
export function notifySigning(conf: () => NamedConfig | undefined): { sign: (msg: Uint8Array, key: string) => Uint8Array; verify: (reply: Uint8Array, key: string) => boolean } {
  const exchanges = new Map<string, TsigExchange>();
  const idOf = (m: Uint8Array): number => (m[0] << 8) | m[1];
  return {
    sign(msg, keyName) {
      const c = conf();
      const key = c ? configuredKey(c, keyName) : undefined;
      // named.conf's check refuses an unknown key; a key gone since is sent unsigned.
      if (!key) return msg;
      const ex = signRequest(msg, key);
      exchanges.set(`${keyName}|${idOf(msg)}`, ex);
      if (exchanges.size > 4096) exchanges.delete(exchanges.keys().next().value as string);
      return ex.message;
    },
    verify(reply, keyName) {
      const k = `${keyName}|${idOf(reply)}`;
      const ex = exchanges.get(k);
      if (!ex) return true;
      const ok = ex.check(reply).ok;
      if (ok) exchanges.delete(k);
      return ok;
    },
  };
}

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

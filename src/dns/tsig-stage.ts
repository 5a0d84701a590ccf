// The TSIG stage of the answer pipeline (RFC 8945 §5), run on every message that
// carries a TSIG record, before the response cache (signed answers are never
// cached: each one is signed for its request):
//
//   - a valid signature: the request goes on without its TSIG, with the key's
//     name on the client (ACL `key` elements and views match on it), and the
//     answer — whatever it is, errors included — is signed with the same key
//     (a zone transfer: every message of the stream, §5.3.1);
//   - an unknown key or algorithm: NOTAUTH, TSIG error BADKEY, no MAC;
//   - a MAC that does not verify: NOTAUTH, BADSIG, no MAC;
//   - a valid MAC signed too long ago or ahead (outside the fudge): NOTAUTH,
//     BADTIME, signed, our time in Other Data;
//   - a MAC shorter than the key allows: NOTAUTH, BADTRUNC, signed;
//   - a TSIG that is not the last record: FORMERR (no OPT either);
//   - a MAC of impossible length: FORMERR with an unsigned BADSIG TSIG.
// That is what named 9.18 answers (test/dns/tsig.peer.test.ts compares them).

import { keyId, usableKey, type KeyConfig } from '../config/named-conf-keys.js';
import type { NamedConfig } from '../config/named-conf.js';
import { RCODE } from './message.js';
import { sessionKey, wantsSessionKey } from './session-key.js';
import {
  TSIG_ERROR, TSIG_ERROR_NAMES, TsigStreamSigner, appendUnsignedTsig, badTimeOther, canonicalName, keyFinder, keyNameText, macSize, signMessage, signedMacLength, tsigSize,
  unsignedPart, verifyRequest, type TsigAlgorithm, type TsigKey, type TsigRecord,
} from '../wire/tsig.js';

/** The named.conf keys that can sign (the loader reported the others), as TsigKeys. */
export function tsigKeys(keys: Iterable<KeyConfig>): TsigKey[] {
  const out: TsigKey[] = [];
  for (const k of keys) {
    if (!usableKey(k)) continue;
    try {
      canonicalName(k.name); // the loader rejects bad names; this only guards
    } catch {
      continue;
    }
    out.push({ name: k.name, algorithm: k.hmac as TsigAlgorithm, secret: k.secretBytes, digestBits: k.digestBits });
  }
  return out;
}

/**
 * The key a `primaries`/`also-notify`/`server` entry names (`key NAME`), for
 * signing what we send: the view's own key of that name, else the top-level one.
 */
export function configuredKey(conf: NamedConfig, name: string, view?: string): TsigKey | undefined {
  const id = keyId(name);
  const k = (view !== undefined ? conf.viewKeys?.get(view)?.get(id) : undefined) ?? conf.keys.get(id);
  return k ? tsigKeys([k])[0] : undefined;
}

/**
 * The keys the served view knows: the top-level ones and, with views, the first
 * view's own (the view Triad serves).
 */
export function servedKeys(conf: NamedConfig): TsigKey[] {
  const first = conf.zones.find((z) => z.view !== undefined)?.view ?? [...(conf.viewKeys?.keys() ?? [])][0];
  const keys = tsigKeys([...conf.keys.values(), ...(first !== undefined ? conf.viewKeys?.get(first)?.values() ?? [] : [])]);
  // update-policy local: the session key nsupdate -l signs with (session-key.ts).
  const session = wantsSessionKey(conf) ? sessionKey() : undefined;
  return session ? [...keys, session] : keys;
}

/** How the answers to one verified request are signed. */
export interface TsigSigning {
  readonly key: TsigKey;
  /** Octets a UDP answer must leave free for the TSIG. */
  readonly reserve: number;
  /** Signs one answer. */
  sign(answer: Uint8Array): Uint8Array;
  /** Signs the messages of a zone transfer, in order. */
  stream(): TsigStreamSigner;
}

export type TsigVerdict =
  | { kind: 'unsigned' }
  /** Verified: answer `msg` (the request without its TSIG) for key `keyName`, then sign. */
  | { kind: 'signed'; msg: Uint8Array; keyName: string; signing: TsigSigning }
  /**
   * Refused: answer `rcode` (NOTAUTH or FORMERR) to `msg` (the request without its
   * TSIG, when one was found), then `finish` the answer (append the TSIG).
   */
  | { kind: 'reject'; rcode: number; msg: Uint8Array; finish: (answer: Uint8Array) => Uint8Array; reason: string;
      /** The key name the request named and the TSIG error, for the log (none when no TSIG could be read). */
      keyName?: string; error?: string;
      /** Answer without the OPT (BIND could not parse the message that far). */
      bare?: true };

/** Whether a message may carry a TSIG at all (a query with additional records): the cheap test before looking. */
export function maySign(msg: Uint8Array): boolean {
  return msg.length > 12 && (msg[10] | msg[11]) !== 0 && (msg[2] & 0x80) === 0;
}

export class TsigStage {
  private readonly find: (name: Uint8Array) => TsigKey | undefined;

  constructor(keys: Iterable<TsigKey>, private readonly now: () => number) {
    this.find = keyFinder(keys);
  }

  check(msg: Uint8Array): TsigVerdict {
    const now = this.now();
    const r = verifyRequest(msg, this.find, now);
    switch (r.kind) {
      case 'unsigned':
        return r;
      case 'formerr': {
        const tsig = r.tsig;
        if (!tsig) return { kind: 'reject', rcode: RCODE.FORMERR, msg, finish: (a) => a, reason: r.reason, bare: true };
        return { kind: 'reject', rcode: RCODE.FORMERR, msg: unsignedPart(msg, tsig, true), reason: r.reason, keyName: keyNameText(tsig.keyName), error: 'FORMERR',
          finish: (a) => appendUnsignedTsig(a, tsig, TSIG_ERROR.BADSIG, this.now()) };
      }
      case 'ok': {
        const signing = this.signing(r.key, r.tsig);
        return { kind: 'signed', msg: unsignedPart(msg, r.tsig, true), keyName: keyNameText(r.tsig.keyName), signing };
      }
      case 'error': {
        const { tsig, key, error } = r;
        const stripped = unsignedPart(msg, tsig, true);
        const reason = error === TSIG_ERROR.BADKEY ? 'unknown key' : error === TSIG_ERROR.BADSIG ? 'signature failed to verify'
          : error === TSIG_ERROR.BADTIME ? 'signature time outside the fudge' : 'signature too short';
        const named = { keyName: keyNameText(tsig.keyName), error: TSIG_ERROR_NAMES[error] ?? String(error) };
        if (!key) return { kind: 'reject', rcode: RCODE.NOTAUTH, msg: stripped, reason, ...named, finish: (a) => appendUnsignedTsig(a, tsig, error, this.now()) };
        // BADTIME and BADTRUNC: the MAC verified, so the answer is signed (RFC 8945 §5.2.3, BIND).
        return {
          kind: 'reject', rcode: RCODE.NOTAUTH, msg: stripped, reason, ...named,
          finish: (a) => {
            const t = this.now();
            return signMessage(a, key, {
              now: t, requestMac: tsig.mac, error, macLength: this.macLength(key, tsig),
              ...(error === TSIG_ERROR.BADTIME ? { other: badTimeOther(t), timeSigned: tsig.timeSigned } : {}),
            }).message;
          },
        };
      }
    }
  }

  /** BIND answers a truncated key's request with at least the request's MAC length. */
  private macLength(key: TsigKey, tsig: TsigRecord): number {
    return Math.min(macSize(key.algorithm), Math.max(signedMacLength(key), key.digestBits ? tsig.mac.length : 0));
  }

  private signing(key: TsigKey, tsig: TsigRecord): TsigSigning {
    const macLength = this.macLength(key, tsig);
    return {
      key,
      reserve: tsigSize(key) + (macLength - signedMacLength(key)),
      sign: (answer) => signMessage(answer, key, { now: this.now(), requestMac: tsig.mac, macLength }).message,
      stream: () => new TsigStreamSigner(key, tsig.mac, this.now),
    };
  }
}

// update-policy (BIND 9.18's SSU table) as a decision: the first rule whose
// identity, name and type match a change decides; no rule matching refuses.

import type { UpdatePolicy, UpdatePolicyRule } from '../config/named-conf-update.js';
import { isSubdomain, labelCount, nameKey, parseName } from '../wire/dns-name.js';
import { T, typeFromText } from '../wire/rr-type.js';
import type { UpdateRR } from './update-core.js';
import { TYPE_ANY } from './update-core.js';

/** The key `update-policy local` grants, and nsupdate -l signs with (BIND's session-keyname default). */
export const DEFAULT_SESSION_KEY_NAME = 'local-ddns';

interface CompiledRule {
  grant: boolean;
  identity: Uint8Array;
  identityWild: boolean;
  ruleType: string;
  name?: Uint8Array;
  /** undefined: the ordinary types (not NS, SOA, DNSSEC); ANY included means every type. */
  types?: Set<number>;
}

const toName = (text: string): Uint8Array | undefined => {
  try {
    return parseName(text.endsWith('.') ? text : `${text}.`);
  } catch {
    return undefined;
  }
};

/** Types a rule with no type list covers (BIND: all but NS, SOA, RRSIG, NSEC, NSEC3). */
const USER_TYPE = (t: number): boolean => t !== T.NS && t !== T.SOA && t !== T.RRSIG && t !== T.NSEC && t !== T.NSEC3;

function compile(r: UpdatePolicyRule): CompiledRule | undefined {
  const wild = r.identity.startsWith('*');
  const identity = toName(wild ? r.identity.replace(/^\*\.?/, '') || '.' : r.identity);
  if (!identity) return undefined;
  let types: Set<number> | undefined;
  if (r.types.length > 0) {
    types = new Set();
    for (const t of r.types) {
      const n = t === 'ANY' ? TYPE_ANY : typeFromText(t.replace(/\(.*\)$/, ''));
      if (n !== undefined) types.add(n);
    }
  }
  const name = r.name !== undefined ? toName(r.name.replace(/^\*\./, '')) : undefined;
  return { grant: r.grant, identity, identityWild: wild, ruleType: r.ruleType, name, types };
}

/** The reverse-map name of an IPv4 address (tcp-self). */
function reverseName(address: string): Uint8Array | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  return m ? toName(`${m[4]}.${m[3]}.${m[2]}.${m[1]}.in-addr.arpa`) : undefined;
}

export interface Requester {
  /** The verified TSIG key name, if signed. */
  signer?: string;
  address: string;
  tcp: boolean;
}

/** The rules of a zone's update-policy, ready to decide changes for one requester. */
export function policyMatcher(policy: UpdatePolicy, origin: Uint8Array, sessionKeyName = DEFAULT_SESSION_KEY_NAME): (who: Requester) => (rr: UpdateRR) => boolean {
  const rules: CompiledRule[] = policy.local
    ? [compile({ grant: true, identity: sessionKeyName, ruleType: 'zonesub', types: ['ANY'], pos: { file: '', line: 0, col: 0 } })].filter((r): r is CompiledRule => r !== undefined)
    : policy.rules.map(compile).filter((r): r is CompiledRule => r !== undefined);
  return (who) => {
    const signer = who.signer !== undefined ? toName(who.signer) : undefined;
    return (rr) => {
      for (const r of rules) {
        const selfless = r.ruleType === 'tcp-self' || r.ruleType === '6to4-self';
        if (!selfless) {
          if (!signer) continue;
          if (r.identityWild ? !(isSubdomain(signer, r.identity) && labelCount(signer) > labelCount(r.identity)) : nameKey(signer) !== nameKey(r.identity)) continue;
        }
        if (!nameMatches(r, rr.name, origin, signer, who)) continue;
        const typeOk = r.types ? r.types.has(TYPE_ANY) || r.types.has(rr.type) : USER_TYPE(rr.type);
        if (!typeOk) continue;
        return r.grant;
      }
      return false;
    };
  };
}

function nameMatches(r: CompiledRule, name: Uint8Array, origin: Uint8Array, signer: Uint8Array | undefined, who: Requester): boolean {
  const key = nameKey(name);
  switch (r.ruleType) {
    case 'name':
      return r.name !== undefined && key === nameKey(r.name);
    case 'subdomain':
      return r.name !== undefined && isSubdomain(name, r.name);
    case 'zonesub':
      return isSubdomain(name, origin);
    case 'wildcard':
      // `*.example.` covers the names below example. (one label or more).
      return r.name !== undefined && isSubdomain(name, r.name) && labelCount(name) > labelCount(r.name);
    case 'self':
      return signer !== undefined && key === nameKey(signer);
    case 'selfsub':
      return signer !== undefined && isSubdomain(name, signer);
    case 'selfwild':
      // `*.SIGNER` as a wildcard covers every name below the signer, at any depth.
      return signer !== undefined && isSubdomain(name, signer) && labelCount(name) > labelCount(signer);
    case 'tcp-self': {
      if (!who.tcp) return false;
      const rev = reverseName(who.address);
      return rev !== undefined && key === nameKey(rev);
    }
    default:
      // 6to4-self, Kerberos, Windows and external rules: not implemented, never grant.
      return false;
  }
}

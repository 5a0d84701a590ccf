// Which view answers a request, as BIND 9.18 selects it: the first view, in
// named.conf order, whose match-clients matches the source address (or the TSIG
// key that signed the request), whose match-destinations matches the address the
// request arrived on, and, with match-recursive-only yes, only when RD is set.
// No view matching means REFUSED (view-router.ts). Pure: no sockets.

import { matchAddress, type AddressMatchList, type AmlElement, type MatchEnvironment } from '../net/address-match.js';
import { parseAddress } from '../net/ip.js';

/** What selects a view for one request. */
export interface ViewRequest {
  /** Source address of the request (IPv4-mapped prefix removed). */
  source: string;
  /** Local address the request arrived on; unknown matches any match-destinations. */
  destination?: string;
  /** RD was set. */
  recursive: boolean;
  /** Name of the TSIG key that signed the request and verified, if any. */
  keyName?: string;
}

/** A view's match clauses (named-conf-views.ts ViewConfig). */
export interface ViewMatchConfig {
  matchClients?: AddressMatchList;
  matchDestinations?: AddressMatchList;
  matchRecursiveOnly: boolean;
}

export type ViewMatcher = (req: ViewRequest) => boolean;

/** The implicit view of a configuration without views: every request. */
export const MATCH_ALL: ViewMatcher = () => true;

/** Key names compare as DNS names: case-insensitive, trailing dot optional. */
const keyKey = (name: string): string => name.toLowerCase().replace(/\.$/, '');

/**
 * An address-match list against an address and an optional key name: first
 * match wins; a `key NAME` element matches a request signed with that key; an
 * address element matches signed and unsigned requests alike (BIND). A named
 * acl or nested list counts only when it matches positively.
 */
export function matchRequest(list: AddressMatchList, env: MatchEnvironment, address: string, keyName: string | undefined, depth = 0): 1 | -1 | 0 {
  if (depth > 32) return 0;
  const addr = parseAddress(address);
  for (const e of list) {
    if (elementMatches(e, env, address, addr, keyName, depth)) return e.negated ? -1 : 1;
  }
  return 0;
}

function elementMatches(e: AmlElement, env: MatchEnvironment, address: string, addr: ReturnType<typeof parseAddress>, keyName: string | undefined, depth: number): boolean {
  switch (e.kind) {
    case 'key':
      return keyName !== undefined && keyKey(e.name) === keyKey(keyName);
    case 'nested':
      return matchRequest(e.list, env, address, keyName, depth + 1) === 1;
    case 'acl': {
      const inner = env.acls.get(e.name);
      return inner !== undefined && matchRequest(inner, env, address, keyName, depth + 1) === 1;
    }
    default:
      // Prefixes and built-ins: the shared matcher (one element, never negated here).
      return addr !== undefined && matchAddress([{ ...e, negated: false }], env, addr) === 1;
  }
}

/** A view's matcher; its lists are compiled once per configuration. */
export function viewMatcher(m: ViewMatchConfig, env: MatchEnvironment): ViewMatcher {
  const clients = m.matchClients;
  const dests = m.matchDestinations;
  return (req) => {
    if (m.matchRecursiveOnly && !req.recursive) return false;
    if (clients && matchRequest(clients, env, req.source, req.keyName) !== 1) return false;
    // match-destinations has no key; BIND matches it against the address alone.
    if (dests && req.destination !== undefined && matchRequest(dests, env, req.destination, undefined) !== 1) return false;
    return true;
  };
}

/** The first view that matches, or undefined (BIND then answers REFUSED). */
export function selectView<V extends { matches: ViewMatcher }>(views: readonly V[], req: ViewRequest): V | undefined {
  for (const v of views) if (v.matches(req)) return v;
  return undefined;
}

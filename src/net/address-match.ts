// BIND address-match lists (ARM "Address Match Lists"): prefixes, `!` negation,
// nested lists, named acls and the built-ins any/none/localhost/localnets.
// Pure: a list plus the host environment becomes a matcher; no sockets here.

import { parseAddress, prefixContains, type Address, type Prefix } from './ip.js';

export type BuiltinAcl = 'any' | 'none' | 'localhost' | 'localnets';
export const BUILTIN_ACLS: readonly BuiltinAcl[] = ['any', 'none', 'localhost', 'localnets'];

export type AmlElement =
  | { kind: 'prefix'; negated: boolean; prefix: Prefix; text: string }
  | { kind: 'builtin'; negated: boolean; name: BuiltinAcl }
  | { kind: 'acl'; negated: boolean; name: string }
  | { kind: 'nested'; negated: boolean; list: AmlElement[] }
  /** TSIG key element: matches a request signed with that key (names compared as DNS names). */
  | { kind: 'key'; negated: boolean; name: string };

export type AddressMatchList = AmlElement[];

/** What the built-ins and named acls mean on this host. */
export interface MatchEnvironment {
  /** `localhost`: every address of this server (as host prefixes). */
  localhost: Prefix[];
  /** `localnets`: every network this server is attached to. */
  localnets: Prefix[];
  /** Named `acl` statements. */
  acls: ReadonlyMap<string, AddressMatchList>;
}

/** 1 = positive match, -1 = negative match, 0 = no element matched. */
export type MatchResult = 1 | -1 | 0;

/**
 * First match wins. A nested list or named acl counts as matching only when it
 * matches positively: a negative match inside it is "no match" for the outer
 * list, so double negation never turns into a surprise allow (as BIND does).
 * `key` is the name of the TSIG key that signed the request, if any.
 */
export function matchAddress(list: AddressMatchList, env: MatchEnvironment, addr: Address, depth = 0, key?: string): MatchResult {
  if (depth > 32) return 0; // acl cycles are rejected by the loader; this only guards.
  for (const e of list) {
    if (elementMatches(e, env, addr, depth, key)) return e.negated ? -1 : 1;
  }
  return 0;
}

/** Key names are DNS names: no case, no trailing dot. */
function sameKey(a: string, b: string): boolean {
  const norm = (n: string): string => (n.length > 1 ? n.toLowerCase().replace(/\.$/, '') : n);
  return norm(a) === norm(b);
}

function elementMatches(e: AmlElement, env: MatchEnvironment, addr: Address, depth: number, key: string | undefined): boolean {
  switch (e.kind) {
    case 'prefix':
      return prefixContains(e.prefix, addr);
    case 'builtin':
      switch (e.name) {
        case 'any':
          return true;
        case 'none':
          return false;
        case 'localhost':
          return env.localhost.some((p) => prefixContains(p, addr));
        case 'localnets':
          return env.localnets.some((p) => prefixContains(p, addr));
      }
      return false;
    case 'acl': {
      const inner = env.acls.get(e.name);
      return inner !== undefined && matchAddress(inner, env, addr, depth + 1, key) === 1;
    }
    case 'nested':
      return matchAddress(e.list, env, addr, depth + 1, key) === 1;
    case 'key':
      // BIND: a key element matches a request signed with that key, whatever its address.
      return key !== undefined && sameKey(key, e.name);
  }
}

/**
 * A matcher that allows an address when the list matches it positively (unmatched
 * means denied). `key`: the TSIG key that signed the request, for `key` elements.
 */
export function compileAddressMatch(list: AddressMatchList, env: MatchEnvironment): (address: string, key?: string) => boolean {
  // Fast paths for the common `{ any; }` and `{ none; }` lists, which are on every query.
  if (list.length > 0 && list[0].kind === 'builtin' && (list[0].name === 'any' || list[0].name === 'none')) {
    const allow = (list[0].name === 'any') !== list[0].negated;
    return () => allow;
  }
  if (list.length === 0) return () => false;
  return (address: string, key?: string): boolean => {
    const a = parseAddress(address);
    return a !== undefined && matchAddress(list, env, a, 0, key) === 1;
  };
}

/** Named acls a list refers to, directly or through nested lists (not through other acls). */
export function aclReferences(list: AddressMatchList): { name: string; negated: boolean }[] {
  const out: { name: string; negated: boolean }[] = [];
  for (const e of list) {
    if (e.kind === 'acl') out.push({ name: e.name, negated: e.negated });
    else if (e.kind === 'nested') out.push(...aclReferences(e.list));
  }
  return out;
}

/** The plain, non-negated host addresses listed at the top level (listen-on binds these directly). */
export function explicitAddresses(list: AddressMatchList): Prefix[] {
  return list.filter((e): e is Extract<AmlElement, { kind: 'prefix' }> => e.kind === 'prefix' && !e.negated && e.prefix.length === (e.prefix.family === 4 ? 32 : 128)).map((e) => e.prefix);
}

/**
 * BIND's "this list is none" test (dns_acl_isnone): only `any`/`none` elements,
 * the first of which says nobody. Anything else (an address, a nested list, a
 * named acl, a key, even one that can never match) counts as "may match
 * someone". BIND uses it to decide whether `allow-update` makes a zone dynamic.
 */
export function amlIsNone(list: AddressMatchList): boolean {
  if (list.length === 0) return false;
  for (const e of list) if (e.kind !== 'builtin' || (e.name !== 'any' && e.name !== 'none')) return false;
  const first = list[0] as Extract<AmlElement, { kind: 'builtin' }>;
  return (first.name === 'none') !== first.negated;
}

// Which forwarders apply to a name (BIND semantics, pure):
//  - options { forwarders; forward first|only; } apply to every name;
//  - zone "X" { type forward; forwarders { … }; forward …; } overrides them for
//    X and below (the deepest such zone wins);
//  - an empty forwarders list turns forwarding off for that subtree (the name is
//    then resolved iteratively);
//  - `forward` defaults to `first`: when every forwarder fails, resolve iteratively.

import { nameKey, parseName } from '../wire/dns-name.js';
import type { UpstreamServer } from './upstream.js';

export type ForwardMode = 'first' | 'only';

export interface ForwardRule {
  /** Wire-form zone name ("." for the global options). */
  zone: Uint8Array;
  forwarders: UpstreamServer[];
  mode: ForwardMode;
}

export interface ForwardPolicy {
  global: ForwardRule;
  /** Keyed by nameKey(zone). */
  zones: Map<string, ForwardRule>;
}

export interface ForwardConfigInput {
  forwarders: { address: string; port?: number }[];
  forward: ForwardMode;
  zones: { name: string; forwarders?: { address: string; port?: number }[]; forward?: ForwardMode }[];
  /** Default port for forwarders without one (options { port }, BIND uses 53). */
  defaultPort?: number;
}

function toServers(list: { address: string; port?: number }[], port: number): UpstreamServer[] {
  return list.map((f) => ({ address: f.address, port: f.port ?? port }));
}

export function buildForwardPolicy(c: ForwardConfigInput): ForwardPolicy {
  const port = c.defaultPort ?? 53;
  const global: ForwardRule = { zone: Uint8Array.of(0), forwarders: toServers(c.forwarders, port), mode: c.forward };
  const zones = new Map<string, ForwardRule>();
  for (const z of c.zones) {
    const zone = parseName(z.name === '.' ? '.' : `${z.name.replace(/\.$/, '')}.`);
    // A forward zone without forwarders inherits none: it disables forwarding below it.
    zones.set(nameKey(zone), { zone, forwarders: toServers(z.forwarders ?? [], port), mode: z.forward ?? 'first' });
  }
  return { global, zones };
}

/** The rule for `name`: the deepest forward zone at or above it, else the global options. */
export function forwardRuleFor(policy: ForwardPolicy, name: Uint8Array): ForwardRule {
  if (policy.zones.size > 0) {
    const key = nameKey(name);
    for (let i = 0; i < key.length; i += key.charCodeAt(i) + 1) {
      const r = policy.zones.get(i === 0 ? key : key.slice(i));
      if (r) return r;
      if (key.charCodeAt(i) === 0) break;
    }
  }
  return policy.global;
}

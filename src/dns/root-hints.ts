// Root hints: where iterative resolution starts (zone "." { type hint; file … }),
// or the built-in list of the root servers' IPv4 addresses when none is configured
// (as BIND compiles its own in).

import { DiagnosticSink } from '../config/diagnostics.js';
import { parseZoneFile } from '../config/zone-file.js';
import { ipv4FromText } from '../wire/ipv4.js';
import { ipv6FromText } from '../wire/rdata/addr.js';
import { nameKey, nameToText, parseName } from '../wire/dns-name.js';
import { rdataFromText } from '../wire/rdata.js';
import { T } from '../wire/rr-type.js';

export interface RootHints {
  /** Name server names of the root, wire form. */
  ns: Uint8Array[];
  /** Addresses per name server (nameKey → addresses). */
  addresses: Map<string, string[]>;
}

const BUILTIN: [string, string][] = [
  ['a', '198.41.0.4'], ['b', '170.247.170.2'], ['c', '192.33.4.12'], ['d', '199.7.91.13'], ['e', '192.203.230.10'],
  ['f', '192.5.5.241'], ['g', '192.112.36.4'], ['h', '198.97.190.53'], ['i', '192.36.148.17'], ['j', '192.58.128.30'],
  ['k', '193.0.14.129'], ['l', '199.7.83.42'], ['m', '202.12.27.33'],
];

export function builtinRootHints(): RootHints {
  const ns: Uint8Array[] = [];
  const addresses = new Map<string, string[]>();
  for (const [l, a] of BUILTIN) {
    const n = parseName(`${l}.root-servers.net.`);
    ns.push(n);
    addresses.set(nameKey(n), [a]);
  }
  return { ns, addresses };
}

/** Reads a hints file (named.ca format: NS records of "." and their A/AAAA). Throws on errors. */
export function loadRootHints(file: string, directory: string): RootHints {
  const sink = new DiagnosticSink();
  const entries = parseZoneFile({ file, origin: Uint8Array.of(0), directory, sink });
  sink.throwIfErrors();
  const ns: Uint8Array[] = [];
  const addresses = new Map<string, string[]>();
  for (const e of entries) {
    if (e.type === T.NS && e.owner.length === 1) ns.push(rdataFromText(T.NS, e.rdata, e.origin));
    else if (e.type === T.A || e.type === T.AAAA) {
      const text = e.rdata.map((t) => t.text).join('');
      const ok = e.type === T.A ? ipv4FromText(text) : ipv6FromText(text);
      if (!ok) continue;
      const k = nameKey(e.owner);
      addresses.set(k, [...(addresses.get(k) ?? []), text]);
    }
  }
  if (ns.length === 0) throw new Error(`${file}: no NS records for the root in the hints file`);
  return { ns, addresses };
}

// `fixed-address NAME` resolved through Triad's own zones (named.conf beside dhcpd.conf),
// not the system resolver: the A records of every primary zone, read through the shared
// config parsers. A name not found there stays unresolved (the host gets no fixed address).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { DiagnosticSink } from '../config/diagnostics.js';
import { loadNamedConf } from '../config/named-conf.js';
import { parseZoneFile } from '../config/zone-file.js';
import { encodeDomain, parseIPv4 } from '../config/dhcp-options.js';
import type { RunOptions } from '../service.js';

const TYPE_A = 1;

/** Name (lower case, with trailing dot) → IPv4 addresses, from the zones of named.conf. */
export function zoneAddresses(opts: Pick<RunOptions, 'confDir' | 'files'>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const file = opts.files['named-conf'] ?? path.join(opts.confDir, 'named.conf');
  if (!existsSync(file)) return out;
  const sink = new DiagnosticSink();
  let conf;
  try {
    conf = loadNamedConf(file, sink);
  } catch {
    return out;
  }
  for (const z of conf.zones) {
    if (!z.file || !existsSync(z.file) || z.type !== 'primary') continue;
    try {
      const entries = parseZoneFile({ file: z.file, origin: encodeDomain(z.name) ?? Buffer.from([0]), directory: conf.options.directory, sink: new DiagnosticSink() });
      for (const e of entries) {
        if (e.type !== TYPE_A || e.rdata.length !== 1) continue;
        const ip = parseIPv4(e.rdata[0].text);
        if (ip === undefined) continue;
        const name = wireToText(e.owner);
        const list = out.get(name);
        if (list) list.push(ip);
        else out.set(name, [ip]);
      }
    } catch {
      // A zone Triad's DNS would reject anyway: no names from it.
    }
  }
  return out;
}

/** A resolver for the engine: `name` as written, absolute, or under one of the zones. */
export function zoneResolver(table: Map<string, number[]>): (name: string) => number | undefined {
  return (name) => {
    const n = name.toLowerCase();
    return (table.get(n.endsWith('.') ? n : `${n}.`) ?? [])[0];
  };
}

/** Owner name in wire form → `a.b.c.` in lower case (labels as bytes; enough for A owners). */
function wireToText(w: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < w.length && w[i] !== 0; i += w[i] + 1) parts.push(Buffer.from(w.subarray(i + 1, i + 1 + w[i])).toString('latin1'));
  return (parts.join('.') + '.').toLowerCase();
}

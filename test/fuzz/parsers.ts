// The configuration parsers the fuzzer and the garbage tests drive: one entry per
// parser, each taking arbitrary text. A parser may report mistakes (to its sink) or
// throw its own ConfigError; anything else it throws is a bug.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, DiagnosticSink } from '../../src/config/diagnostics.js';
import { tokenize } from '../../src/config/tokenizer.js';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { lexZoneText } from '../../src/config/zone-lexer.js';
import { parseZoneFile } from '../../src/config/zone-file.js';
import { parseDhcpdConf } from '../../src/config/dhcpd-conf.js';
import { parseKeepalivedConf } from '../../src/config/keepalived-conf.js';
import { parseDefaultRelay } from '../../src/config/default-relay.js';
import { parseDefaultTftpd } from '../../src/config/default-tftpd.js';
import { parseRemap } from '../../src/config/tftp-remap.js';
import { parseHaFile } from '../../src/config/ha-conf.js';
import { parseLeaseFile } from '../../src/dhcp/lease-file.js';
import { parseName } from '../../src/wire/dns-name.js';

/** The checkout (dist/test/fuzz → ../../..). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface ParserTarget {
  name: string;
  /** Parses the text; throws only what the parser throws. */
  parse: (text: string) => void;
  /** Seed files and folders, relative to the checkout. */
  seeds: string[];
  /** Folders of the shared conformance corpus to seed from too. */
  corpus: string[];
}

const sink = (): DiagnosticSink => new DiagnosticSink();
const ZONE = parseName('example.');
// Files the parsers may name in includes: none exist, so an include is a diagnostic, never a disk read.
const NOWHERE = '/nonexistent-triad-fuzz';

export const TARGETS: ParserTarget[] = [
  {
    name: 'tokenizer',
    parse: (t) => void tokenize('f', t, sink(), { hashComments: true, slashComments: true, newlines: true }),
    seeds: ['test/fixtures/named-conf/accept-kitchen-sink.conf'],
    corpus: [],
  },
  {
    name: 'named-conf',
    parse: (t) => void parseNamedConf(`${NOWHERE}/named.conf`, t, sink()),
    seeds: ['test/fixtures/named-conf', 'test/fixtures/distro/debian/etc/bind/named.conf.options', 'test/fixtures/distro/rhel/etc/named.conf'],
    corpus: [],
  },
  {
    name: 'zone-lexer',
    parse: (t) => void lexZoneText('db.x', t, sink()),
    seeds: ['test/fixtures/named-conf/db.example', 'test/fixtures/named-conf/db.signed'],
    corpus: ['zones/files'],
  },
  {
    name: 'zone-file',
    parse: (t) => void parseZoneFile({ file: 'db.x', text: t, origin: ZONE, directory: NOWHERE, sink: sink() }),
    seeds: ['test/fixtures/named-conf/db.example', 'test/fixtures/named-conf/db.signed', 'test/fixtures/distro/debian/etc/bind/db.local'],
    corpus: ['zones/files'],
  },
  {
    name: 'dhcpd-conf',
    parse: (t) => void parseDhcpdConf(`${NOWHERE}/dhcpd.conf`, t, sink()),
    seeds: ['test/fixtures/dhcp/lab-dhcpd-broken.conf'],
    corpus: ['dhcpd-conf/files'],
  },
  {
    // Expressions reach dhcpd-expr.ts through `if`.
    name: 'dhcpd-expr',
    parse: (t) => void parseDhcpdConf(`${NOWHERE}/dhcpd.conf`, `if ${t} { }\n`, sink()),
    seeds: ['test/fixtures/fuzz-seeds/dhcpd-expr'],
    corpus: ['dhcpd-conf/files/groupclass4.conf', 'dhcpd-conf/files/notnotbx4.conf', 'dhcpd-conf/files/tautologyhexa.conf'],
  },
  {
    name: 'keepalived-conf',
    parse: (t) => void parseKeepalivedConf(`${NOWHERE}/keepalived.conf`, t, sink()),
    seeds: ['test/fixtures/lb/full.conf'],
    corpus: [],
  },
  {
    // The VRRP sections reach keepalived-vrrp.ts inside a vrrp_instance.
    name: 'keepalived-vrrp',
    parse: (t) => void parseKeepalivedConf(`${NOWHERE}/keepalived.conf`, `vrrp_instance VI_1 {\n${t}\n}\n`, sink()),
    seeds: ['test/fixtures/lb/full.conf'],
    corpus: [],
  },
  {
    name: 'default-relay',
    parse: (t) => void parseDefaultRelay('isc-dhcp-relay', t, sink()),
    seeds: ['test/fixtures/fuzz-seeds/isc-dhcp-relay'],
    corpus: [],
  },
  {
    name: 'default-tftpd',
    parse: (t) => void parseDefaultTftpd('tftpd-hpa', t, sink()),
    seeds: ['test/fixtures/fuzz-seeds/tftpd-hpa'],
    corpus: [],
  },
  {
    name: 'tftp-remap',
    parse: (t) => void parseRemap('tftp.remap', t, sink()),
    seeds: ['test/fixtures/fuzz-seeds/tftp.remap'],
    corpus: [],
  },
  {
    name: 'ha-conf',
    parse: (t) => void parseHaFile('dhcp-ha.json', t, sink()),
    seeds: ['test/fixtures/fuzz-seeds/dhcp-ha.json'],
    corpus: [],
  },
  {
    name: 'lease-file',
    parse: (t) => void parseLeaseFile('dhcpd.leases', t),
    seeds: ['test/fixtures/fuzz-seeds/dhcpd.leases'],
    corpus: [],
  },
];

/** Runs a target; a ConfigError is the parser's own refusal, anything else is returned as the bug. */
export function crashOf(target: ParserTarget, text: string): unknown {
  try {
    target.parse(text);
    return undefined;
  } catch (e) {
    return e instanceof ConfigError ? undefined : e ?? new Error('threw a nullish value');
  }
}

const filesIn = (p: string): string[] => {
  try {
    if (!statSync(p).isDirectory()) return [p];
  } catch {
    return [];
  }
  return readdirSync(p).sort().map((n) => path.join(p, n)).filter((f) => statSync(f).isFile());
};

/** The seed files of a target: its fixtures, then the corpus folders when `corpusDir` exists. */
export function seedFiles(target: ParserTarget, corpusDir?: string): string[] {
  const out = target.seeds.flatMap((s) => filesIn(path.join(ROOT, s)));
  if (corpusDir) for (const c of target.corpus) out.push(...filesIn(path.join(corpusDir, c)));
  return out;
}

/** The first seed's text (the garbage tests cut and damage it). */
export function firstSeed(target: ParserTarget, corpusDir?: string): string {
  const f = seedFiles(target, corpusDir)[0];
  return f ? readFileSync(f, 'latin1') : '';
}

/** Regression inputs a fuzzer found: test/fixtures/fuzz-crashes/TARGET/*. */
export function crashFiles(target: ParserTarget): string[] {
  return filesIn(path.join(ROOT, 'test/fixtures/fuzz-crashes', target.name));
}

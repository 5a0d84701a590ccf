// Every configuration kind reads its files one way: a file that cannot be read (missing,
// unreadable, a directory) is a diagnostic naming it, at the include statement when it
// was included, and never a thrown file-system error.

import t from 'tap';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DiagnosticSink, ConfigError, type Diagnostic } from '../../src/config/diagnostics.js';
import { loadNamedConf } from '../../src/config/named-conf.js';
import { parseZoneFile } from '../../src/config/zone-file.js';
import { loadDhcpdConf, parseDhcpdConf } from '../../src/config/dhcpd-conf.js';
import { loadKeepalivedConf } from '../../src/config/keepalived-conf.js';
import { loadDefaultRelay } from '../../src/config/default-relay.js';
import { parseName } from '../../src/wire/dns-name.js';
import { withoutRootReads, writeUnreadable } from '../helpers/unreadable.js';

interface Kind {
  name: string;
  /** Loads the file; returns every error. */
  load: (file: string) => Diagnostic[];
  /** A main file whose line 2 includes `target`, and the column of the include's file name. */
  include?: (target: string) => { text: string; col: number };
}

const errorsOf = (run: (sink: DiagnosticSink) => unknown): Diagnostic[] => {
  const sink = new DiagnosticSink();
  run(sink);
  return sink.errors;
};

const KINDS: Kind[] = [
  {
    name: 'named.conf',
    load: (f) => errorsOf((sink) => loadNamedConf(f, sink)),
    include: (target) => ({ text: `options { };\ninclude "${target}";\n`, col: 9 }),
  },
  {
    name: 'zone file',
    load: (f) => errorsOf((sink) => parseZoneFile({ file: f, origin: parseName('example.'), directory: path.dirname(f), sink })),
    include: (target) => ({ text: `$TTL 60\n$INCLUDE ${target}\n`, col: 10 }),
  },
  {
    name: 'dhcpd.conf',
    load: (f) => errorsOf((sink) => parseDhcpdConf(f, undefined, sink)),
    include: (target) => ({ text: `authoritative;\ninclude "${target}";\n`, col: 9 }),
  },
  {
    name: 'keepalived.conf',
    load: (f) => errorsOf((sink) => loadKeepalivedConf(f, sink)),
    include: (target) => ({ text: `global_defs {\n}\ninclude ${target}\n`, col: 9 }),
  },
  {
    name: '/etc/default/isc-dhcp-relay',
    load: (f) => errorsOf((sink) => loadDefaultRelay(f, sink)),
  },
];

const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-config-file-'));
chmodSync(dir, 0o755); // nobody must reach the files, only not read them
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const only = (errs: Diagnostic[]): string[] => errs.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`);

for (const kind of KINDS) {
  t.test(`${kind.name}: a file that cannot be read is a diagnostic naming it`, async (t) => {
    const missing = path.join(dir, `${kind.name.replace(/\W/g, '_')}-missing`);
    t.same(only(kind.load(missing)), [`${missing}:1:1: cannot read: file not found`], 'a missing file');

    const folder = path.join(dir, `${kind.name.replace(/\W/g, '_')}-folder`);
    mkdirSync(folder);
    t.same(only(kind.load(folder)), [`${folder}:1:1: cannot read: is a directory, not a file`], 'a directory');

    const locked = path.join(dir, `${kind.name.replace(/\W/g, '_')}-locked`);
    writeUnreadable(locked);
    t.same(only(withoutRootReads(() => kind.load(locked))), [`${locked}:1:1: cannot read: permission denied`], 'an unreadable file');
  });

  const include = kind.include;
  if (include) {
    t.test(`${kind.name}: a missing include is reported at the include statement`, async (t) => {
      const main = path.join(dir, `${kind.name.replace(/\W/g, '_')}-main`);
      const { text, col } = include('gone.inc');
      writeFileSync(main, text);
      const gone = path.join(dir, 'gone.inc');
      t.same(only(kind.load(main)), [`${main}:${text.split('\n').findIndex((l) => l.includes('gone.inc')) + 1}:${col}: cannot include '${gone}': file not found`]);
    });
  }
}

t.test('loadDhcpdConf throws a ConfigError (not a file-system error) for a missing file', async (t) => {
  const missing = path.join(dir, 'no-dhcpd.conf');
  let thrown: unknown;
  try {
    loadDhcpdConf(missing);
  } catch (e) {
    thrown = e;
  }
  t.ok(thrown instanceof ConfigError, 'a ConfigError');
  t.match((thrown as Error | undefined)?.message, `${missing}:1:1: error: cannot read: file not found`);
});

t.test('dhcpd.conf: an include cycle is an error at the include, not an endless read', async (t) => {
  const a = path.join(dir, 'cycle-a.conf');
  const b = path.join(dir, 'cycle-b.conf');
  writeFileSync(a, 'authoritative;\ninclude "cycle-b.conf";\n');
  writeFileSync(b, 'default-lease-time 600;\ninclude "cycle-a.conf";\ninclude "cycle-b.conf";\n');
  const errs = only(errorsOf((sink) => parseDhcpdConf(a, undefined, sink)));
  t.same(errs, [`${b}:2:9: include cycle: 'cycle-a.conf' is already being read`, `${b}:3:9: include cycle: 'cycle-b.conf' is already being read`]);
});

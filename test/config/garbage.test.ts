// Every configuration parser survives garbage: cut-short files, binary noise, invalid
// UTF-8, 10,000 levels of nesting, a long line, include loops, and a FIFO, /dev/zero or
// an oversized file in place of a configuration file. Each gives diagnostics (or a
// clear refusal) and never throws anything but its own ConfigError. The inputs a
// fuzzer once crashed a parser with (test/fixtures/fuzz-crashes/) run here too.

import t from 'tap';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DiagnosticSink, formatDiagnostic, type Diagnostic } from '../../src/config/diagnostics.js';
import { MAX_CONFIG_BYTES } from '../../src/config/config-file.js';
import { loadNamedConf } from '../../src/config/named-conf.js';
import { parseZoneFile } from '../../src/config/zone-file.js';
import { parseDhcpdConf } from '../../src/config/dhcpd-conf.js';
import { loadKeepalivedConf } from '../../src/config/keepalived-conf.js';
import { loadDefaultRelay } from '../../src/config/default-relay.js';
import { loadDefaultTftpd } from '../../src/config/default-tftpd.js';
import { loadRemap } from '../../src/config/tftp-remap.js';
import { parseHaFile } from '../../src/config/ha-conf.js';
import { parseName } from '../../src/wire/dns-name.js';
import { TARGETS, crashFiles, crashOf, firstSeed } from '../fuzz/parsers.js';

/** A fixed pseudo-random byte stream, so a failure can be replayed. */
function noise(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

const describe = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 300) : String(e));

for (const target of TARGETS) {
  t.test(`${target.name}: survives garbage`, async (t) => {
    const seed = firstSeed(target);
    t.ok(seed.length > 0, 'has a seed fixture to damage');
    const cases: [string, string][] = [];
    // Every prefix would be slow for the larger fixtures: 300 cut points spread over the file, plus the last 40.
    const step = Math.max(1, Math.floor(seed.length / 300));
    for (let n = 0; n < seed.length; n += step) cases.push([`the seed cut at ${n}`, seed.slice(0, n)]);
    for (let n = Math.max(0, seed.length - 40); n < seed.length; n++) cases.push([`the seed cut at ${n}`, seed.slice(0, n)]);
    for (let k = 1; k <= 4; k++) {
      cases.push([`binary noise ${k}`, noise(4096 * k, k).toString('latin1')]);
      cases.push([`binary noise ${k} read as UTF-8`, noise(4096 * k, k).toString('utf8')]);
      // The seed with a few bytes overwritten.
      const damaged = Buffer.from(seed, 'latin1');
      const pick = noise(16, 100 + k);
      for (let j = 0; j + 1 < pick.length && damaged.length > 0; j += 2) damaged[(pick[j] * 257 + pick[j + 1]) % damaged.length] = pick[j + 1];
      cases.push([`the seed with damaged bytes ${k}`, damaged.toString('latin1')]);
    }
    cases.push(['invalid UTF-8', Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x7b, 0x0a, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0x22, 0x0a]).toString('utf8')]);
    cases.push(['invalid UTF-8 inside the seed', seed.slice(0, seed.length >> 1) + '\ufffd\udc80"\ufffd' + seed.slice(seed.length >> 1)]);
    for (const [open, close] of [['{', '}'], ['(', ')'], ['[', ']'], ['a { ', '}; '], ['group { ', '} '], ['x {\n', '}\n'], ['not ', ''], ['concat(', ')']]) {
      cases.push([`10,000 levels of '${open.trim()}'`, open.repeat(10_000)]);
      cases.push([`10,000 balanced levels of '${open.trim()}'`, open.repeat(10_000) + close.repeat(10_000)]);
    }
    cases.push(['a 1 MB line', 'x'.repeat(1 << 20)]);
    cases.push(['a 1 MB quoted string', '"' + 'x'.repeat(1 << 20)]);
    cases.push(['100,000 empty statements', ';\n'.repeat(100_000)]);
    const bugs: string[] = [];
    for (const [what, text] of cases) {
      const e = crashOf(target, text);
      if (e !== undefined) bugs.push(`${what}: ${describe(e)}`);
    }
    t.same(bugs, [], `${cases.length} damaged inputs, no exception but ConfigError`);
  });

  const crashes = crashFiles(target);
  if (crashes.length > 0) {
    t.test(`${target.name}: inputs the fuzzer once crashed it with`, async (t) => {
      for (const f of crashes) t.equal(describe(crashOf(target, readFileSync(f, 'latin1'))), 'undefined', path.basename(f));
    });
  }
}

// ---- the files themselves: loops, FIFOs, devices, oversized files ----

interface Kind {
  name: string;
  load: (file: string) => Diagnostic[];
  /** Text that includes `target` (relative to the including file's folder). */
  include?: (target: string) => string;
}

const errorsOf = (run: (sink: DiagnosticSink) => unknown): Diagnostic[] => {
  const sink = new DiagnosticSink();
  run(sink);
  return sink.errors;
};

const KINDS: Kind[] = [
  { name: 'named.conf', load: (f) => errorsOf((s) => loadNamedConf(f, s)), include: (x) => `options { };\ninclude "${x}";\n` },
  {
    name: 'zone file',
    load: (f) => errorsOf((s) => parseZoneFile({ file: f, origin: parseName('example.'), directory: path.dirname(f), sink: s })),
    include: (x) => `$TTL 60\n$INCLUDE ${x}\n`,
  },
  { name: 'dhcpd.conf', load: (f) => errorsOf((s) => parseDhcpdConf(f, undefined, s)), include: (x) => `authoritative;\ninclude "${x}";\n` },
  { name: 'keepalived.conf', load: (f) => errorsOf((s) => loadKeepalivedConf(f, s)), include: (x) => `global_defs {\n}\ninclude ${x}\n` },
  { name: 'isc-dhcp-relay', load: (f) => errorsOf((s) => loadDefaultRelay(f, s)) },
  { name: 'tftpd-hpa', load: (f) => errorsOf((s) => loadDefaultTftpd(f, s)) },
  { name: 'tftp remap', load: (f) => errorsOf((s) => loadRemap(f, s)) },
  { name: 'dhcp-ha.json', load: (f) => errorsOf((s) => parseHaFile(f, undefined, s)) },
];

const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-garbage-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const fifo = path.join(dir, 'fifo');
execFileSync('mkfifo', [fifo]);
// A sparse file just over the limit: refused from its size, before any byte is read.
const huge = path.join(dir, 'huge.conf');
const fd = openSync(huge, 'w');
ftruncateSync(fd, 100 * 1024 * 1024);
closeSync(fd);

const messages = (errs: Diagnostic[]): string[] => errs.map((d) => `${path.basename(d.file)}:${d.line}:${d.col}: ${d.message}`);

for (const kind of KINDS) {
  const slug = kind.name.replace(/\W/g, '_');
  t.test(`${kind.name}: a FIFO, /dev/zero or a 100 MB file is refused, not read`, async (t) => {
    t.same(messages(kind.load(fifo)), ['fifo:1:1: cannot read: not a regular file (a FIFO, device or socket is not read)'], 'a FIFO (with no writer: would block)');
    t.same(messages(kind.load('/dev/zero')), ['zero:1:1: cannot read: not a regular file (a FIFO, device or socket is not read)'], '/dev/zero (would never end)');
    if (kind.name !== 'zone file') t.same(messages(kind.load(huge)), [`huge.conf:1:1: cannot read: file too large (larger than ${MAX_CONFIG_BYTES / (1024 * 1024)} MiB); refused`], 'a 100 MB file');
  });
  const include = kind.include;
  if (!include) continue;
  t.test(`${kind.name}: include loops, and includes of a FIFO or /dev/zero, are errors at the include`, async (t) => {
    const a = path.join(dir, `${slug}-a`);
    const b = path.join(dir, `${slug}-b`);
    writeFileSync(a, include(`${slug}-b`));
    writeFileSync(b, include(`${slug}-a`));
    const loop = messages(kind.load(a));
    t.ok(loop.length >= 1 && loop.length <= 8, `a includes b includes a: a bounded number of errors (${loop.length})`);
    t.match(loop.join('\n'), /include|nested|cycle|recursion/i, loop.join('\n'));
    t.ok(loop.every((m) => /^[^:]+:\d+:\d+: /.test(m)), 'each with file:line:col');

    const viaFifo = path.join(dir, `${slug}-fifo`);
    writeFileSync(viaFifo, include('fifo'));
    t.match(messages(kind.load(viaFifo)).join('\n'), /:\d+:\d+: cannot include .*not a regular file/, 'an include of a FIFO');
    const viaZero = path.join(dir, `${slug}-zero`);
    writeFileSync(viaZero, include('/dev/zero'));
    t.match(messages(kind.load(viaZero)).join('\n'), /:\d+:\d+: cannot include .*not a regular file/, 'an include of /dev/zero');
  });
}

t.test('a diagnostic on a very long line quotes a window around the column, with the caret under it', async (t) => {
  const line = 'a'.repeat(500_000) + 'X' + 'b'.repeat(500_000);
  for (const col of [1, 500_001, 1_000_001]) {
    const text = formatDiagnostic({ severity: 'error', message: 'boom', file: 'f', line: 1, col, lineText: line });
    const [head, quoted, caret] = text.split('\n');
    t.equal(head, `f:1:${col}: error: boom`);
    t.ok(quoted.length < 200, `column ${col}: ${quoted.length} characters quoted, not the megabyte`);
    t.equal(quoted[caret.length - 1], line[col - 1], `column ${col}: the caret is under the character at the column`);
  }
});

// `key` statements: `triad check` and BIND's `named-checkconf` give the same
// verdict on the same files, with the same message on the same line (Triad adds
// the column and a caret). The key files come from the real tools.
import t from 'tap';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { BIN_TRIAD } from '../helpers/paths.js';

const CASES: [string, string][] = [
  ['unknown-algorithm', 'key k1 { algorithm hmac-sha257; secret "abcd"; };'],
  ['bad-base64', 'key k2 { algorithm hmac-sha256; secret "ab!cd"; };'],
  ['base64-length', 'key k2 { algorithm hmac-sha256; secret "abcde"; };'],
  ['base64-padding', 'key k2 { algorithm hmac-sha256; secret "abcd===="; };'],
  ['no-secret', 'key k3 { algorithm hmac-sha256; };'],
  ['no-algorithm', 'key k4 { secret "abcd"; };'],
  ['duplicate', 'key k5 { algorithm hmac-sha256; secret "abcd"; };\nkey k5 { algorithm hmac-sha512; secret "abcd"; };'],
  ['duplicate-case-dot', 'key k5 { algorithm hmac-sha256; secret "abcd"; };\nkey "K5." { algorithm hmac-sha256; secret "abcd"; };'],
  ['duplicate-in-view', 'key k1 { algorithm hmac-sha256; secret "abcd"; };\nview v { key k1 { algorithm hmac-sha256; secret "abcd"; }; };'],
  ['bits-not-multiple', 'key k7 { algorithm hmac-sha256-127; secret "abcd"; };'],
  ['bits-too-large', 'key k10 { algorithm hmac-sha1-300; secret "abcd"; };'],
  ['secret-twice', 'key k14 { algorithm hmac-sha256;\n secret "abcd";\n secret "abcd"; };'],
  ['unknown-clause', 'key k16 { algorithm hmac-sha256; secret "abcd";\n foo 1; };'],
  ['bad-name', 'key "bad..name" { algorithm hmac-sha256; secret "abcd"; };'],
  ['accept-truncated', 'key k6 { algorithm hmac-sha256-128; secret "abcd"; };'],
  ['accept-short-bits', 'key k7 { algorithm hmac-sha256-64; secret "abcd"; };'],
  ['accept-md5-long-name', 'key k8 { algorithm HMAC-MD5.SIG-ALG.REG.INT; secret "abcd"; };'],
  ['accept-spaces', 'key k12 { algorithm hmac-sha256; secret "ab cd"; };'],
  ['accept-views', 'view v { key k1 { algorithm hmac-sha256; secret "abcd"; }; };\nview w { key k1 { algorithm hmac-sha512; secret "abcd"; }; };'],
  ['accept-acl-keys', 'key k1 { algorithm hmac-sha256; secret "abcd"; };\noptions { directory "."; allow-transfer { key k1; !key k2; }; allow-query { key k1; any; }; };'],
];

function run(dir: string, file: string): { bind: ReturnType<typeof spawnSync>; triad: ReturnType<typeof spawnSync> } {
  return {
    bind: spawnSync('named-checkconf', [file], { cwd: dir, encoding: 'utf8' }),
    triad: spawnSync(process.execPath, [BIN_TRIAD, 'check', '--named-conf', file], { cwd: dir, encoding: 'utf8', env: { ...process.env, TRIAD_LOG_LEVEL: 'error' } }),
  };
}

t.test('named-checkconf and the key tools are installed', async (t) => {
  for (const tool of ['named-checkconf', 'tsig-keygen', 'ddns-confgen', 'rndc-confgen']) {
    t.equal(spawnSync('sh', ['-c', `command -v ${tool}`]).status, 0, `${tool} (bind9-utils / bind9; test/install-deps.sh)`);
  }
});

const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-keys-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

for (const [name, text] of CASES) {
  t.test(name, async (t) => {
    const file = `${name}.conf`;
    writeFileSync(path.join(dir, file), `${text}\n`);
    const { bind, triad } = run(dir, file);
    t.equal(triad.status === 0, bind.status === 0, `same verdict (named-checkconf: ${String(bind.stdout)}${String(bind.stderr)})`);
    t.equal(bind.status === 0, name.startsWith('accept-'), 'named-checkconf gives the verdict this case is named for');
    if (bind.status !== 0) {
      // named-checkconf: "FILE:LINE: MESSAGE"; triad: "FILE:LINE:COL: error: MESSAGE".
      const m = /^[^:\n]+:(\d+): (.*)$/m.exec(String(bind.stdout) + String(bind.stderr));
      t.ok(m, 'named-checkconf printed file:line: message');
      if (m) {
        const ours = String(triad.stderr);
        const escaped = m[2].replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/previous definition: \S+:/, 'previous definition: \\S+:');
        t.match(ours, new RegExp(`${file}:${m[1]}:\\d+: error: ${escaped}`), `triad: the same message on line ${m[1]}`);
        t.match(ours, /\n {4}[^\n]*\n {4} *\^/, 'with the line and a caret');
      }
    }
  });
}

t.test('key files written by tsig-keygen, ddns-confgen and rndc-confgen -a, included', async (t) => {
  const keys = path.join(dir, 'tools');
  rmSync(keys, { recursive: true, force: true });
  spawnSync('mkdir', [keys]);
  writeFileSync(path.join(keys, 'a.key'), spawnSync('tsig-keygen', ['-a', 'hmac-sha512', 'transfer-key'], { encoding: 'utf8' }).stdout);
  writeFileSync(path.join(keys, 'b.key'), spawnSync('ddns-confgen', ['-q', '-a', 'hmac-sha1', '-k', 'ddns'], { encoding: 'utf8' }).stdout);
  t.equal(spawnSync('rndc-confgen', ['-a', '-A', 'hmac-sha384', '-c', path.join(keys, 'rndc.key')]).status, 0, 'rndc-confgen -a wrote rndc.key');
  writeFileSync(path.join(keys, 'named.conf'), [
    'include "a.key";', 'include "b.key";', 'include "rndc.key";',
    'options { directory "."; allow-transfer { key transfer-key; }; };',
    'controls { inet 127.0.0.1 port 953 allow { 127.0.0.1; } keys { "rndc-key"; }; };', '',
  ].join('\n'));
  const { bind, triad } = run(keys, 'named.conf');
  t.equal(bind.status, 0, `named-checkconf accepts them ${String(bind.stdout)}${String(bind.stderr)}`);
  t.equal(triad.status, 0, `triad check accepts them ${String(triad.stderr)}`);
  t.notMatch(String(triad.stderr), /TSIG|'key'/, 'no warning that keys are unused');
  // And a duplicate across two included files is caught by both, at the second file.
  writeFileSync(path.join(keys, 'dup.conf'), 'include "a.key";\ninclude "a.key";\n');
  const dup = run(keys, 'dup.conf');
  t.not(dup.bind.status, 0, 'named-checkconf rejects a key included twice');
  t.not(dup.triad.status, 0, 'so does triad check');
  t.match(String(dup.triad.stderr), /a\.key:1:\d+: error: key 'transfer-key': already exists previous definition: \S*a\.key:1/, 'pointing into the key file');
});

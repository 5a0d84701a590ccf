// A stand-in for the Dockerfile's base image (node:20-bookworm-slim) made on this
// machine without any image registry: a minimal Debian bookworm root file system
// from Debian's archive (mmdebstrap), the Node.js and npm this machine runs the
// tests with (under /usr/local, as in the official image), and a `node` user with
// uid/gid 1000. Imported with `podman import` and kept as
// localhost/triad-test-base:KEY, KEY a hash of everything that goes into it, so a
// later run reuses it and a changed input builds a new one.
//
// The machine's CA bundle goes in too (NODE_EXTRA_CA_CERTS) so `npm ci` inside the
// build trusts whatever TLS the machine's network presents (some networks
// intercept HTTPS); on an ordinary network it is only the usual public roots.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandError, runCmd, type Podman } from './engine.js';

export const BASE_REPO = 'localhost/triad-test-base';
const LABEL = 'org.triad.test-base';
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const SUITE = 'bookworm';
const SOURCES = [
  'deb http://deb.debian.org/debian bookworm main',
  'deb http://deb.debian.org/debian bookworm-updates main',
  'deb http://deb.debian.org/debian-security bookworm-security main',
];

function sh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

interface Recipe {
  key: string;
  mmdebstrap: string[];
  importChanges: string[];
}

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** What goes into the base image, and its cache key. Throws when this machine's Node.js cannot be found. */
export function baseRecipe(): Recipe {
  const node = realpathSync(process.execPath);
  const npmDir = path.resolve(path.dirname(node), '..', 'lib', 'node_modules', 'npm');
  if (!existsSync(path.join(npmDir, 'package.json'))) throw new Error(`npm not found beside ${node} (looked in ${npmDir})`);
  const npmVersion = (JSON.parse(readFileSync(path.join(npmDir, 'package.json'), 'utf8')) as { version: string }).version;
  const ca = existsSync(CA_BUNDLE) ? CA_BUNDLE : undefined;
  const hooks = [
    // Node and npm where the official image has them.
    `mkdir -p "$1/usr/local/bin" "$1/usr/local/lib/node_modules"`,
    `cp ${sh(node)} "$1/usr/local/bin/node"`,
    `cp -a ${sh(npmDir)} "$1/usr/local/lib/node_modules/npm"`,
    `ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"`,
    `ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"`,
    // The official image's user, which the Dockerfile runs as.
    `chroot "$1" groupadd --gid 1000 node`,
    `chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node`,
    ...(ca ? [`mkdir -p "$1/etc/ssl/certs"`, `cp ${sh(ca)} "$1${CA_BUNDLE}"`] : []),
  ];
  const mmdebstrap = ['mmdebstrap', '--quiet', '--variant=minbase', '--include=passwd', ...hooks.map((h) => `--customize-hook=${h}`), SUITE];
  const importChanges = [
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    ...(ca ? [`ENV NODE_EXTRA_CA_CERTS=${CA_BUNDLE}`] : []),
    `LABEL ${LABEL}=1`,
    'CMD ["node"]',
  ];
  const hash = createHash('sha256')
    .update(JSON.stringify({ mmdebstrap, SOURCES, importChanges, node: sha256File(node), nodeVersion: process.version, npmVersion, ca: ca ? sha256File(ca) : null }))
    .digest('hex');
  return { key: hash.slice(0, 16), mmdebstrap, importChanges };
}

export interface BaseImage {
  ref: string;
  built: boolean;
  /** Older base images of this test (other keys), removed. */
  pruned: string[];
}

/** Reuses localhost/triad-test-base:KEY, or builds it from nothing. */
export async function ensureBaseImage(podman: Podman): Promise<BaseImage> {
  const recipe = baseRecipe();
  const ref = `${BASE_REPO}:${recipe.key}`;
  const pruned = await pruneOlderBases(podman, recipe.key);
  const exists = await podman.run(['image', 'exists', ref]);
  if (exists.code === 0) return { ref, built: false, pruned };
  if (exists.code !== 1) throw commandError(exists, 'podman cannot read its image store');

  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-base-'));
  try {
    const tar = path.join(dir, 'rootfs.tar');
    const deb = await runCmd([...recipe.mmdebstrap, tar, ...SOURCES], { timeoutMs: 15 * 60_000 });
    if (deb.code !== 0) throw commandError(deb, 'mmdebstrap could not make the Debian root file system');
    await podman.ok(['import', ...recipe.importChanges.flatMap((c) => ['--change', c]), tar, ref], 'podman could not import the root file system', { timeoutMs: 5 * 60_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { ref, built: true, pruned };
}

/** Removes base images an earlier recipe made (our repository name and label, another key). */
async function pruneOlderBases(podman: Podman, key: string): Promise<string[]> {
  const r = await podman.run(['images', '--filter', `reference=${BASE_REPO}`, '--filter', `label=${LABEL}=1`, '--format', '{{.ID}} {{.Tag}}']);
  if (r.code !== 0) return [];
  const old = r.stdout
    .split('\n')
    .map((l) => l.trim().split(' '))
    .filter(([id, tag]) => id && tag && tag !== key);
  const removed: string[] = [];
  // By name, not ID: an old tag may point at the current image, which then only loses that tag.
  for (const [, tag] of old) if (!podman.removeSync('image', `${BASE_REPO}:${tag}`)) removed.push(`${BASE_REPO}:${tag}`);
  return removed;
}

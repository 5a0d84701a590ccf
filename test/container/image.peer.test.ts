// The container image, built and run for real with podman: a local base image
// (no registry; see base-image.ts), the repository's Dockerfile, then the image
// run with host networking and exactly the `docker run` options README documents,
// its HEALTHCHECK, dig questions on the shipped configuration (answers compared
// with BIND's own reading of the zone files), SIGHUP reload and SIGTERM stop; then
// port 53 as the non-root user, and README's root run for the load balancer (its nft
// table and VIP inside the container).
//
// "Host networking" here is a network namespace this test makes: podman runs in it
// (nsenter), so the container's host network is that namespace and the shipped
// named.conf's 127.0.0.1/::1 port 5300 (and port 53) collide with nothing else on
// the machine. Everything the test makes is removed by the ID it got, also on
// failure; the base image stays as a cache.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { answerKey, parseDig, type DigResult } from '../helpers/resolver-lab.js';
import { ensureBaseImage } from './base-image.js';
import { Podman, buildSnapshot, commandError, missingTools, removeBuildLeftovers, runCmd } from './engine.js';

// One file, several minutes (a first run builds the base image): the runner's limit,
// also when the file is run on its own.
t.setTimeout(20 * 60_000);

const tag = randomBytes(4).toString('hex');
const netns = `triad-ctr-${tag}`;
const work = mkdtempSync(path.join(os.tmpdir(), 'triad-image-'));
const podman = new Podman(work);
const timings: string[] = [];

// ---- clean-up: every resource registers its removal as soon as its ID is known ----
const cleanups: { what: string; undo: () => string | undefined }[] = [];
const cleanupProblems: string[] = [];
function cleanupAll(): void {
  for (const c of cleanups.splice(0).reverse()) {
    const problem = c.undo();
    if (problem) cleanupProblems.push(`${c.what}: ${problem}`);
  }
}
t.teardown(() => {
  cleanupAll();
  rmSync(work, { recursive: true, force: true });
  for (const p of cleanupProblems) process.stderr.write(`clean-up failed: ${p}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    cleanupAll();
    rmSync(work, { recursive: true, force: true });
    process.exit(1);
  });
}

async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await f();
  } finally {
    timings.push(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

// ---- README's `docker run` options, used as they are -------------------------
/** The options of the first `docker run` command in README's "Running in Docker" section (without the image name). */
function readmeRunOptions(): string[] {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = /^## Running in Docker\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  if (!section) throw new Error('README.md has no "## Running in Docker" section');
  const m = /^ {4}docker run ((?:.*\\\n)*.*)$/m.exec(section);
  if (!m) throw new Error('README\'s "Running in Docker" section shows no indented `docker run` command');
  const words = [...m[1].replace(/\\\n/g, ' ').matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((w) => w[1] ?? w[2] ?? w[3]);
  if (words.at(-1) !== 'triad') throw new Error(`README's docker run command should end with the image name triad: ${m[0]}`);
  return words.slice(0, -1);
}

/** README's options with $PWD standing for `dir` (where conf/ and zones/ are). */
function runOptionsFor(dir: string): string[] {
  return readmeRunOptions().map((w) => w.replace(/\$PWD|\$\{PWD\}/g, dir));
}

/**
 * README's run for DHCP, the relay and the load balancer: the inline
 * `docker run --network host --user 0 … …` (its options), with the main command's volumes.
 */
function rootRunOptionsFor(dir: string): string[] {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = /^## Running in Docker\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? '';
  const m = /`docker run ((?:[^`])*?--user 0(?:[^`])*?)\s*…`/.exec(section);
  if (!m) throw new Error('README\'s "Running in Docker" section shows no `docker run … --user 0 … …` for DHCP and the load balancer');
  const opts = m[1].split(/\s+/).filter(Boolean);
  const main = runOptionsFor(dir);
  const volumes = main.flatMap((w, i) => (w === '-v' || w === '--volume' ? [w, main[i + 1]] : []));
  return [...opts, ...volumes];
}

/** A copy of the shipped conf/ and zones/ that the container user (uid 1000) can read. */
function labCopy(name: string): string {
  const dir = path.join(work, name);
  cpSync(path.join(REPO_ROOT, 'conf'), path.join(dir, 'conf'), { recursive: true });
  cpSync(path.join(REPO_ROOT, 'zones'), path.join(dir, 'zones'), { recursive: true });
  for (const d of [work, dir, path.join(dir, 'conf'), path.join(dir, 'zones')]) chmodSync(d, 0o755);
  return dir;
}

// ---- the zones as BIND reads them ----------------------------------------------
interface ZoneRef {
  name: string;
  file: string;
}

/** Zones of a named.conf, via `named-checkconf -p`; files resolved as Triad does (directory against the conf's folder). */
async function zonesOf(confFile: string): Promise<ZoneRef[]> {
  const r = await runCmd(['named-checkconf', '-p', confFile], { cwd: path.dirname(confFile) });
  if (r.code !== 0) throw commandError(r, 'named-checkconf rejects the shipped named.conf');
  const dirMatch = /^\tdirectory "([^"]*)";/m.exec(r.stdout);
  const base = path.resolve(path.dirname(confFile), dirMatch?.[1] ?? '.');
  const zones: ZoneRef[] = [];
  for (const m of r.stdout.matchAll(/^zone "([^"]+)"[^{]*\{\n([\s\S]*?)^\};/gm)) {
    const file = /^\tfile "([^"]+)";/m.exec(m[2])?.[1];
    if (file && /^\ttype (primary|master);/m.exec(m[2])) zones.push({ name: m[1].toLowerCase(), file: path.resolve(base, file) });
  }
  return zones;
}

/** Every RR of a zone file as BIND loads it: `named-compilezone -s full -o -`. */
async function bindRecords(zone: ZoneRef): Promise<string[][]> {
  const r = await runCmd(['named-compilezone', '-s', 'full', '-o', '-', zone.name, zone.file]);
  if (r.code !== 0) throw commandError(r, `named-compilezone rejects ${zone.file}`);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 5 && f[2] === 'IN');
}

/** The questions whose authoritative answers the zone data alone defines: every RRset at or above a zone cut, no wildcard owners. */
function questionsFor(zone: ZoneRef, rrs: string[][]): { name: string; type: string; expect: string[] }[] {
  const apex = `${zone.name}.`;
  const cuts = rrs.filter((f) => f[3] === 'NS' && f[0].toLowerCase() !== apex).map((f) => f[0].toLowerCase());
  const below = (n: string): boolean => cuts.some((c) => n === c || n.endsWith(`.${c}`));
  const sets = new Map<string, string[]>();
  for (const f of rrs) {
    const name = f[0].toLowerCase();
    if (name.startsWith('*') || below(name)) continue;
    const k = `${name} ${f[3]}`;
    sets.set(k, [...(sets.get(k) ?? []), [name, f[2], f[3], ...f.slice(4)].join(' ')]);
  }
  return [...sets].map(([k, expect]) => ({ name: k.split(' ')[0], type: k.split(' ')[1], expect: expect.sort() }));
}

// ---- talking to the container ---------------------------------------------------
async function dig(server: string, port: number, args: string[]): Promise<DigResult> {
  const r = await runCmd(['nsenter', `--net=/run/netns/${netns}`, 'dig', `@${server}`, '-p', String(port), '+time=2', '+tries=1', '+norec', ...args]);
  return parseDig(r.stdout);
}

interface LogLine {
  msg?: string;
  signal?: string;
  service?: string;
  level?: number;
}

async function logsOf(cid: string): Promise<{ lines: LogLine[]; text: string }> {
  const r = await podman.run(['logs', cid]);
  const text = r.stdout + r.stderr;
  const lines: LogLine[] = [];
  for (const l of text.split('\n')) {
    try {
      lines.push(JSON.parse(l) as LogLine);
    } catch {
      // not a log line of Triad's (podman's own messages)
    }
  }
  return { lines, text };
}

async function stateOf(cid: string): Promise<{ status: string; exitCode: number; health: string }> {
  const out = await podman.ok(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}} {{.State.Health.Status}}', cid], 'podman inspect failed');
  const [status, exitCode, health] = out.trim().split(' ');
  return { status, exitCode: Number(exitCode), health: health ?? '' };
}

/** Starts the image with README's options (plus `extra`) in the test's namespace; the container is removed at teardown. */
async function startContainer(image: string, labDir: string, extra: string[] = [], options = runOptionsFor(labDir)): Promise<string> {
  const cidFile = path.join(work, `cid-${randomBytes(3).toString('hex')}`);
  const r = await podman.run(['run', '-d', '--cidfile', cidFile, ...extra, ...options, image], { netns });
  // The cidfile names the container even when `run` fails after creating it.
  const cid = existsSync(cidFile) ? readFileSync(cidFile, 'utf8').trim() : r.stdout.trim();
  if (cid) cleanups.push({ what: `container ${cid.slice(0, 12)}`, undo: () => podman.removeSync('container', cid) });
  if (r.code !== 0) throw commandError(r, 'the container did not start');
  return cid;
}

/** Runs the image's HEALTHCHECK (`podman healthcheck run`) until it passes; fails early when the container exits. */
async function waitHealthy(cid: string, ms = 60_000): Promise<{ ok: boolean; tries: number; last: string }> {
  const until = Date.now() + ms;
  let tries = 0;
  let last = '';
  while (Date.now() < until) {
    tries++;
    const r = await podman.run(['healthcheck', 'run', cid], { netns });
    if (r.code === 0) return { ok: true, tries, last: r.stdout.trim() };
    last = `\`${r.line}\` exited ${r.code}: ${(r.stdout + r.stderr).trim()}`;
    const s = await stateOf(cid);
    if (s.status !== 'running') return { ok: false, tries, last: `${last}\ncontainer is ${s.status} (exit ${s.exitCode})\n${(await logsOf(cid)).text}` };
    await new Promise((res) => setTimeout(res, 1000));
  }
  return { ok: false, tries, last };
}

// ---- the test --------------------------------------------------------------------
let baseRef = '';
let imageId = '';
let cid = '';
let netnsMade = false;
const IMAGE_TAG = `localhost/triad-test:${tag}`;

t.test('the container tools are installed', async (t) => {
  const missing = missingTools();
  t.same(missing, [], missing.length ? `missing: ${missing.join(', ')} (test/install-deps.sh installs them)` : 'podman, runc, mmdebstrap, nsenter, ip, dig and BIND\'s tools are installed');
  t.equal(process.getuid?.(), 0, 'runs as root (rootful podman, network namespaces)');
});

t.test('a base image made without any registry runs a container', async (t) => {
  try {
    const base = await timed('base image', () => ensureBaseImage(podman));
    baseRef = base.ref;
    t.comment(`${base.ref}: ${base.built ? 'built from Debian bookworm (mmdebstrap) and this machine\'s Node.js' : 'cached from an earlier run'}`);
    for (const p of base.pruned) t.comment(`removed an older base image: ${p}`);
    // The engine really runs containers here: the base's node is this machine's node.
    const v = await podman.ok(['run', '--rm', '--network', 'host', base.ref, 'node', '--version'], 'podman cannot run a container');
    t.equal(v.trim(), process.version, 'node inside the base image runs');
  } catch (err) {
    t.fail((err as Error).message);
  }
});

t.test('the Dockerfile builds on the local base image', async (t) => {
  if (!baseRef) return void t.fail('no base image (see the failure above)');
  const iidFile = path.join(work, 'iid');
  // If the test is interrupted during the build, end it and remove what it made.
  const before = buildSnapshot(podman, baseRef);
  let building = true;
  const base = baseRef;
  cleanups.push({ what: 'an interrupted build', undo: () => (building ? removeBuildLeftovers(podman, base, before) : undefined) });
  // --network host: the RUN steps reach Debian's archive and the npm registry without
  // a container network; --layers=false and --force-rm leave no intermediate images
  // or containers behind, also when a step fails.
  const r = await timed('podman build', () =>
    podman.run(
      ['build', '--format', 'docker', '--network', 'host', '--pull=never', '--layers=false', '--force-rm', '--build-arg', `NODE_IMAGE=${baseRef}`, '--iidfile', iidFile, '-t', IMAGE_TAG, '.'],
      { cwd: REPO_ROOT, timeoutMs: 15 * 60_000 },
    ),
  );
  building = false;
  if (existsSync(iidFile)) {
    imageId = readFileSync(iidFile, 'utf8').trim();
    const id = imageId;
    cleanups.push({ what: `image ${id.slice(0, 19)}`, undo: () => podman.removeSync('image', id) });
  }
  if (r.code !== 0) return void t.fail(commandError(r, 'podman build failed').message);
  t.ok(imageId, 'the build names its image');
  // `podman image inspect` shows the Docker-format HEALTHCHECK beside the OCI config.
  const [info] = JSON.parse(await podman.ok(['image', 'inspect', imageId], 'podman image inspect failed')) as {
    Config?: { User?: string; Cmd?: string[] };
    Healthcheck?: { Test?: string[] };
  }[];
  const cfg = { ...info.Config, Healthcheck: info.Healthcheck };
  t.equal(cfg.User, 'node', 'the image runs as the non-root node user');
  t.same(cfg.Cmd, ['bin/triad', 'run', '--conf-dir', 'conf'], 'the start command is `npm start`\'s, without npm');
  t.same(cfg.Healthcheck?.Test, ['CMD', 'node', 'bin/dns-healthcheck'], 'the HEALTHCHECK is kept (docker format)');
  const files = await podman.ok(
    ['run', '--rm', '--network', 'host', '--entrypoint', 'sh', imageId, '-c', 'ls dist/src/cli.js bin/triad conf/named.conf && ls node_modules && test ! -e node_modules/typescript && test ! -e test && echo ok; for c in nft ip arping ping ethtool; do command -v $c >/dev/null && echo "tool $c"; done; stat -c "datadir %U:%G %a" /var/lib/triad'],
    'listing the image failed',
  );
  t.match(files, /^ok$/m, 'compiled code, conf/ and production dependencies only (no typescript, no tests)');
  t.match(files, /^pino$/m, 'runtime dependencies are in the image');
  const tools = [...files.matchAll(/^tool (\S+)$/gm)].map((m) => m[1]);
  t.same(tools, ['nft', 'ip', 'arping', 'ping', 'ethtool'], 'the tools the load balancer runs are in the image');
  t.match(files, /^datadir node:root 775$/m, '/var/lib/triad is writable by node and by root without CAP_DAC_OVERRIDE');
});

t.test('with README\'s options the container serves the shipped configuration', async (t) => {
  if (!imageId) return void t.fail('no image (see the failure above)');
  const mk = await runCmd(['ip', 'netns', 'add', netns]);
  if (mk.code !== 0) return void t.fail(commandError(mk, 'cannot make a network namespace').message);
  netnsMade = true;
  cleanups.push({
    what: `network namespace ${netns}`,
    undo: () => runCmdSync(['ip', 'netns', 'del', netns]),
  });
  const up = await runCmd(['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
  if (up.code !== 0) return void t.fail(commandError(up, 'cannot bring up loopback').message);

  const lab = labCopy('lab');
  t.comment(`docker run ${readmeRunOptions().join(' ')} triad`);
  try {
    cid = await timed('start to healthy', async () => {
      const id = await startContainer(imageId, lab);
      const h = await waitHealthy(id);
      t.ok(h.ok, `the HEALTHCHECK passes (${h.tries} tries)${h.ok ? '' : `: ${h.last}`}`);
      return id;
    });
  } catch (err) {
    return void t.fail((err as Error).message);
  }
  const st = await stateOf(cid);
  t.equal(st.status, 'running', 'the container is running');
  t.equal(st.health, 'healthy', 'podman records the container as healthy');

  // Exactly the documented privileges: uid 1000, only CAP_NET_BIND_SERVICE (bit 10).
  const status = await podman.ok(['exec', cid, 'cat', '/proc/1/status'], 'podman exec failed', { netns });
  t.match(status, /^Uid:\s+1000\s/m, 'Triad runs as uid 1000');
  t.match(status, /^CapBnd:\s+0000000000000400$/m, 'the bounding set is CAP_NET_BIND_SERVICE alone');
  t.match(status, /^CapEff:\s+0000000000000400$/m, 'the effective set is CAP_NET_BIND_SERVICE alone');

  const zones = await zonesOf(path.join(lab, 'conf', 'named.conf'));
  t.ok(zones.length > 0, 'the shipped named.conf has zones');
  let asked = 0;
  for (const zone of zones) {
    const rrs = await bindRecords(zone);
    const qs = questionsFor(zone, rrs);
    t.ok(qs.some((q) => q.type === 'SOA'), `${zone.name}: BIND reads a SOA`);
    const wrong: string[] = [];
    for (const q of qs) {
      const d = await dig('127.0.0.1', 5300, [q.name, q.type]);
      asked++;
      const got = answerKey(d);
      if (d.status !== 'NOERROR' || !d.flags.includes('aa') || JSON.stringify(got) !== JSON.stringify(q.expect)) {
        wrong.push(`${q.name} ${q.type}: ${d.status} [${d.flags.join(' ')}] ${JSON.stringify(got)}, BIND's zone data: ${JSON.stringify(q.expect)}`);
      }
    }
    t.same(wrong, [], `${zone.name}: ${qs.length} questions answered authoritatively with exactly the zone's data`);
  }
  t.comment(`${asked} dig questions`);
  const apex = zones[0].name;
  const nx = await dig('127.0.0.1', 5300, [`no-such-name-${tag}.${apex}`, 'A']);
  t.equal(nx.status, 'NXDOMAIN', 'a name not in the zone: NXDOMAIN');
  t.ok(nx.flags.includes('aa'), 'NXDOMAIN is authoritative');
  const tcp = await dig('127.0.0.1', 5300, ['+tcp', apex, 'SOA']);
  t.equal(tcp.status, 'NOERROR', 'answers over TCP');
  const v6 = await dig('::1', 5300, [apex, 'SOA']);
  t.equal(v6.status, 'NOERROR', 'answers on ::1 (listen-on-v6)');
});

t.test('SIGHUP reaches Triad in the container and reloads a changed zone', async (t) => {
  if (!cid) return void t.fail('no running container (see the failure above)');
  const confFile = path.join(work, 'lab', 'conf', 'named.conf');
  const zone = (await zonesOf(confFile))[0];
  const probe = `reload-probe-${tag}.${zone.name}`;
  const before = await dig('127.0.0.1', 5300, [probe, 'A']);
  t.equal(before.status, 'NXDOMAIN', 'the probe name is not there before the change');
  const soa = (await bindRecords(zone)).find((f) => f[3] === 'SOA');
  if (!soa) return void t.fail('the zone has no SOA');
  const serial = soa[6];
  const text = readFileSync(zone.file, 'utf8');
  const bumped = String(Number(serial) + 1);
  t.ok(text.includes(serial), 'the zone file spells its serial as BIND reads it');
  writeFileSync(zone.file, `${text.replace(serial, bumped).replace(/\n?$/, '\n')}${probe}. 300 IN A 192.0.2.53\n`);

  const hup = await timed('SIGHUP to new answer', async () => {
    await podman.ok(['kill', '--signal', 'HUP', cid], 'podman kill --signal HUP failed');
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      const d = await dig('127.0.0.1', 5300, [probe, 'A']);
      if (d.status === 'NOERROR' && d.answer.length) return d;
      await new Promise((res) => setTimeout(res, 300));
    }
    return dig('127.0.0.1', 5300, [probe, 'A']);
  });
  t.same(answerKey(hup), [`${probe}. IN A 192.0.2.53`], 'the added record is served after SIGHUP');
  // Every DNS worker has the new data: several questions, all answered from it.
  const again = await Promise.all([1, 2, 3, 4, 5, 6].map(() => dig('127.0.0.1', 5300, [zone.name, 'SOA'])));
  t.same(again.map((d) => d.answer[0]?.[6]), again.map(() => bumped), 'the new serial is served by every worker');
  const logs = await logsOf(cid);
  t.ok(logs.lines.some((l) => l.msg === 'reloaded' && l.service === 'dns'), 'Triad logs the reload');
  t.equal((await stateOf(cid)).status, 'running', 'still running after the reload');
});

t.test('SIGTERM (podman stop) reaches Triad and it exits cleanly', async (t) => {
  if (!cid) return void t.fail('no running container (see the failure above)');
  // A process that ignored SIGTERM would be killed after --time seconds and exit 137.
  await timed('podman stop', () => podman.ok(['stop', '--time', '30', cid], 'podman stop failed'));
  const st = await stateOf(cid);
  t.equal(st.status, 'exited', 'the container has exited');
  t.equal(st.exitCode, 0, 'exit status 0: Triad stopped on SIGTERM, it was not killed');
  const logs = await logsOf(cid);
  t.ok(logs.lines.some((l) => l.msg === 'stopping' && l.signal === 'SIGTERM'), 'Triad logs that it is stopping on SIGTERM');
  t.notOk(logs.lines.some((l) => (l.level ?? 0) >= 50), `no error in its log${logs.lines.some((l) => (l.level ?? 0) >= 50) ? `:\n${logs.text}` : ''}`);
});

t.test('port 53 as the non-root user with only NET_BIND_SERVICE', async (t) => {
  if (!imageId || !netnsMade) return void t.fail('no image or namespace (see the failure above)');
  const lab = labCopy('lab53');
  const conf = path.join(lab, 'conf', 'named.conf');
  const shipped = readFileSync(conf, 'utf8');
  writeFileSync(conf, shipped.replace(/port 5300/g, 'port 53'));
  t.not(readFileSync(conf, 'utf8'), shipped, 'named.conf now listens on port 53');
  let id: string;
  try {
    // README: set TRIAD_HEALTHCHECK_PORT when you change listen-on.
    id = await startContainer(imageId, lab, ['-e', 'TRIAD_HEALTHCHECK_PORT=53']);
  } catch (err) {
    return void t.fail((err as Error).message);
  }
  const h = await waitHealthy(id);
  t.ok(h.ok, `the HEALTHCHECK passes on port 53${h.ok ? '' : `: ${h.last}`}`);
  const zone = (await zonesOf(conf))[0];
  const d = await dig('127.0.0.1', 53, [zone.name, 'SOA']);
  t.equal(d.status, 'NOERROR', 'answers on port 53');
  t.ok(d.flags.includes('aa'), 'authoritatively');
  await podman.ok(['stop', '--time', '30', id], 'podman stop failed');
  t.equal((await stateOf(id)).exitCode, 0, 'stops cleanly');
});

t.test("README's root run: the load balancer programs nftables and its VIP inside the container", async (t) => {
  if (!imageId || !netnsMade) return void t.fail('no image or namespace (see the failure above)');
  // A veth pair in the test's namespace: the VIP's subnet on one end, a real server's subnet on the other.
  const [a, b] = [`lb${tag.slice(0, 6)}a`, `lb${tag.slice(0, 6)}b`];
  const vip = '10.77.0.100';
  for (const cmd of [
    ['ip', '-n', netns, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b],
    ['ip', '-n', netns, 'addr', 'add', '10.77.0.1/24', 'dev', a],
    ['ip', '-n', netns, 'addr', 'add', '10.77.1.21/24', 'dev', b],
    ['ip', '-n', netns, 'link', 'set', a, 'up'],
    ['ip', '-n', netns, 'link', 'set', b, 'up'],
    // NAT needs forwarding; a container cannot write /proc/sys, so the host sets it (README).
    ['nsenter', `--net=/run/netns/${netns}`, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'],
  ]) {
    const r = await runCmd(cmd);
    if (r.code !== 0) return void t.fail(commandError(r, 'cannot set up the load balancer\'s links').message);
  }
  const lab = labCopy('lab-lb');
  writeFileSync(
    path.join(lab, 'conf', 'keepalived.conf'),
    `virtual_server ${vip} 8080 {\n  delay_loop 2\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server 10.77.1.21 8080 {\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n}\n`,
  );
  chmodSync(path.join(lab, 'conf', 'keepalived.conf'), 0o644);
  let opts: string[];
  let id: string;
  try {
    opts = rootRunOptionsFor(lab);
    t.comment(`docker run ${opts.join(' ')} triad`);
    id = await startContainer(imageId, lab, [], opts);
  } catch (err) {
    return void t.fail((err as Error).message);
  }
  const nftTable = (): Promise<string> => runCmd(['nsenter', `--net=/run/netns/${netns}`, 'nft', 'list', 'table', 'ip', 'triad']).then((r) => (r.code === 0 ? r.stdout : ''));
  const vipOn = (): Promise<boolean> => runCmd(['ip', '-n', netns, '-o', 'addr', 'show']).then((r) => r.stdout.includes(` ${vip}/32 `));
  const until = Date.now() + 30_000;
  let table = '';
  while (Date.now() < until && !((table = await nftTable()) && (await vipOn()))) {
    if ((await stateOf(id)).status !== 'running') break;
    await new Promise((res) => setTimeout(res, 500));
  }
  const logs = await logsOf(id);
  t.match(table, new RegExp(vip.replace(/\./g, '\\.')), `Triad's nft table holds the virtual server${table ? '' : `:\n${logs.text}`}`);
  t.ok(await vipOn(), `the VIP ${vip} is on an interface`);
  const h = await waitHealthy(id);
  t.ok(h.ok, `DNS serves beside it (HEALTHCHECK)${h.ok ? '' : `: ${h.last}`}`);
  await podman.ok(['stop', '--time', '30', id], 'podman stop failed');
  t.equal((await stateOf(id)).exitCode, 0, 'stops cleanly on SIGTERM');
  t.equal(await nftTable(), '', 'its nft table is removed at stop');
  t.notOk(await vipOn(), 'its VIP is removed at stop');
  const errors = (await logsOf(id)).lines.filter((l) => (l.level ?? 0) >= 50);
  t.same(errors, [], 'no error in its log');
});

t.test('clean-up removes what the test made', async (t) => {
  const made = { containers: cleanups.filter((c) => c.what.startsWith('container')).length, image: imageId };
  cleanupAll();
  t.same(cleanupProblems, [], 'every removal succeeded');
  if (imageId) t.equal((await podman.run(['image', 'exists', imageId])).code, 1, 'the built image is gone');
  if (cid) t.equal((await podman.run(['container', 'exists', cid])).code, 1, 'the container is gone');
  t.notOk(existsSync(`/run/netns/${netns}`), 'the network namespace is gone');
  if (baseRef) t.equal((await podman.run(['image', 'exists', baseRef])).code, 0, `the base image stays as a cache (${baseRef})`);
  t.comment(`removed ${made.containers} container(s)${made.image ? ' and the image' : ''}`);
  for (const l of timings) t.comment(l);
});

function runCmdSync(argv: string[]): string | undefined {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? undefined : `${argv.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`;
}

// A fake DNS hierarchy on loopback for resolver peer tests: a root, a TLD, a leaf
// server (leaf.tld, other.tld, ff.tld, fo.tld), a stale.tld server and two
// forwarding targets, each a Triad authoritative server (recursion no) on its own
// 127.x.y.z address (port 53, since iterative resolution always uses 53).
// Every server counts the questions it gets, so tests can see what went upstream.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDnsConfig, requireAllZones } from '../../src/dns/dns-config.js';
import { decodeMessage } from '../../src/dns/message.js';
import { nameToText } from '../../src/wire/dns-name.js';
import { Responder, type ClientInfo } from '../../src/dns/responder.js';
import { startDnsServer, type DnsServer } from '../../src/dns/server.js';
import { FIXTURES } from './paths.js';
import { randomPort } from './triad-run.js';

export const RESOLVER_FIXTURES = path.join(FIXTURES, 'resolver');

export interface AuthServer {
  address: string;
  port: number;
  server: DnsServer;
  /** Questions received, keyed "name/TYPE-number" (name lower-case, with final dot). */
  counts: Map<string, number>;
  count(name: string, type?: number): number;
  close(): Promise<void>;
}

export interface Lab {
  dir: string;
  /** 127.a.b.0 prefix: the lab's addresses are `${net}.N`. */
  net: string;
  root: AuthServer;
  tld: AuthServer;
  leaf: AuthServer;
  stale: AuthServer;
  fwd: AuthServer;
  fwd2: AuthServer;
  /** An address and port where nothing answers. */
  dead: { address: string; port: number };
  close(): Promise<void>;
}

function fill(text: string, vars: Record<string, string>): string {
  return text.replace(/@([A-Z0-9]+)@/g, (m, k: string) => vars[k] ?? m);
}

/** Starts one authoritative Triad server for the given zones on address:port. */
export async function startAuth(dir: string, address: string, port: number, zones: [string, string][]): Promise<AuthServer> {
  const conf = path.join(dir, `auth-${address}-${port}.conf`);
  writeFileSync(conf, `options { directory "${dir}"; recursion no; listen-on port ${port} { ${address}; }; listen-on-v6 { none; }; };\n` +
    zones.map(([z, f]) => `zone "${z}" { type primary; file "${f}"; };`).join('\n') + '\n');
  const cfg = requireAllZones(loadDnsConfig(conf));
  const responder = new Responder(cfg.view);
  const counts = new Map<string, number>();
  const handler = {
    respond(msg: Uint8Array, client: ClientInfo): Uint8Array | null {
      const m = decodeMessage(msg);
      if (typeof m !== 'string' && m.questions[0]) {
        const k = `${nameToText(m.questions[0].name).toLowerCase()}/${m.questions[0].type}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      return responder.respond(msg, client);
    },
  };
  const server = await startDnsServer({ listen: [{ address, port }], responder: handler, exclusive: true });
  return {
    address, port, server, counts,
    count: (name, type = 1) => counts.get(`${name.toLowerCase()}/${type}`) ?? 0,
    close: () => server.close(),
  };
}

export async function startLab(): Promise<Lab> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-reslab-'));
  const b = (): number => 2 + Math.floor(Math.random() * 250);
  const net = `127.${b()}.${b()}`;
  const vars = { ROOT: `${net}.1`, TLD: `${net}.2`, LEAF: `${net}.3`, STALE: `${net}.4` };
  for (const f of ['root.zone', 'hints.ca', 'tld.zone', 'leaf.zone', 'other.zone', 'ff.zone', 'fo.zone', 'stale.zone', 'fwd.zone']) {
    writeFileSync(path.join(dir, f), fill(readFileSync(path.join(RESOLVER_FIXTURES, f), 'utf8'), vars));
  }
  const started: AuthServer[] = [];
  const start = async (addr: string, port: number, zones: [string, string][]): Promise<AuthServer> => {
    const s = await startAuth(dir, addr, port, zones);
    started.push(s);
    return s;
  };
  try {
    const root = await start(vars.ROOT, 53, [['.', 'root.zone']]);
    const tld = await start(vars.TLD, 53, [['tld', 'tld.zone']]);
    const leaf = await start(vars.LEAF, 53, [['leaf.tld', 'leaf.zone'], ['other.tld', 'other.zone'], ['ff.tld', 'ff.zone'], ['fo.tld', 'fo.zone']]);
    const stale = await start(vars.STALE, 53, [['stale.tld', 'stale.zone']]);
    const fwd = await start(`${net}.5`, randomPort(), [['fwd.test', 'fwd.zone']]);
    const fwd2 = await start(`${net}.6`, randomPort(), [['fwd2.test', 'fwd.zone']]);
    return {
      dir, net, root, tld, leaf, stale, fwd, fwd2,
      dead: { address: `${net}.7`, port: randomPort() },
      close: async () => {
        await Promise.all(started.map((s) => s.close().catch(() => undefined)));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.close().catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The resolver configuration both Triad and BIND get (only directory and listen address differ). */
export function resolverConf(lab: Lab, dir: string, listen: string, port: number, extra = ''): string {
  return `// generated by test/helpers/resolver-lab.ts
controls { };
options {
    directory "${dir}";
    listen-on port ${port} { ${listen}; };
    listen-on-v6 { none; };
    recursion yes;
    allow-recursion { !${lab.net}.99; 127.0.0.0/8; };
    dnssec-validation no;
    qname-minimization off;
    stale-answer-enable yes;
    stale-cache-enable yes;
    stale-answer-client-timeout 0;
    max-ncache-ttl 900;
    forwarders { ${lab.fwd.address} port ${lab.fwd.port}; };
    forward only;
    pid-file none;
    session-keyfile none;
    notify no;
${extra}};
zone "." { type hint; file "${lab.dir}/hints.ca"; };
// names under tld are resolved iteratively: an empty list turns the global forwarders off
zone "tld" { type forward; forwarders { }; };
zone "fwd2.test" { type forward; forward only; forwarders { ${lab.fwd2.address} port ${lab.fwd2.port}; }; };
zone "ff.tld" { type forward; forward first; forwarders { ${lab.dead.address} port ${lab.dead.port}; }; };
zone "fo.tld" { type forward; forward only; forwarders { ${lab.dead.address} port ${lab.dead.port}; }; };
`;
}

export interface DigResult {
  status: string;
  flags: string[];
  answer: string[][];
  authority: string[][];
  ede: string;
  raw: string;
}

export function parseDig(out: string): DigResult {
  const status = /status: ([A-Z]+)/.exec(out)?.[1] ?? 'TIMEOUT';
  const flags = (/;; flags: ([a-z ]+);/.exec(out)?.[1] ?? '').trim().split(/\s+/).filter(Boolean).sort();
  const section = (name: string): string[][] => {
    const m = new RegExp(`;; ${name} SECTION:\\n([\\s\\S]*?)(\\n\\n|$)`).exec(out);
    if (!m) return [];
    return m[1].split('\n').filter((l) => l && !l.startsWith(';')).map((l) => l.split(/\s+/));
  };
  const ede = /; EDE: ([^\n]*)/.exec(out)?.[1] ?? '';
  return { status, flags, answer: section('ANSWER'), authority: section('AUTHORITY'), ede, raw: out };
}

export function dig(server: string, port: number, args: string[], timeSec = 4): Promise<DigResult> {
  return new Promise((resolve, reject) => {
    const p = spawn('dig', [`@${server}`, '-p', String(port), `+time=${timeSec}`, '+tries=1', ...args]);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', (e) => reject(new Error(`dig could not run: ${e.message}`)));
    p.on('close', () => resolve(parseDig(out)));
  });
}

/** Answer records without TTLs, sorted: what two resolvers must agree on. */
export function answerKey(r: DigResult): string[] {
  return r.answer.map((f) => [f[0].toLowerCase(), f[2], f[3], ...f.slice(4)].join(' ')).sort();
}

export interface NamedProcess {
  child: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

/** `named -g -n 1 -c CONF`; resolves once it runs, rejects with its log otherwise. */
export async function startNamed(conf: string): Promise<NamedProcess> {
  const child = spawn('named', ['-g', '-c', conf, '-n', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await new Promise<void>((r) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        r();
      }, 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        r();
      });
    });
  };
  const ok = await new Promise<boolean>((resolve) => {
    const until = Date.now() + 15000;
    const check = (): void => {
      if (/running/.test(log)) resolve(true);
      else if (child.exitCode !== null || Date.now() > until) resolve(false);
      else setTimeout(check, 50);
    };
    check();
  });
  if (!ok) {
    await stop();
    throw new Error(`named did not start:\n${log}`);
  }
  return { child, log: () => log, stop };
}

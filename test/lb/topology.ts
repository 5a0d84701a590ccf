// Namespace test beds for the load balancer, after the kernel's IPVS selftest
// (tools/testing/selftests/net/netfilter/ipvs.sh): a client, the load balancer and
// real servers on bridges living in their own namespace. Nothing touches the host
// namespace: veths are created inside namespaces, and everything is removed in
// cleanup(), which tests register with t.teardown.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { controlRequest } from '../../src/control/server.js';
import { BIN_TRIAD, REPO_ROOT } from '../helpers/paths.js';

export const RS_SERVER = path.join(REPO_ROOT, 'dist', 'test', 'lb', 'rs-server.js');
export const LB_CLIENT = path.join(REPO_ROOT, 'dist', 'test', 'lb', 'lb-client.js');

export interface ClientResult {
  byName: Record<string, number>;
  seenAddrs: string[];
  failures: number;
  errors: string[];
}

export class Topo {
  readonly tag = randomBytes(2).toString('hex');
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'triad-lb-'));
  private namespaces: string[] = [];
  private procs = new Set<ChildProcess>();
  triad?: ChildProcess;
  triadLog: string[] = [];

  ns(role: string): string {
    return `lb${this.tag}${role}`;
  }

  sh(role: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.ns(role), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  ip(...args: string[]): void {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  addNs(role: string): void {
    this.ip('netns', 'add', this.ns(role));
    this.namespaces.push(this.ns(role));
    this.ip('-n', this.ns(role), 'link', 'set', 'lo', 'up');
  }

  bridge(role: string): void {
    this.addNs(role);
    this.ip('-n', this.ns(role), 'link', 'add', 'br0', 'type', 'bridge');
    this.ip('-n', this.ns(role), 'link', 'set', 'br0', 'up');
  }

  /** A veth `ifname` in `role` with `cidr`, its peer enslaved to br0 in `bridgeRole`. */
  /**
   * The NAT layout: client `c` (10.0.0.2) wired straight to the LB `l` (eth0,
   * 10.0.0.1), and the LB's eth1 (10.1.0.1/24) on bridge `b` for the real servers.
   */
  natEdge(): void {
    this.addNs('c');
    this.addNs('l');
    this.bridge('b');
    this.ip('-n', this.ns('c'), 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.ns('l'));
    this.ip('-n', this.ns('c'), 'addr', 'add', '10.0.0.2/24', 'dev', 'eth0');
    this.ip('-n', this.ns('c'), 'link', 'set', 'eth0', 'up');
    this.ip('-n', this.ns('l'), 'addr', 'add', '10.0.0.1/24', 'dev', 'eth0');
    this.ip('-n', this.ns('l'), 'link', 'set', 'eth0', 'up');
    this.attach('l', 'eth1', 'b', '10.1.0.1/24');
  }

  attach(role: string, ifname: string, bridgeRole: string, cidr: string): void {
    const peer = `p${role}${ifname}`.slice(0, 15);
    this.ip('-n', this.ns(role), 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', peer, 'netns', this.ns(bridgeRole));
    this.ip('-n', this.ns(bridgeRole), 'link', 'set', peer, 'master', 'br0', 'up');
    this.ip('-n', this.ns(role), 'addr', 'add', cidr, 'dev', ifname);
    this.ip('-n', this.ns(role), 'link', 'set', ifname, 'up');
  }

  sysctl(role: string, ...kv: string[]): void {
    this.sh(role, 'sysctl', '-q', '-w', ...kv);
  }

  /** DR real server: VIP on lo, never answering ARP for it (arp_ignore/arp_announce, kernel selftest). */
  drRealServer(role: string, vip: string): void {
    this.ip('-n', this.ns(role), 'addr', 'add', `${vip}/32`, 'dev', 'lo');
    this.sysctl(role, 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.eth0.rp_filter=0');
  }

  spawnIn(role: string, args: string[]): ChildProcess {
    const p = spawn('ip', ['netns', 'exec', this.ns(role), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.procs.add(p);
    p.on('exit', () => this.procs.delete(p));
    return p;
  }

  /** Starts the test real server; resolves once it listens. */
  async startRs(role: string, name: string, port: number): Promise<ChildProcess> {
    const p = this.spawnIn(role, [process.execPath, RS_SERVER, name, '0.0.0.0', String(port)]);
    await new Promise((r) => setTimeout(r, 300));
    return p;
  }

  async stopProc(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (p.exitCode !== null || p.signalCode !== null) return;
    const done = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await done;
  }

  client(role: string, proto: 'tcp' | 'udp', host: string, port: number, n: number, conc = 20): ClientResult {
    const out = this.sh(role, process.execPath, LB_CLIENT, proto, host, String(port), String(n), String(conc));
    return JSON.parse(out) as ClientResult;
  }

  writeConf(text: string): string {
    const f = path.join(this.dir, 'keepalived.conf');
    writeFileSync(f, text);
    return f;
  }

  get socket(): string {
    return path.join(this.dir, 'control.sock');
  }

  startTriad(role: string, conf: string, extra: string[] = []): ChildProcess {
    const p = this.spawnIn(role, [process.execPath, BIN_TRIAD, 'run', '--conf-dir', this.dir, '--data-dir', this.dir, '--lb-conf', conf, '--log-level', 'debug', ...extra]);
    const keep = (d: Buffer) => {
      this.triadLog.push(...d.toString().split('\n').filter(Boolean));
      if (this.triadLog.length > 2000) this.triadLog.splice(0, 1000);
    };
    p.stdout?.on('data', keep);
    p.stderr?.on('data', keep);
    this.triad = p;
    return p;
  }

  async ctl(...args: string[]): Promise<{ status: number; body: { text?: string; data?: unknown; error?: string } }> {
    try {
      return await controlRequest(this.socket, 'lb', args);
    } catch (e) {
      // A kept-alive HTTP connection the server just timed out fails with EPIPE/ECONNRESET: retry once.
      if (!/EPIPE|ECONNRESET/.test((e as Error).message)) throw e;
      return controlRequest(this.socket, 'lb', args);
    }
  }

  /** Waits until `ctl lb` answers and `pred` holds on its data. */
  async waitFor(pred: (data: StatusData) => boolean, timeoutMs = 15000): Promise<StatusData> {
    const end = Date.now() + timeoutMs;
    let last: StatusData = [];
    while (Date.now() < end) {
      try {
        const r = await this.ctl();
        if (r.status === 200) {
          last = r.body.data as StatusData;
          if (pred(last)) return last;
        }
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for the load balancer state; last: ${JSON.stringify(last).slice(0, 800)}\nlog tail:\n${this.triadLog.slice(-30).join('\n')}`);
  }

  tables(role: string): string {
    return this.sh(role, 'nft', 'list', 'tables').trim();
  }

  cleanup(): void {
    for (const p of this.procs) p.kill('SIGKILL');
    for (const n of this.namespaces.reverse()) spawnSync('ip', ['netns', 'del', n]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export type StatusData = Array<{
  key: string;
  quorumUp: boolean;
  /** Set while the virtual server is not placed (its interface is missing); it then lists no servers. */
  error?: string;
  servers: Array<{ ip: string; port: number; sorry?: boolean; alive: boolean; effectiveWeight: number; state: string; counters?: { conns: number; active: number; inPkts: number } }>;
}>;

/**
 * Every virtual server placed on its interface, with servers, all alive. A virtual server
 * still waiting for its interface is listed with an error and no servers: that is not up
 * (an empty list would make `every` true while nothing is installed yet).
 */
export function allUp(data: StatusData): boolean {
  return data.length > 0 && data.every((v) => !v.error && v.servers.length > 0 && v.servers.every((s) => s.sorry || (s.alive && s.effectiveWeight > 0)));
}

/** Which tools the test needs; a missing one fails the test with its name. */
export function missingTools(tools: string[]): string[] {
  return tools.filter((x) => spawnSync('sh', ['-c', `command -v ${x}`]).status !== 0);
}

/** A long-lived TCP connection in a namespace (socat), to prove established flows survive. */
export class HeldConnection {
  private out = '';
  readonly proc: ChildProcess;
  constructor(topo: Topo, role: string, host: string, port: number) {
    this.proc = topo.spawnIn(role, ['socat', '-', `TCP:${host}:${port}`]);
    this.proc.stdout?.on('data', (d: Buffer) => (this.out += d.toString()));
    this.proc.stderr?.on('data', (d: Buffer) => (this.err += d.toString()));
    this.proc.stdin?.on('error', () => undefined);
  }
  err = '';
  /** Sends a line, resolves with the reply line (`NAME CLIENT LINE`) or rejects after 3 s. */
  async say(line: string): Promise<string> {
    const start = this.out.length;
    this.proc.stdin?.write(line + '\n');
    const end = Date.now() + 3000;
    while (Date.now() < end) {
      const nl = this.out.indexOf('\n', start);
      if (nl >= 0) return this.out.slice(start, nl);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no reply to '${line}' on the held connection ${this.err.trim()}`);
  }
  close(): void {
    this.proc.kill('SIGKILL');
  }
}

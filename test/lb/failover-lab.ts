// A load-balancer pair test bed: a front bridge (10.77.0.0/24: the client, both boxes'
// eth0, DR real servers) and a back bridge (10.88.0.0/24: both boxes' eth1, NAT real
// servers), each host in its own namespace. Names carry a random tag; cleanup() kills
// the processes this lab started (by PID) and deletes its namespaces, also after a
// failure (tests register it with t.teardown).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { controlRequest } from '../../src/control/server.js';
import { BIN_TRIAD, REPO_ROOT } from '../helpers/paths.js';

export const RS_SERVER = path.join(REPO_ROOT, 'dist', 'test', 'lb', 'rs-server.js');
export const VIP = '10.77.0.100';
/** The NAT real servers' gateway: a VRRP address on the boxes' back side. */
export const GW = '10.88.0.254';

export class FailoverLab {
  readonly tag = randomBytes(2).toString('hex');
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'triad-lbfo-'));
  private namespaces: string[] = [];
  private procs = new Set<ChildProcess>();
  readonly logs = new Map<string, string[]>();

  ns(role: string): string {
    return `fo${this.tag}${role}`;
  }

  ip(...args: string[]): void {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  /** The two bridges. */
  build(): void {
    const br = this.ns('br');
    this.ip('netns', 'add', br);
    this.namespaces.push(br);
    for (const b of ['br0', 'br1']) {
      this.ip('-n', br, 'link', 'add', b, 'type', 'bridge');
      this.ip('-n', br, 'link', 'set', b, 'up');
    }
  }

  /** A namespace for `role` (created on first use). */
  host(role: string): string {
    const n = this.ns(role);
    if (!this.namespaces.includes(n)) {
      this.ip('netns', 'add', n);
      this.namespaces.push(n);
      this.ip('-n', n, 'link', 'set', 'lo', 'up');
    }
    return n;
  }

  /** Plugs `role`'s `dev` into the front (br0) or back (br1) bridge with `cidr`; TSO/GSO off (a wire carries no superpackets). */
  attach(role: string, dev: string, bridge: 'br0' | 'br1', cidr: string): void {
    const n = this.host(role);
    const peer = `${role}${dev.slice(-1)}`;
    this.ip('-n', n, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', peer, 'netns', this.ns('br'));
    this.ip('-n', this.ns('br'), 'link', 'set', peer, 'master', bridge, 'up');
    this.ip('-n', n, 'addr', 'add', cidr, 'dev', dev);
    this.ip('-n', n, 'link', 'set', dev, 'up');
    this.run(role, 'ethtool', '-K', dev, 'tso', 'off', 'gso', 'off');
  }

  spawnIn(role: string, args: string[]): ChildProcess {
    const p = spawn('ip', ['netns', 'exec', this.ns(role), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.procs.add(p);
    p.on('exit', () => this.procs.delete(p));
    const log = this.logs.get(role) ?? [];
    this.logs.set(role, log);
    const keep = (d: Buffer): void => {
      log.push(...d.toString().split('\n').filter(Boolean));
      if (log.length > 4000) log.splice(0, 2000);
    };
    p.stdout?.on('data', keep);
    p.stderr?.on('data', keep);
    p.stdin?.on('error', () => undefined);
    return p;
  }

  startTriad(role: string, conf: string): ChildProcess {
    const d = path.join(this.dir, role);
    mkdirSync(d, { recursive: true });
    const f = path.join(d, 'keepalived.conf');
    writeFileSync(f, conf);
    return this.spawnIn(role, [process.execPath, BIN_TRIAD, 'run', '--conf-dir', d, '--data-dir', d, '--lb-conf', f, '--log-level', 'debug']);
  }

  startRs(role: string, name: string, port: number): ChildProcess {
    return this.spawnIn(role, [process.execPath, RS_SERVER, name, '0.0.0.0', String(port)]);
  }

  /** A DR real server: the VIP on lo, never answered in ARP. */
  drServer(role: string): void {
    this.ip('-n', this.ns(role), 'addr', 'add', `${VIP}/32`, 'dev', 'lo');
    this.run(role, 'sysctl', '-q', '-w', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2');
  }

  /** `ip netns exec` passes signals on: this kills the Triad process inside (by its PID), then waits for `ip`. */
  async kill9(p: ChildProcess): Promise<void> {
    const inner = spawnSync('pgrep', ['-P', String(p.pid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
    for (const pid of inner) process.kill(pid, 'SIGKILL');
    if (p.exitCode !== null || p.signalCode !== null) return;
    const done = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await done;
  }

  async ctl(role: string, service: string, args: string[]): Promise<unknown> {
    try {
      const r = await controlRequest(path.join(this.dir, role, 'control.sock'), service, args);
      return r.status === 200 ? r.body.data : undefined;
    } catch {
      return undefined;
    }
  }

  async vrrpState(role: string): Promise<string | undefined> {
    const d = (await this.ctl(role, 'vrrp', ['show'])) as Array<{ state: string }> | undefined;
    return d?.[0]?.state;
  }

  hasAddress(role: string, dev: string, ip: string): boolean {
    const out = execFileSync('ip', ['-n', this.ns(role), '-4', 'addr', 'show', 'dev', dev], { encoding: 'utf8' });
    return out.includes(`inet ${ip}/`);
  }

  /** Runs a command in a role's namespace; its stdout, or undefined when it fails. */
  run(role: string, ...args: string[]): string | undefined {
    const r = spawnSync('ip', ['netns', 'exec', this.ns(role), ...args], { encoding: 'utf8', timeout: 10000 });
    return r.status === 0 ? r.stdout : undefined;
  }

  async waitFor(what: string, pred: () => Promise<boolean> | boolean, timeoutMs = 20000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (await pred()) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what}\n${this.tails()}`);
  }

  tails(n = 30): string {
    return [...this.logs].map(([r, l]) => `--- ${r}:\n${l.slice(-n).join('\n')}`).join('\n');
  }

  cleanup(): void {
    for (const p of this.procs) {
      const inner = spawnSync('pgrep', ['-P', String(p.pid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
      for (const pid of inner) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      p.kill('SIGKILL');
    }
    for (const n of this.namespaces.reverse()) spawnSync('ip', ['netns', 'del', n]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A long-lived TCP connection (socat) from a namespace; `say` sends a line and returns the reply line. */
export class Held {
  private out = '';
  err = '';
  readonly proc: ChildProcess;
  constructor(lab: FailoverLab, role: string, host: string, port: number) {
    this.proc = lab.spawnIn(role, ['socat', '-', `TCP:${host}:${port}`]);
    this.proc.stdout?.on('data', (d: Buffer) => (this.out += d.toString()));
    this.proc.stderr?.on('data', (d: Buffer) => (this.err += d.toString()));
  }

  async say(line: string, timeoutMs = 3000): Promise<string> {
    const start = this.out.length;
    this.proc.stdin?.write(line + '\n');
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const nl = this.out.indexOf('\n', start);
      if (nl >= 0) return this.out.slice(start, nl);
      if (this.proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no reply to '${line}' on the held connection (socat exit ${this.proc.exitCode}) ${this.err.trim()}`);
  }
}

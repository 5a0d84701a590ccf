// A VRRP test bed: boxes (Triad or Debian's keepalived) and a forger, each in its own
// namespace with eth0 on one bridge (10.77.0.0/24). Names carry a random tag; cleanup()
// kills the processes this lab started (by PID) and deletes its namespaces, also after
// a failure (tests register it with t.teardown).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { controlRequest } from '../../src/control/server.js';
import { BIN_TRIAD, REPO_ROOT } from '../helpers/paths.js';

export const FORGE = path.join(REPO_ROOT, 'dist', 'test', 'vrrp', 'forge.js');
export const VIP = '10.77.0.100';
export const VIP6 = 'fd00:77::100';

export interface InstanceData {
  name: string;
  state: string;
  master: string | null;
  advertisementsSent: number;
  advertisementsReceived: number;
  transitions: number;
  dropped: Record<string, number>;
  history: Array<{ from: string; to: string; why: string }>;
}

export function instanceConf(o: { prio: number; version: 2 | 3; vrid?: number; pass?: string; extra?: string }): string {
  return `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id ${o.vrid ?? 51}
  priority ${o.prio}
  advert_int 1
  version ${o.version}
${o.pass ? `  authentication {\n    auth_type PASS\n    auth_pass ${o.pass}\n  }\n` : ''}${o.extra ?? ''}  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
}

export class VrrpLab {
  readonly tag = randomBytes(2).toString('hex');
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'triad-vrrp-'));
  private namespaces: string[] = [];
  private procs = new Set<ChildProcess>();
  private pidFiles: string[] = [];
  readonly logs = new Map<string, string[]>();
  readonly addr = new Map<string, string>();

  ns(role: string): string {
    return `vr${this.tag}${role}`;
  }

  private ip(...args: string[]): void {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  /** The bridge and one namespace per role, role i at 10.77.0.(i+1). */
  build(roles: string[]): void {
    const br = this.ns('br');
    this.ip('netns', 'add', br);
    this.namespaces.push(br);
    this.ip('-n', br, 'link', 'add', 'br0', 'type', 'bridge');
    this.ip('-n', br, 'link', 'set', 'br0', 'up');
    roles.forEach((role, i) => {
      const n = this.ns(role);
      this.ip('netns', 'add', n);
      this.namespaces.push(n);
      this.ip('-n', n, 'link', 'set', 'lo', 'up');
      this.ip('-n', n, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `p${role}`, 'netns', br);
      this.ip('-n', br, 'link', 'set', `p${role}`, 'master', 'br0', 'up');
      const a = `10.77.0.${i + 1}`;
      this.addr.set(role, a);
      this.ip('-n', n, 'addr', 'add', `${a}/24`, 'dev', 'eth0');
      this.ip('-n', n, 'link', 'set', 'eth0', 'up');
    });
  }

  private roleDir(role: string): string {
    const d = path.join(this.dir, role);
    mkdirSync(d, { recursive: true });
    return d;
  }

  spawnIn(role: string, args: string[]): ChildProcess {
    const p = spawn('ip', ['netns', 'exec', this.ns(role), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.add(p);
    p.on('exit', () => this.procs.delete(p));
    const log = this.logs.get(role) ?? [];
    this.logs.set(role, log);
    const keep = (d: Buffer): void => {
      log.push(...d.toString().split('\n').filter(Boolean));
      if (log.length > 2000) log.splice(0, 1000);
    };
    p.stdout?.on('data', keep);
    p.stderr?.on('data', keep);
    return p;
  }

  /** `files`: more files for the role's conf dir (named.conf, zones), written before it starts. */
  startTriad(role: string, conf: string, files: Record<string, string> = {}, args: string[] = []): ChildProcess {
    const d = this.roleDir(role);
    const f = path.join(d, 'keepalived.conf');
    writeFileSync(f, conf);
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(d, name), text);
    return this.spawnIn(role, [process.execPath, BIN_TRIAD, 'run', '--conf-dir', d, '--data-dir', d, '--lb-conf', f, '--log-level', 'debug', ...args]);
  }

  /** A role's conf dir. */
  confDir(role: string): string {
    return this.roleDir(role);
  }

  /** Debian's keepalived, VRRP only, with its own pid files (it refuses a second instance otherwise). */
  startKeepalived(role: string, conf: string): ChildProcess {
    const d = this.roleDir(role);
    const f = path.join(d, 'keepalived.conf');
    writeFileSync(f, conf);
    const pid = path.join(d, 'keepalived.pid');
    const vpid = path.join(d, 'vrrp.pid');
    this.pidFiles.push(pid, vpid);
    return this.spawnIn(role, ['keepalived', '-n', '-l', '-D', '-P', '-f', f, '-p', pid, '-r', vpid]);
  }

  /** kill -9 of keepalived: its VRRP child first (it keeps advertising without its parent), then the parent. */
  async killKeepalived(role: string, p: ChildProcess, signal: NodeJS.Signals): Promise<void> {
    const vpid = path.join(this.dir, role, 'vrrp.pid');
    const child = existsSync(vpid) ? Number(readFileSync(vpid, 'utf8').trim()) : 0;
    if (signal === 'SIGKILL' && child > 0) {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await this.stop(p, signal);
  }

  async stop(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (p.exitCode !== null || p.signalCode !== null) return;
    const done = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await done;
  }

  /** `ip netns exec` passes the signal on: p.kill(SIGKILL) would kill only `ip`; this kills the Triad process inside. */
  async kill9(p: ChildProcess): Promise<void> {
    const inner = spawnSync('pgrep', ['-P', String(p.pid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
    for (const pid of inner) process.kill(pid, 'SIGKILL');
    await this.stop(p, 'SIGKILL');
  }

  async show(role: string): Promise<InstanceData[] | undefined> {
    try {
      const r = await controlRequest(path.join(this.dir, role, 'control.sock'), 'vrrp', ['show']);
      return r.status === 200 ? (r.body.data as InstanceData[]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Runs a command in a role's namespace; its stdout, or undefined when it fails. */
  run(role: string, ...args: string[]): string | undefined {
    const r = spawnSync('ip', ['netns', 'exec', this.ns(role), ...args], { encoding: 'utf8', timeout: 10000 });
    return r.status === 0 ? r.stdout : undefined;
  }

  hasVip(role: string): boolean {
    const out = execFileSync('ip', ['-n', this.ns(role), '-4', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' });
    return out.includes(`inet ${VIP}/`);
  }

  /** IPv6 on the bridge: role i gets fd00:77::(i+1)/64 (nodad) beside its link-local address. */
  addIPv6(roles: string[]): void {
    roles.forEach((role, i) => this.ip('-n', this.ns(role), 'addr', 'add', `fd00:77::${i + 1}/64`, 'dev', 'eth0', 'nodad'));
  }

  hasVip6(role: string, vip = VIP6): boolean {
    const out = execFileSync('ip', ['-n', this.ns(role), '-6', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' });
    return out.includes(`inet6 ${vip}/`);
  }

  mac(role: string): string {
    return execFileSync('ip', ['netns', 'exec', this.ns(role), 'cat', '/sys/class/net/eth0/address'], { encoding: 'utf8' }).trim();
  }

  /** The client's neighbour cache entry's MAC for an address (`ip -6 neigh`), or undefined. */
  neighMac(role: string, ip: string): string | undefined {
    const out = execFileSync('ip', ['-n', this.ns(role), '-6', 'neigh', 'show', ip, 'dev', 'eth0'], { encoding: 'utf8' });
    return /lladdr ([0-9a-f:]{17})/.exec(out)?.[1];
  }

  forge(role: string, kind: string, dst = '224.0.0.18'): void {
    execFileSync('ip', ['netns', 'exec', this.ns(role), process.execPath, FORGE, kind, this.addr.get(role) ?? '', dst], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  async waitFor(what: string, pred: () => Promise<boolean> | boolean, timeoutMs = 20000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (await pred()) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    const tails = [...this.logs].map(([r, l]) => `--- ${r}:\n${l.slice(-25).join('\n')}`).join('\n');
    throw new Error(`timed out waiting for ${what}\n${tails}`);
  }

  async state(role: string): Promise<string | undefined> {
    return (await this.show(role))?.[0]?.state;
  }

  cleanup(): void {
    for (const f of this.pidFiles) {
      try {
        const pid = Number(readFileSync(f, 'utf8').trim());
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch {
        // not running
      }
    }
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

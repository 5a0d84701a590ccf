// A throwaway DHCP lab in network namespaces: a server namespace with a bridge, client
// namespaces attached to it by veth pairs, optionally a relay namespace with its own
// client link. Everything is named with a random tag and removed by cleanup().
// Traffic stays inside these namespaces.

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { BIN_TRIAD } from '../helpers/paths.js';

const exec = promisify(execFile);

export async function sh(cmd: string, timeoutMs = 30_000): Promise<{ stdout: string; stderr: string }> {
  return exec('bash', ['-c', cmd], { timeout: timeoutMs, maxBuffer: 16 << 20 });
}

export async function which(tool: string): Promise<boolean> {
  try {
    await sh(`command -v ${tool}`);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * What every DHCP namespace test needs: its tools (each missing one is a failure
 * naming it), python3-scapy when asked, and root. Returns false when the test
 * cannot go on; it never skips.
 */
export async function labPrerequisites(t: Test, tools: readonly string[], opts: { scapy?: boolean } = {}): Promise<boolean> {
  for (const tool of tools) if (!(await which(tool))) t.fail(`${tool} is not installed (test/install-deps.sh installs it)`);
  if (opts.scapy) {
    try {
      await sh(`/usr/bin/python3 -c 'import scapy.all'`);
    } catch {
      t.fail('python3-scapy is not installed (test/install-deps.sh)');
      return false;
    }
  }
  if (process.getuid?.() !== 0) {
    t.fail('namespace tests need root');
    return false;
  }
  return true;
}

export class NetnsLab {
  readonly tag = Math.random().toString(36).slice(2, 7);
  readonly dir = mkdtempSync(path.join(os.tmpdir(), `triad-dhcp-${this.tag}-`));
  readonly namespaces: string[] = [];
  readonly procs: ChildProcess[] = [];
  /** The output of the Triad started by startTriad, to know when a link it waits for is served. */
  private serverOutput?: () => string;
  readonly serverNs: string;
  private vethCount = 0;

  constructor(readonly prefix = 'td') {
    this.serverNs = this.name('srv');
  }

  name(what: string): string {
    return `${this.prefix}${this.tag}${what}`;
  }

  async addNs(ns: string): Promise<void> {
    await sh(`ip netns add ${ns} && ip -n ${ns} link set lo up`);
    this.namespaces.push(ns);
  }

  /** Server namespace with bridge br0 holding `addr` (e.g. 192.168.117.1/24). */
  async setupServer(addr: string): Promise<void> {
    await this.addNs(this.serverNs);
    const ns = this.serverNs;
    await sh(`ip -n ${ns} link add br0 type bridge && ip -n ${ns} link set br0 up && ip -n ${ns} addr add ${addr} dev br0`);
  }

  /** A client namespace whose eth0 is on the server's bridge; `mac` sets its hardware address. */
  async addClient(what: string, mac?: string): Promise<string> {
    const ns = this.name(what);
    await this.addNs(ns);
    const peer = `vb${this.vethCount++}`;
    await sh(
      `ip link add ${this.name('v')}${this.vethCount} type veth peer name ${peer} netns ${this.serverNs} && ` +
        `ip link set ${this.name('v')}${this.vethCount} netns ${ns} && ` +
        `ip -n ${ns} link set ${this.name('v')}${this.vethCount} name eth0 && ` +
        (mac ? `ip -n ${ns} link set eth0 address ${mac} && ` : '') +
        `ip -n ${ns} link set eth0 up && ip -n ${this.serverNs} link set ${peer} master br0 && ip -n ${this.serverNs} link set ${peer} up`,
    );
    await this.linkServed('br0');
    return ns;
  }

  /**
   * Adding a port to a bridge takes its carrier away for about a second (the port learns
   * before it forwards), and Triad waits for carrier before it serves a link again. A
   * client must not ask before then: wait until the bridge has carrier, Triad has read
   * that (it reads netlink every 100 ms) and no wait is pending.
   */
  async linkServed(iface: string, ms = 10_000): Promise<void> {
    const out = this.serverOutput;
    if (!out) return;
    const ready = async (): Promise<boolean> => {
      const carrier = await sh(`ip netns exec ${this.serverNs} cat /sys/class/net/${iface}/carrier`).then((r) => r.stdout.trim() === '1', () => false);
      const text = out();
      const w = text.lastIndexOf(`waiting for interface ${iface}:`);
      return carrier && (w < 0 || text.lastIndexOf(`interface ${iface} is ready now`) > w);
    };
    const until = Date.now() + ms;
    for (;;) {
      if (await ready()) {
        await sleep(300);
        if (await ready()) return;
      }
      if (Date.now() > until) throw new Error(`Triad does not serve ${iface} yet:\n${out()}`);
      await sleep(100);
    }
  }

  /** A veth pair between two namespaces with addresses (either may be ''). */
  async link(nsA: string, ifA: string, addrA: string, nsB: string, ifB: string, addrB: string): Promise<void> {
    const tmpA = this.name('a') + this.vethCount++;
    const tmpB = this.name('b') + this.vethCount++;
    await sh(
      `ip link add ${tmpA} type veth peer name ${tmpB} && ip link set ${tmpA} netns ${nsA} && ip link set ${tmpB} netns ${nsB} && ` +
        `ip -n ${nsA} link set ${tmpA} name ${ifA} && ip -n ${nsB} link set ${tmpB} name ${ifB} && ` +
        `ip -n ${nsA} link set ${ifA} up && ip -n ${nsB} link set ${ifB} up` +
        (addrA ? ` && ip -n ${nsA} addr add ${addrA} dev ${ifA}` : '') +
        (addrB ? ` && ip -n ${nsB} addr add ${addrB} dev ${ifB}` : ''),
    );
  }

  file(name: string, text?: string): string {
    const p = path.join(this.dir, name);
    if (text !== undefined) writeFileSync(p, text);
    return p;
  }

  /** Starts `triad run` in the server namespace; resolves when DHCP is serving. */
  async startTriad(conf: string, leases: string, interfaces: string, extra: string[] = []): Promise<ChildProcess & { output: () => string }> {
    const empty = path.join(this.dir, 'confdir');
    await sh(`mkdir -p ${empty}`);
    const child = spawn('ip', ['netns', 'exec', this.serverNs, process.execPath, BIN_TRIAD, 'run', '--conf-dir', empty, '--data-dir', this.dir, '--dhcpd-conf', conf, '--leases', leases, '--interfaces', interfaces, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }) as ChildProcess & { output: () => string };
    this.procs.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.output = () => out;
    this.serverOutput = child.output;
    const deadline = Date.now() + 20_000;
    // Quiet runs (--log-level warn) print nothing when ready: the lease file appears just before the sockets open.
    const quiet = extra.includes('--log-level');
    while (quiet ? !existsSync(leases) : !out.includes('dhcp serving')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`triad did not start:\n${out}`);
      await sleep(100);
    }
    if (quiet) await sleep(1000);
    return child;
  }

  /** Runs a long-lived process inside a namespace, tracked for cleanup. */
  spawnIn(ns: string, cmd: string, args: string[]): ChildProcess & { output: () => string } {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & { output: () => string };
    this.procs.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.output = () => out;
    return child;
  }

  /** A udhcpc script that records every event and configures the address. */
  udhcpcScript(): string {
    const p = path.join(this.dir, 'udhcpc.sh');
    if (!existsSync(p)) {
      writeFileSync(
        p,
        `#!/bin/sh
out="$UDHCPC_OUT"
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    echo "$1 ip=$ip router=$router dns=$dns domain=$domain serverid=$serverid siaddr=$siaddr boot_file=$boot_file lease=$lease" >> "$out" ;;
  deconfig) ip addr flush dev "$interface"; echo "deconfig" >> "$out" ;;
  *) echo "$1" >> "$out" ;;
esac
exit 0
`,
        { mode: 0o755 },
      );
    }
    return p;
  }

  /** A dhclient script (dhclient clears the environment) that records each event into `out`. */
  dhclientScript(out: string): string {
    const p = `${out}.sh`;
    if (!existsSync(p)) {
      writeFileSync(
        p,
        `#!/bin/sh
case "$reason" in
  BOUND|RENEW|REBIND|REBOOT)
    ip addr flush dev "$interface"
    ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface"
    echo "$reason ip=$new_ip_address mask=$new_subnet_mask routers=$new_routers dns=$new_domain_name_servers domain=$new_domain_name next=$new_next_server file=$new_filename" >> "${out}" ;;
  RELEASE|EXPIRE|FAIL|STOP) ip addr flush dev "$interface"; echo "$reason" >> "${out}" ;;
  *) echo "$reason" >> "${out}" ;;
esac
exit 0
`,
        { mode: 0o755 },
      );
    }
    return p;
  }

  /** tcpdump -vvv of DHCP traffic on `dev` in `ns` while `fn` runs; returns what it printed. */
  async capture(ns: string, dev: string, fn: () => Promise<void>): Promise<string> {
    const td = this.spawnIn(ns, 'tcpdump', ['-l', '-n', '-vvv', '-i', dev, 'udp port 67 or udp port 68']);
    const end = Date.now() + 10_000;
    while (!/listening on/.test(td.output())) {
      if (td.exitCode !== null || Date.now() > end) throw new Error(`tcpdump did not start: ${td.output()}`);
      await sleep(50);
    }
    try {
      await fn();
      await sleep(500);
    } finally {
      td.kill('SIGINT');
      await new Promise((r) => (td.exitCode !== null ? r(undefined) : td.once('exit', r)));
    }
    return td.output();
  }

  read(name: string): string {
    const p = path.join(this.dir, name);
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  }

  async cleanup(): Promise<void> {
    for (const p of this.procs) {
      if (p.exitCode === null && p.signalCode === null) {
        try {
          p.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    // Processes started inside the namespaces by tools (dhclient daemons) die with a kill by netns pid list.
    for (const ns of this.namespaces) {
      await sh(`ip netns pids ${ns} | xargs -r kill -9`).catch(() => undefined);
    }
    await sleep(200);
    for (const ns of this.namespaces.reverse()) await sh(`ip netns del ${ns}`).catch(() => undefined);
    await sh(`rm -rf ${this.dir}`).catch(() => undefined);
  }
}

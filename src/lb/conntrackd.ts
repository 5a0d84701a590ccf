// Conntrack replication for the nftables engine's NAT virtual servers, the way Linux
// pairs already do it: Debian's conntrackd (FT-FW mode) runs beside Triad with a
// configuration written from keepalived.conf's `lvs_sync_daemon INTERFACE
// VRRP_INSTANCE`. While this box holds the instance's addresses it is the primary; on
// taking them over it commits the flows learnt from the peer into the kernel's
// conntrack table (conntrackd -c, then -f, -R, -B as in conntrackd's
// primary-backup.sh), so NAT mappings of established connections survive a failover.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SyncDaemonConfig } from '../config/keepalived-sync.js';
import type { Logger } from '../log.js';
import { linkWatcher, type LinkTable } from '../net/link-watch.js';
import { formatIPv4, ipNumber } from '../wire/ipv4.js';

const run = promisify(execFile);

/** conntrackd's own multicast group and port (its example configuration's). */
export const CONNTRACKD_GROUP = '225.0.0.50';
export const CONNTRACKD_PORT = 3780;

export interface ConntrackdConfInput {
  dir: string;
  iface: string;
  /** This box's address on iface. */
  src: string;
  /** Addresses whose own connections are not replicated (the box's addresses, loopback). */
  ignore: string[];
}

/** conntrackd.conf (FT-FW over multicast on the sync interface; TCP and UDP flows). */
export function renderConntrackdConf(c: ConntrackdConfInput): string {
  return `# Written by Triad from keepalived.conf's lvs_sync_daemon; rewritten at every start.
Sync {
  Mode FTFW {
    DisableExternalCache off
  }
  Multicast {
    IPv4_address ${CONNTRACKD_GROUP}
    Group ${CONNTRACKD_PORT}
    IPv4_interface ${c.src}
    Interface ${c.iface}
    Checksum on
  }
}
General {
  HashSize 32768
  HashLimit 131072
  LogFile ${path.join(c.dir, 'conntrackd.log')}
  Syslog off
  LockFile ${path.join(c.dir, 'conntrackd.lock')}
  UNIX {
    Path ${path.join(c.dir, 'conntrackd.ctl')}
  }
  NetlinkBufferSize 2097152
  NetlinkBufferSizeMaxGrowth 8388608
  Filter From Userspace {
    Protocol Accept {
      TCP
      UDP
    }
    Address Ignore {
${[...new Set(['127.0.0.1', ...c.ignore])].map((a) => `      IPv4_address ${a}`).join('\n')}
    }
  }
}
`;
}

export class ConntrackdRunner {
  private proc?: ChildProcess;
  private unwatch?: () => Promise<void>;
  private master?: boolean;
  private readonly vips: number[];
  private readonly floating: Set<number>;
  private readonly file: string;
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly log: Logger,
    readonly cfg: SyncDaemonConfig,
    vips: string[],
    private readonly dir: string,
    /** Every VRRP address of the configuration: flows to them are replicated, whoever holds them now. */
    vrrpAddresses: string[] = vips,
  ) {
    this.vips = vips.map(ipNumber);
    this.floating = new Set(vrrpAddresses.map(ipNumber));
    this.file = path.join(dir, 'conntrackd.conf');
  }

  async start(): Promise<void> {
    const w = linkWatcher();
    this.unwatch = await w.subscribe((t) => this.onLinks(t), this.log);
    const link = w.table.byName(this.cfg.iface);
    const src = link?.addresses.find((a) => !this.floating.has(a.ip))?.ip;
    if (src === undefined) throw new Error(`lvs_sync_daemon: interface ${this.cfg.iface} has no IPv4 address for conntrackd`);
    const own = [...w.table.allAddresses()].filter((a) => !this.floating.has(a)).map(formatIPv4);
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.file, renderConntrackdConf({ dir: this.dir, iface: this.cfg.iface, src: formatIPv4(src), ignore: own }));
    // One left running by a Triad that was killed is asked to exit (through its control
    // socket); the lock file a killed conntrackd leaves would stop the new one.
    await run('conntrackd', ['-C', this.file, '-k']).catch(() => undefined);
    await rm(path.join(this.dir, 'conntrackd.lock'), { force: true });
    const p = spawn('conntrackd', ['-C', this.file], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = p;
    p.on('error', (e) => this.log.error({ err: e.message }, 'cannot run conntrackd (Debian package conntrackd): NAT connections will not survive a failover'));
    p.on('exit', (code, sig) => {
      if (!this.stopped) this.log.error({ code, signal: sig }, 'conntrackd exited');
    });
    p.stderr?.on('data', (d: Buffer) => this.log.warn({ conntrackd: d.toString().trim() }, 'conntrackd'));
    this.log.info({ conf: this.file, iface: this.cfg.iface, group: CONNTRACKD_GROUP, port: CONNTRACKD_PORT }, 'conntrackd started for conntrack replication');
    this.onLinks(w.table);
  }

  private ctl(...args: string[]): Promise<void> {
    return run('conntrackd', ['-C', this.file, ...args]).then(
      () => undefined,
      (e: { stderr?: string; message: string }) => this.log.warn({ args: args.join(' '), err: (e.stderr ?? e.message).trim() }, 'conntrackd command failed'),
    );
  }

  private onLinks(t: LinkTable): void {
    const own = t.allAddresses();
    const m = this.vips.length > 0 && this.vips.every((v) => own.has(v));
    if (m === this.master) return;
    const first = this.master === undefined;
    this.master = m;
    this.queue = this.queue.then(async () => {
      // The daemon needs a moment to open its control socket after a start.
      if (first) await new Promise((r) => setTimeout(r, 300));
      if (m) {
        await this.ctl('-c'); // the peer's flows into the kernel
        await this.ctl('-f');
        await this.ctl('-R');
        await this.ctl('-B');
        this.log.info({ instance: this.cfg.instance }, 'conntrackd: primary; replicated connections committed to the kernel');
      } else {
        await this.ctl('-n'); // ask the primary for its table
        this.log.info({ instance: this.cfg.instance }, 'conntrackd: backup; receiving the primary\'s connections');
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.unwatch?.();
    await this.queue;
    const p = this.proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      const done = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await done;
    }
    this.proc = undefined;
  }
}

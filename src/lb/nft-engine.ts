// The kernel engine: applies rendered state with the `nft` binary, always as one
// transaction, checked first (`nft -c -f -`, then `nft -f -`; knftables does the
// same). It owns `table ip triad` and `table netdev triad` and nothing else.

import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Logger } from '../log.js';
import type { Datapath, DesiredState, ServerCounters } from './datapath.js';
import { counterKey } from './datapath.js';
import { renderCleanup, renderState, TABLE, type RenderMemo } from './nft-render.js';

export class NftError extends Error {}

function runNft(args: string[], input?: string, nft = 'nft'): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(nft, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(new NftError(`cannot run ${nft}: ${e.message} (install nftables)`)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new NftError(`nft ${args.join(' ')} failed: ${err.trim()}`))));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

interface NftJsonCounter {
  counter?: { family: string; table: string; name: string; packets: number; bytes: number };
  map?: { name: string; elem?: unknown[] };
}

/** Counts conntrack entries per (original dst, reply src) from /proc/net/nf_conntrack text. */
export function conntrackCounts(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const proto = / (tcp|udp) /.exec(line)?.[1];
    if (!proto) continue;
    if (proto === 'tcp' && !/ ESTABLISHED /.test(line)) continue;
    const src = [...line.matchAll(/src=(\S+)/g)].map((m) => m[1]);
    const dst = [...line.matchAll(/dst=(\S+)/g)].map((m) => m[1]);
    const sport = [...line.matchAll(/sport=(\d+)/g)].map((m) => m[1]);
    const dport = [...line.matchAll(/dport=(\d+)/g)].map((m) => m[1]);
    if (src.length < 2 || dport.length < 2) continue;
    const k = `${proto} ${dst[0]}:${dport[0]} ${src[1]}:${sport[1]}`;
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

export class NftEngine implements Datapath {
  readonly name = 'nftables';
  /** What the kernel holds, from the last successful transaction. */
  private memo?: RenderMemo;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly log: Logger,
    private readonly nft = 'nft',
  ) {}

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const p = this.queue.then(f, f);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Crash recovery: a table left by a killed instance is replaced, never merged. */
  reset(): Promise<void> {
    return this.serial(async () => {
      const tables = await runNft(['list', 'tables'], undefined, this.nft);
      const stale = tables.split('\n').filter((l) => new RegExp(`^table (ip|netdev) ${TABLE}$`).test(l.trim()));
      if (stale.length) this.log.warn({ tables: stale }, 'removing tables a previous Triad left behind');
      await runNft(['-f', '-'], renderCleanup(), this.nft);
      this.memo = undefined;
    });
  }

  apply(state: DesiredState): Promise<void> {
    return this.serial(async () => {
      const t0 = Date.now();
      const r = renderState(state, this.memo);
      const t1 = Date.now();
      await runNft(['-c', '-f', '-'], r.text, this.nft);
      await runNft(['-f', '-'], r.text, this.nft);
      this.memo = { objects: r.objects, slots: r.slots };
      this.log.debug({ bytes: r.text.length, renderMs: t1 - t0, nftMs: Date.now() - t1 }, 'nft transaction applied');
    });
  }

  remove(): Promise<void> {
    return this.serial(async () => {
      await runNft(['-f', '-'], renderCleanup(), this.nft);
      this.memo = undefined;
    });
  }

  async counters(state: DesiredState): Promise<Map<string, ServerCounters>> {
    const named = new Map<string, { packets: number; bytes: number }>();
    const flowsByMac = new Map<string, Map<string, number>>();
    for (const family of ['ip', 'netdev'] as const) {
      const vss = state.vss.filter((v) => (family === 'ip' ? v.kind === 'NAT' : v.kind === 'DR'));
      if (!vss.length) continue;
      try {
        const j = JSON.parse(await runNft(['-j', 'list', 'counters', 'table', family, TABLE], undefined, this.nft)) as { nftables: NftJsonCounter[] };
        for (const o of j.nftables) if (o.counter) named.set(`${family} ${o.counter.name}`, o.counter);
      } catch (e) {
        this.log.debug({ err: (e as Error).message }, 'reading counters failed');
      }
      if (family === 'netdev') {
        for (const vs of vss) {
          const m = new Map<string, number>();
          try {
            const j = JSON.parse(await runNft(['-j', 'list', 'map', 'netdev', TABLE, `f_${vs.id}`], undefined, this.nft)) as { nftables: NftJsonCounter[] };
            for (const o of j.nftables) {
              for (const e of o.map?.elem ?? []) {
                const mac = Array.isArray(e) ? e[1] : undefined;
                if (typeof mac === 'string') m.set(mac, (m.get(mac) ?? 0) + 1);
              }
            }
          } catch {
            // No flows yet.
          }
          flowsByMac.set(vs.id, m);
        }
      }
    }
    let ct = new Map<string, number>();
    if (state.vss.some((v) => v.kind === 'NAT')) ct = conntrackCounts(await readFile('/proc/net/nf_conntrack', 'utf8').catch(() => ''));
    const out = new Map<string, ServerCounters>();
    for (const vs of state.vss) {
      const fam = vs.kind === 'NAT' ? 'ip' : 'netdev';
      for (const rs of [...vs.servers, ...(vs.sorry ? [vs.sorry] : [])]) {
        const g = (p: string) => named.get(`${fam} ${p}_${vs.id}_${rs.id}`) ?? { packets: 0, bytes: 0 };
        const active = vs.kind === 'NAT' ? (ct.get(`${vs.proto} ${vs.vip}:${vs.port} ${rs.ip}:${rs.port}`) ?? 0) : rs.mac ? (flowsByMac.get(vs.id)?.get(rs.mac) ?? 0) : 0;
        out.set(counterKey(vs, rs), { conns: g('c').packets, inPkts: g('i').packets, inBytes: g('i').bytes, outPkts: g('o').packets, outBytes: g('o').bytes, active });
      }
    }
    return out;
  }
}

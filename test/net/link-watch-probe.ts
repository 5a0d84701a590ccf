// Run inside a throwaway network namespace by link-watch.netns.test.ts: follows links with
// a LinkWatcher while it changes them with `ip`, and prints one JSON line per step.

import { execFileSync } from 'node:child_process';
import { LinkWatcher, readiness } from '../../src/net/link-watch.js';

const out = (o: unknown): void => void process.stdout.write(JSON.stringify(o) + '\n');
const ip = (...args: string[]): void => void execFileSync('ip', args);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const warnings: string[] = [];
const log = { warn: (m: unknown, s?: string) => warnings.push(String(s ?? m)), error: (m: unknown, s?: string) => warnings.push(String(s ?? m)), info: () => undefined, debug: () => undefined } as never;

const w = new LinkWatcher({ rcvbuf: 4096 });
let notices = 0;
const unsubscribe = await w.subscribe(() => notices++, log);

async function until(what: string, cond: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) {
      out({ step: what, timeout: true });
      return;
    }
    await sleep(20);
  }
}
const why = (): string => {
  const r = readiness(w.table, 'pa0', { address: true });
  return r.ok ? 'ok' : r.reason;
};

out({ step: 'start', reason: why() });
ip('link', 'add', 'pa0', 'type', 'veth', 'peer', 'name', 'pb0');
await until('created', () => why() !== 'no such interface');
out({ step: 'created', reason: why() });
ip('link', 'set', 'pa0', 'up');
await until('up', () => why() !== 'administratively down');
out({ step: 'up', reason: why() });
ip('link', 'set', 'pb0', 'up');
await until('peer up', () => why() !== 'no carrier');
out({ step: 'peer up', reason: why() });
ip('addr', 'add', '10.9.0.1/24', 'dev', 'pa0');
await until('address', () => why() === 'ok');
out({ step: 'address', reason: why(), addresses: w.table.byName('pa0')?.addresses });
const index = w.table.byName('pa0')?.index;
ip('link', 'del', 'pa0');
await until('deleted', () => why() === 'no such interface');
out({ step: 'deleted', reason: why(), warnings: [...warnings] });
ip('link', 'add', 'pa0', 'type', 'veth', 'peer', 'name', 'pb0');
await until('re-created', () => w.table.byName('pa0') !== undefined);
out({ step: 're-created', newIndex: w.table.byName('pa0')?.index !== index });

// Lost notices: 150 veth pairs made while the event loop is blocked overflow a 4 KiB buffer;
// the watcher must notice (ENOBUFS) and read everything again.
const batch = Array.from({ length: 150 }, (_, i) => `link add q${i} type veth peer name r${i}`).join('\n') + '\n';
const lost = warnings.filter((m) => /ENOBUFS/.test(m)).length;
execFileSync('ip', ['-batch', '-'], { input: batch });
const before = notices;
await until('resync', () => w.table.links.size >= 1 + 2 + 300);
out({ step: 'overflow', links: w.table.links.size, resynced: warnings.filter((m) => /ENOBUFS/.test(m)).length > lost, notified: notices > before });
await unsubscribe();
out({ step: 'end' });

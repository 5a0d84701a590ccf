// A headless Chromium (Debian's) driven over the DevTools protocol on its pipe
// (--remote-debugging-pipe: JSON messages separated by NUL bytes, sent on fd 3,
// answers on fd 4), so tests need no browser package from npm. Enough for the
// dashboard test: open a page, evaluate script in it, click, take screenshots.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = '/usr/bin/chromium';

export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (Debian's chromium package; test/install-deps.sh installs it)`;
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

export class Browser {
  private readonly proc: ChildProcess;
  private readonly profile = mkdtempSync(path.join(os.tmpdir(), 'triad-chromium-'));
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private session = '';
  private buf = '';
  private stderr = '';

  /** `prefix` runs it elsewhere, e.g. ['ip', 'netns', 'exec', NS]. */
  constructor(prefix: string[] = []) {
    const args = ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage', '--remote-debugging-pipe', `--user-data-dir=${this.profile}`, '--window-size=1200,900', 'about:blank'];
    const [cmd, ...rest] = [...prefix, CHROMIUM, ...args];
    this.proc = spawn(cmd, rest, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    (this.proc.stdio[4] as Readable).on('data', (d: Buffer) => this.receive(d.toString('utf8')));
    this.proc.on('exit', () => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited: ${this.stderr}`));
      this.pending.clear();
    });
  }

  private receive(text: string): void {
    this.buf += text;
    let i: number;
    while ((i = this.buf.indexOf('\0')) >= 0) {
      const msg = JSON.parse(this.buf.slice(0, i)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
      this.buf = this.buf.slice(i + 1);
      const p = msg.id !== undefined ? this.pending.get(msg.id) : undefined;
      if (!p || msg.id === undefined) continue;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error.message));
      else p.resolve(msg.result ?? {});
    }
  }

  send(method: string, params: Record<string, unknown> = {}, session = this.session): Promise<Record<string, unknown>> {
    const id = ++this.seq;
    const msg = JSON.stringify({ id, method, params, ...(session ? { sessionId: session } : {}) });
    return new Promise((resolve, reject) => {
      // A call the page never answers (a navigation in between) fails rather than hangs.
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer from chromium`));
      }, 10_000);
      const done = <T>(f: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        f(v);
      };
      this.pending.set(id, { resolve: done(resolve), reject: done(reject) });
      (this.proc.stdio[3] as Writable).write(msg + '\0');
    });
  }

  /** Attaches to the first page. */
  async open(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const { targetInfos } = (await this.send('Target.getTargets', {}, '')) as { targetInfos: { targetId: string; type: string }[] };
      const page = targetInfos.find((x) => x.type === 'page');
      if (page) {
        const r = (await this.send('Target.attachToTarget', { targetId: page.targetId, flatten: true }, '')) as { sessionId: string };
        this.session = r.sessionId;
        await this.send('Page.enable');
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`chromium opened no page: ${this.stderr}`);
  }

  async goto(url: string): Promise<void> {
    await this.send('Page.navigate', { url });
  }

  /** Evaluates an expression in the page (awaiting a promise) and returns its value. */
  async eval<T>(expression: string): Promise<T> {
    const r = (await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true })) as { result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } } };
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** Waits until the expression is truthy in the page; its value. */
  async waitFor<T>(what: string, expression: string, ms = 15_000): Promise<T> {
    const until = Date.now() + ms;
    let last: unknown;
    for (;;) {
      try {
        last = await this.eval<T>(expression);
        if (last) return last as T;
      } catch (e) {
        last = e;
      }
      if (Date.now() > until) throw new Error(`waiting for ${what}: last ${String(last)}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  async screenshot(): Promise<Buffer> {
    const r = (await this.send('Page.captureScreenshot', { format: 'png' })) as { data: string };
    return Buffer.from(r.data, 'base64');
  }

  async close(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const done = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      await Promise.race([done, new Promise((r) => setTimeout(r, 3000))]);
      if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    }
    rmSync(this.profile, { recursive: true, force: true });
  }
}

// Reading the statistics channel in tests: HTTP GETs, and sums of Prometheus samples.
import { spawn } from 'node:child_process';

export async function get(url: string): Promise<{ status: number; body: string; type: string }> {
  const r = await fetch(url);
  return { status: r.status, body: await r.text(), type: r.headers.get('content-type') ?? '' };
}

/** The sum of every sample of `name` whose labels include `match` (text exposition format). */
export function sumOf(text: string, name: string, match: Record<string, string> = {}): number {
  let n = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = m[3] ?? '';
    if (Object.entries(match).every(([k, v]) => labels.includes(`${k}="${v}"`))) n += Number(m[4]);
  }
  return n;
}

/** `promtool check metrics` on a scrape: its exit status and what it printed. */
export function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code, output: out }));
    p.stdin.end(text);
  });
}

// Debian's prometheus-bind-exporter pointed at Triad's statistics channel exports the
// same series as against a BIND with the same configuration, side by side: the same
// queries go to both, and the exporters' metric names and label sets are compared, and
// the values of the query counters.
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dig, startTriad, waitFor } from '../helpers/triad-run.js';
import { freePort, pollFor, requireTools } from '../helpers/tools.js';
import { startRefNamed } from '../helpers/bind-ref.js';
import { get } from './scrape.js';

const ZONE = `$TTL 300
@ IN SOA ns1 host 2024070101 3600 600 86400 300
@ IN NS ns1
ns1 IN A 192.0.2.53
www IN A 192.0.2.80
`;

function conf(dir: string, port: number, stats: number, bind: boolean): string {
  return `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
${bind ? '  dnssec-validation no;\n  session-keyfile none;\n' : ''}};
${bind ? 'controls { };\n' : ''}statistics-channels { inet 127.0.0.1 port ${stats} allow { 127.0.0.1; }; };
zone "example.test" { type primary; file "example.test.zone"; };
`;
}

/** Series (name and labels, no value) and the values by series of one exporter scrape. */
function series(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('bind_')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

function exporter(t: Test, statsPort: number, pidFile: string, listen: number): ChildProcess {
  const p = spawn('prometheus-bind-exporter', [`--bind.stats-url=http://127.0.0.1:${statsPort}/`, `--bind.pid-file=${pidFile}`, '--bind.stats-groups=server,view,tasks',
    `--web.listen-address=127.0.0.1:${listen}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  });
  return p;
}

t.test('bind_exporter sees the same series in Triad as in BIND', { timeout: 90_000 }, async (t) => {
  if (!requireTools(t, ['named', 'dig', 'prometheus-bind-exporter'])) return;
  const root = mkdtempSync(path.join(os.tmpdir(), 'triad-bindexp-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const bindDir = path.join(root, 'bind');
  const triadDir = path.join(root, 'triad');
  for (const d of [bindDir, triadDir]) {
    mkdirSync(d);
    writeFileSync(path.join(d, 'example.test.zone'), ZONE);
  }
  const [bindPort, bindStats, triadPort, triadStats, expBind, expTriad] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  writeFileSync(path.join(bindDir, 'named.conf'), conf(bindDir, bindPort, bindStats, true));
  writeFileSync(path.join(triadDir, 'named.conf'), conf(triadDir, triadPort, triadStats, false));
  const named = await startRefNamed(t, path.join(bindDir, 'named.conf'));
  if (!t.ok(named.running, 'the reference named runs')) return t.comment(named.log());
  const triad = startTriad(['--conf-dir', triadDir, '--data-dir', path.join(triadDir, 'data'), '--dns-workers', '2']);
  t.teardown(() => triad.stop());
  if (!t.ok(await waitFor(() => /dns serving/.test(triad.output()) && /statistics channel listening/.test(triad.output()), 20_000), 'Triad runs')) return t.comment(triad.output());

  // The same questions to both.
  for (const port of [bindPort, triadPort]) {
    for (let i = 0; i < 3; i++) dig('127.0.0.1', port, ['www.example.test', 'A']);
    dig('127.0.0.1', port, ['nx.example.test', 'AAAA', '+tcp']);
    dig('127.0.0.1', port, ['example.test', 'SOA']);
    dig('127.0.0.1', port, ['elsewhere.test', 'A']);
    dig('127.0.0.1', port, ['example.test', 'MX', '+norec']);
  }

  exporter(t, bindStats, path.join(bindDir, 'named.pid'), expBind);
  exporter(t, triadStats, path.join(triadDir, 'named.pid'), expTriad);
  const scrape = (port: number): Promise<Map<string, number>> =>
    pollFor(`bind_exporter on ${port}`, async () => {
      const s = series((await get(`http://127.0.0.1:${port}/metrics`)).body);
      return s.get('bind_up') === 1 ? s : undefined;
    }, 20_000);
  const b = await scrape(expBind);
  const tr = await scrape(expTriad);
  t.ok(b.size > 50, `the exporter exports ${b.size} series for BIND`);
  const missing = [...b.keys()].filter((k) => !tr.has(k));
  const extra = [...tr.keys()].filter((k) => !b.has(k));
  t.same(missing, [], 'every series it exports for BIND it exports for Triad');
  t.same(extra, [], 'and no other');
  // The query counters agree too (BIND and Triad saw the same questions).
  const counted = [...b.keys()].filter((k) => /^bind_(incoming_queries_total|incoming_requests_total|response_rcodes_total|responses_total|zone_serial)\b/.test(k));
  t.ok(counted.length > 20, `${counted.length} query counters compared`);
  t.same(Object.fromEntries(counted.map((k) => [k, tr.get(k)])), Object.fromEntries(counted.map((k) => [k, b.get(k)])), 'with the same values');
  t.equal(tr.get('bind_zone_serial{view="_default",zone_name="example.test"}'), 2024070101, 'the zone serial as bind_zone_serial');
});

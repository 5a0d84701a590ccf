// Response-rate limiting side by side: a real BIND (`named`) and Triad (`bin/triad
// run`, two DNS workers) with the same `rate-limit`, flooded with identical queries
// from one loopback client address. Both must cap the answers alike (a few, not
// the flood), slip alike (TC=1 answers in the same proportion), keep answering a
// client in another prefix, log the start of the burst in the same words, and with
// `log-only yes` answer everything while logging what they would have limited.
// Counts are compared within a tolerance, never timings.
import t from 'tap';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTriad, waitFor, dig } from '../helpers/triad-run.js';
import { freePort, requireTools } from '../helpers/tools.js';
import { startRefNamed } from '../helpers/bind-ref.js';

const HOST = '127.0.0.1';
const FLOOD = 100;
const RATE = 5;

const ZONE = `$TTL 300
@ IN SOA ns.example.com. h.example.com. 1 3600 600 86400 300
@ IN NS ns.example.com.
ns IN A 127.0.0.1
www IN A 192.0.2.1
sub IN NS ns.sub.example.com.
ns.sub IN A 192.0.2.9
`;

/** One view per behaviour, chosen by the client's /24: log-only, slip 0, and the rest with slip 2. */
function namedConf(dir: string, port: number, bind: boolean): string {
  const zone = 'zone "example.com" { type primary; file "example.com.zone"; };';
  return `options {
  directory "${dir}";
  ${bind ? 'pid-file none; session-keyfile none; dnssec-validation no;' : ''}
  listen-on port ${port} { ${HOST}; };
  listen-on-v6 { none; };
  recursion no;
};
${bind ? 'controls { };' : ''}
view "logonly" { match-clients { 127.0.40.0/24; }; rate-limit { responses-per-second ${RATE}; window 5; log-only yes; }; ${zone} };
view "noslip" { match-clients { 127.0.50.0/24; }; rate-limit { responses-per-second ${RATE}; window 5; slip 0; }; ${zone} };
view "main" { rate-limit { responses-per-second ${RATE}; window 5; slip 2; }; ${zone} };
`;
}

/** A query without EDNS (so a slip is TC=1, not a cookie error), id `id`. */
function query(name: string, type: number, id: number): Buffer {
  const parts: Buffer[] = [];
  for (const l of name.split('.').filter(Boolean)) parts.push(Buffer.from([l.length]), Buffer.from(l));
  parts.push(Buffer.from([0]));
  const qn = Buffer.concat(parts);
  const b = Buffer.alloc(12 + qn.length + 4);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(1, 4);
  qn.copy(b, 12);
  b.writeUInt16BE(type, 12 + qn.length);
  b.writeUInt16BE(1, 14 + qn.length);
  return b;
}

interface FloodResult {
  full: number;
  tc: number;
  rcodes: Set<number>;
}

/** Sends FLOOD queries from `source` (names from `name(i)`), then collects answers until none came for 400 ms. */
async function flood(port: number, source: string, name: (i: number) => string, type: number, count = FLOOD): Promise<FloodResult> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, source, () => r()));
  const res: FloodResult = { full: 0, tc: 0, rcodes: new Set() };
  let last = Date.now();
  s.on('message', (m) => {
    last = Date.now();
    if ((m[2] & 0x02) !== 0) res.tc++;
    else res.full++;
    res.rcodes.add(m[3] & 0xf);
  });
  for (let i = 0; i < count; i++) {
    s.send(query(name(i), type, i), port, HOST);
    // Let the socket breathe every few packets (the receive buffers are shared with other tests).
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 1));
  }
  await waitFor(() => Date.now() - last > 400, 5000, 50);
  s.close();
  return res;
}

t.test('rate-limit: Triad caps and slips a flood as BIND does', { timeout: 90_000 }, async (t) => {
  if (!requireTools(t, ['named', 'dig'])) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-rrl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'example.com.zone'), ZONE);
  const bindPort = await freePort();
  const triadPort = await freePort();
  writeFileSync(path.join(dir, 'named.conf'), namedConf(dir, bindPort, true));
  writeFileSync(path.join(dir, 'triad.conf'), namedConf(dir, triadPort, false));
  const named = await startRefNamed(t, path.join(dir, 'named.conf'));
  if (!named.running) {
    t.fail('named did not start:\n' + named.log());
    return;
  }
  mkdirSync(path.join(dir, 'data'));
  const triad = startTriad(['--named-conf', path.join(dir, 'triad.conf'), '--conf-dir', dir, '--data-dir', path.join(dir, 'data'), '--dns-workers', '2']);
  t.teardown(() => triad.stop());
  if (!(await waitFor(() => /status: NOERROR/.test(dig(HOST, triadPort, ['-b', '127.0.99.1', 'www.example.com'])), 30000, 300))) {
    t.fail('bin/triad run did not answer:\n' + triad.output());
    return;
  }
  const servers = { bind: bindPort, triad: triadPort };
  const logs = { bind: () => named.log(), triad: () => triad.output() };

  // Each case floods from its own /24 so their accounts stay apart; both servers get the same flood.
  const cases: { what: string; net: number; name: (i: number) => string; type: number; logLine: string }[] = [
    { what: 'identical A queries', net: 10, name: () => 'www.example.com', type: 1, logLine: 'limit responses to 127.0.10.0/24 for www.example.com IN A' },
    { what: 'ANY queries', net: 20, name: () => 'example.com', type: 255, logLine: 'limit responses to 127.0.20.0/24 for example.com IN ANY' },
    { what: 'random NXDOMAIN names (one account per zone)', net: 30, name: (i) => `r${i}x.example.com`, type: 1, logLine: 'limit NXDOMAIN responses to 127.0.30.0/24 for example.com' },
    { what: 'referrals', net: 60, name: (i) => `h${i}.sub.example.com`, type: 1, logLine: 'limit referral responses to 127.0.60.0/24 for sub.example.com IN' },
  ];
  for (const c of cases) {
    const got: Record<string, FloodResult> = {};
    for (const [who, port] of Object.entries(servers)) got[who] = await flood(port, `127.0.${c.net}.2`, c.name, c.type);
    const { bind, triad: tri } = got;
    t.ok(bind.full >= 1 && bind.full <= 2 * RATE, `${c.what}: BIND answered ${bind.full} of ${FLOOD} in full`);
    t.ok(tri.full >= 1 && tri.full <= 2 * RATE, `${c.what}: Triad answered ${tri.full} of ${FLOOD} in full (BIND ${bind.full})`);
    t.ok(Math.abs(tri.full - bind.full) <= 3, `${c.what}: full answers within 3 of BIND's (${tri.full} / ${bind.full})`);
    const ratio = (r: FloodResult): number => r.tc / (FLOOD - r.full);
    t.ok(Math.abs(ratio(tri) - ratio(bind)) <= 0.15 && ratio(tri) > 0.3, `${c.what}: slipped share alike (Triad ${tri.tc}, BIND ${bind.tc} TC=1 answers)`);
    t.same([...tri.rcodes].sort(), [...bind.rcodes].sort(), `${c.what}: the same rcodes (slips keep NXDOMAIN)`);
    // Another client prefix is still answered while the first is limited.
    for (const [who, port] of Object.entries(servers)) {
      const other = await flood(port, `127.0.${c.net + 1}.2`, c.name, c.type, 1);
      t.equal(other.full, 1, `${c.what}: ${who} still answers another client prefix`);
    }
    // TCP proves the source address: never limited, also from the limited prefix.
    if (c.net === 10) {
      for (const [who, port] of Object.entries(servers)) {
        t.match(dig(HOST, port, ['-b', '127.0.10.2', '+tcp', '+nocookie', 'www.example.com']), /status: NOERROR[\s\S]*ANSWER: 1,/, `${who} answers the limited client over TCP`);
      }
    }
    for (const [who, log] of Object.entries(logs)) {
      const ok = await waitFor(() => log().includes(c.logLine), 3000, 50);
      t.ok(ok, `${c.what}: ${who} logged "${c.logLine}"`);
    }
  }

  // slip 0: dropped, never slipped.
  for (const [who, port] of Object.entries(servers)) {
    const r = await flood(port, '127.0.50.2', () => 'www.example.com', 1);
    t.ok(r.full >= 1 && r.full <= 2 * RATE && r.tc === 0, `slip 0: ${who} answered ${r.full}, slipped ${r.tc}`);
  }
  // log-only: everything answered, the burst logged as "would limit".
  for (const [who, port] of Object.entries(servers)) {
    const r = await flood(port, '127.0.40.2', () => 'www.example.com', 1);
    t.equal(r.full, FLOOD, `log-only: ${who} answered every query`);
    t.equal(r.tc, 0, `log-only: ${who} slipped none`);
    const line = 'would limit responses to 127.0.40.0/24 for www.example.com IN A';
    t.ok(await waitFor(() => logs[who as keyof typeof logs]().includes(line), 3000, 50), `log-only: ${who} logged "${line}"`);
  }
});

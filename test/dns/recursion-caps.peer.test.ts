// The caps on recursion over real sockets, Triad and named 9.18 side by side with
// the same caps and dig as the client: both forward
// to a slow upstream (a small UDP server in this file that answers every A
// question after a delay), so queries pile up as they do behind a slow network.
// - recursive-clients 2: past the soft quota (1) each new query aborts the oldest
//   with SERVFAIL, so of a burst of distinct names only the newest is answered.
// - clients-per-query 2: the third identical query waiting on one fetch gets no
//   answer at all (BIND drops it).
// - fetches-per-zone 1 fail: the second fetch at once to the same zone's servers
//   gets SERVFAIL.
// The counters show each in the resolver's statistics (`ctl dns stats`).
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DnsHost } from '../../src/dns/dns-host.js';
import { createLogger } from '../../src/log.js';
import { dig, startNamed, type DigResult } from '../helpers/resolver-lab.js';
import { randomPort } from '../helpers/triad-run.js';

for (const tool of ['named', 'dig']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    t.fail(`${tool} is not installed (apt-get install bind9 bind9-dnsutils)`);
    process.exit(1);
  }
}

const DELAY_MS = 1000;
const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-reccaps-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Answers every question with one A record (192.0.2.1) after DELAY_MS. */
async function startSlowUpstream(): Promise<{ port: number; questions: number; close: () => void }> {
  const sock = dgram.createSocket('udp4');
  const state = { port: 0, questions: 0, close: (): void => undefined };
  const timers = new Set<NodeJS.Timeout>();
  sock.on('message', (msg, rinfo) => {
    if (msg.length < 12) return;
    state.questions++;
    let i = 12;
    while (i < msg.length && msg[i] !== 0) i += msg[i] + 1;
    const qEnd = i + 5;
    if (qEnd > msg.length) return;
    const head = Buffer.from(msg.subarray(0, 12));
    head[2] = 0x84 | (msg[2] & 0x01); // QR, AA, RD echoed
    head[3] = 0x00;
    head.writeUInt16BE(1, 4);
    head.writeUInt16BE(1, 6);
    head.writeUInt16BE(0, 8);
    head.writeUInt16BE(0, 10);
    const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 192, 0, 2, 1]);
    const out = Buffer.concat([head, msg.subarray(12, qEnd), answer]);
    const timer = setTimeout(() => {
      timers.delete(timer);
      sock.send(out, rinfo.port, rinfo.address);
    }, DELAY_MS);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  state.port = sock.address().port;
  state.close = () => {
    for (const x of timers) clearTimeout(x);
    sock.close();
  };
  return state;
}

const upstream = await startSlowUpstream();
t.teardown(() => upstream.close());

function conf(name: string, port: number, caps: string): string {
  const file = path.join(dir, `${name}.conf`);
  writeFileSync(file, `options {
    directory "${dir}";
    listen-on port ${port} { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion yes;
    allow-recursion { 127.0.0.0/8; };
    dnssec-validation no;
    forwarders { 127.0.0.1 port ${upstream.port}; };
    forward only;
    pid-file none;
    session-keyfile none;
    notify no;
    ${caps}
};
`);
  return file;
}

interface Pair {
  host: DnsHost;
  triad: (qname: string) => Promise<DigResult>;
  bind: (qname: string) => Promise<DigResult>;
}

/** Triad and named 9.18 with the same caps, both forwarding to the slow upstream. */
async function startPair(t: Test, name: string, caps: string): Promise<Pair> {
  const tp = randomPort();
  const bp = randomPort();
  const host = new DnsHost(conf(`${name}-triad`, tp, caps), createLogger({ level: 'error', name: 'dns' }));
  await host.start();
  t.teardown(() => host.stop());
  const named = await startNamed(conf(`${name}-bind`, bp, caps));
  t.teardown(() => named.stop());
  return { host, triad: (q) => dig('127.0.0.1', tp, [q, 'A'], 4), bind: (q) => dig('127.0.0.1', bp, [q, 'A'], 4) };
}

const statuses = (rs: DigResult[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const r of rs) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
};

t.test('recursive-clients 2: of a burst of 5 distinct names only the newest is answered, as named', async (t) => {
  const p = await startPair(t, 'rc', 'recursive-clients 2;');
  for (const [who, ask] of [['triad', p.triad], ['bind', p.bind]] as const) {
    const rs = await Promise.all([1, 2, 3, 4, 5].map((i) => ask(`rc${i}-${who}.example.`)));
    // Soft quota 1 (90 % of 2): each new query aborts the one before with SERVFAIL.
    t.same(statuses(rs), { NOERROR: 1, SERVFAIL: 4 }, `${who}: ${rs.map((r) => r.status).join(' ')}`);
    for (const r of rs.filter((x) => x.status === 'NOERROR')) t.equal(r.answer[0]?.[4], '192.0.2.1');
  }
  const caps = p.host.resolverStats()?.caps;
  t.equal((caps?.recursiveSoftQuota ?? 0) + (caps?.recursiveQuota ?? 0), 4, 'every SERVFAIL counted');
  t.equal(caps?.recursing, 0, 'none in progress afterwards');
});

t.test('clients-per-query 2: the third identical query gets no answer, as named', async (t) => {
  const p = await startPair(t, 'cpq', 'clients-per-query 2;');
  for (const [who, ask] of [['triad', p.triad], ['bind', p.bind]] as const) {
    const before = upstream.questions;
    const rs = await Promise.all([1, 2, 3].map(() => ask(`same-${who}.example.`)));
    t.same(statuses(rs), { NOERROR: 2, TIMEOUT: 1 }, `${who}: ${rs.map((r) => r.status).join(' ')}`);
    if (who === 'triad') t.equal(upstream.questions - before, 1, 'one fetch upstream for the identical questions');
  }
  t.equal(p.host.resolverStats()?.caps.clientQuota, 1, 'spilled due to clients per query: 1');
});

t.test('fetches-per-zone 1 fail: the second concurrent fetch to the zone gets SERVFAIL, as named', async (t) => {
  const p = await startPair(t, 'fpz', 'fetches-per-zone 1 fail;');
  for (const [who, ask] of [['triad', p.triad], ['bind', p.bind]] as const) {
    const rs = await Promise.all([ask(`one-${who}.example.`), ask(`two-${who}.example.`)]);
    t.same(statuses(rs), { NOERROR: 1, SERVFAIL: 1 }, `${who}: ${rs.map((r) => r.status).join(' ')}`);
    // Once the first fetch is over, the zone takes a fetch again.
    t.equal((await ask(`three-${who}.example.`)).status, 'NOERROR', `${who}: a later fetch`);
  }
  t.equal(p.host.resolverStats()?.caps.zoneQuota, 1, 'spilled due to zone quota: 1');
});

// The caps on recursion over real sockets, with dig as the client: Triad forwards
// to a slow upstream (a small UDP server in this file that answers every A
// question after a delay), so queries pile up as they do behind a slow network.
// - recursive-clients 2: of a burst of distinct names, 2 are answered and the rest
//   get SERVFAIL at once (BIND's hard quota).
// - clients-per-query 2: the third identical query waiting on one fetch gets no
//   answer at all (BIND drops it).
// - fetches-per-zone 1 fail: the second fetch at once to the same zone's servers
//   gets SERVFAIL.
// The counters show each in the resolver's statistics (`ctl dns stats`).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DnsHost } from '../../src/dns/dns-host.js';
import { createLogger } from '../../src/log.js';
import { dig, type DigResult } from '../helpers/resolver-lab.js';
import { randomPort } from '../helpers/triad-run.js';

if (spawnSync('sh', ['-c', 'command -v dig']).status !== 0) {
  t.fail('dig is not installed (apt-get install bind9-dnsutils)');
  process.exit(1);
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

async function startTriad(name: string, caps: string): Promise<{ host: DnsHost; ask: (qname: string) => Promise<DigResult> }> {
  const port = randomPort();
  const conf = path.join(dir, `${name}.conf`);
  writeFileSync(conf, `options {
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
  const host = new DnsHost(conf, createLogger({ level: 'error', name: 'dns' }));
  await host.start();
  return { host, ask: (qname) => dig('127.0.0.1', port, [qname, 'A'], 4) };
}

const statuses = (rs: DigResult[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const r of rs) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
};

t.test('recursive-clients 2: a burst of 5 distinct names, 2 answered, 3 SERVFAIL', async (t) => {
  const { host, ask } = await startTriad('rc', 'recursive-clients 2;');
  t.teardown(() => host.stop());
  const rs = await Promise.all([1, 2, 3, 4, 5].map((i) => ask(`rc${i}.example.`)));
  t.same(statuses(rs), { NOERROR: 2, SERVFAIL: 3 }, rs.map((r) => r.status).join(' '));
  for (const r of rs.filter((x) => x.status === 'NOERROR')) t.match(r.answer[0]?.[4], '192.0.2.1');
  const caps = host.resolverStats()?.caps;
  t.equal(caps?.recursiveQuota, 3, 'recursive clients quota reached: 3');
  t.equal(caps?.recursing, 0, 'none in progress afterwards');
});

t.test('clients-per-query 2: the third identical query gets no answer', async (t) => {
  const { host, ask } = await startTriad('cpq', 'clients-per-query 2;');
  t.teardown(() => host.stop());
  const before = upstream.questions;
  const rs = await Promise.all([1, 2, 3].map(() => ask('same.example.')));
  t.same(statuses(rs), { NOERROR: 2, TIMEOUT: 1 }, rs.map((r) => r.status).join(' '));
  t.equal(upstream.questions - before, 1, 'one fetch upstream for the identical questions');
  t.equal(host.resolverStats()?.caps.clientQuota, 1, 'spilled due to clients per query: 1');
});

t.test('fetches-per-zone 1 fail: the second concurrent fetch to the zone gets SERVFAIL', async (t) => {
  const { host, ask } = await startTriad('fpz', 'fetches-per-zone 1 fail;');
  t.teardown(() => host.stop());
  const rs = await Promise.all([ask('one.example.'), ask('two.example.')]);
  t.same(statuses(rs), { NOERROR: 1, SERVFAIL: 1 }, rs.map((r) => r.status).join(' '));
  t.equal(host.resolverStats()?.caps.zoneQuota, 1, 'spilled due to zone quota: 1');
  // Once the first fetch is over, the zone takes a fetch again.
  t.equal((await ask('three.example.')).status, 'NOERROR');
});

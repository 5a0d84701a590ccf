// The batched UDP path (recvmmsg/sendmmsg) against the dgram one, on loopback with our own sockets.
import t from 'tap';
import dgram from 'node:dgram';
import { startDnsServer, type QueryHandler } from '../../src/dns/server.js';
import { DEFERRED, type ClientInfo } from '../../src/dns/responder.js';

/** Echo with QR set; the answer carries the client address it was given. Drops ID 0xdead; defers ID ≥ 0xf000. */
function echo(seen: ClientInfo[]): QueryHandler {
  return {
    respond(msg, client, later) {
      seen.push(client);
      const id = (msg[0] << 8) | msg[1];
      if (id === 0xdead) return null;
      const out = Buffer.concat([Buffer.from(msg), Buffer.from(client.address)]);
      out[2] |= 0x80;
      if (id >= 0xf000 && later) {
        setTimeout(() => later(out, client), 20);
        return DEFERRED;
      }
      return out;
    },
  };
}

function query(id: number): Buffer {
  const b = Buffer.alloc(17);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(1, 4);
  b.writeUInt16BE(1, 13);
  b.writeUInt16BE(1, 15);
  return b;
}

function logger(lines: string[]): { info: (a: unknown, b?: string) => void; warn: (a: unknown, b?: string) => void; error: (a: unknown, b?: string) => void } {
  const f = (a: unknown, b?: string): void => void lines.push(typeof a === 'string' ? a : `${b} ${JSON.stringify(a)}`);
  return { info: f, warn: f, error: f };
}

/** Sends `ids` at once from one socket and collects answers until all wanted arrived (or 3 s). */
async function burst(family: 'udp4' | 'udp6', host: string, port: number, ids: number[], want: number): Promise<Buffer[]> {
  const sock = dgram.createSocket(family);
  const got: Buffer[] = [];
  await new Promise<void>((r) => sock.bind(0, r));
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 3000);
    sock.on('message', (m) => {
      got.push(m);
      if (got.length >= want) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  for (const id of ids) sock.send(query(id), port, host);
  await done;
  sock.close();
  return got;
}

for (const batched of [true, false]) {
  t.test(`UDP ${batched ? 'batched' : 'through dgram'}: a burst, drops, deferred answers, IPv6, counters`, async (t) => {
    const lines: string[] = [];
    const seen: ClientInfo[] = [];
    const srv = await startDnsServer({ listen: [{ address: '127.0.0.1', port: 0 }, { address: '::1', port: 0 }], responder: echo(seen), log: logger(lines), udpBatch: batched });
    t.teardown(() => srv.close());
    t.ok(lines.includes(batched ? 'dns: UDP answers batched (recvmmsg/sendmmsg)' : 'dns: UDP through Node\'s sockets {"reason":"turned off"}'), `logged which path: ${lines.join(' | ')}`);
    const [p4, p6] = srv.addresses().udp.map((a) => a.port);
    // 200 at once (a default socket buffer holds about 250 on loopback): several recvmmsg
    // batches, more than one wake-up's worth, queue behind the first datagram.
    const ids = Array.from({ length: 200 }, (_, i) => i + 1);
    ids.push(0xdead, 0xf001, 0xf002);
    const got = await burst('udp4', '127.0.0.1', p4, ids, 202);
    const answered = new Set(got.map((m) => m.readUInt16BE(0)));
    t.equal(got.length, 202, 'every answerable query answered once');
    t.equal(answered.size, 202);
    t.notOk(answered.has(0xdead), 'the dropped one not');
    t.ok(answered.has(0xf001) && answered.has(0xf002), 'deferred answers arrive through later');
    t.ok(got.every((m) => m.subarray(17).toString() === '127.0.0.1'), 'client address as text');
    t.ok(got.every((m) => (m[2] & 0x80) !== 0));
    t.equal(srv.counters.udpIn, 203, 'udpIn counts every datagram');
    t.equal(srv.counters.dropped, 1, 'dropped counts the one without an answer');
    t.ok(seen.every((c) => c.transport === 'udp' && c.destination === '127.0.0.1' && c.port > 0), 'destination and port per client');
    const got6 = await burst('udp6', '::1', p6, [1, 2, 3, 0xf003], 4);
    t.equal(got6.length, 4, 'IPv6 listener answers');
    t.ok(got6.every((m) => m.subarray(17).toString() === '::1'), 'IPv6 client address');
  });
}

t.test('TRIAD_DNS_UDP=dgram forces Node sockets', async (t) => {
  // The choice is made per process at the first start; this file's other tests ran batched already,
  // so the variable is checked the way a fresh process would see it.
  const { spawnSync } = await import('node:child_process');
  const code = `
    import('${new URL('../../src/dns/server.js', import.meta.url).href}').then(async ({ startDnsServer }) => {
      const lines = [];
      const log = { info: (a, b) => lines.push(typeof a === 'string' ? a : b + ' ' + JSON.stringify(a)), warn() {}, error() {} };
      const srv = await startDnsServer({ listen: [{ address: '127.0.0.1', port: 0 }], responder: { respond: (m) => { const o = Uint8Array.from(m); o[2] |= 0x80; return o; } }, log });
      const dgram = await import('node:dgram');
      const s = dgram.createSocket('udp4');
      s.on('message', async (m) => { console.log(JSON.stringify({ lines, answered: m.readUInt16BE(0) })); s.close(); await srv.close(); });
      s.send(Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]), srv.addresses().udp[0].port, '127.0.0.1');
    });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, TRIAD_DNS_UDP: 'dgram' }, encoding: 'utf8', timeout: 20_000 });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim()) as { lines: string[]; answered: number };
  t.same(out.lines, ['dns: UDP through Node\'s sockets {"reason":"TRIAD_DNS_UDP=dgram"}']);
  t.equal(out.answered, 0x1234, 'the dgram path answers');
});

// The UDP/TCP edge with a stub handler on loopback (our own sockets only).
import t from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import { startDnsServer, type QueryHandler } from '../../src/dns/server.js';

// Echo handler: answers with the query's bytes, QR set; drops a query whose ID is 0xdead; throws on 0xbeef.
const echo = (tag: number): QueryHandler => ({
  respond(msg) {
    const id = (msg[0] << 8) | msg[1];
    if (id === 0xdead) return null;
    if (id === 0xbeef) throw new Error('boom');
    const out = Uint8Array.from(msg);
    out[2] |= 0x80;
    out[3] = tag;
    return out;
  },
});

function query(id: number): Buffer {
  const b = Buffer.alloc(17);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(1, 4);
  b[12] = 0;
  b.writeUInt16BE(1, 13);
  b.writeUInt16BE(1, 15);
  return b;
}

function frame(b: Buffer): Buffer {
  const l = Buffer.alloc(2);
  l.writeUInt16BE(b.length);
  return Buffer.concat([l, b]);
}

t.test('UDP answers, drops and survives a throwing handler', async (t) => {
  const srv = await startDnsServer({ listen: [{ address: '127.0.0.1', port: 0 }], responder: echo(1) });
  t.teardown(() => srv.close());
  const port = srv.addresses().udp[0].port;
  t.equal(srv.addresses().tcp[0].port, port, 'TCP on the same port');
  const sock = dgram.createSocket('udp4');
  t.teardown(() => sock.close());
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(m));
  sock.send(query(0xdead), port, '127.0.0.1');
  sock.send(query(0xbeef), port, '127.0.0.1');
  sock.send(query(7), port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 200));
  t.equal(got.length, 1, 'only the answerable query got a response');
  t.equal(got[0]?.readUInt16BE(0), 7);
  srv.setResponder(echo(2));
  sock.send(query(8), port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 200));
  t.equal(got[1]?.[3], 2, 'the new responder answers after setResponder');
  t.ok(srv.counters.dropped >= 2);
});

t.test('TCP: pipelined and split messages, idle timeout, connection cap', async (t) => {
  const srv = await startDnsServer({ listen: [{ address: '127.0.0.1', port: 0 }], responder: echo(1), tcpIdleMs: 300, maxTcpConnections: 1 });
  t.teardown(() => srv.close());
  const port = srv.addresses().tcp[0].port;
  const c = net.connect(port, '127.0.0.1');
  let buf = Buffer.alloc(0);
  c.on('data', (d) => (buf = Buffer.concat([buf, d])));
  const closed = new Promise<void>((r) => c.on('close', () => r()));
  await new Promise<void>((r) => c.on('connect', () => r()));
  const two = Buffer.concat([frame(query(1)), frame(query(0xdead)), frame(query(2))]);
  const third = frame(query(3));
  c.write(Buffer.concat([two, third.subarray(0, 5)]));
  await new Promise((r) => setTimeout(r, 50));
  c.write(third.subarray(5));
  await new Promise((r) => setTimeout(r, 100));
  const ids: number[] = [];
  for (let p = 0; p + 2 <= buf.length; ) {
    const l = buf.readUInt16BE(p);
    ids.push(buf.readUInt16BE(p + 2));
    p += 2 + l;
  }
  t.same(ids, [1, 2, 3], 'answers in order, the dropped one skipped');
  // A second connection is over the cap and gets closed.
  const c2 = net.connect(port, '127.0.0.1');
  c2.on('error', () => {});
  const c2closed = await new Promise<boolean>((r) => {
    c2.on('close', () => r(true));
    setTimeout(() => r(false), 1000);
  });
  t.ok(c2closed, 'connection over the cap is closed');
  await closed;
  t.pass('idle connection closed by the server');
  t.ok(srv.counters.tcpRejected >= 1);
});

t.test('TCP: tcp-initial-timeout until the first message, then tcp-idle-timeout; one tcp-clients count for all listeners', async (t) => {
  const quota = { max: 2, open: 0 };
  const a = await startDnsServer({ listen: [{ address: '127.0.0.1', port: 0 }], responder: echo(1), tcpInitialMs: 200, tcpIdleMs: 60_000, tcpQuota: quota });
  const b = await startDnsServer({ listen: [{ address: '127.0.0.1', port: 0 }], responder: echo(1), tcpQuota: quota });
  t.teardown(() => Promise.all([a.close(), b.close()]));
  const connect = async (port: number): Promise<{ c: net.Socket; closed: Promise<void>; isClosed: () => boolean }> => {
    const c = net.connect(port, '127.0.0.1');
    c.on('error', () => {});
    let done = false;
    const closed = new Promise<void>((r) => c.on('close', () => {
      done = true;
      r();
    }));
    await new Promise<void>((r) => c.on('connect', () => r()));
    return { c, closed, isClosed: () => done };
  };
  const silent = await connect(a.addresses().tcp[0].port);
  const talker = await connect(a.addresses().tcp[0].port);
  const answered = new Promise<void>((r) => talker.c.once('data', () => r()));
  talker.c.write(frame(query(9)));
  await answered;
  // Both quota places taken (across the two listeners): a third connection, to the other listener, is refused.
  const third = await connect(b.addresses().tcp[0].port);
  await third.closed;
  t.equal(b.counters.tcpRejected, 1, 'over tcp-clients on another listener: closed');
  await silent.closed;
  t.pass('a connection that sent nothing is closed after tcp-initial-timeout');
  t.notOk(talker.isClosed(), 'one that sent a query is now under tcp-idle-timeout (a minute) and stays open');
  talker.c.destroy();
  await talker.closed;
  await new Promise((r) => setTimeout(r, 50));
  t.equal(quota.open, 0, 'closed connections give their place back');
});

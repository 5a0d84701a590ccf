// UdpSender.withWakeups: the DHCP server's UDP socket, watched by libuv so that a request to
// the port wakes the packet sockets on the event loop, still sends with sendto on its fd.
// Loopback only, an ephemeral port.
import t from 'tap';
import dgram from 'node:dgram';
import { UdpSender } from '../../src/net/packet-io.js';

const LOOPBACK = 0x7f000001;

async function bound(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s;
}

t.test('a datagram to the port calls onReadable; sends leave from the port', async (t) => {
  let woken = 0;
  const errors: Error[] = [];
  const sender = await UdpSender.withWakeups(0, () => woken++, (e) => errors.push(e));
  t.ok(sender, "this Node's UDP socket descriptor is reachable");
  if (!sender) return;
  t.teardown(() => sender.close());
  const peer = await bound();
  t.teardown(() => peer.close());
  // The port the sender is bound to, learnt from what a peer receives from it.
  const got = new Promise<{ msg: Buffer; port: number }>((r) => peer.once('message', (msg, rinfo) => r({ msg, port: rinfo.port })));
  sender.send(Buffer.from('reply'), LOOPBACK, peer.address().port);
  const first = await got;
  t.equal(first.msg.toString(), 'reply', 'sendto on the adopted descriptor');
  t.ok(first.port > 0);
  const wake = new Promise<void>((r) => {
    const poll = setInterval(() => {
      if (woken >= 2) {
        clearInterval(poll);
        r();
      }
    }, 5);
  });
  peer.send('one', first.port, '127.0.0.1');
  peer.send('two', first.port, '127.0.0.1');
  await wake;
  t.equal(woken, 2, 'one wake-up per datagram');
  t.same(errors, []);
});

t.test('a port already taken without SO_REUSEADDR: the bind error is reported', async (t) => {
  const holder = dgram.createSocket({ type: 'udp4', reuseAddr: false });
  await new Promise<void>((r) => holder.bind(0, '0.0.0.0', r));
  t.teardown(() => holder.close());
  await t.rejects(UdpSender.withWakeups(holder.address().port, () => undefined, () => undefined), /EADDRINUSE/);
});

t.test('close() closes the Node socket (the port is free again)', async (t) => {
  const sender = await UdpSender.withWakeups(0, () => undefined, () => undefined);
  if (!sender) return t.fail('descriptor not reachable');
  const peer = await bound();
  t.teardown(() => peer.close());
  const got = new Promise<number>((r) => peer.once('message', (_m, rinfo) => r(rinfo.port)));
  sender.send(Buffer.from('x'), LOOPBACK, peer.address().port);
  const port = await got;
  sender.close();
  sender.send(Buffer.from('after close'), LOOPBACK, peer.address().port);
  const again = dgram.createSocket({ type: 'udp4', reuseAddr: false });
  await new Promise<void>((resolve, reject) => {
    again.once('error', reject);
    again.bind(port, '0.0.0.0', resolve);
  });
  again.close();
  t.pass('port reusable after close');
});

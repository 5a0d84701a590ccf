// Sends hostile connection-sync datagrams for the namespace tests.
// usage: node sync-forge.js DST PORT KIND…  (KIND: wrong-key | garbage | replay)
// replay: joins the sync group on the local address LOCAL (env SYNC_LOCAL), takes the first
// genuine datagram it sees, and sends it again to DST from this host a second later.
import dgram from 'node:dgram';
import { encodeSync, OP_ADD } from '../../src/lb/sync-packet.js';

const [dst, portText, ...kinds] = process.argv.slice(2);
const sock = dgram.createSocket('udp4');
const now = Math.floor(Date.now() / 1000);
const forged = (): Buffer =>
  encodeSync(
    { syncId: 3, sender: 0x0a4d0001, epoch: now, seq: 1, time: now, entries: [{ op: OP_ADD, proto: 6, state: 'ESTABLISHED', cIp: 0x0a4d000a, cPort: 1, vIp: 0x0a4d0064, vPort: 80, rIp: 0x0a4d0015, rPort: 80, ttl: 900 }] },
    Buffer.from('not the pair key'),
  );
if (kinds[0] === 'replay') {
  const rx = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((r) => rx.bind(Number(portText), () => r()));
  rx.addMembership('224.0.0.81', process.env.SYNC_LOCAL);
  process.stdout.write('listening\n');
  const got = await new Promise<Buffer>((r) => rx.once('message', (m) => r(m)));
  rx.close();
  process.stdout.write(`captured ${got.length} bytes\n`);
  await new Promise((r) => setTimeout(r, 1000));
  kinds.splice(0);
  await new Promise<void>((r) => sock.send(got, Number(portText), dst, () => r()));
  process.stdout.write('replayed\n');
}
for (const k of kinds) {
  const b = k === 'wrong-key' ? forged() : Buffer.from('junk!');
  await new Promise<void>((r) => sock.send(b, Number(portText), dst, () => r()));
}
sock.close();

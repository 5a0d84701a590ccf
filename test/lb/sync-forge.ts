// Sends hostile connection-sync datagrams for the namespace tests.
// usage: node sync-forge.js DST PORT KIND…  (KIND: wrong-key | garbage)
import dgram from 'node:dgram';
import { encodeSync, OP_ADD } from '../../src/lb/sync-packet.js';

const [dst, portText, ...kinds] = process.argv.slice(2);
const sock = dgram.createSocket('udp4');
const now = Math.floor(Date.now() / 1000);
const forged = (): Buffer =>
  encodeSync(
    { syncId: 3, epoch: now, seq: 1, time: now, entries: [{ op: OP_ADD, proto: 6, state: 'ESTABLISHED', cIp: 0x0a4d000a, cPort: 1, vIp: 0x0a4d0064, vPort: 80, rIp: 0x0a4d0015, rPort: 80, ttl: 900 }] },
    Buffer.from('not the pair key'),
  );
for (const k of kinds) {
  const b = k === 'wrong-key' ? forged() : Buffer.from('junk!');
  await new Promise<void>((r) => sock.send(b, Number(portText), dst, () => r()));
}
sock.close();

// Sends N malformed DHCP messages to a server (run inside a test namespace):
// node fuzz-sender.js SERVER_IP COUNT SEED
import dgram from 'node:dgram';
import { fuzzCase, rng } from './fuzz-cases.js';

const [server, countText, seedText] = process.argv.slice(2);
const count = Number(countText);
const r = rng(Number(seedText));
const sock = dgram.createSocket('udp4');
sock.bind(68, () => {
  sock.setBroadcast(true);
  let sent = 0;
  const batch = (): void => {
    for (let k = 0; k < 50 && sent < count; k++, sent++) {
      const pkt = fuzzCase(r, sent);
      sock.send(pkt, 67, sent % 5 === 0 ? '255.255.255.255' : server);
    }
    if (sent < count) setTimeout(batch, 2);
    else setTimeout(() => {
      process.stdout.write(`sent ${sent}\n`);
      sock.close();
    }, 200);
  };
  batch();
});

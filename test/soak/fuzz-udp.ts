// Garbage for the soak test: random and half-valid UDP packets to a server's DNS and
// DHCP ports for a number of seconds, at a modest rate (run inside a test namespace).
// usage: node fuzz-udp.js SERVER_IP DNS_PORT SECONDS PACKETS_PER_SECOND SEED
// Prints `sent N` when done.
import dgram from 'node:dgram';
import { fuzzCase, rng } from '../dhcp/fuzz-cases.js';

const [server, dnsPortText, secondsText, rateText, seedText] = process.argv.slice(2);
const dnsPort = Number(dnsPortText);
const r = rng(Number(seedText));
const until = Date.now() + Number(secondsText) * 1000;
const perTick = Math.max(1, Math.round(Number(rateText) / 20));

/** Random bytes, a DNS header with random counts and flags, or a truncated real-looking query. */
function dnsGarbage(i: number): Buffer {
  const len = Math.floor(r() * 600);
  const b = Buffer.alloc(len);
  for (let k = 0; k < len; k++) b[k] = Math.floor(r() * 256);
  if (i % 3 === 0 && len >= 12) {
    b.writeUInt16BE(1, 4); // QDCOUNT 1, then whatever follows as the question
    b[2] &= 0x7f; // a query, not a response
  }
  return b;
}

const dns = dgram.createSocket('udp4');
const dhcp = dgram.createSocket('udp4');
let sent = 0;
dhcp.bind(0, () => {
  const tick = (): void => {
    for (let k = 0; k < perTick; k++, sent++) {
      if (sent % 2 === 0) dns.send(dnsGarbage(sent), dnsPort, server);
      else dhcp.send(fuzzCase(r, sent), 67, server);
    }
    if (Date.now() < until) setTimeout(tick, 50);
    else
      setTimeout(() => {
        process.stdout.write(`sent ${sent}\n`);
        dns.close();
        dhcp.close();
      }, 200);
  };
  tick();
});

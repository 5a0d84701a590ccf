// Failover probe for the LB bench: for D seconds, C workers each open a new TCP
// connection per HTTP request to HOST:PORT; prints JSON with the end time of
// every failed request (ms since epoch) and the totals.
// usage: node failover-client.js HOST PORT SECONDS [CONCURRENCY]
import net from 'node:net';

const [host, portText, secText, concText] = process.argv.slice(2);
const port = Number(portText);
const until = Date.now() + Number(secText) * 1000;
const failures: number[] = [];
let ok = 0;

function once(): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let buf = '';
    const fail = () => {
      clearTimeout(timer);
      failures.push(Date.now());
      s.destroy();
      resolve();
    };
    const timer = setTimeout(fail, 1000);
    s.on('connect', () => s.write('GET / HTTP/1.0\r\n\r\n'));
    s.on('data', (d) => (buf += d.toString()));
    s.on('end', () => {
      clearTimeout(timer);
      if (buf.startsWith('HTTP/1.') && buf.includes(' 200 ')) ok++;
      else failures.push(Date.now());
      resolve();
    });
    s.on('error', fail);
  });
}

async function worker(): Promise<void> {
  while (Date.now() < until) await once();
}
await Promise.all(Array.from({ length: Number(concText ?? 8) }, worker));
process.stdout.write(JSON.stringify({ ok, failures }) + '\n');

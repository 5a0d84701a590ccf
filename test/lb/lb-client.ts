// Bulk client for the namespace tests: N short connections (TCP or UDP) to
// HOST:PORT with some concurrency; prints JSON {byName, seenAddrs, failures}.
// usage: node lb-client.js tcp|udp HOST PORT N [CONCURRENCY]
import net from 'node:net';
import dgram from 'node:dgram';

const [proto, host, portText, nText, concText] = process.argv.slice(2);
const port = Number(portText);
const n = Number(nText);
const conc = Number(concText ?? 20);
const byName: Record<string, number> = {};
const seen = new Set<string>();
let failures = 0;
const errors: string[] = [];

function record(line: string): void {
  const [name, addr] = line.trim().split(' ');
  byName[name] = (byName[name] ?? 0) + 1;
  seen.add(addr);
}

function tcpOnce(): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let buf = '';
    const t = setTimeout(() => fail('timeout'), 3000);
    const fail = (e: string) => {
      clearTimeout(t);
      failures++;
      if (errors.length < 5) errors.push(e);
      s.destroy();
      resolve();
    };
    s.on('connect', () => s.write('hi\n'));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\n')) {
        clearTimeout(t);
        record(buf);
        s.end();
        resolve();
      }
    });
    s.on('error', (e) => fail(e.message));
  });
}

function udpOnce(): Promise<void> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      failures++;
      if (errors.length < 5) errors.push('udp timeout');
      s.close();
      resolve();
    }, 2000);
    s.on('message', (m) => {
      clearTimeout(t);
      record(m.toString());
      s.close();
      resolve();
    });
    s.send('hi', port, host);
  });
}

let next = 0;
async function worker(): Promise<void> {
  while (next < n) {
    next++;
    await (proto === 'udp' ? udpOnce() : tcpOnce());
  }
}
await Promise.all(Array.from({ length: Math.min(conc, n) }, worker));
process.stdout.write(JSON.stringify({ byName, seenAddrs: [...seen], failures, errors }) + '\n');

// A real server for the namespace tests: answers TCP (each line echoed back as
// `NAME CLIENT-ADDRESS LINE`, or an HTTP 200 whose body is `NAME CLIENT-ADDRESS`)
// and UDP (`NAME CLIENT-ADDRESS`) on one port, so tests see who served and whom.
// usage: node rs-server.js NAME BIND-ADDR PORT
import net from 'node:net';
import dgram from 'node:dgram';

const [name, addr, portText] = process.argv.slice(2);
const port = Number(portText);
const tcp = net.createServer((s) => {
  const who = `${name} ${s.remoteAddress}`;
  let buf = '';
  s.on('data', (d) => {
    buf += d.toString();
    if (buf.startsWith('GET ') || buf.startsWith('HEAD ')) {
      if (!buf.includes('\r\n\r\n')) return;
      const body = who + '\n';
      s.end(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      s.write(`${who} ${buf.slice(0, nl)}\n`);
      buf = buf.slice(nl + 1);
    }
  });
  s.on('error', () => undefined);
});
tcp.listen(port, addr);
const udp = dgram.createSocket('udp4');
udp.on('message', (_m, r) => udp.send(`${name} ${r.address}\n`, r.port, r.address));
udp.bind(port, addr);
process.on('SIGTERM', () => process.exit(0));

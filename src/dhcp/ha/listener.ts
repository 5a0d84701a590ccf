// Triad's HA listener: node:http on this server's own peer URL, every request handed to
// the command handler with its body cut off at MAX_COMMAND_BYTES.

import http from 'node:http';
import { MAX_COMMAND_BYTES, type HaHttpRequest, type HaHttpResponse } from './commands.js';

export async function listenHa(host: string, port: number, handle: (req: HaHttpRequest) => Promise<HaHttpResponse>): Promise<() => Promise<void>> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let oversize = false;
    const reply = (r: HaHttpResponse): void => {
      const body = JSON.stringify(r.body);
      res.writeHead(r.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...(r.headers ?? {}), ...(oversize ? { Connection: 'close' } : {}) });
      res.end(body);
    };
    req.on('data', (c: Buffer) => {
      if (oversize) return;
      size += c.length;
      if (size > MAX_COMMAND_BYTES) {
        oversize = true;
        chunks.length = 0;
        // Answer now and stop reading: the rest is not wanted.
        handle({ body: Buffer.alloc(0), oversize: true }).then(reply, () => res.destroy());
        req.pause();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (oversize) return;
      if (req.method !== 'POST') return reply({ status: 405, body: { result: 1, text: 'only POST is accepted' } });
      handle({ body: Buffer.concat(chunks), ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) }).then(reply, (e: Error) => reply({ status: 500, body: [{ result: 1, text: e.message }] }));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

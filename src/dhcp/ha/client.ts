// Sends Kea control-channel commands to the HA partner's URL: a JSON POST, basic auth
// when the partner's entry names credentials, an answer within the timeout or an error.

import http from 'node:http';
import type { HaPeer } from '../../config/ha-conf.js';

export interface CommandAnswer {
  result: number;
  text?: string;
  arguments?: Record<string, unknown>;
}

const MAX_ANSWER = 64 * 1024 * 1024;

export function sendCommand(peer: HaPeer, command: string, args: Record<string, unknown> | undefined, timeoutMs: number): Promise<CommandAnswer> {
  const body = Buffer.from(JSON.stringify({ command, service: ['dhcp4'], ...(args ? { arguments: args } : {}) }));
  const headers: Record<string, string | number> = { 'Content-Type': 'application/json', 'Content-Length': body.length };
  if (peer.basicAuthUser !== undefined) headers['Authorization'] = 'Basic ' + Buffer.from(`${peer.basicAuthUser}:${peer.basicAuthPassword ?? ''}`).toString('base64');
  return new Promise((resolve, reject) => {
    const req = http.request({ host: peer.host, port: peer.port, path: '/', method: 'POST', headers, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER) req.destroy(new Error('answer too large'));
        else chunks.push(c);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode ?? '?'} from ${peer.url}`));
        try {
          const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          // Kea's control agent answers with a list (one entry per service); a server's own listener may not.
          const a = (Array.isArray(v) ? v[0] : v) as CommandAnswer | undefined;
          if (!a || typeof a.result !== 'number') return reject(new Error(`no result in the answer from ${peer.url}`));
          resolve(a);
        } catch (e) {
          reject(new Error(`bad JSON from ${peer.url}: ${(e as Error).message}`));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${peer.url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

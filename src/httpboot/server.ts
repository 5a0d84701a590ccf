// The HTTP boot socket edge: node:http serving the boot directory read-only — GET and
// HEAD, one byte range per request (iPXE and UEFI HTTP boot fetch kernels and images in
// ranges), files streamed from disk (never held in memory), connections bounded in
// number and time. Decisions come from request.ts and files.ts.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpBootConf } from '../config/default-httpboot.js';
import type { Logger } from '../log.js';
import { openInRoot } from './files.js';
import { contentType, parseRange, targetPath, type Refusal } from './request.js';

export interface HttpBootStats {
  requests: number;
  /** 200 and 206 answers. */
  served: number;
  /** 4xx answers (not found, refused, bad requests). */
  refused: number;
  bytesSent: number;
}

/** Connections at once, in total; one more is closed as soon as it is accepted. */
const MAX_CONNECTIONS = 256;

export class HttpBootServer {
  readonly stats: HttpBootStats = { requests: 0, served: 0, refused: 0, bytesSent: 0 };
  private server?: http.Server;

  constructor(private conf: HttpBootConf, private readonly log: Logger) {}

  /** New directory or permissions, same address (a new address needs a new server). */
  setConf(conf: HttpBootConf): void {
    this.conf = conf;
  }

  port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.conf.port;
  }

  async start(): Promise<void> {
    const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
      this.handle(req, res).catch((err: Error) => {
        this.log.error({ err: err.message }, 'httpboot: request failed');
        if (!res.headersSent) res.writeHead(500, { 'Content-Length': 0 }).end();
        else res.destroy();
      });
    });
    server.maxConnections = MAX_CONNECTIONS;
    // A malformed request is answered 400 by node and closed; it never reaches handle().
    server.on('clientError', (_err, socket) => {
      this.stats.refused++;
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.conf.port, this.conf.address || undefined, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err: err.message }, 'httpboot: listener error'));
    this.server = server;
    this.log.info({ address: `${this.conf.address || '*'}:${this.port()}`, directory: this.conf.directory }, 'httpboot: serving');
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  private refuse(req: http.IncomingMessage, res: http.ServerResponse, r: Refusal, what: string): void {
    this.stats.refused++;
    const text = r.status === 404 ? 'Not Found\n' : r.status === 403 ? 'Forbidden\n' : 'Bad Request\n';
    const log = r.status === 404 ? this.log.info.bind(this.log) : this.log.warn.bind(this.log);
    log({ client: req.socket.remoteAddress, reason: r.reason }, `httpboot: ${req.method} ${what}: ${r.status}`);
    res.writeHead(r.status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(req.method === 'HEAD' ? undefined : text);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.stats.requests++;
    const target = req.url ?? '/';
    const shown = target.length > 200 ? `${target.slice(0, 200)}…` : target;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.stats.refused++;
      this.log.warn({ client: req.socket.remoteAddress }, `httpboot: ${req.method} ${shown}: 405 (the boot directory is read-only)`);
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': 0 }).end();
      return;
    }
    const rel = targetPath(target);
    if (typeof rel !== 'string') return this.refuse(req, res, rel, shown);
    const conf = this.conf;
    const opened = await openInRoot(conf.directory, rel, conf.permissive);
    if ('status' in opened) return this.refuse(req, res, opened, shown);
    const { handle, stat } = opened;
    try {
      const size = stat.size;
      const etag = `"${stat.ino.toString(16)}-${size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
      const headers: http.OutgoingHttpHeaders = {
        'Accept-Ranges': 'bytes',
        'Content-Type': contentType(rel),
        'Last-Modified': stat.mtime.toUTCString(),
        ETag: etag,
      };
      // If-Range (RFC 9110 §13.1.5): a range of a file that has changed since is the whole new file.
      const ifRange = req.headers['if-range'];
      const rangeHeader = ifRange === undefined || ifRange === etag || ifRange === headers['Last-Modified'] ? req.headers.range : undefined;
      const range = parseRange(rangeHeader, size);
      if (range.kind === 'unsatisfiable') {
        this.stats.refused++;
        this.log.info({ client: req.socket.remoteAddress, range: rangeHeader }, `httpboot: ${req.method} ${shown}: 416`);
        res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}`, 'Content-Length': 0 }).end();
        return;
      }
      const start = range.kind === 'part' ? range.start : 0;
      const end = range.kind === 'part' ? range.end : size - 1;
      const length = size === 0 ? 0 : end - start + 1;
      const status = range.kind === 'part' ? 206 : 200;
      if (range.kind === 'part') headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
      headers['Content-Length'] = length;
      res.writeHead(status, headers);
      this.stats.served++;
      this.log.info({ client: req.socket.remoteAddress, bytes: length }, `httpboot: ${req.method} ${shown}: ${status}`);
      if (req.method === 'HEAD' || length === 0) {
        res.end();
        return;
      }
      await new Promise<void>((resolve) => {
        const stream = handle.createReadStream({ start, end, autoClose: false, highWaterMark: 64 * 1024 });
        stream.on('data', (chunk: Buffer | string) => (this.stats.bytesSent += chunk.length));
        stream.on('error', (err) => {
          this.log.warn({ client: req.socket.remoteAddress, err: err.message }, `httpboot: reading ${shown} failed`);
          res.destroy();
          resolve();
        });
        res.on('close', () => {
          stream.destroy();
          resolve();
        });
        stream.pipe(res);
      });
    } finally {
      await handle.close();
    }
  }
}

// The statistics channel: the HTTP listeners named.conf's `statistics-channels`
// configures, owned by the process (main.ts). Services add collectors and read-only
// routes through the MetricsRegistry contract (service.ts); this module only
// listens, checks each client against the channel's `allow` list and dispatches by
// path (routes.ts). More routes (a dashboard) are more entries in the table.
//
// A client the allow list refuses gets 403 and a log line, as BIND refuses it.

import http from 'node:http';
import type { Logger } from '../log.js';
import { ControlUsageError, type ActionHandler, type MetricFamily, type MetricsRegistry, type StatisticsListener, type StatisticsReply } from '../service.js';
import { authorizeAction } from './action-auth.js';
import { ProcessMetrics } from './process-metrics.js';
import { RateHistory } from './rate-history.js';
import { builtinRoutes, type Route } from './routes.js';

/** How often the dashboard's DNS rate history is sampled. */
const HISTORY_INTERVAL_MS = 10_000;
/** The largest action request body read. */
const MAX_ACTION_BODY = 16 * 1024;

interface Open {
  key: string;
  server: http.Server;
  /** Swapped on reload when only the allow list changed. */
  listener: StatisticsListener;
}

const keyOf = (l: StatisticsListener): string => `${l.address.includes(':') ? `[${l.address}]` : l.address}#${l.port}`;

export class StatisticsServer implements MetricsRegistry {
  private readonly collectors = new Map<number, { name: string; collect: () => MetricFamily[] | Promise<MetricFamily[]> }>();
  private readonly routes = new Map<string, Route>();
  private readonly actions = new Map<string, ActionHandler>();
  private readonly history = new RateHistory();
  private historyTimer: NodeJS.Timeout | undefined;
  private readonly open = new Map<string, Open>();
  private readonly process = new ProcessMetrics();
  private seq = 0;

  constructor(private readonly log: Logger) {
    for (const [path, r] of Object.entries(builtinRoutes(this, () => this.history.snapshot()))) this.routes.set(path, r);
  }

  action(path: string, handler: ActionHandler): () => void {
    this.actions.set(path, handler);
    return () => {
      if (this.actions.get(path) === handler) this.actions.delete(path);
    };
  }

  /** Samples the DNS collector for the dashboard's rate history (only while a channel is open). */
  private async sampleHistory(): Promise<void> {
    const fams: MetricFamily[] = [];
    for (const c of this.collectors.values()) {
      if (c.name !== 'dns') continue;
      try {
        fams.push(...(await c.collect()));
      } catch {
        return; // the scrape path logs collector failures; a missed sample is only a gap
      }
    }
    this.history.add(fams, Date.now());
  }

  collector(name: string, collect: () => MetricFamily[] | Promise<MetricFamily[]>): () => void {
    const id = ++this.seq;
    this.collectors.set(id, { name, collect });
    return () => void this.collectors.delete(id);
  }

  route(path: string, answer: () => StatisticsReply | Promise<StatisticsReply>): () => void {
    const r: Route = async () => answer();
    this.routes.set(path, r);
    return () => {
      if (this.routes.get(path) === r) this.routes.delete(path);
    };
  }

  /** Every collector's families and the process's own; a collector that fails is logged and left out. */
  async families(): Promise<MetricFamily[]> {
    const out: MetricFamily[] = [];
    for (const c of this.collectors.values()) {
      try {
        out.push(...(await c.collect()));
      } catch (err) {
        this.log.warn({ collector: c.name, err: err instanceof Error ? err.message : String(err) }, 'statistics: a collector failed; its metrics are left out of this scrape');
      }
    }
    out.push(...this.process.collect());
    return out;
  }

  async listen(listeners: readonly StatisticsListener[]): Promise<void> {
    const want = new Map(listeners.map((l) => [keyOf(l), l]));
    for (const [k, o] of this.open) {
      if (want.has(k)) continue;
      this.open.delete(k);
      await closeServer(o.server);
      this.log.info({ statistics: k }, 'statistics channel closed');
    }
    for (const [k, l] of want) {
      const have = this.open.get(k);
      if (have) {
        have.listener = l;
        continue;
      }
      const entry: Open = { key: k, server: http.createServer((req, res) => void this.handle(entry, req, res)), listener: l };
      try {
        await new Promise<void>((resolve, reject) => {
          entry.server.once('error', reject);
          entry.server.listen(l.port, l.address, () => {
            entry.server.off('error', reject);
            resolve();
          });
        });
        this.open.set(k, entry);
        this.log.info({ statistics: k }, 'statistics channel listening');
      } catch (err) {
        // BIND logs the failure and serves without that channel.
        this.log.error({ statistics: k, err: err instanceof Error ? err.message : String(err) }, 'cannot open statistics channel');
      }
    }
    if (this.open.size && !this.historyTimer) {
      void this.sampleHistory();
      this.historyTimer = setInterval(() => void this.sampleHistory(), HISTORY_INTERVAL_MS);
      this.historyTimer.unref();
    } else if (!this.open.size && this.historyTimer) {
      clearInterval(this.historyTimer);
      this.historyTimer = undefined;
    }
  }

  /** The bound port of a listener (port 0 in tests), by its configured address and port. */
  port(address: string, port: number): number | undefined {
    const o = this.open.get(keyOf({ address, port, allow: () => false }));
    const a = o?.server.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  async stop(): Promise<void> {
    await this.listen([]);
    if (this.historyTimer) clearInterval(this.historyTimer);
    this.historyTimer = undefined;
    this.process.stop();
  }

  private async handle(entry: Open, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const from = (req.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '');
    if (!entry.listener.allow(from)) {
      this.log.warn({ client: from, statistics: entry.key }, 'statistics channel: connection refused by the allow list');
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`statistics access from ${from} is not allowed\n`);
      return;
    }
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '') || '/';
    if (req.method === 'POST' && this.actions.has(path)) {
      await this.runAction(entry, from, path, req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end(`only GET and HEAD are served${this.actions.size ? ' (and POST to /action/…)' : ''}\n`);
      return;
    }
    const route = this.routes.get(path);
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`not found: ${path} (served: ${[...this.routes.keys()].sort().join(' ')})\n`);
      return;
    }
    try {
      const r = await route();
      res.writeHead(200, { 'content-type': r.contentType, 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : r.body);
    } catch (err) {
      this.log.error({ path, err: err instanceof Error ? err.message : String(err) }, 'statistics channel: request failed');
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('statistics are not available right now\n');
    }
  }

  /** POST /action/…: the key first (403 without it), then the service's handler; logged either way. */
  private async runAction(entry: Open, from: string, path: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const auth = authorizeAction(req.headers.authorization, entry.listener.actionKeys);
    if (!auth.ok) {
      req.resume();
      this.log.warn({ client: from, action: path, reason: auth.reason }, 'statistics channel: action refused');
      json(res, 403, { error: `action refused: ${auth.reason}` });
      return;
    }
    let body: Record<string, unknown>;
    try {
      const text = await readBody(req);
      const parsed: unknown = text.trim() ? JSON.parse(text) : {};
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ControlUsageError('the request body must be a JSON object');
      body = parsed as Record<string, unknown>;
    } catch (err) {
      const msg = err instanceof ControlUsageError ? err.message : 'the request body is not valid JSON';
      this.log.warn({ client: from, action: path, key: auth.key, err: msg }, 'statistics channel: action refused');
      json(res, 400, { error: msg });
      return;
    }
    const handler = this.actions.get(path);
    if (!handler) {
      json(res, 404, { error: `no action ${path}` });
      return;
    }
    try {
      const r = await handler(body);
      this.log.info({ client: from, action: path, key: auth.key, args: body }, `statistics channel: action done: ${r.text.trim()}`);
      json(res, 200, { ok: true, text: r.text, data: r.data ?? null });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      const usage = err instanceof ControlUsageError;
      this.log.warn({ client: from, action: path, key: auth.key, args: body, err: msg }, 'statistics channel: action failed');
      json(res, usage ? 400 : 500, { error: msg });
    }
  }
}

const json = (res: http.ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' });
  res.end(JSON.stringify(body) + '\n');
};

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_ACTION_BODY) {
        reject(new ControlUsageError('the request body is too large'));
        req.destroy();
        return;
      }
      parts.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function closeServer(s: http.Server): Promise<void> {
  s.closeAllConnections();
  return new Promise((r) => s.close(() => r()));
}

// The DNS side of `triad ctl` (the role rndc plays for BIND): `triad ctl dns reload|flush
// [NAME]|dumpdb|stats|zonestatus ZONE` (dns/definition.ts lists them; the same words
// without `dns` still work). Handlers are registered on the local control socket and on every named.conf `controls { inet ADDR port N allow { … }; }`
// channel (HTTP/JSON over TCP, refused unless the client matches `allow`).
//
// With cluster workers every worker has its own cache and counters: the primary
// asks each worker over IPC and merges the replies (sums for counters, one dump
// section per worker).

import http from 'node:http';
import { statSync } from 'node:fs';
import type { NamedConfig } from '../config/named-conf.js';
import { ControlUsageError, controlSocketPath, handleControlRequest, ReplayGuard, registerServiceControl, type ControlReply } from '../control/server.js';
import type { Logger } from '../log.js';
import { compileAddressMatch } from '../net/address-match.js';
import type { HostNetworks } from '../net/interfaces.js';
import type { RunOptions } from '../service.js';
import type { DnsHost } from './dns-host.js';
import { matchEnvironment } from './view-builder.js';
import { nameKey, nameToText, parseName } from '../wire/dns-name.js';
import { DNS_CONTROL } from './definition.js';

export const DNS_CONTROL_COMMANDS = ['reload', 'flush', 'dumpdb', 'stats', 'zonestatus', 'refresh', 'retransfer', 'notify', 'querylog'] as const;
export type DnsControlCommand = (typeof DNS_CONTROL_COMMANDS)[number];

/** Answers a command from one process's DnsHost (a worker, or the main process without workers). Not `reload`. */
export function localControl(host: DnsHost, cmd: string, args: string[]): ControlReply {
  switch (cmd) {
    case 'stats': {
      const data = { ...host.stats(), resolver: host.resolverStats() ?? null };
      return { text: statsText(data), data };
    }
    case 'flush': {
      const r = host.resolver;
      if (!r) return { text: 'recursion is off: no cache\n', data: { flushed: 0 } };
      let name: Uint8Array | undefined;
      if (args[0]) {
        try {
          name = parseName(args[0].endsWith('.') ? args[0] : `${args[0]}.`);
        } catch {
          throw new ControlUsageError(`bad name '${args[0]}'`);
        }
      }
      const n = r.cache.flush(name);
      return { text: `flushed ${n} entr${n === 1 ? 'y' : 'ies'}${name ? ` at ${nameToText(name)}` : ''}\n`, data: { flushed: n } };
    }
    case 'dumpdb': {
      const text = host.resolver ? host.resolver.cache.dump() : '; recursion is off: no cache\n';
      return { text, data: { text } };
    }
    case 'zonestatus': {
      if (!args[0]) throw new ControlUsageError('usage: triad ctl dns zonestatus ZONE [VIEW]');
      const key = nameKey(parseName(args[0].endsWith('.') ? args[0] : `${args[0]}.`));
      const cfg = host.config;
      const keyOf = (name: string): string => nameKey(parseName(name === '.' || name.endsWith('.') ? name : `${name}.`));
      // With views (rndc: zonestatus ZONE [class [view]]): the view named, else the first that has the zone.
      const viewArg = args.length > 2 ? args[2] : args[1] !== undefined && !/^(in|ch|hs)$/i.test(args[1]) ? args[1] : undefined;
      const has = (v: NonNullable<typeof cfg>['views'][number]): boolean => v.conf.zones.some((z) => keyOf(z.name) === key);
      const sv = viewArg !== undefined ? cfg?.views.find((v) => v.name === viewArg) : (cfg?.views.find(has) ?? cfg?.views[0]);
      if (viewArg !== undefined && !sv) throw new ControlUsageError(`no such view '${viewArg}' (have: ${cfg?.views.map((v) => v.name).join(', ') ?? 'none'})`);
      const zone = sv?.view.zones.find((z) => nameKey(z.origin) === key);
      const zc = sv?.conf.zones.find((z) => (z.file !== undefined || z.inView !== undefined) && keyOf(z.name) === key);
      const failed = cfg?.failed.some((f) => keyOf(f.name) === key && (f.view === undefined || f.view === sv?.name)) ?? false;
      if (!zc || (!zone && !failed)) throw new ControlUsageError(`no such zone '${args[0]}' (served: ${sv?.view.zones.map((z) => nameToText(z.origin)).join(', ') ?? 'none'})`);
      const base = `name: ${zc.name}\ntype: ${zc.type}\nfiles: ${zc.fileText ?? zc.file ?? ''}\n`;
      if (!zone) {
        // As named: a zone whose file did not load is configured but answers SERVFAIL.
        const data = { name: zc.name, type: zc.type, file: zc.file, loaded: false };
        return { text: `${base}loaded: no (not loaded due to errors; answered SERVFAIL)\n`, data };
      }
      let rrsets = 0;
      // Names at or below the apex, as named counts them (the table also keeps the names above it).
      const apex = zone.originKey;
      let nodes = 0;
      for (const [k, n] of zone.nodes) {
        rrsets += n.rrsets.size;
        if (k.endsWith(apex)) nodes++;
      }
      // As rndc zonestatus: the file's modification time is "last loaded"; dynamic when updates may match someone.
      const loadedAt = zoneFileTime(zc.file);
      const dynamic = zc.update?.updatePolicy !== undefined || (zc.update?.allowUpdate ?? []).some((e) => !(e.kind === 'builtin' && e.name === 'none' && !e.negated));
      const data = { name: zc.name, type: zc.type, serial: zone.serial, file: zc.file, nodes, rrsets, loaded: true, stale: failed, lastLoaded: loadedAt?.toISOString() ?? null, secure: false, dynamic };
      const note = failed ? 'loaded: the file did not load at the last reload; serving the data loaded before\n' : '';
      const bindLines = `serial: ${data.serial}\nnodes: ${data.nodes}\n${loadedAt ? `last loaded: ${loadedAt.toUTCString()}\n` : ''}secure: no\ndynamic: ${dynamic ? 'yes' : 'no'}\nreconfigurable via modzone: no\n`;
      return { text: `${base}${bindLines}rrsets: ${data.rrsets}\n${note}`, data };
    }
    default:
      throw new ControlUsageError(`unknown DNS command '${cmd}' (have: ${DNS_CONTROL_COMMANDS.join(', ')})`);
  }
}

/** When the zone's file was last written (named reports it as "last loaded"). */
function zoneFileTime(file: string | undefined): Date | undefined {
  try {
    return file ? statSync(file).mtime : undefined;
  } catch {
    return undefined;
  }
}

interface StatsData {
  queries: number;
  malformed: number;
  internalErrors?: number;
  byRcode: Record<string, number>;
  rateDropped?: number;
  rateSlipped?: number;
  resolver: null | {
    resolutions: number; servfail: number; staleAnswers: number; coalesced: number;
    caps?: { recursing: number; recursiveQuota: number; recursiveSoftQuota: number; clientQuota: number; zoneQuota: number };
    upstream: { sent: number; tcp: number; timeouts: number; spoofDrops: number; errors: number };
    cache: { hits: number; misses: number; entries: number; bytes: number; maxBytes: number };
  };
}

function statsText(d: StatsData): string {
  const lines = [`queries: ${d.queries}`, `malformed: ${d.malformed}`, `internal errors: ${d.internalErrors ?? 0}`];
  for (const [k, v] of Object.entries(d.byRcode).sort()) lines.push(`answers ${k}: ${v}`);
  // BIND's statistics: "responses dropped for rate limits", "responses truncated for rate limits".
  if (d.rateDropped !== undefined || d.rateSlipped !== undefined) {
    lines.push(`responses dropped for rate limits: ${d.rateDropped ?? 0}`, `responses truncated for rate limits: ${d.rateSlipped ?? 0}`);
  }
  const r = d.resolver;
  if (r) {
    lines.push(
      `cache hits: ${r.cache.hits}`, `cache misses: ${r.cache.misses}`, `cache entries: ${r.cache.entries}`,
      `cache bytes: ${r.cache.bytes} (max ${r.cache.maxBytes})`, `resolutions: ${r.resolutions}`, `servfail: ${r.servfail}`,
      `stale answers: ${r.staleAnswers}`, `coalesced questions: ${r.coalesced}`, `upstream queries: ${r.upstream.sent}`,
      `upstream tcp retries: ${r.upstream.tcp}`, `upstream timeouts: ${r.upstream.timeouts}`, `spoofing drops: ${r.upstream.spoofDrops}`,
      `upstream errors: ${r.upstream.errors}`,
      // BIND's words: RecursClients, "spilled due to clients per query", "spilled due to zone quota".
      `recursive clients: ${r.caps?.recursing ?? 0}`, `recursive clients quota reached: ${r.caps?.recursiveQuota ?? 0}`,
      `recursive clients soft quota, oldest aborted: ${r.caps?.recursiveSoftQuota ?? 0}`,
      `spilled due to clients per query: ${r.caps?.clientQuota ?? 0}`, `spilled due to zone quota: ${r.caps?.zoneQuota ?? 0}`,
    );
  } else lines.push('recursion: off');
  return lines.join('\n') + '\n';
}

/** Adds numbers field by field (objects recursively); the first non-number value wins. */
function sum(a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = k in out ? sum(out[k], v) : v;
    return out;
  }
  return a ?? b;
}

/** Merges the replies of several workers into one. */
export function mergeReplies(cmd: string, replies: { pid: number; reply: ControlReply }[]): ControlReply {
  if (replies.length === 1) return replies[0].reply;
  switch (cmd) {
    case 'stats': {
      const data = replies.map((r) => r.reply.data).reduce((x, y) => sum(x, y)) as StatsData;
      return { text: `${statsText(data)}workers: ${replies.length} (each has its own cache)\n`, data: { ...data, workers: replies.length } };
    }
    case 'flush': {
      const n = replies.reduce((acc, r) => acc + ((r.reply.data as { flushed: number }).flushed ?? 0), 0);
      return { text: `flushed ${n} entries in ${replies.length} workers\n`, data: { flushed: n } };
    }
    case 'dumpdb':
      return { text: replies.map((r) => `; worker ${r.pid}\n${r.reply.text}`).join(''), data: replies.map((r) => ({ pid: r.pid, ...(r.reply.data as object) })) };
    default:
      return replies[0].reply;
  }
}

/**
 * Registers the DNS commands on the local control socket and opens the named.conf
 * `controls` inet channels. `run` executes one command (locally or across workers).
 * Returns a function that closes everything again.
 */
export async function registerDnsControl(
  opts: Pick<RunOptions, 'dataDir' | 'flags'>, conf: NamedConfig | undefined, host: HostNetworks | undefined, log: Logger,
  run: (cmd: DnsControlCommand, args: string[]) => Promise<ControlReply>,
): Promise<() => Promise<void>> {
  const sock = controlSocketPath(opts.dataDir, opts.flags['control-socket']);
  const unregister = await registerServiceControl(sock, 'dns', DNS_CONTROL, (cmd, args) => run(cmd as DnsControlCommand, args));
  const servers: http.Server[] = [];
  if (conf && host) {
    const env = matchEnvironment(conf, host);
    for (const c of conf.options.controls) {
      const allow = compileAddressMatch(c.allow, env);
      const channel = `${c.address}#${c.port}`;
      // One replay guard per channel, for as long as it listens.
      const guard = new ReplayGuard();
      const srv = http.createServer((req, res) => {
        const from = (req.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '');
        if (!allow(from)) {
          // Refused from anywhere but the configured clients (BIND: "rejected command channel message").
          log.warn({ client: from, control: `${c.address}#${c.port}` }, 'control connection refused by allow list');
          res.writeHead(403, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: `control access from ${from} is not allowed` }));
          return;
        }
        void handleControlRequest(req, res, { keys: c.keys, guard, refused: (reason) => log.warn({ control: channel, client: from }, `control request refused: ${reason}`) });
      });
      try {
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen(c.port, c.address, () => resolve());
        });
        servers.push(srv);
        log.info({ control: `${c.address}#${c.port}` }, 'command channel listening');
      } catch (err) {
        log.error({ control: `${c.address}#${c.port}`, err: err instanceof Error ? err.message : String(err) }, 'cannot open command channel');
      }
    }
  }
  return async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
    await unregister();
  };
}

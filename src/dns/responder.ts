// The answer pipeline of the DNS service: one query message in, one response (or,
// for a zone transfer, a stream of them) out, the way BIND 9.18 answers as an
// authoritative server and, with `recursion yes`, as a caching resolver. Pure: no
// sockets here (server.ts owns those). The stages, in order:
//
//   parse (message.ts) → response cache lookup (answer-cache.ts)
//     → policy (policy.ts: admission — blackhole — first of all, even before the
//       cache; then header and opcode rules)
//     → sources (sources.ts: UPDATE/NOTIFY, zone transfer, CHAOS, authoritative
//       data, resolver; each answers or passes on; nobody answering is REFUSED)
//     → render (render.ts: EDNS, cookies, truncation) → response cache
//
// An exception inside the pipeline is a bug: it is logged with its stack (fault-log.ts,
// rate-limited), counted as an internal error (not as malformed input) and answered SERVFAIL.
//
// API:
//   const r = new Responder(view, { hostname });
//   r.respond(queryBytes, { address, port, transport }) → response bytes, or null to drop
//   r.stats → { queries, malformed, internalErrors, byRcode, cacheHits, fastHits }
// A Responder is immutable with respect to its view; on reload build a new one
// (that also drops the answer cache) and hand it to the server (setResponder).
//
// Speed: the common query shape is looked up in the response cache straight from
// its bytes, before parsing (answer-cache.ts fastKey). A hit copies the bytes,
// patches the ID (and, with a COOKIE, the cookie; with recursion, RA); allow-query
// is still checked per client on every hit.

import { hostname as osHostname } from 'node:os';
import { parseQuery, RCODE, RCODE_NAMES, EDNS_OPT_COOKIE, OPCODE_QUERY, type QueryParse } from './message.js';
import { echoedFlags, echoesQuestion, questionlessRcode, raMayBeSet } from './reply-policy.js';
import { ADMISSION, headerPolicy, type Admission } from './policy.js';
import { AnswerCache, fastKey, parsedKey, patchTtls, ttlOffsets, type CacheEntry, type CacheKey } from './answer-cache.js';
import { Renderer } from './render.js';
import { FaultLog } from './fault-log.js';
import { TsigStage, maySign, type TsigSigning, type TsigVerdict } from './tsig-stage.js';
import { SOURCES } from './sources.js';
import type { RrlStage } from './rrl-stage.js';
import { errorReply, type AddressMatcher, type ClientInfo, type DataReply, type DropReply, type ErrorReply, type Handler, type QueryContext, type RecursiveResolver,
  type Reply, type ServingView, type Source, type SourceEnv } from './pipeline.js';
import { ZoneTable } from './zone-table.js';
import { emptyZone, type Zone } from './zone.js';
import { CLASS_IN, T } from '../wire/rr-type.js';
import { loggable, queryLogLine } from './query-log.js';

export type { AddressMatcher, ClientInfo, RecursiveResolver, ServingView } from './pipeline.js';

export interface ResponderStats {
  queries: number;
  /** Packets that could not be read as a query (dropped, or answered FORMERR). */
  malformed: number;
  /** Queries that hit a bug in the pipeline (answered SERVFAIL and logged). */
  internalErrors: number;
  byRcode: Record<string, number>;
  /** Answers copied from the response cache (fast path or full parse). */
  cacheHits?: number;
  /** rate-limit: responses dropped, and sent as an empty truncated slip instead. */
  rateDropped?: number;
  rateSlipped?: number;
}

/** Returned by respond() when the answer will come later, through its callback (recursion). */
export const DEFERRED: Uint8Array = new Uint8Array(0);

export interface ResponderOptions {
  /** Answers names outside our zones when the view has recursion on. */
  resolver?: RecursiveResolver;
  /** hostname.bind CH TXT; defaults to os.hostname(). */
  hostname?: string;
  /** Maximum number of cached encoded responses (default 20000). */
  cacheSize?: number;
  /** Secret for server cookies (RFC 7873); random by default. */
  cookieSecret?: Uint8Array;
  /** Clock in seconds, for cookie timestamps (tests). */
  now?: () => number;
  /** Clock in milliseconds for the response cache's expiry and TTLs (tests; the resolver's cache must share it). */
  clock?: () => number;
  /** Where internal errors are logged (one per process, so its rate limit outlives reloads); none by default. */
  faults?: FaultLog;
  /** The sources, in order; sources.ts SOURCES by default (tests add their own). */
  sources?: readonly Source[];
  /** The admission checks; policy.ts ADMISSION by default. */
  admission?: readonly Admission[];
  /** `rate-limit`: the last stage before a response leaves (rrl-stage.ts); none costs nothing. */
  rrl?: RrlStage;
}

export class Responder {
  readonly view: ServingView;
  readonly stats: ResponderStats & { cacheHits: number; fastHits: number } = { queries: 0, malformed: 0, internalErrors: 0, byRcode: {}, cacheHits: 0, fastHits: 0 };
  /** The sources that have something to do in this view, in order. */
  readonly handlers: readonly Handler[];
  /** Clients these match get no answer (admission checks that apply in this view). */
  private readonly drop: AddressMatcher[];
  private readonly cache: AnswerCache;
  private readonly clock: () => number;
  private readonly renderer: Renderer;
  private readonly faults: FaultLog;
  /** allow-recursion when recursion is on: decides the RA bit per client (RFC 1035 §4.1.1). */
  private readonly ra: AddressMatcher | undefined;
  /** Verifies signed requests and signs their answers (tsig-stage.ts). */
  private readonly tsig: TsigStage;
  /** Response-rate limiting, when the view has `rate-limit`. */
  readonly rrl: RrlStage | undefined;

  constructor(view: ServingView, opts: ResponderOptions = {}) {
    this.view = view;
    // A zone that did not load still owns its names: a placeholder in the table
    // answers SERVFAIL for them, while zones below it that loaded serve as usual.
    const unloaded = new Set<Zone>();
    for (const origin of view.notLoaded ?? []) unloaded.add(emptyZone(origin, CLASS_IN));
    const zones = new ZoneTable([...view.zones.filter((z) => z.class === CLASS_IN), ...unloaded]);
    const resolver = view.recursion ? opts.resolver : undefined;
    this.ra = resolver ? memoMatcher(view.allowRecursion ?? (() => false)) : undefined;
    const env: SourceEnv = {
      view, zones, unloaded, hostname: opts.hostname ?? osHostname(), resolver, allowRecursion: this.ra,
      allowQueryCache: resolver ? (view.allowQueryCache ? memoMatcher(view.allowQueryCache) : this.ra) : undefined,
    };
    this.handlers = (opts.sources ?? SOURCES).map((s) => s(env)).filter((h): h is Handler => h !== undefined);
    this.drop = (opts.admission ?? ADMISSION).map((a) => a(view)).filter((m): m is AddressMatcher => m !== undefined);
    this.clock = opts.clock ?? Date.now;
    this.cache = new AnswerCache(opts.cacheSize ?? 20000, this.clock);
    const clock = opts.now ?? (() => Math.floor(Date.now() / 1000));
    this.renderer = new Renderer(view.udpSize, opts.cookieSecret ?? crypto.getRandomValues(new Uint8Array(16)), clock);
    this.tsig = new TsigStage(view.tsigKeys ?? [], clock);
    this.faults = opts.faults ?? new FaultLog(undefined);
    this.rrl = opts.rrl;
  }

  private count(rcode: number): void {
    const k = RCODE_NAMES[rcode] ?? String(rcode);
    this.stats.byRcode[k] = (this.stats.byRcode[k] ?? 0) + 1;
  }

  /** Whether an admission check (blackhole…) drops this client. */
  private dropped(address: string): boolean {
    for (let i = 0; i < this.drop.length; i++) if (this.drop[i](address)) return true;
    return false;
  }

  /** RA is set exactly when recursion is available to this client (BIND). */
  private setRa(out: Uint8Array, client: ClientInfo): void {
    if (this.ra && out.length > 3) out[3] = this.ra(client.address) ? out[3] | 0x80 : out[3] & 0x7f;
  }

  /**
   * The query-log line for this request (query-log.ts), or undefined where BIND logs
   * nothing: a dropped client, a message that is not a well-formed QUERY, an EDNS
   * version it answers BADVERS, a TSIG that does not verify.
   */
  queryLogLine(msg: Uint8Array, client: ClientInfo, view?: string): string | undefined {
    if (this.dropped(client.address)) return undefined;
    const p = parseQuery(msg);
    if (p.kind !== 'ok' || !loggable(p.query)) return undefined;
    let signer: string | undefined;
    if (maySign(msg)) {
      const v = this.tsig.check(msg);
      if (v.kind === 'reject') return undefined;
      if (v.kind === 'signed') signer = v.keyName;
    }
    const c = p.query.cookie;
    return queryLogLine(p.query, client, { signer, view, cookie: c ? (this.renderer.cookieValid(c, client.address) ? 'valid' : 'client') : undefined });
  }

  /**
   * Answers one query; null means drop it (unusable header, a response, or a
   * blackholed client). A name answered by recursion returns DEFERRED and the
   * answer goes to `later` when it is ready (without `later`: null). Never throws.
   */
  respond(msg: Uint8Array, client: ClientInfo, later?: (out: Uint8Array | null, client: ClientInfo) => void): Uint8Array | null {
    const rrl = this.rrl;
    if (!rrl) return this.respondOne(msg, client, later);
    const out = this.respondOne(msg, client, later && ((b, c) => later(b && this.limit(rrl, b, c), c)));
    return out && out !== DEFERRED ? this.limit(rrl, out, client) : out;
  }

  /** The rate-limit stage, counted. */
  private limit(rrl: RrlStage, out: Uint8Array, client: ClientInfo): Uint8Array | null {
    const r = rrl.apply(out, client);
    if (r === null) this.stats.rateDropped = (this.stats.rateDropped ?? 0) + 1;
    else if (r !== out) this.stats.rateSlipped = (this.stats.rateSlipped ?? 0) + 1;
    return r;
  }

  /** respond() before the rate limiter. */
  private respondOne(msg: Uint8Array, client: ClientInfo, later?: (out: Uint8Array | null, client: ClientInfo) => void): Uint8Array | null {
    if (this.dropped(client.address)) return null;
    this.stats.queries++;
    const key = fastKey(msg, client.transport === 'tcp' ? 65535 : 0, this.view.udpSize, client.address.includes(':') ? 6 : 4);
    if (key !== undefined) {
      const hit = this.cache.get(key, client.address);
      if (hit && hit.cookieAt < 0) {
        this.stats.cacheHits++;
        this.stats.fastHits++;
        this.count(hit.rcode);
        const out = Buffer.allocUnsafe(hit.bytes.length);
        out.set(hit.bytes);
        if (hit.ttlAt !== undefined) patchTtls(out, hit, this.cache.now);
        out[0] = msg[0];
        out[1] = msg[1];
        if (this.ra && !hit.noRa) this.setRa(out, client);
        return out;
      }
    }
    try {
      // A signed request (RFC 8945) takes its own path: verified, never cached, answered signed.
      if (maySign(msg)) {
        const v = this.tsig.check(msg);
        if (v.kind !== 'unsigned') return this.signedRequest(v, client, later);
      }
      const out = this.answer(msg, client);
      if (out instanceof Promise) {
        if (!later) return null;
        void out.then((b) => later(b, client));
        return DEFERRED;
      }
      return out;
    } catch (err) {
      return this.internalError(err, msg, client);
    }
  }

  /**
   * Answers a message that came over TCP: one response, or for AXFR/IXFR the
   * whole stream of messages (RFC 5936 §2.2). Null means drop. Never throws.
   */
  respondTcp(msg: Uint8Array, client: ClientInfo, later?: (outs: Uint8Array[] | null, client: ClientInfo) => void): Uint8Array[] | null {
    // Only a question of type AXFR/IXFR (class IN) needs the stream path.
    let i = 12;
    while (i < msg.length && msg[i] !== 0 && msg[i] < 64) i += msg[i] + 1;
    const qtype = i + 2 < msg.length ? (msg[i + 1] << 8) | msg[i + 2] : 0;
    if (qtype === T.AXFR || qtype === T.IXFR) {
      if (this.dropped(client.address)) return null;
      try {
        // A signed transfer goes on without its TSIG, for its key; a refused one is answered below, by respond().
        let signing: TsigSigning | undefined;
        let m = msg;
        let c = client;
        let refused = false;
        if (maySign(msg)) {
          const v = this.tsig.check(msg);
          if (v.kind === 'signed') {
            signing = v.signing;
            m = v.msg;
            c = { ...client, key: v.keyName };
          } else if (v.kind === 'reject') {
            refused = true;
          }
        }
        const p = parseQuery(m);
        const t = p.kind === 'ok' ? p.query.question.type : 0;
        if (!refused && p.kind === 'ok' && (t === T.AXFR || t === T.IXFR) && p.query.opcode === OPCODE_QUERY && p.query.question.class === CLASS_IN &&
          (p.query.edns === undefined || p.query.edns.version === 0)) {
          this.stats.queries++;
          const ctx: QueryContext = { q: p.query, msg: m, client: c, stream: true };
          const r = this.decide(ctx);
          if (r.kind === 'stream') {
            const outs = this.renderer.stream(ctx.q, r.records, client.address);
            this.count(RCODE.NOERROR);
            if (!signing) return outs;
            // RFC 8945 §5.3.1: each message signed, chained to the one before.
            const s = signing.stream();
            return outs.map((o, i) => s.sign(o, i === outs.length - 1));
          }
          if (r.kind === 'drop') return null;
          if (r.kind === 'later') throw new Error('a source answered a zone transfer asynchronously');
          const one = this.finish(ctx, r, undefined);
          return [signing ? signing.sign(one) : one];
        }
      } catch (err) {
        const out = this.internalError(err, msg, client);
        return out ? [out] : null;
      }
    }
    const one = this.respond(msg, client, later ? (b, c) => later(b ? [b] : null, c) : undefined);
    if (one === DEFERRED) return [DEFERRED];
    return one ? [one] : null;
  }

  /**
   * The full path: parse, response cache, policy, sources, render, cache. With
   * `signing` (a verified signed request) the response cache is left out and the
   * answer leaves room for the TSIG; the caller signs it.
   */
  private answer(msg: Uint8Array, client: ClientInfo, signing?: TsigSigning): Uint8Array | null | Promise<Uint8Array | null> {
    const p = parseQuery(msg);
    if (p.kind === 'drop') {
      this.stats.malformed++;
      return null;
    }
    if (p.kind === 'formerr') return this.unusable(p, client);
    const q = p.query;
    let key: CacheKey | undefined;
    if (!signing) {
      key = parsedKey(msg, q, this.renderer.limit(client.transport, q.edns), client.address);
      const hit = this.cache.get(key, client.address);
      if (hit) return this.fromCache(hit, msg, q.cookie, client);
    }
    const ctx: QueryContext = { q, msg, client, stream: false, reserve: signing?.reserve };
    const r = this.decide(ctx);
    if (r.kind === 'drop') return null;
    if (r.kind === 'later') return this.finishLater(ctx, r.reply);
    if (r.kind === 'stream') throw new Error('a source answered with a stream outside a zone transfer');
    return this.finish(ctx, r, key);
  }

  /**
   * A request with a TSIG (tsig-stage.ts): refused ones get their error answer
   * (NOTAUTH with BADKEY/BADSIG/BADTIME/BADTRUNC, or FORMERR); verified ones are
   * answered for their key and the answer signed.
   */
  private signedRequest(v: Exclude<TsigVerdict, { kind: 'unsigned' }>, client: ClientInfo,
    later?: (out: Uint8Array | null, client: ClientInfo) => void): Uint8Array | null {
    if (v.kind === 'reject') {
      if (v.keyName !== undefined) this.faults.tsig(client, v.keyName, v.error ?? v.reason);
      const p = parseQuery(v.msg);
      if (p.kind === 'drop') return null;
      const id = p.kind === 'ok' ? p.query.id : p.id;
      const flags = p.kind === 'ok' ? p.query.flags : p.flags;
      const opcode = (flags >> 11) & 0xf;
      const question = p.kind === 'ok' ? p.query.question : p.question;
      const edns = v.bare ? undefined : p.kind === 'ok' ? p.query.edns : p.edns;
      if (v.rcode === RCODE.FORMERR) this.stats.malformed++;
      this.count(v.rcode);
      const out = this.renderer.simple(id, flags, v.rcode, echoesQuestion(opcode) ? question : undefined, edns, undefined, client.address, echoedFlags(opcode, flags));
      return v.finish(out);
    }
    const signed = { ...client, key: v.keyName };
    const out = this.answer(v.msg, signed, v.signing);
    if (out instanceof Promise) {
      if (!later) return null;
      void out.then((b) => later(b && v.signing.sign(b), client));
      return DEFERRED;
    }
    return out && v.signing.sign(out);
  }

  private fromCache(hit: CacheEntry, msg: Uint8Array, cookie: Uint8Array | undefined, client: ClientInfo): Uint8Array {
    this.stats.cacheHits++;
    this.count(hit.rcode);
    const out = Uint8Array.from(hit.bytes);
    if (hit.ttlAt !== undefined) patchTtls(out, hit, this.cache.now);
    out[0] = msg[0];
    out[1] = msg[1];
    if (hit.cookieAt >= 0 && cookie) this.renderer.writeCookie(out, hit.cookieAt - 8, cookie, client.address);
    if (this.ra && !hit.noRa) this.setRa(out, client);
    return out;
  }

  /** Policy, then the sources in order; a query nobody answers is REFUSED (BIND with recursion off). */
  private decide(ctx: QueryContext): Reply {
    const denied = headerPolicy(ctx.q);
    if (denied) return denied;
    for (const h of this.handlers) {
      const r = h.answer(ctx);
      if (r !== undefined) return r;
    }
    return errorReply(RCODE.REFUSED, ctx.q.question, echoedFlags(ctx.q.opcode, ctx.q.flags));
  }

  /** The render stage, then RA, the response cache (when `key` is given) and the counters. */
  private finish(ctx: QueryContext, r: ErrorReply | DataReply, key: CacheKey | undefined): Uint8Array {
    const { q, client } = ctx;
    const cookie = q.edns ? q.cookie : undefined;
    let bytes: Uint8Array;
    let cookieAt = -1;
    let rcode: number;
    let cacheable: boolean;
    if (r.kind === 'error') {
      const edns = r.bareOpt && q.edns ? { ...q.edns, options: [] } : q.edns;
      bytes = this.renderer.simple(q.id, q.flags, r.rcode, r.question, edns, r.ede, client.address, r.flags);
      rcode = r.rcode;
      // The cookie's place in a record-less answer is not tracked, so those are not reused.
      cacheable = !r.noCache && !cookie;
    } else {
      const out = this.renderer.answer(q, r.answer, this.renderer.limit(client.transport, q.edns) - (ctx.reserve ?? 0), cookie, client.address, r.expire,
        ctx.reserve !== undefined);
      bytes = out.bytes;
      cookieAt = out.cookieAt;
      rcode = r.answer.rcode;
      cacheable = !r.noCache;
    }
    const noRa = r.noRa === true || !raMayBeSet(q.opcode, q.question.class, q.edns?.version ?? 0);
    if (this.ra && !noRa) this.setRa(bytes, client);
    if (key !== undefined && cacheable) this.keep(key, r, bytes, cookieAt, rcode, noRa);
    this.count(rcode);
    return bytes;
  }

  /**
   * Puts a response in the response cache. An answer from the resolver's cache with
   * `ttls` is kept until its first record expires, its TTLs rewritten on each reuse.
   */
  private keep(key: CacheKey, r: ErrorReply | DataReply, bytes: Uint8Array, cookieAt: number, rcode: number, noRa: boolean): void {
    // Every entry has the same fields, so the hit path sees one object shape.
    const e: CacheEntry = { bytes, acl: r.acl, cookieAt, rcode, expires: undefined, noRa, ttlAt: undefined, ttlUntil: undefined, recheck: undefined, checkAt: undefined };
    if (r.kind === 'data') {
      e.expires = r.expires;
      if (r.ttls !== undefined && r.recheck !== undefined) {
        const at = ttlOffsets(bytes);
        // Never expected: a message we cannot walk, or more records than TTLs, is not kept.
        if (at === undefined || at.length > r.ttls.length) return;
        // Exact-size copies: a pushed array keeps room to grow, and these live as long as the entry.
        e.ttlAt = at.slice();
        e.ttlUntil = r.ttls.slice(0, at.length);
        e.recheck = r.recheck;
        e.checkAt = this.clock() + 1000;
      }
    }
    this.cache.set(key, e);
  }

  /** A reply that comes later (recursion): rendered like the others, never cached. */
  private async finishLater(ctx: QueryContext, reply: Promise<ErrorReply | DataReply | DropReply>): Promise<Uint8Array | null> {
    try {
      const r = await reply;
      if (r.kind === 'drop') return null;
      return this.finish(ctx, r, undefined);
    } catch (err) {
      return this.internalError(err, ctx.msg, ctx.client);
    }
  }

  /**
   * A query that cannot be answered as asked (reply-policy.ts): a parse error is
   * FORMERR (with an OPT only when the EDNS part was read); a message that parsed
   * but has no question is checked for EDNS first (BADVERS), then gets NOTIMP
   * (opcodes we do not implement), SERVFAIL (a QUERY holding other records),
   * NOERROR (a COOKIE refresh) or FORMERR, with its OPT.
   */
  private unusable(p: QueryParse & { kind: 'formerr' }, client: ClientInfo): Uint8Array {
    const keep = echoedFlags(p.opcode, p.flags);
    const question = echoesQuestion(p.opcode) ? p.question : undefined;
    let rcode: number = RCODE.FORMERR;
    let edns = p.edns;
    if (p.questionless && edns && edns.version !== 0) {
      rcode = RCODE.BADVERS;
      edns = { ...edns, options: [] };
    } else if (p.questionless) {
      const cookie = edns?.options.some((o) => o.code === EDNS_OPT_COOKIE) === true;
      rcode = questionlessRcode(p.opcode, cookie, p.records ?? 0);
    }
    if (rcode === RCODE.FORMERR) this.stats.malformed++;
    this.count(rcode);
    return this.renderer.simple(p.id, p.flags, rcode, question, edns, undefined, client.address, keep);
  }

  /**
   * An exception inside the pipeline: a bug, not bad input. Logged (rate-limited),
   * counted apart from malformed packets, and answered SERVFAIL (RFC 1035 §4.1.1:
   * the server could not process the query) with what can still be read of it.
   */
  private internalError(err: unknown, msg: Uint8Array, client: ClientInfo): Uint8Array | null {
    this.stats.internalErrors++;
    this.faults.report(err, client);
    try {
      let p: QueryParse | undefined;
      try {
        p = parseQuery(msg);
      } catch {
        p = undefined;
      }
      if (p?.kind === 'drop' || msg.length < 12 || (msg[2] & 0x80) !== 0) return null;
      const q = p?.kind === 'ok' ? p.query : undefined;
      const flags = (msg[2] << 8) | msg[3];
      const opcode = (flags >> 11) & 0xf;
      const edns = q?.edns && q.edns.version === 0 ? q.edns : undefined;
      const out = this.renderer.simple((msg[0] << 8) | msg[1], flags, RCODE.SERVFAIL, q && echoesQuestion(opcode) ? q.question : undefined, edns,
        undefined, client.address, echoedFlags(opcode, flags));
      this.count(RCODE.SERVFAIL);
      return out;
    } catch {
      return null;
    }
  }
}

/**
 * Remembers a matcher's verdict per client address: recursion ACLs are consulted
 * on every cache hit, and a LAN has few clients, so this saves parsing the
 * address each time. Bounded: the memo is dropped when it grows large.
 */
function memoMatcher(m: AddressMatcher): AddressMatcher {
  let memo = new Map<string, boolean>();
  return (address: string, key?: string): boolean => {
    // Signed requests are few; their verdict depends on the key too.
    if (key !== undefined) return m(address, key);
    let v = memo.get(address);
    if (v === undefined) {
      v = m(address);
      if (memo.size >= 4096) memo = new Map();
      memo.set(address, v);
    }
    return v;
  };
}

/** Convenience: one-off answer without keeping a Responder (tests). */
export function respond(view: ServingView, query: Uint8Array, client: ClientInfo): Uint8Array | null {
  return new Responder(view).respond(query, client);
}

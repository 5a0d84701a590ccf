// Turns one query message into one response message, the way BIND 9.18 does for
// an authoritative-only server. Pure: no sockets here (server.ts owns those).
//
// API:
//   const r = new Responder(view, { hostname });
//   r.respond(queryBytes, { address, port, transport }) → response bytes, or null to drop
//   r.stats → { queries, malformed, byRcode }
// A Responder is immutable with respect to its view; on reload build a new one
// (that also drops the answer cache) and hand it to the server (setResponder).
//
// Speed: encoded responses are cached per (question bytes exactly as received,
// the query flags that shape the answer, EDNS size bucket/DO/cookie, transport).
// A hit copies the bytes, patches the ID and, when the client sent a COOKIE, the
// cookie; allow-query is still checked per client on every hit.

import { hostname as osHostname } from 'node:os';
import {
  parseQuery, decodeMessage, MessageWriter, WriteOverflow, RCODE, RCODE_NAMES, FLAG_QR, FLAG_AA, FLAG_TC, FLAG_RD, FLAG_AD, FLAG_CD,
  OPCODE_QUERY, OPCODE_NOTIFY, OPCODE_UPDATE, EDNS_OPT_COOKIE, EDNS_OPT_ECS, EDNS_OPT_EDE, EDNS_OPT_EXPIRE, type ParsedQuery, type Question, type Edns,
  type QueryParse,
} from './message.js';
import { echoedFlags, echoesQuestion, metaTypeRcode, opcodeImplemented, questionlessRcode, raMayBeSet } from './reply-policy.js';
import { answerFromZone, type AuthorityAnswer, type SectionRRset } from './authority.js';
import { ZoneTable } from './zone-table.js';
import { buildZone, emptyZone, type Zone } from './zone.js';
import { nameKey, parentName, parseName } from './name.js';
import { CLASS_CH, CLASS_IN, T, type ResourceRecord } from './rr.js';
import type { Resolution } from './resolver.js';

export interface ClientInfo {
  /** Source address as text, IPv4-mapped prefix removed. */
  address: string;
  port: number;
  transport: 'udp' | 'tcp';
}

/** Decides whether a client address is allowed (built from a BIND address-match list). */
export type AddressMatcher = (address: string) => boolean;

export interface ServingView {
  zones: Zone[];
  /**
   * Origins of configured zones whose file did not load and that have no earlier
   * data: queries they are the closest zone for get SERVFAIL, as named answers a
   * zone "not loaded due to errors" (no fallback to recursion).
   */
  notLoaded?: Uint8Array[];
  /** options { allow-query }; BIND's default is any. */
  allowQuery: AddressMatcher;
  /** zone { allow-query }, keyed by nameKey(zone.origin); overrides allowQuery for that zone. */
  zoneAllowQuery: Map<string, AddressMatcher>;
  /** options { recursion }: this issue serves authoritative-only (recursion no). */
  recursion: boolean;
  /** options { version } for version.bind CH TXT; undefined is `version none` (BIND then answers NODATA). */
  version?: string;
  /** Our EDNS UDP payload size (BIND 9.18 default 1232). */
  udpSize: number;
  /** recursion yes: who may have names resolved (BIND allow-recursion; default localnets + localhost). */
  allowRecursion?: AddressMatcher;
  /** Who may read the cache (BIND allow-query-cache; defaults to allow-recursion). */
  allowQueryCache?: AddressMatcher;
  /** options { blackhole }: dropped without an answer. */
  blackhole?: AddressMatcher;
  /**
   * options { allow-transfer } and zone { allow-transfer } (keyed by nameKey of the
   * origin) for AXFR/IXFR over TCP. When neither gives a matcher for a zone,
   * transfers of it are refused (safe default until the configuration says who may).
   */
  allowTransfer?: AddressMatcher;
  zoneAllowTransfer?: Map<string, AddressMatcher>;
  /** options { minimal-responses }; BIND 9.18's default is no-auth-recursive. */
  minimalResponses?: 'yes' | 'no' | 'no-auth' | 'no-auth-recursive';
}

export interface ResponderStats {
  queries: number;
  malformed: number;
  byRcode: Record<string, number>;
  /** Answers copied from the response cache (fast path or full parse). */
  cacheHits?: number;
}

/** Returned by respond() when the answer will come later, through its callback (recursion). */
export const DEFERRED: Uint8Array = new Uint8Array(0);

/** The caching resolver as the responder sees it (src/dns/resolver.ts Resolver). */
export interface RecursiveResolver {
  resolve(q: Question): Promise<Resolution>;
  fromCache(q: Question): Resolution | undefined;
  /** The closest cached delegation, for non-recursive queries the cache cannot answer. */
  delegationFromCache?(name: Uint8Array, cls: number): { ns: SectionRRset; glue: SectionRRset[] } | undefined;
}

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
}

interface CacheEntry {
  bytes: Uint8Array;
  /** allow-query that applied when the entry was made; undefined when the answer needs none. */
  acl?: AddressMatcher;
  /** Offset of the 16-octet server cookie, when the response carries one. */
  cookieAt: number;
  rcode: number;
  /** Answers from the resolver's cache are reused for at most a second (ms clock), so TTLs keep counting down. */
  expires?: number;
  /** The answer never carries RA (reply-policy.ts raMayBeSet). */
  noRa?: boolean;
}

const MAX_UDP_NO_EDNS = 512; // RFC 1035 §4.2.1
const OPT_FIXED = 11; // root name + type + class + ttl + rdlength

/** One CH zone of BIND's built-in `_bind` view (version.bind, hostname.bind, id.server). */
function chaosZone(origin: string, txt: string | undefined): Zone {
  const o = parseName(origin);
  const soa = concat(o, parseName('hostmaster.' + origin), u32s([0, 28800, 7200, 604800, 86400]));
  const records: ResourceRecord[] = [
    { owner: o, type: T.SOA, class: CLASS_CH, ttl: 86400, rdata: soa },
    { owner: o, type: T.NS, class: CLASS_CH, ttl: 0, rdata: o },
  ];
  if (txt !== undefined) {
    const b = Buffer.from(txt, 'latin1').subarray(0, 255);
    records.push({ owner: o, type: T.TXT, class: CLASS_CH, ttl: 0, rdata: concat(Uint8Array.of(b.length), b) });
  }
  return buildZone(o, CLASS_CH, records, 0);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function u32s(vals: number[]): Uint8Array {
  const out = new Uint8Array(vals.length * 4);
  vals.forEach((v, i) => new DataView(out.buffer).setUint32(i * 4, v));
  return out;
}

export class Responder {
  readonly view: ServingView;
  readonly stats: ResponderStats & { cacheHits: number; fastHits: number } = { queries: 0, malformed: 0, byRcode: {}, cacheHits: 0, fastHits: 0 };
  private readonly table: ZoneTable;
  /** Placeholders in `table` for the view's notLoaded zones. */
  private readonly unloaded = new Set<Zone>();
  private readonly chaos: ZoneTable;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly cacheSize: number;
  private readonly secret: Uint8Array;
  private readonly now: () => number;
  private readonly resolver: RecursiveResolver | undefined;
  /** allow-recursion when recursion is on: decides the RA bit per client (RFC 1035 §4.1.1). */
  private readonly ra: AddressMatcher | undefined;
  /** allow-query-cache (defaulting to allow-recursion), memoized like `ra`. */
  private readonly cacheAcl: AddressMatcher | undefined;
  private readonly scratch = new Uint8Array(65535);

  constructor(view: ServingView, opts: ResponderOptions = {}) {
    this.view = view;
    // A zone that did not load still owns its names: a placeholder in the table
    // answers SERVFAIL for them, while zones below it that loaded serve as usual.
    for (const origin of view.notLoaded ?? []) this.unloaded.add(emptyZone(origin, CLASS_IN));
    this.table = new ZoneTable([...view.zones.filter((z) => z.class === CLASS_IN), ...this.unloaded]);
    const ch = [chaosZone('hostname.bind.', opts.hostname ?? osHostname()), chaosZone('id.server.', undefined),
      chaosZone('version.bind.', view.version)];
    this.chaos = new ZoneTable(ch);
    this.cacheSize = opts.cacheSize ?? 20000;
    this.secret = opts.cookieSecret ?? crypto.getRandomValues(new Uint8Array(16));
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    this.resolver = view.recursion ? opts.resolver : undefined;
    this.ra = this.resolver ? memoMatcher(view.allowRecursion ?? (() => false)) : undefined;
    this.cacheAcl = this.resolver ? (view.allowQueryCache ? memoMatcher(view.allowQueryCache) : this.ra) : undefined;
  }

  private count(rcode: number): void {
    const k = RCODE_NAMES[rcode] ?? String(rcode);
    this.stats.byRcode[k] = (this.stats.byRcode[k] ?? 0) + 1;
  }

  /** RA is set exactly when recursion is available to this client (BIND). */
  private setRa(out: Uint8Array, client: ClientInfo): void {
    if (this.ra && out.length > 3) out[3] = this.ra(client.address) ? out[3] | 0x80 : out[3] & 0x7f;
  }

  /**
   * Answers one query; null means drop it (unusable header, a response, or a
   * blackholed client). A name answered by recursion returns DEFERRED and the
   * answer goes to `later` when it is ready (without `later`: null). Never throws.
   */
  respond(msg: Uint8Array, client: ClientInfo, later?: (out: Uint8Array | null, client: ClientInfo) => void): Uint8Array | null {
    if (this.view.blackhole && this.view.blackhole(client.address)) return null;
    this.stats.queries++;
    const key = fastKey(msg, client.transport === 'tcp' ? 65535 : 0, this.view.udpSize, client.address.includes(':') ? 6 : 4);
    if (key !== undefined) {
      const hit = this.cache.get(key);
      if (hit && hit.cookieAt < 0 && (hit.expires === undefined || hit.expires > Date.now()) && (!hit.acl || hit.acl(client.address))) {
        this.stats.cacheHits++;
        this.stats.fastHits++;
        this.count(hit.rcode);
        const out = Buffer.allocUnsafe(hit.bytes.length);
        out.set(hit.bytes);
        out[0] = msg[0];
        out[1] = msg[1];
        if (this.ra && !hit.noRa) this.setRa(out, client);
        return out;
      }
    }
    try {
      const out = this.respondInner(msg, client);
      if (out instanceof Promise) {
        if (!later) return null;
        void out.then((b) => later(b, client));
        return DEFERRED;
      }
      return out;
    } catch {
      // A bug must not take the server down; count it and say nothing.
      this.stats.malformed++;
      return null;
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
      try {
        const p = parseQuery(msg);
        const t = p.kind === 'ok' ? p.query.question.type : 0;
        if (p.kind === 'ok' && (t === T.AXFR || t === T.IXFR) && p.query.opcode === OPCODE_QUERY && p.query.question.class === CLASS_IN &&
          (p.query.edns === undefined || p.query.edns.version === 0)) {
          this.stats.queries++;
          return this.transfer(p.query, msg, client);
        }
      } catch {
        this.stats.malformed++;
        return null;
      }
    }
    const one = this.respond(msg, client, later ? (b, c) => later(b ? [b] : null, c) : undefined);
    if (one === DEFERRED) return [DEFERRED];
    return one ? [one] : null;
  }

  /**
   * IXFR over UDP (RFC 1995 §2): the current SOA alone tells the client to come
   * back over TCP. As BIND 9.18: FORMERR without the client's SOA, NOTAUTH for a
   * name that is no zone apex of ours, REFUSED outside allow-transfer, no AA.
   */
  private udpIxfr(q: ParsedQuery, msg: Uint8Array, client: ClientInfo): Uint8Array {
    const question = q.question;
    const single = (rcode: number): Uint8Array => {
      this.count(rcode);
      return this.simple(q.id, q.flags, rcode, question, q.edns, undefined, client, echoedFlags(q.opcode, q.flags));
    };
    const d = decodeMessage(msg);
    if (typeof d === 'string' || !d.authorities.some((r) => r.type === T.SOA)) return single(RCODE.FORMERR);
    const zone = this.table.find(question.name);
    if (!zone || nameKey(zone.origin) !== nameKey(question.name)) return single(RCODE.NOTAUTH);
    const acl = this.view.zoneAllowTransfer?.get(nameKey(zone.origin)) ?? this.view.allowTransfer;
    if (!acl || !acl(client.address)) return single(RCODE.REFUSED);
    const apex = zone.nodes.get(nameKey(zone.origin));
    const soa = apex?.rrsets.get(T.SOA);
    if (!apex || !soa) return single(RCODE.SERVFAIL);
    const ans: AuthorityAnswer = { rcode: RCODE.NOERROR, aa: false, answer: [{ owner: apex.name, type: T.SOA, class: soa.class, ttl: soa.ttl, rdatas: [soa.rdatas[0]] }],
      authority: [], additional: [] };
    this.count(RCODE.NOERROR);
    return this.render(q, ans, this.udpLimit(q.edns), q.edns ? q.cookie : undefined, client.address).bytes;
  }

  /** AXFR (RFC 5936) and IXFR answered with the whole zone or, when current, its SOA (RFC 1995 §4). */
  private transfer(q: ParsedQuery, msg: Uint8Array, client: ClientInfo): Uint8Array[] {
    const question = q.question;
    const keep = q.flags & (FLAG_RD | FLAG_CD);
    const zone = this.table.find(question.name);
    const single = (rcode: number): Uint8Array[] => {
      this.count(rcode);
      return [this.simple(q.id, q.flags, rcode, question, q.edns, undefined, client, 0)];
    };
    // BIND: a name that is not the apex of one of our zones gets NOTAUTH.
    if (!zone || nameKey(zone.origin) !== nameKey(question.name)) return single(RCODE.NOTAUTH);
    if (this.unloaded.has(zone)) return single(RCODE.SERVFAIL);
    const key = nameKey(zone.origin);
    const acl = this.view.zoneAllowTransfer?.get(key) ?? this.view.allowTransfer;
    if (!acl || !acl(client.address)) return single(RCODE.REFUSED);
    const apex = zone.nodes.get(key);
    const soa = apex?.rrsets.get(T.SOA);
    if (!apex || !soa) return single(RCODE.SERVFAIL);
    const records: SectionRRset[] = [];
    const soaSet: SectionRRset = { owner: apex.name, type: T.SOA, class: soa.class, ttl: soa.ttl, rdatas: [soa.rdatas[0]] };
    let full = true;
    if (question.type === T.IXFR) {
      // RFC 1995 §3: the client's SOA sits in the authority section.
      const d = decodeMessage(msg);
      const theirs = typeof d === 'string' ? undefined : d.authorities.find((r) => r.type === T.SOA);
      if (!theirs) return single(RCODE.FORMERR);
      const serial = readSerial(theirs.rdata);
      // RFC 1982 serial arithmetic: theirs >= ours means nothing to send but the SOA.
      if (serial !== undefined && ((zone.serial - serial) | 0) <= 0) full = false;
    }
    records.push(soaSet);
    if (full) {
      for (const node of zone.nodes.values()) {
        for (const set of node.rrsets.values()) {
          if (node === apex && set.type === T.SOA) continue;
          records.push({ owner: node.name, type: set.type, class: set.class, ttl: set.ttl, rdatas: set.rdatas });
        }
      }
      records.push(soaSet);
    }
    // Messages of at most BIND's transfer-message-size (20480 octets), question and OPT in the first.
    const out: Uint8Array[] = [];
    const LIMIT = 20480;
    let w: MessageWriter | undefined;
    let count = 0;
    const finish = (): void => {
      if (!w) return;
      const first = out.length === 0;
      if (first && q.edns) {
        w.limit = 65535;
        // BIND echoes the COOKIE in the first message of a transfer too.
        this.writeOpt(w, q.edns, 0, undefined, q.cookie, client.address);
      }
      const b = w.buf;
      const flags = FLAG_QR | FLAG_AA | keep;
      b[0] = q.id >> 8; b[1] = q.id & 0xff; b[2] = flags >> 8; b[3] = flags & 0xff;
      b[4] = 0; b[5] = first ? 1 : 0; b[6] = count >> 8; b[7] = count & 0xff;
      b[8] = 0; b[9] = 0; b[10] = 0; b[11] = first && q.edns ? 1 : 0;
      out.push(w.result());
      w = undefined;
      count = 0;
    };
    const start = (): MessageWriter => {
      const nw = new MessageWriter(new Uint8Array(65535), LIMIT - (out.length === 0 && q.edns ? OPT_FIXED + (q.cookie ? 28 : 0) : 0));
      nw.pos = 12;
      if (out.length === 0) {
        nw.name(question.name, true);
        nw.u16(question.type);
        nw.u16(question.class);
      }
      return nw;
    };
    for (const set of records) {
      for (const rd of set.rdatas) {
        w ??= start();
        const before = w.pos;
        try {
          w.rr(set.owner, set.type, set.class, set.ttl, rd);
          count++;
        } catch (err) {
          if (!(err instanceof WriteOverflow)) throw err;
          w.rewind(before);
          finish();
          w = start();
          w.rr(set.owner, set.type, set.class, set.ttl, rd); // one RR always fits an empty message
          count++;
        }
      }
    }
    finish();
    this.count(RCODE.NOERROR);
    return out;
  }

  private respondInner(msg: Uint8Array, client: ClientInfo): Uint8Array | null | Promise<Uint8Array | null> {
    const p = parseQuery(msg);
    if (p.kind === 'drop') {
      this.stats.malformed++;
      return null;
    }
    if (p.kind === 'formerr') return this.unusable(p, client);
    const q = p.query;
    if (q.question.type === T.IXFR && client.transport === 'udp' && q.opcode === OPCODE_QUERY && q.question.class === CLASS_IN &&
      (!q.edns || q.edns.version === 0)) return this.udpIxfr(q, msg, client);
    const key = this.cacheKey(msg, q, client);
    const hit = this.cache.get(key);
    if (hit && (hit.expires === undefined || hit.expires > Date.now()) && (!hit.acl || hit.acl(client.address))) {
      this.stats.cacheHits++;
      this.count(hit.rcode);
      const out = Uint8Array.from(hit.bytes);
      out[0] = msg[0];
      out[1] = msg[1];
      if (hit.cookieAt >= 0 && q.cookie) this.writeCookie(out, hit.cookieAt - 8, q.cookie, client.address);
      if (this.ra && !hit.noRa) this.setRa(out, client);
      return out;
    }
    const built = this.build(q, client);
    if (built.deferred) return built.deferred;
    const noRa = !raMayBeSet(q.opcode, q.question.class, q.edns?.version ?? 0);
    if (this.ra && !noRa) this.setRa(built.bytes, client);
    if (built.cacheable) {
      if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, { bytes: built.bytes, acl: built.acl, cookieAt: built.cookieAt, rcode: built.rcode, expires: built.expires, noRa });
    }
    this.count(built.rcode);
    return built.bytes;
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
    return this.simple(p.id, p.flags, rcode, question, edns, undefined, client, keep);
  }

  /** Must agree with fastKey() below for the queries both see. */
  private cacheKey(msg: Uint8Array, q: ParsedQuery, client: ClientInfo): string {
    // Question octets as received (case included: the answer's compression depends on it).
    const k = asBuffer(msg).toString('latin1', 12, q.questionEnd);
    const e = q.edns;
    const size = client.transport === 'tcp' ? 65535 : this.udpLimit(e);
    const fam = client.address.includes(':') ? 6 : 4; // additional-section order depends on it
    const ecs = q.ecs ? Buffer.from(q.ecs).toString('hex') : '';
    const exp = e && wantsExpire(e) ? 'x' : '';
    return `${k}|${q.flags & 0x7f30}|${e ? `${e.version}.${e.do ? 1 : 0}.${q.cookie ? 1 : 0}${exp}${ecs}` : '-'}|${size}|${fam}`;
  }

  private udpLimit(e: Edns | undefined): number {
    if (!e) return MAX_UDP_NO_EDNS;
    return Math.max(MAX_UDP_NO_EDNS, Math.min(e.udpSize, this.view.udpSize));
  }

  /** A response with no records: FORMERR, NOTIMP, REFUSED, BADVERS. */
  private simple(id: number, qflags: number, rcode: number, question: Question | undefined, edns: Edns | undefined,
    ede: { code: number; text: string } | undefined, client: ClientInfo, keepFlags: number): Uint8Array {
    const cookie = edns?.options.find((o) => o.code === EDNS_OPT_COOKIE)?.data;
    const w = new MessageWriter(this.scratch, 65535);
    w.u16(id);
    w.u16(FLAG_QR | (qflags & 0x7800) | keepFlags | (rcode & 0xf));
    w.u16(question ? 1 : 0);
    w.u16(0);
    w.u16(0);
    w.u16(edns ? 1 : 0);
    if (question) {
      w.name(question.name, false);
      w.u16(question.type);
      w.u16(question.class);
    }
    if (edns) this.writeOpt(w, edns, rcode, ede, cookie, client.address);
    return w.result();
  }

  private writeOpt(w: MessageWriter, e: Edns, rcode: number, ede: { code: number; text: string } | undefined,
    cookie: Uint8Array | undefined, address: string, ecs?: Uint8Array, expire?: number): number {
    w.u8(0);
    w.u16(T.OPT);
    w.u16(this.view.udpSize);
    w.u32(((rcode >> 4) << 24) | (e.do ? 0x8000 : 0));
    const lenAt = w.pos;
    w.u16(0);
    let cookieAt = -1;
    if (cookie) {
      w.u16(EDNS_OPT_COOKIE);
      w.u16(24);
      const at = w.pos;
      w.bytes(new Uint8Array(24));
      this.writeCookie(w.buf, at, cookie, address);
      cookieAt = at + 8;
    }
    if (expire !== undefined) {
      // RFC 7314 §2: the zone's expire timer; for a zone we load from its file, the SOA EXPIRE field (as BIND for a primary).
      w.u16(EDNS_OPT_EXPIRE);
      w.u16(4);
      w.u32(expire);
    }
    // BIND's order: COOKIE, EXPIRE, CLIENT-SUBNET, then EDE.
    if (ecs) {
      // RFC 7871 §7.2.1: echo the option with SCOPE PREFIX-LENGTH 0 (answers do not vary by subnet).
      w.u16(EDNS_OPT_ECS);
      w.u16(ecs.length);
      const at = w.pos;
      w.bytes(ecs);
      w.buf[at + 3] = 0;
    }
    if (ede) {
      const text = Buffer.from(ede.text, 'utf8');
      w.u16(EDNS_OPT_EDE);
      w.u16(2 + text.length);
      w.u16(ede.code);
      w.bytes(text);
    }
    const len = w.pos - lenAt - 2;
    w.buf[lenAt] = len >> 8;
    w.buf[lenAt + 1] = len & 0xff;
    return cookieAt;
  }

  /**
   * Client cookie echoed, then a 16-octet server cookie in the RFC 9018 layout
   * (version 1, reserved, timestamp, 8-octet hash of client cookie, time and
   * address under our secret). The hash is a fast keyed mix, not SipHash: we
   * never require cookies, so they only need to look right to clients.
   */
  private writeCookie(out: Uint8Array, at: number, clientCookie: Uint8Array, address: string): void {
    out.set(clientCookie.subarray(0, 8), at);
    const t = this.now();
    out[at + 8] = 1;
    out[at + 9] = 0;
    out[at + 10] = 0;
    out[at + 11] = 0;
    out[at + 12] = t >>> 24;
    out[at + 13] = (t >>> 16) & 0xff;
    out[at + 14] = (t >>> 8) & 0xff;
    out[at + 15] = t & 0xff;
    let h1 = 0x811c9dc5 ^ t;
    let h2 = 0x01000193 ^ (t * 31);
    const mix = (b: number): void => {
      h1 = Math.imul(h1 ^ b, 0x01000193);
      h2 = Math.imul(h2 ^ b ^ (h1 >>> 13), 0x5bd1e995);
    };
    for (const b of this.secret) mix(b);
    for (let i = 0; i < 8; i++) mix(clientCookie[i]);
    for (let i = 0; i < address.length; i++) mix(address.charCodeAt(i));
    const hash = [h1 >>> 24, (h1 >>> 16) & 0xff, (h1 >>> 8) & 0xff, h1 & 0xff, h2 >>> 24, (h2 >>> 16) & 0xff, (h2 >>> 8) & 0xff, h2 & 0xff];
    out.set(hash, at + 16);
  }

  private build(q: ParsedQuery, client: ClientInfo): { bytes: Uint8Array; cacheable: boolean; acl?: AddressMatcher; cookieAt: number; rcode: number; deferred?: Promise<Uint8Array | null>; expires?: number } {
    const qflags = q.flags;
    const keep = echoedFlags(q.opcode, qflags); // RD and CD, for QUERY only (reply-policy.ts)
    const e = q.edns;
    const cookie = e ? q.cookie : undefined;
    const plain = (rcode: number, question: Question | undefined, keepFlags = keep, ede?: { code: number; text: string }, acl?: AddressMatcher) => ({
      bytes: this.simple(q.id, qflags, rcode, question, e, ede, client, keepFlags), cacheable: !cookie, acl, cookieAt: -1, rcode,
    });
    const echoed = echoesQuestion(q.opcode) ? q.question : undefined;
    if (e && e.version !== 0) {
      // RFC 6891 §6.1.3; BIND answers BADVERS before looking at the COOKIE or the opcode.
      return { ...plain(RCODE.BADVERS, echoed), bytes: this.simple(q.id, qflags, RCODE.BADVERS, echoed, { ...e, options: [] }, undefined, client, keep) };
    }
    if (!opcodeImplemented(q.opcode)) return plain(RCODE.NOTIMP, undefined);
    // Class 0 names no class at all; BIND: "message class could not be determined".
    if (q.question.class === 0) return plain(RCODE.FORMERR, echoed);
    const question = q.question;
    // BIND's CHAOS view (version.bind…) takes queries only.
    if (q.opcode !== OPCODE_QUERY && question.class === CLASS_CH) return plain(RCODE.NOTIMP, question);
    if (q.opcode === OPCODE_UPDATE) {
      // RFC 2136 §3.1: the zone section names a zone with type SOA. We accept no
      // updates: REFUSED for our zones (as BIND with no update policy), NOTAUTH otherwise.
      if (question.type !== T.SOA) return plain(RCODE.FORMERR, question, 0);
      const z = question.class === CLASS_IN ? this.table.find(question.name) : undefined;
      const exact = z !== undefined && nameKey(z.origin) === nameKey(question.name);
      return plain(exact ? RCODE.REFUSED : RCODE.NOTAUTH, question, 0);
    }
    // QCLASS ANY (255) and NONE (254) make no sense in a query here; BIND answers FORMERR.
    if (q.opcode === OPCODE_QUERY && (question.class === 255 || question.class === 254)) return plain(RCODE.FORMERR, question);
    const meta = q.opcode === OPCODE_QUERY ? metaTypeRcode(question.type) : undefined;
    if (meta !== undefined) return plain(meta, question);
    if (q.opcode === OPCODE_NOTIFY) {
      // We are no secondary: BIND accepts a NOTIFY for a zone it serves and ignores it.
      if (question.type !== T.SOA) return plain(RCODE.FORMERR, question, 0);
      const z = question.class === CLASS_IN ? this.table.find(question.name) : undefined;
      if (!z) return plain(RCODE.NOTAUTH, question, 0);
      const r = plain(RCODE.NOERROR, question, FLAG_AA);
      return r;
    }
    let zone: Zone | undefined;
    let acl: AddressMatcher | undefined;
    if (question.class === CLASS_IN) {
      zone = this.table.find(question.name);
      // The DS RRset of a zone lives in its parent (RFC 4035 §3.1.4.1): when we serve
      // the parent too, answer from there, as BIND does.
      if (zone && question.type === T.DS && question.name.length > 1 && nameKey(zone.origin) === nameKey(question.name)) {
        zone = this.table.find(parentName(question.name)) ?? zone;
      }
      // named answers SERVFAIL for a zone that is not loaded, before its allow-query.
      if (zone && this.unloaded.has(zone)) return { ...plain(RCODE.SERVFAIL, question, keep), cacheable: false };
      if (zone) {
        acl = this.view.zoneAllowQuery.get(nameKey(zone.origin)) ?? this.view.allowQuery;
        if (!acl(client.address)) {
          return { ...plain(RCODE.REFUSED, question, keep, { code: 18, text: '' }), cacheable: false };
        }
      }
    } else if (question.class === CLASS_CH) {
      zone = this.chaos.find(question.name);
    }
    if (!zone && this.resolver && question.class === CLASS_IN && q.opcode === OPCODE_QUERY && question.type !== T.AXFR && question.type !== T.IXFR) {
      return this.fromResolverCache(q, client) ?? { bytes: new Uint8Array(0), cacheable: false, cookieAt: -1, rcode: -1, deferred: this.recurse(q, client) };
    }
    if (!zone) return plain(RCODE.REFUSED, question, keep); // recursion no: nothing to say (BIND)
    if (question.type === T.AXFR || question.type === T.IXFR) {
      // Zone transfers are not served here (and never over UDP).
      const rc = client.transport === 'udp' ? RCODE.FORMERR : RCODE.NOTIMP;
      return plain(rc, question, keep, undefined, acl);
    }
    const mode = this.view.minimalResponses ?? 'no-auth-recursive';
    const minimal = mode === 'yes' || mode === 'no-auth' || (mode === 'no-auth-recursive' && (qflags & FLAG_RD) !== 0);
    const ans = answerFromZone(zone, question.name, question.type, { minimal, noAdditional: mode === 'yes' });
    const limit = client.transport === 'tcp' ? 65535 : this.udpLimit(e);
    const out = this.render(q, ans, limit, cookie, client.address, expireFor(q, zone, ans));
    return { bytes: out.bytes, cacheable: true, acl, cookieAt: out.cookieAt, rcode: ans.rcode };
  }

  /**
   * The synchronous path for names the resolver has cached (fresh, not stale):
   * rendered at once, and the encoded answer kept for up to a second (so cache
   * hits take the same fast path as authoritative answers while TTLs still count
   * down). Undefined sends the query down the asynchronous path.
   */
  private fromResolverCache(q: ParsedQuery, client: ClientInfo): { bytes: Uint8Array; cacheable: boolean; acl?: AddressMatcher; cookieAt: number; rcode: number; expires: number } | undefined {
    const cacheAcl = this.cacheAcl;
    if (!cacheAcl || !cacheAcl(client.address)) return undefined;
    const res = (this.resolver as RecursiveResolver).fromCache(q.question);
    if (!res || res.stale) return undefined;
    const ans: AuthorityAnswer = { rcode: res.rcode, aa: false, answer: res.answer, authority: res.authority, additional: [] };
    const limit = client.transport === 'tcp' ? 65535 : this.udpLimit(q.edns);
    const out = this.render(q, ans, limit, q.edns ? q.cookie : undefined, client.address);
    let minTtl = Infinity;
    for (const set of res.answer) minTtl = Math.min(minTtl, set.ttl);
    for (const set of res.authority) minTtl = Math.min(minTtl, set.ttl);
    return { bytes: out.bytes, cacheable: minTtl > 1, acl: cacheAcl, cookieAt: out.cookieAt, rcode: res.rcode, expires: Date.now() + 1000 };
  }

  /**
   * A name outside our zones (recursion yes): allow-query-cache decides whether the
   * client may see cached data, allow-recursion whether we go upstream for it
   * (RD set). Others get REFUSED with EDE 18 (Prohibited), as BIND 9.18. The
   * answer goes through the same rendering (EDNS, truncation) as authoritative ones.
   */
  private async recurse(q: ParsedQuery, client: ClientInfo): Promise<Uint8Array | null> {
    try {
      const resolver = this.resolver as RecursiveResolver;
      const rec = this.ra ? this.ra(client.address) : false;
      const cacheOk = this.cacheAcl ? this.cacheAcl(client.address) : rec;
      const keep = q.flags & (FLAG_RD | FLAG_CD);
      const refuse = (): Uint8Array => {
        this.count(RCODE.REFUSED);
        const out = this.simple(q.id, q.flags, RCODE.REFUSED, q.question, q.edns, { code: 18, text: '' }, client, keep);
        this.setRa(out, client);
        return out;
      };
      if (!cacheOk) return refuse();
      const res = rec && (q.flags & FLAG_RD) !== 0 ? await resolver.resolve(q.question) : resolver.fromCache(q.question);
      if (!res) {
        if (!rec) return refuse();
        // RD clear and no answer cached: the closest delegation the cache knows, as
        // BIND answers (a referral, RFC 1034 §4.3.1), else an empty answer.
        this.count(RCODE.NOERROR);
        const d = resolver.delegationFromCache?.(q.question.name, q.question.class);
        const ans: AuthorityAnswer = { rcode: RCODE.NOERROR, aa: false, answer: [], authority: d ? [d.ns] : [], additional: d ? d.glue : [] };
        const limit = client.transport === 'tcp' ? 65535 : this.udpLimit(q.edns);
        const out = this.render(q, ans, limit, q.edns ? q.cookie : undefined, client.address).bytes;
        this.setRa(out, client);
        return out;
      }
      // RFC 8914 §4.4: EDE 3 marks answers served stale (RFC 8767).
      const ans: AuthorityAnswer = { rcode: res.rcode, aa: false, answer: res.answer, authority: res.authority, additional: [], ede: res.stale ? { code: 3, text: '' } : undefined };
      const limit = client.transport === 'tcp' ? 65535 : this.udpLimit(q.edns);
      const out = this.render(q, ans, limit, q.edns ? q.cookie : undefined, client.address).bytes;
      this.setRa(out, client);
      this.count(res.rcode);
      return out;
    } catch {
      this.stats.malformed++;
      return null;
    }
  }

  /**
   * Writes the response within `limit` octets the way BIND 9.18 does: answer and
   * authority RRs one at a time until one does not fit (then TC); additional
   * RRs likewise in BIND's order of passes, without TC. With EDNS a truncated response keeps only the
   * question and the OPT (dns_message_renderend); without EDNS the partial
   * sections stay and AD is copied from the query.
   */
  private render(q: ParsedQuery, ans: AuthorityAnswer, limit: number, cookie: Uint8Array | undefined, address: string, expire?: number): { bytes: Uint8Array; cookieAt: number } {
    const e = q.edns;
    const ipv6 = address.includes(':');
    let optLen = 0;
    if (e) {
      optLen = OPT_FIXED + (cookie ? 28 : 0) + (expire !== undefined ? 8 : 0) + (q.ecs ? 4 + q.ecs.length : 0);
      if (ans.ede) optLen += 6 + Buffer.byteLength(ans.ede.text, 'utf8');
    }
    const w = new MessageWriter(this.scratch, limit - optLen);
    const keep = q.flags & (FLAG_RD | FLAG_CD);
    let flags = FLAG_QR | (q.flags & 0x7800) | keep | (ans.aa ? FLAG_AA : 0) | (ans.rcode & 0xf);
    w.pos = 12;
    w.name(q.question.name, true);
    w.u16(q.question.type);
    w.u16(q.question.class);
    const afterQuestion = w.pos;
    const counts = [0, 0, 0];
    let tc = false;
    const sections: SectionRRset[][] = [ans.answer, ans.authority];
    outer: for (let s = 0; s < 2; s++) {
      for (const set of sections[s]) {
        for (const rd of set.rdatas) {
          const before = w.pos;
          try {
            w.rr(set.owner, set.type, set.class, set.ttl, rd);
            counts[s]++;
          } catch (err) {
            if (!(err instanceof WriteOverflow)) throw err;
            w.rewind(before);
            tc = true;
            break outer;
          }
        }
      }
    }
    // Additional data is optional and never sets TC. BIND 9.18 renders it in
    // passes: addresses of the client's family first (A over IPv4), then the
    // other family, then the rest; it stops at the first RR that does not fit.
    if (!tc) {
      const first = ipv6 ? T.AAAA : T.A;
      const second = ipv6 ? T.A : T.AAAA;
      const rank = (type: number): number => (type === first ? 0 : type === second ? 1 : 2);
      addl: for (let pass = 0; pass < 3; pass++) {
        for (const set of ans.additional) {
          if (rank(set.type) !== pass) continue;
          for (const rd of set.rdatas) {
            const before = w.pos;
            try {
              w.rr(set.owner, set.type, set.class, set.ttl, rd);
              counts[2]++;
            } catch (err) {
              if (!(err instanceof WriteOverflow)) throw err;
              w.rewind(before);
              break addl;
            }
          }
        }
      }
    }
    if (tc) {
      flags |= FLAG_TC;
      if (e) {
        w.rewind(afterQuestion);
        counts[0] = counts[1] = counts[2] = 0;
      } else {
        flags |= q.flags & FLAG_AD;
      }
    }
    w.limit = limit;
    let cookieAt = -1;
    if (e) cookieAt = this.writeOpt(w, e, ans.rcode, ans.ede, cookie, address, q.ecs, expire);
    const b = w.buf;
    b[0] = q.id >> 8;
    b[1] = q.id & 0xff;
    b[2] = flags >> 8;
    b[3] = flags & 0xff;
    b[4] = 0;
    b[5] = 1;
    b[6] = counts[0] >> 8;
    b[7] = counts[0] & 0xff;
    b[8] = counts[1] >> 8;
    b[9] = counts[1] & 0xff;
    const ar = counts[2] + (e ? 1 : 0);
    b[10] = ar >> 8;
    b[11] = ar & 0xff;
    return { bytes: w.result(), cookieAt };
  }
}

/** The client asked for the zone's expire timer (RFC 7314 §2; BIND accepts the option whatever its length). */
function wantsExpire(e: Edns): boolean {
  return e.options.some((o) => o.code === EDNS_OPT_EXPIRE);
}

/**
 * The EXPIRE option value for an authoritative answer (RFC 7314): only for an
 * SOA question answered with the zone's SOA, to a client that sent the option,
 * as BIND 9.18 does for a primary zone (its SOA EXPIRE field).
 */
export function expireFor(q: ParsedQuery, zone: Zone, ans: AuthorityAnswer): number | undefined {
  if (!q.edns || !wantsExpire(q.edns) || q.question.type !== T.SOA || ans.rcode !== RCODE.NOERROR || !ans.aa) return undefined;
  const origin = nameKey(zone.origin);
  const soa = ans.answer.find((s) => s.type === T.SOA && nameKey(s.owner) === origin);
  const rd = soa?.rdatas[0];
  if (!rd || rd.length < 20) return undefined;
  return new DataView(rd.buffer, rd.byteOffset + rd.length - 8, 4).getUint32(0);
}

/** SERIAL of an SOA RDATA (after the two names), if well formed. */
function readSerial(rd: Uint8Array): number | undefined {
  let i = 0;
  for (let k = 0; k < 2; k++) {
    while (i < rd.length && rd[i] !== 0) i += rd[i] + 1;
    i++;
  }
  if (i + 4 > rd.length) return undefined;
  return ((rd[i] << 24) >>> 0) + ((rd[i + 1] << 16) | (rd[i + 2] << 8) | rd[i + 3]);
}

/**
 * Remembers a matcher's verdict per client address: recursion ACLs are consulted
 * on every cache hit, and a LAN has few clients, so this saves parsing the
 * address each time. Bounded: the memo is dropped when it grows large.
 */
function memoMatcher(m: AddressMatcher): AddressMatcher {
  let memo = new Map<string, boolean>();
  return (address: string): boolean => {
    let v = memo.get(address);
    if (v === undefined) {
      v = m(address);
      if (memo.size >= 4096) memo = new Map();
      memo.set(address, v);
    }
    return v;
  };
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * The cache key of the common query shape, computed straight from the bytes: a
 * standard query, one uncompressed question, nothing else or one OPT with no
 * options (version 0). Anything else returns undefined and takes the full path.
 * `tcp` is 65535 for TCP, else 0; `ourSize` is our EDNS UDP size; `fam` the client's IP family.
 */
function fastKey(msg: Uint8Array, tcp: number, ourSize: number, fam: number): string | undefined {
  const n = msg.length;
  if (n < 17 || (msg[2] & 0xf8) !== 0 || msg[4] !== 0 || msg[5] !== 1 || (msg[6] | msg[7] | msg[8] | msg[9] | msg[10]) !== 0) return undefined;
  const ar = msg[11];
  if (ar > 1) return undefined;
  let i = 12;
  for (;;) {
    if (i >= n) return undefined;
    const l = msg[i];
    if (l === 0) break;
    if (l > 63) return undefined;
    i += l + 1;
  }
  if (i - 12 >= 255) return undefined;
  const qend = i + 5;
  if (qend > n) return undefined;
  const flags = ((msg[2] << 8) | msg[3]) & 0x7f30;
  const q = asBuffer(msg).toString('latin1', 12, qend);
  if (ar === 0) return `${q}|${flags}|-|${tcp || 512}|${fam}`;
  // OPT: root owner, type 41, RDLENGTH 0, version 0.
  if (qend + 11 !== n || msg[qend] !== 0 || msg[qend + 1] !== 0 || msg[qend + 2] !== 41 || msg[qend + 6] !== 0 || msg[qend + 9] !== 0 || msg[qend + 10] !== 0) return undefined;
  const size = tcp || Math.max(512, Math.min((msg[qend + 3] << 8) | msg[qend + 4], ourSize));
  return `${q}|${flags}|0.${msg[qend + 7] & 0x80 ? 1 : 0}.0|${size}|${fam}`;
}

/** Convenience: one-off answer without keeping a Responder (tests). */
export function respond(view: ServingView, query: Uint8Array, client: ClientInfo): Uint8Array | null {
  return new Responder(view).respond(query, client);
}

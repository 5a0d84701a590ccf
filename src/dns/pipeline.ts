// The vocabulary of the answer pipeline (responder.ts runs it):
//
//   view selection (view-router.ts) → parse → response cache lookup → policy (policy.ts) → sources
//     → render (render.ts) → response cache
//
// Each view has its own pipeline (Responder): its zones, options, response cache
// and resolver cache; view selection picks one per request, as BIND does.
//
// A source is a small handler that answers a query or passes it on (returns
// undefined), as CoreDNS plugins do; sources.ts lists them in the order they are
// asked. A source decides *what* to answer (a Reply); the render stage decides
// how it looks on the wire (EDNS, cookies, truncation), the same for all.

import type { ParsedQuery, Question } from './message.js';
import type { AuthorityAnswer, SectionRRset } from './authority.js';
import type { CacheProof, Resolution } from './resolver.js';
import type { ZoneTable } from './zone-table.js';
import type { Zone } from './zone.js';
import type { AddressMatcher } from './answer-cache.js';
import type { Ede } from './render.js';
import type { TsigKey } from '../wire/tsig.js';
import type { ZoneJournal } from './zone-journal.js';
import type { UpdateRequest } from './dynamic-zones.js';
import type { RrlSettings } from './rrl.js';

export type { AddressMatcher };

export interface ClientInfo {
  /** Source address as text, IPv4-mapped prefix removed. */
  address: string;
  port: number;
  transport: 'udp' | 'tcp';
  /** The local address the request arrived on (view selection: match-destinations). */
  destination?: string;
  /** The TSIG key that signed the request, verified (tsig-stage.ts); ACL `key` elements and views match on it. */
  key?: string;
  /** For the statistics (query-stats.ts): when it arrived (performance.now() ms), its qtype, whether it had EDNS. */
  received?: number;
  qtype?: number;
  edns?: boolean;
}

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
  /** options { recursion }: names outside our zones are resolved (with a resolver) or REFUSED. */
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
  /** `key` statements: the TSIG keys requests may be signed with (tsig-stage.ts). */
  tsigKeys?: readonly TsigKey[];
  /** options { minimal-responses }; BIND 9.18's default is no-auth-recursive. */
  minimalResponses?: 'yes' | 'no' | 'no-auth' | 'no-auth-recursive';
  /** The recent differences of each zone (keyed by nameKey of the origin): what IXFR answers from. */
  journals?: ReadonlyMap<string, ZoneJournal>;
  /** Secondary zones by nameKey(origin): who may send them a NOTIFY (their primaries and allow-notify). */
  secondaries?: Map<string, SecondaryEntry>;
  /** Told of every NOTIFY for a secondary zone (accepted or refused), so the process that refreshes hears of it. */
  onNotify?: (zone: string, from: string, accepted: boolean, serial?: number) => void;
  /** Dynamic zones (nameKey of the origin) and where their UPDATEs go: the process that decides them (dynamic-zones.ts). */
  dynamicZones?: ReadonlySet<string>;
  onUpdate?: (req: UpdateRequest) => Promise<number>;
  /** options/view { rate-limit }: response-rate limiting (rrl.ts); unset: none. */
  rateLimit?: RrlSettings;
}

export interface SecondaryEntry {
  /** As configured. */
  name: string;
  origin: Uint8Array;
  notifyAcl: AddressMatcher;
}

/** The caching resolver as the pipeline sees it (src/dns/resolver.ts Resolver). */
export interface RecursiveResolver {
  resolve(q: Question): Promise<Resolution>;
  fromCache(q: Question): Resolution | undefined;
  /** Whether the cache still holds exactly what a fromCache answer was made of (its proof), counted as fromCache counts (resolver.ts). */
  stillCached?(proof: CacheProof): boolean;
  /** The closest cached delegation, for non-recursive queries the cache cannot answer. */
  delegationFromCache?(name: Uint8Array, cls: number): { ns: SectionRRset; glue: SectionRRset[] } | undefined;
}

/** One query on its way through the pipeline. */
export interface QueryContext {
  readonly q: ParsedQuery;
  /** The message as received (IXFR reads the client's SOA from it). */
  readonly msg: Uint8Array;
  readonly client: ClientInfo;
  /** The answer may be a stream of messages (a TCP connection asking for AXFR/IXFR). */
  readonly stream: boolean;
  /** Octets the rendered answer must leave free (a TSIG appended after rendering). */
  readonly reserve?: number;
}

/** An answer without records: an rcode, maybe the question, maybe an EDE. */
export interface ErrorReply {
  kind: 'error';
  rcode: number;
  /** The question (or UPDATE zone section) to repeat, if any. */
  question: Question | undefined;
  /** Header bits taken over from the query (reply-policy.ts echoedFlags), or AA. */
  flags: number;
  ede?: Ede;
  /** The ACL a cached copy must be checked against. */
  acl?: AddressMatcher;
  /** Never kept in the response cache (the answer depends on more than the key). */
  noCache?: boolean;
  /** Never carries RA. */
  noRa?: boolean;
  /** BADVERS: the OPT goes back without the client's options (RFC 6891 §6.1.3). */
  bareOpt?: boolean;
}

/** An answer with sections, rendered with truncation and EDNS. */
export interface DataReply {
  kind: 'data';
  answer: AuthorityAnswer;
  acl?: AddressMatcher;
  /** EDNS EXPIRE value to send (RFC 7314). */
  expire?: number;
  noCache?: boolean;
  /** Cached copies are good until this time (ms clock). */
  expires?: number;
  /**
   * A copy kept longer than a second: the time (ms clock) each record of the answer,
   * then authority section counts its TTL down to (a reused copy shows the TTL left
   * then, rounded up), and the check a copy must pass again once a second after its
   * first second (answer-cache.ts).
   */
  ttls?: number[];
  recheck?: (now: number) => boolean;
  noRa?: boolean;
}

/** A zone transfer over TCP: the records, packed into messages by the render stage. */
export interface StreamReply {
  kind: 'stream';
  records: SectionRRset[];
}

/** An answer that comes later (recursion); not cached. */
export interface LaterReply {
  kind: 'later';
  reply: Promise<ErrorReply | DataReply | DropReply>;
}

/** No answer at all (a rate limiter, a policy that drops); the query still counts as a query. */
export interface DropReply {
  kind: 'drop';
}

export type Reply = ErrorReply | DataReply | StreamReply | LaterReply | DropReply;

/** One stage: answers (a Reply) or passes the query on (undefined). */
export interface Handler {
  readonly name: string;
  answer(ctx: QueryContext): Reply | undefined;
}

/** What a source may use, fixed for the life of one Responder (one configuration). */
export interface SourceEnv {
  readonly view: ServingView;
  /** The class IN zones, with placeholders for the zones that did not load. */
  readonly zones: ZoneTable;
  /** The placeholders in `zones`: their names are answered SERVFAIL. */
  readonly unloaded: ReadonlySet<Zone>;
  /** hostname.bind CH TXT. */
  readonly hostname: string;
  /** Set when the view has recursion on. */
  readonly resolver?: RecursiveResolver;
  /** allow-recursion (memoized), when recursion is on. */
  readonly allowRecursion?: AddressMatcher;
  /** allow-query-cache (defaulting to allow-recursion), when recursion is on. */
  readonly allowQueryCache?: AddressMatcher;
}

/** Makes a source's handler for one configuration; undefined when it has nothing to do in it. */
export type Source = (env: SourceEnv) => Handler | undefined;

/** An ErrorReply with the usual defaults. */
export function errorReply(rcode: number, question: Question | undefined, flags: number, extra?: Partial<ErrorReply>): ErrorReply {
  return { kind: 'error', rcode, question, flags, ...extra };
}

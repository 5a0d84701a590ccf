// named.conf: BIND 9.18's configuration file, read through the shared tokenizer.
// Every statement BIND accepts loads; what Triad does not implement is accepted
// with one warning (per option name); what BIND rejects is an error with
// file:line:col, and every error of the files is reported, not just the first.
//
// Paths: `include` and a relative `directory` resolve against the folder of the
// main named.conf, so the result does not depend on the working directory (BIND
// resolves both against its working directory). Zone `file`s resolve against
// `directory`, as in BIND.

import path from 'node:path';
import { isIPv4, isIPv6 } from 'node:net';
import { readConfigText, readUtf8, tryReadText, type ReadText } from './config-file.js';
import { DiagnosticSink, type Position } from './diagnostics.js';
import { tokenize, type Token } from './tokenizer.js';
import { MAX_NESTING, TOO_DEEP } from './limits.js';
import {
  BUILTIN_LOG_CHANNELS, LOG_CATEGORIES, LOG_CHANNEL, NOT_ALLOWED_IN, OPTIONS, TOP_LEVEL_OTHER, VIEW, ZONE, ZONE_TYPES, expectedText, parseBool, specOf, valueFits,
  type OptionTable, type ZoneType,
} from './named-conf-grammar.js';
import { BUILTIN_ACLS, amlIsNone, type AddressMatchList, type AmlElement, type BuiltinAcl } from '../net/address-match.js';
import { parsePrefix } from '../net/ip.js';
import { parseViews, type ViewConfig, type ViewHooks } from './named-conf-views.js';
import { keyId, keyStatement, type KeyConfig } from './named-conf-keys.js';
import { expandPrimaries, listPort, secondaryClause, type RemoteList, type SecondarySettings } from './named-conf-secondary.js';
import { parseRateLimit, type RateLimitConfig } from './named-conf-rrl.js';
import { tcpClause, type TcpSettings } from './named-conf-tcp.js';
import { recursionClause, type RecursionLimits } from './named-conf-recursion.js';
import { primaryClause, type PrimaryClauseContext, type PrimarySettings } from './named-conf-notify.js';
import { CATALOG_ENTRY_CLAUSES, catalogZonesClause, checkCatalogZones, type CatalogZoneConfig } from './named-conf-catalog.js';
import { sessionKeyClause, updateClause, type SessionKeySettings, type UpdateSettings } from './named-conf-update.js';
import { readLogging, type LoggingConfig } from './named-conf-logging.js';

export type { ZoneType } from './named-conf-grammar.js';

/** One statement: leading words, then optionally blocks and further words (`allow { … } keys { … }`). */
export interface NStatement {
  words: Token[];
  block?: NStatement[];
  /** Everything after the first block: more words or blocks (only a few clauses have any). */
  tail: (Token | NStatement[])[];
  /** The `;` that ended it (or the token where it was found missing). */
  end: Token;
}

export interface ListenOn {
  port: number;
  list: AddressMatchList;
  pos: Position;
}

export interface RemoteServer {
  address: string;
  port?: number;
  /** `key NAME` of a primaries/masters entry: transfers and SOA queries to it are signed with it. */
  key?: string;
}

export interface NamedOptions {
  /** Absolute. */
  directory: string;
  /** `listen-on` statements; empty means BIND's default `listen-on { any; }` (port `port`). */
  listenOn: ListenOn[];
  /** `listen-on-v6`; empty means BIND 9.18's default `listen-on-v6 { any; }`. */
  listenOnV6: ListenOn[];
  /** options { port }: default port for listen-on (53). */
  port: number;
  allowQuery?: AddressMatchList;
  allowRecursion?: AddressMatchList;
  allowQueryCache?: AddressMatchList;
  allowTransfer?: AddressMatchList;
  /** BIND's default is yes; Triad serves authoritative data only in this version. */
  recursion: boolean;
  forwarders: RemoteServer[];
  forward: 'first' | 'only';
  /** Always BIND's default here; the `notify` clause is parsed into `primary.notify`. */
  notify: string;
  /** NOTIFY out and the IXFR journal (named-conf-notify.ts); zones inherit these. */
  primary?: PrimarySettings;
  /** Absolute path (resolved against `directory`); null for `none`; undefined when not set (Triad then writes none). */
  pidFile?: string | null;
  /** null for `version none`; undefined when not set (BIND then answers its own version). */
  version?: string | null;
  /** options { querylog }: undefined when not set (then `category queries` decides, named-conf-logging.ts). */
  querylog?: boolean;
  maxUdpSize?: number;
  /** options { minimal-responses }; unset means BIND 9.18's default no-auth-recursive. */
  minimalResponses?: 'yes' | 'no' | 'no-auth' | 'no-auth-recursive';
  /** options { blackhole }: queries from these addresses are dropped without an answer. */
  blackhole?: AddressMatchList;
  /** options { session-keyfile, session-keyname, session-keyalg } (update-policy local, nsupdate -l). */
  sessionKey?: SessionKeySettings;
  /** options { allow-update }: inherited by zones without their own. */
  allowUpdate?: AddressMatchList;
  /** BIND's built-in empty zones (RFC 6303): `empty-zones-enable`, `empty-server`, `empty-contact`, `disable-empty-zone`. */
  emptyZones: { enable: boolean; server?: string; contact?: string; disabled: string[] };
  /** Cache and serve-stale tuning (seconds; octets for maxCacheSize); unset means BIND's default. */
  cache: CacheTuning;
  /** controls { inet ADDR port N allow { … }; }: the control endpoint's TCP addresses. */
  controls: ControlChannel[];
  /** statistics-channels { inet ADDR [port N] [allow { … }]; }: where /metrics and BIND's statistics are served. */
  statisticsChannels: StatisticsChannel[];
  /** Defaults for secondary zones (allow-notify, transfer-source, refresh bounds). */
  secondary?: SecondarySettings;
  /** catalog-zones: catalogs whose member zones become secondary zones here. */
  catalogZones?: CatalogZoneConfig[];
  /** tcp-clients, tcp-initial-timeout, tcp-idle-timeout (named-conf-tcp.ts). */
  tcp?: TcpSettings;
  /** recursive-clients, clients-per-query, max-clients-per-query, fetches-per-zone (named-conf-recursion.ts). */
  recursionLimits?: RecursionLimits;
  /** rate-limit { … } (named-conf-rrl.ts): response-rate limiting. */
  rateLimit?: RateLimitConfig;
}

export interface CacheTuning {
  /** Octets, 0 for `unlimited`, or a share of physical memory. */
  maxCacheSize?: number | { percent: number };
  maxCacheTtl?: number;
  maxNcacheTtl?: number;
  minCacheTtl?: number;
  minNcacheTtl?: number;
  staleAnswerEnable?: boolean;
  staleAnswerTtl?: number;
  maxStaleTtl?: number;
}

export interface ControlChannel {
  address: string;
  /** BIND's default control port is 953. */
  port: number;
  allow: AddressMatchList;
  /**
   * The keys a request must be signed with (one of them): those its `keys` clause
   * names, from named.conf or else from rndc.key beside it; without the clause, the
   * keys of rndc.key (BIND's automatic rndc key). Never empty in a config without errors.
   * The statistics channel's dashboard actions accept these keys too.
   */
  keys: KeyConfig[];
  pos: Position;
}

/** A statistics-channels listener: where, and who may read (its actions take the controls' keys). */
export type StatisticsChannel = Omit<ControlChannel, 'keys'>;

export interface ZoneConfig {
  /** As written, without a trailing dot (except the root "."). */
  name: string;
  class: 'IN';
  type: ZoneType;
  /** Absolute path (resolved against `directory`). */
  file?: string;
  /** Where `file` was written, for errors about the zone file as a whole. */
  filePos?: Position;
  allowQuery?: AddressMatchList;
  allowTransfer?: AddressMatchList;
  primaries: RemoteServer[];
  forwarders?: RemoteServer[];
  forward?: 'first' | 'only';
  /** The view it came from, if any. */
  view?: string;
  /** `in-view OTHER`: this is the zone of view OTHER, served here too. */
  inView?: string;
  /** The zone's own NOTIFY and journal clauses (named-conf-notify.ts). */
  primary?: PrimarySettings;
  /** BIND writes this zone's file (dynamic update or transfers), so no other zone may use it. */
  writeable: boolean;
  /** `file` as written: BIND compares these strings, not the paths they resolve to. */
  fileText?: string;
  /** A secondary zone's own allow-notify, transfer-source, refresh bounds (options give the defaults). */
  secondary?: SecondarySettings;
  /** The zone's allow-update and update-policy (dynamic updates). */
  update?: UpdateSettings;
  pos: Position;
}

export type { KeyConfig } from './named-conf-keys.js';

export interface NamedConfig {
  /** Absolute path of the main file. */
  file: string;
  /** Every file read (the main file and includes). */
  files: string[];
  options: NamedOptions;
  acls: Map<string, AddressMatchList>;
  /** Top-level `key` statements, by keyId (lower case, no trailing dot). */
  keys: Map<string, KeyConfig>;
  /** Each view's own `key` statements, by view name, then keyId (the same maps as `views[i].keys`). */
  viewKeys: Map<string, Map<string, KeyConfig>>;
  /** The top-level zones, or those of the first view. */
  zones: ZoneConfig[];
  /** Zones of the other views (`triad check` loads them too, as named-checkconf -z does). */
  unservedZones: ZoneConfig[];
  /** The `view` statements in order (named-conf-views.ts); empty when there are none. */
  views: ViewConfig[];
  /** The `logging` statement (named-conf-logging.ts); undefined when there is none. */
  logging?: LoggingConfig;
}

export interface LoadNamedConfOptions {
  /** For tests: read a file's text (default: fs). */
  readFile?: ReadText;
}

const TOKEN_OPTS = { hashComments: true, slashComments: true } as const;
/** Clauses whose syntax continues after a block (`inet … allow { … } keys { … };`). */
const MULTI_PART = new Set(['inet', 'unix', 'response-policy', 'deny-answer-addresses', 'deny-answer-aliases', 'response-padding', 'dnsrps-options', 'plugin']);

/** Builds the statement list of one file; reports missing `;` and unbalanced braces and keeps going. */
export function parseStatements(tokens: Token[], sink: DiagnosticSink): NStatement[] {
  let i = 0;
  const missingSemi = (prev: Token | undefined, next: Token): void => {
    const what = next.kind === 'eof' ? 'end of file' : `'${next.value}'`;
    // The caret goes where the `;` belongs: just after the previous token.
    const at = prev ? { file: prev.file, line: prev.line, col: prev.col + tokenWidth(prev) } : next;
    sink.error(at, `missing ';' before ${what}`);
  };
  const list = (closing: boolean, depth: number): NStatement[] => {
    const out: NStatement[] = [];
    for (;;) {
      const t = tokens[i];
      if (t.kind === 'eof') {
        if (closing) sink.error(t, "unexpected end of file: missing '}'");
        return out;
      }
      if (t.kind === 'punct' && t.value === '}') {
        if (closing) return out;
        sink.error(t, "unexpected '}'");
        i++;
        continue;
      }
      if (t.kind === 'punct' && t.value === ';') {
        i++;
        continue;
      }
      out.push(statement(depth));
    }
  };
  // Past MAX_NESTING a block is reported once and skipped by counting braces, not by recursion.
  const skipBlock = (): void => {
    let open = 1;
    for (; tokens[i].kind !== 'eof'; i++) {
      const t = tokens[i];
      if (t.kind === 'punct' && t.value === '{') open++;
      else if (t.kind === 'punct' && t.value === '}' && --open === 0) return;
    }
  };
  const statement = (depth: number): NStatement => {
    const st: NStatement = { words: [], tail: [], end: tokens[i] };
    let prev: Token | undefined;
    for (;;) {
      const t = tokens[i];
      if (t.kind === 'eof' || (t.kind === 'punct' && t.value === '}')) {
        missingSemi(prev, t);
        st.end = t;
        return st;
      }
      if (t.kind === 'punct' && t.value === ';') {
        i++;
        st.end = t;
        return st;
      }
      if (t.kind === 'punct' && t.value === '{') {
        i++;
        let b: NStatement[] = [];
        if (depth >= MAX_NESTING) {
          sink.error(t, TOO_DEEP);
          skipBlock();
        } else b = list(true, depth + 1);
        const close = tokens[i];
        if (close.kind === 'punct' && close.value === '}') i++;
        if (st.block === undefined) st.block = b;
        else st.tail.push(b);
        prev = close;
        const next = tokens[i];
        if (next.kind === 'punct' && next.value === ';') continue;
        if (next.kind === 'word' || next.kind === 'string' || (next.kind === 'punct' && next.value === '{')) {
          if (MULTI_PART.has((st.words[0]?.value ?? '').toLowerCase())) continue;
          // A catalog-zones entry: `zone "c" default-primaries { … } in-memory yes …;`.
          if ((st.words[0]?.value ?? '').toLowerCase() === 'zone' && CATALOG_ENTRY_CLAUSES.has(next.value.toLowerCase())) continue;
        }
        missingSemi(prev, next);
        st.end = next;
        return st;
      }
      if (st.block === undefined) st.words.push(t);
      else st.tail.push(t);
      prev = t;
      i++;
    }
  };
  return list(false, 0);
}

function tokenWidth(t: Token): number {
  return t.kind === 'string' ? t.value.length + 2 : Math.max(1, t.value.length);
}

const q = (t: Token): string => `'${t.value}'`;

/** Loads a named.conf and its includes. Errors and warnings go to `sink`; the result is usable only when it has no errors. */
export function loadNamedConf(file: string, sink: DiagnosticSink, opts: LoadNamedConfOptions = {}): NamedConfig {
  const readFile = opts.readFile ?? readUtf8;
  const mainFile = path.resolve(file);
  const baseDir = path.dirname(mainFile);
  const files: string[] = [];

  const readStatements = (f: string, from: Position | undefined, stack: string[]): NStatement[] => {
    const text = readConfigText(f, sink, from, readFile);
    if (text === undefined) return [];
    files.push(f);
    sink.addSource(f, text);
    const sts = parseStatements(tokenize(f, text, sink, TOKEN_OPTS), sink);
    return expandIncludes(sts, [...stack, f]);
  };
  // `include` may appear at any level in BIND; expand it in place.
  const expandIncludes = (sts: NStatement[], stack: string[]): NStatement[] => {
    const out: NStatement[] = [];
    for (const s of sts) {
      if (s.words[0]?.value.toLowerCase() === 'include' && s.words[0].kind === 'word') {
        const arg = s.words[1];
        if (!arg || arg.kind !== 'string' || s.words.length !== 2 || s.block) {
          sink.error(arg ?? s.words[0], 'include: expected quoted file name');
          continue;
        }
        const target = path.resolve(baseDir, arg.value);
        if (stack.includes(target)) {
          sink.error(arg, `include cycle: '${arg.value}' is already being read`);
          continue;
        }
        // A loop, not push(...): spreading a large file's statements as arguments overflows the stack.
        for (const x of readStatements(target, arg, stack)) out.push(x);
        continue;
      }
      if (s.block) s.block = expandIncludes(s.block, stack);
      out.push(s);
    }
    return out;
  };

  const top = readStatements(mainFile, undefined, []);
  // rndc.key beside named.conf (what `rndc-confgen -a` writes): the keys of the
  // `controls` channels when named.conf does not define them (BIND's automatic rndc key).
  const rndcKeyFile = path.join(baseDir, 'rndc.key');
  const rndcKeys = (): NStatement[] => {
    if (files.includes(rndcKeyFile)) return [];
    const r = tryReadText(rndcKeyFile, readFile);
    if (!('text' in r)) {
      // Present but unreadable (e.g. root's 0600 file after `triad run -u`): say so.
      if (r.reason !== 'file not found') sink.error({ file: rndcKeyFile, line: 1, col: 1 }, `cannot read: ${r.reason}`);
      return [];
    }
    sink.addSource(rndcKeyFile, r.text);
    return parseStatements(tokenize(rndcKeyFile, r.text, sink, TOKEN_OPTS), sink).filter((st) => st.words[0]?.value.toLowerCase() === 'key');
  };
  return new NamedConfBuilder(sink, baseDir, rndcKeys).build(top, mainFile, files);
}

/** Parses named.conf text without includes from disk (tests, tools). */
export function parseNamedConf(file: string, text: string, sink: DiagnosticSink, files: Record<string, string> = {}): NamedConfig {
  const base = path.dirname(path.resolve(file));
  return loadNamedConf(file, sink, {
    readFile: (f) => {
      if (f === path.resolve(file)) return text;
      const rel = path.relative(base, f);
      if (rel in files) return files[rel];
      const err = new Error('file not found') as NodeJS.ErrnoException;
      err.code = 'ENOENT';
      throw err;
    },
  });
}

interface AmlUse {
  list: AddressMatchList;
  refs: { name: string; token: Token }[];
}

class NamedConfBuilder {
  private warned = new Set<string>();
  private amlUses: AmlUse[] = [];
  private aclDefs = new Map<string, { list: AddressMatchList; refs: { name: string; token: Token }[]; pos: Position }>();
  private keys = new Map<string, KeyConfig>();
  private keyRefs: Token[] = [];
  /** Keys defined inside views: references to them (a zone's primaries in that view) are not unknown keys. */
  private viewKeyNames = new Set<string>();
  private remoteLists = new Map<string, RemoteList>();
  private primaryLists: { zc: ZoneConfig; lists: string[]; port?: number }[] = [];
  /** catalog-zones entries whose default-primaries name lists (expanded at the end). */
  private catalogLists: CatalogZoneConfig[] = [];
  private remoteRefs: { token: Token; zone: string }[] = [];
  /** Top-level dnssec-policy names plus BIND's built-in ones. */
  private dnssecPolicies = new Set(['default', 'none', 'insecure']);
  private policyRefs: { token: Token; zone: string }[] = [];

  /** `controls` inet channels with their `keys` references, resolved at the end. */
  private controlKeyRefs: { channel: ControlChannel; refs: Token[] | undefined; head: Token }[] = [];

  constructor(
    private readonly sink: DiagnosticSink,
    private readonly baseDir: string,
    /** The key statements of rndc.key beside named.conf, read only when a channel needs them. */
    private readonly rndcKeys: () => NStatement[] = () => [],
  ) {}

  /** What the NOTIFY/journal clauses (named-conf-notify.ts) need from the builder. */
  private get primaryContext(): PrimaryClauseContext {
    return { sink: this.sink, port: (t) => this.portValue(t), keyRef: (t) => void this.keyRefs.push(t), remoteList: (name) => (this.remoteLists.has(name) ? expandPrimaries([], [name], this.remoteLists) : undefined) };
  }

  /** One warning per unimplemented option name, at its first use. */
  private unimplemented(t: Token, what?: string): void {
    const key = what ?? t.value.toLowerCase();
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.sink.warning(t, what ? `${what}` : `option '${t.value}' is not implemented by Triad; accepted and ignored`);
  }

  build(top: NStatement[], file: string, files: string[]): NamedConfig {
    const options = this.defaultOptions();
    let optionsSeen: Token | undefined;
    let loggingBlock: NStatement[] | undefined;
    const topZones: NStatement[] = [];
    const views: NStatement[] = [];
    // Definitions first, so uses may come before them (BIND allows that).
    for (const s of top) {
      const head = s.words[0];
      if (!head) {
        this.sink.error(s.end, 'unexpected block');
        continue;
      }
      if (head.kind === 'string') {
        this.sink.error(head, `unknown option '${head.value}'`);
        continue;
      }
      switch (head.value.toLowerCase()) {
        case 'options':
          if (optionsSeen) this.sink.error(head, "'options' redefined");
          else {
            optionsSeen = head;
            if (!this.expectBlock(s, 1)) break;
          }
          break;
        case 'acl':
          this.aclStatement(s);
          break;
        case 'key':
          this.keyStatement(s);
          break;
        case 'zone':
          topZones.push(s);
          break;
        case 'view':
          views.push(s);
          break;
        case 'logging':
          if (this.expectBlock(s, 1)) {
            this.logging(s.block ?? []);
            loggingBlock = s.block ?? [];
          }
          this.unimplemented(head, "'logging': only category 'queries' (the query log) is written to its channels; everything else goes to Triad's JSON log on stdout");
          break;
        case 'controls':
          this.expectBlock(s, 1);
          this.controls(s, options);
          break;
        case 'statistics-channels':
          this.expectBlock(s, 1);
          this.statisticsChannels(s, options);
          break;
        default:
          if (head.value.toLowerCase() in TOP_LEVEL_OTHER) {
            if (head.value.toLowerCase() === 'dnssec-policy' && s.words[1]) this.dnssecPolicies.add(s.words[1].value);
            if ((head.value.toLowerCase() === 'masters' || head.value.toLowerCase() === 'primaries') && s.words[1] && s.block) {
              const lists: string[] = [];
              this.remoteLists.set(s.words[1].value, { servers: this.remoteServers(s.block, undefined, lists), lists, port: listPort(s.words) });
            } else this.unimplemented(head, `statement '${head.value}' is not implemented by Triad; accepted and ignored`);
          } else {
            this.sink.error(head, `unknown option '${head.value}'`);
          }
      }
    }
    if (optionsSeen) {
      const s = top.find((x) => x.words[0] === optionsSeen);
      if (s?.block) this.options(s.block, options);
      if (typeof options.pidFile === 'string') options.pidFile = path.resolve(options.directory, options.pidFile);
    }
    let zoneStatements = topZones;
    const unservedZones: ZoneConfig[] = [];
    const viewConfigs = views.length > 0 ? parseViews(views, topZones, options, this.viewHooks()) : [];
    if (views.length > 0) zoneStatements = [];
    const zones: ZoneConfig[] = [];
    const seen = new Map<string, Position>();
    for (const z of zoneStatements) {
      const zc = this.zone(z, options, undefined);
      if (!zc) continue;
      const key = zc.name.toLowerCase().replace(/\.$/, '') || '.';
      const prev = seen.get(key);
      if (prev) {
        this.sink.error(z.words[1] ?? z.words[0], `zone '${zc.name}': already exists previous definition: ${prev.file}:${prev.line}`);
        continue;
      }
      seen.set(key, zc.pos);
      zones.push(zc);
    }
    if (viewConfigs.length === 0) checkCatalogZones(options.catalogZones, zones, this.sink);
    for (const v of viewConfigs) checkCatalogZones(v.options.catalogZones, v.zones, this.sink);
    if (viewConfigs.length > 0) {
      zones.push(...viewConfigs[0].zones);
      for (const v of viewConfigs.slice(1)) unservedZones.push(...v.zones.filter((z) => z.inView === undefined));
    }
    // Across views too: two views may not share a file either of them writes (an in-view zone is the same zone).
    this.checkWriteableFiles([...zones.filter((z) => z.inView === undefined), ...unservedZones]);
    if (options.allowRecursion && !options.recursion && this.recursionTok) {
      this.sink.warning(this.recursionTok, 'both "recursion no;" and "allow-recursion" active');
    }
    this.resolveReferences();
    for (const p of this.primaryLists) p.zc.primaries = expandPrimaries(p.zc.primaries, p.lists, this.remoteLists, p.port);
    for (const c of this.catalogLists) c.defaultPrimaries = expandPrimaries(c.defaultPrimaries, c.lists, this.remoteLists, c.port);
    const acls = new Map<string, AddressMatchList>();
    for (const [k, v] of this.aclDefs) acls.set(k, v.list);
    const viewKeys = new Map(viewConfigs.map((v) => [v.name, v.keys] as const));
    const logging = loggingBlock ? readLogging(loggingBlock, options.directory) : undefined;
    return { file, files, options, acls, keys: this.keys, viewKeys, zones, unservedZones, views: viewConfigs, logging };
  }

  private defaultOptions(): NamedOptions {
    return { directory: this.baseDir, listenOn: [], listenOnV6: [], port: 53, recursion: true, forwarders: [], forward: 'first', notify: 'yes', cache: {}, controls: [], statisticsChannels: [], emptyZones: { enable: true, disabled: [] } };
  }

  private expectBlock(s: NStatement, words: number): boolean {
    if (!s.block) {
      this.sink.error(s.words[s.words.length - 1], `'${s.words[0].value}': expected '{'`);
      return false;
    }
    if (s.words.length > words) this.sink.error(s.words[words], `unexpected ${q(s.words[words])}`);
    return true;
  }

  // --- options / view / zone clauses ------------------------------------------------

  /** Common checks for a clause against a table: known, not redefined, value type. Returns its spec or undefined. */
  private clause(s: NStatement, table: OptionTable, seen: Map<string, Token>, context: string): string | undefined {
    const head = s.words[0];
    if (!head) {
      this.sink.error(s.end, 'unexpected block');
      return undefined;
    }
    // Clause names are case-insensitive in BIND.
    const name = head.value.toLowerCase();
    const spec = Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
    if (spec === undefined || head.kind !== 'word') {
      this.sink.error(head, `unknown option '${head.value}'${context ? ` in ${context}` : ''}`);
      return undefined;
    }
    const { alternatives, multi } = specOf(spec);
    if (!multi) {
      if (seen.has(name)) {
        this.sink.error(head, `'${head.value}' redefined`);
        return undefined;
      }
      seen.set(name, head);
    }
    if (alternatives[0] === '*') return spec;
    if (alternatives[0] === 'aml') {
      if (!s.block) this.sink.error(s.words[s.words.length - 1], `'${head.value}': expected '{'`);
      else if (s.words.length > 1) this.sink.error(s.words[1], `unexpected ${q(s.words[1])}`);
      return spec;
    }
    const value = s.words[1];
    if (!value || s.block || s.words.length > 2) {
      this.sink.error(value ?? head, `'${head.value}': ${expectedText(alternatives)}`);
      return undefined;
    }
    if (!alternatives.some((a) => valueFits(a, value.value, value.kind === 'string'))) {
      this.sink.error(value, `${expectedText(alternatives)} near ${q(value)}`);
      return undefined;
    }
    return spec;
  }

  private options(block: NStatement[], o: NamedOptions): void {
    const seen = new Map<string, Token>();
    for (const s of block) {
      if (this.clause(s, OPTIONS, seen, '') === undefined) continue;
      if (primaryClause(s, (o.primary ??= {}), this.primaryContext)) continue;
      if (tcpClause(s, (o.tcp ??= {}), this.sink)) continue;
      if (recursionClause(s, (o.recursionLimits ??= {}), this.sink)) continue;
      const head = s.words[0];
      const v = s.words[1];
      switch (head.value.toLowerCase()) {
        case 'directory':
          o.directory = path.resolve(this.baseDir, v.value);
          break;
        case 'listen-on':
        case 'listen-on-v6': {
          const l = this.listenOn(s, o);
          if (l) (head.value.toLowerCase() === 'listen-on' ? o.listenOn : o.listenOnV6).push(l);
          break;
        }
        case 'port': {
          const p = this.portValue(v);
          if (p !== undefined) o.port = p;
          break;
        }
        case 'allow-query':
          o.allowQuery = this.aml(s.block ?? [], true);
          break;
        case 'allow-recursion':
          o.allowRecursion = this.aml(s.block ?? [], true);
          break;
        case 'allow-query-cache':
          o.allowQueryCache = this.aml(s.block ?? [], true);
          break;
        case 'allow-transfer':
          o.allowTransfer = this.allowTransfer(s);
          break;
        case 'recursion':
          this.recursionTok = head;
          o.recursion = parseBool(v.value) ?? true;
          break;
        case 'forwarders':
          o.forwarders = this.forwarders(s);
          break;
        case 'forward':
          o.forward = v.value as 'first' | 'only';
          break;
        case 'blackhole':
          o.blackhole = this.aml(s.block ?? [], true);
          break;
        case 'empty-zones-enable':
          o.emptyZones.enable = parseBool(v.value) ?? true;
          break;
        case 'empty-server':
          o.emptyZones.server = v.value;
          break;
        case 'empty-contact':
          o.emptyZones.contact = v.value;
          break;
        case 'disable-empty-zone':
          o.emptyZones.disabled.push(v.value);
          break;
        case 'allow-update':
          o.allowUpdate = this.aml(s.block ?? [], true);
          break;
        case 'max-cache-size': {
          const w = v.value.toLowerCase();
          if (w === 'unlimited') o.cache.maxCacheSize = 0;
          else if (w === 'default') o.cache.maxCacheSize = undefined;
          else if (w.endsWith('%')) o.cache.maxCacheSize = { percent: Number(w.slice(0, -1)) };
          else o.cache.maxCacheSize = sizeOctets(w);
          break;
        }
        case 'max-cache-ttl':
        case 'max-ncache-ttl':
        case 'min-cache-ttl':
        case 'min-ncache-ttl':
        case 'stale-answer-ttl':
        case 'max-stale-ttl': {
          const key = head.value.toLowerCase().replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()) as keyof CacheTuning;
          (o.cache as Record<string, number>)[key] = durationSeconds(v.value);
          break;
        }
        case 'stale-answer-enable':
          o.cache.staleAnswerEnable = parseBool(v.value) ?? false;
          break;
        case 'dnssec-validation':
          // Accepted: Triad does not validate DNSSEC (README "Caching resolver").
          if (parseBool(v.value) !== false) this.unimplemented(head, "'dnssec-validation' is accepted but Triad does not validate DNSSEC; answers are passed on unvalidated");
          break;
        case 'rate-limit':
          o.rateLimit = parseRateLimit(s, { sink: this.sink, aml: (b) => this.aml(b, true) });
          break;
        case 'pid-file':
          // Relative to `directory`, as BIND; `directory` may come later in the block.
          o.pidFile = v.kind === 'string' ? v.value : null;
          break;
        case 'version':
          o.version = v.kind === 'string' ? v.value : null;
          break;
        case 'querylog':
          o.querylog = parseBool(v.value) ?? false;
          break;
        case 'minimal-responses': {
          const b = parseBool(v.value);
          o.minimalResponses = b === true ? 'yes' : b === false ? 'no' : (v.value.toLowerCase() as 'no-auth' | 'no-auth-recursive');
          break;
        }
        case 'max-udp-size': {
          const n = Number(v.value);
          if (n < 512 || n > 4096) this.sink.warning(v, `'max-udp-size' ${n} is out of range; BIND clamps it to 512..4096`);
          o.maxUdpSize = Math.min(4096, Math.max(512, n));
          break;
        }
        default:
          if (secondaryClause(this, this.sink, s, (o.secondary ??= {}))) break;
          if (head.value.toLowerCase() === 'catalog-zones') {
            // A view's own list replaces the one it inherits.
            o.catalogZones = [];
            catalogZonesClause({ remotes: (b, lists) => this.remoteServers(b, undefined, lists) }, this.sink, s, o.catalogZones);
            this.catalogLists.push(...o.catalogZones);
            break;
          }
          if (sessionKeyClause(s, (o.sessionKey ??= {}))) break;
          this.validateAmls(s);
          this.unimplemented(head);
      }
    }
  }

  /** What named-conf-views.ts borrows from this builder. */
  private viewHooks(): ViewHooks {
    return {
      sink: this.sink,
      options: (block, o) => {
        // The "recursion no with allow-recursion" warning concerns the options block only.
        const rec = this.recursionTok;
        this.options(block, o);
        this.recursionTok = rec;
      },
      zone: (s, o, view) => this.zone(s, o, view),
      aml: (block, used) => this.aml(block, used),
      viewClause: (s, seen) => this.clause(s, VIEW, seen, '') !== undefined,
      // A view's keys are its own (BIND: one keyring per view), so two views may each define a key of the same name.
      viewKeyStatement: (s, into, view) => {
        keyStatement(s, this.sink, into, view, this.keys);
        if (s.words[1]) this.viewKeyNames.add(keyId(s.words[1].value));
      },
      globalKeys: () => this.keys,
      validateAmls: (s) => this.validateAmls(s),
    };
  }

  private zone(s: NStatement, o: NamedOptions, view: string | undefined): ZoneConfig | undefined {
    const kw = s.words[0];
    const nameTok = s.words[1];
    if (!nameTok) {
      this.sink.error(kw, 'zone: expected a zone name');
      return undefined;
    }
    const name = nameTok.value.length > 1 ? nameTok.value.replace(/\.$/, '') : nameTok.value;
    if (!/^[^\s]+$/.test(name) || name.includes('..')) {
      this.sink.error(nameTok, `zone '${nameTok.value}': bad zone name`);
      return undefined;
    }
    const clsTok = s.words[2];
    if (clsTok && !/^in$/i.test(clsTok.value)) {
      if (/^(ch|chaos|hs|hesiod|any|none|class[0-9]+)$/i.test(clsTok.value)) this.sink.error(clsTok, `zone '${name}': class '${clsTok.value}' does not match view/default class`);
      else this.sink.error(clsTok, `unknown class '${clsTok.value}'`);
      return undefined;
    }
    if (s.words.length > 3) {
      this.sink.error(s.words[3], `unexpected ${q(s.words[3])}`);
      return undefined;
    }
    if (!s.block) {
      this.sink.error(nameTok, `zone '${name}': expected '{'`);
      return undefined;
    }
    const seen = new Map<string, Token>();
    const zc: ZoneConfig = { name, class: 'IN', type: 'primary', primaries: [], view, writeable: false, pos: { file: kw.file, line: kw.line, col: kw.col } };
    let typeTok: Token | undefined;
    let fileTok: Token | undefined;
    let primariesSeen = false;
    let allowUpdate: AddressMatchList | undefined;
    let updatePolicy = false;
    const clauses: NStatement[] = [];
    let ok = true;
    for (const c of s.block) {
      if (this.clause(c, ZONE, seen, '') === undefined) {
        ok = false;
        continue;
      }
      clauses.push(c);
      if (c.words[0].value.toLowerCase() === 'type') {
        const t = c.words[1];
        const zt = t ? ZONE_TYPES[t.value.toLowerCase()] : undefined;
        if (!t || !zt || c.words.length > 2 || c.block) {
          this.sink.error(t ?? c.words[0], `${t ? q(t) : "'type'"} unexpected`);
          ok = false;
          continue;
        }
        typeTok = t;
        zc.type = zt;
      }
    }
    if (!typeTok) {
      if (ok) this.sink.error(nameTok, `zone '${name}': type not present`);
      return undefined;
    }
    const notAllowed = NOT_ALLOWED_IN[zc.type] ?? [];
    for (const c of clauses) {
      const head = c.words[0];
      const v = c.words[1];
      if (notAllowed.includes(head.value.toLowerCase())) {
        this.sink.error(head, `option '${head.value}' is not allowed in '${zc.type}' zone '${name}'`);
        ok = false;
        continue;
      }
      if (primaryClause(c, (zc.primary ??= {}), this.primaryContext)) continue;
      switch (head.value.toLowerCase()) {
        case 'type':
          break;
        case 'file':
          fileTok = v;
          zc.fileText = v.value;
          zc.file = path.resolve(o.directory, v.value);
          zc.filePos = { file: v.file, line: v.line, col: v.col };
          break;
        case 'allow-query':
          zc.allowQuery = this.aml(c.block ?? [], true);
          break;
        case 'allow-transfer':
          zc.allowTransfer = this.allowTransfer(c);
          break;
        case 'allow-update':
        case 'update-policy':
          // Dynamic updates (named-conf-update.ts).
          updateClause(this, this.sink, c, (zc.update ??= {}));
          allowUpdate = zc.update.allowUpdate;
          updatePolicy = zc.update.updatePolicy !== undefined;
          break;
        case 'masters':
        case 'primaries':
          if (primariesSeen) {
            this.sink.error(head, "'primaries' and 'masters' cannot both be used in the same zone");
            ok = false;
          }
          primariesSeen = true;
          {
            const lists: string[] = [];
            zc.primaries = this.remoteServers(c.block ?? [], name, lists);
            this.primaryLists.push({ zc, lists, port: listPort(c.words) });
          }
          break;
        case 'forwarders':
          zc.forwarders = this.forwarders(c);
          break;
        case 'forward':
          zc.forward = v.value as 'first' | 'only';
          break;
        case 'dnssec-policy':
          this.policyRefs.push({ token: v, zone: name });
          this.unimplemented(head);
          break;
        default:
          if (secondaryClause(this, this.sink, c, (zc.secondary ??= {}))) break;
          this.validateAmls(c);
          this.unimplemented(head);
      }
    }
    if ((zc.type === 'primary' || zc.type === 'hint') && !fileTok) {
      if (ok) this.sink.error(nameTok, `zone '${name}': missing 'file' entry`);
      return undefined;
    }
    if ((zc.type === 'secondary' || zc.type === 'stub') && !primariesSeen) {
      if (ok) this.sink.error(nameTok, `zone '${name}': missing 'primaries' entry`);
      return undefined;
    }
    if (zc.forward !== undefined && zc.forwarders === undefined) {
      this.sink.error(nameTok, `zone '${name}': no matching 'forwarders' statement`);
      return undefined;
    }
    zc.writeable = zoneIsWriteable(zc.type, updatePolicy, allowUpdate ?? o.allowUpdate);
    // forward and hint zones drive the caching resolver (src/dns/resolver-config.ts); secondaries src/dns/secondary.ts.
    if (zc.type !== 'primary' && zc.type !== 'forward' && zc.type !== 'hint' && zc.type !== 'secondary') {
      this.unimplemented(typeTok, `zone type '${zc.type}' is accepted but not fully implemented by Triad: Triad does not serve zones of type '${zc.type}'`);
    }
    return ok ? zc : undefined;
  }

  // --- values -------------------------------------------------------------------

  private portValue(t: Token): number | undefined {
    const n = Number(t.value);
    if (t.kind !== 'word' || !/^(0x[0-9a-f]+|[0-9]+)$/i.test(t.value) || !Number.isInteger(n)) {
      this.sink.error(t, `expected number near ${q(t)}`);
      return undefined;
    }
    if (n > 65535) {
      this.sink.error(t, `port value '${t.value}' is out of range`);
      return undefined;
    }
    return n;
  }

  /** `listen-on [port N] [dscp N] [tls NAME] [http NAME] { aml }` */
  private listenOn(s: NStatement, o: NamedOptions): ListenOn | undefined {
    const w = s.words;
    let port: number | undefined;
    let ok = true;
    for (let i = 1; i < w.length; i += 2) {
      const k = w[i].value.toLowerCase();
      const v = w[i + 1];
      if (!['port', 'dscp', 'tls', 'http'].includes(k) || !v) {
        this.sink.error(w[i], `unexpected ${q(w[i])}`);
        ok = false;
        break;
      }
      if (k === 'port') {
        port = this.portValue(v);
        if (port === undefined) ok = false;
      } else if (k === 'dscp') {
        if (!/^[0-9]+$/.test(v.value)) {
          this.sink.error(v, `expected number near ${q(v)}`);
          ok = false;
        }
      } else {
        this.unimplemented(w[i], `'${w[0].value} ${k}' (DNS over TLS/HTTPS) is not implemented by Triad; that listener is ignored`);
        return undefined;
      }
    }
    if (!s.block) {
      this.sink.error(w[w.length - 1], `'${w[0].value}': expected '{'`);
      return undefined;
    }
    const list = this.aml(s.block, true);
    if (!ok) return undefined;
    // An unset port follows options { port }, which may come later in the block.
    const entry: ListenOn = { port: port ?? -1, list, pos: { file: w[0].file, line: w[0].line, col: w[0].col } };
    if (port === undefined) this.pendingDefaultPort.push({ entry, o });
    return entry;
  }

  private pendingDefaultPort: { entry: ListenOn; o: NamedOptions }[] = [];
  private recursionTok: Token | undefined;

  /**
   * BIND refuses two zones sharing a file when either one writes it. Like BIND,
   * the file names are compared as written (`./db` and `db` are different).
   */
  private checkWriteableFiles(zones: ZoneConfig[]): void {
    const byFile = new Map<string, ZoneConfig>();
    for (const z of zones) {
      if (z.fileText === undefined) continue;
      const prev = byFile.get(z.fileText);
      if (prev && (prev.writeable || z.writeable)) {
        this.sink.error(z.filePos ?? z.pos, `writeable file '${z.fileText}': already in use: ${prev.pos.file}:${prev.pos.line}`);
        continue;
      }
      if (!prev) byFile.set(z.fileText, z);
    }
  }

  private allowTransfer(s: NStatement): AddressMatchList | undefined {
    // `allow-transfer [port N] [transport T] { aml }`
    if (!s.block) {
      this.sink.error(s.words[s.words.length - 1], "'allow-transfer': expected '{'");
      return undefined;
    }
    return this.aml(s.block, true);
  }

  /** forwarders [port N] [dscp N] { addr [port N] [dscp N]; … } */
  private forwarders(s: NStatement): RemoteServer[] {
    const out: RemoteServer[] = [];
    let defPort: number | undefined;
    for (let i = 1; i < s.words.length; i += 2) {
      const k = s.words[i];
      const v = s.words[i + 1];
      if ((k.value !== 'port' && k.value !== 'dscp') || !v) {
        this.sink.error(k, `unexpected ${q(k)}`);
        return out;
      }
      if (k.value === 'port') defPort = this.portValue(v);
    }
    for (const e of s.block ?? []) {
      const a = e.words[0];
      if (!a || e.block) {
        this.sink.error(a ?? e.end, 'expected IP address');
        continue;
      }
      const p = parsePrefix(a.value);
      if (!p || a.value.includes('/') || a.kind === 'string') {
        this.sink.error(a, `expected IP address near ${q(a)}`);
        continue;
      }
      let port = defPort;
      for (let i = 1; i < e.words.length; i += 2) {
        const k = e.words[i];
        const v = e.words[i + 1];
        if ((k.value !== 'port' && k.value !== 'dscp') || !v) {
          this.sink.error(k, `unexpected ${q(k)}`);
          break;
        }
        if (k.value === 'port') port = this.portValue(v);
      }
      out.push(port === undefined ? { address: a.value } : { address: a.value, port });
    }
    return out;
  }

  /** primaries/masters: addresses [port N] [key K] [tls T], or names of `primaries` lists. */
  private remoteServers(block: NStatement[], zone?: string, lists?: string[]): RemoteServer[] {
    const out: RemoteServer[] = [];
    for (const e of block) {
      const a = e.words[0];
      if (!a || e.block) {
        this.sink.error(a ?? e.end, 'expected IP address or primaries list name');
        continue;
      }
      const p = parsePrefix(a.value);
      if (p && !a.value.includes('/')) {
        let port: number | undefined;
        let key: string | undefined;
        for (let i = 1; i < e.words.length; i += 2) {
          const k = e.words[i];
          const v = e.words[i + 1];
          if (!['port', 'key', 'tls', 'dscp'].includes(k.value) || !v) {
            this.sink.error(k, `unexpected ${q(k)}`);
            break;
          }
          if (k.value === 'port') port = this.portValue(v);
          if (k.value === 'key') {
            this.keyRefs.push(v);
            key = v.value;
          }
        }
        const r: RemoteServer = port === undefined ? { address: a.value } : { address: a.value, port };
        if (key !== undefined) r.key = key;
        out.push(r);
      } else if (/^[0-9.:]+(\/[0-9]+)?$/.test(a.value) && a.kind === 'word') {
        this.sink.error(a, `expected IP address near ${q(a)}`);
      } else {
        lists?.push(a.value);
        this.remoteRefs.push({ token: a, zone: zone ?? '' });
      }
    }
    return out;
  }

  /** Checks every address-match block of an unimplemented clause, so bad prefixes and undefined acls are still errors. */
  private validateAmls(s: NStatement): void {
    const k = s.words[0].value.toLowerCase();
    const spec = OPTIONS[k] ?? ZONE[k] ?? VIEW[k];
    if (spec === 'aml' && s.block) this.aml(s.block, true);
  }

  /** Parses an address-match list block; records acl references for the undefined/loop check when `used`. */
  aml(block: NStatement[], used: boolean): AddressMatchList {
    const refs: { name: string; token: Token }[] = [];
    const list = this.amlElements(block, refs);
    if (used) this.amlUses.push({ list, refs });
    return list;
  }

  private amlElements(block: NStatement[], refs: { name: string; token: Token }[]): AmlElement[] {
    const out: AmlElement[] = [];
    for (const e of block) {
      let words = e.words;
      let negated = false;
      if (words[0]?.kind === 'word' && words[0].value === '!') {
        negated = true;
        words = words.slice(1);
      } else if (words[0]?.kind === 'word' && words[0].value.startsWith('!')) {
        negated = true;
        const w0 = words[0];
        words = [{ ...w0, value: w0.value.slice(1), col: w0.col + 1, offset: w0.offset + 1 }, ...words.slice(1)];
      }
      if (e.block) {
        if (words.length > 0) this.sink.error(words[0], `unexpected ${q(words[0])}`);
        out.push({ kind: 'nested', negated, list: this.amlElements(e.block, refs) });
        continue;
      }
      const w = words[0];
      if (!w) {
        this.sink.error(e.end, 'expected address match element');
        continue;
      }
      if (w.kind === 'word' && w.value === 'key') {
        const k = words[1];
        if (!k || words.length > 2) this.sink.error(k ?? w, 'key: expected a key name');
        else out.push({ kind: 'key', negated, name: k.value });
        continue;
      }
      if (w.kind === 'word' && (w.value === 'geoip' || w.value === 'ecs')) {
        this.unimplemented(w, `'${w.value}' elements in address match lists are not implemented by Triad and never match`);
        // An empty nested list: never matches (a `key` element would match a key of that name).
        out.push({ kind: 'nested', negated, list: [] });
        continue;
      }
      if (words.length > 1) {
        this.sink.error(words[1], `unexpected ${q(words[1])}`);
        continue;
      }
      if (w.kind === 'word' && (BUILTIN_ACLS as readonly string[]).includes(w.value.toLowerCase())) {
        out.push({ kind: 'builtin', negated, name: w.value.toLowerCase() as BuiltinAcl });
        continue;
      }
      if (w.kind === 'word' && (/^[0-9./]+$/.test(w.value) || w.value.includes(':'))) {
        const el = this.prefixElement(w);
        if (el) out.push({ kind: 'prefix', negated, prefix: el, text: w.value });
        continue;
      }
      refs.push({ name: w.value, token: w });
      out.push({ kind: 'acl', negated, name: w.value });
    }
    return out;
  }

  private prefixElement(w: Token): ReturnType<typeof parsePrefix> {
    const text = w.value;
    const slash = text.indexOf('/');
    const addrPart = slash < 0 ? text : text.slice(0, slash);
    const lenPart = slash < 0 ? undefined : text.slice(slash + 1);
    if (lenPart !== undefined && (!/^[0-9]+$/.test(lenPart) || Number(lenPart) > (addrPart.includes(':') ? 128 : 32))) {
      this.sink.error(w, `invalid prefix length '${lenPart}'`);
      return undefined;
    }
    if (lenPart === undefined && /^[0-9.]+$/.test(addrPart) && addrPart.split('.').length < 4) {
      this.sink.error(w, `incomplete IPv4 address or prefix near ${q(w)}`);
      return undefined;
    }
    const p = parsePrefix(text);
    if (!p) {
      this.sink.error(w, `bad address or prefix ${q(w)}`);
      return undefined;
    }
    // Host bits set under the mask: BIND rejects `192.168.1.1/24`.
    let bits = p.length;
    for (let i = 0; i < p.bytes.length; i++, bits -= 8) {
      const mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
      if ((p.bytes[i] & ~mask & 0xff) !== 0) {
        this.sink.error(w, `'${text}': address/prefix length mismatch '${p.length}'`);
        return undefined;
      }
    }
    return p;
  }

  // --- top-level definitions ----------------------------------------------------

  private aclStatement(s: NStatement): void {
    const name = s.words[1];
    if (!name || !s.block || s.words.length > 2) {
      this.sink.error(name ?? s.words[0], 'acl: expected a name and a block');
      return;
    }
    if ((BUILTIN_ACLS as readonly string[]).includes(name.value.toLowerCase())) {
      this.sink.error(name, `attempt to redefine builtin acl '${name.value}'`);
      return;
    }
    const prev = this.aclDefs.get(name.value);
    if (prev) {
      this.sink.error(name, `attempt to redefine acl '${name.value}' previous definition: ${prev.pos.file}:${prev.pos.line}`);
      return;
    }
    const refs: { name: string; token: Token }[] = [];
    const list = this.amlElements(s.block, refs);
    this.aclDefs.set(name.value, { list, refs, pos: { file: name.file, line: name.line, col: name.col } });
  }

  private keyStatement(s: NStatement): void {
    keyStatement(s, this.sink, this.keys);
  }

  /** Checks `logging` as BIND does (unknown clauses, categories and channels are errors); Triad then ignores it. */
  private logging(block: NStatement[]): void {
    const channels = new Set(BUILTIN_LOG_CHANNELS);
    const uses: Token[] = [];
    for (const s of block) {
      const head = s.words[0];
      if (!head) {
        this.sink.error(s.end, 'unexpected block');
        continue;
      }
      const kind = head.value.toLowerCase();
      const name = s.words[1];
      if ((kind !== 'channel' && kind !== 'category') || !name || !s.block || s.words.length > 2) {
        this.sink.error(kind === 'channel' || kind === 'category' ? (name ?? head) : head, kind === 'channel' || kind === 'category' ? `'${kind}': expected a name and a block` : `unknown option '${head.value}'`);
        continue;
      }
      if (kind === 'category') {
        if (!LOG_CATEGORIES.has(name.value.toLowerCase())) this.sink.error(name, `undefined category: '${name.value}'`);
        for (const c of s.block) if (c.words[0]) uses.push(c.words[0]);
        continue;
      }
      channels.add(name.value);
      const seen = new Map<string, Token>();
      for (const c of s.block) {
        if (this.clause(c, LOG_CHANNEL, seen, '') === undefined) continue;
        const h = c.words[0].value.toLowerCase();
        const v = c.words[1];
        if (h === 'severity') {
          const ok = v && /^(critical|error|warning|notice|info|dynamic|debug)$/i.test(v.value) && (c.words.length === 2 || (v.value.toLowerCase() === 'debug' && c.words.length === 3 && /^[0-9]+$/.test(c.words[2].value)));
          if (!ok) this.sink.error(v ?? c.words[0], `${v ? q(v) : "'severity'"} unexpected`);
        } else if (h === 'file' && (!v || v.kind !== 'string')) {
          this.sink.error(v ?? c.words[0], `expected quoted string${v ? ` near ${q(v)}` : ''}`);
        }
      }
    }
    for (const u of uses) if (!channels.has(u.value)) this.sink.error(u, `undefined channel: '${u.value}'`);
  }

  /** controls { inet ADDR [port N] allow { … } [keys { … }]; unix …; }: only `inet` channels are used. */
  private controls(s: NStatement, o: NamedOptions): void {
    for (const c of s.block ?? []) {
      const parts = [...c.words, ...(c.block ? [c.block] : []), ...c.tail];
      let allow: AddressMatchList | undefined;
      let port = 953;
      let keyRefs: Token[] | undefined;
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i];
        if (!Array.isArray(p) && p.value === 'keys' && Array.isArray(parts[i + 1])) {
          keyRefs = [];
          for (const k of parts[i + 1] as NStatement[]) if (k.words[0]) keyRefs.push(k.words[0]);
        }
        if (!Array.isArray(p) && p.value === 'allow' && Array.isArray(parts[i + 1])) allow = this.aml(parts[i + 1] as NStatement[], true);
        // `port` as the last word has its number missing: the error is at the statement's end, as BIND reports it.
        if (!Array.isArray(p) && p.value === 'port' && !Array.isArray(parts[i + 1])) port = this.portValue((parts[i + 1] as Token | undefined) ?? c.end) ?? port;
      }
      const head = c.words[0];
      const addr = c.words[1];
      if (head?.value === 'inet' && addr && !Array.isArray(addr)) {
        const a = addr.value === '*' ? '0.0.0.0' : addr.value;
        const channel: ControlChannel = { address: a, port, allow: allow ?? [{ kind: 'builtin', negated: false, name: 'localhost' }], keys: [], pos: head };
        o.controls.push(channel);
        this.controlKeyRefs.push({ channel, refs: keyRefs, head });
      } else if (head) {
        this.unimplemented(head, `controls '${head.value}' channels are not used by Triad; the control socket and 'inet' channels are`);
      }
    }
  }

  /**
   * statistics-channels { inet ( ADDR | * ) [port ( N | * )] [allow { … }]; }: BIND's port is 80;
   * `*` as the address is every IPv4 address, as the port any free port. Without `allow`
   * only this host may connect (BIND would accept anyone; README, Deliberate differences).
   */
  private statisticsChannels(s: NStatement, o: NamedOptions): void {
    for (const c of s.block ?? []) {
      const parts = [...c.words, ...(c.block ? [c.block] : []), ...c.tail];
      let allow: AddressMatchList | undefined;
      let port = 80;
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i];
        if (Array.isArray(p)) continue;
        const next = parts[i + 1];
        if (p.value === 'allow' && Array.isArray(next)) allow = this.aml(next as NStatement[], true);
        if (p.value === 'port' && next && !Array.isArray(next)) port = next.value === '*' ? 0 : (this.portValue(next) ?? port);
      }
      const head = c.words[0];
      const addr = c.words[1];
      if (head?.value === 'inet' && addr && !Array.isArray(addr)) {
        const a = addr.value === '*' ? '0.0.0.0' : addr.value;
        if (a.includes(':') ? !isIPv6(a) : !isIPv4(a)) {
          this.sink.error(addr, `statistics-channels: '${addr.value}' is not an IP address`);
          continue;
        }
        o.statisticsChannels.push({ address: a, port, allow: allow ?? [{ kind: 'builtin', negated: false, name: 'localhost' }], pos: head });
      } else if (head) {
        this.sink.error(head, `statistics-channels: expected 'inet ADDRESS [port N] [allow { … }]', found '${head.value}'`);
      }
    }
  }

  /**
   * Every inet control channel gets its keys: named in `keys { … }` and defined in
   * named.conf or rndc.key beside it; without `keys`, those of rndc.key. A channel
   * left without a key is an error: unsigned control over the network is refused.
   */
  private resolveControlKeys(): void {
    if (this.controlKeyRefs.length === 0) return;
    const fromFile = new Map<string, KeyConfig>();
    for (const st of this.rndcKeys()) keyStatement(st, this.sink, fromFile);
    for (const { channel, refs, head } of this.controlKeyRefs) {
      const where = `${channel.address}#${channel.port}`;
      if (refs === undefined) {
        channel.keys = [...fromFile.values()];
        if (channel.keys.length === 0) {
          this.sink.error(head, `controls: inet channel ${where} has no 'keys' clause and there is no rndc.key beside named.conf: requests over the network must be signed, so this channel is refused (add keys { "rndc-key"; } and the key, e.g. from rndc-confgen -a)`);
        }
        continue;
      }
      for (const r of refs) {
        const k = this.keys.get(keyId(r.value)) ?? fromFile.get(keyId(r.value));
        if (!k) this.sink.error(r, `unknown key '${r.value}'`);
        else channel.keys.push(k);
      }
      if (refs.length === 0) this.sink.error(head, `controls: inet channel ${where} has an empty 'keys' list: requests over the network must be signed, so this channel is refused`);
    }
  }

  /** Undefined acls (only where a list is used, as BIND), acl loops, unknown keys and primaries lists. */
  private resolveReferences(): void {
    for (const { entry, o } of this.pendingDefaultPort) entry.port = o.port;
    const checked = new Set<string>();
    const visit = (name: string, token: Token, stack: string[]): void => {
      if (stack.includes(name)) {
        this.sink.error(token, `acl loop detected: ${name}`);
        return;
      }
      if (checked.has(name)) return;
      const def = this.aclDefs.get(name);
      if (!def) {
        this.sink.error(token, `undefined ACL '${name}'`);
        checked.add(name);
        return;
      }
      for (const r of def.refs) visit(r.name, r.token, [...stack, name]);
      checked.add(name);
    };
    for (const use of this.amlUses) for (const r of use.refs) visit(r.name, r.token, []);
    this.resolveControlKeys();
    for (const k of this.keyRefs) if (!this.keys.has(keyId(k.value)) && !this.viewKeyNames.has(keyId(k.value))) this.sink.error(k, `unknown key '${k.value}'`);
    for (const r of this.policyRefs) {
      if (!this.dnssecPolicies.has(r.token.value)) this.sink.error(r.token, `zone '${r.zone}': option 'dnssec-policy ${r.token.value}' has no matching dnssec-policy config`);
    }
    for (const r of this.remoteRefs) if (!this.remoteLists.has(r.token.value)) this.sink.error(r.token, `unable to find primaries list '${r.token.value}'`);
  }
}

/** `64k`, `32m`, `1g`, plain octets. */
function sizeOctets(w: string): number {
  const m = /^([0-9]+)([kmg]?)$/i.exec(w);
  if (!m) return 0;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * mult;
}

/** A TTL-style (`1h30m`, `3600`) or ISO 8601 (`PT1H`) duration in seconds. */
export function durationSeconds(w: string): number {
  if (/^[0-9]+$/.test(w)) return Number(w);
  const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  if (/^([0-9]+[smhdw])+$/i.test(w)) {
    let n = 0;
    for (const m of w.matchAll(/([0-9]+)([smhdw])/gi)) n += Number(m[1]) * units[m[2].toLowerCase()];
    return n;
  }
  const iso = /^P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)W)?(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+)S)?)?$/i.exec(w);
  if (!iso) return 0;
  const [y, mo, wk, d, h, mi, sec] = iso.slice(1).map((x) => Number(x ?? 0));
  return y * 31536000 + mo * 2592000 + wk * 604800 + d * 86400 + h * 3600 + mi * 60 + sec;
}

/**
 * BIND's rule for a zone whose file the server writes (named-checkconf's
 * "writeable file"): secondary and mirror zones (transfers; BIND 9.18 lets a
 * stub zone share its file), and primary zones that take dynamic updates: any `update-policy`, or an `allow-update` (the
 * zone's, else the inherited one) that is not `none`. `allow-update { none; }`
 * leaves the zone read-only, so the stock RHEL named.rfc1912.zones may share
 * `named.localhost` between two zones.
 */
export function zoneIsWriteable(type: ZoneType, updatePolicy: boolean, allowUpdate: AddressMatchList | undefined): boolean {
  if (type === 'secondary' || type === 'mirror') return true;
  if (type !== 'primary') return false;
  return updatePolicy || (allowUpdate !== undefined && !amlIsNone(allowUpdate));
}

// dhcpd.conf (dhcpd.conf(5)) → a configuration model with ISC's scoping:
// global → shared-network → subnet → pool, with groups, hosts and classes.
// A token-level recursive-descent parser over the shared tokenizer: option record
// types `{ a, b }`, `if … { } elsif … { }` chains and `case X:` labels are not
// "words then block" statements, so no generic statement tree fits dhcpd.conf.
// Errors are reported at file:line:col and parsing resumes at the next statement,
// so every error of a file is listed.

import path from 'node:path';
import { existsSync } from 'node:fs';
import { readConfigText } from './config-file.js';
import { DiagnosticSink, type Position } from './diagnostics.js';
import { tokenize, type Token } from './tokenizer.js';
import { OPT } from '../wire/dhcp-options.js';
import { ExprError, parseBoolean, parseData, type Expr, type ExprHost } from './dhcpd-expr.js';
import { failoverToHa, parseFailoverStatement, type FailoverPeerDecl } from './dhcpd-failover.js';
import type { HaConfig } from './ha-conf.js';
import { checkDdnsConf, newDdnsConf, parseDdnsKey, parseDdnsZone, type DdnsConf } from './dhcpd-ddns.js';
import { MAX_NESTING, TOO_DEEP } from './limits.js';
import {
  OptionTable,
  STANDARD_OPTIONS,
  encodeDomain,
  isDomainName,
  parseHexList,
  parseIPv4,
  type OptionAtom,
  type OptionDef,
  type OptionType,
} from './dhcp-options.js';

export const DHCPD_PUNCTUATION = ['{', '}', ';', ',', '=', '(', ')', '!=', '~=', '~~', '!', '||', '&&', '+'];

export interface Params {
  defaultLeaseTime?: number;
  maxLeaseTime?: number;
  minLeaseTime?: number;
  dynamicBootpLeaseLength?: number;
  authoritative?: boolean;
  booting?: boolean;
  bootp?: boolean;
  unknownClients?: boolean;
  declines?: boolean;
  clientUpdates?: boolean;
  filename?: string;
  serverName?: string;
  nextServer?: number;
  serverIdentifier?: number;
  pingCheck?: boolean;
  pingTimeout?: number;
  localPort?: number;
  alwaysBroadcast?: boolean;
  alwaysReplyRfc1048?: boolean;
  echoClientId?: boolean;
  ignoreClientUids?: boolean;
  useHostDeclNames?: boolean;
  /** dhcp-cache-threshold: percent of a lease's length during which a renewal gets the lease unchanged. */
  cacheThreshold?: number;
  leaseFileName?: string;
  /** DHCP names in Triad's own zones (dhcpd.conf(5) DYNAMIC DNS UPDATES). */
  ddnsUpdateStyle?: string;
  ddnsUpdates?: boolean;
  ddnsDomainname?: string;
  ddnsRevDomainname?: string;
  ddnsTtl?: number;
  updateStaticLeases?: boolean;
  updateConflictDetection?: boolean;
  updateOptimization?: boolean;
  /** `ddns-hostname`: a data expression (or a string) giving the host part of the name. */
  ddnsHostname?: Expr;
}

export type ScopeKind = 'global' | 'shared-network' | 'subnet' | 'pool' | 'group' | 'host' | 'class';

export interface Scope {
  kind: ScopeKind;
  parent?: Scope;
  params: Params;
  /** dhcp-space option code → encoded value. */
  options: Map<number, Buffer>;
  pos: Position;
  /**
   * `if … { } elsif … { } else { }` chains written in this scope: per chain, the branches
   * in order (`cond` undefined for `else`). The first true branch's scope applies, more
   * specific than this one.
   */
  conditionals?: { cond?: Expr; scope: Scope }[][];
}

export interface Range {
  start: number;
  end: number;
  dynamicBootp: boolean;
  pos: Position;
}

export type Permit =
  | { kind: 'known-clients' | 'unknown-clients' | 'all-clients' | 'dynamic-bootp' | 'authenticated' | 'unauthenticated' }
  | { kind: 'members-of'; cls: string };

export interface Pool {
  scope: Scope;
  ranges: Range[];
  allow: Permit[];
  deny: Permit[];
  sharedNetwork: SharedNetwork;
}

export interface Subnet {
  network: number;
  mask: number;
  scope: Scope;
  sharedNetwork: SharedNetwork;
  iface?: string;
}

export interface SharedNetwork {
  name: string;
  implicit: boolean;
  scope: Scope;
  subnets: Subnet[];
  pools: Pool[];
  iface?: string;
}

export interface Host {
  name: string;
  scope: Scope;
  hwType?: number;
  hwAddr?: Buffer;
  uid?: Buffer;
  fixedAddresses: number[];
  /** fixed-address given as names, to resolve (Triad's own zones) when serving. */
  fixedNames: string[];
}

export interface ClassDecl {
  name: string;
  scope: Scope;
  matchIf?: Expr;
  match?: Expr;
  /** subclass data (hex) → its scope. */
  subclasses: Map<string, Scope>;
  /** `lease limit N`: members that may hold a lease at one time (billing class). */
  leaseLimit?: number;
  /** subclass data (hex) → its own `lease limit`. */
  subclassLimits: Map<string, number>;
  /** `spawn with EXPR`: each distinct value is a subclass of its own, created when first seen. */
  spawn?: Expr;
}

export interface DhcpdConf {
  file: string;
  global: Scope;
  sharedNetworks: SharedNetwork[];
  subnets: Subnet[];
  pools: Pool[];
  hosts: Host[];
  classes: Map<string, ClassDecl>;
  optionTable: OptionTable;
  /** The HA pair built from `failover peer` declarations (dhcpd-failover.ts), if any. */
  ha?: HaConfig;
  /** `key` and `zone` statements: where DHCP names go when the zone is another server's. */
  ddns: DdnsConf;
}

const HW_TYPES: Record<string, number> = { ethernet: 1, 'token-ring': 6, fddi: 8, infiniband: 32 };

type ParamKind = 'num' | 'bool' | 'string' | 'ip' | 'word' | 'any';
/** Parameters Triad implements, with their value kind and where they go. */
const PARAMS: Record<string, [ParamKind, keyof Params | undefined]> = {
  'default-lease-time': ['num', 'defaultLeaseTime'],
  'max-lease-time': ['num', 'maxLeaseTime'],
  'min-lease-time': ['num', 'minLeaseTime'],
  'dynamic-bootp-lease-length': ['num', 'dynamicBootpLeaseLength'],
  filename: ['string', 'filename'],
  'server-name': ['string', 'serverName'],
  'next-server': ['ip', 'nextServer'],
  'server-identifier': ['ip', 'serverIdentifier'],
  'ping-check': ['bool', 'pingCheck'],
  'ping-timeout': ['num', 'pingTimeout'],
  'local-port': ['num', 'localPort'],
  'always-broadcast': ['bool', 'alwaysBroadcast'],
  'always-reply-rfc1048': ['bool', 'alwaysReplyRfc1048'],
  'echo-client-id': ['bool', 'echoClientId'],
  'ignore-client-uids': ['bool', 'ignoreClientUids'],
  'use-host-decl-names': ['bool', 'useHostDeclNames'],
  'dhcp-cache-threshold': ['num', 'cacheThreshold'],
  'boot-unknown-clients': ['bool', 'unknownClients'],
  'lease-file-name': ['string', 'leaseFileName'],
  'ddns-update-style': ['word', 'ddnsUpdateStyle'],
  'ddns-updates': ['bool', 'ddnsUpdates'],
  'ddns-domainname': ['string', 'ddnsDomainname'],
  'ddns-rev-domainname': ['string', 'ddnsRevDomainname'],
  'ddns-ttl': ['num', 'ddnsTtl'],
  'update-static-leases': ['bool', 'updateStaticLeases'],
  'update-conflict-detection': ['bool', 'updateConflictDetection'],
  'update-optimization': ['bool', 'updateOptimization'],
};

/** Valid ISC parameters Triad accepts but does not act on: warned about once. */
const UNSUPPORTED_PARAMS: Record<string, ParamKind> = {
  'do-forward-updates': 'bool', 'ddns-local-address4': 'ip', 'ddns-local-address6': 'any',
  'pid-file-name': 'string', 'log-facility': 'word', 'local-address': 'ip', 'omapi-port': 'num', 'min-secs': 'num',
  'one-lease-per-client': 'bool', 'get-lease-hostnames': 'bool', 'stash-agent-options': 'bool', 'db-time-format': 'word',
  'limit-addrs-per-ia': 'num', 'adaptive-lease-time-threshold': 'num', 'max-ack-delay': 'num', 'max-ack-delay-count': 'num',
  'remote-port': 'num', 'infinite-is-reserved': 'bool', 'lease-id-format': 'word',
  'abandon-lease-time': 'num', 'site-option-space': 'word', 'vendor-option-space': 'word', 'delayed-ack': 'num',
  'max-lease-misbalance': 'num', 'max-lease-ownership': 'num', 'min-balance': 'num', 'max-balance': 'num',
  'ping-cltt-secs': 'num', 'release-on-roam': 'bool', 'persist-eui-64-leases': 'bool', 'server-id-check': 'bool',
  'ignore-client-updates': 'any', 'check-secs-byte-order': 'bool', 'dont-use-fsync': 'bool', 'lease-file-name6': 'string',
  'leasequery': 'bool', 'authoring-byte-order': 'word', 'fqdn-reply': 'bool', 'use-lease-addr-for-default-route': 'bool',
  'ddns-dual-stack-mixed-mode': 'bool', 'ddns-guard-id-must-match': 'bool', 'ddns-other-guard-is-dynamic': 'bool',
  'ddns-update-style-override': 'word', 'preferred-lifetime': 'num', 'prefix-length-mode': 'word', 'local-address6': 'any',
  'bind-local-address6': 'bool', 'dhcpv6-lease-file-name': 'string', 'dhcpv6-pid-file-name': 'string', 'ldap-server': 'any',
};

interface Ctx {
  kind: ScopeKind;
  scope: Scope;
  sharedNetwork?: SharedNetwork;
  subnet?: Subnet;
  pool?: Pool;
  host?: Host;
  cls?: ClassDecl;
  /** Inside a `subclass` block: its data (hex). */
  subclassKey?: string;
  /** Inside `if`/`on`/`switch` bodies: executable statements. */
  exec?: boolean;
  inSwitch?: boolean;
  /** The enclosing declaration kind that `group` inherited (a group inside a subnet acts there). */
  netKind?: ScopeKind;
}

class Skip extends Error {}

export interface ParseResult {
  conf: DhcpdConf;
  sink: DiagnosticSink;
}

/**
 * Parses a dhcpd.conf file (read from disk when `text` is absent) and its includes; every
 * error and warning goes to the sink. A file that cannot be read parses as an empty one.
 */
export function parseDhcpdConf(file: string, text?: string, sink = new DiagnosticSink(), tail?: string): ParseResult {
  const src = text ?? readConfigText(file, sink) ?? '';
  const p = new Parser(file, src, sink, tail);
  return { conf: p.parse(), sink };
}

/**
 * Loads a dhcpd.conf or throws a ConfigError listing every error. `tail`, when that
 * file exists, is read after it as if included at its end (Triad's fixed hosts).
 */
export function loadDhcpdConf(file: string, tail?: string): { conf: DhcpdConf; warnings: DiagnosticSink['items'] } {
  const { conf, sink } = parseDhcpdConf(file, undefined, undefined, tail);
  sink.throwIfErrors();
  return { conf, warnings: sink.warnings };
}

export function newScope(kind: ScopeKind, parent: Scope | undefined, pos: Position): Scope {
  return { kind, parent, params: {}, options: new Map(), pos };
}

class Parser implements ExprHost {
  private toks: Token[];
  private i = 0;
  private warned = new Set<string>();
  private conf: DhcpdConf;
  private table = STANDARD_OPTIONS.clone();
  private keys = new Set<string>();
  private omapiKeys: Token[] = [];
  private failoverDecls: FailoverPeerDecl[] = [];
  private failoverRefs: { name: string; pos: Position }[] = [];

  constructor(
    private file: string,
    text: string,
    private sink: DiagnosticSink,
    tail?: string,
  ) {
    sink.addSource(file, text);
    this.toks = tokenize(file, text, sink, { hashComments: true, punctuation: DHCPD_PUNCTUATION });
    // A file read after this one as if included at its end, when it exists: its tokens before the eof.
    const tailText = tail !== undefined && existsSync(tail) ? readConfigText(tail, sink) : undefined;
    if (tail !== undefined && tailText !== undefined) {
      sink.addSource(tail, tailText);
      const inc = tokenize(tail, tailText, sink, { hashComments: true, punctuation: DHCPD_PUNCTUATION });
      inc.pop(); // eof
      this.toks = this.toks.slice(0, -1).concat(inc, this.toks.slice(-1));
    }
    const global = newScope('global', undefined, { file, line: 1, col: 1 });
    this.conf = { file, global, sharedNetworks: [], subnets: [], pools: [], hosts: [], classes: new Map(), optionTable: this.table, ddns: newDdnsConf() };
  }

  parse(): DhcpdConf {
    const ctx: Ctx = { kind: 'global', scope: this.conf.global };
    while (this.peek().kind !== 'eof') this.statementSafe(ctx);
    for (const k of this.omapiKeys) if (!this.keys.has(k.value)) this.sink.error(k, `OMAPI key ${k.value}: not found`);
    this.finish();
    checkDdnsConf(this.conf.ddns, this.sink);
    return this.conf;
  }

  // ---- token helpers ----
  peek(): Token {
    return this.toks[this.i];
  }
  next(): Token {
    const t = this.toks[this.i];
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  error(at: Position, message: string): void {
    this.sink.error(at, message);
    this.failedAt = at;
  }
  private isP(t: Token, v: string): boolean {
    return t.kind === 'punct' && t.value === v;
  }
  private fail(at: Position, message: string): never {
    this.sink.error(at, message);
    this.failedAt = at;
    throw new Skip();
  }
  private failedAt?: Position;
  private warnOnce(at: Position, key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.sink.warning(at, message);
  }
  private semi(): void {
    const t = this.peek();
    if (!this.isP(t, ';')) this.fail(t, 'semicolon expected.');
    this.next();
  }
  private word(what: string): Token {
    const t = this.next();
    if (t.kind !== 'word') this.fail(t, `expecting ${what}`);
    return t;
  }
  private nameOrString(what: string): Token {
    const t = this.next();
    if (t.kind !== 'word' && t.kind !== 'string') this.fail(t, `expecting ${what}`);
    return t;
  }
  private number(t: Token, min: number, max: number): number {
    if (t.kind !== 'word' || !/^-?(0x[0-9a-fA-F]+|[0-9]+)$/.test(t.value)) this.fail(t, 'expecting numeric value.');
    const n = Number(t.value);
    if (n > max) this.fail(t, `${t.value} exceeds max (${max}) for precision.`);
    if (n < min) this.fail(t, `${t.value} is below min (${min}) for precision.`);
    return n;
  }
  private ipv4(t: Token, what = 'IP address or hostname'): number | string {
    if (t.kind === 'word') {
      const a = parseIPv4(t.value);
      if (a !== undefined) return a;
      if (isDomainName(t.value) && !/^[0-9.]+$/.test(t.value)) return t.value;
    }
    this.fail(t, `${t.value} : expecting ${what}`);
  }

  /** After an error: skip to the end of the current statement (past `;` or a balanced block). */
  private recover(): void {
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') return;
      if (this.isP(t, '{')) depth++;
      if (this.isP(t, '}')) {
        if (depth === 0) return;
        depth--;
        this.next();
        if (depth === 0) return;
        continue;
      }
      this.next();
      if (this.isP(t, ';') && depth === 0) return;
    }
  }

  private statementSafe(ctx: Ctx): void {
    const start = this.i;
    try {
      this.statement(ctx);
    } catch (e) {
      if (!(e instanceof Skip) && !(e instanceof ExprError)) throw e;
      // The offending token may have been a `;` or `}` already consumed: put it back so
      // recovery ends this statement there instead of swallowing the next one.
      const prev = this.toks[this.i - 1];
      if (this.i > start + 1 && prev === this.failedAt && prev.kind === 'punct' && (prev.value === ';' || prev.value === '}')) this.i--;
      this.recover();
    }
    if (this.i === start) this.next(); // never loop on one token
  }

  /** Parses `{ statements }` in a new context. */
  private block(ctx: Ctx, onClose?: (close: Token) => void): void {
    const open = this.next();
    if (!this.isP(open, '{')) this.fail(open, 'expecting left brace.');
    if (this.nesting >= MAX_NESTING) {
      // Reported once and skipped by counting braces, not by recursion.
      this.error(open, TOO_DEEP);
      for (let depth = 1; depth > 0; ) {
        const t = this.next();
        if (t.kind === 'eof') return;
        if (this.isP(t, '{')) depth++;
        if (this.isP(t, '}')) depth--;
      }
      return;
    }
    this.nesting++;
    try {
      this.blockBody(ctx, onClose);
    } finally {
      this.nesting--;
    }
  }

  /** How many blocks enclose the statement being parsed. */
  private nesting = 0;

  private blockBody(ctx: Ctx, onClose?: (close: Token) => void): void {
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') {
        this.error(t, "unexpected end of file: missing '}'");
        return;
      }
      if (this.isP(t, '}')) {
        this.next();
        onClose?.(t);
        return;
      }
      this.statementSafe(ctx);
    }
  }

  private skipBlock(): void {
    const open = this.next();
    if (!this.isP(open, '{')) this.fail(open, 'expecting left brace.');
    let depth = 1;
    while (depth > 0) {
      const t = this.next();
      if (t.kind === 'eof') this.fail(t, "unexpected end of file: missing '}'");
      if (this.isP(t, '{')) depth++;
      if (this.isP(t, '}')) depth--;
    }
    if (this.isP(this.peek(), ';')) this.next();
  }

  // ---- statements ----
  private statement(ctx: Ctx): void {
    const t = this.next();
    if (this.isP(t, ';')) return;
    if (t.kind !== 'word') this.fail(t, 'expecting a parameter or declaration');
    const kw = t.value;
    const netKind = ctx.netKind ?? ctx.kind;
    switch (kw) {
      case 'include':
        return this.include(t);
      case 'shared-network':
        if (['shared-network', 'host', 'subnet', 'class', 'pool'].includes(netKind) || ctx.exec) this.fail(t, 'shared-network parameters not allowed here.');
        return this.sharedNetwork(t, ctx);
      case 'subnet':
        if (['host', 'subnet', 'class', 'pool'].includes(netKind) || ctx.exec) this.fail(t, 'subnet declarations not allowed here.');
        return this.subnet(t, ctx);
      case 'subnet6':
      case 'range6':
      case 'prefix6':
      case 'fixed-address6':
      case 'fixed-prefix6':
      case 'pool6':
        this.fail(t, `${kw} declaration not allowed here.`);
      // falls through (fail never returns)
      case 'pool':
        if (netKind !== 'subnet' && netKind !== 'shared-network') this.fail(t, 'pool declared outside of network');
        return this.pool(t, ctx);
      case 'range':
        if (netKind !== 'subnet' && netKind !== 'pool') this.fail(t, 'range declaration not allowed here.');
        return this.range(ctx);
      case 'host':
        if (ctx.kind === 'host' || ctx.kind === 'class' || ctx.exec) this.fail(t, 'host declarations not allowed here.');
        return this.host(t, ctx);
      case 'group':
        if (ctx.kind === 'host' || ctx.kind === 'class' || ctx.exec) this.fail(t, 'group declarations not allowed here.');
        return this.group(t, ctx);
      case 'class':
      case 'subclass':
      case 'vendor-class':
      case 'user-class':
        if (ctx.kind === 'class' || ctx.exec) this.fail(t, 'class declarations not allowed here.');
        return this.classDecl(t, ctx);
      case 'hardware':
        if (ctx.kind !== 'host') this.fail(t, 'hardware address parameter not allowed here.');
        return this.hardware(ctx);
      case 'fixed-address':
        if (ctx.kind !== 'host') this.fail(t, 'fixed-address parameter not allowed here.');
        return this.fixedAddress(ctx);
      case 'uid': {
        if (ctx.kind !== 'host') this.fail(t, 'uid parameter not allowed here.');
        const v = this.next();
        const b = v.kind === 'string' ? this.decodeString(v.value) : v.kind === 'word' ? parseHexList(v.value) : undefined;
        if (!b) this.fail(v, 'expecting string or hex list.');
        ctx.host!.uid = b;
        return this.semi();
      }
      case 'host-identifier': {
        if (ctx.kind !== 'host') this.fail(t, 'host-identifier not allowed here.');
        this.word("'option'");
        const ref = this.optionRef(this.next());
        if (!ref) throw new Skip();
        const def = this.table.lookup(ref.space, ref.name)!;
        const v = this.optionValue(def);
        if (def.space === 'dhcp' && def.code === OPT.CLIENT_ID && v) ctx.host!.uid = v;
        return this.semi();
      }
      case 'interface': {
        if (netKind !== 'subnet' && netKind !== 'shared-network') this.fail(t, 'interface not allowed here.');
        const name = this.nameOrString('interface name');
        const holder = ctx.kind === 'subnet' ? ctx.subnet : ctx.sharedNetwork;
        if (holder) {
          if (holder.iface !== undefined && holder.iface !== name.value) this.fail(name, "A subnet or shared network can't be connected to two interfaces.");
          holder.iface = name.value;
        }
        return this.semi();
      }
      case 'option':
        return this.option(t, ctx);
      case 'send':
      case 'supersede':
      case 'default':
      case 'prepend':
      case 'append': {
        if (kw === 'default' && this.isP(this.peek(), ':')) this.fail(t, 'switch default statement in inappropriate scope.');
        return this.optionAssignment(t, ctx, kw);
      }
      case 'default:':
        if (!ctx.inSwitch) this.fail(t, 'switch default statement in inappropriate scope.');
        return;
      case 'case':
        if (!ctx.inSwitch) this.fail(t, 'case statement in inappropriate scope.');
        this.parseDataExpr();
        this.caseColon();
        return;
      case 'authoritative':
        ctx.scope.params.authoritative = true;
        return this.semi();
      case 'not': {
        const a = this.word("'authoritative'");
        if (a.value !== 'authoritative') this.fail(a, 'expecting authoritative');
        ctx.scope.params.authoritative = false;
        return this.semi();
      }
      case 'allow':
      case 'deny':
      case 'ignore':
        return this.allowDeny(t, ctx, kw);
      case 'match':
        return this.match(t, ctx);
      case 'spawn': {
        if (ctx.kind !== 'class' || !ctx.cls) this.fail(t, 'spawn not allowed here.');
        const w = this.word("'with'");
        if (w.value !== 'with') this.fail(w, 'expecting with');
        if (ctx.cls.match) this.fail(t, "can't override existing submatch/spawn.");
        ctx.cls.spawn = this.parseDataExpr();
        return this.semi();
      }
      case 'lease': {
        if (ctx.kind !== 'class' || !ctx.cls) this.fail(t, 'lease limit not allowed here.');
        const l = this.word("'limit'");
        if (l.value !== 'limit') this.fail(l, 'expecting "limit"');
        const n = this.number(this.next(), 0, 0xffffffff);
        if (ctx.subclassKey !== undefined) ctx.cls.subclassLimits.set(ctx.subclassKey, n);
        else ctx.cls.leaseLimit = n;
        return this.semi();
      }
      case 'if':
        return this.ifStatement(ctx);
      case 'elsif':
      case 'else':
        this.fail(t, `${kw} without if`);
      // falls through
      case 'switch':
        return this.switchStatement(ctx);
      case 'on':
        return this.onStatement(t, ctx);
      case 'break':
        return this.semi();
      case 'add': {
        const c = this.next();
        if (c.kind !== 'string') this.fail(c, 'expecting class name.');
        if (!this.conf.classes.has(c.value)) this.fail(c, `class ${c.value}: not found`);
        return this.semi();
      }
      case 'set': {
        this.word('variable name');
        const eq = this.next();
        if (!this.isP(eq, '=')) this.fail(eq, "expecting '='");
        this.parseDataExpr();
        return this.semi();
      }
      case 'unset':
        this.word('variable name');
        return this.semi();
      case 'eval':
      case 'return':
        this.parseDataExpr();
        return this.semi();
      case 'log':
      case 'execute': {
        this.i--; // parse as a call expression
        this.parseDataExpr();
        return this.semi();
      }
      case 'server-duid':
        return this.serverDuid();
      case 'zone':
      case 'key': {
        const name = this.nameOrString(`${kw} name`);
        if (kw === 'key') this.keys.add(name.value);
        return (kw === 'key' ? parseDdnsKey : parseDdnsZone)(name, this, this.sink, this.conf.ddns);
      }
      case 'ddns-hostname': {
        // ISC: a string, or `= expression` (dhcp-eval(5)), evaluated for each client.
        if (this.isP(this.peek(), '=')) this.next();
        const e = this.parseDataExpr();
        this.semi();
        ctx.scope.params.ddnsHostname = e;
        return;
      }
      case 'omapi-key': {
        this.omapiKeys.push(this.nameOrString('key name'));
        return this.semi();
      }
      case 'failover': {
        const r = parseFailoverStatement({ peek: () => this.peek(), next: () => this.next(), fail: (at, m) => this.fail(at, m), warn: (at, m) => this.sink.warning(at, m) }, t);
        if (r.decl) this.failoverDecls.push(r.decl);
        if (r.ref) this.failoverRefs.push(r.ref);
        return;
      }
    }
    if (kw in PARAMS || kw in UNSUPPORTED_PARAMS) return this.parameter(t, ctx);
    this.fail(t, 'expecting a parameter or declaration');
  }

  /** For each included file, the files whose includes led to it: including one of those (or itself) is a cycle. */
  private includedFrom = new Map<string, Set<string>>();

  private include(t: Token): void {
    const f = this.next();
    if (f.kind !== 'string') this.fail(f, 'filename string expected.');
    this.semi();
    const target = path.resolve(path.dirname(this.file), f.value);
    const from = path.resolve(f.file);
    const ancestors = this.includedFrom.get(from) ?? new Set<string>();
    if (target === from || ancestors.has(target)) {
      this.error(f, `include cycle: '${f.value}' is already being read`);
      return;
    }
    const text = readConfigText(target, this.sink, f);
    if (text === undefined) return;
    this.includedFrom.set(target, new Set([...(this.includedFrom.get(target) ?? []), from, ...ancestors]));
    this.sink.addSource(target, text);
    const inc = tokenize(target, text, this.sink, { hashComments: true, punctuation: DHCPD_PUNCTUATION });
    inc.pop(); // eof
    // Not splice(…, ...inc): spreading a large file's tokens as arguments overflows the stack.
    this.toks = this.toks.slice(0, this.i).concat(inc, this.toks.slice(this.i));
    void t;
  }

  private sharedNetwork(t: Token, ctx: Ctx): void {
    const name = this.peek();
    if (name.kind !== 'word' && name.kind !== 'string') this.fail(t, 'expecting a name for shared-network');
    this.next();
    if (name.value === '') this.fail(name, 'zero-length shared network name');
    const sn: SharedNetwork = { name: name.value, implicit: false, scope: newScope('shared-network', ctx.scope, t), subnets: [], pools: [] };
    this.block({ kind: 'shared-network', scope: sn.scope, sharedNetwork: sn }, (close) => {
      if (sn.subnets.length === 0) this.error(close, 'empty shared-network decl');
    });
    this.conf.sharedNetworks.push(sn);
  }

  private subnet(t: Token, ctx: Ctx): void {
    const netTok = this.next();
    const net = netTok.kind === 'word' ? parseIPv4(netTok.value) : undefined;
    if (net === undefined) this.fail(netTok, 'Expecting netmask');
    const nm = this.next();
    if (nm.kind !== 'word' || nm.value !== 'netmask') this.fail(nm, 'Expecting netmask');
    const maskTok = this.next();
    const mask = maskTok.kind === 'word' ? parseIPv4(maskTok.value) : undefined;
    if (mask === undefined) this.fail(maskTok, 'expecting netmask address');
    if (((~mask >>> 0) & ((~mask >>> 0) + 1)) !== 0) this.sink.warning(maskTok, `netmask ${maskTok.value} is not contiguous`);
    if ((net & ~mask) >>> 0 !== 0) this.sink.warning(netTok, `subnet ${netTok.value}: host bits set for netmask ${maskTok.value}`);
    let sn = ctx.sharedNetwork;
    const scopeParent = ctx.scope;
    if (!sn) {
      sn = { name: netTok.value, implicit: true, scope: newScope('shared-network', ctx.scope, t), subnets: [], pools: [] };
      this.conf.sharedNetworks.push(sn);
    }
    const subnet: Subnet = { network: (net & mask) >>> 0, mask, scope: newScope('subnet', scopeParent, t), sharedNetwork: sn };
    sn.subnets.push(subnet);
    this.conf.subnets.push(subnet);
    this.block({ kind: 'subnet', scope: subnet.scope, sharedNetwork: sn, subnet });
  }

  private pool(t: Token, ctx: Ctx): void {
    const sn = ctx.sharedNetwork!;
    const pool: Pool = { scope: newScope('pool', ctx.scope, t), ranges: [], allow: [], deny: [], sharedNetwork: sn };
    sn.pools.push(pool);
    this.conf.pools.push(pool);
    this.block({ kind: 'pool', scope: pool.scope, sharedNetwork: sn, subnet: ctx.subnet, pool });
  }

  private range(ctx: Ctx): void {
    let first = this.next();
    let dynamicBootp = false;
    if (first.kind === 'word' && first.value === 'dynamic-bootp') {
      dynamicBootp = true;
      first = this.next();
    }
    const a = first.kind === 'word' ? parseIPv4(first.value) : undefined;
    if (a === undefined) this.fail(first, 'expecting IP address');
    let b = a;
    if (!this.isP(this.peek(), ';')) {
      const second = this.next();
      const v = second.kind === 'word' ? parseIPv4(second.value) : undefined;
      if (v === undefined) this.fail(second, 'expecting IP address');
      b = v;
    }
    this.semi();
    const r: Range = { start: Math.min(a, b), end: Math.max(a, b), dynamicBootp, pos: first };
    if (ctx.subnet) {
      const s = ctx.subnet;
      if ((r.start & s.mask) >>> 0 !== s.network || (r.end & s.mask) >>> 0 !== s.network) this.fail(first, `range ${first.value} is not on the subnet's network`);
    }
    let pool = ctx.pool;
    if (!pool) {
      // A range directly in a subnet is an implicit pool with the subnet's scope.
      const sn = ctx.sharedNetwork!;
      pool = { scope: ctx.scope, ranges: [], allow: [], deny: [], sharedNetwork: sn };
      sn.pools.push(pool);
      this.conf.pools.push(pool);
      ctx.pool = pool;
    }
    pool.ranges.push(r);
  }

  private host(t: Token, ctx: Ctx): void {
    const name = this.nameOrString('host name');
    const host: Host = { name: name.value, scope: newScope('host', ctx.scope, t), fixedAddresses: [], fixedNames: [] };
    this.block({ kind: 'host', scope: host.scope, host });
    const id = host.scope.options.get(OPT.CLIENT_ID);
    if (id && !host.uid) host.uid = id;
    this.conf.hosts.push(host);
  }

  private group(t: Token, ctx: Ctx): void {
    if (this.peek().kind === 'word' || this.peek().kind === 'string') this.next();
    const scope = newScope('group', ctx.scope, t);
    this.block({ ...ctx, kind: 'group', scope, netKind: ctx.netKind ?? ctx.kind, pool: ctx.kind === 'pool' ? ctx.pool : undefined });
  }

  private classDecl(t: Token, ctx: Ctx): void {
    const kw = t.value;
    const nameTok = this.next();
    if (nameTok.kind !== 'string' && nameTok.kind !== 'word') this.fail(nameTok, 'Expecting class name');
    if (kw === 'class') {
      const cls: ClassDecl = { name: nameTok.value, scope: newScope('class', ctx.scope, t), subclasses: new Map(), subclassLimits: new Map() };
      this.conf.classes.set(cls.name, cls);
      if (this.isP(this.peek(), ';')) return this.semi();
      this.block({ kind: 'class', scope: cls.scope, cls });
      return;
    }
    const superclass = this.conf.classes.get(nameTok.value);
    if (!superclass) this.fail(nameTok, `no class named ${nameTok.value}`);
    if (kw !== 'subclass') {
      this.warnOnce(t, kw, `${kw} is obsolete; use class`);
      if (this.isP(this.peek(), ';')) return this.semi();
      return this.block({ kind: 'class', scope: superclass.scope, cls: superclass });
    }
    const dataTok = this.next();
    const data = dataTok.kind === 'string' ? this.decodeString(dataTok.value) : dataTok.kind === 'word' ? parseHexList(dataTok.value) : undefined;
    if (!data) this.fail(dataTok, 'Expecting string or hex list.');
    const scope = newScope('class', superclass.scope, t);
    superclass.subclasses.set(data.toString('hex'), scope);
    if (this.isP(this.peek(), '{')) return this.block({ kind: 'class', scope, cls: superclass, subclassKey: data.toString('hex') });
    this.semi();
  }

  private hardware(ctx: Ctx): void {
    const type = this.word('hardware type');
    const code = HW_TYPES[type.value];
    if (code === undefined) this.fail(type, 'expecting a network hardware type');
    const addrTok = this.next();
    const addr = addrTok.kind === 'word' ? parseHexList(addrTok.value) : undefined;
    if (!addr) this.fail(addrTok, 'expecting hexadecimal number.');
    if (addr.length > 16) this.fail(addrTok, 'hardware address too long');
    ctx.host!.hwType = code;
    ctx.host!.hwAddr = addr;
    this.semi();
  }

  private fixedAddress(ctx: Ctx): void {
    for (;;) {
      const v = this.ipv4(this.next());
      if (typeof v === 'number') ctx.host!.fixedAddresses.push(v);
      else ctx.host!.fixedNames.push(v);
      if (this.isP(this.peek(), ',')) {
        this.next();
        continue;
      }
      break;
    }
    this.semi();
  }

  private allowDeny(t: Token, ctx: Ctx, kw: string): void {
    const w = this.word('a permit');
    const inPool = (ctx.netKind ?? ctx.kind) === 'pool' && ctx.pool;
    let permit: Permit | undefined;
    let flag: keyof Params | undefined;
    let unsupported = false;
    switch (w.value) {
      case 'booting':
        flag = 'booting';
        break;
      case 'bootp':
        flag = 'bootp';
        break;
      case 'unknown-clients':
        if (inPool) permit = { kind: 'unknown-clients' };
        else flag = 'unknownClients';
        break;
      case 'known-clients':
        permit = { kind: 'known-clients' };
        break;
      case 'declines':
        flag = 'declines';
        break;
      case 'client-updates':
        flag = 'clientUpdates';
        break;
      case 'duplicates':
      case 'leasequery':
        unsupported = true;
        break;
      case 'unknown':
      case 'known':
      case 'authenticated':
      case 'unauthenticated':
      case 'all': {
        const c = this.word("'clients'");
        if (c.value !== 'clients') this.fail(c, 'expecting "clients"');
        const k = w.value === 'unknown' ? 'unknown-clients' : w.value === 'known' ? 'known-clients' : w.value === 'all' ? 'all-clients' : w.value;
        permit = { kind: k as 'known-clients' };
        break;
      }
      case 'dynamic': {
        const b = this.word("'bootp'");
        const c = this.word("'clients'");
        if (b.value !== 'bootp' || c.value !== 'clients') this.fail(b, 'expecting "bootp clients"');
        permit = { kind: 'dynamic-bootp' };
        break;
      }
      case 'members': {
        const o = this.word("'of'");
        if (o.value !== 'of') this.fail(o, 'expecting "of"');
        const c = this.next();
        if (c.kind !== 'string') this.fail(c, 'expecting class name.');
        permit = { kind: 'members-of', cls: c.value };
        break;
      }
      case 'after':
        while (!this.isP(this.peek(), ';') && this.peek().kind !== 'eof') this.next();
        unsupported = true;
        break;
      default:
        this.fail(w, 'expecting allow/deny key');
    }
    this.semi();
    if (unsupported) return this.warnOnce(t, `${kw} ${w.value}`, `${kw} ${w.value} is accepted but not acted on by Triad`);
    if (permit) {
      if (!inPool) this.fail(w, `${kw} ${w.value} is a pool permit: only allowed in a pool`);
      if (kw === 'allow') ctx.pool!.allow.push(permit);
      else ctx.pool!.deny.push(permit);
      return;
    }
    if (flag) (ctx.scope.params as Record<string, unknown>)[flag] = kw === 'allow';
  }

  private match(t: Token, ctx: Ctx): void {
    if (ctx.kind !== 'class' || !ctx.cls) this.fail(t, 'match statement only allowed in a class');
    const cls = ctx.cls;
    if (this.peek().kind === 'word' && this.peek().value === 'if') {
      const ifTok = this.next();
      if (cls.matchIf) this.fail(ifTok, "A class may only have one 'match if' clause.");
      cls.matchIf = parseBoolean(this);
    } else {
      if (cls.match || cls.spawn) this.fail(t, "can't override existing submatch/spawn.");
      cls.match = this.parseDataExpr();
    }
    this.semi();
  }

  private ifStatement(ctx: Ctx): void {
    const chain: { cond?: Expr; scope: Scope }[] = [];
    const branch = (cond: Expr | undefined, at: Position): void => {
      const scope = newScope(ctx.scope.kind, undefined, at);
      chain.push({ cond, scope });
      this.block({ ...ctx, scope, exec: true });
    };
    branch(parseBoolean(this), this.toks[this.i - 1]);
    // Attach now so a failed later branch still leaves the parsed ones in place.
    (ctx.scope.conditionals ??= []).push(chain);
    for (;;) {
      const t = this.peek();
      if (t.kind === 'word' && t.value === 'elsif') {
        this.next();
        branch(parseBoolean(this), t);
        continue;
      }
      if (t.kind === 'word' && t.value === 'else') {
        this.next();
        if (this.peek().kind === 'word' && this.peek().value === 'if') {
          this.next();
          branch(parseBoolean(this), t);
          continue;
        }
        branch(undefined, t);
        continue;
      }
      return;
    }
  }

  private switchStatement(ctx: Ctx): void {
    const open = this.next();
    if (!this.isP(open, '(')) this.fail(open, "expecting '('");
    this.parseDataExpr();
    const close = this.next();
    if (!this.isP(close, ')')) this.fail(close, "expecting ')'");
    // Cases are checked but not evaluated: their statements go to a scope nobody reads.
    this.warnOnce(open, 'switch', 'switch statements are checked but not evaluated by Triad');
    this.block({ ...ctx, scope: newScope(ctx.scope.kind, undefined, open), exec: true, inSwitch: true });
  }

  private caseColon(): void {
    const t = this.next();
    if (t.kind === 'word' && t.value === ':') return;
    this.fail(t, "expecting ':'");
  }

  private onStatement(t: Token, ctx: Ctx): void {
    for (;;) {
      const ev = this.word('an event name');
      if (!['commit', 'release', 'expiry'].includes(ev.value)) this.fail(ev, 'expecting commit, release or expiry');
      if (this.peek().kind === 'word' && this.peek().value === 'or') {
        this.next();
        continue;
      }
      break;
    }
    this.warnOnce(t, 'on', 'on commit/release/expiry statements are accepted but not run by Triad');
    if (this.isP(this.peek(), ';')) return this.semi();
    this.block({ ...ctx, scope: newScope(ctx.scope.kind, undefined, t), exec: true });
  }

  private serverDuid(): void {
    const t = this.next();
    this.warnOnce(t, 'server-duid', 'server-duid is a DHCPv6 setting; ignored');
    if (t.kind === 'word' && t.value === 'en') {
      const n = this.next();
      if (n.kind !== 'word' || !/^[0-9]+$/.test(n.value)) this.fail(n, 'enterprise number expected');
      const id = this.next();
      if (id.kind !== 'string' && !(id.kind === 'word' && parseHexList(id.value))) this.fail(id, 'identifier expected');
      return this.semi();
    }
    if (t.kind === 'word' && (t.value === 'll' || t.value === 'llt')) {
      if (this.isP(this.peek(), ';')) return this.semi();
      const hw = this.next();
      if (hw.kind !== 'word' || HW_TYPES[hw.value] === undefined) this.fail(hw, 'hardware type expected');
      if (t.value === 'llt') {
        const ts = this.next();
        if (ts.kind !== 'word' || !/^[0-9]+$/.test(ts.value)) this.fail(ts, 'timestamp expected');
      }
      const addr = this.next();
      if (addr.kind !== 'word' || !parseHexList(addr.value)) this.fail(addr, 'expecting hexadecimal number.');
      return this.semi();
    }
    if (t.kind === 'word' && /^[0-9]+$/.test(t.value)) {
      const id = this.next();
      if (id.kind !== 'string' && !(id.kind === 'word' && parseHexList(id.value))) this.fail(id, 'identifier expected');
      return this.semi();
    }
    this.fail(t, 'DUID type of LLT, EN, or LL expected');
  }

  private parameter(t: Token, ctx: Ctx): void {
    const supported = PARAMS[t.value];
    const kind: ParamKind = supported ? supported[0] : UNSUPPORTED_PARAMS[t.value];
    // `ddns-update-style none` is exactly what Triad does (no DNS updates): nothing to warn about.
    const noop = t.value === 'ddns-update-style' && this.peek().value === 'none';
    if (!supported && !noop) this.warnOnce(t, t.value, `${t.value} is accepted but not acted on by Triad`);
    if (this.isP(this.peek(), '=')) {
      // `parameter = expression;` (dhcpd.conf(5) "option statements" form for server options).
      this.next();
      this.parseDataExpr();
      this.warnOnce(t, `${t.value}=`, `${t.value} = expression: only constant values are used by Triad`);
      return this.semi();
    }
    let value: unknown;
    const v = this.next();
    switch (kind) {
      case 'num':
        value = this.number(v, 0, 0xffffffff);
        break;
      case 'bool':
        // dhcpd compares boolean words without regard to case (strcasecmp).
        if (v.kind !== 'word' || !['true', 'false', 'on', 'off', 'ignore'].includes(v.value.toLowerCase())) this.fail(v, 'boolean value (true/false/on/off) expected');
        value = ['true', 'on'].includes(v.value.toLowerCase());
        break;
      case 'string':
        if (v.kind !== 'string') this.fail(v, 'expecting a quoted string');
        value = v.value;
        break;
      case 'ip': {
        const a = this.ipv4(v);
        if (typeof a === 'string') this.warnOnce(v, `name ${a}`, `${t.value} ${a}: host names are not resolved by Triad; use an address`);
        value = typeof a === 'number' ? a : undefined;
        break;
      }
      case 'word':
        if (v.kind !== 'word' && v.kind !== 'string') this.fail(v, 'expecting a name');
        value = v.value;
        break;
      case 'any':
        while (!this.isP(this.peek(), ';') && this.peek().kind !== 'eof') this.next();
        break;
    }
    this.semi();
    if (supported && supported[1] && value !== undefined) (ctx.scope.params as Record<string, unknown>)[supported[1]] = value;
  }

  // ---- options ----
  /** `option …` statements: definitions, spaces, values and `= expression`. */
  private option(t: Token, ctx: Ctx): void {
    const nameTok = this.peek();
    if (nameTok.kind === 'word' && nameTok.value === 'space') {
      this.next();
      return this.optionSpace();
    }
    const parsed = this.splitName(this.next());
    const after = this.peek();
    if (after.kind === 'word' && after.value === 'code') {
      this.next();
      return this.optionDefinition(parsed.space, parsed.name, nameTok);
    }
    void t;
    const ref = this.resolveOption(nameTok, parsed);
    if (!ref) throw new Skip();
    this.optionBody(ref, ctx);
  }

  private optionAssignment(t: Token, ctx: Ctx, kw: string): void {
    const nameTok = this.next();
    const ref = this.optionRef(nameTok);
    if (!ref) throw new Skip();
    if (kw !== 'send' && kw !== 'supersede') this.warnOnce(t, kw, `${kw} is treated like supersede by Triad`);
    this.optionBody(ref, ctx);
  }

  private optionBody(ref: { space: string; name: string }, ctx: Ctx): void {
    if (this.isP(this.peek(), '=')) {
      this.next();
      this.parseDataExpr();
      this.warnOnce(this.toks[this.i - 1], 'option-expr', 'option values computed by expressions are not sent by Triad');
      return this.semi();
    }
    if (ref.space === 'server') {
      while (!this.isP(this.peek(), ';') && this.peek().kind !== 'eof') this.next();
      return this.semi();
    }
    const def = this.table.lookup(ref.space, ref.name)!;
    const value = this.optionValue(def);
    this.semi();
    if (value && def.space === 'dhcp') ctx.scope.options.set(def.code, value);
    else if (value && def.space !== 'dhcp') this.warnOnce(this.toks[this.i - 1], `space ${def.space}`, `options of space ${def.space} are not sent by Triad`);
  }

  private splitName(t: Token): { space: string; name: string } {
    if (t.kind !== 'word') this.fail(t, 'expecting identifier after option keyword.');
    const dot = t.value.indexOf('.');
    return dot < 0 ? { space: 'dhcp', name: t.value } : { space: t.value.slice(0, dot), name: t.value.slice(dot + 1) };
  }

  private resolveOption(t: Token, n: { space: string; name: string }): { space: string; name: string } | undefined {
    if (!this.table.spaces.has(n.space)) {
      this.error({ ...t, col: t.col + n.space.length + 1 }, `no option space named ${n.space}.`);
      return undefined;
    }
    if (n.space === 'server') return n;
    if (!this.table.lookup(n.space, n.name)) {
      this.error(t, `unknown option ${n.space}.${n.name}`);
      return undefined;
    }
    return n;
  }

  optionRef(t: Token): { space: string; name: string } | undefined {
    if (t.kind !== 'word') {
      this.error(t, 'expecting identifier after option keyword.');
      return undefined;
    }
    return this.resolveOption(t, this.splitName(t));
  }

  classExists(name: string): boolean {
    return this.conf.classes.has(name);
  }

  private parseDataExpr(): Expr {
    return parseData(this);
  }

  private optionSpace(): void {
    const name = this.nameOrString('option space name');
    while (this.peek().kind === 'word') {
      const w = this.next();
      if (w.value === 'code' || w.value === 'length') {
        const wd = this.word("'width'");
        if (wd.value !== 'width') this.fail(wd, 'expecting width');
        const n = this.next();
        const v = Number(n.value);
        if (w.value === 'code' && ![1, 2, 4].includes(v)) this.fail(n, `invalid code width (${n.value}) expecting 1, 2 or 4.`);
        if (w.value === 'length' && ![1, 2].includes(v)) this.fail(n, `invalid length width (${n.value}) expecting 1 or 2.`);
      } else if (w.value === 'hash') {
        const sz = this.word("'size'");
        if (sz.value !== 'size') this.fail(sz, 'expecting size');
        this.number(this.next(), 1, 0xffffffff);
      } else this.fail(w, 'expecting code, length or hash');
    }
    this.semi();
    this.table.spaces.add(name.value);
  }

  private optionDefinition(space: string, name: string, at: Token): void {
    if (!this.table.spaces.has(space)) this.fail(at, `no option space named ${space}.`);
    const code = this.number(this.next(), 0, space === 'dhcp' ? 254 : 0xffffffff);
    const eq = this.next();
    if (!this.isP(eq, '=')) this.fail(eq, "expecting '='");
    let type: OptionType;
    const t = this.peek();
    if (this.isP(t, '{')) {
      this.next();
      const atoms: OptionAtom[] = [];
      let repeatLast = false;
      for (;;) {
        const a = this.peek();
        if (a.kind === 'word' && a.value === 'array') {
          this.next();
          this.ofWord();
          if (this.isP(this.peek(), '{')) this.fail(this.peek(), 'only uniform array inside record.');
          atoms.push(this.atomType(true));
          repeatLast = true;
        } else {
          atoms.push(this.atomType(false));
          repeatLast = false;
        }
        const sep = this.next();
        if (this.isP(sep, '}')) break;
        if (!this.isP(sep, ',')) this.fail(sep, "expecting ',' or '}'");
      }
      type = { atoms, array: false, repeatLast };
    } else if (t.kind === 'word' && t.value === 'array') {
      this.next();
      this.ofWord();
      const n = this.peek();
      if (n.kind === 'word' && n.value === 'array') this.fail(n, 'no nested arrays.');
      if (this.isP(n, '{')) {
        this.next();
        const atoms: OptionAtom[] = [];
        for (;;) {
          atoms.push(this.atomType(true));
          const sep = this.next();
          if (this.isP(sep, '}')) break;
          if (!this.isP(sep, ',')) this.fail(sep, "expecting ',' or '}'");
        }
        type = { atoms, array: true };
      } else type = { atoms: [this.atomType(true)], array: true };
    } else type = { atoms: [this.atomType(false)], array: false };
    this.semi();
    this.table.define({ space, name, code, type });
  }

  private ofWord(): void {
    const o = this.next();
    if (o.kind !== 'word' || o.value !== 'of') this.fail(o, 'expecting "of".');
  }

  private atomType(inArray: boolean): OptionAtom {
    const t = this.next();
    if (t.kind !== 'word') this.fail(t, `unknown data type ${t.value}`);
    const intBits = (): 8 | 16 | 32 => {
      const n = this.next();
      if (n.value !== '8' && n.value !== '16' && n.value !== '32') this.fail(n, 'expecting 8, 16 or 32');
      return Number(n.value) as 8 | 16 | 32;
    };
    switch (t.value) {
      case 'boolean':
        return { kind: 'bool' };
      case 'integer':
        return { kind: 'int', bits: intBits(), signed: true };
      case 'signed':
      case 'unsigned': {
        const w = this.word('integer');
        if (w.value !== 'integer') this.fail(w, 'expecting "integer" keyword.');
        return { kind: 'int', bits: intBits(), signed: t.value === 'signed' };
      }
      case 'ip-address':
        return { kind: 'ip' };
      case 'ip6-address':
        return { kind: 'ip6' };
      case 'domain-name':
        return { kind: 'domain' };
      case 'domain-list': {
        if (inArray) this.fail(t, 'arrays of text strings not yet supported.');
        let compressed = false;
        if (this.peek().kind === 'word' && this.peek().value === 'compressed') {
          this.next();
          compressed = true;
        }
        return { kind: 'domain-list', compressed };
      }
      case 'text':
        if (inArray) this.fail(t, 'arrays of text strings not yet supported.');
        return { kind: 'text' };
      case 'string':
        if (inArray) this.fail(t, 'arrays of text strings not yet supported.');
        return { kind: 'string' };
      case 'zerolen':
        return { kind: 'zerolen' };
      case 'encapsulate': {
        const sp = this.nameOrString('option space');
        if (!this.table.spaces.has(sp.value)) this.fail(sp, `no option space named ${sp.value}.`);
        return { kind: 'encapsulate', space: sp.value };
      }
    }
    this.fail(t, `unknown data type ${t.value}`);
  }

  /** Parses and encodes an option value by its type; reports type errors at the value. */
  private optionValue(def: OptionDef): Buffer | undefined {
    const parts: Buffer[] = [];
    const { atoms, array, repeatLast } = def.type;
    if (atoms.length === 1 && atoms[0].kind === 'zerolen') return Buffer.alloc(0);
    let dropped = false;
    const one = (a: OptionAtom): void => {
      const b = this.atomValue(a, def);
      if (b === null) dropped = true;
      else parts.push(b);
    };
    for (;;) {
      for (let k = 0; k < atoms.length; k++) {
        one(atoms[k]);
        if (repeatLast && k === atoms.length - 1) {
          while (this.isP(this.peek(), ',')) {
            this.next();
            one(atoms[k]);
          }
        }
      }
      if (array && this.isP(this.peek(), ',')) {
        this.next();
        continue;
      }
      break;
    }
    return dropped ? undefined : Buffer.concat(parts);
  }

  /** One value; null when valid but not encodable now (a host name to resolve). */
  private atomValue(a: OptionAtom, def: OptionDef): Buffer | null {
    const t = this.next();
    switch (a.kind) {
      case 'ip': {
        if (t.kind !== 'word') this.fail(t, `${t.value} (${t.kind}): expecting IP address or hostname`);
        const v = this.ipv4(t);
        if (typeof v === 'string') {
          this.warnOnce(t, `name ${v}`, `option ${def.name} ${v}: host names are not resolved by Triad; option left out`);
          return null;
        }
        const b = Buffer.alloc(4);
        b.writeUInt32BE(v);
        return b;
      }
      case 'ip6': {
        const b = t.kind === 'word' ? ipv6Bytes(t.value) : undefined;
        if (!b) this.fail(t, 'expecting IPv6 address');
        return b;
      }
      case 'bool': {
        // As dhcpd: `True`, `ON` … are booleans too (strcasecmp).
        if (t.kind !== 'word' || !['true', 'false', 'on', 'off', 'ignore'].includes(t.value.toLowerCase())) this.fail(t, 'boolean value (true/false/on/off) expected');
        return Buffer.from([['true', 'on'].includes(t.value.toLowerCase()) ? 1 : 0]);
      }
      case 'int': {
        const max = a.signed ? 2 ** (a.bits - 1) - 1 : 2 ** a.bits - 1;
        const min = a.signed ? -(2 ** (a.bits - 1)) : 0;
        const n = this.number(t, min, max);
        const b = Buffer.alloc(a.bits / 8);
        if (a.bits === 8) a.signed ? b.writeInt8(n) : b.writeUInt8(n);
        else if (a.bits === 16) a.signed ? b.writeInt16BE(n) : b.writeUInt16BE(n);
        else a.signed ? b.writeInt32BE(n) : b.writeUInt32BE(n);
        return b;
      }
      case 'text': {
        if (t.kind === 'string') return this.decodeString(t.value);
        // dhcpd takes a bare word as text, but a dotted name is the classic mistake
        // (`option domain-name cafe.babe;`): it must be quoted.
        if (t.kind === 'word' && /^[A-Za-z0-9_-]+$/.test(t.value)) return Buffer.from(t.value, 'latin1');
        if (t.kind === 'word') this.fail(t, `option ${def.name}: text must be quoted: "${t.value}"`);
        this.fail(t, `option ${def.name}: expecting a quoted string`);
      }
      // falls through (fail never returns)
      case 'string':
      case 'encapsulate': {
        if (t.kind === 'string') return this.decodeString(t.value);
        const b = t.kind === 'word' ? parseHexList(t.value) : undefined;
        if (!b) this.fail(t, 'expecting string or hex list.');
        return b;
      }
      case 'domain': {
        if (t.kind !== 'word' || !isDomainName(t.value)) this.fail(t, 'not a valid domain name.');
        return encodeDomain(t.value) ?? this.fail(t, 'not a valid domain name.');
      }
      case 'domain-list': {
        const out: Buffer[] = [];
        let cur = t;
        for (;;) {
          if (cur.kind !== 'string' || !isDomainName(cur.value)) this.fail(cur, 'expecting a quoted domain name');
          out.push(encodeDomain(cur.value)!);
          if (!this.isP(this.peek(), ',')) break;
          this.next();
          cur = this.next();
        }
        return Buffer.concat(out);
      }
      case 'zerolen':
        this.i--;
        return Buffer.alloc(0);
    }
  }

  /** dhcpd string escapes: \n \t \r \b, \ooo octal, \xHH. */
  decodeString(raw: string): Buffer {
    const out: number[] = [];
    for (let k = 0; k < raw.length; k++) {
      const c = raw[k];
      if (c !== '\\' || k + 1 >= raw.length) {
        for (const b of Buffer.from(c, 'utf8')) out.push(b);
        continue;
      }
      const e = raw[++k];
      if (e === 'n') out.push(10);
      else if (e === 't') out.push(9);
      else if (e === 'r') out.push(13);
      else if (e === 'b') out.push(8);
      else if (e === 'x' && /^[0-9a-fA-F]{1,2}/.test(raw.slice(k + 1))) {
        const m = /^[0-9a-fA-F]{1,2}/.exec(raw.slice(k + 1))![0];
        out.push(parseInt(m, 16));
        k += m.length;
      } else if (/[0-7]/.test(e)) {
        const m = /^[0-7]{1,3}/.exec(raw.slice(k))![0];
        out.push(parseInt(m, 8) & 255);
        k += m.length - 1;
      } else out.push(e.charCodeAt(0));
    }
    return Buffer.from(out);
  }

  /** Checks that need the whole file. */
  private finish(): void {
    const ha = failoverToHa(this.failoverDecls, this.failoverRefs, this.sink);
    if (ha) this.conf.ha = ha;
    for (const pool of this.conf.pools) {
      for (const r of pool.ranges) {
        const inSubnet = pool.sharedNetwork.subnets.some((s) => (r.start & s.mask) >>> 0 === s.network && (r.end & s.mask) >>> 0 === s.network);
        if (!inSubnet) this.error(r.pos, 'range is not on any subnet of its shared network');
      }
    }
    for (const h of this.conf.hosts) {
      if (h.fixedNames.length) this.warnOnce(h.scope.pos, `fixed ${h.name}`, `host ${h.name}: fixed-address names are resolved when serving`);
    }
  }
}

function ipv6Bytes(text: string): Buffer | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(':')) return undefined;
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const tl = tail ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - h.length - tl.length;
  if (fill < 0 || (tail === undefined && h.length !== 8)) return undefined;
  const groups = [...h, ...new Array<string>(fill).fill('0'), ...tl];
  const b = Buffer.alloc(16);
  for (let k = 0; k < 8; k++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(groups[k])) return undefined;
    b.writeUInt16BE(parseInt(groups[k], 16), k * 2);
  }
  return b;
}

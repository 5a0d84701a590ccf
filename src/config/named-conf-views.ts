// named.conf `view` statements (BIND 9.18): each view has its own zones and may
// override the server-wide options for itself (recursion, allow-query,
// forwarders…); what it does not set it inherits from `options`, then from
// BIND's defaults. `match-clients`, `match-destinations` and
// `match-recursive-only` say which queries it answers (src/dns/views.ts decides).
//
// The checks are named-checkconf's: zones outside views once views exist, a view
// name used twice, a zone defined twice in one view (the same zone in two views is
// the point of views), `in-view` naming a zone no earlier view has.

import type { DiagnosticSink, Position } from './diagnostics.js';
import type { Token } from './tokenizer.js';
import type { AddressMatchList } from '../net/address-match.js';
import type { KeyConfig, NamedOptions, NStatement, ZoneConfig } from './named-conf.js';

export interface ViewConfig {
  name: string;
  /** `match-clients`; unset matches every client. */
  matchClients?: AddressMatchList;
  /** `match-destinations`; unset matches every local address. */
  matchDestinations?: AddressMatchList;
  /** `match-recursive-only yes`: only queries with RD set. */
  matchRecursiveOnly: boolean;
  /** The options in force in this view: its own clauses over the global options. */
  options: NamedOptions;
  zones: ZoneConfig[];
  /** `key` statements inside the view: its own keys, by name. */
  keys: Map<string, KeyConfig>;
  pos: Position;
}

/** What the view parser borrows from the named.conf builder (its clause checks, option and zone parsers). */
export interface ViewHooks {
  sink: DiagnosticSink;
  /** The options block parser, applied to a view's option clauses over a copy of the global options. */
  options(block: NStatement[], o: NamedOptions): void;
  zone(s: NStatement, o: NamedOptions, view: string): ZoneConfig | undefined;
  aml(block: NStatement[], used: boolean): AddressMatchList;
  /** The clause check against the view table: known, not redefined, well-formed. False: skip it. */
  viewClause(s: NStatement, seen: Map<string, Token>): boolean;
  /** Parses a `key` statement into the view's own keys. */
  viewKeyStatement(s: NStatement, into: Map<string, KeyConfig>, view: string): void;
  /** The top-level keys (complete: definitions are read before views). */
  globalKeys(): ReadonlyMap<string, KeyConfig>;
  /** Marks an option clause as used (checks its address-match lists). */
  validateAmls(s: NStatement): void;
}

/** Clauses of a view that are not options: they say which queries the view takes, or define things in it. */
const VIEW_ONLY = new Set(['match-clients', 'match-destinations', 'match-recursive-only', 'key', 'dlz', 'dyndb', 'managed-keys', 'trust-anchors', 'trusted-keys']);

const zoneKey = (name: string): string => name.toLowerCase().replace(/\.$/, '') || '.';

/** A copy of the options a view may change without touching the global ones. */
export function copyOptions(o: NamedOptions): NamedOptions {
  return {
    ...o,
    forwarders: [...o.forwarders],
    cache: { ...o.cache },
    emptyZones: { ...o.emptyZones, disabled: [...o.emptyZones.disabled] },
  };
}

/**
 * Parses every `view` statement in order. `topZones` are the zones outside any
 * view: an error once views exist (named-checkconf reports the first).
 */
export function parseViews(views: NStatement[], topZones: NStatement[], global: NamedOptions, hooks: ViewHooks): ViewConfig[] {
  const { sink } = hooks;
  if (topZones.length > 0) sink.error(topZones[0].words[0], "when using 'view' statements, all zones must be in views");
  const out: ViewConfig[] = [];
  const byName = new Map<string, ViewConfig>();
  for (const v of views) {
    const kw = v.words[0];
    const name = v.words[1];
    if (!name || !v.block) {
      sink.error(name ?? kw, 'view: expected a name and a block');
      continue;
    }
    const cls = v.words[2];
    if (v.words.length > 3) {
      sink.error(v.words[3], `unexpected '${v.words[3].value}'`);
      continue;
    }
    const prev = byName.get(name.value);
    if (prev) {
      sink.error(name, `view '${name.value}': already exists previous definition: ${prev.pos.file}:${prev.pos.line}`);
      continue;
    }
    const vc = viewBody(name.value, { file: kw.file, line: kw.line, col: kw.col }, v.block, global, byName, hooks);
    byName.set(name.value, vc);
    if (cls && !/^in$/i.test(cls.value)) {
      // CHAOS views (version.bind…): Triad answers CH itself (options { version }).
      if (/^(ch|chaos|hs|hesiod)$/i.test(cls.value)) sink.warning(cls, `view '${name.value}': class '${cls.value}' views are not served by Triad; accepted and ignored`);
      else sink.error(cls, `unknown class '${cls.value}'`);
      continue;
    }
    out.push(vc);
  }
  return out;
}

function viewBody(name: string, pos: Position, block: NStatement[], global: NamedOptions, earlier: ReadonlyMap<string, ViewConfig>, hooks: ViewHooks): ViewConfig {
  const { sink } = hooks;
  const seen = new Map<string, Token>();
  const zoneStatements: NStatement[] = [];
  const optionClauses: NStatement[] = [];
  const vc: ViewConfig = { name, matchRecursiveOnly: false, options: copyOptions(global), zones: [], keys: new Map(), pos };
  for (const s of block) {
    const head = s.words[0];
    if (head?.value.toLowerCase() === 'zone' && head.kind === 'word') {
      zoneStatements.push(s);
      continue;
    }
    if (!hooks.viewClause(s, seen)) continue;
    const k = head.value.toLowerCase();
    if (!VIEW_ONLY.has(k)) {
      optionClauses.push(s);
      continue;
    }
    switch (k) {
      case 'match-clients':
        vc.matchClients = hooks.aml(s.block ?? [], true);
        break;
      case 'match-destinations':
        vc.matchDestinations = hooks.aml(s.block ?? [], true);
        break;
      case 'match-recursive-only':
        vc.matchRecursiveOnly = /^(yes|true|1)$/i.test(s.words[1].value);
        break;
      case 'key':
        // Its own keyring; a name the top level already defines is an error there (named-conf-keys.ts).
        hooks.viewKeyStatement(s, vc.keys, name);
        break;
      default:
        hooks.validateAmls(s);
    }
  }
  // Options first: zones inherit from the view (allow-update decides a zone's writeability).
  hooks.options(optionClauses, vc.options);
  const defined = new Map<string, Position>();
  for (const z of zoneStatements) {
    const shared = inViewZone(z, name, earlier, sink);
    if (shared === null) continue;
    const zc = shared ?? hooks.zone(z, vc.options, name);
    if (!zc) continue;
    const key = zoneKey(zc.name);
    const prev = defined.get(key);
    if (prev) {
      sink.error(z.words[1] ?? z.words[0], `zone '${zc.name}': already exists previous definition: ${prev.file}:${prev.line}`);
      continue;
    }
    defined.set(key, zc.pos);
    vc.zones.push(zc);
  }
  return vc;
}

/**
 * `zone NAME { in-view OTHER; };`: the zone of an earlier view, served here too
 * (the same data, not a copy). Undefined when the statement is not an in-view
 * zone; null when it is one with an error (reported).
 */
function inViewZone(s: NStatement, view: string, earlier: ReadonlyMap<string, ViewConfig>, sink: DiagnosticSink): ZoneConfig | null | undefined {
  const clause = s.block?.find((c) => c.words[0]?.value.toLowerCase() === 'in-view');
  if (!clause) return undefined;
  const nameTok = s.words[1];
  if (!nameTok) return undefined;
  if ((s.block ?? []).length > 1) {
    sink.error(nameTok, `zone '${nameTok.value}': 'in-view' used with incompatible zone options`);
    return null;
  }
  const other = clause.words[1];
  if (!other || clause.words.length > 2 || clause.block) {
    sink.error(other ?? clause.words[0], "'in-view': expected a view name");
    return null;
  }
  const target = earlier.get(other.value)?.zones.find((z) => zoneKey(z.name) === zoneKey(nameTok.value));
  if (!target) {
    sink.error(nameTok, `'in-view' zone '${nameTok.value}' does not exist in view '${other.value}', or view '${other.value}' is not yet defined`);
    return null;
  }
  const kw = s.words[0];
  return { ...target, view, inView: other.value, pos: { file: kw.file, line: kw.line, col: kw.col } };
}

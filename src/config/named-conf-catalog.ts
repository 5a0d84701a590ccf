// named.conf `catalog-zones` (BIND 9.18, in `options` or a `view`):
//   catalog-zones { zone "NAME" [default-primaries|default-masters [port N] { … }]
//                   [in-memory yes|no] [zone-directory "DIR"] [min-update-interval N]; … };
// named-conf.ts dispatches here from its options parser.

import type { DiagnosticSink } from './diagnostics.js';
import type { Token } from './tokenizer.js';
import type { NStatement, RemoteServer } from './named-conf.js';

/** One catalog zone this server consumes. */
export interface CatalogZoneConfig {
  /** The catalog zone's name as written, without a trailing dot. */
  zone: string;
  /** Primaries of member zones that name none in the catalog (named lists expanded after parsing). */
  defaultPrimaries: RemoteServer[];
  /** Named `primaries` lists referred to by default-primaries, and the clause's port. */
  lists: string[];
  port?: number;
  /** Members are kept in memory only (BIND's default: no, each in its own file). */
  inMemory: boolean;
  /** Where member zone files are written, as written (relative to `directory`; default: `directory`). */
  zoneDirectory?: string;
  /** Seconds between two updates of the member list (BIND's default 5). */
  minUpdateInterval: number;
  pos: { file: string; line: number; col: number };
}

export interface CatalogHooks {
  /** The primaries block parser (addresses, ports, keys; names of lists go into `lists`). */
  remotes(block: NStatement[], lists: string[]): RemoteServer[];
}

/** The clauses of a catalog-zones entry; the statement parser lets them follow a block. */
export const CATALOG_ENTRY_CLAUSES: ReadonlySet<string> = new Set(['default-primaries', 'default-masters', 'in-memory', 'zone-directory', 'min-update-interval']);

const BOOL: Record<string, boolean> = { yes: true, true: true, '1': true, no: false, false: false, '0': false };

/** The `catalog-zones` statement; true when `s` is one (stored in `into`). */
export function catalogZonesClause(h: CatalogHooks, sink: DiagnosticSink, s: NStatement, into: CatalogZoneConfig[]): boolean {
  if (s.words[0].value.toLowerCase() !== 'catalog-zones') return false;
  if (!s.block) {
    sink.error(s.words[0], "'catalog-zones' expects a block of 'zone' entries");
    return true;
  }
  const seen = new Map<string, CatalogZoneConfig['pos']>();
  for (const e of s.block) {
    const c = catalogEntry(h, sink, e);
    if (!c) continue;
    const key = c.zone.toLowerCase();
    const prev = seen.get(key);
    if (prev) {
      sink.error(e.words[1], `catalog zone '${c.zone}': already added here ${prev.file}:${prev.line}`);
      continue;
    }
    seen.set(key, c.pos);
    into.push(c);
  }
  return true;
}

function catalogEntry(h: CatalogHooks, sink: DiagnosticSink, e: NStatement): CatalogZoneConfig | undefined {
  const kw = e.words[0];
  if (!kw) {
    // A bare block (`catalog-zones { { … }; };`) has no word to point at: its ending `;`.
    sink.error(e.end, "expected 'zone' in 'catalog-zones', not a block");
    return undefined;
  }
  if (kw.value.toLowerCase() !== 'zone') {
    sink.error(kw, `expected 'zone' in 'catalog-zones', not '${kw.value}'`);
    return undefined;
  }
  const nameTok = e.words[1];
  if (!nameTok || !/^[^\s]+$/.test(nameTok.value) || nameTok.value.includes('..')) {
    sink.error(nameTok ?? kw, "'catalog-zones': expected a zone name after 'zone'");
    return undefined;
  }
  const c: CatalogZoneConfig = {
    zone: nameTok.value.length > 1 ? nameTok.value.replace(/\.$/, '') : nameTok.value,
    defaultPrimaries: [], lists: [], inMemory: false, minUpdateInterval: 5,
    pos: { file: kw.file, line: kw.line, col: kw.col },
  };
  // The clauses follow the name in any order; the primaries block sits among the words.
  const stream: (Token | NStatement[])[] = [...e.words.slice(2), ...(e.block ? [e.block] : []), ...e.tail];
  for (let i = 0; i < stream.length; i++) {
    const w = stream[i];
    if (Array.isArray(w)) {
      sink.error(e.words[0], "'catalog-zones': unexpected block");
      return undefined;
    }
    const k = w.value.toLowerCase();
    const next = (): Token | undefined => {
      const v = stream[i + 1];
      if (v === undefined || Array.isArray(v)) {
        sink.error(w, `'${w.value}' expects a value`);
        return undefined;
      }
      i++;
      return v;
    };
    if (k === 'default-primaries' || k === 'default-masters') {
      if (!Array.isArray(stream[i + 1]) && (stream[i + 1] as Token | undefined)?.value.toLowerCase() === 'port') {
        i++;
        const p = next();
        if (!p) return undefined;
        const n = Number(p.value);
        if (!Number.isInteger(n) || n < 0 || n > 65535) {
          sink.error(p, `port value '${p.value}' is out of range`);
          return undefined;
        }
        c.port = n;
      }
      const b = stream[i + 1];
      if (!Array.isArray(b)) {
        sink.error(w, `'${w.value}' expects a block of addresses`);
        return undefined;
      }
      i++;
      c.defaultPrimaries = h.remotes(b, c.lists);
    } else if (k === 'in-memory') {
      const v = next();
      if (!v) return undefined;
      const b = BOOL[v.value.toLowerCase()];
      if (b === undefined) {
        sink.error(v, `boolean expected near '${v.value}'`);
        return undefined;
      }
      c.inMemory = b;
    } else if (k === 'zone-directory') {
      const v = next();
      if (!v) return undefined;
      c.zoneDirectory = v.value;
    } else if (k === 'min-update-interval') {
      const v = next();
      if (!v) return undefined;
      const n = durationSeconds(v.value);
      if (n === undefined) {
        sink.error(v, `expected a duration near '${v.value}'`);
        return undefined;
      }
      c.minUpdateInterval = n;
    } else {
      sink.error(w, `unknown 'catalog-zones' clause '${w.value}'`);
      return undefined;
    }
  }
  return c;
}

/** A TTL-style duration (`5`, `1m30s`, `1h`), seconds. */
function durationSeconds(text: string): number | undefined {
  if (/^[0-9]+$/.test(text)) return Number(text);
  const m = /^(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$/i.exec(text);
  if (!m || text === '') return undefined;
  const [w, d, hr, mi, s] = m.slice(1).map((x) => Number(x ?? 0));
  return w * 604800 + d * 86400 + hr * 3600 + mi * 60 + s;
}

/** named-checkconf's rule: each catalog is a primary or secondary zone of the same view (or of the top level). */
export function checkCatalogZones(list: readonly CatalogZoneConfig[] | undefined, zones: readonly { name: string; type: string }[], sink: DiagnosticSink): void {
  for (const c of list ?? []) {
    const k = c.zone.toLowerCase();
    const z = zones.find((x) => x.name.toLowerCase().replace(/\.$/, '') === k);
    if (!z || (z.type !== 'primary' && z.type !== 'secondary')) sink.error(c.pos, `catalog zone '${c.zone}' is not a primary or secondary zone`);
  }
}

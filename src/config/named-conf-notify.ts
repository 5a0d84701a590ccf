// named.conf clauses of a primary zone that serves secondaries (BIND 9.18):
// NOTIFY out (`notify`, `also-notify`, `notify-source[-v6]`, `notify-delay`) and the
// journal behind IXFR out (`ixfr-from-differences`, `max-journal-size`,
// `max-ixfr-ratio`). Allowed in `options` and in zones; a zone's own clause wins.
// The syntax itself was already checked against the grammar table.

import type { DiagnosticSink } from './diagnostics.js';
import type { Token } from './tokenizer.js';
import type { NStatement, RemoteServer } from './named-conf.js';
import { parseBool } from './named-conf-grammar.js';
import { parsePrefix } from '../net/ip.js';

export type NotifyMode = 'yes' | 'no' | 'explicit' | 'primary-only';

/** Where NOTIFY goes besides the NS hosts: an address, its port (default 53), the TSIG key named for it. */
export interface NotifyRemote {
  address: string;
  port?: number;
  key?: string;
}

export interface NotifySource {
  /** `*` for any address. */
  address: string;
  port?: number;
}

export interface PrimarySettings {
  /** `master-only` is BIND's older spelling of `primary-only`. */
  notify?: NotifyMode;
  alsoNotify?: NotifyRemote[];
  notifySource?: NotifySource;
  notifySourceV6?: NotifySource;
  /** Seconds (BIND's default 5). */
  notifyDelay?: number;
  ixfrFromDifferences?: boolean;
  /** Octets, `unlimited` or `default`. */
  maxJournalSize?: number | 'unlimited' | 'default';
  /** Percent, or `unlimited`. */
  maxIxfrRatio?: number | 'unlimited';
}

/** BIND 9.18's defaults, except ixfr-from-differences (Triad always keeps the differences of a reloaded file). */
export const PRIMARY_DEFAULTS = {
  notify: 'yes' as NotifyMode,
  notifyDelay: 5,
  ixfrFromDifferences: true,
  maxJournalSize: 'default' as const,
  maxIxfrRatio: 100 as number | 'unlimited',
};

export interface PrimaryClauseContext {
  sink: DiagnosticSink;
  /** A port number, or an error reported and undefined. */
  port(t: Token): number | undefined;
  /** A key name used (checked against the `key` statements later). */
  keyRef(t: Token): void;
  /** A top-level `primaries`/`masters` list by name. */
  remoteList(name: string): RemoteServer[] | undefined;
}

const CLAUSES = new Set(['notify', 'also-notify', 'notify-source', 'notify-source-v6', 'notify-delay', 'ixfr-from-differences', 'max-journal-size', 'max-ixfr-ratio']);

/** Parses one clause into `into` when it is one of ours; false for any other clause. */
export function primaryClause(s: NStatement, into: PrimarySettings, ctx: PrimaryClauseContext): boolean {
  const head = s.words[0];
  const name = head.value.toLowerCase();
  if (!CLAUSES.has(name)) return false;
  const v = s.words[1];
  switch (name) {
    case 'notify': {
      const w = v.value.toLowerCase();
      const b = parseBool(w);
      into.notify = b === true ? 'yes' : b === false ? 'no' : w === 'explicit' ? 'explicit' : 'primary-only';
      break;
    }
    case 'also-notify':
      into.alsoNotify = alsoNotify(s, ctx);
      break;
    case 'notify-source':
    case 'notify-source-v6': {
      const src = source(s, ctx);
      if (src) into[name === 'notify-source' ? 'notifySource' : 'notifySourceV6'] = src;
      break;
    }
    case 'notify-delay':
      into.notifyDelay = Number(v.value);
      break;
    case 'ixfr-from-differences':
      // `primary`/`secondary` (per zone type) mean yes for the zones Triad serves as a primary.
      into.ixfrFromDifferences = parseBool(v.value) ?? true;
      break;
    case 'max-journal-size': {
      const w = v.value.toLowerCase();
      into.maxJournalSize = w === 'unlimited' || w === 'default' ? w : sizeOctets(w);
      break;
    }
    case 'max-ixfr-ratio': {
      const w = v.value.toLowerCase();
      into.maxIxfrRatio = w === 'unlimited' ? 'unlimited' : Number(w.replace(/%$/, ''));
      break;
    }
  }
  return true;
}

/** A zone's settings: its own clauses over the options' over BIND's defaults. */
export function effectivePrimary(options: PrimarySettings | undefined, zone: PrimarySettings | undefined): Required<Pick<PrimarySettings, 'notify' | 'notifyDelay' | 'ixfrFromDifferences' | 'maxJournalSize' | 'maxIxfrRatio' | 'alsoNotify'>> & PrimarySettings {
  const pick = <K extends keyof PrimarySettings>(k: K): PrimarySettings[K] => (zone?.[k] !== undefined ? zone[k] : options?.[k]);
  return {
    notify: pick('notify') ?? PRIMARY_DEFAULTS.notify,
    alsoNotify: pick('alsoNotify') ?? [],
    notifySource: pick('notifySource'),
    notifySourceV6: pick('notifySourceV6'),
    notifyDelay: pick('notifyDelay') ?? PRIMARY_DEFAULTS.notifyDelay,
    ixfrFromDifferences: pick('ixfrFromDifferences') ?? PRIMARY_DEFAULTS.ixfrFromDifferences,
    maxJournalSize: pick('maxJournalSize') ?? PRIMARY_DEFAULTS.maxJournalSize,
    maxIxfrRatio: pick('maxIxfrRatio') ?? PRIMARY_DEFAULTS.maxIxfrRatio,
  };
}

/** `also-notify [port N] [dscp N] { ( list-name | addr [port N] ) [key K] [tls T]; … };` */
function alsoNotify(s: NStatement, ctx: PrimaryClauseContext): NotifyRemote[] {
  let defaultPort: number | undefined;
  for (let i = 1; i < s.words.length; i += 2) {
    const k = s.words[i];
    const v = s.words[i + 1];
    if (!['port', 'dscp'].includes(k.value.toLowerCase()) || !v) {
      ctx.sink.error(k, `unexpected '${k.value}'`);
      return [];
    }
    if (k.value.toLowerCase() === 'port') defaultPort = ctx.port(v);
  }
  if (!s.block) {
    ctx.sink.error(s.words[s.words.length - 1], "'also-notify': expected '{'");
    return [];
  }
  const out: NotifyRemote[] = [];
  for (const e of s.block) {
    const a = e.words[0];
    if (!a || e.block) {
      ctx.sink.error(a ?? e.end, 'expected IP address or primaries list name');
      continue;
    }
    let port: number | undefined;
    let key: string | undefined;
    for (let i = 1; i < e.words.length; i += 2) {
      const k = e.words[i];
      const v = e.words[i + 1];
      const kw = k.value.toLowerCase();
      if (!['port', 'key', 'tls', 'dscp'].includes(kw) || !v) {
        ctx.sink.error(k, `unexpected '${k.value}'`);
        break;
      }
      if (kw === 'port') port = ctx.port(v);
      if (kw === 'key') {
        ctx.keyRef(v);
        key = v.value;
      }
    }
    const p = parsePrefix(a.value);
    if (p && !a.value.includes('/')) {
      const r: NotifyRemote = { address: a.value };
      const pp = port ?? defaultPort;
      if (pp !== undefined) r.port = pp;
      if (key !== undefined) r.key = key;
      out.push(r);
    } else if (/^[0-9.:]+(\/[0-9]+)?$/.test(a.value) && a.kind === 'word') {
      ctx.sink.error(a, `expected IP address near '${a.value}'`);
    } else {
      const list = ctx.remoteList(a.value);
      if (!list) {
        ctx.sink.error(a, `unable to find primaries list '${a.value}'`);
        continue;
      }
      // The list's own port and key per entry, else this entry's, else the statement's.
      for (const r of list) {
        const rr: NotifyRemote = { address: r.address };
        const pp = r.port ?? port ?? defaultPort;
        if (pp !== undefined) rr.port = pp;
        const kk = r.key ?? key;
        if (kk !== undefined) rr.key = kk;
        out.push(rr);
      }
    }
  }
  return out;
}

/** `( addr | * ) [ port ( N | * ) ] [ dscp N ]` */
function source(s: NStatement, ctx: PrimaryClauseContext): NotifySource | undefined {
  const a = s.words[1];
  if (!a) return undefined;
  if (a.value !== '*' && !parsePrefix(a.value)) {
    ctx.sink.error(a, `expected IP address near '${a.value}'`);
    return undefined;
  }
  const out: NotifySource = { address: a.value };
  for (let i = 2; i < s.words.length; i += 2) {
    const k = s.words[i];
    const v = s.words[i + 1];
    if (!['port', 'dscp'].includes(k.value.toLowerCase()) || !v) {
      ctx.sink.error(k, `unexpected '${k.value}'`);
      return undefined;
    }
    if (k.value.toLowerCase() === 'port' && v.value !== '*') {
      const p = ctx.port(v);
      if (p !== undefined) out.port = p;
    }
  }
  return out;
}

/** `64k`, `32m`, `1g`, plain octets. */
function sizeOctets(w: string): number {
  const m = /^([0-9]+)([kmg]?)$/i.exec(w);
  if (!m) return 0;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * mult;
}

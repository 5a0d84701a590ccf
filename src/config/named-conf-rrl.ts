// named.conf `rate-limit { … };` (BIND 9.18 response-rate limiting), in `options`
// and in views. Ranges and messages are named-checkconf's. src/dns/rrl.ts decides.

import type { DiagnosticSink } from './diagnostics.js';
import type { Token } from './tokenizer.js';
import type { NStatement } from './named-conf.js';
import type { AddressMatchList } from '../net/address-match.js';
import { parseBool } from './named-conf-grammar.js';

export interface RateLimitConfig {
  /** Unset: BIND's default (0, unlimited; the four below default to it). */
  responsesPerSecond?: number;
  referralsPerSecond?: number;
  nodataPerSecond?: number;
  nxdomainsPerSecond?: number;
  errorsPerSecond?: number;
  allPerSecond?: number;
  window?: number;
  slip?: number;
  qpsScale?: number;
  ipv4PrefixLength?: number;
  ipv6PrefixLength?: number;
  exemptClients?: AddressMatchList;
  logOnly?: boolean;
  maxTableSize?: number;
  minTableSize?: number;
}

/** BIND 9.18's defaults (ARM, rate-limit). */
export const RATE_LIMIT_DEFAULTS = {
  responsesPerSecond: 0,
  allPerSecond: 0,
  window: 15,
  slip: 2,
  qpsScale: 0,
  ipv4PrefixLength: 24,
  ipv6PrefixLength: 56,
  logOnly: false,
  maxTableSize: 20000,
  minTableSize: 500,
};

/** BIND's limits (DNS_RRL_MAX_RATE, _WINDOW, _SLIP, _PREFIX). */
const MAX_RATE = 1000;
const MAX_WINDOW = 3600;
const MAX_SLIP = 10;
const MAX_V6_PREFIX = 64;

type NumberKey = Exclude<keyof RateLimitConfig, 'exemptClients' | 'logOnly'>;

const NUMBERS: Record<string, NumberKey> = {
  'responses-per-second': 'responsesPerSecond',
  'referrals-per-second': 'referralsPerSecond',
  'nodata-per-second': 'nodataPerSecond',
  'nxdomains-per-second': 'nxdomainsPerSecond',
  'errors-per-second': 'errorsPerSecond',
  'all-per-second': 'allPerSecond',
  window: 'window',
  slip: 'slip',
  'qps-scale': 'qpsScale',
  'ipv4-prefix-length': 'ipv4PrefixLength',
  'ipv6-prefix-length': 'ipv6PrefixLength',
  'max-table-size': 'maxTableSize',
  'min-table-size': 'minTableSize',
};

export interface RateLimitContext {
  sink: DiagnosticSink;
  /** An address-match list block (checked and marked used). */
  aml(block: NStatement[]): AddressMatchList;
}

/** Parses `rate-limit { … }`; errors go to the sink with the clause's position. */
export function parseRateLimit(s: NStatement, ctx: RateLimitContext): RateLimitConfig | undefined {
  const { sink } = ctx;
  if (!s.block || s.words.length > 1) {
    sink.error(s.words[1] ?? s.words[0], "'rate-limit': expected '{'");
    return undefined;
  }
  const out: RateLimitConfig = {};
  const seen = new Set<string>();
  const at = new Map<NumberKey, Token>();
  for (const c of s.block) {
    const head = c.words[0];
    if (!head) continue;
    const name = head.value.toLowerCase();
    if (seen.has(name)) {
      sink.error(head, `'${head.value}' redefined`);
      continue;
    }
    seen.add(name);
    if (name === 'exempt-clients') {
      if (!c.block || c.words.length > 1) sink.error(c.words[1] ?? head, "'exempt-clients': expected '{'");
      else out.exemptClients = ctx.aml(c.block);
      continue;
    }
    const v = c.words[1];
    if (name === 'log-only') {
      const b = v && !c.block && c.words.length === 2 ? parseBool(v.value) : undefined;
      if (b === undefined) sink.error(v ?? head, `'log-only': expected a boolean${v ? ` near '${v.value}'` : ''}`);
      else out.logOnly = b;
      continue;
    }
    const key = NUMBERS[name];
    if (key === undefined || head.kind !== 'word') {
      sink.error(head, `unknown option '${head.value}'`);
      continue;
    }
    if (!v || c.block || c.words.length > 2 || !/^[0-9]+$/.test(v.value)) {
      sink.error(v ?? head, `'${head.value}': expected integer${v ? ` near '${v.value}'` : ''}`);
      continue;
    }
    const n = Number(v.value);
    if (!Number.isSafeInteger(n) || n > 0xffffffff) {
      sink.error(v, `'${head.value}': integer too large near '${v.value}'`);
      continue;
    }
    const bad = rangeError(key, name, n);
    if (bad) {
      sink.error(v, bad);
      continue;
    }
    out[key] = n;
    at.set(key, v);
  }
  const max = out.maxTableSize ?? RATE_LIMIT_DEFAULTS.maxTableSize;
  const min = out.minTableSize ?? RATE_LIMIT_DEFAULTS.minTableSize;
  if (max < min) sink.error(at.get('maxTableSize') ?? at.get('minTableSize') ?? s.words[0], `max-table-size ${max} < min-table-size ${min}`);
  return out;
}

/** named-checkconf's words for a value out of range; undefined when it fits. */
function rangeError(key: NumberKey, name: string, n: number): string | undefined {
  switch (key) {
    case 'window':
      return n < 1 || n > MAX_WINDOW ? `window ${n} < 1 or > ${MAX_WINDOW}` : undefined;
    case 'slip':
      return n > MAX_SLIP ? `slip ${n} > ${MAX_SLIP}` : undefined;
    case 'qpsScale':
      return n < 1 ? `invalid 'qps-scale ${n}'` : undefined;
    case 'ipv4PrefixLength':
      return n < 8 || n > 32 ? `invalid 'ipv4-prefix-length ${n}'` : undefined;
    case 'ipv6PrefixLength':
      return n < 16 || n > MAX_V6_PREFIX ? `ipv6-prefix-length ${n} < 16 or > ${MAX_V6_PREFIX}` : undefined;
    case 'maxTableSize':
    case 'minTableSize':
      return undefined;
    default:
      return n > MAX_RATE ? `${name} ${n} > ${MAX_RATE}` : undefined;
  }
}

/** The settings in force: the clause's values over BIND's defaults (the per-kind rates default to responses-per-second). */
export function effectiveRateLimit(c: RateLimitConfig): Omit<Required<RateLimitConfig>, 'exemptClients'> & { exemptClients?: AddressMatchList } {
  const d = RATE_LIMIT_DEFAULTS;
  const responses = c.responsesPerSecond ?? d.responsesPerSecond;
  return {
    responsesPerSecond: responses,
    referralsPerSecond: c.referralsPerSecond ?? responses,
    nodataPerSecond: c.nodataPerSecond ?? responses,
    nxdomainsPerSecond: c.nxdomainsPerSecond ?? responses,
    errorsPerSecond: c.errorsPerSecond ?? responses,
    allPerSecond: c.allPerSecond ?? d.allPerSecond,
    window: c.window ?? d.window,
    slip: c.slip ?? d.slip,
    qpsScale: c.qpsScale ?? d.qpsScale,
    ipv4PrefixLength: c.ipv4PrefixLength ?? d.ipv4PrefixLength,
    ipv6PrefixLength: c.ipv6PrefixLength ?? d.ipv6PrefixLength,
    logOnly: c.logOnly ?? d.logOnly,
    maxTableSize: c.maxTableSize ?? d.maxTableSize,
    minTableSize: c.minTableSize ?? d.minTableSize,
    exemptClients: c.exemptClients,
  };
}

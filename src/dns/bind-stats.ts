// BIND 9.18's statistics channel, built from the DNS statistics model: the JSON of
// /json/v1 (server, zones, traffic) and the XML of /xml/v3 that bind_exporter,
// Telegraf's bind input and Grafana set-ups read. Counter and field names are
// BIND's; counters Triad has no equivalent for are 0 (the XML lists every one, the
// JSON only those that are not 0, as BIND does). Pure: no sockets.

import { NS_COUNTERS, PATHS, REQ_SIZE_BUCKETS, RESP_SIZE_BUCKETS, requestsByType, type QueryStatsSnapshot } from './query-stats.js';
import type { DnsStats } from './stats-model.js';
import type { ResolverStats } from './resolver.js';
import { typeToText } from '../wire/rr-type.js';

const OPCODES = ['QUERY', 'IQUERY', 'STATUS', 'RESERVED3', 'NOTIFY', 'UPDATE', ...Array.from({ length: 10 }, (_, i) => `RESERVED${i + 6}`)];
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE',
  'RESERVED11', 'RESERVED12', 'RESERVED13', 'RESERVED14', 'RESERVED15', 'BADVERS', '17', '18', '19', '20', '21', '22', 'BADCOOKIE'];
/** BIND 9.18's server counters, in its order. */
const NSSTAT = ['Requestv4', 'Requestv6', 'ReqEdns0', 'ReqBadEDNSVer', 'ReqTSIG', 'ReqSIG0', 'ReqBadSIG', 'ReqTCP', 'TCPConnHighWater', 'AuthQryRej',
  'RecQryRej', 'XfrRej', 'UpdateRej', 'Response', 'TruncatedResp', 'RespEDNS0', 'RespTSIG', 'RespSIG0', 'QrySuccess', 'QryAuthAns', 'QryNoauthAns',
  'QryReferral', 'QryNxrrset', 'QrySERVFAIL', 'QryFORMERR', 'QryNXDOMAIN', 'QryRecursion', 'QryDuplicate', 'QryDropped', 'QryFailure', 'XfrReqDone',
  'UpdateReqFwd', 'UpdateRespFwd', 'UpdateFwdFail', 'UpdateDone', 'UpdateFail', 'UpdateBadPrereq', 'RecursClients', 'DNS64', 'RateDropped', 'RateSlipped',
  'RPZRewrites', 'QryUDP', 'QryTCP', 'NSIDOpt', 'ExpireOpt', 'KeepAliveOpt', 'PadOpt', 'OtherOpt', 'CookieIn', 'CookieNew', 'CookieBadSize',
  'CookieBadTime', 'CookieNoMatch', 'CookieMatch', 'ECSOpt', 'QryNXRedir', 'QryNXRedirRLookup', 'QryBADCOOKIE', 'SynthNXDOMAIN', 'SynthNODATA',
  'SynthWILDCARD', 'QryTryStale', 'QryUsedStale', 'Prefetch', 'KeyTagOpt', 'RecLimitDropped', 'UpdateQuota'];
const ZONESTAT = ['NotifyOutv4', 'NotifyOutv6', 'NotifyInv4', 'NotifyInv6', 'NotifyRej', 'SOAOutv4', 'SOAOutv6', 'AXFRReqv4', 'AXFRReqv6', 'IXFRReqv4',
  'IXFRReqv6', 'XfrSuccess', 'XfrFail'];
const RESSTATS = ['Queryv4', 'Queryv6', 'Responsev4', 'Responsev6', 'NXDOMAIN', 'SERVFAIL', 'FORMERR', 'OtherError', 'EDNS0Fail', 'Mismatch', 'Truncated',
  'Lame', 'Retry', 'QueryAbort', 'QuerySockFail', 'QueryCurUDP', 'QueryCurTCP', 'QueryTimeout', 'GlueFetchv4', 'GlueFetchv6', 'GlueFetchv4Fail',
  'GlueFetchv6Fail', 'ValAttempt', 'ValOk', 'ValNegOk', 'ValFail', 'QryRTT10', 'QryRTT100', 'QryRTT500', 'QryRTT800', 'QryRTT1600', 'QryRTT1600+',
  'NumFetch', 'BucketSize', 'REFUSED', 'ClientCookieOut', 'ServerCookieOut', 'CookieIn', 'CookieClientOk', 'BadEDNSVersion', 'BadCookieRcode',
  'ZoneQuota', 'ServerQuota', 'ClientQuota', 'NextItem', 'Priming'];
const CACHESTATS = ['CacheHits', 'CacheMisses', 'QueryHits', 'QueryMisses', 'DeleteLRU', 'DeleteTTL', 'CoveringNSEC', 'CacheNodes', 'CacheNSECNodes',
  'CacheBuckets', 'TreeMemTotal', 'TreeMemInUse', 'TreeMemMax', 'HeapMemTotal', 'HeapMemInUse', 'HeapMemMax'];
/** BIND's built-in CHAOS view and the zones Triad answers in it (sources/chaos.ts). */
const BIND_VIEW = '_bind';
const CHAOS_ZONES = ['hostname.bind', 'version.bind', 'id.server'];

type Counters = Record<string, number>;

export interface BindStatsContext {
  stats: DnsStats;
  version: string;
  now: Date;
}

const sumOver = (ls: readonly QueryStatsSnapshot[], f: (l: QueryStatsSnapshot) => number): number => ls.reduce((a, l) => a + f(l), 0);
const sumRange = (a: readonly number[], from: number, to: number): number => {
  let n = 0;
  for (let i = from; i < to; i++) n += a[i] ?? 0;
  return n;
};

function serverCounters(s: DnsStats): { opcodes: Counters; rcodes: Counters; qtypes: Counters; nsstats: Counters; zonestats: Counters } {
  const ls = s.listeners;
  const opcodes: Counters = Object.fromEntries(OPCODES.map((n, i) => [n, sumOver(ls, (l) => l.opcodes[i] ?? 0)]));
  const rcodes: Counters = Object.fromEntries(RCODES.map((n, i) => [n, sumOver(ls, (l) => l.rcodes[i] ?? 0)]));
  const qtypes: Counters = {};
  for (const [t, n] of [...requestsByType(ls)].sort((a, b) => a[0] - b[0])) if (t !== 0) qtypes[typeToText(t)] = n;
  const nsstats: Counters = Object.fromEntries(NSSTAT.map((n) => [n, 0]));
  const reqs = (path: number): number => sumOver(ls, (l) => sumRange(l.requestSizes, path * REQ_SIZE_BUCKETS, (path + 1) * REQ_SIZE_BUCKETS));
  nsstats.Requestv4 = reqs(0) + reqs(2);
  nsstats.Requestv6 = reqs(1) + reqs(3);
  nsstats.ReqTCP = reqs(2) + reqs(3);
  nsstats.TCPConnHighWater = ls.reduce((a, l) => Math.max(a, l.tcpHighWater), 0);
  NS_COUNTERS.forEach((name, i) => {
    nsstats[name] = sumOver(ls, (l) => l.ns[i] ?? 0);
  });
  const zonestats: Counters = Object.fromEntries(ZONESTAT.map((n) => [n, 0]));
  zonestats.XfrSuccess = s.transfers.reduce((a, t) => a + t.done, 0);
  zonestats.XfrFail = s.transfers.reduce((a, t) => a + t.failed, 0);
  return { opcodes, rcodes, qtypes, nsstats, zonestats };
}

function resolverCounters(r: ResolverStats | undefined): { resstats: Counters; cachestats: Counters } {
  const resstats: Counters = Object.fromEntries(RESSTATS.map((n) => [n, 0]));
  resstats.BucketSize = 5;
  const cachestats: Counters = Object.fromEntries(CACHESTATS.map((n) => [n, 0]));
  if (r) {
    resstats.Queryv4 = r.upstream.sent;
    resstats.Responsev4 = Math.max(0, r.upstream.sent - r.upstream.timeouts - r.upstream.errors);
    resstats.SERVFAIL = r.servfail;
    resstats.OtherError = r.upstream.errors;
    resstats.Mismatch = r.upstream.spoofDrops;
    resstats.Retry = r.upstream.tcp;
    resstats.QueryTimeout = r.upstream.timeouts;
    cachestats.CacheHits = r.cache.hits;
    cachestats.CacheMisses = r.cache.misses;
    cachestats.QueryHits = r.cache.hits;
    cachestats.QueryMisses = r.cache.misses;
    cachestats.CacheNodes = r.cache.entries;
    cachestats.HeapMemInUse = r.cache.bytes;
  }
  return { resstats, cachestats };
}

const nonZero = (c: Counters): Counters => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== 0));

function head(ctx: BindStatsContext): Record<string, string> {
  return { 'json-stats-version': '1.7', 'boot-time': ctx.stats.bootTime, 'config-time': ctx.stats.configTime, 'current-time': ctx.now.toISOString(), version: ctx.version };
}

function viewNames(s: DnsStats): string[] {
  return [...s.views, BIND_VIEW];
}

function zonesOf(s: DnsStats, view: string): { name: string; class: string; serial: number; type: string; loaded: string }[] {
  const loaded = s.configTime.replace(/\.\d+Z$/, 'Z');
  if (view === BIND_VIEW) return CHAOS_ZONES.map((name) => ({ name, class: 'CH', serial: 0, type: 'builtin', loaded }));
  return s.zones.filter((z) => z.view === view).map((z) => ({ name: z.name, class: z.class, serial: z.serial, type: z.type, loaded }));
}

function trafficBuckets(ls: readonly QueryStatsSnapshot[], field: 'requestSizes' | 'responseSizes', path: number): Counters {
  const width = field === 'requestSizes' ? REQ_SIZE_BUCKETS : RESP_SIZE_BUCKETS;
  const out: Counters = {};
  for (let b = 0; b < width; b++) {
    const n = sumOver(ls, (l) => l[field][path * width + b] ?? 0);
    if (n) out[b === width - 1 ? `${b * 16}+` : `${b * 16}-${b * 16 + 15}`] = n;
  }
  return out;
}

/** proto, family → the path index of query-stats.ts. */
const pathOf = (proto: 'udp' | 'tcp', v6: boolean): number => PATHS.findIndex((p) => p.proto === proto && p.family === (v6 ? '2' : '1'));

function traffic(s: DnsStats): Record<string, Counters> {
  const out: Record<string, Counters> = {};
  for (const fam of ['ipv4', 'ipv6'] as const) {
    for (const proto of ['udp', 'tcp'] as const) {
      const p = pathOf(proto, fam === 'ipv6');
      out[`dns-${proto}-requests-sizes-received-${fam}`] = trafficBuckets(s.listeners, 'requestSizes', p);
      out[`dns-${proto}-responses-sizes-sent-${fam}`] = trafficBuckets(s.listeners, 'responseSizes', p);
    }
  }
  return out;
}

/** /json/v1/PART (undefined PART: everything). */
export function bindJson(ctx: BindStatsContext, part?: 'server' | 'zones' | 'traffic' | 'status'): object {
  const s = ctx.stats;
  const out: Record<string, unknown> = head(ctx);
  if (part === 'status') return out;
  if (part === undefined || part === 'server') {
    const c = serverCounters(s);
    Object.assign(out, { opcodes: c.opcodes, rcodes: c.rcodes, qtypes: c.qtypes, nsstats: nonZero(c.nsstats), zonestats: nonZero(c.zonestats) });
  }
  if (part === undefined || part === 'server' || part === 'zones') {
    const views: Record<string, unknown> = {};
    for (const v of viewNames(s)) {
      const entry: Record<string, unknown> = {};
      if (part !== 'server') entry.zones = zonesOf(s, v);
      if (part !== 'zones') {
        const r = resolverCounters(v === BIND_VIEW ? undefined : s.resolverByView[v]);
        entry.resolver = { stats: nonZero(r.resstats), qtypes: {}, cache: {}, cachestats: r.cachestats };
      }
      views[v] = entry;
    }
    out.views = views;
  }
  if (part === undefined || part === 'traffic') out.traffic = traffic(s);
  return out;
}

// --- XML (/xml/v3) ----------------------------------------------------------------

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function counters(type: string, c: Counters): string {
  const entries = Object.entries(c);
  if (entries.length === 0) return `<counters type="${type}"/>`;
  return `<counters type="${type}">${entries.map(([k, v]) => `<counter name="${esc(k)}">${v}</counter>`).join('')}</counters>`;
}

function xmlHead(ctx: BindStatsContext): string {
  const h = head(ctx);
  return `<boot-time>${h['boot-time']}</boot-time><config-time>${h['config-time']}</config-time><current-time>${h['current-time']}</current-time><version>${esc(ctx.version)}</version>`;
}

function xmlZones(s: DnsStats, v: string): string {
  const zs = zonesOf(s, v);
  return `<zones>${zs.map((z) => `<zone name="${esc(z.name)}" rdataclass="${z.class}"><type>${z.type}</type><serial>${z.serial}</serial><loaded>${z.loaded}</loaded></zone>`).join('')}</zones>`;
}

const XML_PROLOGUE = '<?xml version="1.0" encoding="UTF-8"?>\n<?xml-stylesheet type="text/xsl" href="/bind9.xsl"?>\n';

/** /xml/v3/PART (undefined PART: everything). */
export function bindXml(ctx: BindStatsContext, part?: 'server' | 'zones' | 'traffic' | 'tasks' | 'status'): string {
  const s = ctx.stats;
  if (part === 'status') return `${XML_PROLOGUE}<statistics version="3.13"><server>${xmlHead(ctx)}</server><views/></statistics>`;
  let server = xmlHead(ctx);
  let views = '';
  let rest = '';
  if (part === undefined || part === 'server') {
    const c = serverCounters(s);
    server += counters('opcode', c.opcodes) + counters('rcode', c.rcodes) + counters('qtype', c.qtypes) + counters('nsstat', c.nsstats) +
      counters('zonestat', c.zonestats) + '<counters type="resstat"/>';
  }
  if (part === undefined || part === 'server' || part === 'zones') {
    views = `<views>${viewNames(s).map((v) => {
      let body = part === 'server' ? '' : xmlZones(s, v);
      if (part !== 'zones') {
        const r = resolverCounters(v === BIND_VIEW ? undefined : s.resolverByView[v]);
        body += `<counters type="resqtype"/>${counters('resstats', r.resstats)}<cache name="${esc(v)}"/>${counters('cachestats', r.cachestats)}`;
      }
      return `<view name="${esc(v)}">${body}</view>`;
    }).join('')}</views>`;
  } else views = '<views/>';
  if (part === undefined || part === 'tasks') {
    rest += '<taskmgr><thread-model><type>threaded</type><default-quantum>25</default-quantum></thread-model><tasks/></taskmgr>';
  }
  if (part === undefined || part === 'traffic') {
    const t = traffic(s);
    const fam = (f: string): string => `<${f}>${['udp', 'tcp'].map((p) => `<${p}>${counters('request-size', t[`dns-${p}-requests-sizes-received-${f}`])}${counters('response-size', t[`dns-${p}-responses-sizes-sent-${f}`])}</${p}>`).join('')}</${f}>`;
    rest += `<traffic>${fam('ipv4')}${fam('ipv6')}</traffic>`;
  }
  const body = part === 'traffic' || part === 'tasks' ? `<server>${server}</server>${part === 'tasks' ? '<views/>' + rest : rest + '<views/>'}` : `<server>${server}</server>${views}${rest}`;
  return `${XML_PROLOGUE}<statistics version="3.13">${body}</statistics>`;
}

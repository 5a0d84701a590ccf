// Per-listener query counters: what one request and its response move, and the sum of
// several workers' snapshots; BIND's statistics and the Prometheus families built from them.
import t from 'tap';
import { mergeSnapshots, QueryStats } from '../../src/dns/query-stats.js';
import { bindJson, bindXml } from '../../src/dns/bind-stats.js';
import { dnsFamilies } from '../../src/dns/metrics.js';
import type { DnsStats } from '../../src/dns/stats-model.js';
import { rawQuery } from '../helpers/raw-query.js';

/** A response header for `q`: QR, AA as asked, the rcode, `answers` records (the counts are all the counters read). */
function response(q: Uint8Array, rcode: number, answers: number, aa = true, tc = false): Uint8Array {
  const r = Buffer.from(q);
  r[2] = 0x80 | (aa ? 0x04 : 0) | (tc ? 0x02 : 0) | (q[2] & 0x79);
  r[3] = rcode;
  r.writeUInt16BE(answers, 6);
  return r;
}

t.test('a request and its response: type, path, sizes, rcode, duration, BIND counters', async (t) => {
  const s = new QueryStats('dns://127.0.0.1:53');
  const q = rawQuery('www.example.test.', 28);
  t.equal(s.request(q, false, false), 28, 'the qtype is read from the bytes');
  t.ok(s.lastEdns, 'the OPT record is seen');
  s.response(response(q, 0, 1), false, false, 28, 0.0003, false, true);
  const nx = rawQuery('nx.example.test.', 1);
  s.request(nx, true, true);
  s.response(response(nx, 3, 0), true, true, 1, 0.002, false, true);
  const snap = s.snapshot();
  t.equal(snap.requests[0 * 256 + 28], 1, 'udp/IPv4 AAAA');
  t.equal(snap.requests[3 * 256 + 1], 1, 'tcp/IPv6 A');
  t.equal(snap.rcodes[0], 1);
  t.equal(snap.rcodes[3], 1);
  t.equal(snap.durationCount, 2);
  t.equal(snap.durationBuckets[1], 1, '0.3 ms falls in the 0.5 ms bucket');
  t.equal(snap.durationBuckets[3], 1, '2 ms falls in the 2 ms bucket');
  t.equal(snap.opcodes[0], 2);
  const stats: DnsStats = { listeners: mergeSnapshots([snap, s.snapshot()]), resolver: null, resolverByView: {}, zones: [{ view: '_default', name: 'example.test', class: 'IN', serial: 7, type: 'primary' }],
    views: ['_default'], processes: [{ pid: 1, rss: 1 }, { pid: 2, rss: 2 }], workers: 2, bootTime: '2026-01-01T00:00:00.000Z', configTime: '2026-01-01T00:00:00.000Z', transfers: [{ zone: 'sec.test', done: 2, failed: 1 }] };
  t.equal(stats.listeners.length, 1, 'snapshots of one listener merge into one');
  const j = bindJson({ stats, version: 'Triad', now: new Date(0) }, 'server') as { opcodes: Record<string, number>; nsstats: Record<string, number>; qtypes: Record<string, number>; zonestats: Record<string, number> };
  t.equal(j.opcodes.QUERY, 4, 'two workers summed');
  t.same(j.qtypes, { A: 2, AAAA: 2 });
  t.match(j.nsstats, { Requestv4: 2, Requestv6: 2, ReqTCP: 2, ReqEdns0: 4, Response: 4, RespEDNS0: 4, QrySuccess: 2, QryNXDOMAIN: 2, QryAuthAns: 4, QryUDP: 2, QryTCP: 2 });
  t.same(j.zonestats, { XfrSuccess: 2, XfrFail: 1 });
  t.notOk('QryDropped' in j.nsstats, 'the JSON leaves out counters at 0, as BIND does');
  const xml = bindXml({ stats, version: 'Triad', now: new Date(0) }, 'server');
  t.match(xml, /<counter name="QryDropped">0<\/counter>/, 'the XML lists every counter');
  const zones = bindXml({ stats, version: 'Triad', now: new Date(0) }, 'zones');
  t.match(zones, /<view name="_default"><zones><zone name="example.test" rdataclass="IN"><type>primary<\/type><serial>7<\/serial>/);
  const fams = dnsFamilies(stats);
  const req = fams.find((f) => f.name === 'triad_dns_requests_total');
  t.same(req?.samples.map((x) => [x.labels?.proto, x.labels?.family, x.labels?.type, x.value]), [['udp', '1', 'AAAA', 2], ['tcp', '2', 'A', 2]]);
  const h = fams.find((f) => f.name === 'triad_dns_request_duration_seconds');
  t.equal(h?.samples.find((x) => x.suffix === '_count')?.value, 4);
  t.same(fams.find((f) => f.name === 'triad_dns_zone_transfers_total')?.samples.map((x) => [x.labels?.result, x.value]), [['success', 2], ['failure', 1]]);
});

t.test('dropped requests, referrals, no data, updates and transfers are told apart', async (t) => {
  const s = new QueryStats('dns://[::1]:53');
  const q = rawQuery('a.test.', 1);
  s.request(q, false, true);
  s.response(null, false, true, 1, 0, false, true);
  s.response(response(q, 0, 0, false), false, true, 1, 0, true, true);
  const ref = Buffer.from(response(q, 0, 0, false));
  ref.writeUInt16BE(1, 8);
  s.response(ref, false, true, 1, 0, false, true);
  s.response(response(q, 5, 0, false), false, true, 252, 0, false, true);
  const up = Buffer.from(response(q, 0, 0));
  up[2] = (up[2] & 0x87) | (5 << 3);
  s.response(up, false, true, 6, 0, false, true);
  s.response(response(q, 0, 1, true, true), false, true, 1, 0, false, false);
  const names = ['QryDropped', 'QryRecursion', 'QryNxrrset', 'QryReferral', 'XfrRej', 'UpdateDone', 'TruncatedResp'] as const;
  const json = bindJson({ stats: { listeners: [s.snapshot()], resolver: null, resolverByView: {}, zones: [], views: ['_default'], processes: [], workers: 0, bootTime: '', configTime: '', transfers: [] }, version: 'x', now: new Date(0) }, 'server') as { nsstats: Record<string, number> };
  t.same(Object.fromEntries(names.map((n) => [n, json.nsstats[n]])), { QryDropped: 1, QryRecursion: 1, QryNxrrset: 1, QryReferral: 1, XfrRej: 1, UpdateDone: 1, TruncatedResp: 1 });
});

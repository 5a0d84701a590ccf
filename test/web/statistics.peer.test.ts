// The statistics channel of a running Triad (DNS in two worker processes), read with
// real clients: /metrics passes `promtool check metrics` while dnsperf loads it, its
// DNS counters are summed over both workers (a known number of dig queries moves them
// by exactly that much), BIND's /json/v1 and /xml/v3 carry BIND's field names, and
// a client the allow list does not name is refused (403) and logged.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dig, digAsync, startTriad, waitFor } from '../helpers/triad-run.js';
import { freePort, requireTools } from '../helpers/tools.js';
import { get, promtoolCheck, sumOf } from './scrape.js';
import { rr, startScripted } from '../helpers/scripted-dns.js';

const ZONE = `$TTL 300
@ IN SOA ns1 host 2024060101 3600 600 86400 300
@ IN NS ns1
ns1 IN A 192.0.2.53
www IN A 192.0.2.80
`;

t.test('statistics channel: /metrics under load, summed over workers; BIND statistics; allow list', { timeout: 90_000 }, async (t) => {
  if (!requireTools(t, ['dig', 'dnsperf', 'promtool'])) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-stats-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dns = await freePort();
  const open = await freePort();
  const closed = await freePort();
  writeFileSync(path.join(dir, 'example.test.zone'), ZONE);
  // An upstream server for the resolver's counters: names outside example.test are forwarded to it.
  const upPort = await freePort();
  const upstream = await startScripted('127.0.0.1', upPort, ['up.test'], [rr.a('www.up.test', '192.0.2.99')]);
  t.teardown(() => upstream.close());
  writeFileSync(path.join(dir, 'named.conf'), `options { directory "${dir}"; listen-on port ${dns} { 127.0.0.1; }; listen-on-v6 { none; }; recursion yes; forwarders { 127.0.0.1 port ${upPort}; }; forward only; };
statistics-channels {
  inet 127.0.0.1 port ${open};
  inet 127.0.0.1 port ${closed} allow { 10.9.9.9; };
};
zone "example.test" { type primary; file "example.test.zone"; };
`);
  const triad = startTriad(['--conf-dir', dir, '--data-dir', path.join(dir, 'data'), '--dns-workers', '2']);
  t.teardown(() => triad.stop());
  const up = await waitFor(() => /statistics channel listening.*\n?(.|\n)*statistics channel listening/.test(triad.output()) && /dns serving/.test(triad.output()), 20_000);
  if (!t.ok(up, 'Triad serves DNS and both statistics channels')) return t.comment(triad.output());
  const base = `http://127.0.0.1:${open}`;

  // A client outside the allow list: refused, and the refusal is logged.
  const refused = await get(`http://127.0.0.1:${closed}/metrics`);
  t.equal(refused.status, 403, 'a client the allow list does not name is refused');
  t.match(refused.body, /not allowed/);
  t.ok(await waitFor(() => /connection refused by the allow list/.test(triad.output()), 5000), 'the refusal is logged');
  t.equal((await get(`${base}/nonexistent`)).status, 404, 'an unknown path is 404');

  // Under load: dnsperf for 3 s while /metrics is scraped and checked.
  const queries = path.join(dir, 'queries.txt');
  writeFileSync(queries, 'www.example.test A\nexample.test SOA\nnx.example.test AAAA\nexample.test NS\n');
  const perf = spawn('dnsperf', ['-s', '127.0.0.1', '-p', String(dns), '-d', queries, '-l', '3', '-Q', '2000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let perfOut = '';
  perf.stdout.on('data', (d: Buffer) => (perfOut += d.toString()));
  const perfDone = new Promise((r) => perf.once('exit', r));
  t.teardown(() => {
    if (perf.exitCode === null) perf.kill('SIGKILL');
  });
  await new Promise((r) => setTimeout(r, 1500));
  const during = await get(`${base}/metrics`);
  t.equal(during.status, 200);
  t.match(during.type, /^text\/plain; version=0\.0\.4/, 'the Prometheus text format');
  const lint = await promtoolCheck(during.body);
  t.equal(lint.code, 0, `promtool check metrics passes under load${lint.output ? `: ${lint.output}` : ''}`);
  t.ok(sumOf(during.body, 'triad_dns_requests_total') > 0, 'requests are counted while dnsperf runs');
  await perfDone;
  t.match(perfOut, /Queries completed/, 'dnsperf ran');

  // Summed over the two workers: 40 queries move the totals by exactly 40.
  const before = (await get(`${base}/metrics`)).body;
  for (let i = 0; i < 40; i++) dig('127.0.0.1', dns, ['www.example.test', 'A', '+short']);
  const after = (await get(`${base}/metrics`)).body;
  const delta = (name: string, m: Record<string, string> = {}): number => sumOf(after, name, m) - sumOf(before, name, m);
  t.equal(delta('triad_dns_requests_total', { proto: 'udp', family: '1', type: 'A' }), 40, '40 A queries counted once each, over both workers');
  t.equal(delta('triad_dns_responses_total', { rcode: 'NOERROR' }), 40, '40 NOERROR responses');
  t.equal(delta('triad_dns_request_duration_seconds_count'), 40, 'the duration histogram saw them');
  t.equal(sumOf(after, 'triad_dns_workers'), 2, 'two workers');
  t.equal((after.match(/^triad_dns_worker_resident_memory_bytes\{pid="\d+"\} \d+$/gm) ?? []).length, 2, 'each worker\'s memory');
  t.equal(sumOf(after, 'triad_dns_zone_serial', { zone: 'example.test' }), 2024060101, 'the zone serial');
  t.ok(sumOf(after, 'triad_process_resident_memory_bytes') > 0, 'process metrics');

  // The resolvers of both workers: what the upstream server was asked is what Triad says it sent.
  // dig without blocking: the upstream server answers from this process.
  for (let i = 0; i < 6; i++) t.equal((await digAsync('127.0.0.1', dns, ['www.up.test', 'A', '+short'])).trim(), '192.0.2.99', 'a forwarded answer');
  const rec = (await get(`${base}/metrics`)).body;
  t.ok(upstream.asked.length >= 1, 'the upstream server was asked');
  t.equal(sumOf(rec, 'triad_dns_upstream_requests_total'), upstream.asked.length, 'upstream requests summed over the workers');
  t.ok(sumOf(rec, 'triad_dns_cache_entries') >= 1, 'the answer is cached');
  t.ok(sumOf(rec, 'triad_dns_cache_hits_total') + sumOf(rec, 'triad_dns_cache_misses_total') >= 1, 'cache lookups counted');
  t.equal(sumOf(rec, 'triad_dns_upstream_timeouts_total'), 0, 'no upstream timeout');
  t.equal(sumOf(rec, 'triad_dns_upstream_spoofing_drops_total'), 0, 'no spoofing drop');

  // BIND's statistics channel, same numbers.
  const server = JSON.parse((await get(`${base}/json/v1/server`)).body) as Record<string, Record<string, number>>;
  for (const k of ['json-stats-version', 'boot-time', 'config-time', 'current-time', 'version', 'opcodes', 'rcodes', 'qtypes', 'nsstats', 'views']) t.ok(k in server, `/json/v1/server has ${k}`);
  t.equal(server.opcodes.QUERY, sumOf(rec, 'triad_dns_requests_total'), 'opcodes.QUERY counts every request');
  t.ok(server.qtypes.A >= 40 && server.qtypes.SOA > 0, 'qtypes by name');
  t.equal(server.nsstats.Requestv4, server.opcodes.QUERY, 'nsstats.Requestv4');
  t.equal(server.rcodes.NOERROR, sumOf(rec, 'triad_dns_responses_total', { rcode: 'NOERROR' }), 'rcodes.NOERROR');
  t.ok(server.nsstats.QrySuccess > 0 && server.nsstats.QryNXDOMAIN > 0, 'QrySuccess and QryNXDOMAIN');
  const zones = JSON.parse((await get(`${base}/json/v1/zones`)).body) as { views: Record<string, { zones: { name: string; serial: number; type: string; class: string }[] }> };
  t.same(zones.views._default.zones.map((z) => [z.name, z.class, z.serial, z.type]), [['example.test', 'IN', 2024060101, 'primary']], '/json/v1/zones');
  const traffic = JSON.parse((await get(`${base}/json/v1/traffic`)).body) as { traffic: Record<string, Record<string, number>> };
  t.same(Object.keys(traffic.traffic).sort(), ['dns-tcp-requests-sizes-received-ipv4', 'dns-tcp-requests-sizes-received-ipv6', 'dns-tcp-responses-sizes-sent-ipv4',
    'dns-tcp-responses-sizes-sent-ipv6', 'dns-udp-requests-sizes-received-ipv4', 'dns-udp-requests-sizes-received-ipv6', 'dns-udp-responses-sizes-sent-ipv4',
    'dns-udp-responses-sizes-sent-ipv6'], '/json/v1/traffic with BIND\'s histogram names');
  const udpIn = Object.values(traffic.traffic['dns-udp-requests-sizes-received-ipv4']).reduce((a, b) => a + b, 0);
  t.equal(udpIn, server.nsstats.QryUDP, 'the size histogram counts every UDP request');
  const all = JSON.parse((await get(`${base}/json/v1`)).body) as Record<string, unknown>;
  t.ok('traffic' in all && 'nsstats' in all, '/json/v1 holds everything');
  const xml = await get(`${base}/xml/v3/server`);
  t.match(xml.type, /text\/xml/);
  t.match(xml.body, /<statistics version="3\.13"><server>.*<counters type="opcode"><counter name="QUERY">\d+<\/counter>/s, '/xml/v3/server');
  t.equal((await get(`${base}/xml/v3/status`)).status, 200, '/xml/v3/status (how bind_exporter tells the version)');

  // A reload with a broken named.conf keeps the channel; a good one moves it, counters kept.
  const conf = path.join(dir, 'named.conf');
  const good = readFileSync(conf, 'utf8');
  writeFileSync(conf, good.replace('recursion yes;', 'recursion yes'));
  triad.signal('SIGHUP');
  t.ok(await waitFor(() => /reload failed/.test(triad.output()), 10_000), 'the broken file is refused');
  t.equal((await get(`${base}/metrics`)).status, 200, 'the channel still serves after the refused reload');
  const moved = await freePort();
  writeFileSync(conf, good.replace(`port ${open};`, `port ${moved};`));
  triad.signal('SIGHUP');
  t.ok(await waitFor(() => /statistics channel closed/.test(triad.output()), 10_000), 'the old channel is closed on reload');
  const m = await get(`http://127.0.0.1:${moved}/metrics`);
  t.equal(m.status, 200, 'the new channel serves');
  t.ok(sumOf(m.body, 'triad_dns_requests_total') >= sumOf(rec, 'triad_dns_requests_total'), 'the counters survive the reload');
  await t.rejects(get(`${base}/metrics`), 'nothing listens on the old port');
});

// The query-log line in named's layout, print-time, and the per-process queue.
import t from 'tap';
import dnsPacket from 'dns-packet';
import { parseQuery, type ParsedQuery } from '../../src/dns/message.js';
import { ecsText, logTime, loggable, queryLogLine, QueryLogQueue, type QueryLogEntry } from '../../src/dns/query-log.js';
import { querylogArgument, QueryLogOwner } from '../../src/dns/query-log-owner.js';
import { createLogger } from '../../src/log.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { hostNetworksFrom } from '../../src/net/interfaces.js';
import { buildViews } from '../../src/dns/view-set.js';
import { refusingView, ViewRouter } from '../../src/dns/view-router.js';
import { Responder } from '../../src/dns/responder.js';
import { queryLog } from '../../src/dns/query-log.js';

function parsed(p: Parameters<typeof dnsPacket.encode>[0], patch?: (b: Buffer) => void): ParsedQuery {
  const b = dnsPacket.encode(p);
  patch?.(b);
  const r = parseQuery(b);
  if (r.kind !== 'ok') throw new Error(`not a query: ${r.kind}`);
  return r.query;
}
const udp = { address: '127.0.0.1', port: 53535, transport: 'udp' as const, destination: '127.0.0.1' };
const opt = (flags = 0, options: { code: number; data: Buffer }[] = []) => [{ type: 'OPT' as const, name: '.', udpPayloadSize: 1232, flags, options }];
/** The line without the client object's id, which differs by process. */
const strip = (l: string): string => l.replace(/^client @0x[0-9a-f]+ /, 'client @ID ');

t.test("named's fields and flags", async (t) => {
  const cookie = [{ code: 10, data: Buffer.from('0123456789abcdef', 'hex') }];
  const q = parsed({ type: 'query', id: 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', class: 'IN', name: 'www.example.com' }], additionals: opt(0, cookie) });
  t.equal(strip(queryLogLine(q, udp, { cookie: 'client' })), 'client @ID 127.0.0.1#53535 (www.example.com): query: www.example.com IN A +E(0)K (127.0.0.1)');
  t.match(queryLogLine(q, udp), /^client @0x[0-9a-f]+ /, 'a client id in the shape named gives it');
  const mx = parsed({ type: 'query', id: 2, flags: 0, questions: [{ type: 'MX', class: 'IN', name: 'WwW.Ex.TeSt' }] });
  t.equal(strip(queryLogLine(mx, { ...udp, transport: 'tcp' })), 'client @ID 127.0.0.1#53535 (WwW.Ex.TeSt): query: WwW.Ex.TeSt IN MX -T (127.0.0.1)', 'no EDNS, TCP, case kept');
  const dnssec = parsed({ type: 'query', id: 3, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED, questions: [{ type: 'AAAA', class: 'IN', name: 'a.test' }], additionals: opt(dnsPacket.DNSSEC_OK, cookie) });
  t.equal(strip(queryLogLine(dnssec, udp, { signer: 'k1', cookie: 'valid', view: 'inside' })),
    'client @ID 127.0.0.1#53535/key k1 (a.test): view inside: query: a.test IN AAAA +SE(0)DCV (127.0.0.1)', 'signed, DO, CD, valid cookie, a view');
  t.notMatch(queryLogLine(dnssec, udp, { view: '_default' }), /view/, 'the default view is not named');
  // TYPE65534 class CH at the root, patched into the question's type and class octets.
  const unknown = parsed({ type: 'query', id: 4, flags: 0, questions: [{ type: 'A', class: 'IN', name: '.' }] }, (b) => b.set([0xff, 0xfe, 0, 3], 13));
  t.equal(strip(queryLogLine(unknown, { address: '::1', port: 1, transport: 'udp', destination: '::1' })), 'client @ID ::1#1 (.): query: . CH TYPE65534 - (::1)', 'root, unknown type, IPv6');
  const ecs = parsed({ type: 'query', id: 5, flags: 0, questions: [{ type: 'A', class: 'IN', name: 'e.test' }], additionals: opt(0, [{ code: 8, data: Buffer.from([0, 1, 24, 0, 10, 1, 2]) }]) });
  t.match(queryLogLine(ecs, udp), / \(127\.0\.0\.1\) \[ECS 10\.1\.2\.0\/24\/0\]$/);
  t.equal(ecsText(Uint8Array.from([0, 2, 48, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 1])), '2001:db8:1::/48/0');
  t.equal(ecsText(Uint8Array.from([0, 3, 0, 0])), undefined, 'an unknown family prints nothing');
});

t.test('what BIND leaves out of the log', async (t) => {
  const notify = parsed({ type: 'query', id: 1, flags: 0, questions: [{ type: 'SOA', class: 'IN', name: 'a.test' }] }, (b) => (b[2] = 4 << 3));
  t.equal(loggable(notify), false, 'NOTIFY');
  const v1 = parsed({ type: 'query', id: 1, flags: 0, questions: [{ type: 'A', class: 'IN', name: 'a.test' }], additionals: opt() }, (b) => (b[b.length - 5] = 1));
  t.equal(loggable(v1), false, 'EDNS version 1 (answered BADVERS)');
  t.equal(loggable(parsed({ type: 'query', id: 1, flags: 0, questions: [{ type: 'A', class: 'IN', name: 'a.test' }] })), true);
});

t.test('print-time layouts', async (t) => {
  const ms = Date.UTC(2026, 10, 30, 23, 29, 8, 46);
  t.equal(logTime(ms, 'iso8601-utc'), '2026-11-30T23:29:08.046Z ');
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  t.equal(logTime(ms, 'local'), `${p(d.getDate())}-${months[d.getMonth()]}-${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}:08.046 `);
  t.equal(logTime(ms, 'iso8601'), `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:08.046 `);
});

t.test('the queue hands over whole batches, at once when full', async (t) => {
  const q = new QueryLogQueue(10_000, 3);
  const got: QueryLogEntry[][] = [];
  q.deliver = (e) => got.push(e);
  q.emit('a');
  q.emit('b');
  t.equal(got.length, 0, 'waits for more');
  q.emit('c');
  t.same(got.map((b) => b.map((e) => e[1])), [['a', 'b', 'c']]);
  q.emit('d');
  q.flush();
  t.same(got.map((b) => b.map((e) => e[1])), [['a', 'b', 'c'], ['d']], 'flush sends the rest');
  q.flush();
  t.equal(got.length, 2, 'nothing to send: nothing sent');
  const timed = new QueryLogQueue(5, 100);
  const late: string[] = [];
  timed.deliver = (e) => late.push(...e.map((x) => x[1]));
  timed.emit('x');
  await new Promise((r) => setTimeout(r, 30));
  t.same(late, ['x'], 'sent after the delay without more lines');
});

t.test("rndc querylog's arguments", async (t) => {
  t.equal(querylogArgument(undefined, false), true, 'alone it toggles');
  t.equal(querylogArgument(undefined, true), false);
  for (const w of ['on', 'YES', 'true', 'enable']) t.equal(querylogArgument(w, false), true, w);
  for (const w of ['off', 'no', 'False', 'disable']) t.equal(querylogArgument(w, true), false, w);
  t.throws(() => querylogArgument('maybe', true), /usage: triad ctl dns querylog \[on\|off\]/);
});

t.test('the view stage logs each query once, with its view; a request no view takes is not logged', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-qlv-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'a.zone'), '$TTL 300\n@ SOA ns host 1 3600 600 86400 300\n@ NS ns\nns A 192.0.2.53\nwww A 10.0.0.1\n');
  const sink = new DiagnosticSink();
  const c = parseNamedConf('/x/named.conf', `options { directory "${dir}"; recursion no; };
    view "inside" { match-clients { 127.0.0.2; }; zone "a.test" { type primary; file "a.zone"; }; };`, sink, {});
  t.same(sink.errors, []);
  const host = hostNetworksFrom({ lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }] });
  const built = buildViews(c, host);
  const router = new ViewRouter(built.views.map((v) => ({ name: v.name, matches: v.matches, responder: new Responder(v.view) })), refusingView(built.views[0].view));
  const got: string[] = [];
  queryLog.deliver = (e) => got.push(...e.map((x) => x[1]));
  t.teardown(() => {
    queryLog.on = false;
    queryLog.deliver = undefined;
  });
  const q = dnsPacket.encode({ type: 'query', id: 9, flags: 0, questions: [{ type: 'A', class: 'IN', name: 'www.a.test' }] });
  const from = (address: string) => ({ address, port: 4000, transport: 'udp' as const, destination: '127.0.0.1' });
  router.respond(q, from('127.0.0.2'));
  queryLog.flush();
  t.same(got, [], 'off: nothing');
  queryLog.on = true;
  router.respond(q, from('127.0.0.2'));
  router.respond(q, from('127.0.0.9'));
  router.respondTcp(q, { ...from('127.0.0.2'), transport: 'tcp' });
  router.respond(Buffer.from([1, 2, 3]), from('127.0.0.2'));
  queryLog.flush();
  t.same(got.map(strip), [
    'client @ID 127.0.0.2#4000 (www.a.test): view inside: query: www.a.test IN A - (127.0.0.1)',
    'client @ID 127.0.0.2#4000 (www.a.test): view inside: query: www.a.test IN A -T (127.0.0.1)',
  ], 'the view named; no line for the refused client or a broken packet');
});

t.test('the switch in the main process: named.conf at load and reload, ctl between', async (t) => {
  const told: boolean[] = [];
  const owner = new QueryLogOwner(createLogger({ level: 'silent' }), (on) => told.push(on));
  const load = (text: string) => {
    const sink = new DiagnosticSink();
    const c = parseNamedConf('/x/named.conf', text, sink, {});
    t.same(sink.errors, []);
    owner.configure(c);
  };
  load('options { recursion no; };');
  t.equal(owner.on, false, 'off by default');
  load('options { querylog yes; };');
  t.same(told, [true], 'querylog yes: on, and the workers are told');
  t.same(owner.command(['off']), { text: 'query logging is now off\n', data: { querylog: false } });
  load('options { recursion no; };');
  t.equal(owner.on, false, 'a reload saying nothing keeps what ctl set');
  load('logging { channel c { null; }; category queries { c; }; };');
  t.equal(owner.on, true, 'a queries category turns it on');
  owner.command([]);
  t.equal(owner.on, false, 'toggled');
  t.same(told, [true, false, true, false], 'told once per change');
  owner.stop();
});

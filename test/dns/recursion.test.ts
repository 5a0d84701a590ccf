// The responder's recursion path without sockets: ACL defaults as BIND, RA per
// client, REFUSED outside allow-recursion, blackhole, deferred answers, and
// named.conf → resolver settings.
import t from 'tap';
import dnsPacket from 'dns-packet';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { matchEnvironment, recursionAcls } from '../../src/dns/view-builder.js';
import { resolverSettings } from '../../src/dns/resolver-config.js';
import { forwardRuleFor } from '../../src/dns/forwarding.js';
import { DEFERRED, Responder, type ServingView, type RecursiveResolver, type ClientInfo } from '../../src/dns/responder.js';
import { decodeMessage, FLAG_RA, RCODE, type DecodedMessage, type Question } from '../../src/dns/message.js';
import { parseName } from '../../src/wire/dns-name.js';
import { hostNetworksFrom } from '../../src/net/interfaces.js';
import { T } from '../../src/wire/rr-type.js';
import type { Resolution } from '../../src/dns/resolver.js';

const host = hostNetworksFrom({
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
  eth0: [{ address: '192.168.117.1', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '192.168.117.1/24' }],
});

function conf(text: string) {
  const sink = new DiagnosticSink();
  const c = parseNamedConf('/x/named.conf', text, sink);
  t.same(sink.errors, [], text);
  return c;
}

t.test('ACL defaults follow BIND 9.18', async (t) => {
  const c = conf('options { };');
  const a = recursionAcls(c, matchEnvironment(c, host));
  t.ok(a.allowRecursion?.('192.168.117.50'), 'localnets may recurse');
  t.ok(a.allowRecursion?.('127.0.0.1'), 'localhost may recurse');
  t.notOk(a.allowRecursion?.('10.9.9.9'), 'others may not: no open resolver by default');
  t.equal(a.blackhole, undefined);
  const c2 = conf('options { allow-query-cache { 10.0.0.0/8; }; blackhole { 10.66.0.0/16; }; };');
  const a2 = recursionAcls(c2, matchEnvironment(c2, host));
  t.ok(a2.allowRecursion?.('10.9.9.9'), 'allow-recursion falls back to allow-query-cache');
  t.ok(a2.blackhole?.('10.66.1.1'));
  const c3 = conf('options { allow-recursion { 10.0.0.0/8; }; };');
  t.ok(recursionAcls(c3, matchEnvironment(c3, host)).allowQueryCache?.('10.1.1.1'), 'allow-query-cache falls back to allow-recursion');
});

t.test('resolver settings from named.conf', async (t) => {
  const c = conf(`options { forwarders { 192.0.2.1; 192.0.2.2 port 5353; }; forward only; max-cache-size 64m; max-cache-ttl 1h; max-ncache-ttl PT5M; stale-answer-enable yes; };
zone "lab" { type forward; forwarders { 10.0.0.53 port 5300; }; forward first; };
zone "open.lab" { type forward; forwarders { }; };`);
  const s = resolverSettings(c);
  t.same(forwardRuleFor(s.forward, parseName('www.example.')).forwarders, [{ address: '192.0.2.1', port: 53 }, { address: '192.0.2.2', port: 5353 }]);
  t.equal(forwardRuleFor(s.forward, parseName('www.example.')).mode, 'only');
  t.same(forwardRuleFor(s.forward, parseName('x.lab.')).forwarders, [{ address: '10.0.0.53', port: 5300 }]);
  t.same(forwardRuleFor(s.forward, parseName('x.open.lab.')).forwarders, []);
  t.equal(s.cache.maxSize, 64 * 1024 * 1024);
  t.equal(s.cache.maxCacheTtl, 3600);
  t.equal(s.cache.maxNcacheTtl, 300);
  t.equal(s.serveStale, true);
  t.equal(s.cache.maxStaleTtl, 12 * 3600);
});

function query(name: string, rd = true): Uint8Array {
  return dnsPacket.encode({ type: 'query', id: 4242, flags: rd ? dnsPacket.RECURSION_DESIRED : 0, questions: [{ type: 'A', class: 'IN', name }] });
}

t.test('responder: recursion, RA, REFUSED, blackhole, deferred answers', async (t) => {
  const asked: string[] = [];
  const resolver: RecursiveResolver = {
    async resolve(q: Question): Promise<Resolution> {
      asked.push(Buffer.from(q.name).toString('latin1'));
      return { rcode: RCODE.NOERROR, answer: [{ owner: q.name, type: T.A, class: 1, ttl: 300, rdatas: [Uint8Array.of(192, 0, 2, 9)] }], authority: [], stale: false };
    },
    fromCache: () => undefined,
  };
  const view: ServingView = {
    zones: [], allowQuery: () => true, zoneAllowQuery: new Map(), recursion: true, udpSize: 1232,
    allowRecursion: (a) => a.startsWith('127.'), blackhole: (a) => a === '10.66.0.1',
  };
  const r = new Responder(view, { resolver });
  const client: ClientInfo = { address: '127.0.0.5', port: 5000, transport: 'udp' };
  t.equal(r.respond(query('www.example'), client), null, 'without a callback a deferred answer is dropped');
  const got = await new Promise<Uint8Array | null>((resolve) => {
    const out = r.respond(query('www.example'), client, (b) => resolve(b));
    t.equal(out, DEFERRED);
  });
  const m = decodeMessage(got as Uint8Array) as DecodedMessage;
  t.equal(m.id, 4242);
  t.equal(m.rcode, RCODE.NOERROR);
  t.ok(m.flags & FLAG_RA, 'RA for an allowed client');
  t.equal(m.answers.length, 1);
  const refused = await new Promise<Uint8Array | null>((resolve) => r.respond(query('www.example'), { ...client, address: '10.1.1.1' }, (b) => resolve(b)));
  const rm = decodeMessage(refused as Uint8Array) as DecodedMessage;
  t.equal(rm.rcode, RCODE.REFUSED, 'REFUSED outside allow-recursion');
  t.equal(rm.flags & FLAG_RA, 0, 'no RA for it');
  t.equal(r.respond(query('www.example'), { ...client, address: '10.66.0.1' }, () => t.fail('blackholed')), null, 'blackhole: dropped');
  t.equal(asked.length, 2, 'the refused client never reached the resolver');
});

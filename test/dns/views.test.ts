// View selection (views.ts) and the view stage (view-router.ts), without sockets:
// which view answers a request, as BIND 9.18 selects it.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { hostNetworksFrom } from '../../src/net/interfaces.js';
import { matchRequest, selectView, viewMatcher, type ViewRequest } from '../../src/dns/views.js';
import { buildViews, namesTargets, servedViews } from '../../src/dns/view-set.js';
import { refusingView, ViewRouter } from '../../src/dns/view-router.js';
import { Responder } from '../../src/dns/responder.js';
import { buildQuery } from '../../src/dns/upstream.js';
import { decodeMessage, RCODE, type DecodedMessage } from '../../src/dns/message.js';
import { parseName } from '../../src/wire/dns-name.js';
import { T, CLASS_IN } from '../../src/wire/rr-type.js';

const host = hostNetworksFrom({
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
});

function conf(text: string, files: Record<string, string> = {}) {
  const sink = new DiagnosticSink();
  const c = parseNamedConf('/x/named.conf', text, sink, files);
  t.same(sink.errors, [], text);
  return c;
}

const env = { localhost: host.localhost, localnets: host.localnets, acls: new Map() };

t.test('match-clients: first match wins, negation, acls, keys', async (t) => {
  const c = conf(`acl inner { 10.1.0.0/16; };
    view "v" { match-clients { !10.1.2.3; inner; key "ops"; }; };`);
  const m = c.views[0].matchClients ?? [];
  const e = { ...env, acls: c.acls };
  t.equal(matchRequest(m, e, '10.1.2.3', undefined), -1, 'a negated address refuses');
  t.equal(matchRequest(m, e, '10.1.9.9', undefined), 1, 'through an acl');
  t.equal(matchRequest(m, e, '192.0.2.1', undefined), 0, 'nothing matches');
  t.equal(matchRequest(m, e, '192.0.2.1', 'ops'), 1, 'a request signed with the key matches');
  t.equal(matchRequest(m, e, '192.0.2.1', 'OPS.'), 1, 'key names compare as DNS names');
  t.equal(matchRequest(m, e, '192.0.2.1', 'other'), 0, 'another key does not');
  t.equal(matchRequest(m, e, '10.1.2.3', 'ops'), -1, 'an address element matches signed requests too (first match wins)');
});

t.test('selectView: the first view whose clauses all match', async (t) => {
  const c = conf(`
    view "dest" { match-destinations { ::1; }; };
    view "in" { match-clients { 127.0.0.2; }; };
    view "rec" { match-clients { 127.0.0.4; }; match-recursive-only yes; };
    view "signed" { match-clients { key k; }; };
    view "lan" { match-clients { 127.0.0.0/8; }; match-destinations { 127.0.0.1; }; };`);
  const views = c.views.map((v) => ({ name: v.name, matches: viewMatcher(v, env) }));
  const pick = (r: ViewRequest): string | undefined => selectView(views, r)?.name;
  t.equal(pick({ source: '::1', destination: '::1', recursive: false }), 'dest');
  t.equal(pick({ source: '127.0.0.2', destination: '::1', recursive: true }), 'dest', 'an earlier view wins');
  t.equal(pick({ source: '127.0.0.2', destination: '127.0.0.1', recursive: false }), 'in');
  t.equal(pick({ source: '127.0.0.4', destination: '127.0.0.1', recursive: true }), 'rec', 'RD set');
  t.equal(pick({ source: '127.0.0.4', destination: '127.0.0.1', recursive: false }), 'lan', 'RD clear: match-recursive-only skips the view');
  t.equal(pick({ source: '192.0.2.9', destination: '127.0.0.1', recursive: false, keyName: 'k' }), 'signed');
  t.equal(pick({ source: '192.0.2.9', destination: '127.0.0.1', recursive: false }), undefined, 'no view');
  t.equal(pick({ source: '127.0.0.9', destination: '127.0.0.7', recursive: false }), undefined, 'match-destinations refuses another local address');
});

const Z = (origin: string, a: string): string => `$TTL 300\n@ SOA ns.${origin}. host.${origin}. 1 3600 600 86400 300\n@ NS ns.${origin}.\nns A 192.0.2.53\nwww A ${a}\n`;

function ask(router: ViewRouter, name: string, source: string, rd = true, destination = '127.0.0.1'): DecodedMessage {
  const q = buildQuery(7, { name: parseName(`${name}.`), type: T.A, class: CLASS_IN }, rd);
  const out = router.respond(q, { address: source, port: 5353, transport: 'udp', destination });
  if (!out) throw new Error('no answer');
  return decodeMessage(out) as DecodedMessage;
}

t.test('the view stage: each client is answered from its view; no view is REFUSED', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-views-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'in.zone'), Z('split.test', '10.0.0.1'));
  writeFileSync(path.join(dir, 'out.zone'), Z('split.test', '192.0.2.1'));
  writeFileSync(path.join(dir, 'only.zone'), Z('only.test', '10.0.0.2'));
  writeFileSync(path.join(dir, 'shared.zone'), Z('shared.test', '10.0.0.3'));
  const text = `options { directory "${dir}"; recursion no; };
    view "in" { match-clients { 127.0.0.2; };
      zone "split.test" { type primary; file "in.zone"; };
      zone "only.test" { type primary; file "only.zone"; };
      zone "shared.test" { type primary; file "shared.zone"; }; };
    view "out" { match-clients { 127.0.0.3; };
      zone "split.test" { type primary; file "out.zone"; };
      zone "shared.test" { in-view "in"; }; };`;
  const c = conf(text);
  const built = buildViews(c, host);
  t.same(built.diagnostics.filter((d) => d.severity === 'error'), []);
  t.same(built.loaded.map((l) => `${l.view}:${l.name}`), ['in:split.test', 'in:only.test', 'in:shared.test', 'out:split.test']);
  t.ok(built.views[1].view.zones.some((z) => built.views[0].view.zones.includes(z)), 'the in-view zone is the same zone object');
  const router = new ViewRouter(built.views.map((v) => ({ name: v.name, matches: v.matches, responder: new Responder(v.view) })), refusingView(built.views[0].view));
  const addr = (m: DecodedMessage): string => [...m.answers[0].rdata].join('.');
  const a2 = ask(router, 'www.split.test', '127.0.0.2');
  t.equal(a2.rcode, RCODE.NOERROR);
  t.equal(addr(a2), '10.0.0.1', 'client 127.0.0.2 gets the inside copy');
  t.equal(addr(ask(router, 'www.split.test', '127.0.0.3')), '192.0.2.1', 'client 127.0.0.3 gets the outside copy');
  t.equal(addr(ask(router, 'www.only.test', '127.0.0.2')), '10.0.0.2');
  t.equal(ask(router, 'www.only.test', '127.0.0.3').rcode, RCODE.REFUSED, 'a zone of another view is not there');
  t.equal(addr(ask(router, 'www.shared.test', '127.0.0.3')), '10.0.0.3', 'in-view zone served in both');
  const none = ask(router, 'www.split.test', '127.0.0.5');
  t.equal(none.rcode, RCODE.REFUSED, 'no view matches: REFUSED');
  t.equal(none.questions.length, 1, 'with the question');
  t.equal(none.answers.length, 0);

  // DHCP names: the first view serving a zone name; in-view sharers follow, a different file does not.
  const targets = namesTargets(built.views);
  t.same(targets.conf.zones.map((z) => `${z.view}:${z.name}`), ['in:split.test', 'in:only.test', 'in:shared.test']);
  const split = targets.zones[0];
  t.same(targets.sharing.get(split), [], 'the outside split.test comes from another file');
});

t.test('without views: one implicit view, every client', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-views-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'a.zone'), Z('split.test', '10.0.0.1'));
  const c = conf(`options { directory "${dir}"; recursion no; }; zone "split.test" { type primary; file "a.zone"; };`);
  const built = buildViews(c, host);
  t.same(built.views.map((v) => v.name), ['_default']);
  const router = new ViewRouter(built.views.map((v) => ({ name: v.name, matches: v.matches, responder: new Responder(v.view) })), refusingView(built.views[0].view));
  for (const src of ['127.0.0.2', '192.0.2.200', '::1']) t.equal(ask(router, 'www.split.test', src, false, '10.9.9.9').rcode, RCODE.NOERROR, src);
});

t.test('reload: a zone that no longer loads keeps serving its old data in its own view only', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-views-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'in.zone'), Z('split.test', '10.0.0.1'));
  writeFileSync(path.join(dir, 'out.zone'), Z('split.test', '192.0.2.1'));
  const c = conf(`options { directory "${dir}"; recursion no; };
    view "in" { match-clients { 127.0.0.2; }; zone "split.test" { type primary; file "in.zone"; }; };
    view "out" { zone "split.test" { type primary; file "out.zone"; }; };`);
  const first = buildViews(c, host);
  writeFileSync(path.join(dir, 'out.zone'), 'garbage here\n');
  writeFileSync(path.join(dir, 'in.zone'), Z('split.test', '10.0.0.42'));
  const second = buildViews(c, host, servedViews(first.views));
  t.same(second.failed, [{ name: 'split.test', view: 'out', keptSerial: 1 }]);
  const router = new ViewRouter(second.views.map((v) => ({ name: v.name, matches: v.matches, responder: new Responder(v.view) })), refusingView(second.views[0].view));
  const addr = (m: DecodedMessage): string => [...m.answers[0].rdata].join('.');
  t.equal(addr(ask(router, 'www.split.test', '127.0.0.2')), '10.0.0.42', 'the view whose file loaded has the new data');
  t.equal(addr(ask(router, 'www.split.test', '127.0.0.9')), '192.0.2.1', 'the other keeps its own old copy');
  t.equal(addr(ask(router, 'www.split.test', '127.0.0.9')), '192.0.2.1', 'again (remembered view)');
  t.equal(addr(ask(router, 'www.split.test', '127.0.0.2')), '10.0.0.42');
});

t.test('a view that names a key takes only requests whose TSIG verified with it', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-views-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'sec.zone'), Z('split.test', '10.9.9.9'));
  writeFileSync(path.join(dir, 'pub.zone'), Z('split.test', '192.0.2.9'));
  const c = conf(`options { directory "${dir}"; recursion no; };
    view "signed" { key "xfr" { algorithm hmac-sha256; secret "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ="; }; match-clients { key "xfr"; };
      zone "split.test" { type primary; file "sec.zone"; }; };
    view "public" { zone "split.test" { type primary; file "pub.zone"; }; };`);
  const built = buildViews(c, host);
  // What the TSIG check would say: here, requests from port 1111 carry a valid signature by "xfr".
  const router = new ViewRouter(built.views.map((v) => ({ name: v.name, matches: v.matches, responder: new Responder(v.view) })), refusingView(built.views[0].view),
    { verifiedKey: (_msg, client) => (client.port === 1111 ? 'xfr' : undefined) });
  const q = buildQuery(9, { name: parseName('www.split.test.'), type: T.A, class: CLASS_IN }, false);
  const addr = (port: number, keyName?: string): string => {
    const out = router.respond(q, { address: '127.0.0.7', port, transport: 'udp', destination: '127.0.0.1', key: keyName });
    return [...(decodeMessage(out as Uint8Array) as DecodedMessage).answers[0].rdata].join('.');
  };
  t.equal(addr(1111), '10.9.9.9', 'signed by the key: the signed view');
  t.equal(addr(2222), '192.0.2.9', 'unsigned: the next view');
  t.equal(addr(2222, 'xfr'), '10.9.9.9', 'a key name already on the request counts too');
  t.equal(built.views[0].conf.views.length, 0);
});

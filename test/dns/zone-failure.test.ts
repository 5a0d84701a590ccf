// A zone whose file does not load concerns only that zone, as with named: at start
// it is answered SERVFAIL (zones below it that loaded still serve); at reload it
// keeps the data it had. named.conf errors still stop the load as a whole.
import t from 'tap';
import dnsPacket from 'dns-packet';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config/diagnostics.js';
import { loadDnsConfig } from '../../src/dns/dns-config.js';
import { servedZones } from '../../src/dns/view-builder.js';
import { Responder, type ClientInfo } from '../../src/dns/responder.js';
import { decodeMessage, type DecodedMessage } from '../../src/dns/message.js';
import { hostNetworksFrom } from '../../src/net/interfaces.js';
import { withoutRootReads, writeUnreadable } from '../helpers/unreadable.js';

const host = hostNetworksFrom({
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
});
const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-zonefail-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const conf = path.join(dir, 'named.conf');
writeFileSync(conf, `options { directory "${dir}"; recursion no; };
zone "good.test" { type primary; file "good.db"; };
zone "bad.test" { type primary; file "bad.db"; };
zone "sub.bad.test" { type primary; file "sub.db"; };
zone "missing.test" { type primary; file "nothere.db"; };
`);
const soa = (serial: number, extra = ''): string => `$TTL 1h\n@ SOA ns hostmaster ${serial} 1h 15m 1w 5m\n@ NS ns\nns A 127.0.0.1\n${extra}`;
writeFileSync(path.join(dir, 'good.db'), soa(1, 'www A 192.0.2.1\n'));
writeFileSync(path.join(dir, 'bad.db'), soa(1, 'www CNAME ns\nwww A 192.0.2.2\n'));
writeFileSync(path.join(dir, 'sub.db'), soa(1, 'www A 192.0.2.3\n'));

const udp: ClientInfo = { address: '127.0.0.1', port: 5353, transport: 'udp' };
function ask(r: Responder, name: string, type = 'A', rd = true): DecodedMessage {
  const q = dnsPacket.encode({ type: 'query', id: 7, flags: rd ? dnsPacket.RECURSION_DESIRED : 0, questions: [{ type, class: 'IN', name }] });
  const out = r.respond(q, udp);
  if (!out) throw new Error('dropped');
  const d = decodeMessage(out);
  if (typeof d === 'string') throw new Error(d);
  return d;
}

t.test('at start: a broken or missing zone file fails that zone only', async (t) => {
  const cfg = loadDnsConfig(conf, host);
  t.same(cfg.loaded.map((z) => z.name).sort(), ['good.test', 'sub.bad.test']);
  t.same(cfg.failed, [{ name: 'bad.test', keptSerial: undefined }, { name: 'missing.test', keptSerial: undefined }]);
  const messages = cfg.zoneErrors.map((e) => `${path.basename(e.file)}:${e.line}:${e.col} ${e.message}`);
  t.ok(messages.some((m) => /^bad\.db:6:\d+ .*CNAME and other data/.test(m)), `the CNAME error points into bad.db: ${messages.join(' | ')}`);
  t.ok(messages.some((m) => /^named\.conf:3:\d+ zone bad\.test\/IN: not loaded due to errors\.$/.test(m)), 'named.conf points at the zone');
  t.ok(messages.some((m) => /^named\.conf:5:\d+ zone missing\.test\/IN: loading from master file .*nothere\.db failed: file not found$/.test(m)));

  const r = new Responder(cfg.view);
  t.equal(ask(r, 'www.good.test').rcode, 0, 'a good zone answers');
  t.equal(ask(r, 'www.good.test').answers.length, 1);
  const bad = ask(r, 'www.bad.test');
  t.equal(bad.rcode, 2, 'the broken zone is SERVFAIL');
  t.notOk(bad.flags & 0x0400, 'without AA, as named');
  t.ok(bad.flags & 0x0100, 'RD echoed');
  t.equal(ask(r, 'bad.test', 'SOA', false).rcode, 2, 'its apex too, with or without RD');
  t.equal(ask(r, 'x.missing.test').rcode, 2, 'a missing file is SERVFAIL below the apex too');
  t.equal(ask(r, 'www.sub.bad.test').rcode, 0, 'a zone below the broken one that loaded serves');
  t.equal(ask(r, 'nope.sub.bad.test').rcode, 3, 'with its own NXDOMAIN');
  t.equal(ask(r, 'elsewhere.example').rcode, 5, 'names in no zone stay REFUSED (recursion no)');
});

t.test('at reload: a zone that breaks keeps its old data, the others change', async (t) => {
  writeFileSync(path.join(dir, 'bad.db'), soa(1, 'www A 192.0.2.2\n'));
  const first = loadDnsConfig(conf, host);
  t.same(first.failed.map((f) => f.name), ['missing.test']);
  writeFileSync(path.join(dir, 'good.db'), soa(2, 'www A 192.0.2.9\n'));
  writeFileSync(path.join(dir, 'bad.db'), soa(2, 'www A 192.0.2.22\nbad..name A 192.0.2.1\n'));
  const second = loadDnsConfig(conf, host, servedZones(first.view));
  t.same(second.failed, [{ name: 'bad.test', keptSerial: 1 }, { name: 'missing.test', keptSerial: undefined }]);
  t.same(second.loaded.map((z) => `${z.name}/${z.serial}`).sort(), ['good.test/2', 'sub.bad.test/1']);
  const r = new Responder(second.view);
  const a = (name: string): string => {
    const d = ask(r, name);
    return d.rcode === 0 ? d.answers.map((x) => Array.from(x.rdata).join('.')).join(',') : `rcode ${d.rcode}`;
  };
  t.equal(a('www.good.test'), '192.0.2.9', 'the good zone picked up its change');
  t.equal(a('www.bad.test'), '192.0.2.2', 'the broken zone still serves its old data');
  t.equal(a('x.missing.test'), 'rcode 2', 'a zone that never loaded stays SERVFAIL');

  writeFileSync(path.join(dir, 'bad.db'), soa(3, 'www A 192.0.2.33\n'));
  writeFileSync(path.join(dir, 'nothere.db'), soa(1, 'www A 192.0.2.4\n'));
  const third = loadDnsConfig(conf, host, servedZones(second.view));
  t.same(third.failed, [], 'fixed files load again');
  const r3 = new Responder(third.view);
  t.equal(ask(r3, 'www.bad.test').answers.length, 1);
  t.equal(ask(r3, 'www.missing.test').rcode, 0);
});

t.test('named.conf errors still fail the whole load (the old configuration stays)', async (t) => {
  const broken = path.join(dir, 'broken.conf');
  writeFileSync(broken, `options { directory "${dir}" };\nzone "good.test" { type primary; file "good.db"; };\n`);
  t.throws(() => loadDnsConfig(broken, host), ConfigError);
});

t.test('DHCP names are judged against the old facts of a zone that failed at reload', async (t) => {
  const { keepFailedFacts } = await import('../../src/dns/service.js');
  const f = (name: string, serial: number) => ({ name, serial, owned: new Set([name]) });
  const old = [f('good.test.', 1), f('bad.test.', 1), f('gone.test.', 1)];
  const merged = keepFailedFacts([f('good.test.', 2)], old, [{ name: 'Bad.Test', keptSerial: 1 }]);
  t.same(merged.map((x) => `${x.name}${x.serial}`), ['good.test.2', 'bad.test.1'], 'the failed zone keeps its facts; a removed zone does not');
});

t.test('a zone file that is a directory or unreadable fails that zone, with the reason at its named.conf line', async (t) => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'triad-zoneread-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  chmodSync(d, 0o755); // nobody reaches the files, only cannot read the locked one
  const c = path.join(d, 'named.conf');
  writeFileSync(c, `options { directory "${d}"; recursion no; };\nzone "folder.test" { type primary; file "folder.db"; };\nzone "locked.test" { type primary; file "locked.db"; };\n`);
  mkdirSync(path.join(d, 'folder.db'));
  writeUnreadable(path.join(d, 'locked.db'), soa(1));
  const cfg = withoutRootReads(() => loadDnsConfig(c, host));
  t.same(cfg.failed.map((f) => f.name), ['folder.test', 'locked.test']);
  const messages = cfg.zoneErrors.map((e) => `${path.basename(e.file)}:${e.line} ${e.message}`);
  t.ok(messages.some((m) => /^named\.conf:2 zone folder\.test\/IN: loading from master file .*folder\.db failed: is a directory, not a file$/.test(m)), messages.join(' | '));
  t.ok(messages.some((m) => /^named\.conf:3 zone locked\.test\/IN: loading from master file .*locked\.db failed: permission denied$/.test(m)), messages.join(' | '));
});

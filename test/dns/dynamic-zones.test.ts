// Dynamic zones in the deciding process, without sockets: an update is journaled
// (flushed) before it is acknowledged, a new instance (a restart) replays the
// journal over the zone file, and stop rewrites the file and empties the journal.
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DynamicZones, type UpdateRequest } from '../../src/dns/dynamic-zones.js';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { createLogger } from '../../src/log.js';
import { nameKey, parseName } from '../../src/wire/dns-name.js';
import { T } from '../../src/wire/rr-type.js';
import { RCODE } from '../../src/dns/message.js';
import type { Zone } from '../../src/dns/zone.js';

const u16 = (n: number): number[] => [n >> 8, n & 255];
const u32 = (n: number): number[] => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const rrBytes = (name: string, type: number, cls: number, ttl: number, rdata: number[]): number[] => [...parseName(name), ...u16(type), ...u16(cls), ...u32(ttl), ...u16(rdata.length), ...rdata];

/** An UPDATE message: zone section, prerequisites, updates (RFC 2136 §2). */
function updateMsg(zone: string, prereqs: number[][], updates: number[][]): string {
  const bytes = [...u16(1), ...u16(5 << 11), ...u16(1), ...u16(prereqs.length), ...u16(updates.length), ...u16(0), ...parseName(zone), ...u16(T.SOA), ...u16(1), ...prereqs.flat(), ...updates.flat()];
  return Buffer.from(bytes).toString('base64');
}

t.test('journal, replay after a restart, file rewritten at stop', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-dynamic-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const zoneFile = path.join(dir, 'dyn.zone');
  writeFileSync(zoneFile, '$TTL 300\n@ SOA ns.dyn.test. admin.dyn.test. 7 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n');
  const sink = new DiagnosticSink();
  const conf = parseNamedConf(path.join(dir, 'named.conf'), `options { directory "${dir}"; };\nzone "dyn.test" { type primary; file "dyn.zone"; allow-update { 127.0.0.1; }; };\n`, sink);
  const env = { localhost: [], localnets: [], acls: conf.acls };
  const log = createLogger({ level: 'silent' });
  const served = new Map<string, Zone | undefined>();
  const dataDir = path.join(dir, 'data');
  const make = (): DynamicZones => new DynamicZones(log, dataDir, (name, zone) => {
    served.set(name, zone);
  });
  let dz = make();
  dz.configure(conf, env);
  t.equal(served.get('dyn.test')?.serial, 7, 'the file version is published');
  const req = (msg: string, address = '127.0.0.1'): UpdateRequest => ({ zone: 'dyn.test.', msg, address, tcp: true });
  const addA = updateMsg('dyn.test.', [], [rrBytes('www.dyn.test.', T.A, 1, 300, [192, 0, 2, 80])]);
  t.equal(await dz.update(req(addA, '10.0.0.1')), RCODE.REFUSED, 'a client allow-update does not list: REFUSED');
  t.equal(await dz.update(req(addA)), RCODE.NOERROR, 'allowed: NOERROR');
  const journal = dz.journalPath('dyn.test');
  t.ok(readFileSync(journal, 'utf8').includes('"from":7,"to":8'), 'the change is in the journal before the answer');
  t.equal(served.get('dyn.test')?.serial, 8, 'the new version is published');
  const nx = updateMsg('dyn.test.', [rrBytes('www.dyn.test.', 255, 254, 0, [])], [rrBytes('x.dyn.test.', T.A, 1, 300, [192, 0, 2, 81])]);
  t.equal(await dz.update(req(nx)), 6, 'nxdomain prerequisite on a name in use: YXDOMAIN');
  // A restart without stop (kill -9): the journal is replayed over the unchanged file.
  served.clear();
  dz = make();
  dz.configure(conf, env);
  const z = served.get('dyn.test');
  t.equal(z?.serial, 8, 'replayed to serial 8');
  t.ok(z?.nodes.get(nameKey(parseName('www.dyn.test.')))?.rrsets.has(T.A), 'the acknowledged record is back');
  await dz.stop();
  t.match(readFileSync(zoneFile, 'utf8'), /www\.dyn\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.80/, 'stop rewrites the zone file');
  t.equal(existsSync(journal) ? readFileSync(journal, 'utf8') : '', '', 'and empties the journal');
  served.clear();
  dz = make();
  dz.configure(conf, env);
  t.equal(served.get('dyn.test')?.serial, 8, 'the rewritten file loads with serial 8');
  await dz.stop();
});

t.test('a journal damaged on disk: the intact changes replay, garbage and a torn tail are set aside, later changes still replay', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-dynamic-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'dyn.zone'), '$TTL 300\n@ SOA ns.dyn.test. admin.dyn.test. 7 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n');
  const conf = parseNamedConf(path.join(dir, 'named.conf'), `options { directory "${dir}"; };\nzone "dyn.test" { type primary; file "dyn.zone"; allow-update { 127.0.0.1; }; };\n`, new DiagnosticSink());
  const env = { localhost: [], localnets: [], acls: conf.acls };
  const lines: string[] = [];
  const log = Object.assign(createLogger({ level: 'silent' }), { warn: (_o: object, m: string) => void lines.push(m) });
  const served = new Map<string, Zone | undefined>();
  const dataDir = path.join(dir, 'data');
  const make = (): DynamicZones => new DynamicZones(log, dataDir, (name, zone) => void served.set(name, zone));
  let dz = make();
  dz.configure(conf, env);
  const req = (msg: string): UpdateRequest => ({ zone: 'dyn.test.', msg, address: '127.0.0.1', tcp: true });
  for (const [n, last] of [['a', 80], ['b', 81]] as const) t.equal(await dz.update(req(updateMsg('dyn.test.', [], [rrBytes(`${n}.dyn.test.`, T.A, 1, 300, [192, 0, 2, last])]))), RCODE.NOERROR);
  const journal = dz.journalPath('dyn.test');
  const [first, second] = readFileSync(journal, 'utf8').split('\n');
  // Garbage between the two changes and a third change cut short at the end (kill -9 in a power cut).
  writeFileSync(journal, `${first}\n\u0000\u00ff garbage\n${second}\n${second.slice(0, 25)}`);
  served.clear();
  dz = make();
  dz.configure(conf, env);
  const z = served.get('dyn.test');
  t.equal(z?.serial, 9, 'both intact changes replayed');
  t.ok(z?.nodes.get(nameKey(parseName('b.dyn.test.')))?.rrsets.has(T.A));
  t.ok(lines.some((l) => l === `${journal}:2: unreadable line (damaged), skipped`), 'the garbage line is named');
  t.ok(lines.some((l) => l.startsWith(`${journal}:4: last change cut short`)), 'the torn tail too');
  t.equal(readdirSync(path.dirname(journal)).filter((f) => f.includes('.damaged-')).length, 1, 'the damaged journal is kept aside');
  t.equal(readFileSync(journal, 'utf8'), `${first}\n${second}\n`, 'the journal holds the intact changes');
  // A change after the restart appends to a clean journal and replays too.
  t.equal(await dz.update(req(updateMsg('dyn.test.', [], [rrBytes('c.dyn.test.', T.A, 1, 300, [192, 0, 2, 82])]))), RCODE.NOERROR);
  served.clear();
  dz = make();
  dz.configure(conf, env);
  t.equal(served.get('dyn.test')?.serial, 10);
  await dz.stop();
});

t.test('a reload (SIGHUP) between changes: the changes after it survive a kill -9 once the zone file is rewritten', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-dynamic-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const zoneFile = path.join(dir, 'dyn.zone');
  writeFileSync(zoneFile, '$TTL 300\n@ SOA ns.dyn.test. admin.dyn.test. 7 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n');
  const conf = parseNamedConf(path.join(dir, 'named.conf'), `options { directory "${dir}"; };\nzone "dyn.test" { type primary; file "dyn.zone"; allow-update { 127.0.0.1; }; };\n`, new DiagnosticSink());
  const env = { localhost: [], localnets: [], acls: conf.acls };
  const log = createLogger({ level: 'silent' });
  const served = new Map<string, Zone | undefined>();
  const dataDir = path.join(dir, 'data');
  const make = (): DynamicZones => new DynamicZones(log, dataDir, (name, zone) => void served.set(name, zone), undefined, 50);
  const req = (msg: string): UpdateRequest => ({ zone: 'dyn.test.', msg, address: '127.0.0.1', tcp: true });
  const add = (name: string, last: number): string => updateMsg('dyn.test.', [], [rrBytes(name, T.A, 1, 300, [192, 0, 2, last])]);
  const dz = make();
  dz.configure(conf, env);
  t.equal(await dz.update(req(add('a.dyn.test.', 10))), RCODE.NOERROR, 'a change before the reload (its zone file rewrite is pending)');
  dz.configure(conf, env); // the reload
  t.equal(await dz.update(req(add('b.dyn.test.', 11))), RCODE.NOERROR, 'a change after the reload');
  await new Promise((r) => setTimeout(r, 300)); // the rewrite of the zone file is due
  t.match(readFileSync(zoneFile, 'utf8'), /b\.dyn\.test\./, 'the rewritten zone file holds the change made after the reload');
  // kill -9: no stop; a new instance loads the file and the journal.
  served.clear();
  make().configure(conf, env);
  const z = served.get('dyn.test');
  t.equal(z?.serial, 9, 'both changes are there after the restart');
  t.ok(z?.nodes.get(nameKey(parseName('b.dyn.test.')))?.rrsets.has(T.A), 'the change made after the reload is back');
  await dz.stop();
});

t.test('a damaged journal (garbage, JSON that is no change record) loads the zone file and keeps serving', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-dynamic-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'dyn.zone'), '$TTL 300\n@ SOA ns.dyn.test. admin.dyn.test. 7 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n');
  const conf = parseNamedConf(path.join(dir, 'named.conf'), `options { directory "${dir}"; };\nzone "dyn.test" { type primary; file "dyn.zone"; allow-update { 127.0.0.1; }; };\n`, new DiagnosticSink());
  const env = { localhost: [], localnets: [], acls: conf.acls };
  const log = createLogger({ level: 'silent' });
  for (const damage of ['null\n', '42\n"text"\n', '{"from":7}\n', '{"from":7,"to":8,"del":"x","add":5}\n', '\u0000\u00ff{{{\n']) {
    const served = new Map<string, Zone | undefined>();
    const dz = new DynamicZones(log, path.join(dir, 'data'), (name, zone) => {
      served.set(name, zone);
    });
    const journal = dz.journalPath('dyn.test');
    rmSync(path.dirname(journal), { recursive: true, force: true });
    mkdirSync(path.dirname(journal), { recursive: true });
    writeFileSync(journal, damage);
    t.doesNotThrow(() => dz.configure(conf, env), `journal ${JSON.stringify(damage)}`);
    t.equal(served.get('dyn.test')?.serial, 7, `journal ${JSON.stringify(damage)}: the zone file's version is served`);
  }
});

// A zone that takes dynamic updates and also gets DHCP names: the host serving it (each DNS
// worker, or the process itself with --dns-workers 0) keeps the names on top of every version
// the updates make, and the served serial rises at every change, whichever side made it.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DynamicZones, type UpdateRequest } from '../../src/dns/dynamic-zones.js';
import { DnsHost } from '../../src/dns/dns-host.js';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { createLogger } from '../../src/log.js';
import { nameKey, parseName } from '../../src/wire/dns-name.js';
import { T } from '../../src/wire/rr-type.js';
import { RCODE } from '../../src/dns/message.js';
import type { Zone } from '../../src/dns/zone.js';
import type { NamesSnapshot } from '../../src/dns/dhcp-names.js';
import { randomPort } from '../helpers/triad-run.js';
import { loadZoneText } from '../../src/dns/zone-loader.js';

const u16 = (n: number): number[] => [n >> 8, n & 255];
const u32 = (n: number): number[] => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const rrBytes = (name: string, type: number, cls: number, ttl: number, rdata: number[]): number[] => [...parseName(name), ...u16(type), ...u16(cls), ...u32(ttl), ...u16(rdata.length), ...rdata];
function updateMsg(zone: string, updates: number[][]): string {
  const bytes = [...u16(1), ...u16(5 << 11), ...u16(1), ...u16(0), ...u16(updates.length), ...u16(0), ...parseName(zone), ...u16(T.SOA), ...u16(1), ...updates.flat()];
  return Buffer.from(bytes).toString('base64');
}

t.test('DHCP names stay served when an update makes a new version of their zone', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-dynamic-names-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'dyn.zone'), '$TTL 300\n@ SOA ns.dyn.test. admin.dyn.test. 7 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n');
  const text = `options { directory "${dir}"; listen-on port ${randomPort()} { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; pid-file none; };\nzone "dyn.test" { type primary; file "dyn.zone"; allow-update { 127.0.0.1; }; };\n`;
  const confFile = path.join(dir, 'named.conf');
  writeFileSync(confFile, text);
  const log = createLogger({ level: 'silent' });
  const host = new DnsHost(confFile, log);
  t.teardown(() => host.stop());
  await host.start();
  const conf = parseNamedConf(confFile, text, new DiagnosticSink());
  const dz = new DynamicZones(log, path.join(dir, 'data'), (name, zone, diff) => host.setDynamic(name, zone, diff));
  t.teardown(() => dz.stop());
  dz.configure(conf, { localhost: [], localnets: [], acls: conf.acls });

  const served = (): Zone => host.config!.view.zones.find((z) => z.originKey === nameKey(parseName('dyn.test.')))!;
  const has = (name: string): boolean => served().nodes.get(nameKey(parseName(name)))?.rrsets.has(T.A) ?? false;
  const names = (records: NamesSnapshot['records'], serial: number): void => host.setNames({ records, serials: { 'dyn.test.': serial } });
  const pc = { name: 'pc.dyn.test.', type: 'A' as const, data: '192.0.2.50', ttl: 300, expires: null, owner: 'aa:bb', zone: 'dyn.test.' };

  names([pc], 8);
  t.ok(has('pc.dyn.test.'), 'the DHCP name is served');
  t.equal(served().serial, 8, 'with the serial the names asked for');

  const req = (updates: number[][]): UpdateRequest => ({ zone: 'dyn.test.', msg: updateMsg('dyn.test.', updates), address: '127.0.0.1', tcp: true });
  t.equal(await dz.update(req([rrBytes('www.dyn.test.', T.A, 1, 300, [192, 0, 2, 80])])), RCODE.NOERROR, 'an update is applied');
  t.ok(has('www.dyn.test.'), 'the updated name is served');
  t.ok(has('pc.dyn.test.'), 'and the DHCP name still is');
  const afterUpdate = served().serial;
  t.ok(afterUpdate > 8, `the serial rose past the one served before (${afterUpdate})`);
  const soa = served().nodes.get(served().originKey)!.rrsets.get(T.SOA)!.rdatas[0];
  t.equal(Buffer.from(soa).readUInt32BE(soa.length - 20), afterUpdate, 'in the SOA record too');

  // The names' own count (9) is behind the zone's now: the change must still raise the serial.
  names([], 9);
  t.notOk(has('pc.dyn.test.'), 'the DHCP name goes when its lease ends');
  t.ok(has('www.dyn.test.'), 'the updated name stays');
  t.ok(served().serial > afterUpdate, `the serial rose again (${served().serial})`);

  const before = served().serial;
  names([pc], 10);
  t.equal(await dz.update(req([rrBytes('mail.dyn.test.', T.A, 1, 300, [192, 0, 2, 81])])), RCODE.NOERROR, 'a second update');
  t.ok(has('mail.dyn.test.') && has('www.dyn.test.') && has('pc.dyn.test.'), 'both updates and the DHCP name are served');
  t.ok(served().serial > before + 1, 'every change stepped the serial');
});

t.test('a dynamic zone without DHCP names keeps the serials its updates make', async (t) => {
  const { stepPast, namesOnDynamic } = await import('../../src/dns/dynamic-names.js');
  const zone = (serial: number): Zone => loadZoneText({ origin: 'dyn.test', text: `$TTL 300\n$ORIGIN dyn.test.\n@ SOA ns admin ${serial} 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n` }).zone!;
  const z = zone(7);
  t.equal(stepPast(z, undefined), z, 'nothing served with names: the version as it is');
  t.equal(stepPast(z, zone(5)), z, 'already past the served serial');
  t.equal(stepPast(z, zone(9)).serial, 10, 'moved past the served serial');
  const empty = { deletions: [], additions: [] };
  t.equal(namesOnDynamic(z, empty), empty, 'no change: no new serial');
  t.equal(namesOnDynamic(z, { ...empty, serial: 3 }).serial, 3, 'the serial the names asked for is kept');
});

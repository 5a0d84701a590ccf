// The pure parts of secondary zones: reading a transfer stream (AXFR, IXFR, up to
// date, and the malformed ones that must leave the old version), the SOA timers,
// the stored file loading back, the IPC form of a zone, and NOTIFY checks.
import t from 'tap';
import { loadZoneText } from '../../src/dns/zone-loader.js';
import { TransferReader, XfrError, serialGt, soaSerial, type XfrResult } from '../../src/dns/xfr-in.js';
import { RCODE, type DecodedMessage, type DecodedRR } from '../../src/dns/message.js';
import { applyDiff } from '../../src/dns/zone-diff.js';
import { boundedTimers, jittered, nextCheck, BIND_TIMER_BOUNDS } from '../../src/dns/soa-timers.js';
import { zoneFileText, zoneRecords } from '../../src/dns/zone-writer.js';
import { writeFileAtomic } from '../../src/fs/atomic-file.js';
import { zoneFromWire, zoneToWire, withSecondaries, secondaryEntry } from '../../src/dns/secondary-view.js';
import { buildZone, type Zone } from '../../src/dns/zone.js';
import { parseName, nameKey } from '../../src/wire/dns-name.js';
import { parsePrefix } from '../../src/net/ip.js';
import { CLASS_IN, T, type ResourceRecord } from '../../src/wire/rr-type.js';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ZoneConfig } from '../../src/config/named-conf.js';

const ORIGIN = parseName('sec.test.');

/** The records `text` writes (a stand-in SOA and NS make it a loadable zone; they are left out). */
function records(text: string): ResourceRecord[] {
  const needSoa = !/\sSOA\s/.test(text);
  const needNs = !/\sNS\s/.test(text);
  const base = `${needSoa ? '@ SOA ns hostmaster 99 3600 600 86400 300\n' : ''}${needNs ? '@ NS ns\n' : ''}`;
  const r = loadZoneText({ origin: 'sec.test', text: `$TTL 300\n$ORIGIN sec.test.\n${base}${text}`, checkNames: 'ignore', checks: { integrity: false } });
  if (!r.records) throw new Error(JSON.stringify(r.diagnostics));
  return r.records.filter((x) => !((needSoa && x.type === T.SOA) || (needNs && x.type === T.NS && x.owner.length === ORIGIN.length)));
}

const soa = (serial: number): ResourceRecord => records(`@ SOA ns hostmaster ${serial} 3600 600 86400 300`)[0];
// SOA, NS, the NS's address, www.
const V1 = [soa(1), records('@ NS ns')[0], records('ns A 192.0.2.53')[0], records('www A 192.0.2.1')[0]];
const zone1 = buildZone(ORIGIN, CLASS_IN, V1, 1);

function msg(answers: ResourceRecord[], extra: Partial<DecodedMessage> = {}): DecodedMessage {
  const a: DecodedRR[] = answers.map((r) => ({ name: r.owner, type: r.type, class: r.class, ttl: r.ttl, rdata: r.rdata }));
  return { id: 1, flags: 0x8400, opcode: 0, rcode: 0, questions: [], answers: a, authorities: [], additionals: [], ...extra };
}

function read(qtype: number, ours: number | undefined, messages: DecodedMessage[], limits = { maxRecords: 1000, maxBytes: 100000 }): XfrResult {
  const r = new TransferReader(ORIGIN, qtype, ours, limits);
  for (const m of messages) r.push(m, 100);
  return r.result();
}

t.test('RFC 1982 serial arithmetic', async (t) => {
  t.ok(serialGt(2, 1));
  t.notOk(serialGt(1, 1));
  t.ok(serialGt(0, 0xffffffff), 'wraps around');
  t.notOk(serialGt(0x80000000, 0), 'half the space away is undefined: not greater');
  t.notOk(serialGt(1, 2));
});

t.test('AXFR: first and last SOA, records between, over several messages', async (t) => {
  const r = read(T.AXFR, undefined, [msg([V1[0], V1[1]]), msg([V1[2], V1[3], V1[0]])]);
  t.equal(r.kind, 'axfr');
  if (r.kind === 'axfr') {
    t.equal(r.serial, 1);
    t.equal(r.records.length, 4);
  }
});

t.test('IXFR: differences applied in order give the new version', async (t) => {
  const add = records('new 300 A 192.0.2.77')[0];
  const txt = records('more 600 TXT "hello"')[0];
  const www = V1[3];
  // 1 → 2: delete www, add new; 2 → 3: add more. Closing SOA 3.
  const r = read(T.IXFR, 1, [msg([soa(3), soa(1), www, soa(2), add]), msg([soa(2), soa(3), txt, soa(3)])]);
  t.equal(r.kind, 'ixfr');
  if (r.kind !== 'ixfr') return;
  t.equal(r.diffs.length, 2);
  const z = r.diffs.reduce((v, d) => applyDiff(v, d), zone1 as Zone);
  t.equal(z.serial, 3);
  t.ok(z.nodes.get(nameKey(add.owner))?.rrsets.has(T.A));
  t.notOk(z.nodes.has(nameKey(www.owner)), 'www is gone');
  t.equal(z.apex?.rrsets.get(T.SOA)?.rdatas.length, 1, 'one SOA');
  t.equal(soaSerial(z.apex?.rrsets.get(T.SOA)?.rdatas[0] as Uint8Array), 3);
});

t.test('IXFR answered with a full zone (AXFR style), or the SOA alone', async (t) => {
  const r = read(T.IXFR, 1, [msg([soa(2), V1[1], V1[2], soa(2)])]);
  t.equal(r.kind, 'axfr', 'a full zone in answer to IXFR is taken as a full zone');
  t.same(read(T.IXFR, 1, [msg([soa(1)])]), { kind: 'uptodate', serial: 1 }, 'our own serial alone: up to date');
  t.throws(() => read(T.IXFR, 1, [msg([soa(5)])]), /newer SOA alone/, 'a newer SOA alone asks for AXFR');
  try {
    read(T.IXFR, 1, [msg([soa(5)])]);
  } catch (e) {
    t.ok((e as XfrError).fallback, '… marked for the AXFR fallback');
  }
});

t.test('a primary that refuses IXFR makes us fall back to AXFR; other rcodes fail', async (t) => {
  for (const rcode of [RCODE.NOTIMP, RCODE.FORMERR, RCODE.REFUSED]) {
    const r = new TransferReader(ORIGIN, T.IXFR, 1);
    try {
      r.push(msg([], { rcode }), 12);
      t.fail('accepted');
    } catch (e) {
      t.ok(e instanceof XfrError && e.fallback, `rcode ${rcode} to IXFR: fall back`);
    }
  }
  const r = new TransferReader(ORIGIN, T.AXFR, undefined);
  t.throws(() => r.push(msg([], { rcode: RCODE.REFUSED }), 12), /rcode 5/);
});

t.test('malformed transfers are refused', async (t) => {
  t.throws(() => read(T.AXFR, undefined, [msg([V1[0], V1[1], V1[2]])]), /ended before its closing SOA/, 'truncated: no closing SOA');
  t.throws(() => read(T.AXFR, undefined, []), /no records/, 'nothing at all');
  t.throws(() => read(T.AXFR, undefined, [msg([V1[1], V1[0]])]), /does not start with the SOA/, 'no SOA first');
  t.throws(() => read(T.AXFR, undefined, [msg([soa(1), V1[1], soa(2)])]), /closing SOA serial 2 differs/, 'wrong closing serial');
  const outside = records('@ A 192.0.2.9')[0];
  const foreign = { ...outside, owner: parseName('www.example.org.') };
  t.throws(() => read(T.AXFR, undefined, [msg([V1[0], foreign, V1[0]])]), /outside zone sec\.test/, 'a record outside the zone');
  t.throws(() => read(T.AXFR, undefined, [msg([V1[0], { ...V1[3], class: 3 }, V1[0]])]), /class 3/, 'another class');
  t.throws(() => read(T.AXFR, undefined, [msg([V1[0], V1[0]]), msg([V1[1]])]), /after the end/, 'data after the closing SOA');
  t.throws(() => read(T.AXFR, undefined, [msg([...V1, V1[0]])], { maxRecords: 3, maxBytes: 100000 }), /more than 3 records/, 'too many records');
  t.throws(() => read(T.AXFR, undefined, [msg([V1[0]]), msg([V1[1]]), msg([V1[0]])], { maxRecords: 100, maxBytes: 250 }), /larger than 250 octets/, 'too many octets');
  // IXFR serial order: a difference that goes backwards, a gap between differences.
  t.throws(() => read(T.IXFR, 1, [msg([soa(3), soa(1), soa(0), soa(3)])]), /goes backwards/, 'difference to a lower serial');
  t.throws(() => read(T.IXFR, 1, [msg([soa(3), soa(1), soa(2), soa(5), soa(3), soa(3)])]), /starts at serial 5/, 'a gap between differences');
  t.throws(() => read(T.IXFR, 5, [msg([soa(3), soa(5), soa(3), soa(3)])]), /not newer/, 'an IXFR to an older serial');
  t.throws(() => read(T.IXFR, 1, [msg([soa(3), soa(1), V1[3], soa(2)])]), /ended before/, 'IXFR cut in the middle');
});

t.test('a difference that does not fit our copy is refused by applyDiff (then AXFR)', async (t) => {
  const r = read(T.IXFR, 1, [msg([soa(2), soa(1), records('nope A 192.0.2.200')[0], soa(2), soa(2)])]);
  t.equal(r.kind, 'ixfr');
  if (r.kind === 'ixfr') t.throws(() => applyDiff(zone1, r.diffs[0]), /cannot delete/);
});

t.test('SOA timers: bounded as BIND bounds them, shortened by up to a quarter', async (t) => {
  t.same(boundedTimers({ refresh: 2, retry: 1, expire: 5 }), { refresh: 300, retry: 500, expire: 800 }, "BIND's minimums; expire at least refresh + retry");
  t.same(boundedTimers({ refresh: 2, retry: 1, expire: 5 }, { ...BIND_TIMER_BOUNDS, minRefresh: 1, minRetry: 1 }), { refresh: 2, retry: 1, expire: 5 });
  t.same(boundedTimers({ refresh: 1e9, retry: 1e9, expire: 1e9 }), { refresh: 2419200, retry: 1209600, expire: 14515200 }, 'maximums; expire at most 24 weeks');
  t.equal(jittered(100, 0), 100000, 'no jitter at rand 0');
  t.equal(jittered(100, 0.999999), 75000, 'at most a quarter less');
  for (let i = 0; i < 50; i++) {
    const v = jittered(3600);
    t.ok(v > 2700000 && v <= 3600000);
  }
  const timers = { refresh: 3600, retry: 600, expire: 86400 };
  t.equal(nextCheck(timers, true, 0), 3600000, 'after success: refresh');
  t.equal(nextCheck(timers, false, 0), 600000, 'after failure: retry');
});

t.test('the stored file loads back (Triad) with the same records, written atomically', async (t) => {
  const z = buildZone(ORIGIN, CLASS_IN, [...V1, ...records('txt 300 TXT "one" "two words"\nmail MX 10 www\n_sip._udp SRV 1 2 5060 www')], 1);
  const text = zoneFileText(z, '127.0.0.1#53');
  const back = loadZoneText({ origin: 'sec.test', text });
  t.same(back.diagnostics.filter((d) => d.severity === 'error'), []);
  t.ok(back.zone);
  const key = (rs: ResourceRecord[]): string[] => rs.map((r) => `${nameKey(r.owner)}|${r.type}|${r.ttl}|${Buffer.from(r.rdata).toString('hex')}`).sort();
  t.same(key(zoneRecords(back.zone as Zone)), key(zoneRecords(z)));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-zw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'sub', 'sec.bk');
  await writeFileAtomic(file, text);
  await writeFileAtomic(file, text + '; again\n');
  t.equal(readFileSync(file, 'utf8'), text + '; again\n');
  t.same(readdirSync(path.join(dir, 'sub')), ['sec.bk'], 'no temporary file left behind');
});

t.test('a zone crosses IPC as JSON and comes back the same', async (t) => {
  const w = JSON.parse(JSON.stringify(zoneToWire(zone1)));
  const z = zoneFromWire(w);
  t.equal(z.serial, 1);
  t.same(zoneRecords(z).length, zoneRecords(zone1).length);
  t.equal(nameKey(z.origin), nameKey(ORIGIN));
});

t.test('NOTIFY acceptance and the served view of secondaries', async (t) => {
  const zc = { name: 'sec.test', primaries: [{ address: '192.0.2.1', port: 5300 }], secondary: {} } as unknown as ZoneConfig;
  const env = { localhost: [], localnets: [], acls: new Map() };
  const e = secondaryEntry(zc, env);
  t.ok(e.notifyAcl('192.0.2.1'), 'from a primary');
  t.notOk(e.notifyAcl('192.0.2.2'), 'from anyone else: refused');
  const v6 = secondaryEntry({ ...zc, primaries: [{ address: '2001:0db8:0:0::1' }] } as unknown as ZoneConfig, env);
  t.ok(v6.notifyAcl('2001:db8::1'), 'an IPv6 primary matches however it is written');
  const e2 = secondaryEntry({ ...zc, secondary: { allowNotify: [{ kind: 'prefix', negated: false, prefix: parsePrefix('198.51.100.0/24'), text: '198.51.100.0/24' }] } } as unknown as ZoneConfig, env);
  t.ok(e2.notifyAcl('198.51.100.9'), 'allow-notify adds senders');
  t.ok(e2.notifyAcl('192.0.2.1'), 'the primaries stay allowed');
  const view = { zones: [], notLoaded: [ORIGIN], secondaries: new Map([[nameKey(ORIGIN), e]]) } as unknown as Parameters<typeof withSecondaries>[0];
  const none = withSecondaries(view, new Map());
  t.equal(none.zones.length, 0);
  t.equal(none.notLoaded?.length, 1, 'no copy: SERVFAIL placeholder');
  const held = withSecondaries(view, new Map([[nameKey(ORIGIN), zone1]]));
  t.equal(held.zones.length, 1);
  t.equal(held.notLoaded?.length, 0, 'a copy replaces the placeholder');
  const again = withSecondaries(held, new Map());
  t.equal(again.zones.length, 0, 'expired: back to the placeholder');
  t.equal(again.notLoaded?.length, 1);
});

t.test('EDNS EXPIRE: a secondary sends the time left, a primary its SOA expire', async (t) => {
  const { expireFor } = await import('../../src/dns/sources/authoritative.js');
  const soaRd = soa(1).rdata;
  const q = { edns: { options: [{ code: 9, data: new Uint8Array(0) }] }, question: { name: ORIGIN, type: T.SOA, class: CLASS_IN } } as unknown as Parameters<typeof expireFor>[0];
  const ans = { rcode: 0, aa: true, answer: [{ owner: ORIGIN, type: T.SOA, class: CLASS_IN, ttl: 300, rdatas: [soaRd] }], authority: [], additional: [] } as unknown as Parameters<typeof expireFor>[2];
  const primary = buildZone(ORIGIN, CLASS_IN, V1, 1);
  t.equal(expireFor(q, primary, ans), 86400, 'primary: the SOA expire field');
  const secondary = buildZone(ORIGIN, CLASS_IN, V1, 1);
  secondary.expiresAt = Date.now() + 1000 * 1000 + 500;
  const left = expireFor(q, secondary, ans) as number;
  t.ok(left <= 1000 && left >= 990, `secondary: seconds left (${left})`);
  secondary.expiresAt = Date.now() - 5000;
  t.equal(expireFor(q, secondary, ans), 0, 'never negative');
});

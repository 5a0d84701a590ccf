// SecondaryZones against a scripted primary on loopback (real UDP and TCP sockets):
// a good AXFR is taken, stored and published; a truncated stream, a silent primary,
// a record outside the zone or a wrong closing serial leave the version served as
// it was; a primary that answers IXFR with NOTIMP gets an AXFR instead.
import t from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/log.js';
import { decodeMessage, MessageWriter } from '../../src/dns/message.js';
import { SecondaryZones, type SecondarySpec } from '../../src/dns/secondary.js';
import { BIND_TIMER_BOUNDS } from '../../src/dns/soa-timers.js';
import type { Zone } from '../../src/dns/zone.js';
import { parseName } from '../../src/wire/dns-name.js';
import { CLASS_IN, T } from '../../src/wire/rr-type.js';
import { loadZoneText } from '../../src/dns/zone-loader.js';

const ORIGIN = parseName('sec.test.');
type Mode = 'ok' | 'truncated' | 'silent' | 'outside' | 'badserial' | 'ixfr-notimp';

interface Rec { owner: Uint8Array; type: number; ttl: number; rdata: Uint8Array }

function zoneRecs(serial: number, extra = ''): Rec[] {
  const r = loadZoneText({ origin: 'sec.test', text: `$TTL 300\n$ORIGIN sec.test.\n@ SOA ns hostmaster ${serial} 3600 600 86400 300\n@ NS ns\nns A 192.0.2.53\nwww A 192.0.2.1\n${extra}` });
  if (!r.records) throw new Error('fixture does not load');
  const soa = r.records.filter((x) => x.type === T.SOA);
  return [...soa, ...r.records.filter((x) => x.type !== T.SOA)];
}

function message(id: number, qtype: number, answers: Rec[], rcode = 0): Buffer {
  const w = new MessageWriter(new Uint8Array(65535));
  w.u16(id);
  w.u16(0x8400 | rcode);
  w.u16(1);
  w.u16(answers.length);
  w.u16(0);
  w.u16(0);
  w.name(ORIGIN, false);
  w.u16(qtype);
  w.u16(CLASS_IN);
  for (const a of answers) w.rr(a.owner, a.type, CLASS_IN, a.ttl, a.rdata);
  return Buffer.from(w.result());
}

const frame = (b: Buffer): Buffer => Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]);

/** A primary that serves `serial` and misbehaves on TCP as `mode` says. */
async function scriptedPrimary(state: { serial: number; mode: Mode; asked: string[] }): Promise<{ port: number; close(): Promise<void> }> {
  const tcp = net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('error', () => undefined);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      const q = decodeMessage(new Uint8Array(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      if (typeof q === 'string') return sock.destroy();
      const qtype = q.questions[0].type;
      state.asked.push(qtype === T.IXFR ? 'IXFR' : qtype === T.AXFR ? 'AXFR' : 'SOA');
      const recs = zoneRecs(state.serial);
      // The zone loader drops out-of-zone data, so the foreign record is added here.
      if (state.mode === 'outside') recs.push({ owner: parseName('evil.example.org.'), type: T.A, ttl: 300, rdata: Uint8Array.of(192, 0, 2, 66) });
      const soa = recs[0];
      if (state.mode === 'ixfr-notimp' && qtype === T.IXFR) {
        sock.end(frame(message(q.id, qtype, [], 4)));
        return;
      }
      if (state.mode === 'silent') return; // never answers
      const closing = state.mode === 'badserial' ? zoneRecs(state.serial + 7)[0] : soa;
      const first = message(q.id, qtype, recs.slice(0, 2));
      const rest = message(q.id, qtype, [...recs.slice(2), closing]);
      if (state.mode === 'truncated') {
        sock.end(Buffer.concat([frame(first), frame(rest).subarray(0, 20)]));
        return;
      }
      sock.end(Buffer.concat([frame(first), frame(rest)]));
    });
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  const port = (tcp.address() as net.AddressInfo).port;
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const q = decodeMessage(new Uint8Array(msg));
    if (typeof q === 'string') return;
    state.asked.push('SOA');
    udp.send(message(q.id, T.SOA, [zoneRecs(state.serial)[0]]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => udp.bind(port, '127.0.0.1', () => r()));
  return {
    port,
    close: async () => {
      udp.close();
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(20);
  }
  return check();
}

t.test('transfers from a scripted primary: good, then malformed ones that change nothing', async (t) => {
  const state = { serial: 1, mode: 'ok' as Mode, asked: [] as string[] };
  const primary = await scriptedPrimary(state);
  t.teardown(() => primary.close());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-sz-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const published: (Zone | undefined)[] = [];
  const sec = new SecondaryZones(createLogger({ level: 'silent' }), (_n, z) => published.push(z), { xfr: { idleMs: 300, soaTimeoutMs: 500 } });
  t.teardown(() => sec.stop());
  const spec: SecondarySpec = {
    name: 'sec.test', origin: ORIGIN, file: path.join(dir, 'sec.bk'), directory: dir,
    primaries: [{ address: '127.0.0.1', port: primary.port }], bounds: BIND_TIMER_BOUNDS,
  };
  sec.configure([spec]);
  t.equal(published[0], undefined, 'no stored copy: published as "no data" (SERVFAIL) first');
  t.ok(await until(() => published.some((z) => z?.serial === 1)), 'the first AXFR is published');
  t.ok(await until(() => { try { return readFileSync(spec.file as string, 'utf8').includes(' SOA '); } catch { return false; } }), 'and stored');
  const stored = readFileSync(spec.file as string, 'utf8');

  const expected: Record<string, RegExp> = {
    truncated: /ended before its closing SOA/, silent: /went silent/, outside: /evil\.example\.org\. A: outside zone sec\.test/, badserial: /closing SOA serial \d+ differs/,
  };
  for (const [mode, why] of Object.entries(expected)) {
    state.mode = mode as Mode;
    state.serial++;
    const before = published.length;
    sec.retransfer('sec.test');
    t.ok(sec.status('sec.test').transferring, `${mode}: a transfer runs`);
    t.ok(await until(() => !sec.status('sec.test').transferring, 5000), `${mode}: and ends`);
    t.match(sec.status('sec.test').lastError, why, `${mode}: refused for the right reason`);
    t.equal(published.length, before, `${mode}: nothing new is published`);
    t.equal(sec.status('sec.test').serial, 1, `${mode}: serial 1 is still served`);
    t.equal(readFileSync(spec.file as string, 'utf8'), stored, `${mode}: the stored file is unchanged`);
  }

  // A primary that refuses IXFR: the refresh falls back to AXFR.
  state.mode = 'ixfr-notimp';
  state.serial = 20;
  state.asked.length = 0;
  sec.refresh('sec.test');
  t.ok(await until(() => sec.status('sec.test').serial === 20 && !sec.status('sec.test').transferring), 'serial 20 arrives by AXFR after IXFR was refused');
  t.same(state.asked.filter((a) => a !== 'SOA'), ['IXFR', 'AXFR'], 'IXFR first, then AXFR');
  t.equal(sec.status('sec.test').lastError, undefined);
  // A primary whose serial went backwards: not a refresh (as BIND), the zone keeps 20.
  state.mode = 'ok';
  state.serial = 5;
  state.asked.length = 0;
  sec.refresh('sec.test');
  t.ok(await until(() => !sec.status('sec.test').transferring), 'the refresh ends');
  t.match(sec.status('sec.test').lastError, /serial number \(5\) received from primary < ours \(20\)/);
  t.equal(sec.status('sec.test').serial, 20);
  t.same(state.asked, ['SOA'], 'no transfer asked for');
  // NOTIFY: one naming a serial we have changes nothing; a newer one refreshes; a refused one is counted.
  state.asked.length = 0;
  sec.notify('sec.test', '127.0.0.1', true, 20);
  t.notOk(sec.status('sec.test').transferring, 'a NOTIFY for serial 20 (ours): no refresh');
  state.serial = 21;
  sec.notify('sec.test', '127.0.0.1', true, 21);
  t.ok(await until(() => sec.status('sec.test').serial === 21 && !sec.status('sec.test').transferring), 'a NOTIFY for serial 21 brings it');
  sec.notify('sec.test', '192.0.2.99', false);
  t.equal(sec.status('sec.test').notifiesAccepted, 2);
  t.equal(sec.status('sec.test').notifiesRefused, 1);
  t.throws(() => sec.refresh('other.test'), /not a secondary zone/);
});

t.test('a stored copy damaged on disk: the damage named with file:line, the copy kept aside, the zone transferred again', async (t) => {
  const state = { serial: 5, mode: 'ok' as Mode, asked: [] as string[] };
  const primary = await scriptedPrimary(state);
  t.teardown(() => primary.close());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-sz-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'sec.bk');
  const damaged = '$ORIGIN sec.test.\n$TTL 300\n@ IN SOA ns.sec.test. h.sec.test. 4 3600 600 86400 300\n@ IN NS ns\nns IN A 192.0.2.\x00\xff garbage (\n';
  writeFileSync(file, damaged, 'latin1');
  const lines: string[] = [];
  const log = Object.assign(createLogger({ level: 'silent' }), { warn: (_o: object, m: string) => void lines.push(m) });
  const published: (Zone | undefined)[] = [];
  const sec = new SecondaryZones(log, (_n, z) => published.push(z), { xfr: { idleMs: 300, soaTimeoutMs: 500 } });
  t.teardown(() => sec.stop());
  sec.configure([{ name: 'sec.test', origin: ORIGIN, file, directory: dir, primaries: [{ address: '127.0.0.1', port: primary.port }], bounds: BIND_TIMER_BOUNDS }]);
  t.equal(published[0], undefined, 'the damaged copy is not served');
  t.ok(lines.some((l) => l.startsWith(`${file}:5:`)), `the damage is named with its line (${lines.join(' | ')})`);
  const aside = readdirSync(dir).filter((f) => f.startsWith('sec.bk.damaged-'));
  t.equal(aside.length, 1, 'the damaged copy is kept aside');
  t.equal(readFileSync(path.join(dir, aside[0] ?? 'none'), 'latin1'), damaged, 'untouched');
  t.ok(await until(() => published.some((z) => z?.serial === 5)), 'the zone is transferred again');
});

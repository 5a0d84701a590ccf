// A lease file damaged on disk: cut short at every byte, garbage at the end or in the
// middle. Every intact lease loads, the damage is reported with its line, the damaged
// file is kept aside and the file rewritten with the intact leases.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatLease, LEASE_FILE_HEADER, parseLeaseFile } from '../../src/dhcp/lease-file.js';
import { LeaseStore } from '../../src/dhcp/lease-store.js';
import type { Lease } from '../../src/dhcp/lease.js';
import { parseIPv4 as ip } from '../../src/config/dhcp-options.js';

const L: Lease[] = [
  { ip: ip('10.9.0.10') ?? 0, starts: 1764500000, ends: 1764503600, cltt: 1764500000, state: 'active', hwType: 1, hwAddr: Buffer.from('020000000001', 'hex'), hostname: 'alpha' },
  { ip: ip('10.9.0.11') ?? 0, starts: 1764500100, ends: 1764503700, state: 'active', hwType: 1, hwAddr: Buffer.from('020000000002', 'hex'), uid: Buffer.from('01020000000002', 'hex') },
  { ip: ip('10.9.0.12') ?? 0, starts: 1764500200, ends: 1764503800, state: 'free', hwType: 1, hwAddr: Buffer.from('020000000003', 'hex'), hostname: 'gam"ma' },
];
const records = L.map(formatLease);
const FULL = LEASE_FILE_HEADER + records.join('');
/** Where each record ends in FULL (after its closing brace). */
const ends: number[] = [];
const starts: number[] = [];
{
  let at = LEASE_FILE_HEADER.length;
  for (const r of records) {
    starts.push(at);
    at += r.length;
    ends.push(at - 1);
  }
}
const key = (l: Lease | undefined): string => (l ? formatLease(l) : 'none');

t.test('cut short at every byte: exactly the complete records load, a torn one is reported at its line', async (t) => {
  let checked = 0;
  for (let k = 0; k <= FULL.length; k++) {
    const { leases, sink } = parseLeaseFile('/x/dhcpd.leases', FULL.slice(0, k));
    for (let r = 0; r < L.length; r++) {
      const complete = k >= ends[r];
      if (key(leases.get(L[r].ip)) !== (complete ? records[r] : 'none')) t.fail(`cut at ${k}: lease ${r} ${complete ? 'lost' : 'loaded half'}`);
      const torn = k > starts[r] && k < ends[r];
      if (torn) {
        const line = FULL.slice(0, starts[r]).split('\n').length;
        if (!sink.errors.some((e) => e.line === line)) t.fail(`cut at ${k}: no error at line ${line}: ${sink.errors.map((e) => `${e.line} ${e.message}`).join('; ')}`);
      }
    }
    checked++;
  }
  t.equal(checked, FULL.length + 1, 'every offset tried');
});

t.test('cut short, then records appended after the torn one (dhcpd restarted): the later records load', async (t) => {
  const later = formatLease({ ...L[0], ip: ip('10.9.0.20') ?? 0, hostname: 'later' });
  for (let k = starts[1] + 1; k < ends[1]; k++) {
    const { leases, sink } = parseLeaseFile('f', FULL.slice(0, k) + '\n' + later);
    if (!leases.has(ip('10.9.0.20') ?? 0) || !leases.has(L[0].ip) || leases.has(L[1].ip)) t.fail(`cut at ${k}: ${[...leases.keys()].join(',')}`);
    if (sink.errors.length === 0) t.fail(`cut at ${k}: damage not reported`);
  }
  t.pass('checked');
});

t.test('garbage at the end and in the middle: intact records kept, the garbage reported with its line', async (t) => {
  const junk = '\x00\x07\xff"{{ oops ; } \x01lease broken\n';
  const tail = parseLeaseFile('f', FULL + junk);
  t.equal(tail.leases.size, 3);
  t.ok(tail.damaged);
  t.equal(tail.sink.errors[0].line, FULL.split('\n').length);
  const middle = LEASE_FILE_HEADER + records[0] + junk + records[1] + 'garbage words here;\n' + records[2];
  const m = parseLeaseFile('f', middle);
  t.same([...m.leases.values()].map(formatLease), records);
  t.ok(m.damaged);
  t.ok(m.sink.errors.some((e) => e.line === (LEASE_FILE_HEADER + records[0]).split('\n').length), 'the garbage line is named');
  // Binary noise with braces and an unclosed quote in it, between two records.
  const noise = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131 + 7) % 256)).toString('latin1');
  const n = parseLeaseFile('f', LEASE_FILE_HEADER + records[0] + noise + '\n' + records[1] + records[2]);
  t.same([...n.leases.values()].map(formatLease), records);
  // A long stretch of garbage is one error, not one per `;` in it.
  const many = parseLeaseFile('f', LEASE_FILE_HEADER + records[0] + 'junk;'.repeat(5000) + '\n' + records[1]);
  t.equal(many.sink.errors.length, 1);
  t.equal(many.leases.size, 2);
});

t.test('an intact ISC-style file is not damaged', async (t) => {
  t.notOk(parseLeaseFile('f', FULL).damaged);
  t.notOk(parseLeaseFile('f', '').damaged);
});

t.test('LeaseStore.load on a damaged file: intact leases, the damaged copy kept aside, the file rewritten clean', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-lease-damage-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'dhcpd.leases');
  const damaged = FULL.slice(0, starts[2] + 20);
  writeFileSync(file, damaged, 'latin1');
  const store = new LeaseStore(file, () => []);
  const got = await store.load(new Date('2026-11-30T23:40:05.123Z'));
  t.same([...got.leases.values()].map(formatLease), records.slice(0, 2));
  t.equal(got.damagedCopy, `${file}.damaged-20261130T234005Z`);
  t.equal(readFileSync(got.damagedCopy ?? '', 'latin1'), damaged, 'the damaged copy is the file as it was');
  t.ok(got.problems.some((p) => p.startsWith(`${file}:${FULL.slice(0, starts[2]).split('\n').length}:`)), 'the damage with file:line');
  t.ok(got.problems.some((p) => p.includes('damaged file saved as')));
  const again = parseLeaseFile(file, readFileSync(file, 'latin1'));
  t.notOk(again.damaged, 'the rewritten file is clean');
  t.same([...again.leases.values()].map(formatLease), records.slice(0, 2));
  // Appends after the rewrite follow a clean file.
  await store.open();
  await store.commit(L[2]);
  await store.close();
  t.equal(parseLeaseFile(file, readFileSync(file, 'latin1')).leases.size, 3);
  // A clean load leaves no copy.
  const before = readdirSync(dir).length;
  await new LeaseStore(file, () => []).load();
  t.equal(readdirSync(dir).length, before);
  t.notOk(existsSync(`${file}.tmp-${process.pid}`));
});

import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatLease, parseLeaseFile } from '../../src/dhcp/lease-file.js';
import { LeaseStore } from '../../src/dhcp/lease-store.js';
import { LeaseDb, type Lease } from '../../src/dhcp/lease.js';
import { parseIPv4 as ip, formatIPv4 } from '../../src/config/dhcp-options.js';

// As written by ISC dhcpd 4.4.3 (uid with octal escapes, bookkeeping we ignore).
const ISC = `# The format of this file is documented in the dhcpd.leases(5) manual page.
# This lease file was written by isc-dhcp-4.4.3-P1

# authoring-byte-order entry is generated, DO NOT DELETE
authoring-byte-order little-endian;

server-duid "\\000\\001\\000\\001,\\340\\213\\244\\016\\003\\307\\263\\324\\252";

lease 10.99.0.100 {
  starts 0 2026/11/22 17:25:34;
  ends 0 2026/11/22 17:35:34;
  cltt 0 2026/11/22 17:25:34;
  binding state active;
  next binding state free;
  rewind binding state free;
  hardware ethernet 02:00:00:00:00:11;
  uid "\\001\\002\\000\\000\\000\\000\\021";
  set vendor-class-identifier = "udhcp 1.35.0";
  client-hostname "vm";
}
lease 10.99.0.101 {
  starts 0 2026/11/22 17:26:00;
  ends 0 2026/11/22 17:27:00;
  tstp 0 2026/11/22 17:27:00;
  cltt 0 2026/11/22 17:26:00;
  binding state free;
  hardware ethernet 02:00:00:00:00:12;
}
lease 10.99.0.100 {
  starts 0 2026/11/22 17:30:00;
  ends 0 2026/11/22 17:40:00;
  binding state active;
  hardware ethernet 02:00:00:00:00:11;
  uid "\\001\\002\\000\\000\\000\\000\\021";
  client-hostname "vm";
}
`;

t.test('a lease file written by ISC dhcpd loads; the last record of an address wins', async (t) => {
  const { leases, sink } = parseLeaseFile('isc.leases', ISC);
  t.same(sink.errors, []);
  t.equal(leases.size, 2);
  const l = leases.get(ip('10.99.0.100')!)!;
  t.equal(l.state, 'active');
  t.equal(l.starts, Date.UTC(2026, 10, 22, 17, 30, 0) / 1000, 'later record replaced the first');
  t.equal(l.hwAddr?.toString('hex'), '020000000011');
  t.same([...l.uid!], [1, 2, 0, 0, 0, 0, 0x11], 'octal-escaped uid');
  t.equal(l.hostname, 'vm');
  t.equal(leases.get(ip('10.99.0.101')!)!.state, 'free');
});

t.test('our records round-trip and read like ISC', async (t) => {
  const lease: Lease = { ip: ip('192.168.117.100')!, starts: 1_800_000_000, ends: 1_800_000_600, cltt: 1_800_000_000, state: 'active', hwType: 1, hwAddr: Buffer.from('aabbccddeeff', 'hex'), uid: Buffer.from([1, 0x22, 0x5c, 0x41]), hostname: 'a "b"' };
  const text = formatLease(lease);
  t.match(text, /^lease 192\.168\.117\.100 \{\n  starts \d \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d;/);
  t.match(text, /binding state active;/);
  t.match(text, /hardware ethernet aa:bb:cc:dd:ee:ff;/);
  t.match(text, /uid "\\001\\042\\134A";/);
  const back = parseLeaseFile('x', text).leases.get(lease.ip)!;
  t.same({ ...back, hwAddr: back.hwAddr?.toString('hex'), uid: back.uid?.toString('hex') }, { ...lease, hwAddr: 'aabbccddeeff', uid: '01225c41' });
});

t.test('group commit: many commits, few syncs; compaction keeps every lease', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-leases-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'dhcpd.leases');
  writeFileSync(file, ISC);
  const db = new LeaseDb();
  const store = new LeaseStore(file, () => db.all(), { compactEvery: 150 });
  const { leases } = await store.load();
  for (const l of leases.values()) db.put(l);
  await store.open();
  const commits: Promise<void>[] = [];
  for (let i = 0; i < 200; i++) {
    const l: Lease = { ip: ip('10.99.1.0')! + i, starts: 1_800_000_000, ends: 1_800_000_600, state: 'active', hwType: 1, hwAddr: Buffer.from([2, 0, 0, 0, 1, i]) };
    db.put(l);
    commits.push(store.commit(l));
  }
  await Promise.all(commits);
  t.ok(store.syncs < 50, `200 commits took ${store.syncs} fdatasyncs`);
  await store.close();
  const { leases: after } = parseLeaseFile(file, readFileSync(file, 'utf8'));
  t.equal(after.size, 202, 'every lease present (after a compaction triggered at 150)');
  t.ok(after.has(ip('10.99.0.100')!), 'the ISC lease survived compaction');
  const recordCount = (readFileSync(file, 'utf8').match(/^lease /gm) ?? []).length;
  t.ok(recordCount < 200 + 3 + 200, `compacted (${recordCount} records)`);
  t.equal(formatIPv4([...after.keys()].sort((a, b) => b - a)[0]), '10.99.1.199');
});

t.test('a large lease table is rewritten only once the journal has grown by as many records', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-leases-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'dhcpd.leases');
  const lease = (i: number, ends: number): Lease => ({ ip: ip('10.98.0.0')! + i, starts: 1_800_000_000, ends, state: 'active', hwType: 1, hwAddr: Buffer.from([2, 0, 0, 0, i >> 8, i & 255]) });
  // A file of 300 leases, then 299 renewals (one batch each) with compactEvery 50.
  writeFileSync(file, Array.from({ length: 300 }, (_, i) => formatLease(lease(i, 1_800_000_600))).join(''));
  const db = new LeaseDb();
  const store = new LeaseStore(file, () => db.all(), { compactEvery: 50 });
  const { leases } = await store.load();
  for (const l of leases.values()) db.put(l);
  await store.open();
  const records = (): number => (readFileSync(file, 'utf8').match(/^lease /gm) ?? []).length;
  for (let i = 0; i < 299; i++) {
    const l = lease(i, 1_800_000_900);
    db.put(l);
    await store.commit(l);
  }
  t.equal(records(), 599, '299 appended records, no rewrite yet (fewer than the 300 the file held)');
  const l = lease(299, 1_800_000_900);
  db.put(l);
  await store.commit(l);
  await store.close();
  t.equal(records(), 300, 'the 300th appended record rewrote the file: one record per lease');
  const { leases: after } = parseLeaseFile(file, readFileSync(file, 'utf8'));
  t.equal(after.size, 300);
  t.ok([...after.values()].every((x) => x.ends === 1_800_000_900), 'every lease as last written');
});

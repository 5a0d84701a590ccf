// Catalog zones against a real BIND primary (named 9.18 on loopback): named serves a
// catalog zone listing two member zones and NOTIFYs Triad; Triad, a secondary of the
// catalog with `catalog-zones`, serves both members without any zone statement for
// them, in the files BIND names (a BIND consumer of the same catalog shows the names).
// `nsupdate` adding a third member to the catalog makes Triad serve it; removing a
// member stops it being served and removes its file. Restarted, Triad serves the
// members again from the stored catalog. Cluster workers and --dns-workers 0.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN_TRIAD } from '../helpers/paths.js';
import { startNamed, type NamedProcess } from '../helpers/resolver-lab.js';
import { dig, digStatus, nsupdate as nsupdateAt, randomPort, startTriad, waitFor, type TriadProcess } from '../helpers/triad-run.js';
import { requireTools } from '../helpers/tools.js';
import { namedOptions } from '../helpers/bind-ref.js';

if (!requireTools(t, ['dig', 'named', 'nsupdate'])) process.exit(1);

const ADDR = '127.0.0.1';

const status = (port: number, name: string, type: string): string => digStatus(ADDR, port, ['+norec', name, type]);

const nsupdate = (port: number, commands: string): void => nsupdateAt(ADDR, port, commands);

function memberZone(origin: string, host: string): string {
  return `$TTL 300\n$ORIGIN ${origin}.\n@ SOA ns.${origin}. hostmaster.${origin}. 1 3600 600 86400 300\n@ NS ns\nns A 192.0.2.53\nwww A ${host}\n`;
}

/** Long enough that BIND names its file by a SHA-256 of the names. */
const LONG = 'a-rather-long-member-zone-name.example.test';

const CATALOG = `$TTL 0
$ORIGIN catalog.example.
@ SOA invalid. invalid. 1 3600 600 86400 0
@ NS invalid.
version TXT "2"
m1.zones PTR one.test.
m2.zones PTR two.test.
long.zones PTR ${LONG}.
`;

async function scenario(t: Test, workers: number, withBindConsumer: boolean): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-catalog-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pPort = randomPort();
  let sPort = randomPort();
  while (sPort === pPort) sPort = randomPort();
  let bPort = randomPort();
  while (bPort === pPort || bPort === sPort) bPort = randomPort();
  mkdirSync(path.join(dir, 'primary'));
  mkdirSync(path.join(dir, 'secondary', 'conf'), { recursive: true });
  mkdirSync(path.join(dir, 'bind-consumer', 'catz'), { recursive: true });
  writeFileSync(path.join(dir, 'primary', 'catalog.zone'), CATALOG);
  writeFileSync(path.join(dir, 'primary', 'one.zone'), memberZone('one.test', '192.0.2.1'));
  writeFileSync(path.join(dir, 'primary', 'two.zone'), memberZone('two.test', '192.0.2.2'));
  writeFileSync(path.join(dir, 'primary', 'three.zone'), memberZone('three.test', '192.0.2.3'));
  writeFileSync(path.join(dir, 'primary', 'long.zone'), memberZone(LONG, '192.0.2.4'));
  const namedConf = path.join(dir, 'primary', 'named.conf');
  // three.test exists on the primary from the start; it joins the catalog later.
  writeFileSync(namedConf, `${namedOptions({ directory: path.join(dir, 'primary'), port: pPort, addr: ADDR, bind: true, extra: [
    'notify explicit', `also-notify { ${ADDR} port ${sPort}; ${ADDR} port ${bPort}; }`, 'notify-delay 0', `notify-source ${ADDR}`, 'allow-transfer { any; }'] })}zone "catalog.example" { type primary; file "catalog.zone"; allow-update { 127.0.0.1; }; };
zone "one.test" { type primary; file "one.zone"; };
zone "two.test" { type primary; file "two.zone"; };
zone "three.test" { type primary; file "three.zone"; };
zone "${LONG}" { type primary; file "long.zone"; };
`);
  const catalogZones = (directory: string, listen: number, bind: boolean): string => `${namedOptions({ directory, port: listen, addr: ADDR, bind, extra: [
    'min-refresh-time 1', 'min-retry-time 1',
    `catalog-zones {\n        zone "catalog.example" default-primaries { ${ADDR} port ${pPort}; } zone-directory "catz" min-update-interval 1;\n    }`] })}zone "catalog.example" { type secondary; primaries { ${ADDR} port ${pPort}; }; file "catalog.db"; };
`;
  const triadConf = path.join(dir, 'secondary', 'named.conf');
  writeFileSync(triadConf, catalogZones(path.join(dir, 'secondary'), sPort, false));
  const bindConsumerConf = path.join(dir, 'bind-consumer', 'named.conf');
  writeFileSync(bindConsumerConf, catalogZones(path.join(dir, 'bind-consumer'), bPort, true));
  const dataDir = path.join(dir, 'secondary', 'data');
  const triadArgs = ['--conf-dir', path.join(dir, 'secondary', 'conf'), '--data-dir', dataDir, '--named-conf', triadConf, '--dns-workers', String(workers)];

  const named: NamedProcess = await startNamed(namedConf);
  t.teardown(() => named.stop());
  let triad: TriadProcess = startTriad(triadArgs);
  t.teardown(() => triad.stop());
  const up = await waitFor(() => /dns serving/.test(triad.output()), 20000, 100);
  t.ok(up, 'triad started');
  if (!up) {
    t.comment(triad.output());
    return;
  }
  t.notMatch(triad.output(), /catalog-zones[^\n]*not implemented/, 'no "not implemented" warning for catalog-zones');

  const served = (zone: string, host: string): boolean => dig(ADDR, sPort, ['+short', '+norec', `www.${zone}`, 'A']).trim() === host;
  const bothServed = await waitFor(() => served('one.test', '192.0.2.1') && served('two.test', '192.0.2.2') && served(LONG, '192.0.2.4'), 20000);
  t.ok(bothServed, 'the member zones of the catalog are served, with no zone statement for them');
  if (!bothServed) t.comment(triad.output());
  t.match(dig(ADDR, sPort, ['+norec', 'one.test', 'SOA']), /flags: qr aa/, 'authoritatively');
  t.equal(status(sPort, 'www.three.test', 'A'), 'REFUSED', 'a zone the catalog does not list is not served');

  const triadCatz = path.join(dir, 'secondary', 'catz');
  const fileOne = path.join(triadCatz, '__catz___default_catalog.example_one.test.db');
  t.ok(await waitFor(() => existsSync(fileOne) && existsSync(path.join(triadCatz, '__catz___default_catalog.example_two.test.db')), 10000), 'each member is kept in zone-directory, in a __catz__ file');

  if (withBindConsumer) {
    // A BIND consumer of the same catalog: its member files are named as Triad's.
    const consumer = await startNamed(bindConsumerConf);
    t.teardown(() => consumer.stop());
    const bindCatz = path.join(dir, 'bind-consumer', 'catz');
    const names = (d: string): string[] => (existsSync(d) ? readdirSync(d).filter((f) => f.startsWith('__catz__') && f.endsWith('.db')).sort() : []);
    t.ok(await waitFor(() => names(bindCatz).length === 3, 20000), 'named writes its three member files');
    t.ok(names(triadCatz).some((f) => /^__catz__[0-9a-f]{64}\.db$/.test(f)), 'a long name gives a hashed file name');
    t.same(names(triadCatz), names(bindCatz), 'Triad names member files as named does');
    await consumer.stop();
  }

  // A third member joins the catalog on the primary: NOTIFY, transfer of the catalog, new member.
  nsupdate(pPort, 'zone catalog.example.\nupdate add m3.zones.catalog.example. 0 PTR three.test.');
  t.ok(await waitFor(() => served('three.test', '192.0.2.3'), 20000), 'a member added to the catalog on the primary is served');
  t.ok(await waitFor(() => /adding member zone 'three\.test'/.test(triad.output()), 5000), 'the addition is logged');

  // A member leaves the catalog: no longer served, its file removed.
  nsupdate(pPort, 'zone catalog.example.\nupdate delete m1.zones.catalog.example. PTR');
  t.ok(await waitFor(() => status(sPort, 'www.one.test', 'A') === 'REFUSED', 20000), 'a member removed from the catalog is no longer served');
  t.ok(await waitFor(() => !existsSync(fileOne), 5000), "its file is removed, as named removes it");
  t.ok(served('two.test', '192.0.2.2') && served('three.test', '192.0.2.3'), 'the other members keep serving');

  // A catalog that cannot be used (unsupported version) leaves the members as they were.
  nsupdate(pPort, 'zone catalog.example.\nupdate delete version.catalog.example. TXT\nupdate add version.catalog.example. 0 TXT "99"');
  t.ok(await waitFor(() => /unsupported catalog version \\?"99/.test(triad.output()), 20000), 'an unsupported catalog version is reported');
  t.ok(served('two.test', '192.0.2.2') && served('three.test', '192.0.2.3'), '… and the members stay');
  nsupdate(pPort, 'zone catalog.example.\nupdate delete version.catalog.example. TXT\nupdate add version.catalog.example. 0 TXT "2"');

  // Restart: the stored catalog and member copies serve again at once.
  await triad.stop();
  triad = startTriad(triadArgs);
  t.ok(await waitFor(() => /dns serving/.test(triad.output()), 20000, 100), 'triad restarted');
  t.ok(await waitFor(() => served('two.test', '192.0.2.2') && served('three.test', '192.0.2.3'), 20000), 'after a restart the members are served again');
  t.equal(status(sPort, 'www.one.test', 'A'), 'REFUSED', 'the removed member stays removed');

  // A member is a secondary zone like any other for `triad ctl`.
  const ctl = (...args: string[]): { code: number | null; out: string; err: string } => {
    const r = spawnSync(process.execPath, [BIN_TRIAD, 'ctl', ...args, '--data-dir', dataDir], { encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const zs = ctl('dns', 'zonestatus', 'three.test');
  t.equal(zs.code, 0, zs.err);
  t.match(zs.out, /type: secondary/, 'zonestatus of a member zone');
  t.match(zs.out, /__catz___default_catalog\.example_three\.test\.db/, '… shows its file');

  // A reload without catalog-zones: the members are no longer served, their files go.
  writeFileSync(triadConf, readFileSync(triadConf, 'utf8').replace(/catalog-zones \{[^}]*\{[^}]*\}[^}]*\};/, ''));
  const rl = ctl('dns', 'reload');
  t.equal(rl.code, 0, rl.err);
  t.ok(await waitFor(() => status(sPort, 'www.two.test', 'A') === 'REFUSED' && status(sPort, 'www.three.test', 'A') === 'REFUSED', 10000), 'after a reload without catalog-zones the members are not served');
  t.ok(await waitFor(() => readdirSync(triadCatz).filter((f) => f.startsWith('__catz__')).length === 0, 5000), '… and their files are removed');
  t.equal(dig(ADDR, sPort, ['+short', '+norec', 'catalog.example', 'SOA']).trim().split(/\s+/)[0], 'invalid.', 'the catalog zone itself is still served');
}

t.test('catalog zone from a BIND primary, cluster workers', (t) => scenario(t, 1, true));
t.test('catalog zone from a BIND primary, --dns-workers 0', (t) => scenario(t, 0, false));

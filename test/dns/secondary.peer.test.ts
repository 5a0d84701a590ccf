// Triad as a secondary of a real BIND primary (named 9.18 on loopback): the zone
// transfers in, follows `nsupdate` changes on the primary by NOTIFY with an IXFR
// (named's log shows the outgoing IXFR), `dig AXFR` of both servers gives the same
// records, a NOTIFY from an address that is not the primary is REFUSED and counted,
// the stored file loads in named-checkzone, and a Triad restarted while named is
// stopped serves its stored copy at once and answers SERVFAIL once the zone expires.
// With workers, a second BIND as secondary of Triad shows the chain BIND → Triad → BIND
// converging. Both ways of running DNS: cluster workers (default) and --dns-workers 0.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN_TRIAD } from '../helpers/paths.js';
import { startNamed, type NamedProcess } from '../helpers/resolver-lab.js';
import { dig, digStatus, nsupdate as nsupdateAt, randomPort, startTriad, waitFor, type TriadProcess } from '../helpers/triad-run.js';
import { requireTools } from '../helpers/tools.js';
import { namedOptions } from '../helpers/bind-ref.js';

if (!requireTools(t, ['dig', 'named', 'nsupdate', 'named-checkzone'])) process.exit(1);

const ADDR = '127.0.0.1';
/** TSIG secrets (base64 of 32 octets), as `tsig-keygen` writes them. */
const XFER_SECRET = Buffer.alloc(32, 7).toString('base64');
const OTHER_SECRET = Buffer.alloc(32, 9).toString('base64');

function serialOf(port: number, zone: string): string {
  return dig(ADDR, port, ['+short', zone, 'SOA']).trim().split(/\s+/)[2] ?? '';
}

const status = (port: number, name: string, type: string): string => digStatus(ADDR, port, [name, type]);

/** The records of `dig AXFR`, without comments, one normalised line each, sorted. */
function axfr(port: number, zone: string): string[] {
  const out = dig(ADDR, port, ['+nocmd', '+nostats', '+nocomments', zone, 'AXFR']);
  const lines = out.split('\n').filter((l) => l.trim() && !l.startsWith(';')).map((l) => l.trim().split(/\s+/).join(' ').toLowerCase());
  // The SOA opens and closes a transfer: keep one.
  return [...new Set(lines)].sort();
}

const nsupdate = (port: number, commands: string): void => nsupdateAt(ADDR, port, commands);

function zoneText(origin: string, serial: number, refresh: number, retry: number, expire: number): string {
  return `$TTL 300\n$ORIGIN ${origin}.\n@ SOA ns.${origin}. hostmaster.${origin}. ${serial} ${refresh} ${retry} ${expire} 300\n@ NS ns\nns A 192.0.2.53\nwww A 192.0.2.1\nmail MX 10 www\ntxt TXT "one" "two words"\n`;
}

async function scenario(t: Test, workers: number): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-secondary-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pPort = randomPort();
  let sPort = randomPort();
  while (sPort === pPort) sPort = randomPort();
  mkdirSync(path.join(dir, 'primary'));
  mkdirSync(path.join(dir, 'secondary', 'conf'), { recursive: true });
  writeFileSync(path.join(dir, 'primary', 'sec.zone'), zoneText('sec.test', 1, 3600, 600, 86400));
  writeFileSync(path.join(dir, 'primary', 'exp.zone'), zoneText('exp.test', 1, 2, 1, 5));
  writeFileSync(path.join(dir, 'primary', 'chain.zone'), zoneText('chain.test', 1, 2, 1, 3600));
  writeFileSync(path.join(dir, 'primary', 'late.zone'), zoneText('late.test', 7, 3600, 600, 86400));
  writeFileSync(path.join(dir, 'primary', 'signed.zone'), zoneText('signed.test', 1, 3600, 600, 86400));
  writeFileSync(path.join(dir, 'primary', 'locked.zone'), zoneText('locked.test', 1, 3600, 600, 86400));
  const namedConf = path.join(dir, 'primary', 'named.conf');
  writeFileSync(namedConf, `${namedOptions({ directory: path.join(dir, 'primary'), port: pPort, addr: ADDR, bind: true, extra: [
    'notify explicit', `also-notify { ${ADDR} port ${sPort}; }`, 'notify-delay 0', `notify-source ${ADDR}`, 'allow-transfer { any; }', 'ixfr-from-differences yes'] })}key "xfer" { algorithm hmac-sha256; secret "${XFER_SECRET}"; };
zone "signed.test" { type primary; file "signed.zone"; allow-transfer { key xfer; }; allow-update { key xfer; }; };
zone "locked.test" { type primary; file "locked.zone"; allow-transfer { key xfer; }; };
zone "sec.test" { type primary; file "sec.zone"; allow-update { 127.0.0.1; }; };
zone "exp.test" { type primary; file "exp.zone"; };
zone "chain.test" { type primary; file "chain.zone"; allow-update { 127.0.0.1; }; };
zone "late.test" { type primary; file "late.zone"; };
`);
  const triadConf = path.join(dir, 'secondary', 'named.conf');
  writeFileSync(triadConf, `${namedOptions({ directory: path.join(dir, 'secondary'), port: sPort, addr: ADDR, extra: ['min-refresh-time 1', 'min-retry-time 1'] })}primaries upstream { ${ADDR} port ${pPort}; };
key "xfer" { algorithm hmac-sha256; secret "${XFER_SECRET}"; };
key "other" { algorithm hmac-sha256; secret "${OTHER_SECRET}"; };
zone "signed.test" { type secondary; primaries { ${ADDR} port ${pPort} key xfer; }; file "signed.bk"; };
zone "locked.test" { type secondary; primaries { ${ADDR} port ${pPort} key other; }; file "locked.bk"; };
zone "sec.test" { type secondary; primaries { upstream; }; file "sec.bk"; masterfile-format text; };
zone "exp.test" { type slave; masters { ${ADDR} port ${pPort}; }; file "exp.bk"; };
zone "none.test" { type secondary; primaries { ${ADDR} port ${pPort}; }; file "none.bk"; };
zone "chain.test" { type secondary; primaries { ${ADDR} port ${pPort}; }; file "chain.bk"; };
`);
  // A BIND secondary of Triad's copy of chain.test: BIND → Triad → BIND.
  let tPort = randomPort();
  while (tPort === pPort || tPort === sPort) tPort = randomPort();
  mkdirSync(path.join(dir, 'tertiary'));
  const tertiaryConf = path.join(dir, 'tertiary', 'named.conf');
  writeFileSync(tertiaryConf, `${namedOptions({ directory: path.join(dir, 'tertiary'), port: tPort, addr: ADDR, bind: true, extra: ['notify no', 'min-refresh-time 1', 'min-retry-time 1'] })}zone "chain.test" { type secondary; primaries { ${ADDR} port ${sPort}; }; file "chain.bk"; masterfile-format text; };
`);
  const dataDir = path.join(dir, 'secondary', 'data');
  const triadArgs = ['--conf-dir', path.join(dir, 'secondary', 'conf'), '--data-dir', dataDir, '--named-conf', triadConf, '--dns-workers', String(workers)];
  const ctl = (...args: string[]): { code: number | null; out: string; err: string } => {
    const r = spawnSync(process.execPath, [BIN_TRIAD, 'ctl', ...args, '--data-dir', dataDir], { encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  let named: NamedProcess | undefined = await startNamed(namedConf);
  t.teardown(() => named?.stop());
  let triad: TriadProcess = startTriad(triadArgs);
  t.teardown(() => triad.stop());
  const up = await waitFor(() => /dns serving/.test(triad.output()), 20000, 100);
  t.ok(up, 'triad started');
  if (!up) {
    t.comment(triad.output());
    return;
  }
  t.notMatch(triad.output(), /secondary zone is served from its file|not fully implemented|'primaries' is not implemented/, 'no "not implemented" warning for secondaries');

  t.ok(await waitFor(() => serialOf(sPort, 'sec.test') === '1', 15000), 'the first transfer (AXFR) gives serial 1');
  t.equal(status(sPort, 'www.sec.test', 'A'), 'NOERROR');
  // named does not serve none.test: no copy, so SERVFAIL, and zonestatus says why.
  t.equal(status(sPort, 'www.none.test', 'A'), 'SERVFAIL', 'a secondary zone with no copy yet answers SERVFAIL');
  t.ok(await waitFor(() => /last error: .*rcode/.test(ctl('dns', 'zonestatus', 'none.test').out), 10000), 'zonestatus shows why it has no copy');
  t.match(ctl('dns', 'zonestatus', 'none.test').out, /loaded: no \(no copy yet; answered SERVFAIL\)/);
  t.equal(dig(ADDR, sPort, ['+short', 'www.sec.test', 'A']).trim(), '192.0.2.1');

  // TSIG (RFC 8945): a primary that allows transfers only with the key; Triad signs its SOA
  // query and transfer with the key its primaries entry names and checks named's signatures.
  t.ok(await waitFor(() => serialOf(sPort, 'signed.test') === '1', 15000), 'a transfer signed with the key named in primaries succeeds');
  nsupdate(pPort, `key hmac-sha256:xfer ${XFER_SECRET}\nzone signed.test.\nupdate add tsig.signed.test. 300 A 192.0.2.88`);
  t.ok(await waitFor(() => serialOf(sPort, 'signed.test') === '2', 15000, 50), 'the signed zone follows the NOTIFY too');
  t.equal(dig(ADDR, sPort, ['+short', 'tsig.signed.test', 'A']).trim(), '192.0.2.88');
  t.ok(await waitFor(() => /transferred serial 2 from 127\.0\.0\.1#\d+ \(IXFR/.test(triad.output()), 5000), 'as an IXFR');
  // locked.test needs the key xfer; Triad's entry names another key, which named does not know.
  t.ok(await waitFor(() => /last error: /.test(ctl('dns', 'zonestatus', 'locked.test').out), 10000), 'a transfer with a key the primary does not know fails');
  t.equal(status(sPort, 'www.locked.test', 'A'), 'SERVFAIL', '… and the zone has no copy');
  t.match(ctl('dns', 'zonestatus', 'locked.test').out, /last error: [^\n]*(TSIG|BADKEY|NOTAUTH|REFUSED)/i, 'zonestatus says the key was refused');

  // A change on the primary: NOTIFY, then an IXFR (named keeps a journal of the update).
  const before = Date.now();
  nsupdate(pPort, 'update add new.sec.test. 300 A 192.0.2.77\nupdate delete www.sec.test. A');
  const followed = await waitFor(() => serialOf(sPort, 'sec.test') === '2', 15000, 50);
  t.ok(followed, `Triad follows serial 2 after the NOTIFY (took ${Date.now() - before} ms)`);
  // The log is written asynchronously: wait for the lines.
  t.ok(await waitFor(() => /notify from 127\.0\.0\.1/.test(triad.output()), 5000), 'the NOTIFY was received');
  t.equal(dig(ADDR, sPort, ['+short', 'new.sec.test', 'A']).trim(), '192.0.2.77', 'the added record is served');
  t.equal(status(sPort, 'www.sec.test', 'A'), 'NXDOMAIN', 'the deleted record is gone');
  t.ok(await waitFor(() => /transfer of 'sec\.test\/IN'[^\n]*IXFR/.test(named?.log() ?? ''), 5000), 'named logs the outgoing transfer as an IXFR');
  t.ok(await waitFor(() => /transferred serial 2 from 127\.0\.0\.1#\d+ \(IXFR/.test(triad.output()), 5000), 'Triad applied it as an IXFR');

  // A second change, to see differences chain.
  nsupdate(pPort, 'update add more.sec.test. 600 TXT "hello"');
  t.ok(await waitFor(() => serialOf(sPort, 'sec.test') === '3', 15000, 50), 'serial 3 follows too');
  t.same(axfr(sPort, 'sec.test'), axfr(pPort, 'sec.test'), 'dig AXFR of both servers gives the same records');

  // The chain: BIND's secondary of Triad follows a change made on the primary.
  if (workers > 0) {
    const tertiary = await startNamed(tertiaryConf);
    t.teardown(() => tertiary.stop());
    t.ok(await waitFor(() => serialOf(tPort, 'chain.test') === '1', 15000), 'BIND transfers chain.test from Triad');
    nsupdate(pPort, 'zone chain.test.\nupdate add x.chain.test. 300 A 192.0.2.99');
    t.ok(await waitFor(() => serialOf(sPort, 'chain.test') === '2', 15000, 50), 'Triad follows the primary');
    t.ok(await waitFor(() => serialOf(tPort, 'chain.test') === '2', 15000, 100), "BIND's secondary of Triad follows (its refresh timer)");
    t.same(axfr(tPort, 'chain.test'), axfr(pPort, 'chain.test'), 'BIND → Triad → BIND: the same records at both ends');
    await tertiary.stop();
  }

  // EDNS EXPIRE (RFC 7314): a secondary tells the time left before its copy expires.
  const exp = /EXPIRE: (\d+)/.exec(dig(ADDR, sPort, ['+expire', '+norec', 'sec.test', 'SOA']))?.[1];
  t.ok(exp !== undefined && Number(exp) > 0 && Number(exp) <= 86400, `EDNS EXPIRE is the time left, at most the SOA expire (${exp})`);

  // A NOTIFY from an address that is not a primary: REFUSED and counted.
  const forged = dig(ADDR, sPort, ['-b', '127.0.0.2', '+opcode=notify', '+norec', 'sec.test', 'SOA']);
  t.match(forged, /status: REFUSED/, 'NOTIFY from 127.0.0.2 is REFUSED');
  const good = dig(ADDR, sPort, ['+opcode=notify', '+norec', 'sec.test', 'SOA']);
  t.match(good, /status: NOERROR/, 'NOTIFY from the primary address is answered NOERROR');
  t.match(good, /flags: qr aa/, '… with AA');
  t.match(good, /;sec\.test\.\s+IN\s+SOA/, '… and the question echoed');
  await waitFor(() => /refused notify from non-primary/.test(triad.output()), 3000);
  const zs = ctl('dns', 'zonestatus', 'sec.test');
  t.equal(zs.code, 0, zs.err);
  t.match(zs.out, /type: secondary/);
  t.match(zs.out, /serial: 3/, 'zonestatus shows the serial');
  t.match(zs.out, /last refresh: \d{4}-/, 'zonestatus shows the last refresh');
  t.match(zs.out, /expires: \d{4}-/, 'zonestatus shows the expiry');
  t.match(zs.out, /notifies refused: 1/, 'the refused NOTIFY is counted');

  // retransfer: a full transfer although nothing changed.
  const rt = ctl('dns', 'retransfer', 'sec.test');
  t.equal(rt.code, 0, rt.err);
  t.ok(await waitFor(() => /transferred serial 3 from [^\n]*\(AXFR/.test(triad.output()), 10000), 'retransfer does an AXFR');
  const rf = ctl('dns', 'refresh', 'sec.test');
  t.equal(rf.code, 0, rf.err);
  const bad = ctl('dns', 'refresh', 'nosuch.test');
  t.not(bad.code, 0, 'refresh of a zone that is not a secondary fails');

  // A reload that adds a secondary zone and drops another.
  const confText = readFileSync(triadConf, 'utf8');
  writeFileSync(triadConf, confText.replace(/zone "none\.test"[^\n]*\n/, `zone "late.test" { type secondary; primaries { upstream; }; file "late.bk"; };\n`));
  const rl = ctl('dns', 'reload');
  t.equal(rl.code, 0, rl.err);
  t.ok(await waitFor(() => serialOf(sPort, 'late.test') === '7', 15000), 'a secondary zone added by reload transfers');
  t.not(ctl('dns', 'refresh', 'none.test').code, 0, 'a secondary zone removed by reload is gone');
  t.equal(serialOf(sPort, 'sec.test'), '3', 'the other secondaries keep their data across the reload');

  // The stored copy: named-checkzone loads it.
  t.ok(await waitFor(() => spawnSync('named-checkzone', ['sec.test', path.join(dir, 'secondary', 'sec.bk')], { encoding: 'utf8' }).stdout.includes('serial 3'), 5000), 'named-checkzone loads the stored file with serial 3');

  // Primary down, Triad restarted: the stored copy is served; exp.test expires.
  await named.stop();
  named = undefined;
  await triad.stop();
  triad = startTriad(triadArgs);
  t.ok(await waitFor(() => /dns serving/.test(triad.output()), 20000, 100), 'triad restarted');
  t.equal(serialOf(sPort, 'sec.test'), '3', 'the stored copy is served at once with the primary down');
  t.equal(dig(ADDR, sPort, ['+short', 'more.sec.test', 'TXT']).trim(), '"hello"');
  const expired = await waitFor(() => status(sPort, 'www.exp.test', 'A') === 'SERVFAIL', 30000, 250);
  t.ok(expired, 'exp.test answers SERVFAIL once its SOA expire passed with the primary down');
  if (!expired) t.comment(`${status(sPort, 'www.exp.test', 'A')}\n${ctl('dns', 'zonestatus', 'exp.test').out}\n${triad.output().split('\n').filter((l) => l.includes('exp.test')).join('\n')}`);
  t.ok(await waitFor(() => /exp\.test\/IN: (expired|stored copy has expired)/.test(triad.output()), 5000), 'the expiry is logged');
  t.equal(serialOf(sPort, 'sec.test'), '3', 'sec.test (long expire) still serves');
}

t.test('BIND primary → Triad secondary, cluster workers', (t) => scenario(t, 2));
t.test('BIND primary → Triad secondary, --dns-workers 0', (t) => scenario(t, 0));

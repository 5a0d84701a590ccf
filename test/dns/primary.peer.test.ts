// Triad as the primary of a BIND 9 secondary (`named -g`), both on 127.0.0.1 with their
// own random ports: Triad announces each new serial by NOTIFY (at start, after an edited
// zone file and SIGHUP), BIND transfers it by IXFR from Triad's journal (a large change:
// a full transfer, max-ixfr-ratio), and both then hold the same records. Run with DNS
// workers (the default) and with --dns-workers 0.
import t, { type Test } from 'tap';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dig, startTriad, waitFor } from '../helpers/triad-run.js';
import { freePort, requireTools } from '../helpers/tools.js';
import { namedOptions, startRefNamed } from '../helpers/bind-ref.js';
import { BIN_TRIAD } from '../helpers/paths.js';

/** The TSIG secret of the also-notify key (base64 of 32 octets, as tsig-keygen writes). */
const NOTIFY_SECRET = Buffer.alloc(32, 5).toString('base64');
const HOST = '127.0.0.1';
const ZONE = 'px.test';

function zoneText(serial: number, hosts: number, extra = ''): string {
  const lines = [
    '$TTL 300',
    `@ IN SOA ns1.${ZONE}. admin.${ZONE}. ${serial} 3600 600 86400 60`,
    `@ IN NS ns1.${ZONE}.`,
    'ns1 IN A 127.0.0.1',
    'www IN A 192.0.2.80',
    'mail IN MX 10 www',
    'txt IN TXT "first"',
  ];
  for (let i = 0; i < hosts; i++) lines.push(`h${i} IN A 198.51.100.${i + 1}`);
  return `${lines.join('\n')}\n${extra}`;
}

function serialAt(port: number): number | undefined {
  const out = dig(HOST, port, ['+short', '+norec', ZONE, 'SOA']).trim().split(/\s+/);
  const n = Number(out[2]);
  return out.length >= 7 && Number.isInteger(n) ? n : undefined;
}

/** The zone's records as a sorted set of lines (dig AXFR, SOA kept once). */
function axfrSet(port: number): string[] {
  const out = dig(HOST, port, ['+nocmd', '+nostats', '+nocomments', '+onesoa', '+nottlunits', ZONE, 'AXFR']);
  return out
    .split('\n')
    .filter((l) => l && !l.startsWith(';'))
    .map((l) => l.split(/\s+/).join(' ').toLowerCase())
    .sort();
}

/** `dig IXFR=serial` over TCP: each record as `owner ttl class type data`, an SOA as `owner soa SERIAL`. */
function ixfrLines(port: number, serial: number): string[] {
  const out = dig(HOST, port, ['+nocmd', '+nostats', '+nocomments', '+nottlunits', ZONE, `IXFR=${serial}`]);
  return out
    .split('\n')
    .filter((l) => l && !l.startsWith(';'))
    .map((l) => l.split(/\s+/))
    .map((f) => (f[3] === 'SOA' ? `${f[0]} soa ${f[6]}` : f.join(' ').toLowerCase()));
}

interface Named {
  log(): string;
  child: ChildProcess;
}

/** `named -g` on `conf`; resolves once it runs (else fails the test with its log). Stopped by its PID at teardown. */
async function startNamed(tt: Test, conf: string): Promise<Named | undefined> {
  // Debug level 3: named then logs whether a transfer came as an IXFR ("got incremental response").
  const named = await startRefNamed(tt, conf, ['-d', '3']);
  if (!named.running) {
    tt.fail(`named did not start:\n${named.log()}`);
    return undefined;
  }
  return named;
}

async function primaryToBind(tt: Test, workers: string[]): Promise<void> {
  if (!requireTools(tt, ['named', 'dig'], 'Debian bind9 / bind9-dnsutils; see test/install-deps.sh')) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-primary-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const triadPort = await freePort();
  const bindPort = await freePort();
  const zoneFile = path.join(dir, `${ZONE}.zone`);
  writeFileSync(zoneFile, zoneText(1, 20));
  const triadConf = path.join(dir, 'triad-named.conf');
  writeFileSync(
    triadConf,
    `${namedOptions({ directory: dir, port: triadPort, addr: HOST, extra: [
      `allow-transfer { ${HOST}; }`, 'notify explicit', `also-notify { ${HOST} port ${bindPort} key nk; }`, `notify-source ${HOST}`, 'notify-delay 0'] })}key "nk" { algorithm hmac-sha256; secret "${NOTIFY_SECRET}"; };
zone "${ZONE}" { type primary; file "${ZONE}.zone"; };
`,
  );
  const bindDir = path.join(dir, 'bind');
  mkdirSync(bindDir);
  const bindConf = path.join(bindDir, 'named.conf');
  writeFileSync(
    bindConf,
    `${namedOptions({ directory: bindDir, port: bindPort, addr: HOST, bind: true, extra: [
      'notify no', `allow-notify { ${HOST}; }`, `transfer-source ${HOST}`, `allow-transfer { ${HOST}; }`] })}key "nk" { algorithm hmac-sha256; secret "${NOTIFY_SECRET}"; };
zone "${ZONE}" { type secondary; primaries { ${HOST} port ${triadPort}; }; file "${ZONE}.bk"; };
`,
  );
  const named = await startNamed(tt, bindConf);
  if (!named) return;
  mkdirSync(path.join(dir, 'data'));
  const triad = startTriad(['--named-conf', triadConf, '--conf-dir', dir, '--data-dir', path.join(dir, 'data'), ...workers]);
  tt.teardown(() => triad.stop());
  const triadUp = await waitFor(() => serialAt(triadPort) === 1, 30000, 300);
  if (!triadUp) {
    tt.fail(`Triad did not serve the zone:\n${triad.output()}`);
    return;
  }
  tt.ok(await waitFor(() => /sending notifies \(serial 1\)/.test(triad.output()), 10000), 'Triad sends NOTIFY for the zone it loads');
  tt.ok(await waitFor(() => serialAt(bindPort) === 1, 20000), 'BIND transferred serial 1');
  tt.same(axfrSet(bindPort), axfrSet(triadPort), 'dig AXFR: BIND holds the records Triad serves');

  // An edited zone file and SIGHUP: NOTIFY, then BIND asks for an IXFR and gets the difference.
  // (SOA refresh is an hour: only the NOTIFY can make BIND transfer this soon.)
  writeFileSync(zoneFile, zoneText(2, 20, 'new IN A 192.0.2.99\n').replace('"first"', '"second"').replace('h3 IN A 198.51.100.4\n', ''));
  const since = Date.now();
  triad.signal('SIGHUP');
  tt.ok(await waitFor(() => /sending notifies \(serial 2\)/.test(triad.output()), 15000), 'the reload sends NOTIFY with serial 2');
  const notifiedAt = Date.now();
  tt.ok(await waitFor(() => serialAt(bindPort) === 2, 15000, 100), "BIND's serial follows the edit");
  tt.comment(`BIND served serial 2 ${Date.now() - notifiedAt} ms after Triad logged the NOTIFY (${Date.now() - since} ms after SIGHUP)`);
  tt.ok(await waitFor(() => /Transfer completed[^\n]*serial 2/.test(named.log()), 5000), 'BIND logged the transfer of serial 2');
  const x2 = transferLines(named.log(), 2);
  tt.ok(/requesting IXFR for serial 1/.test(x2) && /got incremental response/.test(x2), `the transfer of serial 2 was an IXFR (named's log):\n${x2}`);
  tt.same(axfrSet(bindPort), axfrSet(triadPort), 'dig AXFR after the IXFR: the same records');
  tt.ok(axfrSet(bindPort).some((l) => /^new\.px\.test\. 300 in a 192\.0\.2\.99$/.test(l)), 'the added record arrived');
  tt.notOk(axfrSet(bindPort).some((l) => /^h3\.px\.test\./.test(l)), 'the deleted record is gone');

  // A change larger than the zone (max-ixfr-ratio 100%): a full transfer instead.
  writeFileSync(zoneFile, zoneText(3, 0, Array.from({ length: 40 }, (_, i) => `n${i} IN A 203.0.113.${i + 1}`).join('\n') + '\n'));
  triad.signal('SIGHUP');
  tt.ok(await waitFor(() => serialAt(bindPort) === 3, 15000, 100), "BIND's serial follows a large edit");
  tt.ok(await waitFor(() => /Transfer completed[^\n]*serial 3/.test(named.log()), 5000), 'BIND logged the transfer of serial 3');
  const x3 = transferLines(named.log(), 3);
  tt.ok(/requesting IXFR for serial 2/.test(x3) && /got nonincremental response/.test(x3), `asked for an IXFR, BIND got the whole zone (named's log):\n${x3}`);
  tt.same(axfrSet(bindPort), axfrSet(triadPort), 'dig AXFR after the full transfer: the same records');

  // Two small edits, then dig asks for the changes since serial 3: one condensed difference.
  writeFileSync(zoneFile, zoneText(4, 0, Array.from({ length: 40 }, (_, i) => `n${i} IN A 203.0.113.${i + 1}`).join('\n') + '\ntmp IN A 192.0.2.77\n'));
  triad.signal('SIGHUP');
  tt.ok(await waitFor(() => serialAt(triadPort) === 4, 15000, 100), 'Triad serves serial 4');
  writeFileSync(zoneFile, zoneText(5, 0, Array.from({ length: 40 }, (_, i) => `n${i} IN A 203.0.113.${i + 1}`).join('\n').replace('n7 IN A 203.0.113.8', 'n7 IN A 203.0.113.200') + '\n'));
  triad.signal('SIGHUP');
  tt.ok(await waitFor(() => serialAt(triadPort) === 5, 15000, 100), 'Triad serves serial 5');
  const ixfr = ixfrLines(triadPort, 3);
  tt.same(ixfr, [
    'px.test. soa 5',
    'px.test. soa 3',
    'n7.px.test. 300 in a 203.0.113.8',
    'px.test. soa 5',
    'n7.px.test. 300 in a 203.0.113.200',
    'px.test. soa 5',
  ], 'dig IXFR=3: the two changes as one; the record added at 4 and removed at 5 is not sent');
  const full = ixfrLines(triadPort, 0);
  tt.ok(full.length > 40 && full[0] === 'px.test. soa 5' && full[1] !== 'px.test. soa 0', `dig IXFR=0 (a serial Triad never had): the whole zone (${full.length} records)`);
  tt.same(ixfrLines(triadPort, 5), ['px.test. soa 5'], 'dig IXFR=5 (current): the SOA alone');
  tt.ok(await waitFor(() => serialAt(bindPort) === 5, 15000, 100), 'BIND follows to serial 5');
  tt.same(axfrSet(bindPort), axfrSet(triadPort), 'dig AXFR: the same records');

  // `triad ctl dns notify ZONE`, as `rndc notify`: the NOTIFY goes out again.
  const heard = (): number => (named.log().match(/received notify for zone 'px\.test'/g) ?? []).length;
  const before = heard();
  const ctl = spawnSync(process.execPath, [BIN_TRIAD, 'ctl', 'dns', 'notify', ZONE, '--data-dir', path.join(dir, 'data')], { encoding: 'utf8' });
  tt.equal(ctl.status, 0, `triad ctl dns notify: ${ctl.stderr}`);
  tt.match(ctl.stdout, new RegExp(`zone notify queued \\(serial 5\\): ${HOST}#${bindPort}`));
  tt.ok(await waitFor(() => heard() > before, 10000, 100), 'BIND received the NOTIFY again');
  // also-notify's `key nk`: named verified the TSIG and names the key in its log line.
  tt.match(named.log(), /\/key nk: received notify for zone 'px\.test'/, 'the NOTIFY is signed with the also-notify key (named verified it)');
  const bad = spawnSync(process.execPath, [BIN_TRIAD, 'ctl', 'dns', 'notify', 'nope.test', '--data-dir', path.join(dir, 'data')], { encoding: 'utf8' });
  tt.not(bad.status, 0, 'a zone Triad does not serve: an error');
  tt.match(bad.stderr + bad.stdout, /no primary zone 'nope\.test' is served/);
  tt.notMatch(triad.output(), /reload failed/, 'no reload failed');
}

/** named's log lines about the transfer that ended with `serial`, and the lines just before it. */
function transferLines(log: string, serial: number): string {
  const lines = log.split('\n');
  const end = lines.findIndex((l) => new RegExp(`Transfer completed[^\\n]*serial ${serial}\\b`).test(l));
  if (end < 0) return '';
  let start = end;
  while (start > 0 && !/Transfer started|requesting [AI]XFR from/.test(lines[start])) start--;
  return lines.slice(start, end + 1).filter((l) => /transfer of 'px\.test|zone px\.test/.test(l)).join('\n');
}

t.test('Triad primary → BIND secondary, with DNS workers', (tt) => primaryToBind(tt, ['--dns-workers', '2']));
t.test('Triad primary → BIND secondary, --dns-workers 0', (tt) => primaryToBind(tt, ['--dns-workers', '0']));

// One broken service does not stop the others, against a real `bin/triad run`:
// a good named.conf beside a broken dhcpd.conf (then a broken keepalived.conf)
// answers dig, `triad ctl status` shows the broken service failed with
// file:line:col, and the process keeps running; a fixed file starts DHCP at the
// next SIGHUP, a file broken again shows the reload failure; `--strict` exits
// non-zero; with nothing that can run, `triad run` exits non-zero.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN_TRIAD } from './helpers/paths.js';
import { dig, randomLoopback, randomPort, startTriad, waitFor, type TriadProcess } from './helpers/triad-run.js';

if (spawnSync('sh', ['-c', 'command -v dig']).status !== 0) {
  t.fail('dig is not installed (apt-get install bind9-dnsutils)');
  process.exit(1);
}

const root = mkdtempSync(path.join(os.tmpdir(), 'triad-services-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

/** A subnet no interface of this machine is on, so a good dhcpd.conf leaves DHCP idle (it never binds port 67 here). */
function unusedSubnet(): string {
  const taken = new Set(Object.values(os.networkInterfaces()).flatMap((l) => (l ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address.split('.').slice(0, 3).join('.'))));
  for (;;) {
    const net = `10.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
    if (!taken.has(net)) return net;
  }
}

interface Lab {
  conf: string;
  data: string;
  addr: string;
  port: number;
  dhcpd: string;
  keepalived: string;
}

function lab(name: string): Lab {
  const dir = path.join(root, name);
  const conf = path.join(dir, 'conf');
  mkdirSync(conf, { recursive: true });
  const addr = randomLoopback();
  const port = randomPort();
  writeFileSync(path.join(dir, 'example.zone'), '$TTL 300\n@ SOA ns hostmaster 2026113001 1h 15m 1w 5m\n@ NS ns\nns A 127.0.0.1\nwww A 192.0.2.80\n');
  writeFileSync(path.join(conf, 'named.conf'), `options {
    directory "${dir}";
    listen-on port ${port} { ${addr}; };
    listen-on-v6 { none; };
    recursion no;
};
zone "example.test" { type primary; file "example.zone"; };
`);
  return { conf, data: path.join(dir, 'data'), addr, port, dhcpd: path.join(conf, 'dhcpd.conf'), keepalived: path.join(conf, 'keepalived.conf') };
}

const net = unusedSubnet();
const goodDhcpd = `default-lease-time 600;\nsubnet ${net}.0 netmask 255.255.255.0 {\n  range ${net}.10 ${net}.100;\n}\n`;
// Line 3, column 20: `.300` is not an address (dhcpd: "expecting IP address").
const brokenDhcpd = `default-lease-time 600;\nsubnet ${net}.0 netmask 255.255.255.0 {\n  range ${net}.10 ${net}.300;\n}\n`;
const brokenDhcpdCol = `  range ${net}.10 `.length + 1;
// Line 6, column 12: weight must be a number.
const brokenKeepalived = `virtual_server ${net}.1 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server ${net}.11 80 {\n    weight abc\n  }\n}\n`;

function run(l: Lab, ...extra: string[]): TriadProcess {
  return startTriad(['--conf-dir', l.conf, '--data-dir', l.data, '--dns-workers', '1', ...extra]);
}

function ctl(l: Lab, ...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN_TRIAD, 'ctl', ...args, '--data-dir', l.data], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface StatusJson {
  pid: number;
  services: { name: string; state: string; file?: string; detail?: string; failure?: { reason: string; errors: { file: string; line: number; col: number; message: string }[] }; reload?: { ok: boolean; reason?: string; errors?: { file: string; line: number; col: number }[] } }[];
}

function status(l: Lab): StatusJson {
  const r = ctl(l, 'status', '--json');
  if (r.code !== 0) throw new Error(`triad ctl status --json: exit ${String(r.code)}: ${r.err}`);
  return JSON.parse(r.out) as StatusJson;
}

const service = (s: StatusJson, name: string) => s.services.find((x) => x.name === name);

/** The log's messages (one JSON line each). */
function messages(p: TriadProcess): string[] {
  return p.output().split('\n').flatMap((line) => {
    try {
      return [String((JSON.parse(line) as { msg?: unknown }).msg ?? '')];
    } catch {
      return [];
    }
  });
}

const answers = (l: Lab): string => dig(l.addr, l.port, ['+short', 'www.example.test', 'A']).trim();

t.test('a broken dhcpd.conf: DNS serves, DHCP is failed in ctl status, a fixed file starts it on SIGHUP', async (t) => {
  const l = lab('dhcpd');
  writeFileSync(l.dhcpd, brokenDhcpd);
  const p = run(l);
  t.teardown(() => p.stop());
  const up = await waitFor(() => /triad running without dhcp/.test(p.output()) || p.child.exitCode !== null, 30000, 100);
  t.ok(up && p.child.exitCode === null, 'triad runs without DHCP');
  if (!up || p.child.exitCode !== null) t.comment(p.output());
  t.equal(answers(l), '192.0.2.80', 'dig answers from the good named.conf');

  // Logged with the line and the caret, as `triad check` prints it.
  const logged = messages(p).find((m) => m.startsWith(`${l.dhcpd}:3:${brokenDhcpdCol}: error:`));
  t.ok(logged, 'the error is logged with file:line:col');
  t.match(logged, new RegExp(`\\n {4}  range ${net.replace(/\./g, '\\.')}\\.10 ${net.replace(/\./g, '\\.')}\\.300;\\n {4}${' '.repeat(brokenDhcpdCol - 1)}\\^`), 'with the line and a caret');

  const text = ctl(l, 'status');
  t.equal(text.code, 0, text.err);
  t.match(text.out, /^dns\s+running\s+\S+named\.conf/m);
  t.match(text.out, /^dhcp\s+failed\s+\S+dhcpd\.conf/m);
  t.match(text.out, new RegExp(`^ {4}${l.dhcpd.replace(/[.]/g, '\\.')}:3:${brokenDhcpdCol}: error: expecting IP address$`, 'm'));
  t.match(text.out, /^lb\s+not configured\s+no \S+keepalived\.conf \(or --lb-conf FILE\)$/m);
  t.match(text.out, /^dhcp-relay\s+not configured/m);
  let st = status(l);
  t.equal(st.pid, p.child.pid);
  t.match(service(st, 'dhcp'), { state: 'failed', file: l.dhcpd, failure: { errors: [{ file: l.dhcpd, line: 3, col: brokenDhcpdCol, message: 'expecting IP address' }] } });
  t.match(service(st, 'dns'), { state: 'running' });
  t.equal(p.child.exitCode, null, 'still running');

  // Fixed: the next SIGHUP starts DHCP (idle here: no interface is on its subnet).
  writeFileSync(l.dhcpd, goodDhcpd);
  p.signal('SIGHUP');
  t.ok(await waitFor(() => /dhcp started on reload/.test(p.output()), 15000, 100), 'dhcp starts on reload');
  st = status(l);
  t.match(service(st, 'dhcp'), { state: 'running', file: l.dhcpd });
  t.equal(service(st, 'dhcp')?.failure, undefined);
  t.ok(service(st, 'dhcp')?.detail, `the status says how DHCP runs (${service(st, 'dhcp')?.detail ?? ''})`);

  // Broken again: DHCP keeps its configuration, the status shows the failed reload.
  writeFileSync(l.dhcpd, brokenDhcpd);
  p.signal('SIGHUP');
  t.ok(await waitFor(() => /dhcp: reload failed; keeping the running configuration/.test(p.output()), 15000, 100), 'reload failure logged');
  st = status(l);
  t.match(service(st, 'dhcp'), { state: 'running', reload: { ok: false, errors: [{ file: l.dhcpd, line: 3, col: brokenDhcpdCol }] } });
  t.match(service(st, 'dns'), { state: 'running', reload: { ok: true } }, 'DNS reloaded in the same SIGHUP');
  t.match(ctl(l, 'status').out, new RegExp(`^dhcp\\s+running.*\\n {4}reload failed at \\S+; still serving the previous configuration:\\n {4}${l.dhcpd.replace(/[.]/g, '\\.')}:3:${brokenDhcpdCol}: error`, 'm'));
  t.equal(answers(l), '192.0.2.80', 'DNS still answers');

  t.equal(await p.stop(), 0, 'SIGTERM exits 0');
});

t.test('a broken keepalived.conf: DNS serves, the load balancer is failed in ctl status', async (t) => {
  const l = lab('keepalived');
  writeFileSync(l.keepalived, brokenKeepalived);
  const p = run(l);
  t.teardown(() => p.stop());
  const up = await waitFor(() => /triad running without lb/.test(p.output()) || p.child.exitCode !== null, 30000, 100);
  t.ok(up && p.child.exitCode === null, 'triad runs without the load balancer');
  if (!up || p.child.exitCode !== null) t.comment(p.output());
  t.equal(answers(l), '192.0.2.80', 'dig answers');
  t.ok(messages(p).some((m) => m.startsWith(`${l.keepalived}:6:12: error: weight`) && m.includes('^')), 'logged with file:line:col and a caret');
  const st = status(l);
  t.match(service(st, 'lb'), { state: 'failed', failure: { errors: [{ file: l.keepalived, line: 6, col: 12 }] } });
  t.match(service(st, 'dns'), { state: 'running' });
  t.match(service(st, 'dhcp'), { state: 'not configured' });
  t.match(ctl(l, 'status').out, new RegExp(`^ {4}${l.keepalived.replace(/[.]/g, '\\.')}:6:12: error: weight`, 'm'));
  t.equal(p.child.exitCode, null, 'still running');
  t.equal(await p.stop(), 0);
});

t.test('a broken named.conf: DHCP runs, DNS is failed; the fixed file starts DNS on SIGHUP', async (t) => {
  const l = lab('named');
  const namedConf = path.join(l.conf, 'named.conf');
  const good = readFileSync(namedConf, 'utf8');
  // Line 5, column 15: BIND's "boolean expected".
  writeFileSync(namedConf, good.replace('recursion no;', 'recursion maybe;'));
  writeFileSync(l.dhcpd, goodDhcpd);
  const p = run(l);
  t.teardown(() => p.stop());
  const up = await waitFor(() => /triad running without dns/.test(p.output()) || p.child.exitCode !== null, 30000, 100);
  t.ok(up && p.child.exitCode === null, 'triad runs without DNS');
  if (!up || p.child.exitCode !== null) t.comment(p.output());
  t.ok(messages(p).some((m) => m.startsWith(`${namedConf}:5:15: error: boolean expected`) && m.includes('^')), 'logged with file:line:col and a caret');
  let st = status(l);
  t.match(service(st, 'dns'), { state: 'failed', failure: { errors: [{ file: namedConf, line: 5, col: 15 }] } });
  t.match(service(st, 'dhcp'), { state: 'running' });
  t.notMatch(answers(l), /192\.0\.2\.80/, 'no DNS yet');

  writeFileSync(namedConf, good);
  p.signal('SIGHUP');
  t.ok(await waitFor(() => answers(l) === '192.0.2.80', 20000, 300), 'DNS answers after the SIGHUP');
  st = status(l);
  t.match(service(st, 'dns'), { state: 'running' });
  t.match(service(st, 'dhcp'), { state: 'running', reload: { ok: true } });
  t.equal(await p.stop(), 0);
});

t.test('--strict: a broken dhcpd.conf stops the start-up, exit non-zero', async (t) => {
  const l = lab('strict');
  writeFileSync(l.dhcpd, brokenDhcpd);
  const p = run(l, '--strict');
  t.teardown(() => p.stop());
  const code = await Promise.race([p.exited, new Promise<string>((r) => setTimeout(() => r('still running'), 30000))]);
  t.equal(code, 1, 'exits 1');
  if (code !== 1) t.comment(p.output());
  t.ok(messages(p).some((m) => m.startsWith(`${l.dhcpd}:3:${brokenDhcpdCol}: error:`)), 'the error is logged');
  t.ok(messages(p).some((m) => /--strict: dhcp failed/.test(m)), 'says why it stops');
  t.notMatch(answers(l), /192\.0\.2\.80/, 'DNS is not serving');
});

t.test('nothing can run: exit non-zero', async (t) => {
  const l = lab('none');
  rmSync(path.join(l.conf, 'named.conf'));
  writeFileSync(l.dhcpd, brokenDhcpd);
  const p = run(l);
  t.teardown(() => p.stop());
  const code = await Promise.race([p.exited, new Promise<string>((r) => setTimeout(() => r('still running'), 30000))]);
  t.equal(code, 1, 'exits 1');
  if (code !== 1) t.comment(p.output());
  t.ok(messages(p).some((m) => /no service could start \(failed: dhcp\)/.test(m)));
});

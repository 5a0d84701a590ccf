// Views in a DnsHost (what each DNS worker and --dns-workers 0 run), asked with the
// real `dig` from several client addresses:
// - DHCP names go where the zone they belong to is served: the first view serving the
//   zone name, views serving the same file, and in-view zones; a view whose zone of
//   that name comes from another file does not get them;
// - recursion, forwarders and the resolver cache are per view.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DnsHost } from '../../src/dns/dns-host.js';
import { localControl } from '../../src/dns/control.js';
import { createLogger } from '../../src/log.js';
import { randomPort } from '../helpers/triad-run.js';

/** dig without blocking: the server answers from this very process. */
function dig(port: number, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=2', ...args]);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', () => resolve(out));
  });
}

const zone = (serial: number, www: string): string => `$TTL 300
@ IN SOA ns hostmaster ${serial} 3600 600 86400 300
@ NS ns
ns A 127.0.0.53
www A ${www}
`;

t.test('DHCP names reach every view that serves the zone they go to', async (t) => {
  if (spawnSync('sh', ['-c', 'command -v dig']).status !== 0) {
    t.fail('dig is not installed (Debian bind9-dnsutils; see test/install-deps.sh)');
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-views-names-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'lab.zone'), zone(10, '10.0.0.1'));
  writeFileSync(path.join(dir, 'public.zone'), zone(20, '192.0.2.1'));
  const port = randomPort();
  const conf = path.join(dir, 'named.conf');
  writeFileSync(conf, `options { directory "${dir}"; listen-on port ${port} { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; pid-file none; };
view "inside" { match-clients { 127.0.0.2; }; zone "lab.test" { type primary; file "lab.zone"; }; };
view "vpn" { match-clients { 127.0.0.3; }; zone "lab.test" { type primary; file "lab.zone"; }; };
view "guests" { match-clients { 127.0.0.4; }; zone "lab.test" { in-view "inside"; }; };
view "public" { zone "lab.test" { type primary; file "public.zone"; }; };
`);
  const host = new DnsHost(conf, createLogger({ level: 'silent' }));
  t.teardown(() => host.stop());
  await host.start();
  t.same(host.facts.map((f) => [f.name, f.serial]), [['lab.test.', 10]], 'the names are judged against the first view’s zone');
  host.setNames({ records: [{ name: 'pc.lab.test.', type: 'A', data: '10.0.0.9', ttl: 300, expires: null, owner: 'aa:bb', zone: 'lab.test.' }], serials: { 'lab.test.': 11 } });
  const short = async (src: string, q: string): Promise<string> => (await dig(port, ['-b', src, '+short', ...q.split(' ')])).trim();
  t.equal(await short('127.0.0.2', 'pc.lab.test'), '10.0.0.9', 'the first view serving the zone');
  t.equal(await short('127.0.0.3', 'pc.lab.test'), '10.0.0.9', 'a view serving the same file');
  t.equal(await short('127.0.0.4', 'pc.lab.test'), '10.0.0.9', 'an in-view zone');
  t.equal(await short('127.0.0.5', 'pc.lab.test'), '', 'a view whose zone comes from another file does not get them');
  t.match(await short('127.0.0.2', 'lab.test SOA'), / 11 /, 'the serial the names asked for');
  t.match(await short('127.0.0.5', 'lab.test SOA'), / 20 /, 'the other copy keeps its serial');
  t.equal(await short('127.0.0.5', 'www.lab.test'), '192.0.2.1');

  // A reload keeps the views and the names.
  writeFileSync(path.join(dir, 'public.zone'), zone(21, '192.0.2.7'));
  await host.reload();
  t.equal(await short('127.0.0.5', 'www.lab.test'), '192.0.2.7', 'reloaded');
  t.equal(await short('127.0.0.3', 'pc.lab.test'), '10.0.0.9', 'names still served after the reload');
  t.equal(await short('127.0.0.2', 'www.lab.test'), '10.0.0.1');

  // `ctl dns zonestatus ZONE [VIEW]`: the first view with the zone, or the one named.
  t.match(localControl(host, 'zonestatus', ['lab.test']).text, /serial: 11\n/, 'the first view');
  t.match(localControl(host, 'zonestatus', ['lab.test', 'public']).text, /serial: 21\n/, 'the view named');
  t.match(localControl(host, 'zonestatus', ['lab.test', 'IN', 'guests']).text, /serial: 11\n/, 'class and view, as rndc; an in-view zone');
  t.throws(() => localControl(host, 'zonestatus', ['lab.test', 'nosuch']), /no such view 'nosuch'/);
});

t.test('recursion and forwarders per view: one view resolves, the other refuses', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-views-rec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'far.zone'), zone(7, '198.51.100.7'));
  writeFileSync(path.join(dir, 'lab.zone'), zone(10, '10.0.0.1'));
  // The upstream the inside view forwards to: another Triad DNS serving far.test.
  const upPort = randomPort();
  const upConf = path.join(dir, 'up.conf');
  writeFileSync(upConf, `options { directory "${dir}"; listen-on port ${upPort} { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; pid-file none; };
zone "far.test" { type primary; file "far.zone"; };
`);
  const up = new DnsHost(upConf, createLogger({ level: 'silent' }));
  t.teardown(() => up.stop());
  await up.start();
  let port = randomPort();
  while (port === upPort) port = randomPort();
  const conf = path.join(dir, 'named.conf');
  writeFileSync(conf, `options { directory "${dir}"; listen-on port ${port} { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; pid-file none; };
view "inside" {
    match-clients { 127.0.0.2; };
    recursion yes;
    allow-recursion { any; };
    forwarders { 127.0.0.1 port ${upPort}; };
    forward only;
    zone "lab.test" { type primary; file "lab.zone"; };
};
view "outside" { zone "lab.test" { type primary; file "lab.zone"; }; };
`);
  const host = new DnsHost(conf, createLogger({ level: 'silent' }));
  t.teardown(() => host.stop());
  await host.start();
  const inside = await dig(port, ['-b', '127.0.0.2', 'www.far.test']);
  t.match(inside, /status: NOERROR/, 'the inside view resolves through its forwarder');
  t.match(inside, /flags: qr rd ra;/, 'recursion available (RA) in that view');
  t.match(inside, /www\.far\.test\.\s+\d+\s+IN\s+A\s+198\.51\.100\.7/);
  const outside = await dig(port, ['-b', '127.0.0.3', 'www.far.test']);
  t.match(outside, /status: REFUSED/, 'the outside view (recursion no, from options) refuses');
  t.notMatch(outside, /flags:[^;]* ra/, 'no RA there');
  t.match(await dig(port, ['-b', '127.0.0.3', '+short', 'www.lab.test']), /10\.0\.0\.1/, 'its own zones still answer');
  t.ok((host.resolver?.cache.dump() ?? '').includes('far.test'), 'the answer is in the inside view’s cache');
});

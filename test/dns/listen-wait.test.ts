// listen-on an address no interface carries (a VRRP virtual address on a backup): the
// DnsHost starts, serves its other addresses, says it waits for that one, and stops
// cleanly. (Binding when the address appears is shown with real addresses in
// test/vrrp/dns-follow.netns.test.ts.) An address that fails for another reason is
// still an error when nothing else can be served.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { DnsHost } from '../../src/dns/dns-host.js';
import { randomPort } from '../helpers/triad-run.js';

// 192.0.2.0/24 (RFC 5737, documentation): on no interface of a test machine.
const ABSENT = '192.0.2.53';

function setup(t: Test, listen: string): { host: DnsHost; lines: string[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-listen-wait-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'named.conf');
  writeFileSync(file, `options {\n  listen-on ${listen};\n  listen-on-v6 { none; };\n  recursion no;\n};\n`);
  const lines: string[] = [];
  const log = pino({ level: 'info', base: undefined }, { write: (s: string) => void lines.push(s) });
  return { host: new DnsHost(file, log), lines };
}

t.test('an absent listen-on address is waited for; the others are served', async (t) => {
  const port = randomPort();
  const { host, lines } = setup(t, `port ${port} { 127.0.0.1; ${ABSENT}; }`);
  await host.start();
  t.ok(lines.some((l) => l.includes(`${ABSENT} is not on any interface; listening as soon as it appears`)), 'the wait is logged');
  t.notOk(lines.some((l) => l.includes('cannot listen')), 'not an error');
  await host.stop();
});

t.test('only an absent address: the host still starts (it answers once the address is there)', async (t) => {
  const { host, lines } = setup(t, `port ${randomPort()} { ${ABSENT}; }`);
  await host.start();
  t.ok(lines.some((l) => l.includes('listening as soon as it appears')));
  await host.stop();
});

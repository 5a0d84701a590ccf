// Views selected by the TSIG key that signed the request, side by side with BIND 9
// (named): a view whose match-clients names `key ka` takes only requests signed with
// ka; one naming `key kb`, only those signed with kb; the last takes everyone else.
// The same questions, signed with each key and unsigned, go to named and to
// `bin/triad run` (cluster workers and --dns-workers 0): the answers, and an AXFR
// signed with each key (each view's own copy), must agree.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { digDiff, parseDig } from '../helpers/dig-compare.js';
import { startNamed } from '../helpers/resolver-lab.js';
import { dig, randomPort, startTriad, waitFor } from '../helpers/triad-run.js';
import { requireTools } from '../helpers/tools.js';
import { namedOptions } from '../helpers/bind-ref.js';

if (!requireTools(t, ['dig', 'named'])) process.exit(1);

const ADDR = '127.0.0.1';
const KA = Buffer.alloc(32, 1).toString('base64');
const KB = Buffer.alloc(32, 2).toString('base64');

const zone = (www: string): string => `$TTL 300
@ SOA ns.split.test. hostmaster.split.test. 1 3600 600 86400 300
@ NS ns
ns A 192.0.2.53
www A ${www}
`;

function conf(dir: string, port: number, bind: boolean): string {
  return `${namedOptions({ directory: dir, port, addr: ADDR, bind })}key "ka" { algorithm hmac-sha256; secret "${KA}"; };
key "kb" { algorithm hmac-sha256; secret "${KB}"; };
view "a" { match-clients { key ka; }; zone "split.test" { type primary; file "a.zone"; }; };
view "b" { match-clients { key kb; }; zone "split.test" { type primary; file "b.zone"; }; };
view "rest" { match-clients { any; }; zone "split.test" { type primary; file "rest.zone"; }; };
`;
}

async function scenario(t: Test, workers: number): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-views-tsig-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'a.zone'), zone('192.0.2.1'));
  writeFileSync(path.join(dir, 'b.zone'), zone('192.0.2.2'));
  writeFileSync(path.join(dir, 'rest.zone'), zone('192.0.2.3'));
  const bPort = randomPort();
  let tPort = randomPort();
  while (tPort === bPort) tPort = randomPort();
  writeFileSync(path.join(dir, 'named.conf'), conf(dir, bPort, true));
  writeFileSync(path.join(dir, 'triad.conf'), conf(dir, tPort, false));
  const named = await startNamed(path.join(dir, 'named.conf'));
  t.teardown(() => named.stop());
  const triad = startTriad(['--named-conf', path.join(dir, 'triad.conf'), '--conf-dir', dir, '--data-dir', path.join(dir, 'data'), '--dns-workers', String(workers)]);
  t.teardown(() => triad.stop());
  t.ok(await waitFor(() => /dns serving/.test(triad.output()), 20000, 100), 'triad started');

  const keyArgs: Record<string, string[]> = { ka: ['-y', `hmac-sha256:ka:${KA}`], kb: ['-y', `hmac-sha256:kb:${KB}`], unsigned: [] };
  const expected: Record<string, string> = { ka: '192.0.2.1', kb: '192.0.2.2', unsigned: '192.0.2.3' };
  for (const [who, args] of Object.entries(keyArgs)) {
    for (const q of [['www.split.test', 'A'], ['nothere.split.test', 'A'], ['split.test', 'SOA']]) {
      const b = dig(ADDR, bPort, [...args, '+norec', ...q]);
      const tr = dig(ADDR, tPort, [...args, '+norec', ...q]);
      t.same(digDiff(parseDig(b), parseDig(tr)), [], `${who}: ${q.join(' ')} answered as named answers it`);
    }
    t.equal(dig(ADDR, tPort, [...args, '+short', 'www.split.test', 'A']).trim(), expected[who], `${who}: the view's own data`);
    const axfr = (port: number): string[] =>
      dig(ADDR, port, [...args, '+nocmd', '+nostats', '+nocomments', 'split.test', 'AXFR'])
        .split('\n').filter((l) => l.trim() && !l.startsWith(';') && !/\sTSIG\s/.test(l)).map((l) => l.trim().split(/\s+/).join(' ')).sort();
    const ta = axfr(tPort);
    t.same(ta, axfr(bPort), `${who}: AXFR gives the same records as named`);
    t.ok(ta.some((l) => l.endsWith(expected[who])), `${who}: AXFR is the view's copy`);
  }
}

t.test('views by TSIG key, cluster workers', (t) => scenario(t, 2));
t.test('views by TSIG key, --dns-workers 0', (t) => scenario(t, 0));

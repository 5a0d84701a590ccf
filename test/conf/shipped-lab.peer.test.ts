// The shipped lab (conf/named.conf + zones/) answers what its BIND notes define,
// exactly as `named` answers on the same files. Triad runs as `npm start` runs it.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { startTriad, waitFor, randomPort } from '../helpers/triad-run.js';
import { answerKey, dig, startNamed, type DigResult } from '../helpers/resolver-lab.js';

const CONF = path.join(REPO_ROOT, 'conf');
const ZONES = path.join(REPO_ROOT, 'zones');

t.test('shipped lab: Triad on conf/ answers as the lab notes say and as named does', async (t) => {
  const triad = startTriad(['--conf-dir', CONF]);
  t.teardown(() => triad.stop());
  const up = await waitFor(() => /dns serving/.test(triad.output()) || triad.child.exitCode !== null, 20000);
  t.ok(up && triad.child.exitCode === null, 'triad run --conf-dir conf serves DNS');
  t.notMatch(triad.output(), /"level":50/, 'no error logged');

  // named on a copy whose only change is where it listens and where the zones are.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-lab-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const addr = '127.0.0.1'; // named binds only addresses an interface carries
  const port = randomPort();
  const conf = readFileSync(path.join(CONF, 'named.conf'), 'utf8')
    .replace('directory "../zones";', `directory "${ZONES}";`)
    .replace(/listen-on port 5300 \{[^}]*\};/, `listen-on port ${port} { ${addr}; };`)
    .replace(/listen-on-v6 port 5300 \{[^}]*\};/, 'listen-on-v6 { none; };')
    .replace('pid-file none;', `pid-file none; session-keyfile "${dir}/session.key"; managed-keys-directory "${dir}";`);
  writeFileSync(path.join(dir, 'named.conf'), conf);
  const named = await startNamed(path.join(dir, 'named.conf'));
  t.teardown(() => named.stop());

  const ask = async (args: string[]): Promise<[DigResult, DigResult]> =>
    Promise.all([dig('127.0.0.1', 5300, args), dig(addr, port, args)]);

  // What the lab's owner expects.
  const [www] = await ask(['www.cafe.babe', 'A']);
  t.same(answerKey(www), ['www.cafe.babe. IN A 192.168.71.18'], 'www.cafe.babe is the Windows client');
  const [ptr] = await ask(['-x', '192.168.117.128']);
  t.same(answerKey(ptr), ['128.117.168.192.in-addr.arpa. IN PTR cafe.babe.'], 'the server\'s reverse name');
  const [ns] = await ask(['cafe.babe', 'NS']);
  t.same(answerKey(ns), ['cafe.babe. IN NS ns.cafe.babe.', 'cafe.babe. IN NS ns1.eu.org.'], 'both name servers');

  const questions: string[][] = [
    ['cafe.babe', 'A'], ['cafe.babe', 'SOA'], ['ns.cafe.babe', 'A'], ['www.cafe.babe', 'MX'],
    ['nope.cafe.babe', 'A'], ['host.svc.cafe.babe', 'A', '+norec'], ['svc.cafe.babe', 'NS'],
    ['117.168.192.in-addr.arpa', 'SOA'], ['1.117.168.192.in-addr.arpa', 'PTR'], ['example.com', 'A'],
  ];
  for (const q of questions) {
    const [ours, bind] = await ask(q);
    t.equal(ours.status, bind.status, `${q.join(' ')}: rcode ${bind.status}`);
    t.same(ours.flags, bind.flags, `${q.join(' ')}: flags`);
    t.same(answerKey(ours), answerKey(bind), `${q.join(' ')}: answer`);
    t.same(ours.authority.map((r) => r.join(' ')).sort(), bind.authority.map((r) => r.join(' ')).sort(), `${q.join(' ')}: authority`);
  }
});

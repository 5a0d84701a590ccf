// Triad's caching resolver and BIND 9.18 (`named -n 1`), configured identically,
// side by side against a fake hierarchy on loopback (test/helpers/resolver-lab.ts):
// forward only/first, per-zone forwarders with `port`, iterative resolution from
// hints through two referrals, CNAME across zones, negative caching, TTL
// countdown, ACL refusals from a second source address, TC → TCP upstream,
// serve-stale, and coalescing counted at the upstream.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DnsHost } from '../../src/dns/dns-host.js';
import { createLogger } from '../../src/log.js';
import { answerKey, dig, resolverConf, startLab, startNamed, type DigResult } from '../helpers/resolver-lab.js';
import { randomPort, sleep } from '../helpers/triad-run.js';

for (const tool of ['named', 'dig']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    t.fail(`${tool} is not installed (apt-get install bind9 bind9-dnsutils)`);
    process.exit(1);
  }
}

const lab = await startLab();
t.teardown(() => lab.close());
const triadAddr = `${lab.net}.10`;
// BIND listens only on addresses configured on an interface: 127.0.0.1 (random port).
const bindAddr = '127.0.0.1';
const triadPort = randomPort();
const bindPort = randomPort();
const triadDir = path.join(lab.dir, 'triad');
const bindDir = path.join(lab.dir, 'bind');
mkdirSync(triadDir);
mkdirSync(bindDir);
writeFileSync(path.join(triadDir, 'named.conf'), resolverConf(lab, triadDir, triadAddr, triadPort));
writeFileSync(path.join(bindDir, 'named.conf'), resolverConf(lab, bindDir, bindAddr, bindPort));

const host = new DnsHost(path.join(triadDir, 'named.conf'), createLogger({ level: 'warn', name: 'dns' }));
await host.start();
t.teardown(() => host.stop());
const named = await startNamed(path.join(bindDir, 'named.conf'));
t.teardown(() => named.stop());

const triad = (args: string[], time = 4): Promise<DigResult> => dig(triadAddr, triadPort, args, time);
const bind = (args: string[], time = 4): Promise<DigResult> => dig(bindAddr, bindPort, args, time);

/** Asks both; asserts same status, flags and answer (TTLs aside); returns both. */
async function same(t: Test, args: string[], time = 4): Promise<{ b: DigResult; r: DigResult }> {
  const [b, r] = await Promise.all([bind(args, time), triad(args, time)]);
  t.equal(r.status, b.status, `status (bind ${b.status})`);
  t.same(r.flags, b.flags, `flags (bind ${b.flags.join(' ')})`);
  t.same(answerKey(r), answerKey(b), 'answer section');
  return { b, r };
}

t.test('global forward only (forwarders with port)', async (t) => {
  const { r } = await same(t, ['www.fwd.test', 'A']);
  t.same(answerKey(r), ['www.fwd.test. IN A 198.51.100.1']);
  t.ok(r.flags.includes('ra') && !r.flags.includes('aa'), 'RA set, AA clear');
  t.ok(lab.fwd.count('www.fwd.test.') >= 1, 'the forwarder was asked');
});

t.test('per-zone forwarders with port', async (t) => {
  const before = lab.fwd.count('www.fwd2.test.');
  const { r } = await same(t, ['www.fwd2.test', 'A']);
  t.same(answerKey(r), ['www.fwd2.test. IN A 198.51.100.1']);
  t.ok(lab.fwd2.count('www.fwd2.test.') >= 1, 'the zone\'s forwarder was asked');
  t.equal(lab.fwd.count('www.fwd2.test.'), before, 'not the global one');
});

t.test('upstream answer larger than 1232 octets: TC, then TCP', async (t) => {
  const { r } = await same(t, ['big.fwd.test', 'TXT']);
  t.equal(r.answer.length, 6, 'all six strings');
  // BIND rotates the RRset (rrset-order cyclic), so only status, flags and counts are compared.
  const [sb, sr] = await Promise.all([bind(['big.fwd.test', 'TXT', '+noedns', '+ignore']), triad(['big.fwd.test', 'TXT', '+noedns', '+ignore'])]);
  t.equal(sr.status, sb.status);
  t.same(sr.flags, sb.flags, `flags (bind ${sb.flags.join(' ')})`);
  t.ok(sr.flags.includes('tc'), 'a client without EDNS gets TC from the cache');
  t.equal(sr.answer.length, sb.answer.length, 'as many records fit as with BIND');
});

t.test('iterative resolution from hints through two referrals', async (t) => {
  const { r } = await same(t, ['www.leaf.tld', 'A']);
  t.same(answerKey(r), ['www.leaf.tld. IN A 192.0.2.1']);
  t.ok(lab.root.count('www.leaf.tld.') >= 1 && lab.tld.count('www.leaf.tld.') >= 1 && lab.leaf.count('www.leaf.tld.') >= 1, 'root, tld and leaf servers asked');
  await same(t, ['www.leaf.tld', 'AAAA']);
  await same(t, ['mail.leaf.tld', 'MX']);
  await same(t, ['txt.leaf.tld', 'TXT']);
});

t.test('CNAME chain across zones', async (t) => {
  const { r } = await same(t, ['alias.leaf.tld', 'A']);
  t.same(answerKey(r), ['alias.leaf.tld. IN CNAME www.other.tld.', 'www.other.tld. IN A 192.0.2.2'].sort());
});

t.test('forward first falls back to iteration when the forwarders fail', async (t) => {
  const { r } = await same(t, ['www.ff.tld', 'A'], 20);
  t.same(answerKey(r), ['www.ff.tld. IN A 192.0.2.3']);
});

t.test('forward only with dead forwarders: SERVFAIL', async (t) => {
  const { r } = await same(t, ['www.fo.tld', 'A'], 25);
  t.equal(r.status, 'SERVFAIL');
  t.equal(lab.leaf.count('www.fo.tld.'), 0, 'never resolved iteratively');
});

t.test('negative caching (RFC 2308)', async (t) => {
  const { r } = await same(t, ['nope.leaf.tld', 'A']);
  t.equal(r.status, 'NXDOMAIN');
  t.equal(r.authority[0]?.[3], 'SOA', 'SOA in authority');
  t.ok(Number(r.authority[0]?.[1]) <= 300, 'negative TTL ≤ SOA MINIMUM');
  const nodata = await same(t, ['www.other.tld', 'MX']);
  t.equal(nodata.r.status, 'NOERROR');
  t.equal(nodata.r.answer.length, 0);
  t.equal(nodata.r.authority[0]?.[3], 'SOA');
  const before = lab.leaf.count('nope.leaf.tld.');
  const again = await triad(['nope.leaf.tld', 'TXT']);
  t.equal(again.status, 'NXDOMAIN', 'NXDOMAIN cached for every type');
  t.equal(lab.leaf.count('nope.leaf.tld.', 16), 0, 'TXT never asked upstream by Triad');
  t.equal(lab.leaf.count('nope.leaf.tld.'), before);
});

t.test('TTLs count down in cached answers', async (t) => {
  const [b1, r1] = await Promise.all([bind(['short.leaf.tld']), triad(['short.leaf.tld'])]);
  await sleep(2200);
  const [b2, r2] = await Promise.all([bind(['short.leaf.tld']), triad(['short.leaf.tld'])]);
  const ttl = (d: DigResult): number => Number(d.answer[0]?.[1]);
  t.ok(ttl(r1) <= 60 && ttl(r2) <= ttl(r1) - 2, `triad ${ttl(r1)} → ${ttl(r2)}`);
  t.ok(ttl(b2) <= ttl(b1) - 2, `bind ${ttl(b1)} → ${ttl(b2)}`);
  t.ok(Math.abs(ttl(r2) - ttl(b2)) <= 1, 'same remaining TTL as BIND (±1)');
});

t.test('TTLs of cached answers reused from the response cache count down as BIND\'s (CNAME chain, NXDOMAIN, NODATA)', async (t) => {
  const qs = [['alias.leaf.tld', 'A'], ['gone.leaf.tld', 'A'], ['www.other.tld', 'AAAA']];
  const ask = (): Promise<[DigResult, DigResult][]> => Promise.all(qs.map(async (q) => [await bind(q), await triad(q)] as [DigResult, DigResult]));
  // The first round fills both caches; Triad keeps its answer from the second on and reuses it.
  await ask();
  const one = await ask();
  await sleep(2200);
  const two = await ask();
  const ttls = (d: DigResult): number[] => [...d.answer, ...d.authority].map((f) => Number(f[1]));
  qs.forEach((q, i) => {
    const [b1, r1] = one[i];
    const [b2, r2] = two[i];
    t.equal(r2.status, b2.status, `${q.join(' ')}: status`);
    t.same(answerKey(r2), answerKey(b2), `${q.join(' ')}: answer`);
    t.equal(ttls(r2).length, ttls(b2).length, `${q.join(' ')}: as many records`);
    t.ok(ttls(r2).length > 0, `${q.join(' ')}: records with TTLs`);
    ttls(r2).forEach((x, k) => {
      t.ok(x <= ttls(r1)[k] - 2, `${q.join(' ')} record ${k}: triad ${ttls(r1)[k]} → ${x}`);
      t.ok(ttls(b2)[k] <= ttls(b1)[k] - 2, `${q.join(' ')} record ${k}: bind ${ttls(b1)[k]} → ${ttls(b2)[k]}`);
      t.ok(Math.abs(x - ttls(b2)[k]) <= 1, `${q.join(' ')} record ${k}: same remaining TTL as BIND (±1): ${x}, ${ttls(b2)[k]}`);
    });
  });
});

t.test('allow-recursion: REFUSED from a second loopback source address', async (t) => {
  const { r } = await same(t, ['-b', `${lab.net}.99`, 'www.leaf.tld', 'A']);
  t.equal(r.status, 'REFUSED');
  t.notOk(r.flags.includes('ra'), 'no RA for a client without recursion');
  const ok = await triad(['-b', `${lab.net}.98`, 'www.leaf.tld', 'A']);
  t.equal(ok.status, 'NOERROR', 'another address of the allowed range resolves');
});

t.test('coalescing: ten identical concurrent questions, one upstream query', async (t) => {
  const before = lab.leaf.count('co.leaf.tld.');
  // Warm the delegation so the ten questions race only at the leaf server.
  await triad(['www.leaf.tld']);
  const rs = await Promise.all(Array.from({ length: 10 }, () => triad(['co.leaf.tld', 'A'])));
  t.ok(rs.every((r) => r.status === 'NOERROR' && r.answer.length === 1), 'all ten answered');
  t.equal(lab.leaf.count('co.leaf.tld.') - before, 1, 'the leaf server saw one query');
  const stats = host.resolverStats();
  t.ok(stats && stats.cache.hits > 0 && stats.upstream.sent > 0, 'counters moved');
});

t.test('serve-stale when every upstream stops (RFC 8767)', async (t) => {
  await same(t, ['www.stale.tld', 'A']);
  await lab.stale.close();
  await sleep(3000);
  const { b, r } = await same(t, ['www.stale.tld', 'A'], 15);
  t.equal(r.status, 'NOERROR');
  t.same(answerKey(r), ['www.stale.tld. IN A 192.0.2.5']);
  t.equal(r.answer[0]?.[1], '30', 'stale-answer-ttl 30');
  t.equal(b.answer[0]?.[1], r.answer[0]?.[1], 'same TTL as BIND');
  t.match(r.ede, /^3 /, 'EDE 3 (Stale Answer)');
});

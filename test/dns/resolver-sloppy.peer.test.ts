// Triad's resolver and BIND 9.18 (`named -n 1`, once without and once with QNAME
// minimisation) side by side, resolving through a fake hierarchy on loopback where
// some servers are sloppy: small scripted servers (test/helpers/scripted-dns.ts)
// answering CNAMEs with bogus authority sections, referrals with AA set, bad or
// out-of-bailiwick glue, junk answer and additional records for other zones,
// upward referrals, referral loops and NS names that are CNAMEs. Both resolvers
// get the same hints; Triad must reach the answer BIND reaches (rcode and answer
// section, TTLs aside), and junk must never be believed. Also: the header flags
// (RA among them) of the resolver's error answers, and what a non-recursive query
// the cache cannot answer gets.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DnsHost } from '../../src/dns/dns-host.js';
import { createLogger } from '../../src/log.js';
import { answerKey, dig, startAuth, startNamed, type AuthServer, type DigResult } from '../helpers/resolver-lab.js';
import { rr, startScripted, type ScriptedServer } from '../helpers/scripted-dns.js';
import { randomPort } from '../helpers/triad-run.js';

for (const tool of ['named', 'dig']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    t.fail(`${tool} is not installed (apt-get install bind9 bind9-dnsutils)`);
    process.exit(1);
  }
}

const b = (): number => 2 + Math.floor(Math.random() * 250);
const NET = `127.${b()}.${b()}`;
const at = (i: number): string => `${NET}.${i}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-sloppy-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// Addresses: .1 root, .2 tld, .3 good.tld (all Triad, well behaved); scripted:
// .11 s1.tld, .12 s2.tld, .13 sub.s2.tld, .14 the good server of s3/s3b/s6.tld and c2.p.tld,
// .15 p.tld (a sloppy parent), .16 loop.p.tld, .97 answers REFUSED to everything;
// nothing listens on .98.
const ZONES: Record<string, string> = {
  'root.zone': `$TTL 3600
. SOA a.root-servers.test. h.root-servers.test. 1 3600 900 604800 300
. NS a.root-servers.test.
a.root-servers.test. A ${at(1)}
tld. NS ns.tld.
ns.tld. A ${at(2)}
`,
  'tld.zone': `$TTL 3600
@ SOA ns h 1 3600 900 604800 300
@ NS ns
ns A ${at(2)}
good NS ns.good
ns.good A ${at(3)}
s1 NS ns.s1
ns.s1 A ${at(11)}
s2 NS ns.s2
ns.s2 A ${at(12)}
p NS ns.p
ns.p A ${at(15)}
; bad glue: the glued server refuses (s3) or is dead (s3b); the other NS has no glue
s3 NS ns.s3
s3 NS ns2.good.tld.
ns.s3 A ${at(97)}
s3b NS ns.s3b
s3b NS ns2.good.tld.
ns.s3b A ${at(98)}
; NS names that are CNAMEs (RFC 2181 §10.3 forbids it; resolvers cope)
s6 NS nsalias.good.tld.
`,
  'good.zone': `$TTL 3600
@ SOA ns h 1 3600 900 604800 300
@ NS ns
ns A ${at(3)}
ns2 A ${at(14)}
nsalias CNAME ns2
www A 192.0.2.10
www2 A 192.0.2.11
w3 A 192.0.2.12
w4 A 192.0.2.13
w5 A 192.0.2.14
w6 A 192.0.2.15
w7 A 192.0.2.16
`,
};
for (const [f, text] of Object.entries(ZONES)) writeFileSync(path.join(dir, f), text);
writeFileSync(path.join(dir, 'hints.ca'), `. 3600000 NS a.root-servers.test.\na.root-servers.test. 3600000 A ${at(1)}\n`);

const servers: { close(): Promise<void> }[] = [];
t.teardown(() => Promise.all(servers.map((s) => s.close().catch(() => undefined))));
const auth = async (addr: string, zones: [string, string][]): Promise<AuthServer> => {
  const s = await startAuth(dir, addr, 53, zones);
  servers.push(s);
  return s;
};
const scripted = async (...args: Parameters<typeof startScripted>): Promise<ScriptedServer> => {
  const s = await startScripted(...args);
  servers.push(s);
  return s;
};

await auth(at(1), [['.', 'root.zone']]);
await auth(at(2), [['tld', 'tld.zone']]);
await auth(at(3), [['good.tld', 'good.zone']]);

// s1.tld: CNAME answers whose authority (or additional) section is bogus.
const s1 = await scripted(at(11), 53, ['s1.tld'], [rr.a('ns.s1.tld', at(11)), rr.a('t.s1.tld', '192.0.2.21')], (q, name) => {
  if (q.type !== 1) return undefined;
  switch (name) {
    case 'a.s1.tld.': // claims NODATA for the target beside the CNAME
      return { aa: true, answer: [rr.cname('a.s1.tld', 'www.good.tld')], authority: [rr.soa('s1.tld')] };
    case 'b.s1.tld.': // NS for the target's zone pointing at a server that does not exist
      return { aa: true, answer: [rr.cname('b.s1.tld', 'www2.good.tld')], authority: [rr.ns('good.tld', 'ns.evil.s1.tld')],
        additional: [rr.a('ns.evil.s1.tld', at(98))] };
    case 'c.s1.tld.': // target in the same zone, left out, with an SOA as if it had no data
      return { aa: true, answer: [rr.cname('c.s1.tld', 't.s1.tld')], authority: [rr.soa('s1.tld')] };
    case 'd.s1.tld.': // the target's address as junk additional data
      return { aa: true, answer: [rr.cname('d.s1.tld', 'w3.good.tld')], authority: [rr.ns('s1.tld', 'ns.s1.tld')],
        additional: [rr.a('w3.good.tld', '6.6.6.6')] };
    case 'e.s1.tld.': // no AA, and an SOA of the parent zone
      return { aa: false, answer: [rr.cname('e.s1.tld', 'www.good.tld')], authority: [rr.soa('tld')] };
    default:
      return undefined;
  }
});

// s2.tld delegates sub.s2.tld with AA wrongly set on the referral.
await scripted(at(12), 53, ['s2.tld'], [rr.a('ns.s2.tld', at(12))], (q, name) => {
  if (name.endsWith('sub.s2.tld.')) {
    return { aa: true, authority: [rr.ns('sub.s2.tld', 'ns.sub.s2.tld')], additional: [rr.a('ns.sub.s2.tld', at(13))] };
  }
  return undefined;
});
await scripted(at(13), 53, ['sub.s2.tld'], [rr.a('ns.sub.s2.tld', at(13)), rr.a('www.sub.s2.tld', '192.0.2.30'),
  rr.a('www2.sub.s2.tld', '192.0.2.31')], (q, name) => {
  // An answer with AA clear (and the zone's NS beside it).
  if (name === 'www2.sub.s2.tld.' && q.type === 1) {
    return { aa: false, answer: [rr.a('www2.sub.s2.tld', '192.0.2.31')], authority: [rr.ns('sub.s2.tld', 'ns.sub.s2.tld')] };
  }
  return undefined;
});

// The good server behind bad glue and CNAME'd NS names.
await scripted(at(14), 53, ['s3.tld', 's3b.tld', 's6.tld', 'c2.p.tld'], ['s3.tld', 's3b.tld', 's6.tld', 'c2.p.tld'].map((z) => rr.a(`www.${z}`, '192.0.2.40')));
await scripted(at(97), 53, ['.'], [], () => ({ rcode: 5 }));

// p.tld: a sloppy parent.
await scripted(at(15), 53, ['p.tld'], [rr.a('ns.p.tld', at(15))], (q, name) => {
  if (name.endsWith('c2.p.tld.')) {
    // Glue for a name outside p.tld (must be ignored; its real address is .14).
    return { authority: [rr.ns('c2.p.tld', 'ns2.good.tld')], additional: [rr.a('ns2.good.tld', at(98))] };
  }
  if (name.endsWith('up.p.tld.')) return { authority: [rr.ns('tld', 'ns.tld')], additional: [rr.a('ns.tld', at(2))] }; // upward referral
  if (name.endsWith('loop.p.tld.')) return { authority: [rr.ns('loop.p.tld', 'ns.loop.p.tld')], additional: [rr.a('ns.loop.p.tld', at(16))] };
  if (q.type !== 1) return undefined;
  switch (name) {
    case 'j.p.tld.': // junk additional and authority data about another zone
      return { aa: true, answer: [rr.a('j.p.tld', '192.0.2.50')], authority: [rr.ns('good.tld', 'ns.j.p.tld')],
        additional: [rr.a('w4.good.tld', '6.6.6.6'), rr.a('ns.j.p.tld', at(98))] };
    case 'k.p.tld.': // a junk record of another zone in the answer section
      return { aa: true, answer: [rr.a('k.p.tld', '192.0.2.51'), rr.a('w5.good.tld', '6.6.6.6')] };
    case 'm.p.tld.': // a CNAME out of the zone with a forged answer for the target
      return { aa: true, answer: [rr.cname('m.p.tld', 'w6.good.tld'), rr.a('w6.good.tld', '6.6.6.6')] };
    case 'n.p.tld.': // the answer in the authority section, and a TXT in the answer
      return { aa: true, answer: [rr.txt('n.p.tld', 'junk')], authority: [rr.a('n.p.tld', '6.6.6.6')] };
    case 'o.p.tld.': // NODATA proved by the SOA of another zone
      return { aa: true, authority: [rr.soa('good.tld')] };
    case 'q.p.tld.': // an empty answer without AA or SOA
      return { aa: false };
    case 'q2.p.tld.': // empty, no AA, the zone's own NS
      return { aa: false, authority: [rr.ns('p.tld', 'ns.p.tld')] };
    case 'q3.p.tld.': // empty, AA, the zone's own NS, no SOA
      return { aa: true, authority: [rr.ns('p.tld', 'ns.p.tld')] };
    case 'x2.p.tld.': // NXDOMAIN proved by the SOA of another zone
      return { aa: true, rcode: 3, authority: [rr.soa('good.tld')] };
    case 'x.p.tld.': // NXDOMAIN beside a CNAME to a name of another zone that exists
      return { aa: true, rcode: 3, answer: [rr.cname('x.p.tld', 'w7.good.tld')], authority: [rr.soa('p.tld')] };
    case 'r.p.tld.': // a chain that leaves the zone and comes back with a forged address
      return { aa: true, answer: [rr.cname('r.p.tld', 'w7.good.tld'), rr.cname('w7.good.tld', 's.p.tld'), rr.a('s.p.tld', '6.6.6.6')] };
    case 'z.p.tld.': // a referral to a zone that is not on the way to the name
      return { authority: [rr.ns('zz.p.tld', 'ns.zz.p.tld')], additional: [rr.a('ns.zz.p.tld', at(14))] };
    case 'y.p.tld.': // junk in every section beside a good answer: an SOA, glue for a zone above, an NS for the root
      return { aa: true, answer: [rr.a('y.p.tld', '192.0.2.52')], authority: [rr.soa('p.tld'), rr.ns('.', 'ns.y.p.tld')],
        additional: [rr.a('ns.tld', at(98)), rr.a('a.root-servers.test', at(98))] };
    default:
      return undefined;
  }
});
// loop.p.tld's server refers to loop.p.tld again, forever.
await scripted(at(16), 53, ['loop.p.tld'], [], () => ({ authority: [rr.ns('loop.p.tld', 'ns.loop.p.tld')], additional: [rr.a('ns.loop.p.tld', at(16))] }));

// The resolvers: Triad, BIND without QNAME minimisation, BIND with (its default, relaxed).
const conf = (sub: string, listen: string, port: number, qmin: string): string => {
  mkdirSync(path.join(dir, sub));
  const file = path.join(dir, sub, 'named.conf');
  writeFileSync(file, `controls { };
options {
    directory "${path.join(dir, sub)}";
    listen-on port ${port} { ${listen}; };
    listen-on-v6 { none; };
    recursion yes;
    allow-recursion { 127.0.0.0/8; };
    dnssec-validation no;
    qname-minimization ${qmin};
    pid-file none;
    session-keyfile none;
    notify no;
};
zone "." { type hint; file "${path.join(dir, 'hints.ca')}"; };
`);
  return file;
};
const triadPort = randomPort();
const host = new DnsHost(conf('triad', at(10), triadPort, 'off'), createLogger({ level: 'warn', name: 'dns' }));
await host.start();
t.teardown(() => host.stop());
const bindPlain = randomPort();
const bindQmin = randomPort();
const named1 = await startNamed(conf('bind', '127.0.0.1', bindPlain, 'off'));
t.teardown(() => named1.stop());
const named2 = await startNamed(conf('bind-qmin', '127.0.0.1', bindQmin, 'relaxed'));
t.teardown(() => named2.stop());

const TIME = 20;
/** Asks Triad and both BINDs; asserts Triad's rcode and answer equal each BIND's. */
async function same(t: Test, name: string, type = 'A'): Promise<{ r: DigResult; b: DigResult }> {
  const [r, b, bq] = await Promise.all([dig(at(10), triadPort, [name, type], TIME), dig('127.0.0.1', bindPlain, [name, type], TIME),
    dig('127.0.0.1', bindQmin, [name, type], TIME)]);
  t.equal(r.status, b.status, `${name}: status as BIND (${b.status})`);
  t.same(answerKey(r), answerKey(b), 'answer section as BIND');
  t.equal(r.status, bq.status, `${name}: status as BIND with QNAME minimisation (${bq.status})`);
  t.same(answerKey(r), answerKey(bq), 'answer section as BIND with QNAME minimisation');
  return { r, b };
}

t.test('a CNAME answer whose authority section is bogus: the CNAME and the target\'s address', async (t) => {
  const cases: [string, string[]][] = [
    ['a.s1.tld', ['a.s1.tld. IN CNAME www.good.tld.', 'www.good.tld. IN A 192.0.2.10']],
    ['b.s1.tld', ['b.s1.tld. IN CNAME www2.good.tld.', 'www2.good.tld. IN A 192.0.2.11']],
    ['c.s1.tld', ['c.s1.tld. IN CNAME t.s1.tld.', 't.s1.tld. IN A 192.0.2.21']],
    ['d.s1.tld', ['d.s1.tld. IN CNAME w3.good.tld.', 'w3.good.tld. IN A 192.0.2.12']],
    ['e.s1.tld', ['e.s1.tld. IN CNAME www.good.tld.', 'www.good.tld. IN A 192.0.2.10']],
  ];
  for (const [name, want] of cases) {
    const { r } = await same(t, name);
    t.same(answerKey(r), want.sort(), `${name}: the whole chain`);
  }
  t.ok(s1.count('b.s1.tld.') >= 1, 'the sloppy server was asked');
  t.ok(s1.count('ns.evil.s1.tld.') === 0, 'the bogus NS from its authority section was never looked up');
});

t.test('a referral with AA set wrongly: followed, not taken as NODATA', async (t) => {
  const { r } = await same(t, 'www.sub.s2.tld');
  t.same(answerKey(r), ['www.sub.s2.tld. IN A 192.0.2.30']);
  const clear = await same(t, 'www2.sub.s2.tld');
  t.same(answerKey(clear.r), ['www2.sub.s2.tld. IN A 192.0.2.31'], 'an answer with AA clear is still the answer');
});

t.test('a referral with bad glue: the other name server is found and asked', async (t) => {
  const refused = await same(t, 'www.s3.tld');
  t.same(answerKey(refused.r), ['www.s3.tld. IN A 192.0.2.40'], 'glue pointing at a server that refuses');
  const dead = await same(t, 'www.s3b.tld');
  t.same(answerKey(dead.r), ['www.s3b.tld. IN A 192.0.2.40'], 'glue pointing at nothing');
  const oob = await same(t, 'www.c2.p.tld');
  t.same(answerKey(oob.r), ['www.c2.p.tld. IN A 192.0.2.40'], 'glue outside the parent\'s zone is ignored');
});

t.test('an NS name that is a CNAME is not followed (RFC 2181 §10.3)', async (t) => {
  const { r } = await same(t, 'www.s6.tld');
  t.equal(r.status, 'SERVFAIL');
});

t.test('junk records about other zones are never cached or returned', async (t) => {
  const j = await same(t, 'j.p.tld');
  t.same(answerKey(j.r), ['j.p.tld. IN A 192.0.2.50']);
  const w4 = await same(t, 'w4.good.tld');
  t.same(answerKey(w4.r), ['w4.good.tld. IN A 192.0.2.13'], 'junk additional address not believed');
  const k = await same(t, 'k.p.tld');
  t.same(answerKey(k.r), ['k.p.tld. IN A 192.0.2.51'], 'junk answer record not returned');
  const w5 = await same(t, 'w5.good.tld');
  t.same(answerKey(w5.r), ['w5.good.tld. IN A 192.0.2.14'], 'junk answer record not cached');
  const m = await same(t, 'm.p.tld');
  t.same(answerKey(m.r), ['m.p.tld. IN CNAME w6.good.tld.', 'w6.good.tld. IN A 192.0.2.15'], 'forged target address replaced by the real one');
  await same(t, 'n.p.tld');
  const r = await same(t, 'r.p.tld');
  t.notOk(answerKey(r.r).some((l) => l.includes('6.6.6.6')), 'a forged address after an out-of-zone link is not believed');
  const y = await same(t, 'y.p.tld');
  t.same(answerKey(y.r), ['y.p.tld. IN A 192.0.2.52']);
  t.same(answerKey((await same(t, 'www.good.tld')).r), ['www.good.tld. IN A 192.0.2.10'], 'root and TLD servers still reachable');
});

t.test('negative and lame answers with junk', async (t) => {
  await same(t, 'o.p.tld');
  await same(t, 'q.p.tld');
  await same(t, 'q2.p.tld');
  await same(t, 'q3.p.tld');
  await same(t, 'x2.p.tld');
  await same(t, 'x.p.tld');
  await same(t, 'z.p.tld');
});

t.test('upward referrals and referral loops end in SERVFAIL', async (t) => {
  const up = await same(t, 'www.up.p.tld');
  t.equal(up.r.status, 'SERVFAIL');
  const loop = await same(t, 'www.loop.p.tld');
  t.equal(loop.r.status, 'SERVFAIL');
});

t.test('error answers of a resolver: rcode, flags (RA too) and counts as BIND', async (t) => {
  const header = (d: DigResult): string => {
    const m = /;; flags:([^;]*);(.*)/.exec(d.raw);
    return `${d.status} flags:${(m?.[1] ?? '').trim().split(/\s+/).sort().join(' ')} ${m?.[2]?.trim() ?? ''}`;
  };
  // What each server answers, not how fast: on a loaded machine a server that does not
  // answer in time is asked once more before the two are compared.
  const ask = async (server: string, port: number, args: string[]): Promise<DigResult> => {
    const d = await dig(server, port, args, TIME);
    return d.status === 'TIMEOUT' ? dig(server, port, args, TIME * 2) : d;
  };
  for (const op of [0, 1, 2, 4, 5, 6, 15]) {
    for (const args of [['www.good.tld', `+opcode=${op}`, '+cd'], ['tld', '+header-only', `+opcode=${op}`, '+cd'], ['tld', '+header-only', `+opcode=${op}`, '+noedns'],
      ['www.good.tld', `+opcode=${op}`, '+edns=1', '+noednsneg'], ['www.good.tld', '-c', 'CLASS0', `+opcode=${op}`], ['www.good.tld', '-c', 'CH', `+opcode=${op}`, '+norec']]) {
      const [r, b] = await Promise.all([ask(at(10), triadPort, args), ask('127.0.0.1', bindPlain, args)]);
      t.equal(header(r), header(b), `dig ${args.join(' ')}`);
    }
  }
  for (const args of [['www.up.p.tld', 'AAAA'], ['good.tld', 'AXFR', '+notcp'], ['www.good.tld', 'ANY', '-c', 'ANY'], ['www.good.tld', 'A', '-c', 'NONE'],
    ['version.bind', 'TXT', 'CH'], ['version.bind', 'TXT', 'CH', '+norec'], ['www.good.tld', 'MAILA'], ['www.good.tld', 'TYPE250'], ['www.good.tld', 'OPT'],
    ['www.good.tld', 'IXFR=1', '+notcp'], ['www.good.tld', '+cookie=0102'], ['www.good.tld', '+ednsopt=9:01'], ['www.good.tld', 'SOA', '+expire']]) {
    const [r, b] = await Promise.all([ask(at(10), triadPort, args), ask('127.0.0.1', bindPlain, args)]);
    t.equal(header(r), header(b), `dig ${args.join(' ')}`);
  }
});

t.test('non-recursive queries the cache cannot answer: the closest cached delegation, as BIND', async (t) => {
  const view = (d: DigResult): string[] => [d.status, /;; flags:([^;]*);(.*)/.exec(d.raw)?.[2]?.trim() ?? '',
    ...d.authority.map((f) => [f[0].toLowerCase(), f[2], f[3], ...f.slice(4)].join(' ')).sort()];
  for (const args of [['www.s3b.tld', 'TXT', '+norec'], ['never.good.tld', 'A', '+norec'], ['x.sub.s2.tld', 'MX', '+norec'], ['www.j.p.tld', 'A', '+norec']]) {
    const [r, b] = await Promise.all([dig(at(10), triadPort, args, TIME), dig('127.0.0.1', bindPlain, args, TIME)]);
    t.same(view(r), view(b), `dig ${args.join(' ')}`);
  }
});

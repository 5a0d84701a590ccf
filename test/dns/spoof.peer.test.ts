// Off-path spoofing (RFC 5452): a fake upstream races forged answers against the
// real one — wrong ID, wrong source port, wrong source address — and the real
// answer itself carries out-of-bailiwick records. Triad must answer with the real
// data, count the drops, and cache none of the forged or out-of-bailiwick data.
import t from 'tap';
import dgram from 'node:dgram';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { DnsHost } from '../../src/dns/dns-host.js';
import { createLogger } from '../../src/log.js';
import { dig } from '../helpers/resolver-lab.js';
import { randomPort } from '../helpers/triad-run.js';

if (spawnSync('sh', ['-c', 'command -v dig']).status !== 0) {
  t.fail('dig is not installed (apt-get install bind9-dnsutils)');
  process.exit(1);
}

const b = (): number => 2 + Math.floor(Math.random() * 250);
const net = `127.${b()}.${b()}`;
const upAddr = `${net}.20`;
const otherAddr = `${net}.21`;
const upPort = randomPort();
const triadAddr = `${net}.10`;
const triadPort = randomPort();
const EVIL = '6.6.6.6';

function bindSocket(address: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(port, address, () => resolve(s));
  });
}

const main = await bindSocket(upAddr, upPort);
const wrongPort = await bindSocket(upAddr, 0);
const wrongSource = await bindSocket(otherAddr, upPort);
t.teardown(() => {
  for (const s of [main, wrongPort, wrongSource]) s.close();
});

let queries = 0;
main.on('message', (msg, rinfo) => {
  queries++;
  // dns-packet is untyped (test/helpers/dns-packet.d.ts); only the fields used here.
  let q: { id?: number; questions?: { name: string; type: string; class: string }[] };
  try {
    q = dnsPacket.decode(msg) as typeof q;
  } catch {
    return;
  }
  const question = q.questions?.[0];
  if (!question) return;
  const forged = (id: number): Buffer => dnsPacket.encode({
    type: 'response', id, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | dnsPacket.AUTHORITATIVE_ANSWER,
    questions: [question],
    answers: [{ type: 'A', name: question.name, ttl: 86400, data: EVIL }],
  });
  const id = q.id ?? 0;
  // The forgeries arrive first.
  main.send(forged((id + 1) & 0xffff), rinfo.port, rinfo.address);
  wrongPort.send(forged(id), rinfo.port, rinfo.address);
  wrongSource.send(forged(id), rinfo.port, rinfo.address);
  // Then the real answer, stuffed with records outside spoof.test.
  setTimeout(() => {
    const real = dnsPacket.encode({
      type: 'response', id, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
      questions: [question],
      answers: [
        { type: 'A', name: question.name, ttl: 3600, data: '192.0.2.10' },
        { type: 'A', name: 'www.victim.test', ttl: 86400, data: EVIL },
      ],
      authorities: [{ type: 'NS', name: 'victim.test', ttl: 86400, data: 'ns.evil.test' }],
      additionals: [{ type: 'A', name: 'ns.evil.test', ttl: 86400, data: EVIL }, { type: 'A', name: 'www.victim.test', ttl: 86400, data: EVIL }],
    });
    main.send(real, rinfo.port, rinfo.address);
  }, 30);
});

const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-spoof-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(path.join(dir, 'named.conf'), `options {
    directory "${dir}";
    listen-on port ${triadPort} { ${triadAddr}; };
    listen-on-v6 { none; };
    recursion yes;
    allow-recursion { 127.0.0.0/8; };
    // everything goes to the fake upstream: no query may leave loopback
    forwarders { ${upAddr} port ${upPort}; };
    forward only;
};
zone "spoof.test" { type forward; forward only; forwarders { ${upAddr} port ${upPort}; }; };
`);
const host = new DnsHost(path.join(dir, 'named.conf'), createLogger({ level: 'warn', name: 'dns' }));
await host.start();
t.teardown(() => host.stop());

t.test('forged answers lose the race and nothing forged is cached', async (t) => {
  const r = await dig(triadAddr, triadPort, ['www.spoof.test', 'A']);
  t.equal(r.status, 'NOERROR');
  t.same(r.answer.map((f) => f[4]), ['192.0.2.10'], 'the real answer, only the asked-for name');
  const again = await dig(triadAddr, triadPort, ['www.spoof.test', 'A']);
  t.same(again.answer.map((f) => f[4]), ['192.0.2.10'], 'cached answer is the real one');
  const stats = host.resolverStats();
  t.ok(stats, 'resolver running');
  t.ok((stats?.upstream.spoofDrops ?? 0) >= 3, `wrong ID, port and source dropped and counted (${stats?.upstream.spoofDrops})`);
  const dump = host.resolver?.cache.dump() ?? '';
  t.notMatch(dump, EVIL, 'no forged address anywhere in the cache');
  t.notMatch(dump, /victim\.test/i, 'no out-of-bailiwick name in the cache');
  t.notMatch(dump, /evil\.test/i, 'no out-of-bailiwick glue in the cache');
  t.match(dump, /www\.spoof\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.10/, 'the real record is cached');
  t.equal(queries, 1, 'one upstream query');
});

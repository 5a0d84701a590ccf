// Side by side: BIND 9 (`named -g -n 1`) and Triad (`bin/triad run`) serve the same named.conf and
// zones (the lab's, plus test/fixtures/dns/*.zone); the real `dig` asks both the
// same questions and the answers must agree on rcode, flags, counts, the EDNS
// pseudo-section, all three sections (as sets of normalized lines) and the
// message size (so name compression and truncation match too). Also: `host` and
// `nslookup`, raw malformed packets (same rcode/flags/counts/size or both silent),
// zone transfers, and BIND's other minimal-responses modes. A mismatch prints a
// compact diff on stderr (`--- dig ARGS` then `what: bind / triad`).
import { digDiff, parseDig as parseDigOutput, type DigParsed } from '../helpers/dig-compare.js';
import t from 'tap';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import os from 'node:os';
import path from 'node:path';
import { DEMO_ZONES, FIXTURES, REPO_ROOT } from '../helpers/paths.js';
import { digAsync, dig as digSync, startTriad, waitFor } from '../helpers/triad-run.js';
import { freePort, requireTools } from '../helpers/tools.js';
import { namedOptions, startRefNamed } from '../helpers/bind-ref.js';
import { startTriadDns } from '../helpers/triad-dns.js';

const HOST = '127.0.0.1';

const dig = (port: number, args: string[], server = HOST): Promise<string> => digAsync(server, port, args);

/** What dig printed, parsed for comparison, and the text itself for the failure report. */
type Parsed = DigParsed & { raw: string };

function parseDig(out: string): Parsed {
  return { ...parseDigOutput(out), raw: out };
}

interface Case {
  args: string;
  /** Ask over IPv6 (::1): the additional section then prefers AAAA. */
  v6?: boolean;
  /** Truncated without EDNS: which RRs fit depends on BIND's rotation, so compare counts only. */
  countsOnly?: boolean;
}

// Every query is one assertion, named after its dig arguments.
const CASES: Case[] = [
  // The lab (issue 2 "Done when").
  ...['cafe.babe', 'cafe.babe +norec', 'www.cafe.babe', 'www.cafe.babe +norec', 'ns.cafe.babe', 'ns.cafe.babe AAAA +norec',
    'cafe.babe MX', 'cafe.babe MX +norec', 'cafe.babe NS', 'cafe.babe SOA +norec', 'cafe.babe TXT', 'cafe.babe CAA',
    'cafe.babe ANY', 'cafe.babe ANY +norec +tcp', 'ftp.cafe.babe', 'ftp.cafe.babe +norec', '_http._tcp.cafe.babe SRV',
    '_http._tcp.cafe.babe SRV +norec', 'laptop.dev.cafe.babe', 'a.b.dev.cafe.babe +norec', 'dev.cafe.babe',
    'svc.cafe.babe', 'svc.cafe.babe NS +norec', 'api.svc.cafe.babe', 'api.svc.cafe.babe +norec',
    'nope.cafe.babe', 'nope.cafe.babe +norec', 'www.cafe.babe MX', 'www.cafe.babe MX +norec', 'dhcp-105.cafe.babe',
    'pxe.cafe.babe', 'WwW.CaFe.BaBe', '-x 192.168.117.128', '-x 192.168.117.128 +norec', '-x 192.168.117.105',
    '-x 192.168.117.7', '117.168.192.in-addr.arpa NS', '117.168.192.in-addr.arpa SOA +norec',
    'www.cafe.babe +tcp', 'www.cafe.babe +noedns', 'www.cafe.babe +dnssec', 'www.cafe.babe +nocookie'].map((a) => ({ args: a })),
  // Fixture zone tri.test: every Serving bullet.
  ...['www.tri.test', 'www.tri.test +norec', 'tri.test +norec', 'tri.test NS', 'tri.test NS +norec', 'tri.test SOA +norec',
    'tri.test MX +norec', 'WWW2.tri.test', 'www2.tri.test +norec', 'wWw.tri.test', 'WWW.TRI.TEST +norec',
    'mx.tri.test MX', 'mx.tri.test MX +norec', '_sip._udp.tri.test SRV', '_sip._udp.tri.test SRV +norec',
    'txt.tri.test TXT', 'caa.tri.test CAA', 'unk.tri.test TYPE65534', 'unk.tri.test TYPE65534 +norec', 'unk.tri.test A',
    'short.tri.test', 'www.tri.test TYPE65534',
    // Negative answers.
    'nope.tri.test', 'nope.tri.test +norec', 'deeper.nope.tri.test AAAA', 'www.tri.test MX', 'www.tri.test MX +norec',
    'www.tri.test TYPE0',
    // Wildcards, ENTs, '*' itself.
    'foo.wild.tri.test', 'Foo.Wild.tri.test +norec', 'foo.wild.tri.test TXT', 'foo.wild.tri.test MX', 'a.b.c.wild.tri.test',
    '*.wild.tri.test', '*.wild.tri.test TXT +norec', 'wild.tri.test', 'sub.wild.tri.test', 'x.sub.wild.tri.test',
    'ent.tri.test', 'b.ent.tri.test TXT', 'x.ent.tri.test TXT', 'x.ent.tri.test A', 'a.b.ent.tri.test', 'z.a.b.ent.tri.test',
    'q.mxw.tri.test MX', 'q.mxw.tri.test MX +norec', 'Q.cw.tri.test', 'q.cw.tri.test +norec', '*.ent.tri.test TXT',
    // CNAME chains.
    'c1.tri.test', 'c1.tri.test +norec', 'c1.tri.test CNAME', 'c2.tri.test AAAA', 'cext.tri.test', 'cext.tri.test +norec',
    'cout.tri.test +norec', 'cloop1.tri.test', 'cloop1.tri.test +norec', 'cwild.tri.test +norec', 'cnx.tri.test',
    'cnx.tri.test +norec', 'cnodata.tri.test MX +norec', 'cmx.tri.test MX', 'cmx.tri.test MX +norec', 'cdn.tri.test', 'c1.tri.test ANY',
    'l01.tri.test', 'l01.tri.test +norec', 'l04.tri.test', 'l05.tri.test', 'l06.tri.test +norec', 'l03.tri.test AAAA',
    'mxc.tri.test MX', 'mxc.tri.test MX +norec', 'srv6.tri.test SRV', 'x.child2.tri.test', 'child2.tri.test NS +norec',
    'wcn.tri.test +norec', 'foo.wc.tri.test', 'foo.wc.tri.test TXT +norec', 'esc\\.dot.tri.test TXT', 'long.tri.test TXT',
    'long.tri.test TXT +noedns',
    // DNAME.
    'x.dn.tri.test', 'X.Dn.tri.test +norec', 'a.b.dn.tri.test TXT', 'dn.tri.test', 'dn.tri.test DNAME', 'a.dnx.tri.test +norec',
    `${'x'.repeat(60)}.ylong.tri.test`, `${'x'.repeat(20)}.ylong.tri.test +norec`, 'ylong.tri.test DNAME',
    // Delegations.
    'x.child.tri.test', 'x.child.tri.test +norec', 'child.tri.test NS', 'child.tri.test DS', 'child.tri.test DS +norec',
    'deep.child.tri.test', 'ns1.child.tri.test', 'child.tri.test A', 'far.tri.test', 'far.tri.test NS +norec',
    'child.tri.test ANY',
    // Nested zones: DS at a child apex comes from the parent.
    'sub.other.test DS', 'sub.other.test DS +norec', 'sub.other.test NS', 'sub.other.test NS +norec', 'www.sub.other.test +norec',
    'sub.other.test SOA', 'nope.sub.other.test DS', 'ns.sub.other.test +norec', 'tri.test DS', 'tri.test DS +norec',
    'other.test DS', 'sub.other.test ANY +norec',
    'anything.sub.other.test', 'a.b.sub.other.test TXT +norec', 'x.sub.other.test MX', 'X.Sub.Other.Test ANY +norec',
    '*.sub.other.test', 'ns.sub.other.test AAAA',
    // ANY.
    'tri.test ANY', 'tri.test ANY +norec', 'www.tri.test ANY +norec', 'www.tri.test ANY +tcp', 'ent.tri.test ANY',
    'foo.wild.tri.test ANY', 'nope.tri.test ANY',
    // Sizes and truncation.
    'bigish.tri.test', 'bigish.tri.test +tcp', 'big.tri.test TXT', 'big.tri.test TXT +ignore', 'big.tri.test TXT +tcp',
    'bigish.tri.test +ignore +bufsize=600', 'bigish.tri.test +bufsize=1000 +norec', 'bigish.tri.test +ignore +bufsize=100',
    'big.tri.test TXT +ignore +dnssec', 'www.tri.test +bufsize=4096 +norec',
    'mxmany.tri.test MX', 'mxmany.tri.test MX +norec', 'mxmany.tri.test MX +tcp',
    'mxmany.tri.test MX +bufsize=700', 'mxmany.tri.test MX +bufsize=700 +norec', 'www.tri.test +noedns +norec',
    // EDNS and header flags.
    'www.tri.test RRSIG +dnssec', 'tri.test DNSKEY +dnssec +norec', 'nope.tri.test +dnssec', 'www.tri.test NSEC',
    'www.tri.test +dnssec +cd', 'www.tri.test +adflag', 'www.tri.test +noadflag', 'www.tri.test +cdflag +norec',
    'www.tri.test +cookie=0123456789abcdef0102030405060708090a0b0c0d0e0f10', 'www.tri.test +cookie=0102',
    'www.tri.test +cookie=0123456789abcdef01', 'www.tri.test +ednsopt=65001:abcd', 'www.tri.test +subnet=10.0.0.0/24',
    'www.tri.test +expire', 'www.tri.test +keepalive', 'www.tri.test +padding=64', 'www.tri.test +bufsize=0',
    'www.tri.test +edns=1 +noednsneg', 'www.tri.test +edns=1 +noednsneg +norec', 'www.tri.test +ednsopt=3', 'www.tri.test +nsid',
    'www.tri.test +ednsflags=0x40', 'www.tri.test +tcp +norec', 'www.tri.test +tcp +dnssec',
    // Several queries on one TCP connection (sections of all answers merged).
    '+tcp +keepopen www.tri.test nope.tri.test mx.tri.test MX big.tri.test TXT c1.tri.test',
    // Opcodes and malformed-but-parsable.
    'www.tri.test +opcode=1', 'www.tri.test +opcode=2', 'www.tri.test +opcode=6', 'www.tri.test +noedns +opcode=2',
    'www.tri.test +opcode=4', 'tri.test SOA +opcode=4 +norec', 'www.tri.test +header-only', 'www.tri.test +header-only +noedns',
    'www.tri.test +opcode=5', 'tri.test SOA +opcode=5', 'nope.test SOA +opcode=5', 'www.tri.test -c ANY', 'www.tri.test ANY -c ANY',
    'big.tri.test ANY', 'big.tri.test ANY +tcp', 'www.tri.test +qid=0', 'www.tri.test +zflag', 'www.tri.test +aaflag',
    // REFUSED and CHAOS.
    'www.example.com', 'www.example.com +norec', 'test SOA', '. NS', 'www.tri.test CH', 'www.tri.test CLASS3 +noedns',
    'version.bind TXT CH', 'version.bind TXT CH +norec', 'hostname.bind TXT CH', 'id.server TXT CH', 'version.bind A CH +norec',
    'version.bind NS CH +norec', 'version.server TXT CH', 'foo.bind TXT CH',
    // allow-query per zone.
    'www.locked.test', 'locked.test SOA +norec', 'nope.locked.test', 'www.locked.test -b 127.0.0.2',
    'nope.locked.test -b 127.0.0.2 +norec', 'www.locked.test +tcp', 'www.locked.test +tcp -b 127.0.0.2',
    'www.tri.test -b 127.0.0.2', 'cafe.babe -b 127.0.0.3',
    ...['named-acl.test', 'localhost-acl.test', 'localnets-acl.test', 'none-acl.test', 'negated-acl.test'].flatMap((z) =>
      [`www.${z}`, `www.${z} -b 127.0.0.2`, `www.${z} -b 127.0.0.3 +norec`]),
  ].map((a) => ({ args: a })),
  // Every opcode (0–15) with every header bit a client can set, with and without a
  // question, EDNS, a COOKIE, EDNS version 1 and class 0: rcode, echoed flags and sections.
  ...Array.from({ length: 16 }, (_, op) => [`www.tri.test +opcode=${op} +cd +adflag +zflag +aaflag +raflag +tcflag`,
    `www.tri.test +opcode=${op} +noedns +cd`, `www.tri.test +opcode=${op} +nocookie +norec`,
    `tri.test +header-only +opcode=${op} +cd +adflag`, `tri.test +header-only +opcode=${op} +noedns +cd`,
    `tri.test +header-only +opcode=${op} +nocookie`, `tri.test +header-only +opcode=${op} +edns=1 +noednsneg +cd`,
    `www.tri.test +opcode=${op} +edns=1 +noednsneg +cd`, `www.tri.test -c CLASS0 +opcode=${op} +cd`]).flat().map((a) => ({ args: a })),
  // The EDNS EXPIRE option (RFC 7314) and the SOA TTL of negative answers to SOA questions.
  ...['tri.test SOA +expire', 'tri.test SOA +expire +norec', 'tri.test SOA +expire +tcp', 'tri.test SOA +expire +nocookie',
    'tri.test SOA +expire +subnet=10.0.0.0/24', 'tri.test SOA +expire +nsid', 'www.tri.test SOA +expire', 'nope.tri.test SOA +expire',
    'nope.tri.test SOA', 'nope.tri.test SOA +norec', 'foo.wild.tri.test SOA', 'c1.tri.test SOA +expire', 'cnx.tri.test SOA',
    'cafe.babe SOA +expire', 'sub.other.test SOA +expire', 'tri.test ANY +expire +norec', 'tri.test SOA +ednsopt=9:01',
    'tri.test SOA +ednsopt=9:00000001', 'tri.test SOA +ednsopt=9:0102030405', 'www.tri.test +ednsopt=9:0102',
    'tri.test SOA +ednsopt=9 +ednsopt=9', 'version.bind SOA CH +expire', 'tri.test SOA +expire +opcode=4',
    'tri.test SOA +expire +edns=1 +noednsneg'].map((a) => ({ args: a })),
  // Meta query types: MAILA/MAILB NOTIMP, the others FORMERR, RD and CD kept; inside and outside our zones.
  ...['www.tri.test MAILA', 'www.tri.test MAILB +cd', 'www.tri.test TYPE250', 'www.tri.test TYPE249 +norec', 'www.tri.test OPT +cd',
    'www.tri.test TYPE128', 'www.tri.test TYPE127', 'www.example.com MAILA', 'www.example.com TYPE250', 'www.locked.test MAILA -b 127.0.0.3',
    'www.tri.test TYPE250 +opcode=4', 'tri.test TYPE250 +opcode=5', 'version.bind TXT CH +opcode=4', 'version.bind SOA CH +opcode=5',
    'www.tri.test -c CH +opcode=4'].map((a) => ({ args: a })),
  // Truncated without EDNS: which RRs fit depends on rotation, so counts and flags only.
  { args: 'bigish.tri.test +ignore +noedns', countsOnly: true },
  { args: 'big.tri.test TXT +ignore +noedns', countsOnly: true },
  { args: 'big.tri.test TXT +ignore +noedns +noadflag', countsOnly: true },
  { args: 'bigish.tri.test +noedns' },
  // Over IPv6.
  ...['www.tri.test', 'www.tri.test AAAA +norec', 'mxmany.tri.test MX +bufsize=700', 'mxmany.tri.test MX +bufsize=700 +norec',
    'x.child.tri.test +norec', 'www.locked.test', 'nope.tri.test +tcp', 'big.tri.test TXT +ignore'].map((a) => ({ args: a, v6: true })),
  // The additional section overflows: partial, no TC; which addresses fit depends on rotation.
  { args: 'mxmany.tri.test MX +noedns', countsOnly: true },
  { args: 'mxmany.tri.test MX +noedns +norec', countsOnly: true },
];

function namedConf(dir: string, port: number): string {
  return `// Generated by bind-compare.peer.test.ts
${namedOptions({ directory: dir, port, addr: HOST, v6: '::1', bind: true, extra: ['version "Triad-compare"', 'notify no'] })}zone "cafe.babe" { type primary; file "cafe.babe.zone"; allow-query { any; }; };
zone "117.168.192.in-addr.arpa" { type primary; file "192.168.117.rev"; };
zone "tri.test" { type primary; file "tri.test.zone"; };
zone "other.test" { type primary; file "other.test.zone"; };
zone "sub.other.test" { type primary; file "sub.other.test.zone"; };
zone "locked.test" { type primary; file "locked.test.zone"; allow-query { 127.0.0.2; }; };
acl "lab" { !127.0.0.3; 127.0.0.0/8; };
acl "outer" { lab; };
zone "named-acl.test" { type primary; file "locked.test.zone"; allow-query { outer; }; };
zone "localhost-acl.test" { type primary; file "locked.test.zone"; allow-query { localhost; }; };
zone "localnets-acl.test" { type primary; file "locked.test.zone"; allow-query { localnets; }; };
zone "none-acl.test" { type primary; file "locked.test.zone"; allow-query { none; }; };
zone "negated-acl.test" { type primary; file "locked.test.zone"; allow-query { !127.0.0.2; any; }; };
`;
}

function diff(a: Parsed, b: Parsed, countsOnly: boolean): string[] {
  return digDiff(a, b, countsOnly);
}

/** Starts `named -g` on a config; resolves true once it runs, else with its log. Stopped at teardown. */
// Each query is its own subtest so that it counts as one test in the tally.
async function compareAll(): Promise<void> {
  if (!requireTools(t, ['named', 'dig'], 'Debian bind9 / bind9-dnsutils; see test/install-deps.sh')) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-bindcmp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of ['cafe.babe.zone', '192.168.117.rev']) copyFileSync(path.join(REPO_ROOT, 'zones', f), path.join(dir, f));
  for (const f of readdirSync(path.join(FIXTURES, 'dns'))) if (f.endsWith('.zone')) copyFileSync(path.join(FIXTURES, 'dns', f), path.join(dir, f));
  const bindPort = await freePort();
  const triadPort = await freePort();
  const conf = path.join(dir, 'named.conf');
  writeFileSync(conf, namedConf(dir, bindPort));

  const named = await startRefNamed(t, conf);
  if (!named.running) {
    t.fail('named did not start:\n' + named.log());
    return;
  }

  // Triad runs as users run it: `bin/triad run --named-conf` on the same file, only the port differs.
  const triadConf = path.join(dir, 'triad-named.conf');
  writeFileSync(triadConf, namedConf(dir, triadPort));
  mkdirSync(path.join(dir, 'data'));
  const triad = startTriad(['--named-conf', triadConf, '--conf-dir', dir, '--data-dir', path.join(dir, 'data')]);
  t.teardown(() => triad.stop());
  const triadUp = await waitFor(() => /status: NOERROR/.test(digSync(HOST, triadPort, ['www.tri.test'])), 30000, 300);
  if (!triadUp) {
    t.fail('bin/triad run did not answer:\n' + triad.output());
    return;
  }

  // Every server is started before the first subtest (tap ends the root test when it
  // sits idle between subtests).
  const xfrPort = await freePort();
  const xfr = await startTriadDns(triadConf, [{ address: HOST, port: xfrPort }], (v) => ({ ...v, allowTransfer: () => true }));
  t.teardown(() => xfr.close());
  // minimal-responses other than BIND's default, against a BIND started with the
  // option. The view builder does not pass the option on yet, so Triad runs in
  // process here with the mode set in its view.
  const MODES = ['yes', 'no', 'no-auth'] as const;
  const MODE_QUERIES = ['mx.tri.test MX', 'mx.tri.test MX +norec', 'www.tri.test', 'www.tri.test +norec', 'tri.test NS',
    'x.child.tri.test', 'nope.tri.test', '_sip._udp.tri.test SRV +norec', 'cafe.babe MX', 'c1.tri.test', 'tri.test ANY',
    'version.bind TXT CH', 'version.bind TXT CH +norec'];
  const modeServers: { mode: string; mBind: number; mTriad: number }[] = [];
  for (const mode of MODES) {
    const mBind = await freePort();
    const mTriad = await freePort();
    const mConf = path.join(dir, `named-${mode}.conf`);
    // The `no` server also hides its version (version none: NODATA for version.bind).
    const base = namedConf(dir, mBind).replace('recursion no;', `recursion no;\n    minimal-responses ${mode};`);
    writeFileSync(mConf, mode === 'no' ? base.replace('version "Triad-compare";', 'version none;') : base);
    const up = await startRefNamed(t, mConf);
    if (!up.running) {
      t.fail(`named with minimal-responses ${mode} did not start:\n${up.log()}`);
      return;
    }
    const mt = await startTriadDns(mConf, [{ address: HOST, port: mTriad }], (v) => ({ ...v, minimalResponses: mode }));
    t.teardown(() => mt.close());
    modeServers.push({ mode, mBind, mTriad });
  }

  for (const c of CASES) {
    await t.test(`dig ${c.v6 ? '@::1 ' : ''}${c.args}`, async (t) => {
      const args = c.args.split(' ');
      const server = c.v6 ? '::1' : HOST;
      let [b, r] = await Promise.all([dig(bindPort, args, server), dig(triadPort, args, server)]);
      if (parseDig(b).status === '' || parseDig(r).status === '') {
        // One lost UDP exchange on a busy box is not a difference in behaviour: ask both again once.
        [b, r] = await Promise.all([dig(bindPort, args, server), dig(triadPort, args, server)]);
      }
      const pb = parseDig(b);
      const pr = parseDig(r);
      const d = diff(pb, pr, c.countsOnly ?? false);
      if (pb.status === '' && pr.status === '') {
        // Neither answered (dig gave up): that is agreement, but say so.
        t.ok(/timed out|no servers/.test(b) && /timed out|no servers/.test(r), `dig ${c.args}`, { bind: b, triad: r });
        return;
      }
      if (d.length) process.stderr.write(`--- dig ${c.v6 ? '@::1 ' : ''}${c.args}\n${d.join('\n')}\n`);
      t.same(d, [], `dig ${c.args}`, d.length ? { diff: '\n' + d.join('\n'), bind: pb.raw, triad: pr.raw } : {});
    });
  }

  // Zone transfers. The view builder does not pass allow-transfer to the responder
  // yet, so this part runs an in-process Triad (same named.conf and zones) whose
  // view allows transfers as BIND 9.18 does by default; the records, their count
  // and the number of messages must match (byte counts differ with record order).
  const xfrSummary = (out: string): { records: string[]; size: string } => ({
    records: out.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';')).map((l) => l.trim().split(/\s+/).join(' ')).sort(),
    size: /XFR size: (\d+ records \(messages \d+)/.exec(out)?.[1] ?? (/Transfer failed/.test(out) ? 'failed' : out),
  });
  for (const args of ['tri.test AXFR', 'cafe.babe AXFR', '117.168.192.in-addr.arpa AXFR', 'locked.test AXFR', 'sub.other.test AXFR',
    'tri.test IXFR=7', 'tri.test IXFR=3', 'www.tri.test AXFR', 'example.com AXFR']) {
    await t.test(`dig ${args}`, async (t) => {
      const [b, r] = await Promise.all([dig(bindPort, args.split(' ')), dig(xfrPort, args.split(' '))]);
      const sb = xfrSummary(b);
      const sr = xfrSummary(r);
      t.equal(sr.size, sb.size, 'records and messages');
      t.same(sr.records, sb.records, 'the same records');
    });
  }

  // The OPT of a transfer's first message: COOKIE echoed, no EXPIRE for a primary zone (as BIND).
  for (const args of ['tri.test AXFR +expire', 'other.test AXFR', 'tri.test IXFR=3 +expire', 'tri.test IXFR=7 +expire +nocookie']) {
    await t.test(`dig ${args} (EDNS options)`, async (t) => {
      const opts = (out: string): string[] => out.split('\n').filter((l) => /^; (EDNS|COOKIE|EXPIRE|EDE)/.test(l)).map((l) => l.replace(/: [0-9a-f]{48} /, ': <cookie> '));
      const [b, r] = await Promise.all([dig(bindPort, [...args.split(' '), '+comments']), dig(xfrPort, [...args.split(' '), '+comments'])]);
      t.ok(opts(b).length > 0, 'BIND sent an OPT');
      t.same(opts(r), opts(b), `dig ${args}`);
    });
  }

  // IXFR over UDP (RFC 1995 §2): the current SOA alone, or the error BIND gives.
  for (const args of ['tri.test IXFR=1 +notcp', 'tri.test IXFR=7 +notcp +norec', 'tri.test IXFR=9 +notcp +noedns', 'www.tri.test IXFR=1 +notcp',
    'example.com IXFR=1 +notcp', 'tri.test IXFR=1 +notcp +nocookie +cd', 'locked.test IXFR=1 +notcp']) {
    await t.test(`dig ${args}`, async (t) => {
      const [b, r] = await Promise.all([dig(bindPort, [...args.split(' '), '+comments']), dig(xfrPort, [...args.split(' '), '+comments'])]);
      const d = diff(parseDig(b), parseDig(r), false);
      if (d.length) process.stderr.write(`--- dig ${args}\n${d.join('\n')}\n`);
      t.ok(/status: /.test(b), 'BIND answered');
      t.same(d, [], `dig ${args}`);
    });
  }

  // minimal-responses other than BIND's default (servers started above).
  for (const { mode, mBind, mTriad } of modeServers) {
    for (const q of MODE_QUERIES) {
      await t.test(`minimal-responses ${mode}: dig ${q}`, async (t) => {
        const [b, r] = await Promise.all([dig(mBind, q.split(' ')), dig(mTriad, q.split(' '))]);
        const d = diff(parseDig(b), parseDig(r), false);
        if (d.length) process.stderr.write(`--- minimal-responses ${mode}: dig ${q}\n${d.join('\n')}\n`);
        t.same(d, [], `minimal-responses ${mode}: dig ${q}`);
      });
    }
  }

  // The other clients lab users type: `host` and `nslookup` (plain DNS, no EDNS, TCP
  // fallback on TC). Their whole output must match once the server line is removed.
  const tool = (cmd: string, args: string[]): Promise<string> =>
    new Promise((resolve) => {
      const p = spawn(cmd, args);
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (out += d.toString()));
      p.on('close', () => resolve(out.split('\n').filter((l) => !/#\d+$|^Address: 127\.0\.0\.1/.test(l)).join('\n')));
    });
  const clients: [string, (port: number) => string[]][] = [
    ['host', (p) => ['-p', String(p), 'www.cafe.babe', HOST]],
    ['host', (p) => ['-p', String(p), 'cafe.babe', HOST]],
    ['host', (p) => ['-p', String(p), 'nope.cafe.babe', HOST]],
    ['host', (p) => ['-p', String(p), '192.168.117.128', HOST]],
    ['host', (p) => ['-p', String(p), '-t', 'MX', 'mx.tri.test', HOST]],
    ['host', (p) => ['-p', String(p), '-t', 'TXT', 'big.tri.test', HOST]],
    ['host', (p) => ['-p', String(p), 'ftp.cafe.babe', HOST]],
    ['nslookup', (p) => [`-port=${p}`, 'www.cafe.babe', HOST]],
    ['nslookup', (p) => [`-port=${p}`, 'nope.cafe.babe', HOST]],
    ['nslookup', (p) => [`-port=${p}`, '192.168.117.128', HOST]],
    ['nslookup', (p) => [`-port=${p}`, 'bigish.tri.test', HOST]],
    ['nslookup', (p) => [`-port=${p}`, '-type=SOA', 'cafe.babe', HOST]],
  ];
  for (const [cmd, mk] of clients) {
    const label = `${cmd} ${mk(0).filter((a) => a !== HOST && !/^-p|^0$|^-port/.test(a)).join(' ')}`;
    await t.test(label, async (t) => {
      const [b, r] = await Promise.all([tool(cmd, mk(bindPort)), tool(cmd, mk(triadPort))]);
      const norm = (x: string): string[] => x.split('\n').map((l) => l.trim().split(/\s+/).join(' ')).filter(Boolean).sort();
      t.ok(norm(b).some((l) => /cafe\.babe|tri\.test|NXDOMAIN|in-addr/.test(l)), 'BIND gave an answer to compare with');
      t.same(norm(r), norm(b), label);
    });
  }

  // Raw packets BIND and Triad must treat alike.
  const send = (port: number, pkt: Buffer): Promise<Buffer | null> =>
    new Promise((resolve) => {
      const s = dgram.createSocket('udp4');
      const timer = setTimeout(() => { s.close(); resolve(null); }, 800);
      s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(m); });
      s.send(pkt, port, HOST);
    });
  const q = (name: string): Buffer => Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.of(l.length), Buffer.from(l)])), Buffer.of(0)]);
  const hdr = (id: number, flags: number, qd: number, an: number, ns: number, ar: number): Buffer => {
    const b = Buffer.alloc(12);
    b.writeUInt16BE(id, 0); b.writeUInt16BE(flags, 2); b.writeUInt16BE(qd, 4); b.writeUInt16BE(an, 6); b.writeUInt16BE(ns, 8); b.writeUInt16BE(ar, 10);
    return b;
  };
  const raw: [string, Buffer][] = [
    ['garbage of 5 octets', Buffer.from('hello')],
    ['question count 1 but no question', hdr(1, 0x0100, 1, 0, 0, 0)],
    ['compression pointer loop in question', Buffer.concat([hdr(2, 0, 1, 0, 0, 0), Buffer.of(0xc0, 12, 0, 1, 0, 1)])],
    ['forward pointer in question', Buffer.concat([hdr(3, 0, 1, 0, 0, 0), Buffer.of(0xc0, 20, 0, 1, 0, 1, 0, 0)])],
    ['reserved label type', Buffer.concat([hdr(4, 0, 1, 0, 0, 0), Buffer.of(0x41, 0x61, 0, 0, 1, 0, 1)])],
    ['question cut short', Buffer.concat([hdr(5, 0, 1, 0, 0, 0), q('www.tri.test'), Buffer.of(0, 1)])],
    ['trailing garbage after question', Buffer.concat([hdr(6, 0, 1, 0, 0, 0), q('www.tri.test'), Buffer.of(0, 1, 0, 1, 9, 9, 9)])],
    ['additional count larger than the records', Buffer.concat([hdr(7, 0, 1, 0, 0, 3), q('www.tri.test'), Buffer.of(0, 1, 0, 1)])],
    ['two OPT records', Buffer.concat([hdr(8, 0, 1, 0, 0, 2), q('www.tri.test'), Buffer.of(0, 1, 0, 1),
      Buffer.of(0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0), Buffer.of(0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0)])],
    ['OPT with a bad option length', Buffer.concat([hdr(9, 0, 1, 0, 0, 1), q('www.tri.test'), Buffer.of(0, 1, 0, 1),
      Buffer.of(0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 4, 0, 10, 0, 9)])],
    ['a response (QR set)', Buffer.concat([hdr(10, 0x8000, 1, 0, 0, 0), q('www.tri.test'), Buffer.of(0, 1, 0, 1)])],
    ['OPT not last in additional', Buffer.concat([hdr(11, 0, 1, 0, 0, 2), q('www.tri.test'), Buffer.of(0, 1, 0, 1),
      Buffer.of(0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0), q('x'), Buffer.of(0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4)])],
    ['TC set in a query', Buffer.concat([hdr(13, 0x0300, 1, 0, 0, 0), q('www.tri.test'), Buffer.of(0, 1, 0, 1)])],
    ['RCODE set in a query', Buffer.concat([hdr(14, 0x0105, 1, 0, 0, 0), q('www.tri.test'), Buffer.of(0, 1, 0, 1)])],
    ['two identical questions', Buffer.concat([hdr(15, 0x0100, 2, 0, 0, 0), q('www.tri.test'), Buffer.of(0, 1, 0, 1), q('www.tri.test'), Buffer.of(0, 1, 0, 1)])],
    ['OPT in the answer section', Buffer.concat([hdr(16, 0, 1, 1, 0, 0), q('www.tri.test'), Buffer.of(0, 1, 0, 1),
      Buffer.of(0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0)])],
    ['EDNS payload 65535', Buffer.concat([hdr(17, 0, 1, 0, 0, 1), q('big.tri.test'), Buffer.of(0, 16, 0, 1),
      Buffer.of(0, 0, 41, 0xff, 0xff, 0, 0, 0, 0, 0, 0)])],
    ['EDNS version 1', Buffer.concat([hdr(18, 0, 1, 0, 0, 1), q('www.tri.test'), Buffer.of(0, 1, 0, 1),
      Buffer.of(0, 0, 41, 4, 0, 0, 1, 0, 0, 0, 0)])],
    ['OPT owned by a non-root name', Buffer.concat([hdr(19, 0, 1, 0, 0, 1), q('www.tri.test'), Buffer.of(0, 1, 0, 1),
      q('x'), Buffer.of(0, 41, 4, 0, 0, 0, 0, 0, 0, 0)])],
    ['compressed question name pointing into the header', Buffer.concat([hdr(20, 0, 1, 0, 0, 0), Buffer.of(0xc0, 4, 0, 1, 0, 1)])],
    ['label with a zero octet inside', Buffer.concat([hdr(21, 0, 1, 0, 0, 0), Buffer.of(3, 0x77, 0, 0x77), q('tri.test'), Buffer.of(0, 1, 0, 1)])],
    ['query type OPT', Buffer.concat([hdr(22, 0, 1, 0, 0, 0), q('www.tri.test'), Buffer.of(0, 41, 0, 1)])],
    ['AXFR over UDP', Buffer.concat([hdr(23, 0, 1, 0, 0, 0), q('tri.test'), Buffer.of(0, 252, 0, 1)])],
    ['AXFR over UDP with RD and CD', Buffer.concat([hdr(24, 0x0110, 1, 0, 0, 0), q('tri.test'), Buffer.of(0, 252, 0, 1)])],
    ['IXFR over UDP without the client SOA, RD and CD', Buffer.concat([hdr(25, 0x0110, 1, 0, 0, 0), q('tri.test'), Buffer.of(0, 251, 0, 1)])],
    ['query type OPT with RD and CD', Buffer.concat([hdr(26, 0x0110, 1, 0, 0, 0), q('www.tri.test'), Buffer.of(0, 41, 0, 1)])],
    ['answer record in a query', Buffer.concat([hdr(12, 0, 1, 1, 0, 0), q('www.tri.test'), Buffer.of(0, 1, 0, 1),
      Buffer.of(0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4)])],
  ];
  // The same malformed shapes under other opcodes: which rcode, which flags, question and OPT BIND keeps.
  const A = Buffer.of(0, 1, 0, 1);
  const opt = (version = 0): Buffer => Buffer.of(0, 0, 41, 4, 0, 0, version, 0, 0, 0, 0);
  for (const op of [0, 1, 2, 3, 4, 5, 6, 15]) {
    const f = (op << 11) | 0x0110; // RD and CD set
    raw.push(
      [`opcode ${op}: question cut short`, Buffer.concat([hdr(30, f, 1, 0, 0, 0), q('www.tri.test'), Buffer.of(0, 1)])],
      [`opcode ${op}: two different questions`, Buffer.concat([hdr(31, f, 2, 0, 0, 1), q('www.tri.test'), A, q('tri.test'), A, opt()])],
      [`opcode ${op}: two identical questions`, Buffer.concat([hdr(32, f, 2, 0, 0, 0), q('www.tri.test'), A, q('WWW.tri.test'), A])],
      [`opcode ${op}: questions of two classes`, Buffer.concat([hdr(33, f, 2, 0, 0, 0), q('www.tri.test'), A, q('www.tri.test'), Buffer.of(0, 1, 0, 3)])],
      [`opcode ${op}: two OPT records`, Buffer.concat([hdr(34, f, 1, 0, 0, 2), q('www.tri.test'), A, opt(), opt()])],
      [`opcode ${op}: no question, EDNS`, Buffer.concat([hdr(35, f, 0, 0, 0, 1), opt()])],
      [`opcode ${op}: no question, EDNS version 1`, Buffer.concat([hdr(36, f, 0, 0, 0, 1), opt(1)])],
      [`opcode ${op}: no question, no EDNS`, hdr(37, f, 0, 0, 0, 0)],
      [`opcode ${op}: TC, AA, RA, Z and AD set too`, Buffer.concat([hdr(38, (op << 11) | 0x07f0, 1, 0, 0, 0), q('www.tri.test'), A])],
      [`opcode ${op}: class 0`, Buffer.concat([hdr(39, f, 1, 0, 0, 0), q('www.tri.test'), Buffer.of(0, 6, 0, 0)])],
      [`opcode ${op}: EXPIRE option of 2 octets`, Buffer.concat([hdr(40, f, 1, 0, 0, 1), q('tri.test'), Buffer.of(0, 6, 0, 1),
        Buffer.of(0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 6, 0, 9, 0, 2, 1, 2)])],
    );
    raw.push([`opcode ${op}: an answer record and no question`, Buffer.concat([hdr(41, f, 0, 1, 0, 0), q('www.tri.test'), A, Buffer.of(0, 0, 0, 0, 0, 4, 10, 0, 0, 80)])]);
  }
  const summary = (m: Buffer | null): string => (m === null ? 'no answer' :
    `rcode=${m[3] & 0xf} flags=${(m.readUInt16BE(2) & 0x87f0).toString(16)} qd=${m.readUInt16BE(4)} an=${m.readUInt16BE(6)} ns=${m.readUInt16BE(8)} ar=${m.readUInt16BE(10)} octets=${m.length}`);
  for (const [what, pkt] of raw) {
    await t.test(`raw packet: ${what}`, async (t) => {
      const [b, r] = await Promise.all([send(bindPort, pkt), send(triadPort, pkt)]);
      if (summary(r) !== summary(b)) process.stderr.write(`--- raw ${what}\n    bind:  ${summary(b)}\n    triad: ${summary(r)}\n`);
      t.equal(summary(r), summary(b), `raw packet: ${what}`);
    });
  }
  await t.test('Triad still answers after the malformed packets', async (t) => {
    const after = parseDig(await dig(triadPort, ['www.tri.test']));
    t.equal(after.status, 'NOERROR');
  });
}

await compareAll();

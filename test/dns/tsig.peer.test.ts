// TSIG side by side: BIND 9 (`named`) and Triad (`bin/triad run`, with DNS
// workers and with --dns-workers 0) serve the same named.conf, whose keys come
// from the real tools (tsig-keygen, ddns-confgen, rndc-confgen -a) through
// `include`. The same signed, forged, stale and malformed requests go to all
// three; the answers must agree: rcode, header, records, and the TSIG (key,
// algorithm, error, MAC and Other Data lengths, which time it carries), and every
// signed answer must verify with the key — BIND's with our verifier, ours with
// BIND's `dig -y`/`dig -k`. A zone transfer restricted to `key k256` is served
// signed message by message, and refused unsigned.
import tap, { type Test } from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { decodeMessage } from '../../src/dns/message.js';
import { TsigResponseVerifier, findTsig, signMessage, signQuery, type TsigAlgorithm, type TsigKey } from '../../src/wire/tsig.js';
import { nameToText } from '../../src/wire/dns-name.js';
import { FIXTURES } from '../helpers/paths.js';
import { rawQuery } from '../helpers/raw-query.js';
import { digAsync, dig as digSync, startTriad, waitFor } from '../helpers/triad-run.js';
import { freePort, requireTools } from '../helpers/tools.js';
import { namedOptions, startRefNamed } from '../helpers/bind-ref.js';

const HOST = '127.0.0.1';

/** A query (RD set, an OPT with udp 1232), no TSIG. */
const query = (name: string, type: number, id = Math.floor(Math.random() * 65536)): Uint8Array => rawQuery(name, type, id);

const now = (): number => Math.floor(Date.now() / 1000);

/** A signed query whose MAC is cut to `macLen` octets (a truncated MAC, as a client with a `-bits` key sends). */
function signedWithMac(q: Uint8Array, key: TsigKey, macLen: number): { message: Uint8Array; mac: Uint8Array } {
  const s = signMessage(q, key, { now: now(), macLength: macLen });
  return { message: s.message, mac: s.mac };
}

function udpAsk(port: number, msg: Uint8Array): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => { s.close(); resolve(undefined); }, 3000);
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(m); });
    s.send(msg, port, HOST);
  });
}

/** Sends one message over TCP and reads answers until an AXFR ends (second SOA), an error rcode, or the close. */
function tcpAsk(port: number, msg: Uint8Array): Promise<Uint8Array[]> {
  return new Promise((resolve) => {
    const out: Uint8Array[] = [];
    let buf = Buffer.alloc(0);
    let soas = 0;
    const sock = net.connect(port, HOST);
    const done = (): void => { clearTimeout(timer); sock.destroy(); resolve(out); };
    const timer = setTimeout(done, 10000);
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      sock.write(Buffer.concat([len, msg]));
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const m = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + m.length);
        out.push(Uint8Array.from(m));
        const dm = decodeMessage(m);
        if (typeof dm === 'string' || dm.rcode !== 0) return done();
        soas += dm.answers.filter((a) => a.type === 6).length;
        if (soas >= 2 || (out.length === 1 && dm.answers.length === 0)) return done();
      }
    });
    sock.on('error', done);
    sock.on('close', done);
  });
}

/** What must agree between servers: everything but IDs, cookies, times and MAC octets. */
function shape(resp: Uint8Array | undefined, key: TsigKey | undefined, requestMac: Uint8Array | undefined, requestTime?: number): unknown {
  if (!resp) return 'no answer';
  const d = decodeMessage(resp);
  if (typeof d === 'string') return `undecodable: ${d}`;
  const f = findTsig(resp);
  let tsig: unknown = 'none';
  if (f.kind === 'formerr') tsig = `bad TSIG: ${f.reason}`;
  if (f.kind === 'found') {
    const x = f.tsig;
    let verify = 'not checked';
    if (key && requestMac) {
      const v = new TsigResponseVerifier(key, requestMac).verify(resp);
      verify = v.ok ? 'verifies' : v.reason;
    }
    tsig = {
      key: nameToText(x.keyName).toLowerCase(), algorithm: nameToText(x.algorithm).toLowerCase(), error: x.error, macLength: x.mac.length,
      otherLength: x.other.length, fudge: x.fudge, originalIdIsId: x.originalId === d.id,
      time: requestTime !== undefined && x.timeSigned === requestTime ? 'the request\'s' : Math.abs(x.timeSigned - now()) <= 5 ? 'now' : 'other',
      other: x.other.length === 6 ? (Math.abs(Buffer.from(x.other).readUIntBE(0, 6) - now()) <= 5 ? 'our time' : 'other time') : x.other.length,
      verify,
    };
  }
  const rr = (r: { name: Uint8Array; type: number; rdata: Uint8Array }): string => `${nameToText(r.name).toLowerCase()} ${r.type} ${Buffer.from(r.rdata).toString('hex')}`;
  return {
    rcode: d.rcode, flags: d.flags & 0xfff0, question: d.questions.map((q) => `${nameToText(q.name)} ${q.type}`),
    answer: d.answers.map(rr).sort(), authority: d.authorities.map(rr).sort(),
    additional: d.additionals.filter((a) => a.type !== 41 && a.type !== 250).map(rr).sort(),
    opt: d.additionals.some((a) => a.type === 41), tsig,
  };
}

function keyFromFile(file: string, name: string): TsigKey {
  const text = readFileSync(file, 'utf8');
  const alg = /algorithm\s+([a-z0-9-]+);/.exec(text)?.[1] as TsigAlgorithm;
  const secret = /secret\s+"([^"]+)"/.exec(text)?.[1] ?? '';
  return { name, algorithm: alg, secret: Buffer.from(secret, 'base64') };
}

function namedConf(dir: string, port: number): string {
  return `// Generated by tsig.peer.test.ts
include "${dir}/keys.conf";
include "${dir}/ddns.key";
include "${dir}/rndc.key";
key "trunc" { algorithm hmac-sha256-128; secret "QHSiI80DmMqNh6OmRWsAnacrRv+hTowL7+279g3Aj+I="; };
${namedOptions({ directory: dir, port, addr: HOST, bind: true, extra: ['notify no', 'allow-transfer { key k512; }'] })}zone "tri.test" { type primary; file "tri.test.zone"; };
zone "closed.test" { type primary; file "closed.test.zone"; allow-query { key k256; }; };
zone "big.test" { type primary; file "big.test.zone"; allow-transfer { key k256; }; };
`;
}

const digRun = (port: number, args: string[]): Promise<string> => digAsync(HOST, port, args, 5);

async function main(t: Test): Promise<void> {
  if (!requireTools(t, ['named', 'dig', 'tsig-keygen', 'ddns-confgen', 'rndc-confgen'], 'Debian bind9, bind9-utils, bind9-dnsutils; see test/install-deps.sh')) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-tsig-'));
  // Teardowns run last-registered first, so this runs once named and Triad have exited.
  t.teardown(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));
  // Keys as the tools write them.
  const keygen = (alg: string, name: string): string => spawnSync('tsig-keygen', ['-a', alg, name], { encoding: 'utf8' }).stdout;
  writeFileSync(path.join(dir, 'keys.conf'), [keygen('hmac-sha256', 'k256'), keygen('hmac-sha512', 'k512'), keygen('hmac-sha1', 'ksha1'),
    keygen('hmac-md5', 'kmd5'), keygen('hmac-sha224', 'k224'), keygen('hmac-sha256', 'k256.other')].join(''));
  writeFileSync(path.join(dir, 'ddns.key'), spawnSync('ddns-confgen', ['-q', '-k', 'ddns-key', '-a', 'hmac-sha384'], { encoding: 'utf8' }).stdout);
  const rndc = spawnSync('rndc-confgen', ['-a', '-c', path.join(dir, 'rndc.key'), '-k', 'rndc-key'], { encoding: 'utf8' });
  t.equal(rndc.status, 0, 'rndc-confgen -a wrote its key file');
  const keysText = readFileSync(path.join(dir, 'keys.conf'), 'utf8');
  const block = (name: string): string => new RegExp(`key "${name.replace('.', '\\.')}" \\{[^}]*\\};\\n`).exec(keysText)?.[0] ?? '';
  writeFileSync(path.join(dir, 'k256.key'), block('k256')); // for dig -k
  const keyOf = (name: string): TsigKey => {
    const f = path.join(dir, `one-${name}.key`);
    writeFileSync(f, block(name));
    return keyFromFile(f, name);
  };
  const K = { k256: keyOf('k256'), k512: keyOf('k512'), ksha1: keyOf('ksha1'), kmd5: keyOf('kmd5'), k224: keyOf('k224'),
    ddns: keyFromFile(path.join(dir, 'ddns.key'), 'ddns-key'), rndc: keyFromFile(path.join(dir, 'rndc.key'), 'rndc-key') };
  const trunc: TsigKey = { name: 'trunc', algorithm: 'hmac-sha256', secret: Buffer.from('QHSiI80DmMqNh6OmRWsAnacrRv+hTowL7+279g3Aj+I=', 'base64'), digestBits: 128 };

  copyFileSync(path.join(FIXTURES, 'dns', 'tri.test.zone'), path.join(dir, 'tri.test.zone'));
  writeFileSync(path.join(dir, 'closed.test.zone'), '$TTL 600\n@ SOA ns root 1 600 600 86400 60\n@ NS ns\nns A 10.0.0.1\nwww A 10.2.0.80\n' +
    Array.from({ length: 60 }, (_, i) => `many A 10.3.0.${i + 1}\n`).join(''));
  writeFileSync(path.join(dir, 'big.test.zone'), '$TTL 600\n@ SOA ns root 1 600 600 86400 60\n@ NS ns\nns A 10.0.0.1\n' +
    Array.from({ length: 3000 }, (_, i) => `h${i} TXT "host ${i} padding padding padding padding padding padding"\n`).join(''));

  const bindPort = await freePort();
  writeFileSync(path.join(dir, 'named.conf'), namedConf(dir, bindPort));
  const check = spawnSync('named-checkconf', ['-z', path.join(dir, 'named.conf')], { encoding: 'utf8' });
  t.equal(check.status, 0, `named-checkconf accepts the configuration ${check.stdout}${check.stderr}`);
  const up = await startRefNamed(t, path.join(dir, 'named.conf'));
  if (!up.running) {
    t.fail(`named did not start:\n${up.log()}`);
    return;
  }
  const triads: { name: string; port: number; output: () => string }[] = [];
  for (const [name, extra] of [['triad (workers)', []], ['triad (--dns-workers 0)', ['--dns-workers', '0']]] as const) {
    const port = await freePort();
    const conf = path.join(dir, `triad-${triads.length}.conf`);
    writeFileSync(conf, namedConf(dir, port));
    const data = path.join(dir, `data-${triads.length}`);
    mkdirSync(data);
    const triad = startTriad(['--named-conf', conf, '--conf-dir', dir, '--data-dir', data, ...extra]);
    t.teardown(() => triad.stop());
    if (!(await waitFor(() => /status: NOERROR/.test(digSync(HOST, port, ['www.tri.test'])), 30000, 300))) {
      t.fail(`${name} did not answer:\n${triad.output()}`);
      return;
    }
    t.notMatch(triad.output(), /TSIG|'key'|key elements/, `${name}: no warning about keys or TSIG`);
    triads.push({ name, port, output: () => triad.output() });
  }

  /** The same request to every server; their answers' shapes must be equal. Returns BIND's shape. */
  const same = async (what: string, make: () => { message: Uint8Array; mac?: Uint8Array; time?: number }, key: TsigKey | undefined, expect: (s: Record<string, unknown>) => boolean): Promise<void> => {
    const asked = await Promise.all([bindPort, ...triads.map((x) => x.port)].map(async (port) => {
      const req = make();
      return shape(await udpAsk(port, req.message), key, req.mac, req.time);
    }));
    const [bind, ...ours] = asked;
    t.ok(expect(bind as Record<string, unknown>), `${what}: BIND answers as expected`) || t.comment(JSON.stringify(bind, null, 1));
    ours.forEach((s, i) => t.same(s, bind, `${what}: ${triads[i].name} answers as BIND`));
  };
  const tsigOf = (s: Record<string, unknown>): Record<string, unknown> => (s.tsig ?? {}) as Record<string, unknown>;

  // Good keys of every algorithm, written by three different tools.
  for (const [label, key] of Object.entries(K)) {
    await same(`signed with ${label} (${key.algorithm})`, () => signQuery(query('www.tri.test.', 1), key), key,
      (s) => s.rcode === 0 && tsigOf(s).verify === 'verifies' && tsigOf(s).error === 0);
  }
  await same('wrong secret: BADSIG', () => signQuery(query('www.tri.test.', 1), { ...K.k256, secret: Buffer.from('not the secret') }), K.k256,
    (s) => s.rcode === 9 && tsigOf(s).error === 16 && tsigOf(s).macLength === 0);
  await same('unknown key: BADKEY', () => signQuery(query('www.tri.test.', 1), { ...K.k256, name: 'nokey' }), undefined,
    (s) => s.rcode === 9 && tsigOf(s).error === 17 && tsigOf(s).key === 'nokey.');
  await same('known name, other algorithm: BADKEY', () => signQuery(query('www.tri.test.', 1), { ...K.k256, algorithm: 'hmac-sha512' }), undefined,
    (s) => s.rcode === 9 && tsigOf(s).error === 17);
  await same('signed 1000 s ago: BADTIME', () => {
    const time = now() - 1000;
    return { ...signMessage(query('www.tri.test.', 1), K.k256, { now: time }), time };
  }, K.k256, (s) => s.rcode === 9 && tsigOf(s).error === 18 && tsigOf(s).otherLength === 6 && tsigOf(s).time === 'the request\'s');
  await same('signed 1000 s ahead: BADTIME', () => {
    const time = now() + 1000;
    return { ...signMessage(query('www.tri.test.', 1), K.k256, { now: time }), time };
  }, K.k256, (s) => s.rcode === 9 && tsigOf(s).error === 18);
  await same('a 16-octet MAC for a full-length key: BADTRUNC', () => signedWithMac(query('www.tri.test.', 1), K.k256, 16), K.k256,
    (s) => s.rcode === 9 && tsigOf(s).error === 22);
  await same('hmac-sha256-128 key, 16-octet MAC: answered, 16-octet MAC back', () => signedWithMac(query('www.tri.test.', 1), trunc, 16), trunc,
    (s) => s.rcode === 0 && tsigOf(s).macLength === 16 && tsigOf(s).verify === 'verifies');
  await same('hmac-sha256-128 key, full MAC: answered with the full length', () => signedWithMac(query('www.tri.test.', 1), trunc, 32), trunc,
    (s) => s.rcode === 0 && tsigOf(s).macLength === 32);
  await same('an 8-octet MAC: FORMERR', () => signedWithMac(query('www.tri.test.', 1), K.k256, 8), undefined, (s) => s.rcode === 1);
  await same('TSIG not the last record: FORMERR', () => {
    const q = query('www.tri.test.', 1);
    const noOpt = Buffer.from(q.subarray(0, q.length - 11));
    noOpt.writeUInt16BE(0, 10);
    const signed = Buffer.from(signQuery(noOpt, K.k256).message);
    const out = Buffer.concat([signed, Buffer.from(q.subarray(q.length - 11))]);
    out.writeUInt16BE(2, 10);
    return { message: out };
  }, undefined, (s) => s.rcode === 1);
  await same('allow-query { key k256; }, signed with it', () => signQuery(query('www.closed.test.', 1), K.k256), K.k256,
    (s) => s.rcode === 0 && (s.answer as string[]).length === 1 && tsigOf(s).verify === 'verifies');
  await same('allow-query { key k256; }, unsigned', () => ({ message: query('www.closed.test.', 1) }), undefined, (s) => s.rcode === 5 && s.tsig === 'none');
  await same('allow-query { key k256; }, signed with another key', () => signQuery(query('www.closed.test.', 1), K.k512), K.k512,
    (s) => s.rcode === 5 && tsigOf(s).verify === 'verifies');
  await same('a signed question outside our zones: REFUSED, signed', () => signQuery(query('www.example.com.', 1), K.k256), K.k256,
    (s) => s.rcode === 5 && tsigOf(s).verify === 'verifies');
  await same('a key with a two-label name', () => signQuery(query('tri.test.', 6), keyOf('k256.other')),
    keyOf('k256.other'), (s) => s.rcode === 0 && tsigOf(s).verify === 'verifies');

  // The first refused request is logged in named's words (then at most one line per 10 s).
  for (const x of triads) {
    t.ok(await waitFor(() => /request has invalid signature: TSIG k256: tsig verify failure \(BADSIG\)/.test(x.output()), 5000, 100),
      `${x.name}: the bad signature is logged as named logs it`);
  }

  // Over UDP without EDNS (512 octets), a large signed answer is truncated and still signed.
  const noEdns = (q: Uint8Array): Uint8Array => {
    const b = Buffer.from(q.subarray(0, q.length - 11));
    b.writeUInt16BE(0, 10);
    return b;
  };
  await same('a signed answer too large for 512 octets: TC, signed', () => signQuery(noEdns(query('many.closed.test.', 1)), K.k256), K.k256,
    (s) => s.rcode === 0 && ((s.flags as number) & 0x0200) !== 0 && tsigOf(s).verify === 'verifies');
  await same('a signed UPDATE (no dynamic updates here): refused, signed', () => {
    const q = Buffer.from(noEdns(query('closed.test.', 6)));
    q.writeUInt16BE(0x2800, 2); // opcode UPDATE
    return signQuery(q, K.k256);
  }, K.k256, (s) => s.rcode === 5 && tsigOf(s).verify === 'verifies');

  // Zone transfers over TCP.
  const servers = [{ name: 'BIND', port: bindPort }, ...triads];
  const axfrs = await Promise.all(servers.map(async (srv) => {
    const req = signQuery(query('big.test.', 252), K.k256);
    const msgs = await tcpAsk(srv.port, req.message);
    const v = new TsigResponseVerifier(K.k256, req.mac);
    const checks = msgs.map((m) => v.verify(m));
    const records = msgs.flatMap((m) => {
      const d = decodeMessage(m);
      return typeof d === 'string' ? [] : d.answers.map((a) => `${nameToText(a.name)} ${a.type} ${Buffer.from(a.rdata).toString('hex')}`);
    });
    return { srv, msgs, checks, end: v.finish(), records };
  }));
  for (const a of axfrs) {
    t.ok(a.msgs.length > 2, `${a.srv.name}: AXFR signed with k256 comes in ${a.msgs.length} messages`);
    t.ok(a.checks.every((c) => c.ok) && a.end.ok, `${a.srv.name}: every message verifies in order (RFC 8945 §5.3.1)`) ||
      t.comment(JSON.stringify(a.checks.filter((c) => !c.ok).slice(0, 3)));
    t.equal(a.msgs.filter((m) => findTsig(m).kind === 'found').length, a.msgs.length, `${a.srv.name}: each message carries a TSIG`);
    t.equal(a.records.length, 3004, `${a.srv.name}: the whole zone, SOA at both ends`);
  }
  for (const a of axfrs.slice(1)) t.same([...a.records].sort(), [...axfrs[0].records].sort(), `${a.srv.name}: the same records as BIND`);
  const refusals = await Promise.all(servers.map(async (srv) => {
    const unsigned = await tcpAsk(srv.port, query('big.test.', 252));
    const other = signQuery(query('big.test.', 252), K.k512);
    const wrongKey = await tcpAsk(srv.port, other.message);
    const badSig = await tcpAsk(srv.port, signQuery(query('big.test.', 252), { ...K.k256, secret: Buffer.from('nope') }).message);
    const tri = signQuery(query('tri.test.', 252), K.k512);
    const optionsKey = await tcpAsk(srv.port, tri.message);
    const v = new TsigResponseVerifier(K.k512, tri.mac);
    return {
      unsigned: unsigned.map((m) => shape(m, undefined, undefined)),
      wrongKey: wrongKey.map((m) => shape(m, K.k512, other.mac)),
      badSig: badSig.map((m) => shape(m, undefined, undefined)),
      optionsKey: { messages: optionsKey.length > 0, verifies: optionsKey.every((m) => v.verify(m).ok) && v.finish().ok, first: shape(optionsKey[0], undefined, undefined) },
    };
  }));
  const b = refusals[0];
  t.ok((b.unsigned[0] as Record<string, unknown>).rcode === 5, 'BIND refuses the unsigned AXFR of a `key k256` zone');
  t.ok(tsigOf(b.wrongKey[0] as Record<string, unknown>).verify === 'verifies' && (b.wrongKey[0] as Record<string, unknown>).rcode === 5,
    'BIND refuses the AXFR signed with another key, signed');
  t.ok(b.optionsKey.verifies, 'BIND serves tri.test to k512 (options allow-transfer), signed');
  refusals.slice(1).forEach((r, i) => {
    t.same(r.unsigned, b.unsigned, `${triads[i].name}: unsigned AXFR refused as BIND refuses it`);
    t.same(r.wrongKey, b.wrongKey, `${triads[i].name}: AXFR with another key refused as BIND refuses it`);
    t.same(r.badSig, b.badSig, `${triads[i].name}: AXFR with a bad MAC answered as BIND answers it`);
    t.same(r.optionsKey, b.optionsKey, `${triads[i].name}: options allow-transfer { key k512; } as BIND`);
  });

  // BIND's own client verifies our answers: dig -k with the tsig-keygen file, dig -y, every AXFR message.
  for (const srv of servers) {
    const one = await digRun(srv.port, ['-k', path.join(dir, 'k256.key'), 'www.closed.test', 'A']);
    t.match(one, /status: NOERROR/, `${srv.name}: dig -k gets the key-only zone`);
    t.notMatch(one, /Couldn't verify|WARNING -- Some TSIG|tsig indicates error/, `${srv.name}: dig -k verifies the answer`);
    const x = await digRun(srv.port, ['-y', `hmac-sha256:k256:${Buffer.from(K.k256.secret).toString('base64')}`, 'big.test', 'AXFR']);
    const size = /XFR size: (\d+) records \(messages (\d+)/.exec(x);
    t.ok(size && Number(size[1]) === 3004 && Number(size[2]) > 2, `${srv.name}: dig -y AXFR: ${size?.[0] ?? x.slice(-300)}`);
    t.notMatch(x, /Couldn't verify|WARNING -- Some TSIG|failed/, `${srv.name}: dig -y verified every message`);
    t.equal((x.match(/\tTSIG\t/g) ?? []).length, Number(size?.[2] ?? -1), `${srv.name}: one TSIG per message`);
    const plain = await digRun(srv.port, ['big.test', 'AXFR']);
    t.match(plain, /Transfer failed/, `${srv.name}: dig AXFR without the key fails`);
  }

  // A BIND secondary transfers from Triad with the key in its `primaries`, and is refused without the right one.
  const secDir = path.join(dir, 'secondary');
  mkdirSync(secDir);
  const secPort = await freePort();
  const [workers, inproc] = triads;
  writeFileSync(path.join(secDir, 'named.conf'), `include "${dir}/keys.conf";
${namedOptions({ directory: secDir, port: secPort, addr: HOST, bind: true, extra: ['notify no'] })}zone "big.test" { type secondary; primaries { ${HOST} port ${workers.port} key k256; }; file "big.sec"; };
zone "closed.test" { type secondary; primaries { ${HOST} port ${inproc.port} key k512; }; file "closed.sec"; };
zone "tri.test" { type secondary; primaries { ${HOST} port ${inproc.port} key k256; }; file "tri.sec"; };
`);
  const sec = await startRefNamed(t, path.join(secDir, 'named.conf'));
  if (!sec.running) {
    t.fail(`the secondary named did not start:\n${sec.log()}`);
    return;
  }
  const done = (zone: string): RegExp => new RegExp(`transfer of '${zone}/IN' from [^:]+: Transfer completed`);
  t.ok(await waitFor(() => done('big.test').test(sec.log()) && done('closed.test').test(sec.log()), 20000, 200),
    'BIND, as a secondary, completes TSIG-signed transfers from Triad (workers and --dns-workers 0)') || t.comment(sec.log().slice(-2000));
  t.match(sec.log(), /transfer of 'big.test\/IN' from [^:]+: Transfer status: success/, 'big.test: every message verified by BIND');
  t.match(digSync(HOST, secPort, ['+short', 'h2999.big.test', 'TXT']), /host 2999 padding/, 'the secondary serves the transferred zone');
  t.ok(await waitFor(() => /transfer of 'tri.test\/IN' from [^:]+: failed while receiving responses: REFUSED/.test(sec.log()), 20000, 200),
    'tri.test (allow-transfer { key k512; }) is refused to the secondary holding k256') || t.comment(sec.log().slice(-2000));
  t.notMatch(sec.log(), /tsig verify failure|expected a TSIG|bad signature|TSIG.*(BADSIG|BADKEY|BADTIME)/i, 'no TSIG error on the BIND side');
}

// One subtest holds the servers for all the comparisons (they share the keys and the processes).
tap.test('named and Triad side by side with the same keys', async (t) => main(t));

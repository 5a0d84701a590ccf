// Triad's TFTP server against real clients over loopback: tftp-hpa's `tftp` (plain
// RFC 1350, no options), `curl tftp://` (blksize, tsize), and a raw UDP client for what the
// tools hide (the OACK, `../`). The same requests go to the real tftpd-hpa (started by
// this test on its own port) where the answers should agree.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { decodePacket, encodeAck, encodeRequest, OP } from '../../src/tftp/packet.js';
import { BIN_TRIAD } from '../helpers/paths.js';
import { startTriad, waitFor } from '../helpers/triad-run.js';
import { ask, run } from './client.js';

const sha = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}



/** Ends a transfer from the client's side (ERROR 0), waiting until the packet is out before closing. */
async function hangUp(sock: dgram.Socket, port: number): Promise<void> {
  await new Promise<void>((r) => sock.send(Buffer.from([0, 5, 0, 0, 0]), port, '127.0.0.1', () => r()));
  sock.close();
}

t.test('tftp-hpa, curl and a raw client against Triad (and tftpd-hpa)', async (t) => {
  for (const tool of ['tftp', 'curl', '/usr/sbin/in.tftpd']) {
    const r = spawnSync(tool, ['-V'], { encoding: 'utf8' });
    if (r.error) return t.fail(`${tool} is not installed (test/install-deps.sh installs tftp-hpa, tftpd-hpa and curl): ${r.error.message}`);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-tftp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const root = path.join(dir, 'root');
  const conf = path.join(dir, 'conf');
  const data = path.join(dir, 'data');
  const out = path.join(dir, 'out');
  for (const d of [root, conf, data, out]) mkdirSync(d, { recursive: true });
  chmodSync(root, 0o755);
  const sizes: Record<string, number> = { empty: 0, f511: 511, f512: 512, f513: 513, big: 33 * 1024 * 1024 + 1234 };
  for (const [name, size] of Object.entries(sizes)) {
    writeFileSync(path.join(root, name), randomBytes(size));
    chmodSync(path.join(root, name), 0o644);
  }
  writeFileSync(path.join(root, 'mid'), randomBytes(2 * 1024 * 1024 + 5));
  chmodSync(path.join(root, 'mid'), 0o644);
  writeFileSync(path.join(root, 'text'), 'line one\nline two\r\nlast line without end');
  chmodSync(path.join(root, 'text'), 0o644);
  writeFileSync(path.join(dir, 'secret'), 'outside the root\n');
  chmodSync(path.join(dir, 'secret'), 0o644);
  symlinkSync('../secret', path.join(root, 'escape'));

  const port = await freeUdpPort();
  writeFileSync(path.join(conf, 'tftpd-hpa'), `# as Debian ships it, on a test port
TFTP_USERNAME="tftp"
TFTP_DIRECTORY="${root}"
TFTP_ADDRESS="127.0.0.1:${port}"
TFTP_OPTIONS="--secure --blocksize 1468 --map-file tftp.map"
`);
  writeFileSync(path.join(conf, 'tftp.map'), 'r ^pxe/(.*)$ f\\1\na ^denied\n');
  const triad = startTriad(['--conf-dir', conf, '--data-dir', data]);
  t.teardown(() => triad.stop());
  t.ok(await waitFor(() => triad.output().includes('tftp: serving'), 15_000), `Triad serves TFTP:\n${triad.output()}`);

  // The reference server, as Debian runs it but in the foreground on its own port.
  const refPort = await freeUdpPort();
  const ref: ChildProcess = spawn('/usr/sbin/in.tftpd', ['--foreground', '--address', `127.0.0.1:${refPort}`, '--secure', '--user', 'root', '--blocksize', '1468', root], { stdio: 'ignore' });
  t.teardown(() => {
    if (ref.exitCode === null) ref.kill('SIGTERM'); // by the PID this test started
  });
  await new Promise((r) => setTimeout(r, 500));
  t.equal(ref.exitCode, null, 'tftpd-hpa runs');

  await t.test('tftp-hpa (RFC 1350, 512-byte blocks): 0, 511, 512, 513 bytes and 33 MiB (block numbers roll over) arrive intact', async (t) => {
    for (const name of Object.keys(sizes)) {
      const dest = path.join(out, `hpa-${name}`);
      const r = run('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', name, dest]);
      t.equal(r.status, 0, `tftp get ${name}: ${r.out}`);
      t.equal(existsSync(dest) && sha(dest), sha(path.join(root, name)), `${name}: same sha256`);
    }
  });

  await t.test('netascii: tftp-hpa in ascii mode gets the text back as it is on disk', async (t) => {
    for (const [who, p] of [['triad', port], ['tftpd-hpa', refPort]] as const) {
      const dest = path.join(out, `ascii-${who}`);
      const r = run('tftp', ['-m', 'netascii', '127.0.0.1', String(p), '-c', 'get', 'text', dest]);
      t.equal(r.status, 0, r.out);
      t.equal(existsSync(dest) && readFileSync(dest, 'latin1'), readFileSync(path.join(root, 'text'), 'latin1'), who);
    }
  });

  await t.test('one client gets at most 16 transfers at once; the 17th is refused with an ERROR', async (t) => {
    const held: { sock: dgram.Socket; from: number }[] = [];
    for (let i = 0; i < 16; i++) {
      const a = await ask(port, encodeRequest(OP.RRQ, 'big', 'octet'));
      t.match(a.p, { op: OP.DATA, block: 1 });
      held.push(a);
    }
    const extra = await ask(port, encodeRequest(OP.RRQ, 'big', 'octet'));
    t.match(extra.p, { op: OP.ERROR, code: 0, message: 'Too many transfers from your address' });
    extra.sock.close();
    for (const h of held) await hangUp(h.sock, h.from);
    t.ok(await waitFor(() => (triad.output().match(/the client sent error 0/g) ?? []).length >= 16, 5000), 'the held transfers end');
    const again = await ask(port, encodeRequest(OP.RRQ, 'f511', 'octet'));
    t.match(again.p, { op: OP.DATA, block: 1 }, 'and the client is served again');
    again.sock.send(encodeAck(1), again.from, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 200));
    again.sock.close();
  });

  await t.test('curl (blksize 1468, tsize): the same files intact, from Triad and from tftpd-hpa', async (t) => {
    // (curl 7.88 fails on an empty file from any server — tftpd-hpa too — with "getpeername() failed"; tftp-hpa covers it above.)
    for (const name of ['f511', 'f513', 'big']) {
      for (const [who, p] of [['triad', port], ['tftpd-hpa', refPort]] as const) {
        const dest = path.join(out, `curl-${who}-${name}`);
        const r = run('curl', ['-sS', '--tftp-blksize', '1468', '-o', dest, `tftp://127.0.0.1:${p}/${name}`]);
        t.equal(r.status, 0, `curl ${who} ${name}: ${r.out}`);
        t.equal(existsSync(dest) && sha(dest), sha(path.join(root, name)), `${who} ${name}: same sha256`);
      }
    }
    const r = run('curl', ['-sS', '--tftp-blksize', '512', '-o', path.join(out, 'curl-big-512'), `tftp://127.0.0.1:${port}/big`]);
    t.equal(r.status, 0, r.out);
    t.equal(sha(path.join(out, 'curl-big-512')), sha(path.join(root, 'big')), 'curl at blksize 512 through the rollover');
  });

  await t.test('the OACK: blksize (capped by --blocksize), tsize, windowsize, as tftpd-hpa answers', async (t) => {
    const req = encodeRequest(OP.RRQ, 'f513', 'octet', { blksize: '9000', tsize: '0', timeout: '2' });
    for (const [who, p] of [['triad', port], ['tftpd-hpa', refPort]] as const) {
      const a = await ask(p, req);
      await hangUp(a.sock, a.from);
      if (typeof a.p === 'string' || a.p.op !== OP.OACK) {
        t.fail(`${who}: expected an OACK, got ${JSON.stringify(a.p)}`);
        continue;
      }
      t.equal(a.p.options.get('blksize'), '1468', `${who}: blksize capped`);
      t.equal(a.p.options.get('tsize'), '513', `${who}: tsize is the file's size`);
      t.equal(a.p.options.get('timeout'), '2', `${who}: timeout echoed`);
      t.not(a.from, p, `${who}: the transfer comes from a new port (its TID)`);
    }
    // windowsize (RFC 7440) is Triad's: a window of 4 blocks comes without waiting for ACKs.
    const a = await ask(port, encodeRequest(OP.RRQ, 'big', 'octet', { blksize: '1024', windowsize: '4' }));
    t.match(a.p, { op: OP.OACK });
    const blocks: number[] = [];
    await new Promise<void>((resolve) => {
      a.sock.on('message', (msg) => {
        const d = decodePacket(msg);
        if (typeof d !== 'string' && d.op === OP.DATA) blocks.push(d.block);
        if (blocks.length === 4) resolve();
      });
      a.sock.send(encodeAck(0), a.from, '127.0.0.1');
    });
    await hangUp(a.sock, a.from);
    t.same(blocks, [1, 2, 3, 4]);
  });

  await t.test('refusals get an ERROR packet and a log line; nothing outside the root is served', async (t) => {
    const missing = run('tftp', ['127.0.0.1', String(port), '-c', 'get', 'no-such-file', path.join(out, 'x1')]);
    t.match(missing.out, /Error code 1: File not found/);
    const refMissing = run('tftp', ['127.0.0.1', String(refPort), '-c', 'get', 'no-such-file', path.join(out, 'x2')]);
    t.match(refMissing.out, /Error code 1: File not found/, 'tftpd-hpa says the same');
    const esc = run('tftp', ['127.0.0.1', String(port), '-c', 'get', 'escape', path.join(out, 'x3')]);
    t.match(esc.out, /Error code 2: Access violation/, 'a symbolic link out of the root');
    const dots = await ask(port, encodeRequest(OP.RRQ, '../secret', 'octet'));
    dots.sock.close();
    t.match(dots.p, { op: OP.ERROR, code: 2, message: 'Access violation' }, "'../secret'");
    const abs = await ask(port, encodeRequest(OP.RRQ, `${dir}/secret`, 'octet'));
    abs.sock.close();
    t.match(abs.p, { op: OP.ERROR }, 'an absolute path outside the root (under --secure it means ROOT/…, which is absent)');
    const wrq = await ask(port, encodeRequest(OP.WRQ, 'upload', 'octet'));
    wrq.sock.close();
    t.match(wrq.p, { op: OP.ERROR, code: 2 }, 'writes are refused without --create');
    t.notOk(existsSync(path.join(root, 'upload')));
    const junk = await ask(port, Buffer.from([0, 1, 0x61]));
    junk.sock.close();
    t.match(junk.p, { op: OP.ERROR, code: 4 }, 'a truncated request');
    const mapped = run('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', 'pxe/513', path.join(out, 'mapped')]);
    t.equal(mapped.status, 0, mapped.out);
    t.equal(sha(path.join(out, 'mapped')), sha(path.join(root, 'f513')), 'the map file rewrites pxe/513 to f513');
    const denied = run('tftp', ['127.0.0.1', String(port), '-c', 'get', 'denied-file', path.join(out, 'x4')]);
    t.match(denied.out, /Error code 2: Access violation/, "the map file's 'a' rule");
    // Junk never stops the server: empty, one-octet, unknown opcodes, very long names, broken option lists.
    const junkSock = dgram.createSocket('udp4');
    await new Promise<void>((r) => junkSock.bind(0, '127.0.0.1', () => r()));
    const junkPackets = [Buffer.alloc(0), Buffer.from([0]), Buffer.from([0, 9, 1, 2]), encodeRequest(OP.RRQ, 'x'.repeat(2000), 'octet'),
      Buffer.from('\x00\x01f513\x00octet\x00blksize\x00', 'latin1'), Buffer.from('\x00\x01f513\x00octet\x00blksize\x00abc\x00tsize', 'latin1')];
    for (const b of junkPackets) await new Promise<void>((r) => junkSock.send(b, port, '127.0.0.1', () => r()));
    junkSock.close();
    const longName = await ask(port, encodeRequest(OP.RRQ, `${'a'.repeat(300)}/f513`, 'octet'));
    longName.sock.close();
    t.match(longName.p, { op: OP.ERROR, code: 2 }, 'a name part longer than 255 octets');
    const after = run('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', 'f511', path.join(out, 'after-junk')]);
    t.equal(after.status, 0, after.out);
    t.equal(sha(path.join(out, 'after-junk')), sha(path.join(root, 'f511')), 'still serving after junk');
    t.ok(await waitFor(() => /refused read of '\.\.\/secret'/.test(triad.output()), 5000), 'the log names the refused request');
  });

  await t.test('48 transfers at once (curl, 2 MiB each) from three client addresses, 16 each (the per-client bound), all arrive intact', async (t) => {
    const jobs: Promise<{ code: number | null; dest: string; err: string }>[] = [];
    for (let i = 0; i < 48; i++) {
      const dest = path.join(out, `par-${i}`);
      const src = `127.0.0.${2 + (i % 3)}`;
      jobs.push(new Promise((resolve) => {
        const c = spawn('curl', ['-sS', '--interface', src, '--tftp-blksize', '1468', '-o', dest, `tftp://127.0.0.1:${port}/mid`], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        c.stderr?.on('data', (d: Buffer) => (err += d.toString()));
        c.on('exit', (code) => resolve({ code, dest, err }));
      }));
    }
    const results = await Promise.all(jobs);
    const want = sha(path.join(root, 'mid'));
    t.same(results.filter((r) => r.code !== 0).map((r) => r.err), [], 'every curl succeeded');
    t.equal(results.filter((r) => existsSync(r.dest) && sha(r.dest) === want).length, 48, 'every copy is byte-identical');
    for (const r of results) rmSync(r.dest, { force: true });
  });

  await t.test('reload: a broken file keeps serving the old settings; a good one takes effect', async (t) => {
    const file = path.join(conf, 'tftpd-hpa');
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.replace('--blocksize 1468', '--blocksize 12'));
    triad.signal('SIGHUP');
    t.ok(await waitFor(() => /tftp: reload failed; keeping the running configuration/.test(triad.output()), 10_000), 'the reload is refused');
    t.match(triad.output(), /tftpd-hpa:5:\d+: error: --blocksize 12/, 'with file:line:col');
    const still = run('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', 'f512', path.join(out, 'after-bad-reload')]);
    t.equal(still.status, 0, still.out);
    t.equal(sha(path.join(out, 'after-bad-reload')), sha(path.join(root, 'f512')), 'still serving');
    writeFileSync(file, good.replace('--blocksize 1468', '--blocksize 1024'));
    triad.signal('SIGHUP');
    t.ok(await waitFor(() => (triad.output().match(/reload/g) ?? []).length >= 2, 10_000));
    let bs = '';
    for (let i = 0; i < 20 && bs !== '1024'; i++) {
      const a = await ask(port, encodeRequest(OP.RRQ, 'f513', 'octet', { blksize: '1468' }));
      bs = typeof a.p !== 'string' && a.p.op === OP.OACK ? a.p.options.get('blksize') ?? '' : '';
      await hangUp(a.sock, a.from);
      if (bs !== '1024') await new Promise((r) => setTimeout(r, 250));
    }
    t.equal(bs, '1024', 'the new --blocksize applies');
  });

  await t.test('triad ctl tftp counts transfers and bytes', async (t) => {
    const r = run(process.execPath, [BIN_TRIAD, 'ctl', '--data-dir', data, 'tftp', '--json']);
    t.equal(r.status, 0, r.out);
    const j = JSON.parse(r.out) as { completed: number; failed: number; refused: number; malformed: number; active: number; bytesSent: number };
    t.equal(j.active, 0, 'no transfer is left running');
    t.equal(j.completed, 62, 'nine by tftp-hpa, 52 by curl, one raw');
    t.ok(j.malformed >= 4, `malformed ${j.malformed}`);
    t.ok(j.failed >= 19, `the transfers the raw client hung up on: ${j.failed}`);
    t.ok(j.refused >= 5, `refused ${j.refused}`);
    t.ok(j.bytesSent >= 2 * sizes.big + 48 * 2 * 1024 * 1024, `bytes ${j.bytesSent}`);
    const text = run(process.execPath, [BIN_TRIAD, 'ctl', '--data-dir', data, 'tftp']);
    t.match(text.out, /completed: \d+/);
  });
});

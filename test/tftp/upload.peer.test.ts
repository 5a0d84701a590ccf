// Uploads with --create: tftp-hpa's `put` and `curl -T` write files byte-identical; names
// outside the root, symbolic links out, existing private files and hung-up uploads change nothing.
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { encodeData, encodeRequest, OP } from '../../src/tftp/packet.js';
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

t.test('uploads with --create', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-tftp-up-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, 'root');
  const conf = path.join(dir, 'conf');
  const data = path.join(dir, 'data');
  for (const d of [root, conf, data, path.join(root, 'sub')]) mkdirSync(d, { recursive: true });
  const src = path.join(dir, 'payload');
  writeFileSync(src, randomBytes(3 * 1024 * 1024 + 77));
  writeFileSync(path.join(root, 'private'), 'keep me');
  chmodSync(path.join(root, 'private'), 0o644);
  symlinkSync('..', path.join(root, 'up'));
  const port = await freeUdpPort();
  writeFileSync(path.join(conf, 'tftpd-hpa'), `TFTP_DIRECTORY="${root}"\nTFTP_ADDRESS="127.0.0.1:${port}"\nTFTP_OPTIONS="--secure --create"\n`);
  const triad = startTriad(['--conf-dir', conf, '--data-dir', data]);
  t.teardown(() => triad.stop());
  t.ok(await waitFor(() => triad.output().includes('tftp: serving'), 15_000), triad.output());

  const put = run('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'put', src, 'sub/by-tftp']);
  t.equal(put.status, 0, put.out);
  t.equal(sha(path.join(root, 'sub', 'by-tftp')), sha(src), 'tftp-hpa put: same sha256');
  const curl = run('curl', ['-sS', '-T', src, '--tftp-blksize', '1468', `tftp://127.0.0.1:${port}/by-curl`]);
  t.equal(curl.status, 0, curl.out);
  t.equal(sha(path.join(root, 'by-curl')), sha(src), 'curl -T (blksize 1468): same sha256');

  const priv = run('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'put', src, 'private']);
  t.match(priv.out, /Error code 2: Access violation/, 'an existing file not writable by everyone');
  t.equal(readFileSync(path.join(root, 'private'), 'utf8'), 'keep me');
  const out = run('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'put', src, 'up/escaped']);
  t.match(out.out, /Error code 2: Access violation/, 'a symbolic link out of the root');
  t.notOk(existsSync(path.join(dir, 'escaped')));
  const dots = await ask(port, encodeRequest(OP.WRQ, '../escaped', 'octet'));
  dots.sock.close();
  t.match(dots.p, { op: OP.ERROR, code: 2 });
  const nodir = run('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'put', src, 'no-such-dir/x']);
  t.match(nodir.out, /Error code 1: File not found/);

  // An upload that stops half-way leaves nothing behind.
  const half = await ask(port, encodeRequest(OP.WRQ, 'half', 'octet'));
  t.match(half.p, { op: OP.ACK, block: 0 });
  await new Promise<void>((r) => half.sock.send(encodeData(1, Buffer.alloc(512, 1)), half.from, '127.0.0.1', () => r()));
  await new Promise<void>((r) => half.sock.send(Buffer.from([0, 5, 0, 0, 0]), half.from, '127.0.0.1', () => r()));
  half.sock.close();
  t.ok(await waitFor(() => /tftp: transfer failed/.test(triad.output()), 5000));
  t.same(readdirSync(root).sort(), ['by-curl', 'private', 'sub', 'up'], 'no partial or temporary file');
});

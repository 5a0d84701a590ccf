// Triad's HTTP boot server against curl over loopback: whole files, HEAD, byte ranges
// (as iPXE and UEFI HTTP boot fetch), conditional ranges, and every way out of the root
// refused — `..` (plain and escaped), symbolic links leading out, FIFOs, directories —
// with the reason in Triad's log. The root is the TFTP directory of the same tftpd-hpa
// file, which also runs TFTP (on its own test port).
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startTriad, waitFor } from '../helpers/triad-run.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'udp') {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const p = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    return p;
  }
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

let curlCalls = 0;
let headerDir = '';

/** curl with the headers (-D FILE) and body apart; status 0 when curl itself failed. */
function curl(args: string[]): { status: number; headers: string; body: Buffer; err: string } {
  const hfile = path.join(headerDir, `h${curlCalls++}`);
  const r = spawnSync('curl', ['-s', '-S', '-D', hfile, '-o', '-', '--max-time', '10', ...args], { maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`curl could not run: ${r.error.message} (install curl)`);
  const headers = existsSync(hfile) ? readFileSync(hfile, 'latin1') : '';
  const status = Number(/^HTTP\/1\.1 ([0-9]{3})/m.exec(headers)?.[1] ?? 0);
  return { status, headers, body: r.stdout, err: r.status === 0 ? '' : `curl exit ${r.status ?? r.signal}: ${r.stderr.toString()}` };
}

t.test('HTTP boot: the TFTP root over HTTP with ranges, confined like TFTP', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-httpboot-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, 'root');
  const conf = path.join(dir, 'conf');
  const data = path.join(dir, 'data');
  headerDir = path.join(dir, 'headers');
  for (const d of [root, conf, data, headerDir, path.join(root, 'pxe')]) mkdirSync(d, { recursive: true });
  const kernel = randomBytes(3 * 1024 * 1024 + 17);
  writeFileSync(path.join(root, 'pxe', 'vmlinuz'), kernel);
  writeFileSync(path.join(root, 'boot.ipxe'), '#!ipxe\necho hello\n');
  writeFileSync(path.join(root, 'empty'), '');
  writeFileSync(path.join(root, 'private'), 'not for everyone\n');
  chmodSync(path.join(root, 'private'), 0o600);
  writeFileSync(path.join(dir, 'secret'), 'outside the root\n');
  symlinkSync('../secret', path.join(root, 'escape'));
  symlinkSync('pxe/vmlinuz', path.join(root, 'inside-link'));
  symlinkSync('/dev/zero', path.join(root, 'zero'));
  spawnSync('mkfifo', [path.join(root, 'fifo')]);

  const http = await freePort('tcp');
  const tftp = await freePort('udp');
  const base = `http://127.0.0.1:${http}`;
  writeFileSync(path.join(conf, 'tftpd-hpa'), `TFTP_USERNAME="tftp"
TFTP_DIRECTORY="${root}"
TFTP_ADDRESS="127.0.0.1:${tftp}"
TFTP_OPTIONS="--secure"
TRIAD_HTTP_ADDRESS="127.0.0.1:${http}"
`);
  const triad = startTriad(['--conf-dir', conf, '--data-dir', data]);
  t.teardown(() => triad.stop());
  t.ok(await waitFor(() => triad.output().includes('httpboot: serving') && triad.output().includes('tftp: serving'), 15_000), `Triad serves HTTP and TFTP:\n${triad.output()}`);

  await t.test('GET and HEAD', async (t) => {
    const r = curl([`${base}/pxe/vmlinuz`]);
    t.equal(r.status, 200, r.err);
    t.equal(sha(r.body), sha(kernel), 'the 3 MiB file arrives intact');
    t.match(r.headers, /^Accept-Ranges: bytes\r?$/im);
    t.match(r.headers, new RegExp(`^Content-Length: ${kernel.length}\\r?$`, 'im'));
    const h = curl(['-I', `${base}/boot.ipxe`]);
    t.equal(h.status, 200);
    t.match(h.headers, /^Content-Length: 18\r?$/im, 'HEAD tells the length');
    t.match(h.headers, /^Content-Type: text\/plain/im);
    t.equal(curl([`${base}/boot.ipxe`]).body.toString(), '#!ipxe\necho hello\n');
    t.equal(curl([`${base}/empty`]).status, 200, 'an empty file');
    t.equal(sha(curl([`${base}/inside-link`]).body), sha(kernel), 'a symbolic link that stays inside is followed');
    t.equal(curl(['-X', 'PUT', '-d', 'x', `${base}/boot.ipxe`]).status, 405, 'read-only');
  });

  await t.test('ranges', async (t) => {
    const r = curl(['-r', '1000-1999', `${base}/pxe/vmlinuz`]);
    t.equal(r.status, 206);
    t.match(r.headers, new RegExp(`^Content-Range: bytes 1000-1999/${kernel.length}\\r?$`, 'im'));
    t.equal(sha(r.body), sha(kernel.subarray(1000, 2000)));
    const tail = curl(['-r', '-100', `${base}/pxe/vmlinuz`]);
    t.equal(sha(tail.body), sha(kernel.subarray(kernel.length - 100)), 'the last 100 octets');
    const open = curl(['-r', `${kernel.length - 5}-`, `${base}/pxe/vmlinuz`]);
    t.equal(open.body.length, 5);
    const past = curl(['-r', `${kernel.length}-`, `${base}/pxe/vmlinuz`]);
    t.equal(past.status, 416, 'a range past the end');
    t.match(past.headers, new RegExp(`^Content-Range: bytes \\*/${kernel.length}\\r?$`, 'im'));
    // curl -C - resumes a partial download with a Range request: the result is the whole file.
    const part = path.join(dir, 'resumed');
    writeFileSync(part, kernel.subarray(0, 1_000_000));
    const c = spawnSync('curl', ['-s', '-S', '-C', '-', '-o', part, `${base}/pxe/vmlinuz`]);
    t.equal(c.status, 0, c.stderr.toString());
    t.equal(sha(readFileSync(part)), sha(kernel), 'curl -C - resumes to the same file');
    const etag = /^ETag: (.*?)\r?$/im.exec(r.headers)?.[1] ?? '';
    t.equal(curl(['-r', '0-9', '-H', `If-Range: ${etag}`, `${base}/pxe/vmlinuz`]).status, 206, 'If-Range with the current ETag: the range');
    t.equal(curl(['-r', '0-9', '-H', 'If-Range: "old"', `${base}/pxe/vmlinuz`]).status, 200, 'If-Range with another ETag: the whole file');
  });

  await t.test('every way out of the root is refused, with the reason in the log', async (t) => {
    const refused: [string, number, RegExp][] = [
      ['/../secret', 403, /'\.\.' component/],
      ['/pxe/../../secret', 403, /'\.\.' component/],
      ['/%2e%2e/secret', 403, /'\.\.' component/],
      ['/escape', 403, /symbolic link leads outside/],
      ['/zero', 403, /symbolic link leads outside/],
      ['/fifo', 403, /not a regular file/],
      ['/private', 403, /not readable by everyone/],
      ['/pxe', 404, /a directory/],
      ['/', 404, /no listings/],
      ['/missing', 404, /no such file/],
      [`/${'x'.repeat(300)}`, 404, /255 octets/],
    ];
    for (const [p, status, why] of refused) {
      const r = curl(['--path-as-is', `${base}${p}`]);
      t.equal(r.status, status, `${p.slice(0, 40)}: ${status}`);
      t.notMatch(r.body.toString(), /outside the root/, 'nothing of the file outside');
      t.ok(await waitFor(() => why.test(triad.output()), 3000), `logged: ${why}`);
    }
    const raw = await new Promise<string>((resolve) => {
      const s = net.connect(http, '127.0.0.1', () => s.write('GET /boot.ipxe HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n'));
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      s.on('close', () => resolve(got));
      s.on('error', () => resolve(got));
    });
    t.match(raw, /^HTTP\/1\.1 400/, 'a malformed request: 400, and the server goes on');
    t.equal(curl([`${base}/boot.ipxe`]).status, 200, 'still serving');
  });
  await t.test('connections are bounded: 256 idle ones hold the server, the next is closed, then it serves again', async (t) => {
    const idle: net.Socket[] = [];
    for (let i = 0; i < 256; i++) {
      const s = net.connect(http, '127.0.0.1');
      s.on('error', () => undefined);
      await new Promise<void>((r) => s.once('connect', () => r()));
      idle.push(s);
    }
    await new Promise((r) => setTimeout(r, 200));
    const over = curl([`${base}/boot.ipxe`]);
    t.equal(over.status, 0, 'the 257th connection gets no answer');
    for (const s of idle) s.destroy();
    t.ok(await waitFor(() => spawnSync('curl', ['-s', '-f', `${base}/boot.ipxe`]).status === 0, 5000), 'served again once they are gone');
  });

  await t.test('reload: a new directory at once; a broken file keeps the running settings', async (t) => {
    const other = path.join(dir, 'other');
    mkdirSync(other);
    writeFileSync(path.join(other, 'only-here'), 'from the other directory\n');
    const file = path.join(conf, 'tftpd-hpa');
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, `${good}TRIAD_HTTP_DIRECTORY="${other}"\n`);
    triad.signal('SIGHUP');
    t.ok(await waitFor(() => spawnSync('curl', ['-s', '-f', `${base}/only-here`]).status === 0, 5000), 'the new directory is served');
    t.equal(curl([`${base}/boot.ipxe`]).status, 404, 'and the old one no longer');
    writeFileSync(file, `${good}TRIAD_HTTP_DIRECTORY="${other}"\nTRIAD_HTTP_ADDRESS="127.0.0.1:99999"\n`);
    const before = triad.output().length;
    triad.signal('SIGHUP');
    t.ok(await waitFor(() => /TRIAD_HTTP_ADDRESS 127\.0\.0\.1:99999: expected/.test(triad.output().slice(before)), 5000), 'the mistake is logged');
    t.equal(curl([`${base}/only-here`]).status, 200, 'and the running settings serve on');
  });
});

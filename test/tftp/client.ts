// What the TFTP peer tests share: running a client tool, and one request from a fresh socket.
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { decodePacket, type TftpPacket } from '../../src/tftp/packet.js';

/** Runs a client tool; a tool that cannot start is an error naming it (never a skip). */
export function run(cmd: string, args: string[], timeoutMs = 120_000): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw new Error(`${cmd} could not run: ${r.error.message} (test/install-deps.sh installs it)`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Sends one request from a fresh socket; returns the first answer (and from which port). */
export async function ask(port: number, req: Buffer): Promise<{ p: TftpPacket | string; from: number; sock: dgram.Socket }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer in 5 s')), 5000);
    sock.once('message', (msg, rinfo) => {
      clearTimeout(timer);
      resolve({ p: decodePacket(msg), from: rinfo.port, sock });
    });
    sock.send(req, port, '127.0.0.1');
  });
}

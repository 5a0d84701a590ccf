// Writes the datagrams of an RTM_GETLINK and an RTM_GETADDR (IPv4) dump, one hex line
// each, to stdout: how test/fixtures/netlink/dump.hex was made (run it inside a namespace).

import koffi from 'koffi';
import { lib } from '../../src/net/packet-io.js';

const c = lib();
const fd = c.socket(16, 3, 0);
const sa = Buffer.alloc(12);
sa.writeUInt16LE(16, 0);
if (fd < 0 || c.bind(fd, sa, 12) < 0) throw new Error(`netlink: errno ${koffi.errno()}`);
const buf = Buffer.alloc(1 << 16);
for (const [type, bodyLen, family] of [[18, 16, 0], [22, 8, 2]]) {
  const req = Buffer.alloc(16 + bodyLen);
  req.writeUInt32LE(req.length, 0);
  req.writeUInt16LE(type, 4);
  req.writeUInt16LE(0x301, 6);
  req.writeUInt32LE(type, 8);
  req[16] = family;
  c.send(fd, req, req.length, 0);
  for (let done = false; !done; ) {
    const n = c.recv(fd, buf, buf.length, 0);
    if (n <= 0) break;
    process.stdout.write(buf.subarray(0, n).toString('hex') + '\n');
    done = buf.readUInt16LE(4) === 3 || buf.subarray(0, n).includes(Buffer.from([3, 0, 2, 0]));
  }
}
c.close(fd);

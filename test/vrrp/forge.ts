// Sends one forged or malformed VRRP advertisement (priority 254, which would win an
// election if it were accepted): `node forge.js KIND SRC DST`.
import { openRawIp } from '../../src/net/raw-ip.js';
import { findLink } from '../../src/net/link.js';
import { encodeAdvert, IPPROTO_VRRP } from '../../src/vrrp/packet.js';
import { parseIPv4 } from '../../src/wire/ipv4.js';

const [kind, srcText, dstText] = process.argv.slice(2);
const src = parseIPv4(srcText) as number;
const dst = parseIPv4(dstText) as number;
const vip = parseIPv4('10.77.0.100') as number;
const link = findLink('eth0');
if (!link) throw new Error('no eth0');
const sock = openRawIp(IPPROTO_VRRP, 'eth0', link.index, []);
const v3 = (vrid = 51): Buffer => encodeAdvert({ version: 3, vrid, priority: 254, interval: 100, addresses: [vip] }, src, dst);
const v2 = (pass?: string): Buffer => encodeAdvert({ version: 2, vrid: 51, priority: 254, interval: 100, addresses: [vip], authPass: pass }, src, dst);
let msg: Buffer;
let ttl = 255;
switch (kind) {
  case 'wrong-vrid':
    msg = v3(52);
    break;
  case 'bad-checksum':
    msg = v3();
    msg[6] ^= 0x5a;
    break;
  case 'ttl':
    msg = v3();
    ttl = 64;
    break;
  case 'truncated':
    msg = v3().subarray(0, 10);
    break;
  case 'wrong-pass':
    msg = v2('wrong');
    break;
  case 'good-v3':
    msg = v3();
    break;
  default:
    throw new Error(`unknown kind ${kind}`);
}
sock.send(msg, src, dst, ttl);
await sock.close();

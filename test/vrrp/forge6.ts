// Sends one forged or malformed IPv6 VRRP advertisement (priority 254, which would win an
// election if it were accepted) to ff02::12 on eth0: `node forge6.js KIND`.
import { readFileSync } from 'node:fs';
import { findLink } from '../../src/net/link.js';
import { openRawIp6, parseIfInet6 } from '../../src/net/raw-ip6.js';
import { encodeAdvert6, IPPROTO_VRRP, VRRP_GROUP6 } from '../../src/vrrp/packet.js';
import { ip6Bytes } from '../../src/vrrp/ipv6.js';

const kind = process.argv[2];
const link = findLink('eth0');
if (!link) throw new Error('no eth0');
const addrs = parseIfInet6(readFileSync('/proc/net/if_inet6', 'utf8'), 'eth0');
const ll = addrs.find((a) => a.linkLocal && !a.tentative)?.addr;
const global = addrs.find((a) => !a.linkLocal)?.addr;
if (!ll || !global) throw new Error('eth0 needs a link-local and a global IPv6 address');
const src = kind === 'global-source' ? global : ll;
const sock = openRawIp6(IPPROTO_VRRP, 'eth0', link.index, src, [], kind === 'hop-limit' ? 64 : 255);
const adv = (vrid = 61): Buffer => encodeAdvert6({ vrid, priority: 254, interval: 100, addresses: [ip6Bytes('fd00:77::100')] }, src, VRRP_GROUP6);
let msg: Buffer;
switch (kind) {
  case 'wrong-vrid':
    msg = adv(62);
    break;
  case 'bad-checksum':
    msg = adv();
    msg[6] ^= 0x5a;
    break;
  case 'hop-limit':
  case 'global-source':
    msg = adv();
    break;
  case 'truncated':
    msg = adv().subarray(0, 12);
    break;
  default:
    throw new Error(`unknown kind ${kind}`);
}
sock.send(msg, VRRP_GROUP6);
await sock.close();

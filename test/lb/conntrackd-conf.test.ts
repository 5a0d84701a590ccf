import t from 'tap';
import { renderConntrackdConf } from '../../src/lb/conntrackd.js';

t.test('conntrackd.conf from lvs_sync_daemon: FT-FW over multicast on the sync interface, own addresses ignored', async (t) => {
  const text = renderConntrackdConf({ dir: '/var/lib/triad/conntrackd', iface: 'eth0', src: '10.77.0.1', ignore: ['10.77.0.1', '10.88.0.1'] });
  t.match(text, /Mode FTFW/);
  t.match(text, /IPv4_address 225\.0\.0\.50\n\s+Group 3780\n\s+IPv4_interface 10\.77\.0\.1\n\s+Interface eth0/);
  t.match(text, /UNIX \{\n\s+Path \/var\/lib\/triad\/conntrackd\/conntrackd\.ctl/);
  t.match(text, /LockFile \/var\/lib\/triad\/conntrackd\/conntrackd\.lock/);
  const ignored = [...text.matchAll(/^\s+IPv4_address (\S+)$/gm)].map((m) => m[1]).filter((a) => a !== '225.0.0.50');
  t.same(ignored, ['127.0.0.1', '10.77.0.1', '10.88.0.1'], 'loopback and the box\'s own addresses, each once');
  t.match(text, /Protocol Accept \{\n\s+TCP\n\s+UDP/);
});

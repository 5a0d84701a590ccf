import t from 'tap';
import { destinationText } from '../../src/dhcp/reply.js';

t.test('where a reply goes, as the send-failure log says it', async (t) => {
  t.equal(destinationText({ kind: 'relay', ip: 0x0a370001, port: 67 }, 68), 'relay 10.55.0.1:67');
  t.equal(destinationText({ kind: 'unicast', ip: 0xc0a80005 }, 68), '192.168.0.5:68');
  t.equal(destinationText({ kind: 'hw', ip: 0xc0a80006, mac: Buffer.from('020000000006', 'hex') }, 68), '192.168.0.6 at 02:00:00:00:00:06');
  t.equal(destinationText({ kind: 'broadcast' }, 68), 'broadcast');
});

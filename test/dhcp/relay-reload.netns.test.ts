// A SIGHUP with a broken relay file keeps the relay serving its running configuration
// (and `triad ctl status` says the reload failed, with file:line:col); a client on the
// relay's link still gets an address afterwards. Relay and server in one `triad run`:
//   client eth0 ── rl0 [server ns, relay on rl0] br0 (DHCP server 192.168.117.1)

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NetnsLab, sh, sleep, labPrerequisites } from './netns-lab.js';
import { BIN_TRIAD, REPO_ROOT } from '../helpers/paths.js';

async function waitFor(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

t.test('relay reload with a broken file', { timeout: 180_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'busybox']))) return;
  const lab = new NetnsLab('trr');
  t.teardown(() => lab.cleanup());
  await lab.setupServer('192.168.117.1/24');
  const nearNs = lab.name('near');
  await lab.addNs(nearNs);
  await lab.link(lab.serverNs, 'rl0', '192.168.119.1/24', nearNs, 'eth0', '');
  const conf = lab.file('dhcpd.conf', readFileSync(path.join(REPO_ROOT, 'conf', 'dhcpd.conf'), 'utf8') + '\nsubnet 192.168.119.0 netmask 255.255.255.0 {\n  range 192.168.119.100 192.168.119.150;\n  option routers 192.168.119.1;\n}\n');
  const relayConf = lab.file('isc-dhcp-relay', 'SERVERS="192.168.117.1"\nINTERFACES="rl0"\nOPTIONS="-a"\n');
  const server = await lab.startTriad(conf, lab.file('triad.leases'), 'br0', ['--relay-conf', relayConf]);
  await waitFor('relay in run', () => server.output().includes('dhcp relay serving'));

  const client = async (out: string): Promise<string> => {
    await sh(`ip -n ${nearNs} addr flush dev eth0`);
    await sh(`UDHCPC_OUT=${lab.dir}/${out} ip netns exec ${nearNs} busybox udhcpc -i eth0 -f -q -n -t 6 -T 2 -s ${lab.udhcpcScript()} 2>&1`, 60_000).catch(() => undefined);
    return lab.read(out);
  };
  t.match(await client('before.out'), /bound ip=192\.168\.119\.1\d\d /, 'a client of the relay link gets an address');

  // Line 1, column 10: an expansion the file may not hold.
  writeFileSync(relayConf, 'SERVERS="$X"\nINTERFACES="rl0"\nOPTIONS="-a"\n');
  server.kill('SIGHUP');
  await waitFor('reload failure', () => server.output().includes('dhcp-relay: reload failed; keeping the running configuration'));
  t.match(server.output(), new RegExp(`${relayConf.replace(/[.]/g, '\\.')}:1:10: error: shell expansion`), 'the error is logged with file:line:col');
  const r = spawnSync(process.execPath, [BIN_TRIAD, 'ctl', 'status', '--json', '--data-dir', lab.dir], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const relay = (JSON.parse(r.stdout) as { services: { name: string; state: string; reload?: { ok: boolean; errors: { line: number; col: number }[] } }[] }).services.find((s) => s.name === 'dhcp-relay');
  t.match(relay, { state: 'running', reload: { ok: false, errors: [{ line: 1, col: 10 }] } }, 'ctl status: running, the reload failed');

  t.match(await client('after.out'), /bound ip=192\.168\.119\.1\d\d /, 'the relay still serves its running configuration');
  server.kill('SIGTERM');
});

// `kill -9` during a burst of clients loses no acknowledged lease: every address a client
// got a DHCPACK for is in the lease file (and listed by `triad leases`) after a restart.

import t from 'tap';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NetnsLab, sh, sleep, which, labPrerequisites } from './netns-lab.js';
import { parseLeaseFile } from '../../src/dhcp/lease-file.js';
import { formatIPv4 } from '../../src/config/dhcp-options.js';
import { BIN_TRIAD } from '../helpers/paths.js';

const CLIENTS = 120;

t.test('kill -9 during a burst loses no acknowledged lease', { timeout: 300_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'busybox']))) return;
  const lab = new NetnsLab('tdk');
  t.teardown(() => lab.cleanup());
  await lab.setupServer('10.77.0.1/16');
  const conf = lab.file(
    'dhcpd.conf',
    `authoritative;
default-lease-time 3600;
subnet 10.77.0.0 netmask 255.255.0.0 {
  range 10.77.1.0 10.77.9.255;
  option routers 10.77.0.1;
}
`,
  );
  const leases = lab.file('dhcpd.leases');
  const server = await lab.startTriad(conf, leases, 'br0');
  const ns = await lab.addClient('c');
  // Each client is its own host: a macvlan with its own MAC on the client link. (Clients
  // sharing one MAC could take each other's replies: udhcpc seeds its transaction ID from
  // the microsecond clock, so two of a burst can pick the same one.)
  const links = lab.file('links.batch', Array.from({ length: CLIENTS }, (_, i) =>
    `link add link eth0 name m${i} address 02:aa:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')} type macvlan mode bridge\nlink set m${i} up\n`).join(''));
  await sh(`ip -n ${ns} -batch ${links}`);
  const script = lab.file('record.sh', '#!/bin/sh\n[ "$1" = bound ] && echo "$ip" > "$UDHCPC_OUT"\nexit 0\n');
  await sh(`chmod +x ${script} && mkdir -p ${lab.dir}/acks`);
  // Each client has its own client identifier and its own link. One shell starts them all at once.
  const launcher = lab.file(
    'burst.sh',
    `#!/bin/sh\nfor i in $(seq 0 ${CLIENTS - 1}); do\n  id=$(printf '01aa%010x' $i)\n  UDHCPC_OUT=${lab.dir}/acks/$id busybox udhcpc -i m$i -f -q -n -t 4 -T 1 -s ${script} -x 0x3d:$id >/dev/null 2>&1 &\ndone\nwait\n`,
  );
  const burst = lab.spawnIn(ns, 'sh', [launcher]);
  // Kill the server in the middle of the burst.
  const deadline = Date.now() + 60_000;
  while (readdirSync(`${lab.dir}/acks`).length < CLIENTS / 8 && Date.now() < deadline) await sleep(2);
  server.kill('SIGKILL');
  const killedAfter = readdirSync(`${lab.dir}/acks`).length;
  if (burst.exitCode === null) await new Promise((r) => burst.once('exit', r));
  const acked = new Map<string, string>();
  for (const f of readdirSync(`${lab.dir}/acks`)) {
    const ip = readFileSync(path.join(lab.dir, 'acks', f), 'utf8').trim();
    if (ip) acked.set(f, ip);
  }
  t.ok(acked.size >= killedAfter && acked.size > 0, `${acked.size} clients were ACKed (${killedAfter} when the kill was sent)`);
  t.ok(acked.size < CLIENTS, `the kill interrupted the burst (${CLIENTS - acked.size} clients got no lease)`);

  // The file as the killed server left it.
  const { leases: onDisk } = parseLeaseFile(leases, readFileSync(leases, 'utf8'));
  const byIp = new Map([...onDisk.values()].map((l) => [formatIPv4(l.ip), l]));
  let missing = 0;
  for (const [id, ip] of acked) {
    const l = byIp.get(ip);
    if (!l || l.state !== 'active' || l.uid?.toString('hex') !== id) {
      missing++;
      const found = l ? `the file has it ${l.state} for ${l.uid?.toString('hex') ?? 'no client identifier'}` : 'the file has no record of it';
      t.fail(`ACKed lease ${ip} for client ${id} missing from the lease file: ${found}`);
    }
  }
  t.equal(missing, 0, 'every acknowledged lease is in the lease file');

  // And after a restart (which compacts the file), `triad leases` lists each of them.
  const again = await lab.startTriad(conf, leases, 'br0');
  await sleep(500);
  const listed = (await sh(`${process.execPath} ${BIN_TRIAD} leases --leases ${leases}`)).stdout;
  const listedIps = new Set(listed.split('\n').slice(1).map((l) => l.split(/\s+/)[0]));
  t.ok([...acked.values()].every((ip) => listedIps.has(ip)), `triad leases lists all ${acked.size} acknowledged leases after restart`);
  writeFileSync(path.join(lab.dir, 'done'), '');
  again.kill('SIGTERM');
});

// Everything a pair of Triads serves on a VRRP address follows VRRP: DNS with
// `listen-on { VIP; }` and a DR virtual server (nft engine) on the VIP. The backup
// starts without the address and listens as soon as it gets it. A client runs dig and
// curl loops against the VIP while the master is killed with kill -9: both answer
// before, fail only between the kill and the backup's takeover, and answer after.
// DHCP on the VRRP instance's interface: only the master answers (udhcpc's lease comes
// from a, b stays silent), and b once it has taken over.
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { REPO_ROOT } from '../helpers/paths.js';
import { instanceConf, VIP, VrrpLab } from './lab.js';

const RS_SERVER = path.join(REPO_ROOT, 'dist', 'test', 'lb', 'rs-server.js');
const WWW = '10.77.0.80';

const vs = `virtual_server ${VIP} 80 {
  delay_loop 1
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server 10.77.0.4 80 {
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
`;

function dnsFiles(dir: string): Record<string, string> {
  return {
    'named.conf': `options {
  listen-on { ${VIP}; };
  listen-on-v6 { none; };
  recursion no;
};
zone "lab.test" { type primary; file "${path.join(dir, 'lab.test.zone')}"; };
`,
    'lab.test.zone': `$TTL 60
@ IN SOA ns hostmaster 1 3600 600 86400 60
@ IN NS ns
ns IN A ${VIP}
www IN A ${WWW}
`,
    'dhcpd.conf': `authoritative;
default-lease-time 600;
subnet 10.77.0.0 netmask 255.255.255.0 {
  range 10.77.0.150 10.77.0.160;
}
`,
  };
}

interface Probe {
  at: number;
  ok: boolean;
}

t.test('DNS and a virtual server on a VRRP address: answered before, during and after kill -9 of the master', async (t) => {
  const lab = new VrrpLab();
  t.teardown(() => lab.cleanup());
  lab.build(['a', 'b', 'c', 'r']);
  lab.run('r', 'ip', 'addr', 'add', `${VIP}/32`, 'dev', 'lo');
  lab.run('r', 'sysctl', '-q', '-w', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2');
  lab.spawnIn('r', [process.execPath, RS_SERVER, 'rs1', '0.0.0.0', '80']);
  // Two DNS workers on each box: the listener on the VIP is shared through node:cluster.
  const a = lab.startTriad('a', instanceConf({ prio: 150, version: 2 }) + vs, dnsFiles(lab.confDir('a')), ['--dns-workers', '2']);
  lab.startTriad('b', instanceConf({ prio: 100, version: 2 }) + vs, dnsFiles(lab.confDir('b')), ['--dns-workers', '2']);
  await lab.waitFor('a MASTER with the VIP, b BACKUP', async () => (await lab.state('a')) === 'MASTER' && lab.hasVip('a') && (await lab.state('b')) === 'BACKUP');

  const dig = (): Promise<boolean> => run(lab.ns('c'), ['dig', `@${VIP}`, '+short', '+time=1', '+tries=1', 'www.lab.test', 'A']).then((o) => o.trim() === WWW);
  const curl = (): Promise<boolean> => run(lab.ns('c'), ['curl', '-s', '-m', '1', `http://${VIP}/`]).then((o) => o.startsWith('rs1 '));
  await lab.waitFor('dig @VIP answered by a', dig, 30000);
  await lab.waitFor('curl through a', curl, 30000);
  t.ok(lab.logs.get('b')?.some((l) => l.includes('listening as soon as it appears')), 'b waits for the VIP instead of failing');
  t.notOk(lab.hasVip('b'), 'the backup does not hold the VIP');
  t.equal(await udhcpc(lab), '10.77.0.1', 'DHCP: the lease comes from the master');
  t.ok(lab.logs.get('b')?.some((l) => l.includes('dhcp serving')), 'DHCP runs on b');
  t.notOk(lab.logs.get('b')?.some((l) => l.includes('DHCPOFFER')), 'DHCP: the backup offered nothing');

  const digs: Probe[] = [];
  const curls: Probe[] = [];
  let looping = true;
  const loop = async (probe: () => Promise<boolean>, into: Probe[]): Promise<void> => {
    while (looping) {
      const at = Date.now();
      into.push({ at, ok: await probe() });
      await new Promise((r) => setTimeout(r, 150));
    }
  };
  const loops = Promise.all([loop(dig, digs), loop(curl, curls)]);
  await new Promise((r) => setTimeout(r, 1500));
  const killedAt = Date.now();
  await lab.kill9(a);
  await lab.waitFor('b MASTER with the VIP', async () => (await lab.state('b')) === 'MASTER' && lab.hasVip('b'));
  const takeoverSeen = Date.now();
  // Probes started one advertisement interval (1 s) after b reported MASTER must all succeed.
  await lab.waitFor('a few probes after the takeover', () => digs.filter((p) => p.at > takeoverSeen + 1000).length >= 5 && curls.filter((p) => p.at > takeoverSeen + 1000).length >= 5, 30000);
  looping = false;
  await loops;

  for (const [what, probes] of [['dig', digs], ['curl', curls]] as const) {
    const before = probes.filter((p) => p.at < killedAt);
    const after = probes.filter((p) => p.at > takeoverSeen + 1000);
    t.ok(before.length > 0 && before.every((p) => p.ok), `${what}: every probe before the kill answered (${before.filter((p) => p.ok).length}/${before.length})`);
    t.ok(after.length > 0 && after.every((p) => p.ok), `${what}: every probe from one advertisement interval after b became master answered (${after.filter((p) => p.ok).length}/${after.length})`);
    const lost = probes.filter((p) => !p.ok);
    t.ok(lost.every((p) => p.at >= killedAt - 1000 && p.at <= takeoverSeen + 1000), `${what}: the ${lost.length} lost probe(s) all fall in the failover window`);
  }
  t.ok(lab.logs.get('b')?.some((l) => l.includes('listening (the address is now on this host)')), 'b listened on the VIP when it took it');
  t.equal(await udhcpc(lab), '10.77.0.2', 'DHCP: after the takeover the lease comes from b');
});

/** busybox udhcpc in the client namespace (configuring nothing): the server the lease came from. */
async function udhcpc(lab: VrrpLab): Promise<string | undefined> {
  const out = await run(lab.ns('c'), ['sh', '-c', 'busybox udhcpc -i eth0 -q -n -t 4 -T 1 -s /bin/true 2>&1']);
  return /obtained from ([0-9.]+)/.exec(out)?.[1];
}

/** Runs a command in a namespace; its stdout ('' on failure). */
function run(ns: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? out : '');
    });
  });
}

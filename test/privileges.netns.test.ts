// `triad run -u nobody` as root: once DNS (with a cluster worker), DHCP, the relay and TFTP listen, the
// process is nobody with exactly the capabilities README documents for them
// (CAP_NET_BIND_SERVICE, CAP_NET_RAW) in its effective, permitted, bounding and
// ambient sets; the DNS worker is nobody with none. dig gets answers, dhclient a
// lease that is written to the lease file (0640, nobody's), a client behind the relay
// an address, TFTP a download and an upload (0640, nobody's), and a SIGHUP reload after the drop serves a changed zone. With the load balancer and VRRP instead, the
// process keeps CAP_NET_ADMIN and CAP_NET_RAW, and a VRRP address, a reload's new VIP
// and nft rules are still made (and removed at stop) after the drop.
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import { BIN_TRIAD } from './helpers/paths.js';
import path from 'node:path';
import { NetnsLab, sh, sleep, labPrerequisites } from './dhcp/netns-lab.js';
import { capMask, procStatus } from '../src/privileges.js';

const waitFor = async (what: () => boolean | Promise<boolean>, ms: number): Promise<boolean> => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await what()) return true;
    await sleep(100);
  }
  return false;
};

t.test('triad run -u nobody: uid, capabilities, DNS, DHCP, the relay, TFTP, a lease written, reload after the drop', { timeout: 90_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'dig', 'dhclient', 'busybox']))) return;
  const lab = new NetnsLab('tpv');
  t.teardown(() => lab.cleanup());
  await lab.setupServer('10.79.0.1/24');
  const zone = (serial: number, extra = ''): string => `$TTL 300\n@ SOA ns root ${serial} 1h 10m 1w 5m\n@ NS ns\nns A 10.79.0.1\nwww A 10.79.0.80\n${extra}`;
  lab.file('lab.zone', zone(1));
  const named = lab.file('named.conf', `options {\n  directory "${lab.dir}";\n  listen-on port 53 { 10.79.0.1; };\n  listen-on-v6 { none; };\n  recursion no;\n};\nzone "priv.test" { type primary; file "lab.zone"; };\n`);
  const conf = lab.file('dhcpd.conf', 'authoritative;\ndefault-lease-time 600;\nsubnet 10.79.0.0 netmask 255.255.255.0 {\n  range 10.79.0.100 10.79.0.120;\n}\nsubnet 10.80.0.0 netmask 255.255.255.0 {\n  range 10.80.0.100 10.80.0.120;\n  option routers 10.80.0.1;\n}\n');
  const leases = lab.file('dhcpd.leases');
  // The relay in the same run: a client link rl0 whose requests go to the server on br0.
  const nearNs = lab.name('near');
  await lab.addNs(nearNs);
  await lab.link(lab.serverNs, 'rl0', '10.80.0.1/24', nearNs, 'eth0', '');
  const relayConf = lab.file('isc-dhcp-relay', 'SERVERS="10.79.0.1"\nINTERFACES="rl0"\nOPTIONS="-a"\n');
  // TFTP on port 69 with uploads (--create).
  mkdirSync(path.join(lab.dir, 'tftp'));
  lab.file('tftp/boot.txt', 'boot file\n');
  const tftpConf = lab.file('tftpd-hpa', `TFTP_USERNAME="tftp"\nTFTP_DIRECTORY="${lab.dir}/tftp"\nTFTP_ADDRESS="10.79.0.1:69"\nTFTP_OPTIONS="--secure --create"\n`);
  const server = await lab.startTriad(conf, leases, 'br0', ['--named-conf', named, '--dns-workers', '1', '--relay-conf', relayConf, '--tftpd-conf', tftpConf, '-u', 'nobody']);
  if (!t.ok(await waitFor(() => /running as nobody/.test(server.output()), 10_000), 'triad says it dropped to nobody')) t.comment(server.output());
  const pid = server.pid!;

  const nobody = { uid: Number((await sh('id -u nobody')).stdout), gid: Number((await sh('id -g nobody')).stdout) };
  const st = procStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
  t.equal(st.uid, nobody.uid, 'Uid is nobody');
  t.equal(st.gid, nobody.gid, 'Gid is nobody\'s group');
  const want = capMask(['CAP_NET_BIND_SERVICE', 'CAP_NET_RAW']);
  for (const set of ['CapEff', 'CapPrm', 'CapBnd', 'CapAmb']) t.equal(st.caps[set].toString(16), want.toString(16), `${set}: CAP_NET_BIND_SERVICE and CAP_NET_RAW only (DNS, DHCP, relay)`);
  const groups = /^Groups:\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1].trim().split(/\s+/).filter(Boolean).map(Number) ?? [];
  t.notOk(groups.includes(0), `no root group among the supplementary groups (${groups.join(' ')})`);

  // The DNS worker: a child of the primary (found by its parent pid), nobody, no capabilities.
  const dnsWorkers = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      if (readFileSync(`/proc/${d}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1] !== String(pid)) return [];
      if (!/worker/.test(readFileSync(`/proc/${d}/cmdline`, 'utf8'))) return [];
      return [{ pid: Number(d), s: procStatus(readFileSync(`/proc/${d}/status`, 'utf8')) }];
    } catch {
      return [];
    }
  });
  const checkWorkers = (when: string): number[] => {
    const workers = dnsWorkers();
    t.equal(workers.length, 1, `one DNS worker (${when})`);
    for (const w of workers) {
      t.equal(w.s.uid, nobody.uid, `the worker is nobody (${when})`);
      for (const set of ['CapEff', 'CapPrm', 'CapAmb']) t.equal(w.s.caps[set], 0n, `the worker's ${set} is empty (${when})`);
    }
    return workers.map((w) => w.pid);
  };
  const [firstWorker] = checkWorkers('started before the drop');

  const ns = await lab.addClient('c', '02:00:00:00:79:01');
  // '' when nothing answers (dig's exit status 9), so that a wait can ask again.
  const dig = async (name: string): Promise<string> => (await sh(`ip netns exec ${ns} dig +short +time=2 +tries=2 @10.79.0.1 ${name} A`).catch(() => ({ stdout: '' }))).stdout.trim();

  // DHCP: dhclient gets a lease (which also configures the address dig then uses).
  const out = path.join(lab.dir, 'c.out');
  await sh(`ip netns exec ${ns} dhclient -4 -v -1 -sf ${lab.dhclientScript(out)} -lf ${lab.dir}/c.leases -pf ${lab.dir}/c.pid eth0 2>&1; echo rc=$?`, 60_000);
  await sh(`kill $(cat ${lab.dir}/c.pid)`).catch(() => undefined);
  const ip = /BOUND ip=(\S+)/.exec(lab.read('c.out'))?.[1] ?? '';
  t.match(ip, /^10\.79\.0\.1(0\d|1\d|20)$/, `dhclient bound ${ip}`);
  t.ok(await waitFor(() => readFileSync(leases, 'utf8').includes(`lease ${ip} {`), 5000), 'the lease is in the lease file');
  const ls = statSync(leases);
  t.equal(ls.uid, nobody.uid, 'the lease file is nobody\'s');
  t.equal(ls.mode & 0o077 & ~0o040, 0, `the lease file is not for others (mode ${(ls.mode & 0o777).toString(8)})`);
  const sock = statSync(path.join(lab.dir, 'control.sock'));
  t.equal(sock.mode & 0o777, 0o600, 'the control socket is owner-only');

  // DNS answers, and a reload after the drop (the files must stay readable) serves the change.
  t.equal(await dig('www.priv.test'), '10.79.0.80', 'dig gets the answer');
  writeFileSync(path.join(lab.dir, 'lab.zone'), zone(2, 'new A 10.79.0.81\n'));
  const before = (server.output().match(/"msg":"reloaded"/g) ?? []).length;
  process.kill(pid, 'SIGHUP');
  t.ok(await waitFor(() => (server.output().match(/"msg":"reloaded"/g) ?? []).length > before, 15_000), 'the SIGHUP reload went through');
  t.ok(await waitFor(async () => (await dig('new.priv.test')) === '10.79.0.81', 10_000), 'the changed zone is served after the reload');
  if (!t.notMatch(server.output(), /permission denied|EACCES|EPERM/i, 'no permission error in the log')) t.comment(server.output());
  t.equal(procStatus(readFileSync(`/proc/${pid}/status`, 'utf8')).uid, nobody.uid, 'still nobody');
  // TFTP after the drop: a download, and an upload written 0640 as nobody.
  const tftpDir = path.join(lab.dir, 'client-tftp');
  mkdirSync(tftpDir);
  writeFileSync(path.join(tftpDir, 'up.txt'), 'uploaded\n');
  await sh(`cd ${tftpDir} && ip netns exec ${ns} busybox tftp -g -r boot.txt -l got.txt 10.79.0.1 && ip netns exec ${ns} busybox tftp -p -l up.txt -r up.txt 10.79.0.1`, 30_000);
  t.equal(readFileSync(path.join(tftpDir, 'got.txt'), 'utf8'), 'boot file\n', 'TFTP download');
  const up = statSync(path.join(lab.dir, 'tftp', 'up.txt'));
  t.equal(up.uid, nobody.uid, 'the TFTP upload is written as nobody');
  t.equal((up.mode & 0o777).toString(8), '640', 'with mode 0640');

  // The relay after the drop and the reload: a client of its link gets an address.
  await sh(`UDHCPC_OUT=${lab.dir}/near.out ip netns exec ${nearNs} busybox udhcpc -i eth0 -f -q -n -t 6 -T 2 -s ${lab.udhcpcScript()} 2>&1`, 60_000).catch(() => undefined);
  t.match(lab.read('near.out'), /bound ip=10\.80\.0\.1\d\d /, 'a client behind the relay gets an address');

  // A worker restarted after the drop (here: killed) has no capability either.
  process.kill(firstWorker, 'SIGKILL');
  t.ok(await waitFor(() => dnsWorkers().some((w) => w.pid !== firstWorker), 15_000), 'the worker is restarted');
  // Once it answers it has started (it gives its capabilities up first thing).
  t.ok(await waitFor(async () => (await dig('new.priv.test')) === '10.79.0.81', 15_000), 'the restarted worker answers');
  checkWorkers('restarted after the drop');
});

t.test('triad run -u with an unknown user: refused before anything starts', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-priv-'));
  const r = spawnSync(process.execPath, [BIN_TRIAD, 'run', '--conf-dir', dir, '--data-dir', path.join(dir, 'data'), '-u', 'no-such-user-here'], { encoding: 'utf8', timeout: 20_000 });
  t.equal(r.status, 2, 'exit status 2');
  t.match(r.stdout + r.stderr, /-u no-such-user-here: no such user/);
});

t.test('triad run -u nobody with the load balancer and VRRP: nft and addresses still change after the drop', { timeout: 60_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'nft']))) return;
  const ns = `tpl${Math.random().toString(36).slice(2, 7)}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-priv-lb-'));
  await sh(`chmod 755 ${dir} && ip netns add ${ns} && ip -n ${ns} link set lo up && ip -n ${ns} link add eth0 type veth peer name eth9 && ip -n ${ns} link set eth0 up && ip -n ${ns} link set eth9 up && ip -n ${ns} addr add 10.66.0.1/24 dev eth0`);
  let child: ReturnType<typeof spawn> | undefined;
  t.teardown(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await sh(`ip netns del ${ns}`).catch(() => undefined);
  });
  const vs = (vip: string, rs: string[]): string => `virtual_server ${vip} 80 {\n  delay_loop 5\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${rs.map((r) => `  real_server ${r} 8080 {\n  }\n`).join('')}}\n`;
  const vrrp = 'vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 51\n  priority 150\n  advert_int 1\n  virtual_ipaddress {\n    10.66.0.50/24\n  }\n}\n';
  const conf = path.join(dir, 'keepalived.conf');
  writeFileSync(conf, vrrp + vs('10.66.0.100', ['10.66.0.2']), { mode: 0o644 });
  child = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN_TRIAD, 'run', '--conf-dir', path.join(dir, 'none'), '--data-dir', path.join(dir, 'data'), '--lb-conf', conf, '-u', 'nobody'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const pid = child.pid!;
  if (!t.ok(await waitFor(() => /running as nobody/.test(out), 15_000), 'triad dropped to nobody')) t.comment(out);
  const st = procStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
  t.equal(st.uid, Number((await sh('id -u nobody')).stdout), 'Uid is nobody');
  for (const set of ['CapEff', 'CapPrm', 'CapBnd', 'CapAmb']) t.equal(st.caps[set].toString(16), capMask(['CAP_NET_ADMIN', 'CAP_NET_RAW']).toString(16), `${set}: CAP_NET_ADMIN and CAP_NET_RAW only (load balancer and VRRP)`);
  const addrs = async (): Promise<string> => (await sh(`ip -n ${ns} -4 addr show dev eth0`)).stdout;
  const table = async (): Promise<string> => (await sh(`ip netns exec ${ns} nft list table ip triad`).catch(() => ({ stdout: '' }))).stdout;
  t.ok(await waitFor(async () => (await addrs()).includes('10.66.0.50/24'), 10_000), 'VRRP became master after the drop and added its address');
  t.match(await table(), /10\.66\.0\.2\b/, 'the nft table has the real server');

  writeFileSync(conf, vrrp + vs('10.66.0.100', ['10.66.0.2', '10.66.0.3']) + vs('10.66.0.101', ['10.66.0.4']));
  process.kill(pid, 'SIGHUP');
  t.ok(await waitFor(async () => (await addrs()).includes('10.66.0.101/32') && /10\.66\.0\.3\b/.test(await table()) && /10\.66\.0\.4\b/.test(await table()), 10_000), 'after a reload as nobody: the new VIP is added and nft has the new real servers');
  if (!t.notMatch(out, /permission denied|EACCES|EPERM|Operation not permitted/i, 'no permission error in the log')) t.comment(out);
  process.kill(pid, 'SIGTERM');
  await new Promise((r) => (child!.exitCode !== null || child!.signalCode !== null ? r(undefined) : child!.once('exit', r)));
  t.equal(child.exitCode, 0, 'stopped cleanly');
  t.equal(await table(), '', 'the nft table is removed at stop');
  t.notMatch(await addrs(), /10\.66\.0\.(50|100|101)\//, 'the addresses are removed at stop');
});

// Requests the UDP socket on port 67 never sees are still answered. The server is woken by
// that socket while busy (net/packet-io.ts, UdpSender.withWakeups); here an nftables rule in
// the server's namespace drops every datagram to port 67 before it reaches a socket (the
// packet sockets see frames earlier, so they still get them), which leaves only the idle
// poll() and the busy fallback drain. perfdhcp, acting as a relay, keeps the server busy.

import t from 'tap';
import { NetnsLab, sh, labPrerequisites } from './netns-lab.js';

/** perfdhcp's "received packets" of the second exchange (REQUEST → ACK). */
function acks(out: string): number {
  const recv = [...out.matchAll(/received packets: (\d+)/g)].map((m) => Number(m[1]));
  return recv[1] ?? 0;
}

t.test('without UDP wake-ups (port 67 dropped before the socket) every exchange still completes', { timeout: 120_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'perfdhcp', 'nft']))) return;
  const lab = new NetnsLab('tdw');
  t.teardown(() => lab.cleanup());
  await lab.addNs(lab.serverNs);
  const perfNs = lab.name('prf');
  await lab.addNs(perfNs);
  await lab.link(lab.serverNs, 's0', '10.58.0.1/16', perfNs, 'p0', '10.58.0.2/16');
  const conf = lab.file('dhcpd.conf', 'authoritative;\ndefault-lease-time 3600;\nsubnet 10.58.0.0 netmask 255.255.0.0 {\n  range 10.58.1.1 10.58.9.254;\n}\n');
  const server = await lab.startTriad(conf, lab.file('dhcpd.leases'), 's0');
  t.match(server.output(), /wake the server on its event loop/, 'the UDP socket wakes the server (the path whose fallback is tested)');
  const perf = async (what: string): Promise<number> => acks((await sh(`ip netns exec ${perfNs} perfdhcp -4 -l p0 -r 200 -R 5000 ${what} -W 2000000 10.58.0.1 2>&1; true`, 60_000)).stdout);

  // With the UDP socket seeing requests: the fast path.
  t.equal(await perf('-n 200'), 200, 'all 200 exchanges complete with wake-ups');

  // The table lives in the test's namespace and goes with it.
  await sh(`ip netns exec ${lab.serverNs} nft -f - <<'EOF'
table ip tdw_wake {
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport 67 counter drop
  }
}
EOF`);
  // Busy (requests within the last second): no kicks arrive, only the fallback drains find them.
  t.equal(await perf('-n 400'), 400, 'all 400 exchanges complete with no datagram reaching the UDP socket');
  const counters = (await sh(`ip netns exec ${lab.serverNs} nft list table ip tdw_wake`)).stdout;
  const dropped = Number(/packets (\d+)/.exec(counters)?.[1] ?? 0);
  t.ok(dropped >= 800, `the rule dropped every request to port 67 (${dropped})`);
  t.equal(server.exitCode, null, 'the server is still running');
});

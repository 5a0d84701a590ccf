// A real Prometheus (Debian's) scrapes Triad's /metrics every second while dnsperf and
// perfdhcp load it, in a namespace of the test's own: its query API returns the DNS
// request rate and the DHCP addresses assigned (as many as the lease file holds), and
// `promtool check metrics` passes on a scrape taken under that load. Prometheus runs
// on the namespace's loopback with a temporary configuration and data folder, started
// and stopped by its PID.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { NetnsLab, labPrerequisites, sh, sleep } from '../dhcp/netns-lab.js';
import { parseLeaseFile } from '../../src/dhcp/lease-file.js';
import { pollFor } from '../helpers/tools.js';
import { promtoolCheck, sumOf } from './scrape.js';

const TOOLS = ['ip', 'curl', 'dnsperf', 'perfdhcp', 'prometheus', 'promtool'];
const STATS = 8053;
const PROM = 9090;
const DNS = 53;

function activeLeases(file: string): number {
  const { leases } = parseLeaseFile(file, readFileSync(file, 'utf8'));
  const now = Date.now() / 1000;
  return [...leases.values()].filter((l) => l.state === 'active' && l.ends > now).length;
}

t.test('Prometheus scrapes Triad: DNS request rate and DHCP assigned addresses', { timeout: 90_000 }, async (t) => {
  if (!(await labPrerequisites(t, TOOLS))) return;
  const lab = new NetnsLab('tpm');
  t.teardown(() => lab.cleanup());
  await lab.setupServer('10.83.0.1/24');
  const pf = await lab.addClient('pf', '02:00:00:00:83:50');
  await sh(`ip -n ${pf} addr add 10.83.0.50/24 dev eth0`);
  lab.file('example.test.zone', '$TTL 300\n@ IN SOA ns1 host 1 3600 600 86400 300\n@ IN NS ns1\nns1 IN A 10.83.0.1\nwww IN A 10.83.0.80\n');
  const namedConf = lab.file('named.conf', `options { directory "${lab.dir}"; listen-on port ${DNS} { 10.83.0.1; }; listen-on-v6 { none; }; recursion no; };
statistics-channels { inet 127.0.0.1 port ${STATS}; };
zone "example.test" { type primary; file "example.test.zone"; };
`);
  const dhcpConf = lab.file('dhcpd.conf', 'authoritative;\ndefault-lease-time 600;\nsubnet 10.83.0.0 netmask 255.255.255.0 {\n  range 10.83.0.100 10.83.0.199;\n}\n');
  const leases = lab.file('dhcpd.leases', '');
  const triad = await lab.startTriad(dhcpConf, leases, 'br0', ['--named-conf', namedConf, '--dns-workers', '2']);
  await pollFor('the statistics channel', async () => (/statistics channel listening/.test(triad.output()) ? true : undefined), 20_000, () => triad.output());

  const promConf = lab.file('prometheus.yml', `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: triad\n    static_configs:\n      - targets: ['127.0.0.1:${STATS}']\n`);
  const prom = lab.spawnIn(lab.serverNs, 'prometheus', [`--config.file=${promConf}`, `--storage.tsdb.path=${lab.dir}/prom-data`, `--web.listen-address=127.0.0.1:${PROM}`]);
  const api = async (query: string): Promise<number | undefined> => {
    const r = await sh(`ip netns exec ${lab.serverNs} curl -s -m 2 --data-urlencode 'query=${query}' http://127.0.0.1:${PROM}/api/v1/query`);
    const j = JSON.parse(r.stdout) as { status: string; data: { result: { value: [number, string] }[] } };
    return j.status === 'success' && j.data.result.length ? Number(j.data.result[0].value[1]) : undefined;
  };
  await pollFor('Prometheus ready', async () => ((await sh(`ip netns exec ${lab.serverNs} curl -s -m 1 http://127.0.0.1:${PROM}/-/ready`)).stdout.includes('Ready') ? true : undefined), 30_000, () => prom.output().slice(-2000));
  await pollFor('the first scrape', async () => ((await api('up{job="triad"}')) === 1 ? true : undefined), 20_000, () => prom.output().slice(-2000));

  // Load: dnsperf for 8 s and perfdhcp's 30 clients at the same time.
  lab.file('queries.txt', 'www.example.test A\nexample.test SOA\nnx.example.test A\n');
  const perf = lab.spawnIn(pf, 'dnsperf', ['-s', '10.83.0.1', '-p', String(DNS), '-d', `${lab.dir}/queries.txt`, '-l', '8', '-Q', '300']);
  const dhcp = sh(`ip netns exec ${pf} perfdhcp -4 -l eth0 -r 20 -R 30 -n 30 -p 10 -b mac=02:bb:00:00:00:00 -W 2000000 2>&1; true`, 60_000);
  await sleep(2000);
  const scrape = await sh(`ip netns exec ${lab.serverNs} curl -s -m 2 http://127.0.0.1:${STATS}/metrics`);
  const lint = await promtoolCheck(scrape.stdout);
  t.equal(lint.code, 0, `promtool check metrics passes under DNS and DHCP load${lint.output ? `: ${lint.output}` : ''}`);
  t.ok(sumOf(scrape.stdout, 'triad_dhcp4_packets_received_total', { type: 'discover' }) > 0, 'DISCOVERs counted (Kea pkt4-discover-received)');

  const rate = await pollFor('a DNS request rate from Prometheus', async () => {
    const v = await api('sum(rate(triad_dns_requests_total[5s]))');
    return v !== undefined && v > 0 ? v : undefined;
  }, 15_000);
  t.ok(rate > 0, `Prometheus computes the DNS request rate from Triad's counters (${rate.toFixed(1)}/s while dnsperf runs)`);

  const dhcpOut = (await dhcp).stdout;
  const held = activeLeases(leases);
  if (!t.ok(held >= 10, `perfdhcp's clients got leases (${held})`)) t.comment(dhcpOut);
  const assigned = await pollFor('assigned addresses in Prometheus', async () => {
    const v = await api('sum(triad_dhcp4_subnet_assigned_addresses{subnet="10.83.0.0/24"})');
    return v === held ? v : undefined;
  }, 15_000, () => `lease file: ${held}`);
  t.equal(assigned, held, 'Prometheus holds as many assigned addresses as the lease file');
  t.equal(await api('sum(triad_dhcp4_subnet_total_addresses{subnet="10.83.0.0/24"})'), 100, 'the pool size (Kea total-addresses)');
  t.ok(((await api('sum(triad_dhcp4_packets_sent_total{type="ack"})')) ?? 0) >= held, 'ACKs sent (Kea pkt4-ack-sent)');
  t.ok(((await api('triad_dhcp4_lease_file_sync_seconds_count')) ?? 0) >= 1, 'lease-file syncs observed in the latency histogram');
  t.equal(await api('triad_dhcp4_allocation_fail_total'), 0, 'no allocation failure with addresses to spare');
  await new Promise((r) => (perf.exitCode !== null ? r(undefined) : perf.once('exit', r)));
  t.match(perf.output(), /Queries completed/, 'dnsperf ran');
});

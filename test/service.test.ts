// The service contract without sockets: one rule for finding every configuration file,
// typed options with errors for bad values, `triad check` looping over the service list,
// and the list itself (every service has a definition with its check, options and commands).
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { parseArgs } from '../src/args.js';
import { locateConfig, runOptionsFrom, validateOption, validateOptions, type RunOptions } from '../src/service.js';
import { SERVICES, serviceOptions } from '../src/services.js';
import { TRACKABLE_SERVICES } from '../src/channels/health.js';
import { checkServices } from '../src/check.js';
import type { Diagnostic } from '../src/config/diagnostics.js';
import { dnsWorkers } from '../src/dns/definition.js';
import { lbDatapath, lbTimeouts } from '../src/lb/definition.js';
import { dhcpInterfaces } from '../src/dhcp/definition.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-contract-'));
const opts = (files: Record<string, string> = {}, flags: RunOptions['flags'] = {}): RunOptions => ({
  confDir: dir, dataDir: path.join(dir, 'data'), files, flags, log: pino({ level: 'silent' }),
});

t.test('one rule finds every configuration file', async (t) => {
  const where = { file: 'x.conf', option: 'x-conf' };
  t.equal(locateConfig(opts(), where), undefined, 'nothing in CONF_DIR: not configured');
  writeFileSync(path.join(dir, 'x.conf'), '');
  t.equal(locateConfig(opts(), where), path.join(dir, 'x.conf'), 'CONF_DIR/FILE when present');
  const other = path.join(dir, 'other.conf');
  writeFileSync(other, '');
  t.equal(locateConfig(opts({ 'x-conf': other }), where), other, 'the option wins');
  t.throws(() => locateConfig(opts({ 'x-conf': path.join(dir, 'gone.conf') }), where), new RegExp(`${path.join(dir, 'gone.conf').replace(/[.]/g, '\\.')}: file not found \\(named by --x-conf\\)`), 'a named file that is missing is an error naming it');
  for (const d of SERVICES) {
    t.throws(() => d.locate(opts({ [d.config.option]: path.join(dir, 'missing') })), /file not found/, `${d.name} follows the rule`);
  }
});

t.test('a file option without its file is an error, never dropped', async (t) => {
  t.throws(() => runOptionsFrom(parseArgs(['--dhcpd-conf', '--strict'], ['strict'])), { name: 'OptionError', message: '--dhcpd-conf needs a FILE' });
  t.throws(() => runOptionsFrom(parseArgs(['--named-conf'])), /--named-conf needs a FILE/);
  const o = runOptionsFrom(parseArgs(['--lb-conf', 'k.conf', '--dns-workers', '2', '--conf-dir', dir]));
  t.equal(o.files['lb-conf'], path.resolve('k.conf'));
  t.equal(o.flags['dns-workers'], '2');
  t.equal(o.confDir, dir);
});

t.test('typed options: values are checked, with what is expected', async (t) => {
  t.equal(dnsWorkers(opts({}, { 'dns-workers': '0' })), 0);
  t.equal(dnsWorkers(opts()), undefined);
  t.throws(() => dnsWorkers(opts({}, { 'dns-workers': 'two' })), /--dns-workers two: a whole number from 0 to 1024 is expected/);
  t.same(lbTimeouts(opts({}, { 'lb-timeout-udp': '30' })), { tcp: 900, tcpFin: 120, udp: 30 });
  t.throws(() => lbTimeouts(opts({}, { 'lb-timeout-tcp': '15m' })), /--lb-timeout-tcp 15m: a whole number/);
  t.throws(() => lbTimeouts(opts({}, { 'lb-timeout-tcp': '0' })), /from 1 to/);
  t.equal(lbDatapath(opts({}, { 'lb-datapath': 'packet' })), 'packet');
  t.throws(() => lbDatapath(opts({}, { 'lb-datapath': 'ebpf' })), /--lb-datapath ebpf: one of nft, packet, userspace is expected/);
  t.same(dhcpInterfaces(opts({}, { interfaces: 'eth1, eth2' })), ['eth1', 'eth2']);
  t.throws(() => dhcpInterfaces(opts({}, { interfaces: true })), /--interfaces needs a value/);
  t.throws(() => validateOption({ name: 'strict', kind: 'flag', summary: '' }, 'yes'), /--strict takes no value/);
  t.throws(() => validateOptions(parseArgs(['--lb-timeout-udp', 'x']), serviceOptions()), { name: 'OptionError' }, 'run validates every service option');
  t.doesNotThrow(() => validateOptions(parseArgs(['--dns-workers', '4', '--lb-datapath', 'nft']), serviceOptions()));
});

t.test('every service has one definition: name, file, check, create, options, commands, control', async (t) => {
  t.same(SERVICES.map((d) => d.name), ['dns', 'lb', 'dhcp', 'dhcp-relay', 'vrrp', 'tftp', 'httpboot', 'pxe-proxy']);
  t.same([...TRACKABLE_SERVICES].sort(), SERVICES.map((d) => d.name).filter((n) => n !== 'vrrp').sort(), 'track_service accepts every service but VRRP itself');
  t.same(SERVICES.map((d) => d.config.option), ['named-conf', 'lb-conf', 'dhcpd-conf', 'relay-conf', 'lb-conf', 'tftpd-conf', 'tftpd-conf', 'pxe-proxy-conf'], 'VRRP reads the load balancer\'s keepalived.conf; HTTP boot the TFTP file');
  const names = SERVICES.flatMap((d) => d.commands ?? []).map((c) => c.name);
  t.same(names.sort(), ['checkzone', 'compilezone', 'leases', 'relay']);
  const ctl = Object.fromEntries(SERVICES.map((d) => [d.name, d.control?.commands.map((c) => c.name) ?? []]));
  t.same(ctl, { dns: ['stats', 'flush', 'reload', 'dumpdb', 'zonestatus', 'refresh', 'retransfer', 'notify', 'querylog'], lb: ['show', 'status', 'list', 'drain', 'undrain', 'sync'], dhcp: ['leases', 'ha', 'stats', 'release', 'fixed-host'], 'dhcp-relay': [], vrrp: ['show', 'status'], tftp: ['show', 'status'], httpboot: ['show', 'status'], 'pxe-proxy': ['show', 'status'] });
  const aliases = SERVICES.flatMap((d) => d.control?.commands.filter((c) => c.alias).map((c) => c.name) ?? []);
  t.same(aliases, ['stats', 'flush', 'reload', 'dumpdb', 'zonestatus'], "today's top-level spellings stay");
});

t.test('triad check loops over the services: each checks its own file', async (t) => {
  const conf = mkdtempSync(path.join(os.tmpdir(), 'triad-check-'));
  writeFileSync(path.join(conf, 'dhcpd.conf'), 'subnet 10.0.0.0 netmask 255.255.255.0 {\n  range 10.0.0.10 10.0.0.5000;\n}\n');
  writeFileSync(path.join(conf, 'keepalived.conf'), 'virtual_server 10.0.0.100 80 {\n  lb_algo lblc\n  lb_kind NAT\n  lb_datapath packet\n  protocol TCP\n  real_server 10.0.0.3 80 {\n  }\n}\n');
  const diags: Diagnostic[] = [];
  const errors: string[] = [];
  const o = { ...opts({ 'named-conf': path.join(conf, 'named.conf') }), confDir: conf };
  const r = await checkServices(SERVICES, o, { diagnostic: (d) => diags.push(d), info: () => undefined, error: (f, m) => errors.push(`${f}: ${m}`) });
  t.equal(r.ok, false);
  t.equal(r.found, 3, 'named.conf (named but missing), dhcpd.conf and keepalived.conf');
  t.match(errors, [/named\.conf: file not found \(named by --named-conf\)/], 'the missing named.conf is reported, not skipped');
  t.ok(diags.some((d) => d.file === path.join(conf, 'dhcpd.conf') && d.line === 2 && d.severity === 'error'), 'dhcpd.conf checked by the DHCP definition');
  const lb = diags.find((d) => d.file === path.join(conf, 'keepalived.conf'));
  t.match(lb, { line: 2, severity: 'error', message: /scheduler 'lblc' is not implemented by Triad's engines/ }, 'lblc with the packet engine fails check');
  t.notMatch(lb?.message ?? '', /use the userspace engine|or the userspace engine/, 'and does not recommend the packet engine it already names');
});

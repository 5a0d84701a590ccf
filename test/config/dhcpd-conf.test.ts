import t from 'tap';
import path from 'node:path';
import { parseDhcpdConf } from '../../src/config/dhcpd-conf.js';
import { FIXTURES, REPO_ROOT } from '../helpers/paths.js';
import { formatIPv4 } from '../../src/config/dhcp-options.js';
import { formatDiagnostic } from '../../src/config/diagnostics.js';

const parse = (text: string) => parseDhcpdConf('test.conf', text);
const errs = (text: string) => parse(text).sink.errors.map((e) => `${e.line}:${e.col} ${e.message}`);

t.test('the seed lab dhcpd.conf', async (t) => {
  const { conf, sink } = parseDhcpdConf(path.join(REPO_ROOT, 'conf', 'dhcpd.conf'));
  t.same(sink.errors, [], 'no errors');
  t.same(sink.warnings, [], 'no warnings');
  t.equal(conf.subnets.length, 1);
  const s = conf.subnets[0];
  t.equal(formatIPv4(s.network), '192.168.117.0');
  t.equal(formatIPv4(s.mask), '255.255.255.0');
  const pool = conf.pools[0];
  t.equal(formatIPv4(pool.ranges[0].start), '192.168.117.100');
  t.equal(formatIPv4(pool.ranges[0].end), '192.168.117.199');
  t.equal(conf.global.options.get(15)?.toString(), 'cafe.babe', 'domain-name is text');
  t.same([...conf.global.options.get(6)!], [192, 168, 117, 1], 'domain-name-servers');
  t.same([...s.scope.options.get(3)!], [192, 168, 117, 254], 'routers in the subnet scope');
  t.equal(formatIPv4(s.scope.params.nextServer!), '192.168.117.10');
  t.equal(s.scope.params.filename, 'pxelinux.0');
  t.equal(conf.global.params.authoritative, true);
  const ae86 = conf.hosts.find((h) => h.name === 'ae86')!;
  t.equal(ae86.hwAddr?.toString('hex'), 'ae86cafebabe');
  t.same(ae86.fixedAddresses.map(formatIPv4), ['192.168.117.86']);
});

t.test('the broken lab file: each mistake at its line and column', async (t) => {
  const { sink } = parseDhcpdConf(path.join(FIXTURES, 'dhcp', 'lab-dhcpd-broken.conf'));
  t.same(
    sink.errors.map((e) => `${e.line}:${e.col}`),
    ['5:25', '8:20'],
    'text after a semicolon (line 5) and the unquoted domain name (line 8)',
  );
  t.match(sink.errors[1].message, /quoted/);
});

t.test('option values are type-checked like dhcpd -t', async (t) => {
  t.same(errs('option domain-name cafe,babe;\n'), ['1:24 semicolon expected.'], 'cafe,babe: at the comma, as dhcpd says');
  t.match(errs('option routers "10.0.0.1";\n')[0], /^1:16 .*expecting IP address/);
  t.match(errs('option interface-mtu 70000;\n')[0], /^1:22 70000 exceeds max \(65535\)/);
  t.match(errs('option ip-forwarding maybe;\n')[0], /^1:22 boolean/);
  t.match(errs('option no-such-option 1;\n')[0], /^1:8 unknown option dhcp\.no-such-option/);
  t.same(errs('option time-offset -18000;\noption domain-search "a.example", "b.example";\noption dhcp-client-identifier 01:02:03;\n'), []);
  const { conf } = parse('option my-opt code 200 = { ip-address, unsigned integer 16 };\noption my-opt 10.0.0.1 8080;\n');
  t.same([...conf.global.options.get(200)!], [10, 0, 0, 1, 0x1f, 0x90], 'user-defined record option encoded');
  const arr = parse('option static-routes 10.1.0.0 10.0.0.1, 10.2.0.0 10.0.0.2;\n').conf.global.options.get(33)!;
  t.equal(arr.length, 16, 'array of address pairs');
});

t.test('every error of a file is reported, with scoping rules', async (t) => {
  const e = errs(`host a {\n  host b { }\n}\nrange 10.0.0.1 10.0.0.2;\noption routers x,;\nsubnet 10.0.0.0 netmask 255.0.0.0 { range 11.0.0.1 11.0.0.2; }\n`);
  t.equal(e.length, 4, e.join(' | '));
  t.match(e[0], /^2:3 host declarations not allowed here/);
  t.match(e[1], /^4:1 range declaration not allowed here/);
  t.match(e[2], /^5:/);
  t.match(e[3], /^6:.*not on the subnet/);
});

t.test('unsupported but valid statements warn once', async (t) => {
  const { sink } = parse('do-forward-updates on;\ndo-forward-updates off;\n');
  t.same(sink.errors, []);
  t.equal(sink.warnings.filter((w) => /do-forward-updates/.test(w.message)).length, 1, 'one warning for two uses');
});

t.test('classes, pools with permits, groups and shared networks', async (t) => {
  const { conf, sink } = parse(`
class "pxe" { match if substring(option vendor-class-identifier, 0, 9) = "PXEClient"; filename "pxe.efi"; }
shared-network lab {
  subnet 10.1.0.0 netmask 255.255.255.0 { option routers 10.1.0.1; }
  pool { range 10.1.0.10 10.1.0.20; allow members of "pxe"; deny unknown-clients; }
}
group { default-lease-time 60; host h { hardware ethernet 00:11:22:33:44:55; fixed-address 10.1.0.5; } }
`);
  t.same(sink.errors, []);
  t.equal(conf.classes.get('pxe')?.scope.params.filename, 'pxe.efi');
  t.same(conf.pools[0].allow, [{ kind: 'members-of', cls: 'pxe' }]);
  t.same(conf.pools[0].deny, [{ kind: 'unknown-clients' }]);
  t.equal(conf.hosts[0].scope.parent?.params.defaultLeaseTime, 60, 'host inherits from its group');
  t.equal(conf.sharedNetworks[0].name, 'lab');
});

t.test('a regular expression that does not compile is a config error at the pattern, with its line and caret', async (t) => {
  const text = 'class "pxe" {\n  match if option vendor-class-identifier ~= "^PXE(Client";\n}\n';
  const { sink, conf } = parse(text);
  t.match(errs(text), [/^2:46 invalid regular expression "\^PXE\(Client": /], 'file:line:col of the pattern');
  const [head, line, caret] = formatDiagnostic(sink.errors[0]).split('\n');
  t.match(head, /^test\.conf:2:46: error: invalid regular expression/);
  t.match(line, /match if option vendor-class-identifier ~= "\^PXE\(Client";/, 'the offending line');
  t.equal(caret.indexOf('^'), line.indexOf('"^PXE'), 'a caret under the pattern');
  t.notOk(conf.classes.get('pxe')?.matchIf, 'the class has no condition that would never match');
  const ok = parse('class "pxe" {\n  match if option vendor-class-identifier ~~ "^pxe";\n}\n');
  t.same(ok.sink.errors, [], 'a valid pattern is accepted');
  const m = ok.conf.classes.get('pxe')?.matchIf;
  t.ok(m && (m.op === '~~') && m.re?.test('PXEClient'), 'and compiled once, case-insensitive for ~~');
});

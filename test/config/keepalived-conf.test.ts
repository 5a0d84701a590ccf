import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadKeepalivedConf, parseKeepalivedConf } from '../../src/config/keepalived-conf.js';
import { DiagnosticSink, formatDiagnostic } from '../../src/config/diagnostics.js';
import { FIXTURES } from '../helpers/paths.js';

const parse = (text: string) => {
  const sink = new DiagnosticSink();
  const conf = parseKeepalivedConf('k.conf', text, sink);
  return { conf, sink };
};

t.test('full keepalived file: values, defaults, groups, checks', async (t) => {
  const sink = new DiagnosticSink();
  const conf = loadKeepalivedConf(path.join(FIXTURES, 'lb', 'full.conf'), sink);
  t.same(sink.errors.map(formatDiagnostic), []);
  t.equal(conf.virtualServers.length, 3);
  const [dr, g1, g2] = conf.virtualServers;
  t.equal(dr.key, '10.0.0.100:80/TCP');
  t.equal(dr.kind, 'DR');
  t.equal(dr.algo, 'wrr');
  t.equal(dr.persistenceTimeout, 50);
  t.equal(dr.persistencePrefix, 24);
  t.equal(dr.quorum, 2);
  t.equal(dr.hysteresis, 1);
  t.same(dr.sorryServer, { ip: '10.0.0.9', port: 80 });
  t.equal(dr.alpha, true);
  t.equal(dr.delayLoop, 6);
  const [rs1, rs2] = dr.realServers;
  t.equal(rs1.weight, 3);
  t.equal(rs1.checks[0].kind, 'TCP_CHECK');
  t.equal(rs1.checks[0].connectTimeout, 3);
  t.equal(rs1.checks[0].connectPort, 80);
  t.equal(rs1.checks[0].delayLoop, 6, 'check inherits the virtual server delay_loop');
  t.equal(rs1.checks[0].retry, 1);
  t.equal(rs2.weight, 1, 'keepalived default weight');
  t.equal(rs2.inhibitOnFailure, true);
  const h = rs2.checks[0];
  t.equal(h.kind, 'HTTP_GET');
  t.equal(h.retry, 3);
  t.equal(h.delayBeforeRetry, 2);
  t.same(h.urls, [{ path: '/health', statusCodes: [[200, 200]], digest: '9b3a0c85a887a256d6939da88aabd8cd' }]);
  t.same([g1.key, g2.key], ['10.0.0.110:80/UDP', '10.0.0.111:80/UDP']);
  t.equal(g1.algo, 'mh');
  t.equal(g1.hashPort, true);
  t.equal(g1.kind, 'NAT');
  t.equal(g1.delayLoop, 60, 'keepalived default delay_loop');
  const m = g1.realServers[0].checks[0];
  t.equal(m.miscPath, '/bin/true');
  t.equal(m.miscDynamic, true);
  t.equal(m.miscTimeout, 4);
  t.equal(g1.realServers[1].checks[0].kind, 'PING_CHECK');
  t.equal(g1.realServers[1].checks[0].connectTimeout, 5, 'keepalived default connect_timeout');
  t.equal(g1.realServers[1].weight, 1);
  const warns = sink.warnings.map((d) => d.message);
  t.same(warns.filter((w) => /vrrp|global_defs/.test(w)), [], 'VRRP blocks and global_defs are read, not warned about');
  t.same(conf.vrrp.instances.map((i) => [i.name, i.vrid, i.priority, i.vips[0].ip]), [['VI_1', 51, 150, '10.0.0.100']]);
  t.equal(conf.vrrp.globals.routerId, 'LVS_LAB');
});

t.test('unknown keywords are errors with position and caret; every error reported', async (t) => {
  const { sink } = parse('virtual_server 10.0.0.1 80 {\n  lb_algo rr\n  wieght 3\n  real_server 10.0.0.2 80 {\n    weigth 2\n  }\n}\nbogus_top 1\n');
  const errs = sink.errors;
  t.equal(errs.length, 3);
  t.equal(`${errs[0].line}:${errs[0].col}`, '3:3');
  t.match(formatDiagnostic(errs[0]), /k\.conf:3:3: error: unknown keyword 'wieght' in virtual_server\n {4} {2}wieght 3\n {4} {2}\^/);
  t.equal(`${errs[1].line}:${errs[1].col}`, '5:5');
  t.match(errs[2].message, /unknown keyword 'bogus_top' in the top level/);
});

t.test('bad values: address, port, scheduler, weight, digest', async (t) => {
  const { sink } = parse(
    'virtual_server 10.0.0.300 80 {\n}\nvirtual_server 10.0.0.1 99999 {\n}\nvirtual_server 10.0.0.2 80 {\n lb_algo xx\n real_server 10.0.0.3 80 {\n  weight -1\n  HTTP_GET {\n   url {\n    path /\n    digest zz\n   }\n  }\n }\n}\n',
  );
  const msgs = sink.errors.map((d) => `${d.line}:${d.col} ${d.message}`);
  t.match(msgs[0], /^1:16 '10\.0\.0\.300' is not an IP address/);
  t.match(msgs[1], /^3:25 '99999' is not a port/);
  t.match(msgs[2], /^6:10 unknown scheduler 'xx'/);
  t.match(msgs[3], /^8:10 weight: expected an integer/);
  t.match(msgs[4], /^12:12 digest must be 32 hex/);
  t.equal(msgs.length, 5);
});

t.test('not-implemented options warn once each and parse on', async (t) => {
  const { conf, sink } = parse('virtual_server 10.0.0.1 80 {\n lb_algo rr\n ha_suspend\n ops\n real_server 10.0.0.2 80 {\n  notify_up /x\n  SSL_GET {\n  }\n }\n}\nvirtual_server fwmark 1 {\n}\n');
  t.equal(sink.errors.length, 0);
  t.equal(sink.warnings.length, 5);
  t.equal(conf.virtualServers.length, 1);
  t.equal(conf.virtualServers[0].realServers.length, 1);
});

t.test('missing lb_algo warns and uses wrr; braces on their own line; one-line blocks', async (t) => {
  const { conf, sink } = parse('virtual_server 10.0.0.1 80\n{\n real_server 10.0.0.2 80 { weight 4 }\n}\n');
  t.equal(sink.errors.length, 0);
  t.match(sink.warnings[0].message, /no lb_algo/);
  t.equal(conf.virtualServers[0].algo, 'wrr');
  t.equal(conf.virtualServers[0].realServers[0].weight, 4);
});

t.test('unbalanced braces are reported', async (t) => {
  const { sink } = parse('virtual_server 10.0.0.1 80 {\n lb_algo rr\n');
  t.match(sink.errors[0].message, /missing '}'/);
  const b = parse('}\n');
  t.match(b.sink.errors[0].message, /unexpected '}'/);
});

t.test('include with a glob, relative to the including file', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kaconf-'));
  writeFileSync(path.join(dir, 'main.conf'), 'include conf.d/*.conf\n');
  const d = path.join(dir, 'conf.d');
  await import('node:fs').then((fs) => fs.mkdirSync(d));
  writeFileSync(path.join(d, 'a.conf'), 'virtual_server 10.0.0.1 80 {\n lb_algo rr\n}\n');
  writeFileSync(path.join(d, 'b.conf'), 'virtual_server 10.0.0.2 80 {\n lb_algo rr\n oops\n}\n');
  writeFileSync(path.join(d, 'c.txt'), 'garbage\n');
  const sink = new DiagnosticSink();
  const conf = loadKeepalivedConf(path.join(dir, 'main.conf'), sink);
  t.equal(conf.virtualServers.length, 2);
  t.equal(sink.errors.length, 1);
  t.equal(sink.errors[0].file, path.join(d, 'b.conf'));
  t.equal(sink.errors[0].line, 3);
});

t.test('DR real server port must match; TUN and lc refused at the right place', async (t) => {
  const { sink } = parse('virtual_server 10.0.0.1 80 {\n lb_algo rr\n lb_kind DR\n real_server 10.0.0.2 8080 {\n }\n}\nvirtual_server 10.0.0.3 80 {\n lb_algo rr\n lb_kind TUN\n}\n');
  t.match(sink.errors[0].message, /DR mode the real server port/);
  t.equal(sink.errors[0].line, 4);
  t.equal(sink.errors.length, 1, 'TUN parses: only the nft engine refuses it (checkKeepalivedConf)');
});

t.test('duplicate virtual servers', async (t) => {
  const { sink } = parse('virtual_server 10.0.0.1 80 {\n lb_algo rr\n}\nvirtual_server 10.0.0.1 80 {\n lb_algo rr\n}\n');
  t.match(sink.errors[0].message, /defined twice/);
  t.equal(sink.errors[0].line, 4);
});

t.test('checkKeepalivedConf refuses what the nft engine cannot serve, at lb_algo', async (t) => {
  const { checkKeepalivedConf } = await import('../../src/lb/config-check.js');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kacheck-'));
  const f = path.join(dir, 'k.conf');
  writeFileSync(f, 'virtual_server 10.0.0.1 80 {\n  lb_algo wlc\n}\nvirtual_server 10.0.0.2 80 {\n  lb_algo mh\n}\n');
  const { sink } = checkKeepalivedConf(f);
  t.equal(sink.errors.length, 1);
  t.equal(`${sink.errors[0].line}:${sink.errors[0].col}`, '2:11');
  t.match(sink.errors[0].message, /'wlc' needs live per-server connection counts.*userspace engine/);
  writeFileSync(f, 'virtual_server 10.0.0.1 80 {\n  lb_algo wlc\n  lb_kind TUN\n}\nvirtual_server 10.0.0.2 80 {\n  lb_algo wlc\n  lb_kind TUN\n  lb_datapath packet\n}\nvirtual_server 10.0.0.3 80 {\n  lb_datapath bogus\n}\n');
  const r = checkKeepalivedConf(f);
  t.same(r.sink.errors.map((e) => e.line), [11, 1, 2], 'bad datapath at parse; TUN and wlc refused for nft only');
  t.match(r.sink.errors[1].message, /TUN is not supported by the nft engine/);
  t.same(r.conf.virtualServers.map((v) => v.datapath), ['nft', 'packet', 'nft']);
  t.equal(checkKeepalivedConf(f, 'packet').sink.errors.length, 1, '--lb-datapath packet serves wlc and TUN everywhere');
  writeFileSync(f, 'global_defs {\n  router_id x\n  lb_datapath packet\n}\nvirtual_server 10.0.0.1 80 {\n  lb_algo lc\n  lb_kind TUN\n}\n');
  const g = checkKeepalivedConf(f);
  t.equal(g.sink.errors.length, 0, 'global_defs lb_datapath packet');
  t.equal(g.conf.virtualServers[0].datapath, 'packet');
});

t.test('a VRRP address as the VIP of a packet-engine virtual server is accepted; lvs_sync_daemon is read and checked', async (t) => {
  const { checkKeepalivedConf } = await import('../../src/lb/config-check.js');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-kconf-'));
  const f = path.join(dir, 'keepalived.conf');
  const vrrp = (pass: string) => `vrrp_instance V {\n  interface eth0\n  virtual_router_id 5\n${pass}  virtual_ipaddress {\n    10.0.0.100/24\n  }\n}\n`;
  const vs = 'virtual_server 10.0.0.100 80 {\n  lb_algo rr\n  lb_kind DR\n  lb_datapath packet\n}\n';
  writeFileSync(f, vrrp('') + vs);
  t.same(checkKeepalivedConf(f).sink.errors, [], 'packet engine on a VRRP address');
  writeFileSync(f, 'global_defs {\n  lvs_sync_daemon eth0 V id 7 port 9000 maxlen 600\n  triad_sync_key s3cret\n}\n' + vrrp('') + vs);
  const ok = checkKeepalivedConf(f);
  t.same(ok.sink.errors, []);
  t.match(ok.conf.syncDaemon, { iface: 'eth0', instance: 'V', syncId: 7, port: 9000, maxLen: 600, group: '224.0.0.81', key: 's3cret' });
  writeFileSync(f, 'global_defs {\n  lvs_sync_daemon eth0 V\n}\n' + vrrp('  authentication {\n    auth_type PASS\n    auth_pass abc\n  }\n') + vs);
  const viaPass = checkKeepalivedConf(f);
  t.same(viaPass.sink.errors, [], 'auth_pass is the key when triad_sync_key is absent');
  t.equal(viaPass.conf.syncDaemon?.key, undefined);
  writeFileSync(f, 'global_defs {\n  lvs_sync_daemon eth0 V\n}\n' + vrrp('') + vs);
  t.match(checkKeepalivedConf(f).sink.errors.map((e) => e.message), [/shared key: set triad_sync_key/], 'no key: an error');
  writeFileSync(f, 'global_defs {\n  lvs_sync_daemon eth0 W port 0 colour red\n  triad_sync_key k\n}\n' + vrrp('') + vs);
  const bad = checkKeepalivedConf(f).sink.errors;
  t.match(bad.map((e) => e.message), [/port must be a number from 1 to 65535/, /unknown option 'colour'/, /no vrrp_instance named W/]);
  t.equal(bad[0].line, 2, 'errors carry the line');
});

import t from 'tap';
import { parseKeepalivedConf } from '../../src/config/keepalived-conf.js';
import { DiagnosticSink, formatDiagnostic } from '../../src/config/diagnostics.js';

const parse = (text: string) => {
  const sink = new DiagnosticSink();
  const conf = parseKeepalivedConf('k.conf', text, sink);
  return { conf, sink, errors: sink.errors.map(formatDiagnostic) };
};

const FULL = `global_defs {
  router_id LB_A
  vrrp_version 3
  vrrp_garp_master_delay 2
  script_user nobody
  enable_script_security
  notification_email { root@localhost }
}
vrrp_script chk_web {
  script "/usr/local/bin/check web"
  interval 2
  timeout 3
  weight -20
  rise 2
  fall 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 0.5
  nopreempt
  preempt_delay 10
  virtual_ipaddress {
    10.0.0.100
    10.0.0.101/24 dev eth1 label eth1:vip
  }
  virtual_ipaddress_excluded {
    10.0.0.200
  }
  unicast_src_ip 10.0.0.1
  unicast_peer {
    10.0.0.2
    10.0.0.3
  }
  track_interface {
    eth1 weight -30
    eth2
  }
  track_script {
    chk_web weight 10
  }
  notify_master "/bin/echo master"
  notify_backup /bin/echo backup
  notify /usr/local/bin/notify-all
  garp_master_delay 1
  no_accept
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  version 2
  authentication {
    auth_type PASS
    auth_pass secret123456
  }
}
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  notify_fault /bin/false
}
`;

t.test('a keepalived.conf with VRRP only: every value, keepalived defaults', async (t) => {
  const { conf, errors, sink } = parse(FULL);
  t.same(errors, []);
  t.same(sink.warnings.map((w) => w.message), []);
  t.equal(conf.virtualServers.length, 0);
  const { instances, scripts, syncGroups, globals } = conf.vrrp;
  t.same(globals, { routerId: 'LB_A', version: 3, garpMasterDelay: 2, garpMasterRepeat: 5, scriptUser: 'nobody', enableScriptSecurity: true });
  t.equal(scripts.length, 1);
  t.match(scripts[0], { name: 'chk_web', script: '/usr/local/bin/check web', interval: 2, timeout: 3, weight: -20, rise: 2, fall: 3 });
  const [a, b] = instances;
  t.match(a, { name: 'VI_1', state: 'BACKUP', iface: 'eth0', vrid: 51, priority: 150, advertInt: 0.5, nopreempt: true, preemptDelay: 10, version: 3, accept: false, garpMasterDelay: 1, unicastSrcIp: '10.0.0.1' });
  t.same(a.vips.map((v) => [v.ip, v.prefix, v.dev, v.label]), [['10.0.0.100', 32, undefined, undefined], ['10.0.0.101', 24, 'eth1', 'eth1:vip']]);
  t.same(a.vipsExcluded.map((v) => v.ip), ['10.0.0.200']);
  t.same(a.unicastPeers, ['10.0.0.2', '10.0.0.3']);
  t.same(a.trackInterfaces.map((x) => [x.name, x.weight]), [['eth1', -30], ['eth2', undefined]]);
  t.same(a.trackScripts.map((x) => [x.name, x.weight]), [['chk_web', 10]]);
  t.same(a.notify, { master: '/bin/echo master', backup: '/bin/echo backup', any: '/usr/local/bin/notify-all' });
  t.match(b, { state: 'BACKUP', priority: 100, advertInt: 1, nopreempt: false, version: 2, accept: true, authPass: 'secret12', garpMasterDelay: 2 });
  t.same(syncGroups.map((g) => [g.name, g.members, g.notify]), [['G1', ['VI_1', 'VI_2'], { fault: '/bin/false' }]]);
});

t.test('mistakes are errors at file:line:col with the line and a caret', async (t) => {
  const { errors } = parse(
    'vrrp_instance A {\n  interface eth0\n  virtual_router_id 300\n  priority 0\n  stat MASTER\n  virtual_ipaddress {\n    10.0.0.300\n    10.0.0.1/24 dve eth0\n  }\n  track_script {\n    nope\n  }\n  version 4\n}\n',
  );
  t.match(errors[0], /^k\.conf:3:21: error: virtual_router_id: expected an integer from 1 to 255, got '300'/);
  t.match(errors[1], /^k\.conf:4:12: error: priority: expected an integer from 1 to 255/);
  t.match(errors[2], /^k\.conf:5:3: error: unknown keyword 'stat' in vrrp_instance\n {4} {2}stat MASTER\n {4} {2}\^/);
  t.match(errors[3], /^k\.conf:7:5: error: '10\.0\.0\.300' is not an IP address/);
  t.match(errors[4], /^k\.conf:8:17: error: unknown virtual_ipaddress option 'dve'/);
  t.match(errors[5], /^k\.conf:13:11: error: VRRP version must be 2 or 3/);
  t.match(errors[6], /virtual_router_id is required/);
  t.match(errors[7], /^k\.conf:11:5: error: track_script: no vrrp_script named 'nope'/);
  t.equal(errors.length, 8);
});

t.test('required keys, duplicates, sync group members', async (t) => {
  const { errors } = parse(
    'vrrp_instance A {\n  virtual_router_id 1\n}\nvrrp_instance B {\n  interface eth0\n  virtual_router_id 7\n}\nvrrp_instance C {\n  interface eth0\n  virtual_router_id 7\n}\nvrrp_sync_group G {\n  group {\n    B\n    Z\n  }\n}\nvrrp_instance D {\n  interface eth0\n  virtual_router_id 9\n  version 2\n  advert_int 0.5\n}\n',
  );
  t.match(errors[0], /k\.conf:1:1: error: vrrp_instance A: interface is required/);
  t.match(errors[1], /k\.conf:8:15: error: vrrp_instance C: virtual_router_id 7 is already used on eth0/);
  t.match(errors[2], /k\.conf:18:1: error: vrrp_instance D: VRRP version 2 carries advert_int in whole seconds/);
  t.match(errors[3], /vrrp_sync_group G: no vrrp_instance named 'Z'/);
  t.equal(errors.length, 4);
});

t.test('AH is refused with a reason; unimplemented options warn once each', async (t) => {
  const { errors, sink } = parse('vrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    fe80::1\n  }\n  authentication {\n    auth_type AH\n  }\n  use_vmac\n}\n');
  t.match(errors[0], /auth_type AH is not supported/);
  t.equal(errors.length, 1);
  t.match(sink.warnings.map((w) => w.message), [/vrrp_instance option 'use_vmac' is accepted but not implemented/]);
});

t.test("IPv6 instances (keepalived's rules): the first address decides the family, the other family's addresses are ignored, version 3", async (t) => {
  const { errors, sink, conf } = parse(
    'vrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n  version 2\n  virtual_ipaddress {\n    fd00:77::100/64\n    10.0.0.1/24\n    fd00:77::101\n  }\n  virtual_ipaddress_excluded {\n    10.0.0.2/24\n  }\n}\n' +
      'vrrp_instance B {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    10.0.0.9/24\n  }\n}\n' +
      'vrrp_instance C {\n  interface eth1\n  virtual_router_id 2\n  unicast_src_ip fd00:1::1\n  unicast_peer {\n    10.1.1.1\n  }\n  virtual_ipaddress {\n    fd00:1::100/129\n  }\n}\n',
  );
  const [a, b] = conf.vrrp.instances;
  t.equal(a.family, 6);
  t.equal(a.version, 3, 'IPv6 instances run version 3');
  t.same(a.vips.map((v) => [v.ip, v.prefix]), [['fd00:77::100', 64], ['fd00:77::101', 128]]);
  t.same(a.vipsExcluded.map((v) => v.ip), ['10.0.0.2'], 'excluded addresses may be of the other family');
  t.equal(b.family, 4, 'the same VRID on the same interface is fine in the other family');
  t.match(sink.warnings.map((w) => w.message), [/10\.0\.0\.1 is IPv4 in an IPv6 instance; ignored/, /IPv6 instances run VRRP version 3/]);
  t.match(errors[0], /prefix \/129 is longer than 128/);
  t.match(errors[1], /vrrp_instance C: unicast_peer 10\.1\.1\.1 is not IPv6 like the instance/);
  t.equal(errors.length, 2);
});

t.test("track_service (Triad's keyword): Triad's services with an optional weight; another name is an error", async (t) => {
  const ok = parse('vrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n  track_service {\n    dns\n    lb weight -20\n  }\n}\n');
  t.same(ok.errors, []);
  t.same(ok.conf.vrrp.instances[0]?.trackServices.map((x) => [x.name, x.weight]), [['dns', undefined], ['lb', -20]]);
  const bad = parse('vrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n  track_service {\n    named\n  }\n}\n');
  t.match(bad.errors[0], /^k\.conf:5:5: error: track_service: 'named' is not one of Triad's services \(dns, dhcp, lb, dhcp-relay, tftp, httpboot, pxe-proxy\)/);
});

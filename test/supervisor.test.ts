// The start-up decision of `triad run` without sockets: which services run when one
// file is broken, the exit code, `--strict`, and what SIGHUP does to a running and
// to a failed service. The services are stand-ins that count their calls.
import t from 'tap';
import { pino } from 'pino';
import { ConfigError, type Diagnostic } from '../src/config/diagnostics.js';
import { decideStartup, type RunOptions, type Service, type ServiceDefinition, type ServiceStatus } from '../src/service.js';
import { formatServiceStatus, Supervisor } from '../src/supervisor.js';

interface Fake {
  def: ServiceDefinition;
  calls: string[];
  /** What the next create/start/reload does. */
  createFails?: unknown;
  startFails?: unknown;
  reloadFails?: unknown;
  configured: boolean;
}

function fake(name: string, calls: string[]): Fake {
  const f: Fake = {
    calls,
    configured: true,
    def: {
      name,
      config: { file: `${name}.conf`, option: `${name}-conf` },
      locate: () => (f.configured ? `/etc/triad/${name}.conf` : undefined),
      check: async () => ({ diagnostics: [], info: [] }),
      create: async () => {
        calls.push(`${name}.create`);
        if (f.createFails) throw f.createFails;
        const svc: Service = {
          name,
          start: async () => {
            calls.push(`${name}.start`);
            if (f.startFails) throw f.startFails;
          },
          reload: async () => {
            calls.push(`${name}.reload`);
            if (f.reloadFails) throw f.reloadFails;
          },
          stop: async () => {
            calls.push(`${name}.stop`);
          },
          detail: () => `${name} detail`,
        };
        return svc;
      },
    },
  };
  return f;
}

const diag = (file: string, line: number, col: number, message: string, lineText: string): Diagnostic => ({ severity: 'error', file, line, col, message, lineText });
const brokenDhcpd = (): ConfigError =>
  new ConfigError([
    diag('/etc/triad/dhcp.conf', 3, 9, "expecting a parameter or declaration", '  range 10.0.0.10 10.0.0.5000;'),
    diag('/etc/triad/dhcp.conf', 7, 1, 'expecting right brace', ''),
  ]);

function options(lines: string[]): RunOptions {
  const log = pino({ level: 'info', base: undefined }, { write: (s: string) => void lines.push(s) });
  return { confDir: '/etc/triad', dataDir: '/tmp/triad-test', files: {}, flags: {}, log };
}

const byName = (list: ServiceStatus[], name: string): ServiceStatus | undefined => list.find((s) => s.name === name);

t.test('decideStartup', async (t) => {
  const st = (name: string, state: ServiceStatus['state']): ServiceStatus => ({ name, state });
  t.match(decideStartup([st('dns', 'not configured'), st('dhcp', 'not configured')], false), { serve: false, exitCode: 1, message: /no service has a configuration/ });
  t.match(decideStartup([st('dns', 'running'), st('dhcp', 'failed')], false), { serve: true, exitCode: 0, message: /without dhcp/ });
  t.match(decideStartup([st('dns', 'running'), st('dhcp', 'failed')], true), { serve: false, exitCode: 1, message: /--strict: dhcp failed/ });
  t.match(decideStartup([st('dns', 'failed'), st('dhcp', 'failed'), st('lb', 'not configured')], false), { serve: false, exitCode: 1, message: /no service could start/ });
  t.match(decideStartup([st('dns', 'running'), st('lb', 'not configured')], true), { serve: true, exitCode: 0, message: 'triad running' });
});

t.test('a broken dhcpd.conf: DNS and the relay start, DHCP is failed with every error', async (t) => {
  const calls: string[] = [];
  const logs: string[] = [];
  const dns = fake('dns', calls);
  const dhcp = fake('dhcp', calls);
  const relay = fake('relay', calls);
  const lb = fake('lb', calls);
  lb.configured = false;
  dhcp.createFails = brokenDhcpd();
  const sup = new Supervisor([dns.def, lb.def, dhcp.def, relay.def], options(logs));
  const d = await sup.start(false);
  t.equal(d.serve, true);
  t.equal(d.exitCode, 0);
  t.same(calls, ['dns.create', 'dhcp.create', 'relay.create', 'dns.start', 'relay.start']);
  const st = sup.status();
  t.same(st.map((s) => [s.name, s.state]), [['dns', 'running'], ['lb', 'not configured'], ['dhcp', 'failed'], ['relay', 'running']]);
  const failed = byName(st, 'dhcp');
  t.equal(failed?.failure?.errors.length, 2, 'both errors kept');
  t.match(failed?.failure?.reason, /\/etc\/triad\/dhcp\.conf:3:9: error: expecting a parameter or declaration\n {4}  range 10\.0\.0\.10 10\.0\.0\.5000;\n {12}\^/);
  t.equal(byName(st, 'dns')?.detail, 'dns detail');
  t.equal(byName(st, 'lb')?.file, '/etc/triad/lb.conf', 'not configured: the file that would configure it');
  // Logged with every error, line and caret.
  const messages = logs.map((l) => (JSON.parse(l) as { msg: string }).msg);
  t.ok(messages.some((m) => m.startsWith('/etc/triad/dhcp.conf:3:9: error:') && m.includes('^')), 'first error logged with its caret');
  t.ok(messages.some((m) => m.startsWith('/etc/triad/dhcp.conf:7:1: error: expecting right brace')), 'second error logged');
  t.ok(messages.some((m) => /dhcp is not running: 2 error\(s\)/.test(m)));

  const text = formatServiceStatus(st, (n) => `${n}-conf`);
  t.match(text, /^dns\s+running\s+\/etc\/triad\/dns\.conf \(dns detail\)$/m);
  t.match(text, /^dhcp\s+failed\s+\/etc\/triad\/dhcp\.conf$/m);
  t.match(text, /^ {4}\/etc\/triad\/dhcp\.conf:3:9: error: expecting a parameter or declaration$/m);
  t.match(text, /^lb\s+not configured\s+no \/etc\/triad\/lb\.conf \(or --lb-conf FILE\)$/m);
});

t.test('a service whose start throws is failed and cleaned up; the others run', async (t) => {
  const calls: string[] = [];
  const dns = fake('dns', calls);
  const lb = fake('lb', calls);
  lb.startFails = new Error('the load balancer needs root');
  const sup = new Supervisor([dns.def, lb.def], options([]));
  const d = await sup.start(false);
  t.equal(d.serve, true);
  t.same(calls, ['dns.create', 'lb.create', 'dns.start', 'lb.start', 'lb.stop']);
  t.match(byName(sup.status(), 'lb'), { state: 'failed', failure: { reason: 'the load balancer needs root', errors: [] } });
});

t.test('no service can run: exit 1, nothing left running', async (t) => {
  const calls: string[] = [];
  const dns = fake('dns', calls);
  const dhcp = fake('dhcp', calls);
  dns.startFails = new Error('address in use');
  dhcp.createFails = brokenDhcpd();
  const d = await new Supervisor([dns.def, dhcp.def], options([])).start(false);
  t.same({ serve: d.serve, exitCode: d.exitCode }, { serve: false, exitCode: 1 });
  t.same(calls, ['dns.create', 'dhcp.create', 'dns.start', 'dns.stop']);
});

t.test('--strict: a broken file starts nothing (every file is still read and reported)', async (t) => {
  const calls: string[] = [];
  const logs: string[] = [];
  const dns = fake('dns', calls);
  const dhcp = fake('dhcp', calls);
  const relay = fake('relay', calls);
  dhcp.createFails = brokenDhcpd();
  const d = await new Supervisor([dns.def, dhcp.def, relay.def], options(logs)).start(true);
  t.same({ serve: d.serve, exitCode: d.exitCode }, { serve: false, exitCode: 1 });
  t.match(d.message, /--strict/);
  t.same(calls, ['dns.create', 'dhcp.create', 'relay.create'], 'no service started');
  t.ok(logs.some((l) => l.includes('dhcp.conf:7:1')), 'every error of the broken file is logged');
});

t.test('--strict: a start failure stops what already started', async (t) => {
  const calls: string[] = [];
  const dns = fake('dns', calls);
  const dhcp = fake('dhcp', calls);
  const relay = fake('relay', calls);
  dhcp.startFails = new Error('interface eth9 not found');
  const d = await new Supervisor([dns.def, dhcp.def, relay.def], options([])).start(true);
  t.equal(d.exitCode, 1);
  t.same(calls, ['dns.create', 'dhcp.create', 'relay.create', 'dns.start', 'dhcp.start', 'dhcp.stop', 'dns.stop'], 'relay never started, dns stopped again');
});

t.test('--strict with every file good: serves', async (t) => {
  const calls: string[] = [];
  const d = await new Supervisor([fake('dns', calls).def, fake('dhcp', calls).def], options([])).start(true);
  t.same({ serve: d.serve, exitCode: d.exitCode }, { serve: true, exitCode: 0 });
});

t.test('SIGHUP: a broken file keeps the running service and shows the failure; a fixed file starts a failed service', async (t) => {
  const calls: string[] = [];
  const dns = fake('dns', calls);
  const dhcp = fake('dhcp', calls);
  const lb = fake('lb', calls);
  dhcp.createFails = brokenDhcpd();
  let clock = Date.parse('2026-11-30T12:00:00Z');
  const sup = new Supervisor([dns.def, dhcp.def, lb.def], options([]), () => new Date(clock));
  await sup.start(false);
  calls.length = 0;

  // DNS's file breaks, DHCP's stays broken.
  dns.reloadFails = new ConfigError([diag('/etc/triad/dns.conf', 2, 5, "unknown option 'lisen-on'", '    lisen-on { any; };')]);
  clock += 60_000;
  await sup.reload();
  t.same(calls, ['dns.reload', 'dhcp.create', 'lb.reload'], 'each service once, in order; the failed one is tried again');
  let st = sup.status();
  t.match(byName(st, 'dns'), { state: 'running', reload: { ok: false, at: '2026-11-30T12:01:00.000Z', errors: [{ line: 2, col: 5 }] } });
  t.match(byName(st, 'dhcp'), { state: 'failed', failure: { at: '2026-11-30T12:01:00.000Z' } });
  t.match(byName(st, 'lb'), { state: 'running', reload: { ok: true } });
  const text = formatServiceStatus(st);
  t.match(text, /^dns\s+running.*\n {4}reload failed at 2026-11-30T12:01:00\.000Z; still serving the previous configuration:\n {4}\/etc\/triad\/dns\.conf:2:5: error: unknown option 'lisen-on'/m);

  // Both files fixed.
  dns.reloadFails = undefined;
  dhcp.createFails = undefined;
  calls.length = 0;
  await sup.reload();
  t.same(calls, ['dns.reload', 'dhcp.create', 'dhcp.start', 'lb.reload']);
  st = sup.status();
  t.same(st.map((s) => s.state), ['running', 'running', 'running']);
  t.match(byName(st, 'dns'), { reload: { ok: true } });
  t.equal(byName(st, 'dhcp')?.failure, undefined, 'the old failure is gone');

  calls.length = 0;
  await sup.stop();
  t.same(calls, ['lb.stop', 'dhcp.stop', 'dns.stop'], 'stopped last first');
});

t.test('SIGHUP: a failed service whose file is gone becomes not configured', async (t) => {
  const calls: string[] = [];
  const dns = fake('dns', calls);
  const dhcp = fake('dhcp', calls);
  dhcp.createFails = brokenDhcpd();
  const sup = new Supervisor([dns.def, dhcp.def], options([]));
  await sup.start(false);
  dhcp.configured = false;
  await sup.reload();
  t.match(byName(sup.status(), 'dhcp'), { state: 'not configured', failure: undefined });
});

t.test('reloads in quick succession run one after another', async (t) => {
  const calls: string[] = [];
  const slow: ServiceDefinition = {
    name: 'dns',
    config: { file: 'named.conf', option: 'named-conf' },
    locate: () => '/etc/triad/named.conf',
    check: async () => ({ diagnostics: [], info: [] }),
    create: async () => ({
      name: 'dns',
      start: async () => undefined,
      stop: async () => undefined,
      reload: async () => {
        calls.push('begin');
        await new Promise((r) => setTimeout(r, 20));
        calls.push('end');
      },
    }),
  };
  const sup = new Supervisor([slow], options([]));
  await sup.start(false);
  await Promise.all([sup.reload(), sup.reload()]);
  t.same(calls, ['begin', 'end', 'begin', 'end']);
});

t.test('a file that exists but configures nothing for a service: status says so instead of "no FILE"', async (t) => {
  const calls: string[] = [];
  const dns = fake('dns', calls);
  const lb = fake('lb', calls);
  // keepalived.conf with VRRP instances only: the load balancer's create returns undefined.
  const idle: ServiceDefinition = { ...lb.def, create: async () => undefined, notServed: 'it configures VRRP only (no virtual_server)' };
  const sup = new Supervisor([dns.def, idle], options([]));
  await sup.start(false);
  const st = sup.status();
  t.match(byName(st, 'lb'), { state: 'not configured', file: '/etc/triad/lb.conf', detail: 'it configures VRRP only (no virtual_server)' });
  t.match(formatServiceStatus(st, (n) => `${n}-conf`), /^lb\s+not configured\s+\/etc\/triad\/lb\.conf: it configures VRRP only \(no virtual_server\)$/m);
  // No file at all: still "no FILE (or --OPTION FILE)".
  lb.configured = false;
  const none = new Supervisor([dns.def, { ...idle, locate: () => undefined }], options([]));
  await none.start(false);
  t.match(formatServiceStatus(none.status(), (n) => `${n}-conf`), /^lb\s+not configured\s+no \/etc\/triad\/lb\.conf \(or --lb-conf FILE\)$/m);
});

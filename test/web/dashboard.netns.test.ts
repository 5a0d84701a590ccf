// The dashboard in a real browser (Debian's headless Chromium) while Triad serves DNS,
// DHCP and a load balancer in a namespace of the test's own: each page is loaded and
// photographed into test-artifacts/dashboard/, the DOM shows the DHCP client's lease
// row with its name and MAC, the DNS traffic dig made, the zone's serial and the real
// servers' health; drain and release clicked in the page take effect (`triad ctl lb`
// shows the server drained with weight 0, `triad ctl dhcp leases` no longer lists the
// lease), "Make fixed" writes the host into Triad's fixed-host file and reloads (the
// lease shows as fixed), and the same clicks without the key are refused.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { NetnsLab, labPrerequisites, sh } from '../dhcp/netns-lab.js';
import { BIN_TRIAD, REPO_ROOT } from '../helpers/paths.js';
import { pollFor } from '../helpers/tools.js';
import { RS_SERVER } from '../lb/topology.js';
import { Browser, chromiumMissing } from './browser.js';

const STATS = 8053;
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'dashboard');
const VIP = '10.86.0.100';
const MAC = '02:00:00:00:86:50';

t.test('the dashboard: pages, lease row, real servers, release and drain from the browser', { timeout: 90_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'busybox', 'dig', 'nft']))) return;
  const noChromium = chromiumMissing();
  if (noChromium) return t.fail(noChromium);
  mkdirSync(ARTIFACTS, { recursive: true });
  const lab = new NetnsLab('tdb');
  let browser: Browser | undefined;
  t.teardown(async () => {
    await browser?.close();
    await lab.cleanup();
  });
  await lab.setupServer('10.86.0.1/24');
  const secret = randomBytes(32).toString('base64');
  lab.file('example.test.zone', '$TTL 300\n@ IN SOA ns1 host 2026120101 3600 600 86400 300\n@ IN NS ns1\nns1 IN A 10.86.0.1\nwww IN A 10.86.0.80\n');
  const namedConf = lab.file('named.conf', `key "dashboard" { algorithm hmac-sha256; secret "${secret}"; };
controls { inet 127.0.0.1 port 9553 allow { localhost; } keys { "dashboard"; }; };
options { directory "${lab.dir}"; listen-on { 10.86.0.1; }; listen-on-v6 { none; }; recursion no; };
statistics-channels { inet 127.0.0.1 port ${STATS}; };
zone "example.test" { type primary; file "example.test.zone"; };
`);
  const dhcpConf = lab.file('dhcpd.conf', 'authoritative;\ndefault-lease-time 600;\nddns-update-style interim;\nddns-updates on;\nignore client-updates;\noption domain-name "example.test";\nsubnet 10.86.0.0 netmask 255.255.255.0 {\n  range 10.86.0.150 10.86.0.199;\n}\n');
  const rs = (ip: string) => `  real_server ${ip} 8080 {\n    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n    }\n  }\n`;
  const lbConf = lab.file('keepalived.conf', `virtual_server ${VIP} 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${rs('10.86.0.11')}${rs('10.86.0.12')}}\n`);
  const leases = lab.file('dhcpd.leases', '');
  // Real servers: .11 answers, .12 serves nothing (its check fails).
  const r1 = await lab.addClient('r1');
  await lab.addClient('r2').then((ns) => sh(`ip -n ${ns} addr add 10.86.0.12/24 dev eth0`));
  await sh(`ip -n ${r1} addr add 10.86.0.11/24 dev eth0`);
  lab.spawnIn(r1, process.execPath, [RS_SERVER, 'rs1', '0.0.0.0', '8080']);
  const cl = await lab.addClient('cl', MAC);
  const triad = await lab.startTriad(dhcpConf, leases, 'br0', ['--named-conf', namedConf, '--lb-conf', lbConf, '--dns-workers', '0']);
  await pollFor('the statistics channel', async () => (/statistics channel listening/.test(triad.output()) ? true : undefined), 20_000, () => triad.output());

  // A DHCP client with a name, and DNS queries from it.
  const out = path.join(lab.dir, 'udhcpc.out');
  await sh(`UDHCPC_OUT=${out} ip netns exec ${cl} busybox udhcpc -i eth0 -f -q -n -t 5 -T 2 -s ${lab.udhcpcScript()} -x hostname:dash-client 2>&1`, 30_000);
  const ip = (await sh(`cat ${out}`)).stdout.match(/bound ip=(\S+)/)?.[1];
  if (!ip) return t.fail(`udhcpc got no lease: ${(await sh(`cat ${out}`)).stdout}\n${triad.output().slice(-2000)}`);
  for (let i = 0; i < 5; i++) await sh(`ip netns exec ${cl} dig +short +time=2 +tries=1 @10.86.0.1 www.example.test A`);

  let lastCtl = '';
  const ctl = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN_TRIAD, 'ctl', ...args, '--json', '--data-dir', lab.dir], { encoding: 'utf8' });
    lastCtl = `${r.stdout}${r.stderr}`;
    return JSON.parse(r.stdout || 'null') as unknown;
  };
  type Rs = { ip: string; alive: boolean; drained: boolean; effectiveWeight: number };
  const servers = (): Rs[] => ((ctl('lb', 'show') as { servers: Rs[] }[] | null) ?? [])[0]?.servers ?? [];
  await pollFor('the health checks', async () => (servers().some((s) => s.ip === '10.86.0.11' && s.alive) && servers().some((s) => s.ip === '10.86.0.12' && !s.alive) ? true : undefined), 20_000, () => `${lastCtl}\n${triad.output().slice(-3000)}`);

  browser = new Browser(['ip', 'netns', 'exec', lab.serverNs]);
  const b = browser;
  await b.open();
  const page = async (tab: string, ready: string, what: string): Promise<void> => {
    await b.goto(`http://127.0.0.1:${STATS}/dashboard#${tab}`);
    // A change of the hash only switches the tab; the page marks which tab it has loaded.
    await b.waitFor(what, `document.body && document.body.getAttribute("data-loaded") === ${JSON.stringify(tab)} && (${ready})`);
    writeFileSync(path.join(ARTIFACTS, `${tab}.png`), await b.screenshot());
  };

  await page('dns', 'Number(document.getElementById("requests-total").textContent) >= 5', 'the DNS requests dig made');
  t.pass('DNS page: the requests dig made are counted');
  await b.waitFor('the top clients and names', `!!document.querySelector('[data-top-client="${ip}"]') && !!document.querySelector('[data-top-name="www.example.test"]')`);
  t.equal(await b.eval<string>(`document.querySelector('[data-top-client="${ip}"]').cells[1].textContent`), '5', "the client's address among the top clients with its five queries");
  t.pass('and www.example.test among the top names');
  t.equal(await b.eval<string>('document.getElementById("cache-hit-rate").textContent'), 'no cache lookups', 'the cache hit rate (no recursion here: no lookups)');
  await page('zones', 'document.getElementById("zones-body").textContent.includes("20261201")', "the zone's serial");
  t.pass("zones page: example.test with its serial");
  t.equal(await b.eval<string>('document.getElementById("notify-state").textContent'), 'sent 0, answered 0, failed 0', 'the NOTIFY state (no secondaries configured: none sent)');
  t.match(await b.eval<string>('document.getElementById("zones-body").textContent'), /no secondary zones/, 'the transfers-in table says there are none');
  await page('dhcp', `!!document.querySelector('[data-lease="${ip}"]')`, 'the lease row');
  const row = await b.eval<string>(`document.querySelector('[data-lease="${ip}"]').textContent`);
  t.match(row, 'dash-client', "the lease row shows the client's name");
  t.match(row, MAC, 'and its MAC');
  t.match(await b.eval<string>('document.getElementById("dhcp-body").textContent'), /10\.86\.0\.0\/24.*1 \/ 50/, "the pool's utilisation");
  const search = async (q: string): Promise<void> => {
    await b.eval(`(function () { var s = document.getElementById("lease-search"); s.value = ${JSON.stringify(q)}; s.dispatchEvent(new Event("input")); })()`);
    await b.waitFor(`the search for ${q}`, `document.getElementById("lease-search").value === ${JSON.stringify(q)}`);
  };
  for (const q of ['DASH-CLIENT', MAC.slice(-5), ip]) {
    await search('no-such-host');
    await b.waitFor('the row filtered out', `!document.querySelector('[data-lease="${ip}"]')`);
    await search(q);
    await b.waitFor(`the row found by ${q}`, `!!document.querySelector('[data-lease="${ip}"]')`);
  }
  t.pass('the search finds the lease by name, MAC and address, and hides it for another word');
  await search('');
  await page('lb', `!!document.querySelector('[data-rs-row="10.86.0.12:8080"]')`, 'the real servers');
  const state = (rs: string) => b.eval<string>(`document.querySelector('[data-rs-row="${rs}"]').getAttribute("data-state")`);
  t.equal(await state('10.86.0.11:8080'), 'up', 'the live real server shows up');
  t.equal(await state('10.86.0.12:8080'), 'down', 'the dead one shows down');
  await page('ha', 'document.getElementById("ha-body").textContent.includes("VRRP is not running")', 'the HA page');
  t.pass('HA page loads');

  // The device view: opened from the lease row, it joins lease, DNS name, queries and LB role.
  await page('dhcp', `!!document.querySelector('[data-device="${ip}"]')`, 'the lease link');
  await b.eval(`document.querySelector('[data-device="${ip}"]').click()`);
  await b.waitFor('the device view', `document.body.getAttribute("data-loaded") === "device" && !!document.getElementById("device-lease")`);
  t.match(await b.eval<string>('document.getElementById("device-lease").textContent'), new RegExp(`${ip}.*${MAC}.*dash-client`), "the device view shows the client's lease");
  await b.waitFor('its DNS name', `!!document.querySelector('[data-device-name="dash-client.example.test."]') || !!document.querySelector('[data-device-name="dash-client.example.test"]')`);
  t.pass('the name DHCP registered for it');
  t.ok(await b.eval<boolean>(`!!document.querySelector('[data-device-query="www.example.test"]')`), 'its recent queries');
  t.match(await b.eval<string>('document.getElementById("device-body").textContent'), /not a real server/, 'and no load-balancer role');
  writeFileSync(path.join(ARTIFACTS, 'device.png'), await b.screenshot());
  await b.eval(`(function () { var s = document.getElementById("device-search"); s.value = "10.86.0.11"; s.dispatchEvent(new Event("change")); })()`);
  await b.waitFor('the real server as a device', `!!document.querySelector('[data-device-rs="10.86.0.11:8080"]')`);
  t.match(await b.eval<string>(`document.querySelector('[data-device-rs="10.86.0.11:8080"]').textContent`), /10\.86\.0\.100:80.*up/, "a real server's device view shows its virtual server and health");

  // "Make fixed" without the key: refused, no file written.
  const fixedFile = path.join(lab.dir, 'dhcpd-fixed-hosts.conf');
  await page('dhcp', `!!document.querySelector('[data-fix="${ip}"]')`, 'the make-fixed button');
  await b.eval(`document.querySelector('[data-fix="${ip}"]').click()`);
  t.match(await b.waitFor<string>('the refusal', 'document.getElementById("msg").textContent'), /action refused: no key was sent/, 'making the lease fixed without the key is refused');
  t.notOk(existsSync(fixedFile), 'and no fixed-host file is written');
  await b.eval('document.getElementById("msg").textContent = ""');

  // Drain without the key: refused, nothing changes.
  await page('lb', `!!document.querySelector('[data-rs="10.86.0.11:8080"]')`, 'the drain button');
  await b.eval(`document.querySelector('[data-rs="10.86.0.11:8080"]').click()`);
  const refused = await b.waitFor<string>('the refusal', 'document.getElementById("msg").textContent');
  t.match(refused, /action refused: no key was sent/, 'without the key the page reports the refusal');
  t.equal(servers().find((s) => s.ip === '10.86.0.11')?.drained, false, 'and the server is not drained');
  t.match(triad.output(), /action refused/, 'the refusal is logged');

  // With the key, typed into the page.
  await b.eval(`(function () { var k = document.getElementById("key"); k.value = ${JSON.stringify(secret)}; k.dispatchEvent(new Event("change")); })()`);
  await b.eval(`document.querySelector('[data-rs="10.86.0.11:8080"]').click()`);
  await b.waitFor('the drained row', `document.querySelector('[data-rs-row="10.86.0.11:8080"]').getAttribute("data-state") === "drained"`);
  writeFileSync(path.join(ARTIFACTS, 'lb-drained.png'), await b.screenshot());
  const drained = servers().find((s) => s.ip === '10.86.0.11');
  t.equal(drained?.drained, true, 'triad ctl lb shows the server drained');
  t.equal(drained?.effectiveWeight, 0, 'with weight 0');
  t.match(triad.output(), /action done: draining 10\.86\.0\.11:8080/, 'the drain is logged');

  // Make the lease fixed with the key: the host block lands in Triad's own file, and after
  // the reload the loaded configuration has the host (the row and `ctl dhcp leases` say so).
  await page('dhcp', `!!document.querySelector('[data-fix="${ip}"]')`, 'the make-fixed button');
  await b.eval(`document.querySelector('[data-fix="${ip}"]').click()`);
  await b.waitFor('the row marked fixed', `!!document.querySelector('[data-fixed="${ip}"]')`);
  writeFileSync(path.join(ARTIFACTS, 'dhcp-fixed.png'), await b.screenshot());
  t.match(readFileSync(fixedFile, 'utf8'), `host dash-client {\n  hardware ethernet ${MAC};\n  fixed-address ${ip};\n}\n`, 'the fixed-host file holds the host block');
  t.equal(statSync(fixedFile).mode & 0o777, 0o640, 'created 0640');
  t.match(readFileSync(dhcpConf, 'utf8'), /^authoritative;/, 'dhcpd.conf is left as it was');
  t.notOk(readFileSync(dhcpConf, 'utf8').includes('dash-client'), 'with no host in it');
  const fixedRow = ((ctl('dhcp', 'leases') as { ip: string; fixedHost: string | null }[] | null) ?? []).find((l) => l.ip === ip);
  t.equal(fixedRow?.fixedHost, 'dash-client', 'triad ctl dhcp leases --json shows the lease fixed to host dash-client');
  t.match(triad.output(), new RegExp(`action done: fixed ${ip.replace(/\./g, '\\.')} to ${MAC}`), 'the action is logged');
  const again = spawnSync(process.execPath, [BIN_TRIAD, 'ctl', 'dhcp', 'fixed-host', ip, '--data-dir', lab.dir], { encoding: 'utf8' });
  t.match(again.stderr, /already has/, 'a second fixed-host for the same lease is refused');
  // A broken fixed-host file: the reload is refused with its file:line:col, the host stays.
  const good = readFileSync(fixedFile, 'utf8');
  writeFileSync(fixedFile, `${good}host broken {\n  hardware ethernet zz;\n}\n`);
  const brokenLine = good.split('\n').length + 1;
  triad.kill('SIGHUP');
  await pollFor('the refused reload', async () => (/dhcp: reload failed; keeping the running configuration/.test(triad.output()) ? true : undefined), 10_000, () => triad.output().slice(-2000));
  t.match(triad.output(), `dhcpd-fixed-hosts.conf:${brokenLine}:`, "the error names the fixed-host file's line");
  t.equal(((ctl('dhcp', 'leases') as { ip: string; fixedHost: string | null }[] | null) ?? []).find((l) => l.ip === ip)?.fixedHost, 'dash-client', 'and the running configuration keeps the host');
  writeFileSync(fixedFile, good);

  await page('dhcp', `!!document.querySelector('[data-release="${ip}"]')`, 'the release button');
  await b.eval(`document.querySelector('[data-release="${ip}"]').click()`);
  await b.waitFor('the lease row to go', `!document.querySelector('[data-lease="${ip}"]') && document.body.getAttribute("data-loaded") === "dhcp"`);
  writeFileSync(path.join(ARTIFACTS, 'dhcp-released.png'), await b.screenshot());
  const left = (ctl('dhcp', 'leases') as { ip: string }[] | null) ?? [];
  t.notOk(left.some((l) => l.ip === ip), `triad ctl dhcp leases no longer lists ${ip}`);
  t.match(triad.output(), new RegExp(`action done: released ${ip.replace(/\./g, '\\.')}`), 'the release is logged');
});

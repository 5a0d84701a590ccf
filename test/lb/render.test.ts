// Renderer against golden rule files (UPDATE_GOLDEN=1 rewrites them) and against
// the kernel itself with `nft -c -f` inside a throwaway namespace.
import t, { type Test } from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { renderState, renderCleanup } from '../../src/lb/nft-render.js';
import type { DesiredState, DpServer } from '../../src/lb/datapath.js';
import { rsName, vsName } from '../../src/lb/datapath.js';
import { FIXTURES } from '../helpers/paths.js';

const srv = (ip: string, port: number, weight: number, mac?: string, alive = true): DpServer => ({ id: rsName(ip, port), ip, port, weight, alive, mac });

function natState(): DesiredState {
  return {
    vss: [
      { id: vsName('10.0.0.100', 80, 'tcp'), vip: '10.0.0.100', port: 80, proto: 'tcp', kind: 'NAT', iface: 'lb0', algo: 'wrr', hashPort: false, servers: [srv('10.1.0.2', 8080, 3), srv('10.1.0.3', 8080, 1), srv('10.1.0.4', 8080, 1, undefined, false)] },
      { id: vsName('10.0.0.100', 53, 'udp'), vip: '10.0.0.100', port: 53, proto: 'udp', kind: 'NAT', iface: 'lb0', algo: 'sh', hashPort: false, persistence: { timeout: 360, prefix: 24 }, servers: [srv('10.1.0.2', 5353, 1), srv('10.1.0.3', 5353, 0)] },
    ],
  };
}

function drState(): DesiredState {
  return {
    vss: [
      { id: vsName('10.0.0.100', 80, 'tcp'), vip: '10.0.0.100', port: 80, proto: 'tcp', kind: 'DR', iface: 'lb0', lbMac: '02:00:00:00:00:01', algo: 'rr', hashPort: false, persistence: { timeout: 50, prefix: 32 }, servers: [srv('10.0.0.3', 80, 1, '02:00:00:00:00:03'), srv('10.0.0.4', 80, 0, '02:00:00:00:00:04')] },
      { id: vsName('10.0.0.101', 80, 'tcp'), vip: '10.0.0.101', port: 80, proto: 'tcp', kind: 'DR', iface: 'lb0', lbMac: '02:00:00:00:00:01', algo: 'fo', hashPort: false, servers: [srv('10.0.0.3', 80, 1, '02:00:00:00:00:03', false)], sorry: srv('10.0.0.9', 80, 1, '02:00:00:00:00:09') },
    ],
  };
}

function golden(t: Test, name: string, text: string): void {
  const file = path.join(FIXTURES, 'lb', name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, text);
  t.equal(text, readFileSync(file, 'utf8'), `matches ${name}`);
}

// A namespace with a veth called lb0, so netdev chains have their device.
const ns = `lbr${randomBytes(3).toString('hex')}`;
let nsOk = false;
t.before(() => {
  const r = spawnSync('ip', ['netns', 'add', ns]);
  if (r.status !== 0) return;
  execFileSync('ip', ['-n', ns, 'link', 'add', 'lb0', 'type', 'veth', 'peer', 'name', 'lb1']);
  nsOk = true;
});
t.teardown(() => {
  spawnSync('ip', ['netns', 'del', ns]);
});
const nftCheck = (text: string): string => {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-c', '-f', '-'], { input: text });
  return r.status === 0 ? '' : String(r.stderr);
};
const nftApply = (text: string): string => {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: text });
  return r.status === 0 ? '' : String(r.stderr);
};

t.test('NAT render: golden file and nft -c', async (t) => {
  t.ok(nsOk, 'namespace for nft -c (needs root and iproute2)');
  const r = renderState(natState());
  golden(t, 'nat.nft', r.text);
  t.equal(nftCheck(r.text), '');
  t.match(r.text, /numgen inc mod 4 vmap @s_v10_0_0_100_80t\n/);
  t.match(r.text, /add element ip triad s_v10_0_0_100_80t \{ 0 : goto n_v10_0_0_100_80t_r10_1_0_2_8080, 1 : goto n_v10_0_0_100_80t_r10_1_0_2_8080, 2 : goto n_v10_0_0_100_80t_r10_1_0_2_8080, 3 : goto n_v10_0_0_100_80t_r10_1_0_3_8080 \}/, 'wrr 3:1 sequence');
  t.notMatch(r.text, /@a_v10_0_0_100_53u_r10_1_0_3_5353 goto/, 'quiescent server gets no persistence hits');
});

t.test('DR render: golden file and nft -c', async (t) => {
  const r = renderState(drState());
  golden(t, 'dr.nft', r.text);
  t.equal(nftCheck(r.text), '');
  t.match(r.text, /ether daddr set ip saddr \. th sport map @f_v10_0_0_100_80t ether daddr vmap \{ 02:00:00:00:00:03 : goto e_v10_0_0_100_80t_r10_0_0_3_80, 02:00:00:00:00:04 : goto e_v10_0_0_100_80t_r10_0_0_4_80 \}/, 'drained server keeps its flows');
  t.match(r.text, /vs_v10_0_0_101_80t goto n_v10_0_0_101_80t_r10_0_0_9_80/, 'sorry server takes new flows');
  t.notMatch(r.text, /numgen/, 'single live server: no scheduler map');
});

t.test('re-render keeps sets, deletes stale objects, applies cleanly on top', async (t) => {
  const first = renderState(natState());
  t.equal(nftApply(renderCleanup() + first.text), '');
  const next = natState();
  next.vss[1].persistence = { timeout: 60, prefix: 24 };
  next.vss[0].servers.pop();
  const second = renderState(next, first);
  golden(t, 'nat-update.nft', second.text);
  t.match(second.text, /delete set ip triad a_v10_0_0_100_53u_r10_1_0_2_5353\n/, 'changed timeout recreates the set');
  t.match(second.text, /delete chain ip triad n_v10_0_0_100_80t_r10_1_0_4_8080\n/);
  t.notMatch(second.text, /delete table/);
  t.equal(nftApply(second.text), '');
  const third = renderState({ vss: [] }, second);
  t.equal(third.text, 'add table ip triad\ndelete table ip triad\n');
  t.equal(nftApply(third.text + renderCleanup()), '');
  const left = spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables']);
  t.equal(String(left.stdout).trim(), '');
});

t.test('maglev: 65537 slots in a named map; a failover sends only the slots that move', async (t) => {
  const st = drState();
  st.vss[0].algo = 'mh';
  st.vss[0].servers[1].weight = 2;
  st.vss[0].servers.push(srv('10.0.0.5', 80, 1, '02:00:00:00:00:05'));
  const r = renderState(st);
  t.match(r.text, /jhash ip saddr mod 65537 seed 0x7472696164 vmap @s_v10_0_0_100_80t/);
  t.equal(r.slots.get('netdev s_v10_0_0_100_80t')?.length, 65537);
  t.equal(nftApply(renderCleanup() + r.text), '');
  st.vss[0].servers[2].alive = false;
  const r2 = renderState(st, r);
  const added = [...r2.text.matchAll(/^add element netdev triad s_v10_0_0_100_80t \{ (.*) \}$/gm)].reduce((n, m) => n + m[1].split(', ').length, 0);
  t.ok(added > 10000 && added < 20000, `only the dead server's quarter of the slots is rewritten (${added})`);
  t.notMatch(r2.text, /delete map netdev triad s_/, 'map kept, not re-created');
  t.equal(nftApply(r2.text), '');
  const listed = spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'map', 'netdev', 'triad', 's_v10_0_0_100_80t']);
  t.notMatch(String(listed.stdout), /e_v10_0_0_100_80t_r10_0_0_5_80|n_v10_0_0_100_80t_r10_0_0_5_80/, 'no slot points at the dead server');
  t.equal(nftApply(renderCleanup()), '');
});

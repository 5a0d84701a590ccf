// Pure renderer: desired state → one nft script applied as a single transaction.
// Shape (see shared notes §4): a dispatch vmap on `daddr . l4proto . dport`, one
// chain per virtual server that picks a real server for new flows through a
// scheduler vmap, and one chain per real server. NAT lives in `table ip triad`
// (conntrack keeps every established flow); DR lives in `table netdev triad`
// (ingress `fwd` with a per-flow map, since netdev has no conntrack).
//
// Updates: `flush table` drops rules but keeps named sets, maps and counters, so
// flow maps, persistence entries and statistics survive every re-render.

import { buildSlotTable } from './scheduler.js';
import type { Selector } from './slot-table.js';
import type { DesiredState, DpServer, DpVirtualServer } from './datapath.js';
import { formatIPv4, ipv4Mask } from '../wire/ipv4.js';

export const TABLE = 'triad';
/** Room for a busy lab; nft's default of 65535 would stall a load test. */
const DYN_SET_SIZE = 1048576;
/** Seed fixed so two Triad instances hash a flow to the same real server. */
const HASH_SEED = '0x7472696164';

/** Declarations of named objects (sets, maps, counters) as rendered, by `family name`. */
export type ObjectDecls = Map<string, string>;

/** What the kernel holds after a render: object declarations and scheduler map contents. */
export interface RenderMemo {
  objects: ObjectDecls;
  /** `family name` of a scheduler map → the verdict of each slot. */
  slots: Map<string, string[]>;
}

export interface Rendered extends RenderMemo {
  text: string;
}

export function maskText(prefix: number): string {
  return formatIPv4(ipv4Mask(prefix));
}

function selectorExpr(sel: Selector, len: number): string {
  switch (sel) {
    case 'numgen':
      return `numgen inc mod ${len}`;
    case 'hash-src':
      return `jhash ip saddr mod ${len} seed ${HASH_SEED}`;
    case 'hash-src-port':
      return `jhash ip saddr . th sport mod ${len} seed ${HASH_SEED}`;
    case 'hash-dst':
      return `jhash ip daddr mod ${len} seed ${HASH_SEED}`;
    case 'first':
      return '';
  }
}

/**
 * The rule that picks a server for a new flow, or undefined when none can take it.
 * Scheduler tables live in a named map (`s_<vs>`) so an update only sends the slots
 * that changed: a Maglev table has 65537 of them and a failover moves about 1/N.
 */
function schedulingRule(s: Script, vs: DpVirtualServer, chain: (rs: DpServer) => string): string | undefined {
  if (vs.sorry) return `goto ${chain(vs.sorry)}`;
  const cands = vs.servers.filter((x) => x.alive && x.weight > 0);
  const t = buildSlotTable(vs.algo, cands.map((x) => ({ id: `${x.ip}:${x.port}`, weight: x.weight })), vs.hashPort);
  if (t.slots.length === 0) return undefined;
  if (t.selector === 'first' || cands.length === 1) return `goto ${chain(cands[t.slots[0]])}`;
  const name = `s_${vs.id}`;
  // typeof only gives the key its type (a 32-bit integer); the modulus is in the rule.
  s.object('map', name, '{ typeof numgen inc mod 2 : verdict; }');
  s.slotMaps.set(`${s.family} ${name}`, t.slots.map((i) => `goto ${chain(cands[i])}`));
  return `${selectorExpr(t.selector, t.slots.length)} vmap @${name}`;
}

/** Element changes taking a scheduler map from `prev` to `next` (whole map when prev is undefined). */
function slotDiff(T: string, name: string, prev: readonly string[] | undefined, next: readonly string[]): string[] {
  const del: number[] = [];
  const add: string[] = [];
  for (let i = 0; i < next.length; i++) {
    if (prev && prev[i] === next[i]) continue;
    if (prev && i < prev.length) del.push(i);
    add.push(`${i} : ${next[i]}`);
  }
  for (let i = next.length; prev && i < prev.length; i++) del.push(i);
  const out: string[] = [];
  const CHUNK = 4096; // keep each command line reasonable
  for (let i = 0; i < del.length; i += CHUNK) out.push(`delete element ${T} ${name} { ${del.slice(i, i + CHUNK).join(', ')} }`);
  for (let i = 0; i < add.length; i += CHUNK) out.push(`add element ${T} ${name} { ${add.slice(i, i + CHUNK).join(', ')} }`);
  return out;
}

class Script {
  lines: string[] = [];
  objects: ObjectDecls = new Map();
  slotMaps = new Map<string, string[]>();
  constructor(readonly family: 'ip' | 'netdev') {}
  add(line: string): void {
    this.lines.push(line);
  }
  object(kind: 'set' | 'map' | 'counter', name: string, body: string): void {
    this.objects.set(`${this.family} ${kind} ${name}`, body);
  }
}

function saddrKey(vs: DpVirtualServer): string {
  const p = vs.persistence!;
  return p.prefix >= 32 ? 'ip saddr' : `ip saddr & ${maskText(p.prefix)}`;
}

function renderNat(vss: DpVirtualServer[], s: Script): void {
  const T = `ip ${TABLE}`;
  s.add(`add chain ${T} prerouting { type nat hook prerouting priority dstnat; policy accept; }`);
  // Host-originated traffic to a VIP (kube-proxy does the same; IPVS cannot).
  s.add(`add chain ${T} output { type nat hook output priority -100; policy accept; }`);
  s.add(`add chain ${T} forward { type filter hook forward priority filter; policy accept; }`);
  const dispatch: string[] = [];
  for (const vs of vss) {
    const all = [...vs.servers, ...(vs.sorry ? [vs.sorry] : [])];
    const nChain = (rs: DpServer) => `n_${vs.id}_${rs.id}`;
    s.add(`add chain ${T} vs_${vs.id}`);
    dispatch.push(`${vs.vip} . ${vs.proto} . ${vs.port} : goto vs_${vs.id}`);
    for (const rs of all) {
      for (const c of ['c', 'i', 'o']) s.object('counter', `${c}_${vs.id}_${rs.id}`, '');
      if (vs.persistence && rs !== vs.sorry) {
        s.object('set', `a_${vs.id}_${rs.id}`, `{ type ipv4_addr; size ${DYN_SET_SIZE}; flags dynamic,timeout; timeout ${vs.persistence.timeout}s; }`);
      }
      s.add(`add chain ${T} ${nChain(rs)}`);
    }
    // Persistence: a client seen recently goes back to its server while that one takes new flows.
    if (vs.persistence && !vs.sorry) {
      for (const rs of vs.servers.filter((x) => x.alive && x.weight > 0)) {
        s.add(`add rule ${T} vs_${vs.id} ${saddrKey(vs)} @a_${vs.id}_${rs.id} goto ${nChain(rs)}`);
      }
    }
    const pick = schedulingRule(s, vs, nChain);
    s.add(`add rule ${T} vs_${vs.id} ${pick ?? 'counter drop'}`);
    for (const rs of all) {
      const upd = vs.persistence && rs !== vs.sorry ? `update @a_${vs.id}_${rs.id} { ${saddrKey(vs)} } ` : '';
      s.add(`add rule ${T} ${nChain(rs)} counter name "c_${vs.id}_${rs.id}" ${upd}meta l4proto ${vs.proto} dnat to ${rs.ip}:${rs.port}`);
      const orig = `ct original ip daddr ${vs.vip} ct original proto-dst ${vs.port}`;
      s.add(`add rule ${T} forward meta l4proto ${vs.proto} ip daddr ${rs.ip} th dport ${rs.port} ${orig} counter name "i_${vs.id}_${rs.id}"`);
      s.add(`add rule ${T} forward meta l4proto ${vs.proto} ip saddr ${rs.ip} th sport ${rs.port} ${orig} counter name "o_${vs.id}_${rs.id}"`);
    }
  }
  const vmap = `ip daddr . meta l4proto . th dport vmap { ${dispatch.join(', ')} }`;
  s.add(`add rule ${T} prerouting ${vmap}`);
  s.add(`add rule ${T} output ${vmap}`);
}

function renderDr(vss: DpVirtualServer[], s: Script): void {
  const T = `netdev ${TABLE}`;
  const byIface = new Map<string, DpVirtualServer[]>();
  for (const vs of vss) byIface.set(vs.iface, [...(byIface.get(vs.iface) ?? []), vs]);
  for (const [iface, list] of [...byIface].sort((a, b) => a[0].localeCompare(b[0]))) {
    const base = `in_${iface.replace(/[^A-Za-z0-9_]/g, '_')}`;
    s.add(`add chain ${T} ${base} { type filter hook ingress device "${iface}" priority -10; policy accept; }`);
    const dispatch: string[] = [];
    for (const vs of list) {
      if (!vs.lbMac) throw new Error(`DR virtual server ${vs.vip}:${vs.port}: no MAC known for ${vs.iface}`);
      const all = [...vs.servers, ...(vs.sorry ? [vs.sorry] : [])];
      const nChain = (rs: DpServer) => `n_${vs.id}_${rs.id}`;
      const eChain = (rs: DpServer) => `e_${vs.id}_${rs.id}`;
      dispatch.push(`${vs.vip} . ${vs.proto} . ${vs.port} : goto vs_${vs.id}`);
      s.add(`add chain ${T} vs_${vs.id}`);
      // IPVS's established timeouts: TCP 900 s, UDP 300 s.
      s.object('map', `f_${vs.id}`, `{ type ipv4_addr . inet_service : ether_addr; size ${DYN_SET_SIZE}; flags dynamic,timeout; timeout ${vs.proto === 'tcp' ? 900 : 300}s; }`);
      if (vs.persistence) {
        s.object('map', `p_${vs.id}`, `{ type ipv4_addr : ether_addr; size ${DYN_SET_SIZE}; flags dynamic,timeout; timeout ${vs.persistence.timeout}s; }`);
      }
      for (const rs of all) {
        for (const c of ['c', 'i']) s.object('counter', `${c}_${vs.id}_${rs.id}`, '');
        s.add(`add chain ${T} ${nChain(rs)}`);
        s.add(`add chain ${T} ${eChain(rs)}`);
      }
      const macVmap = (servers: DpServer[], chain: (rs: DpServer) => string): string | undefined => {
        const seen = new Set<string>();
        const els: string[] = [];
        for (const rs of servers) {
          if (!rs.mac || seen.has(rs.mac)) continue;
          seen.add(rs.mac);
          els.push(`${rs.mac} : goto ${chain(rs)}`);
        }
        return els.length ? `ether daddr vmap { ${els.join(', ')} }` : undefined;
      };
      // 1. A known flow stays on its server while that server is alive, drained or not.
      const est = macVmap(all.filter((x) => x.alive), eChain);
      if (est) s.add(`add rule ${T} vs_${vs.id} ether daddr set ip saddr . th sport map @f_${vs.id} ${est}`);
      // 2. Persistence: a known client goes back to its server while that one takes new flows.
      if (vs.persistence && !vs.sorry) {
        const per = macVmap(vs.servers.filter((x) => x.alive && x.weight > 0), nChain);
        if (per) s.add(`add rule ${T} vs_${vs.id} ether daddr set ${saddrKey(vs)} map @p_${vs.id} ${per}`);
      }
      // 3. New flow: the scheduler picks (numgen is safe here: only a flow's first packet gets this far).
      const pick = schedulingRule(s, vs, nChain);
      s.add(`add rule ${T} vs_${vs.id} ${pick ?? 'counter drop'}`);
      for (const rs of all) {
        if (!rs.mac) throw new Error(`DR real server ${rs.ip}: MAC unknown`);
        const upd = vs.persistence && rs !== vs.sorry ? ` update @p_${vs.id} { ${saddrKey(vs)} : ${rs.mac} }` : '';
        s.add(`add rule ${T} ${nChain(rs)} counter name "c_${vs.id}_${rs.id}"${upd} goto ${eChain(rs)}`);
        s.add(
          `add rule ${T} ${eChain(rs)} ether saddr set ${vs.lbMac} ether daddr set ${rs.mac} update @f_${vs.id} { ip saddr . th sport : ${rs.mac} } counter name "i_${vs.id}_${rs.id}" fwd to "${vs.iface}"`,
        );
      }
    }
    s.add(`add rule ${T} ${base} ip daddr . meta l4proto . th dport vmap { ${dispatch.join(', ')} }`);
  }
}

/**
 * Renders the transaction that takes the kernel from `previous` (what this process
 * installed last, undefined on the first apply) to `state`.
 */
export function renderState(state: DesiredState, memo?: RenderMemo): Rendered {
  const previous = memo?.objects;
  const out: string[] = [];
  const objects: ObjectDecls = new Map();
  const slots = new Map<string, string[]>();
  const families: Array<['ip' | 'netdev', DpVirtualServer[]]> = [
    ['ip', state.vss.filter((v) => v.kind === 'NAT')],
    ['netdev', state.vss.filter((v) => v.kind === 'DR')],
  ];
  for (const [family, vss] of families) {
    const T = `${family} ${TABLE}`;
    const hadBefore = previous ? [...previous.keys()].some((k) => k.startsWith(`${family} `)) : false;
    const s = new Script(family);
    if (vss.length === 0) {
      // Nothing of this family any more: drop the table (add first so delete cannot fail).
      if (hadBefore || !previous) out.push(`add table ${T}`, `delete table ${T}`);
      continue;
    }
    if (family === 'ip') renderNat(vss, s);
    else renderDr(vss, s);
    out.push(`add table ${T}`, `flush table ${T}`);
    // Chains that are gone: rules were flushed above, so nothing references them.
    // Objects whose declaration changed are re-created (losing their entries).
    for (const [key, decl] of previous ?? []) {
      const [fam, kind, name] = key.split(' ');
      if (fam !== family || name === undefined) continue;
      if (s.objects.get(key) !== decl) out.push(`delete ${kind} ${fam} ${TABLE} ${name}`);
    }
    for (const [key, decl] of s.objects) {
      const [, kind, name] = key.split(' ');
      out.push(`add ${kind} ${T} ${name}${decl ? ' ' + decl : ''}`);
      objects.set(key, decl);
    }
    // Scheduler maps: only the slots that changed (all of them for a new or re-created map).
    const slotOps: string[] = [];
    for (const [key, next] of s.slotMaps) {
      const name = key.split(' ')[1];
      const kept = previous?.get(`${family} map ${name}`) === s.objects.get(`${family} map ${name}`);
      slotOps.push(...slotDiff(T, name, kept ? memo?.slots.get(key) : undefined, next));
      slots.set(key, next);
    }
    // Chains first (elements jump to them), then map elements, then rules.
    const chainLines = s.lines.filter((l) => l.startsWith('add chain '));
    out.push(...chainLines, ...slotOps, ...s.lines.filter((l) => !l.startsWith('add chain ')));
    if (previous) for (const c of previous.get(`${family} chains`)?.split(' ') ?? []) if (c && !s.lines.some((l) => l.startsWith(`add chain ${T} ${c}`))) out.push(`delete chain ${T} ${c}`);
    const chains = s.lines.filter((l) => l.startsWith(`add chain ${T} `)).map((l) => l.split(' ')[4]);
    objects.set(`${family} chains`, chains.join(' '));
  }
  return { text: out.join('\n') + '\n', objects, slots };
}

/** Removes both Triad tables whether or not they exist (crash recovery and exit). */
export function renderCleanup(): string {
  return [`add table ip ${TABLE}`, `delete table ip ${TABLE}`, `add table netdev ${TABLE}`, `delete table netdev ${TABLE}`].join('\n') + '\n';
}

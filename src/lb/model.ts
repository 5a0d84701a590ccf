// Pure decisions of the control plane: from configuration, health states, drains
// and interface facts to the datapath's desired state and the operator's view.

import type { KeepalivedConfig, RealServerConfig, VirtualServerConfig } from '../config/keepalived-conf.js';
import type { DesiredState, DpServer, DpVirtualServer } from './datapath.js';
import { rsName, vsName } from './datapath.js';
import type { CheckState } from './health.js';

export interface VsPlacement {
  iface: string;
  lbMac?: string;
}

export interface ModelInputs {
  conf: KeepalivedConfig;
  placement: (vs: VirtualServerConfig) => VsPlacement | undefined;
  /** DR: MAC of a real server on an interface, when resolved. */
  macOf: (ip: string, iface: string) => string | undefined;
  checkState: (rs: RealServerConfig, i: number) => CheckState | undefined;
  /** Drained endpoints, as `VIP:PORT/PROTO RIP:RPORT`. */
  drains: ReadonlySet<string>;
  /** Quorum state from the previous evaluation, for hysteresis. */
  quorumUp: ReadonlyMap<string, boolean>;
}

export interface RsView {
  ip: string;
  port: number;
  weight: number;
  effectiveWeight: number;
  alive: boolean;
  state: string;
  drained: boolean;
  id: string;
}

export interface VsView {
  key: string;
  id: string;
  vip: string;
  port: number;
  proto: 'tcp' | 'udp';
  kind: string;
  algo: string;
  iface?: string;
  persistence: number;
  quorumUp: boolean;
  sorryActive: boolean;
  servers: RsView[];
  sorry?: RsView;
  error?: string;
}

export interface ModelOutput {
  state: DesiredState;
  views: VsView[];
  quorumUp: Map<string, boolean>;
}

export function drainKey(vsKey: string, ip: string, port: number): string {
  return `${vsKey} ${ip}:${port}`;
}

export function computeModel(inp: ModelInputs): ModelOutput {
  const vss: DpVirtualServer[] = [];
  const views: VsView[] = [];
  const quorumUp = new Map<string, boolean>();
  const vrrpVips = new Set(inp.conf.vrrp.instances.flatMap((i) => [...i.vips, ...i.vipsExcluded].map((v) => v.ip)));
  for (const vs of inp.conf.virtualServers) {
    const proto = vs.protocol === 'TCP' ? 'tcp' : 'udp';
    const id = vsName(vs.vip, vs.port, proto);
    const place = inp.placement(vs);
    const view: VsView = {
      key: vs.key, id, vip: vs.vip, port: vs.port, proto, kind: vs.kind, algo: vs.algo, iface: place?.iface,
      persistence: vs.persistenceTimeout, quorumUp: true, sorryActive: false, servers: [],
    };
    views.push(view);
    if (!place) {
      // triad_interface names a link that is missing (not created yet, or deleted): say that, not
      // that the VIP has no subnet.
      view.error = vs.iface ? `waiting for interface ${vs.iface} (triad_interface)` : 'no interface has a connected subnet holding the VIP (set triad_interface)';
      // Its real servers are still shown, so `ctl lb` lists what the configuration holds.
      for (const rs of vs.realServers) {
        const drained = inp.drains.has(drainKey(vs.key, rs.ip, rs.port));
        view.servers.push({ ip: rs.ip, port: rs.port, weight: rs.weight, effectiveWeight: 0, alive: false, state: 'not served (waiting for the interface)', drained, id: rsName(rs.ip, rs.port) });
      }
      continue;
    }
    const servers: DpServer[] = [];
    for (const rs of vs.realServers) {
      const states = rs.checks.map((_, i) => inp.checkState(rs, i));
      // No state yet means the checker has not been created: alpha decides.
      const checksUp = states.every((s) => (s ? s.up : !vs.alpha));
      const dyn = states.map((s) => s?.weight).filter((w): w is number => w !== undefined);
      const drained = inp.drains.has(drainKey(vs.key, rs.ip, rs.port));
      const mac = vs.kind === 'DR' ? inp.macOf(rs.ip, place.iface) : undefined;
      const reachable = vs.kind !== 'DR' || mac !== undefined;
      let alive = checksUp && reachable;
      let weight = dyn.length ? Math.min(...dyn) : rs.weight;
      let state = !reachable ? 'DOWN (no ARP reply)' : checksUp ? 'UP' : `DOWN (${states.find((s) => s && !s.up)?.detail ?? 'alpha'})`;
      if (drained) {
        weight = 0;
        state += ', draining';
      }
      if (!alive && rs.inhibitOnFailure && reachable) {
        // inhibit_on_failure: keep it with weight 0 so established flows drain.
        alive = true;
        weight = 0;
        state += ', inhibited';
      }
      const dp: DpServer = { id: rsName(rs.ip, rs.port), ip: rs.ip, port: rs.port, mac, weight, alive };
      servers.push(dp);
      view.servers.push({ ip: rs.ip, port: rs.port, weight: rs.weight, effectiveWeight: alive ? weight : 0, alive, state, drained, id: dp.id });
    }
    // Quorum: total weight of live servers, with hysteresis around the threshold.
    const live = servers.filter((s) => s.alive).reduce((a, s) => a + s.weight, 0);
    const prev = inp.quorumUp.get(vs.key);
    const up = prev === undefined ? live >= vs.quorum : prev ? live >= vs.quorum - vs.hysteresis : live >= vs.quorum + vs.hysteresis;
    quorumUp.set(vs.key, up);
    view.quorumUp = up;
    let sorry: DpServer | undefined;
    if (vs.sorryServer) {
      const ss = vs.sorryServer;
      const mac = vs.kind === 'DR' ? inp.macOf(ss.ip, place.iface) : undefined;
      const dp: DpServer = { id: rsName(ss.ip, ss.port), ip: ss.ip, port: ss.port, mac, weight: 1, alive: vs.kind !== 'DR' || mac !== undefined };
      view.sorry = { ip: ss.ip, port: ss.port, weight: 1, effectiveWeight: up ? 0 : 1, alive: dp.alive, state: dp.alive ? 'sorry server' : 'sorry server (no ARP reply)', drained: false, id: dp.id };
      // Quorum lost: the sorry server takes every new flow (keepalived adds it then).
      if (!up && dp.alive) sorry = dp;
    }
    view.sorryActive = sorry !== undefined;
    vss.push({
      id, vip: vs.vip, port: vs.port, proto, kind: vs.kind, datapath: vs.datapath, iface: place.iface, lbMac: place.lbMac,
      algo: vs.algo, hashPort: vs.hashPort,
      persistence: vs.persistenceTimeout > 0 ? { timeout: vs.persistenceTimeout, prefix: vs.persistencePrefix } : undefined,
      servers, sorry,
      ...(vrrpVips.has(vs.vip) ? { vrrp: true } : {}),
    });
  }
  return { state: { vss }, views, quorumUp };
}

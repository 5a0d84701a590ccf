// `triad ctl lb` output, laid out like `ipvsadm -Ln --stats` plus state and weight.

import type { ServerCounters } from './datapath.js';
import type { RsView, VsView } from './model.js';

export interface StatusVs extends Omit<VsView, 'servers'> {
  servers: Array<RsView & { sorry?: boolean; counters?: ServerCounters }>;
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

export function formatStatus(vss: StatusVs[], engine: string): string {
  const out = [`IP Virtual Server (Triad, ${engine} engine)`, 'Prot LocalAddress:Port Scheduler Forward Interface [flags]', `  -> RemoteAddress:Port         Weight ActiveConn    Conns   InPkts  OutPkts  InBytes OutBytes  State`];
  for (const v of vss) {
    const flags = [v.persistence ? `persistent ${v.persistence}` : '', v.quorumUp ? '' : 'QUORUM LOST', v.sorryActive ? 'sorry server active' : '', v.error ?? ''].filter(Boolean).join(', ');
    out.push(`${v.proto.toUpperCase().padEnd(4)} ${`${v.vip}:${v.port}`.padEnd(22)} ${v.algo.padEnd(4)} ${v.kind === 'DR' ? 'Route' : v.kind === 'TUN' ? 'Tunnel' : 'Masq '} ${v.iface ?? '-'}${flags ? `  [${flags}]` : ''}`);
    for (const s of v.servers) {
      const c = s.counters ?? { conns: 0, inPkts: 0, inBytes: 0, outPkts: 0, outBytes: 0, active: 0 };
      out.push(
        `  -> ${`${s.ip}:${s.port}`.padEnd(24)} ${pad(s.effectiveWeight, 6)} ${pad(c.active, 10)} ${pad(c.conns, 8)} ${pad(c.inPkts, 8)} ${pad(c.outPkts, 8)} ${pad(c.inBytes, 8)} ${pad(c.outBytes, 8)}  ${s.state}${s.sorry ? '' : s.weight !== s.effectiveWeight ? ` (configured ${s.weight})` : ''}`,
      );
    }
  }
  return out.join('\n') + '\n';
}

// The packet engine on a VRRP address: where VRRP has put the address on the
// interface (the master), the kernel's own stack would answer the VIP's port with
// RSTs. A netdev ingress drop runs after the AF_PACKET ETH_P_ALL taps and before
// the protocol handlers, so the engine still receives every frame while the kernel
// sees none (lb-datapath notes, §3.4). One table, one chain per interface.

import { execFile } from 'node:child_process';

export interface GuardEntry {
  iface: string;
  vip: string;
  port: number;
  proto: 'tcp' | 'udp';
}

export const GUARD_TABLE = 'triad_packet_guard';

/** The whole table as one nft transaction (empty entries: just its removal). */
export function guardRuleset(entries: GuardEntry[]): string {
  const lines = [`table netdev ${GUARD_TABLE}`, `delete table netdev ${GUARD_TABLE}`];
  const byIf = new Map<string, GuardEntry[]>();
  for (const e of entries) byIf.set(e.iface, [...(byIf.get(e.iface) ?? []), e]);
  if (byIf.size) {
    lines.push(`table netdev ${GUARD_TABLE} {`);
    let i = 0;
    for (const [iface, es] of byIf) {
      lines.push(`  chain in${i++} {`, `    type filter hook ingress device ${JSON.stringify(iface)} priority -500; policy accept;`);
      for (const e of es) lines.push(`    ip daddr ${e.vip} ${e.proto} dport ${e.port} counter drop`);
      lines.push('  }');
    }
    lines.push('}');
  }
  return lines.join('\n') + '\n';
}

export function applyGuard(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = execFile('nft', ['-f', '-'], (err, _out, stderr) => (err ? reject(new Error(stderr.trim() || err.message)) : resolve()));
    p.stdin?.end(text);
  });
}

// global_defs' `lvs_sync_daemon INTERFACE VRRP_INSTANCE [id N] [maxlen N] [port N]
// [ttl N] [group ADDR]` (keepalived's syntax) and Triad's `triad_sync_key SECRET`: the
// packet engine's connection sync (src/lb/sync-*.ts). The instance named must exist
// (checked with the VRRP part, by the load balancer's config check).

import type { DiagnosticSink, Position } from './diagnostics.js';
import type { Token } from './tokenizer.js';

export interface SyncDaemonConfig {
  iface: string;
  instance: string;
  syncId: number;
  port: number;
  /** Largest sync datagram (UDP payload) in bytes. */
  maxLen: number;
  ttl: number;
  /** Multicast group, or a unicast address of the peer. */
  group: string;
  /** `triad_sync_key` when given; else the instance's auth_pass is used. */
  key?: string;
  pos: Position;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** `words` is the whole lvs_sync_daemon line. */
export function parseSyncDaemon(words: Token[], sink: DiagnosticSink): SyncDaemonConfig | undefined {
  if (words.length < 3) {
    sink.error(words[0], 'lvs_sync_daemon takes an interface and a vrrp_instance name: lvs_sync_daemon INTERFACE VRRP_INSTANCE [id N] [port N] [maxlen N] [ttl N] [group ADDRESS]');
    return undefined;
  }
  const out: SyncDaemonConfig = { iface: words[1].value, instance: words[2].value, syncId: 0, port: 8848, maxLen: 1472, ttl: 1, group: '224.0.0.81', pos: words[0] };
  const num = (t: Token | undefined, name: string, min: number, max: number): number | undefined => {
    const n = t && /^\d+$/.test(t.value) ? Number(t.value) : NaN;
    if (!(n >= min && n <= max)) {
      sink.error(t ?? words[0], `lvs_sync_daemon ${name} must be a number from ${min} to ${max}`);
      return undefined;
    }
    return n;
  };
  for (let i = 3; i < words.length; i += 2) {
    const k = words[i].value;
    const v = words[i + 1];
    switch (k) {
      case 'id':
        out.syncId = num(v, 'id', 0, 255) ?? out.syncId;
        break;
      case 'port':
        out.port = num(v, 'port', 1, 65535) ?? out.port;
        break;
      case 'maxlen':
        out.maxLen = num(v, 'maxlen', 84, 65507) ?? out.maxLen;
        break;
      case 'ttl':
        out.ttl = num(v, 'ttl', 1, 255) ?? out.ttl;
        break;
      case 'group':
        if (v && IPV4.test(v.value) && v.value.split('.').every((o) => Number(o) <= 255)) out.group = v.value;
        else sink.error(v ?? words[i], 'lvs_sync_daemon group must be an IPv4 address');
        break;
      default:
        sink.error(words[i], `lvs_sync_daemon: unknown option '${k}' (id, port, maxlen, ttl, group)`);
        return out;
    }
  }
  return out;
}

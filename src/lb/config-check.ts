// keepalived.conf as `triad check` and `triad run` see it: the parser's
// diagnostics plus what each virtual server's engine cannot serve (capabilities.ts).

import { DiagnosticSink } from '../config/diagnostics.js';
import { locateConfig, type ConfigLocation, type RunOptions } from '../service.js';
import { loadKeepalivedConf, type KeepalivedConfig } from '../config/keepalived-conf.js';
import { kindProblem, schedulerProblem } from './capabilities.js';

export interface KeepalivedCheck {
  conf: KeepalivedConfig;
  sink: DiagnosticSink;
}

export const KEEPALIVED_CONF: ConfigLocation = { file: 'keepalived.conf', option: 'lb-conf' };

/**
 * `globalDatapath` is `--lb-datapath`; each virtual server's engine becomes its own
 * `lb_datapath`, else global_defs', else the flag's, else nft. A scheduler or
 * forwarding method the chosen engine lacks is an error at the scheduler (or the
 * virtual server), naming the engine that has it.
 */
export function checkKeepalivedConf(file: string, globalDatapath?: string): KeepalivedCheck {
  const sink = new DiagnosticSink();
  const conf = loadKeepalivedConf(file, sink);
  const flag = globalDatapath === 'packet' || globalDatapath === 'userspace' ? 'packet' : undefined;
  for (const vs of conf.virtualServers) {
    vs.datapath = vs.datapath ?? conf.datapath ?? flag ?? 'nft';
    const engine = vs.datapath === 'packet' ? 'packet' : 'nft';
    const kind = kindProblem(vs.kind, engine);
    if (kind) sink.error(vs.pos, `virtual_server ${vs.vip} ${vs.port}: ${kind}`);
    const sched = schedulerProblem(vs.algo, engine);
    if (sched) sink.error(vs.algoPos ?? vs.pos, `virtual_server ${vs.vip} ${vs.port}: ${sched}`);
  }
  checkSyncDaemon(conf, sink);
  return { conf, sink };
}

/** lvs_sync_daemon: its vrrp_instance must exist, and a shared key must be known. */
function checkSyncDaemon(conf: KeepalivedConfig, sink: DiagnosticSink): void {
  const sd = conf.syncDaemon;
  if (!sd) return;
  const inst = conf.vrrp.instances.find((i) => i.name === sd.instance);
  if (!inst) {
    sink.error(sd.pos, `lvs_sync_daemon: no vrrp_instance named ${sd.instance}`);
    return;
  }
  const packet = conf.virtualServers.some((v) => v.datapath === 'packet');
  if (packet && sd.key === undefined && inst.authPass === undefined) {
    sink.error(sd.pos, `lvs_sync_daemon: connection sync is authenticated with a shared key: set triad_sync_key SECRET in global_defs (or auth_pass in vrrp_instance ${sd.instance})`);
  }
  if (!packet && !conf.virtualServers.some((v) => v.kind === 'NAT')) {
    sink.warning(sd.pos, 'lvs_sync_daemon: no packet-engine or NAT virtual server, so there is nothing to sync; DR flows of the nftables engine keep their real server across a failover with mh scheduling');
  }
}

/** `--lb-conf FILE` (an error when missing), else CONF_DIR/keepalived.conf when present. */
export function lbConfPath(opts: Pick<RunOptions, 'confDir' | 'files'>): string | undefined {
  return locateConfig(opts, KEEPALIVED_CONF);
}

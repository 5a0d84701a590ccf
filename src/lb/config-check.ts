// keepalived.conf as `triad check` and `triad run` see it: the parser's
// diagnostics plus what the nftables engine cannot serve (lc, wlc, …).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { DiagnosticSink } from '../config/diagnostics.js';
import type { RunOptions } from '../service.js';
import { loadKeepalivedConf, type KeepalivedConfig } from '../config/keepalived-conf.js';
import { buildSlotTable, UnsupportedSchedulerError } from './scheduler.js';

export interface KeepalivedCheck {
  conf: KeepalivedConfig;
  sink: DiagnosticSink;
}

/**
 * `globalDatapath` is `--lb-datapath`; each virtual server's engine becomes its own
 * `lb_datapath`, else global_defs', else the flag's, else nft. Only the nft engine
 * refuses lc/wlc/sed/nq and TUN: the packet engine serves them.
 */
export function checkKeepalivedConf(file: string, globalDatapath?: string): KeepalivedCheck {
  const sink = new DiagnosticSink();
  const conf = loadKeepalivedConf(file, sink);
  const flag = globalDatapath === 'packet' || globalDatapath === 'userspace' ? 'packet' : undefined;
  for (const vs of conf.virtualServers) {
    vs.datapath = vs.datapath ?? conf.datapath ?? flag ?? 'nft';
    if (vs.datapath === 'packet') continue;
    if (vs.kind === 'TUN') sink.error(vs.pos, `virtual_server ${vs.vip} ${vs.port}: lb_kind TUN is not supported by the nft engine (DR and NAT are); use lb_datapath packet`);
    try {
      buildSlotTable(vs.algo, [], vs.hashPort);
    } catch (e) {
      if (e instanceof UnsupportedSchedulerError) sink.error(vs.algoPos ?? vs.pos, `virtual_server ${vs.vip} ${vs.port}: ${e.message}`);
      else throw e;
    }
  }
  return { conf, sink };
}

/** `--lb-conf FILE`, else CONF_DIR/keepalived.conf when present. */
export function lbConfPath(opts: RunOptions): string | undefined {
  const explicit = opts.files['lb-conf'];
  if (explicit) return explicit;
  const def = path.join(opts.confDir, 'keepalived.conf');
  return existsSync(def) ? def : undefined;
}

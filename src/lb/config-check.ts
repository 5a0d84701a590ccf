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

export function checkKeepalivedConf(file: string): KeepalivedCheck {
  const sink = new DiagnosticSink();
  const conf = loadKeepalivedConf(file, sink);
  for (const vs of conf.virtualServers) {
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

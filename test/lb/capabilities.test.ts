// One table says which engine serves which scheduler and forwarding method; the
// configuration check and the nft engine's own refusal both word it from there.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kindProblem, schedulerProblem, SCHEDULER_SUPPORT } from '../../src/lb/capabilities.js';
import { checkKeepalivedConf } from '../../src/lb/config-check.js';
import { buildSlotTable } from '../../src/lb/scheduler.js';
import { PacketScheduler } from '../../src/lb/packet-sched.js';
import type { LbAlgo } from '../../src/config/keepalived-conf.js';

t.test('the table agrees with what each engine does', async (t) => {
  for (const algo of Object.keys(SCHEDULER_SUPPORT) as LbAlgo[]) {
    const row = SCHEDULER_SUPPORT[algo];
    const nft = (() => {
      try {
        buildSlotTable(algo, [{ id: 'a', weight: 1 }], false);
        return true;
      } catch {
        return false;
      }
    })();
    t.equal(nft, row.nft, `${algo}: nft ${row.nft ? 'serves' : 'refuses'} it`);
    const packet = (() => {
      try {
        new PacketScheduler(algo, [{ id: 'a', weight: 1, usable: true, activeConns: 0, inactConns: 0 }], false).pick(1, 2, 3);
        return true;
      } catch {
        return false;
      }
    })();
    t.equal(packet, row.packet, `${algo}: packet ${row.packet ? 'serves' : 'refuses'} it`);
  }
});

t.test('messages name the engine that can, and only one that can', async (t) => {
  t.match(schedulerProblem('wlc', 'nft'), /needs live per-server connection counts.*userspace engine \(lb_datapath packet\)/);
  t.equal(schedulerProblem('wlc', 'packet'), undefined);
  t.match(schedulerProblem('lblc', 'packet'), /'lblc' is not implemented by Triad's engines; use rr, .* \(or lc, wlc, sed, nq with lb_datapath packet\)/);
  t.notMatch(schedulerProblem('lblc', 'nft') ?? '', /userspace engine/);
  t.match(kindProblem('TUN', 'nft'), /lb_kind TUN is not supported by the nft engine \(DR and NAT are\); use lb_datapath packet/);
  t.equal(kindProblem('TUN', 'packet'), undefined);
});

t.test('check: lblc with lb_datapath packet is an error at the scheduler; wlc with it is fine', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-caps-'));
  const conf = (algo: string): string => {
    const f = path.join(dir, `${algo}.conf`);
    writeFileSync(f, `virtual_server 10.0.0.100 80 {\n  lb_algo ${algo}\n  lb_kind NAT\n  lb_datapath packet\n  protocol TCP\n  real_server 10.0.0.3 80 {\n  }\n}\n`);
    return f;
  };
  const bad = checkKeepalivedConf(conf('lblc'));
  t.equal(bad.sink.errors.length, 1);
  t.match(bad.sink.errors[0], { line: 2, message: /virtual_server 10\.0\.0\.100 80: scheduler 'lblc' is not implemented/ });
  t.equal(checkKeepalivedConf(conf('wlc')).sink.errors.length, 0);
  t.equal(checkKeepalivedConf(conf('wlc'), undefined).conf.virtualServers[0].datapath, 'packet');
});

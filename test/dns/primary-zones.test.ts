// What a reload does to each primary zone's journal (ixfr-from-differences), the journal
// settings from named.conf, and which zones are announced by NOTIFY.
import t from 'tap';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { configureJournals, notifyInfos, recordReload } from '../../src/dns/primary-zones.js';
import { planIxfr } from '../../src/dns/ixfr-out.js';
import { ZoneJournal } from '../../src/dns/zone-journal.js';
import type { Logger } from '../../src/log.js';
import type { Zone } from '../../src/dns/zone.js';
import { miniZone } from '../helpers/mini-zone.js';

const conf = (text: string) => {
  const sink = new DiagnosticSink();
  const c = parseNamedConf('/etc/triad-test/named.conf', text, sink, {});
  if (sink.errors.length) throw new Error(sink.errors.map((e) => e.message).join('; '));
  return c;
};
const zone = (serial: number, extra = ''): Zone => miniZone('ex.test', `@ 300 SOA ns.ex.test. admin.ex.test. ${serial} 3600 600 86400 60\n@ 300 NS ns\nns 300 A 192.0.2.1\nwww 300 A 192.0.2.80\nmail 300 A 192.0.2.25\n${extra}`);
function logger(): { log: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const log = { warn: (_o: unknown, msg: string) => warnings.push(msg) } as unknown as Logger;
  return { log, warnings };
}
const CONF = 'zone "ex.test" { type primary; file "ex"; }; zone "fwd.test" { type forward; forwarders { 192.0.2.53; }; };';

t.test('a reload with a higher serial records the difference; the IXFR then serves it', async (t) => {
  const c = conf(CONF);
  const journals = new Map<string, ZoneJournal>();
  configureJournals(journals, c);
  const before = zone(1);
  const after = zone(2, 'new 300 A 192.0.2.99');
  const { log, warnings } = logger();
  recordReload(journals, new Map([[before.originKey, before]]), [after], c, log);
  const j = journals.get(after.originKey)!;
  t.equal(j.size, 1);
  t.equal(j.current, after);
  const plan = planIxfr(after, j, 1);
  t.equal(plan.kind, 'incremental');
  if (plan.kind === 'incremental') t.same([plan.deletions, plan.additions], [0, 1]);
  t.same(warnings, []);
  // The same content again (a SIGHUP with nothing edited): the history stays and leads to the new object.
  const again = zone(2, 'new 300 A 192.0.2.99');
  recordReload(journals, new Map([[after.originKey, after]]), [again], c, log);
  t.equal(j.size, 1, 'kept');
  t.equal(j.current, again);
  t.equal(planIxfr(again, j, 1).kind, 'incremental');
});

t.test('an edit without a higher serial, or ixfr-from-differences no: a new history', async (t) => {
  const c = conf(CONF);
  const journals = new Map<string, ZoneJournal>();
  configureJournals(journals, c);
  const v1 = zone(1);
  const v2 = zone(2, 'a 300 A 192.0.2.2');
  const { log, warnings } = logger();
  recordReload(journals, new Map([[v1.originKey, v1]]), [v2], c, log);
  const same = zone(2, 'b 300 A 192.0.2.3');
  recordReload(journals, new Map([[v2.originKey, v2]]), [same], c, log);
  const j = journals.get(v1.originKey)!;
  t.equal(j.size, 0, 'forgotten');
  t.same(warnings, ['zone ex.test/IN: zone serial (2) unchanged. zone may fail to transfer to secondaries.'], "BIND's warning");
  t.same(planIxfr(same, j, 1), { kind: 'full', reason: 'not-in-journal' }, 'a secondary at serial 1 gets the whole zone');
  const off = conf('zone "ex.test" { type primary; file "ex"; ixfr-from-differences no; };');
  const j2 = new Map<string, ZoneJournal>();
  configureJournals(j2, off);
  const v3 = zone(3, 'c 300 A 192.0.2.4');
  recordReload(j2, new Map([[same.originKey, same]]), [v3], off, log);
  t.equal(j2.get(v3.originKey)!.size, 0, 'ixfr-from-differences no: nothing kept');
  t.equal(planIxfr(v3, j2.get(v3.originKey), 2).kind, 'full');
});

t.test('journal settings from named.conf; zones no longer primary forget theirs; NOTIFY for primary zones only', async (t) => {
  const c = conf('options { max-ixfr-ratio 30%; max-journal-size 1m; notify explicit; also-notify { 127.0.0.1 port 5301; }; }; zone "ex.test" { type primary; file "ex"; max-ixfr-ratio unlimited; }; zone "b.test" { type primary; file "b"; };');
  const journals = new Map<string, ZoneJournal>();
  configureJournals(journals, c);
  const ex = journals.get(zone(1).originKey)!;
  t.equal(ex.maxIxfrRatio, undefined, 'unlimited');
  t.equal(ex.maxSize, 1024 * 1024);
  t.equal([...journals.values()].find((j) => j !== ex)?.maxIxfrRatio, 30, "the options' ratio for the other zone");
  configureJournals(journals, conf('zone "b.test" { type primary; file "b"; };'));
  t.equal(journals.size, 1, 'ex.test dropped from the configuration: its journal goes');
  const infos = notifyInfos([zone(7), miniZone('other.test', '@ 300 SOA ns.other.test. a.other.test. 1 1 1 1 1')], c, new Set());
  t.same(infos.map((i) => [i.zone, i.serial, i.targets]), [['ex.test.', 7, [{ address: '127.0.0.1', port: 5301 }]]], 'other.test is no primary zone of this configuration');
});

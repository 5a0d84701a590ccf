// What a load tells the log: a dynamic zone is reported at the serial it is served at
// (its file plus its updates), not its file's, since a reload keeps the updated zone.
import t from 'tap';
import { loadReport } from '../../src/dns/dns-host.js';
import type { DnsConfig } from '../../src/dns/dns-config.js';

const cfg = { loaded: [{ name: 'dyn.test', serial: 19, file: 'dyn.zone' }, { name: 'static.test', serial: 7, file: 's.zone' }], failed: [], zoneErrors: [], warnings: [] } as unknown as DnsConfig;

t.test('a dynamic zone reports its served serial; other zones their file serial', async (t) => {
  const r = loadReport(cfg, (z) => (z === 'dyn.test' ? 20 : undefined));
  t.same(r.loaded.map((z) => [z.name, z.serial]), [['dyn.test', 20], ['static.test', 7]]);
});

t.test('without a served-serial source every zone reports its file serial', async (t) => {
  t.same(loadReport(cfg).loaded.map((z) => z.serial), [19, 7]);
});

// The owner of catalog members (catalog-owner.ts) with real SecondaryZones whose
// primaries do not answer (nothing listens on the port): which members become
// secondary zones, with which file (zone-directory, in-memory), which primaries
// (the catalog's own, else default-primaries), and that a member the configuration
// declares itself is left to the configuration.
import t from 'tap';
import net from 'node:net';
import { createLogger } from '../../src/log.js';
import { CatalogZones, type MemberZone } from '../../src/dns/catalog-owner.js';
import { SecondaryZones } from '../../src/dns/secondary.js';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { parseNamedConf } from '../../src/config/named-conf.js';
import { loadZoneText } from '../../src/dns/zone-loader.js';
import { buildZone, type Zone } from '../../src/dns/zone.js';
import { parseName } from '../../src/wire/dns-name.js';
import { CLASS_IN } from '../../src/wire/rr-type.js';
import { waitFor } from '../helpers/triad-run.js';

/** A loopback port nothing listens on (taken, then released). */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function catalogZone(serial: number, body: string): Zone {
  const text = `$TTL 0\n$ORIGIN catalog.example.\n@ SOA invalid. invalid. ${serial} 3600 600 86400 0\n@ NS invalid.\nversion TXT "2"\n${body}`;
  const r = loadZoneText({ origin: 'catalog.example', text });
  if (!r.records) throw new Error('fixture does not load');
  return buildZone(parseName('catalog.example.'), CLASS_IN, r.records, serial);
}

t.test('members become secondary zones with their file and primaries', async (t) => {
  const port = await deadPort();
  const sink = new DiagnosticSink();
  const conf = parseNamedConf('/srv/dns/named.conf', `options {
    directory "/srv/dns/data";
    catalog-zones {
        zone "catalog.example" default-primaries { 127.0.0.1 port ${port}; } zone-directory "catz" min-update-interval 0;
        zone "memory.example" default-primaries { 127.0.0.1 port ${port}; } in-memory yes min-update-interval 0;
    };
};
zone "catalog.example" { type secondary; primaries { 127.0.0.1 port ${port}; }; };
zone "memory.example" { type secondary; primaries { 127.0.0.1 port ${port}; }; };
zone "mine.test" { type secondary; primaries { 127.0.0.1 port ${port}; }; };
`, sink);
  t.same(sink.items.filter((d) => d.severity === 'error'), []);
  const sec = new SecondaryZones(createLogger({ level: 'silent' }), () => undefined, { xfr: { idleMs: 200, soaTimeoutMs: 200 } });
  const published: MemberZone[][] = [];
  const owner = new CatalogZones(createLogger({ level: 'silent' }), sec, (m) => published.push(m));
  t.teardown(() => {
    owner.stop();
    sec.stop();
  });
  owner.configure(conf);
  t.same(sec.names().sort(), ['catalog.example', 'memory.example', 'mine.test'], 'at first only the configured zones');

  owner.version('catalog.example', catalogZone(1, 'a.zones PTR one.test.\nb.zones PTR mine.test.\nc.zones PTR own.test.\nprimaries.ext.c.zones A 192.0.2.7\n'));
  t.ok(await waitFor(() => sec.has('one.test') && sec.has('own.test'), 2000, 10), 'the members are secondary zones');
  t.equal(sec.status('one.test').file, '/srv/dns/data/catz/__catz___default_catalog.example_one.test.db', 'in zone-directory, named as BIND names it');
  t.same(sec.status('one.test').primaries, [`127.0.0.1#${port}`], 'default-primaries');
  t.same(sec.status('own.test').primaries, ['192.0.2.7#53'], "the catalog's own primaries for the member");
  t.equal(sec.status('mine.test').file, undefined, 'a zone of the configuration stays as configured');
  t.same(published.at(-1)?.map((m) => m.name).sort(), ['one.test', 'own.test'], 'the configured zone is not published as a member');
});

t.test('in-memory members have no file; an unusable catalog keeps the members', async (t) => {
  const port = await deadPort();
  const conf = parseNamedConf('/srv/dns/named.conf', `options {
    directory "/srv/dns/data";
    catalog-zones { zone "catalog.example" default-primaries { 127.0.0.1 port ${port}; } in-memory yes min-update-interval 0; };
};
zone "catalog.example" { type secondary; primaries { 127.0.0.1 port ${port}; }; };
`, new DiagnosticSink());
  const sec = new SecondaryZones(createLogger({ level: 'silent' }), () => undefined, { xfr: { idleMs: 200, soaTimeoutMs: 200 } });
  const owner = new CatalogZones(createLogger({ level: 'silent' }), sec, () => undefined);
  t.teardown(() => {
    owner.stop();
    sec.stop();
  });
  owner.configure(conf);
  owner.version('catalog.example', catalogZone(1, 'a.zones PTR one.test.\n'));
  t.ok(await waitFor(() => sec.has('one.test'), 2000, 10));
  t.equal(sec.status('one.test').file, undefined, 'in memory only');
  const broken = catalogZone(2, 'b.zones PTR two.test.\n');
  const text = `$TTL 0\n$ORIGIN catalog.example.\n@ SOA invalid. invalid. 3 3600 600 86400 0\n@ NS invalid.\nversion TXT "7"\nb.zones PTR two.test.\n`;
  const r = loadZoneText({ origin: 'catalog.example', text });
  owner.version('catalog.example', buildZone(parseName('catalog.example.'), CLASS_IN, r.records ?? [], 3));
  await new Promise((res) => setTimeout(res, 50));
  t.ok(sec.has('one.test') && !sec.has('two.test'), 'version "7": nothing changes');
  owner.version('catalog.example', broken);
  t.ok(await waitFor(() => sec.has('two.test') && !sec.has('one.test'), 2000, 10), 'a usable version replaces the members');
});

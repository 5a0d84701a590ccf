// Catalog zones in the main process: the configured secondary zones plus, for each
// catalog (`catalog-zones`), one secondary zone per member the catalog's current
// version lists (catalog.ts). A new version of a catalog (transferred by the
// secondary machinery like any zone) adds and removes members at run time, at most
// once per `min-update-interval`; removed members stop and their files go, as BIND
// does. The member set is handed to `publish` so whoever answers serves them.

import { rmSync } from 'node:fs';
import path from 'node:path';
import type { NamedConfig, ZoneConfig } from '../config/named-conf.js';
import type { CatalogZoneConfig } from '../config/named-conf-catalog.js';
import type { Logger } from '../log.js';
import { catalogMemberFile, catalogMembers, type CatalogMember } from './catalog.js';
import { secondarySpecs, type SecondaryZones } from './secondary.js';
import type { Zone } from './zone.js';

/** A member zone as the answering processes need it: served in the view of its catalog, NOTIFY from its primaries. */
export interface MemberZone {
  name: string;
  catalog: string;
  primaries: string[];
}

interface Catalog {
  cfg: CatalogZoneConfig;
  view: string;
  members: CatalogMember[];
  pending: Zone | undefined;
  lastUpdate: number | undefined;
  timer: NodeJS.Timeout | undefined;
}

const key = (name: string): string => name.toLowerCase().replace(/\.$/, '') || '.';

export class CatalogZones {
  private conf: NamedConfig | undefined;
  private catalogs = new Map<string, Catalog>();
  /** Member zones now in force, by key, with the file each was given. */
  private current = new Map<string, { member: MemberZone; file?: string }>();

  constructor(
    private readonly log: Logger,
    private readonly secondaries: SecondaryZones,
    private readonly publish: (members: MemberZone[]) => void,
  ) {}

  /** Replaces SecondaryZones.configure at start and reload: the configured secondaries plus the members known. */
  configure(conf: NamedConfig): void {
    this.conf = conf;
    // The served zones are the first view's (or those outside views); so are its catalogs.
    const view = conf.views[0];
    const list = (view ? view.options.catalogZones : conf.options.catalogZones) ?? [];
    const viewName = view ? view.name : '_default';
    const wanted = new Map(list.map((c) => [key(c.zone), c]));
    for (const [k, c] of this.catalogs) {
      if (!wanted.has(k)) {
        if (c.timer) clearTimeout(c.timer);
        this.catalogs.delete(k);
      }
    }
    for (const [k, cfg] of wanted) {
      if (!conf.zones.some((z) => key(z.name) === k)) {
        this.log.warn({ catalog: cfg.zone }, `catalog zone '${cfg.zone}' is not defined as a zone; its member zones are not learned`);
      }
      const have = this.catalogs.get(k);
      if (have) {
        have.cfg = cfg;
        have.view = viewName;
      } else this.catalogs.set(k, { cfg, view: viewName, members: [], pending: undefined, lastUpdate: undefined, timer: undefined });
    }
    this.apply();
  }

  /** A secondary zone's new version (or none): a catalog's is read for its members. */
  version(name: string, zone: Zone | undefined): void {
    const c = this.catalogs.get(key(name));
    // An expired catalog keeps its members serving (they have their own timers).
    if (!c || !zone) return;
    c.pending = zone;
    if (c.timer) return;
    const now = Date.now();
    const wait = c.lastUpdate === undefined ? 0 : Math.max(0, c.lastUpdate + c.cfg.minUpdateInterval * 1000 - now);
    c.timer = setTimeout(() => this.update(c), wait);
    c.timer.unref();
  }

  private update(c: Catalog): void {
    c.timer = undefined;
    const zone = c.pending;
    c.pending = undefined;
    if (!zone || this.catalogs.get(key(c.cfg.zone)) !== c) return;
    c.lastUpdate = Date.now();
    const r = catalogMembers(zone);
    for (const p of r.problems) this.log.warn({ catalog: c.cfg.zone, serial: zone.serial }, `catalog zone '${c.cfg.zone}': ${p}`);
    if (!r.ok) {
      this.log.error({ catalog: c.cfg.zone, serial: zone.serial }, `catalog zone '${c.cfg.zone}' serial ${zone.serial} cannot be used; its member zones stay as they were`);
      return;
    }
    c.members = r.members;
    this.apply();
  }

  /** The member zones in force, for a process that starts answering. */
  members(): MemberZone[] {
    return [...this.current.values()].map((m) => m.member);
  }

  private apply(): void {
    const conf = this.conf;
    if (!conf) return;
    const configured = new Set(conf.zones.map((z) => key(z.name)));
    const zones: ZoneConfig[] = [];
    const next = new Map<string, { member: MemberZone; file?: string }>();
    for (const c of this.catalogs.values()) {
      const dir = path.resolve(conf.options.directory, c.cfg.zoneDirectory ?? '.');
      for (const m of c.members) {
        const k = key(m.name);
        // A zone the configuration declares, or another catalog's member, is not taken over (as BIND).
        if (configured.has(k) || next.has(k)) {
          if (!this.current.has(k) || this.current.get(k)?.member.catalog !== c.cfg.zone) {
            this.log.warn({ catalog: c.cfg.zone, zone: m.name }, `catalog zone '${c.cfg.zone}': member zone '${m.name}' already exists; ignored`);
          }
          continue;
        }
        const primaries = (m.primaries ?? c.cfg.defaultPrimaries.map((p) => ({ address: p.address, port: p.port ?? 53, key: p.key })));
        const file = c.cfg.inMemory ? undefined : path.join(dir, catalogMemberFile(c.view, c.cfg.zone, m.name));
        zones.push({
          name: m.name, class: 'IN', type: 'secondary', file, writeable: true, pos: c.cfg.pos,
          primaries: primaries.map((p) => (p.key ? { address: p.address, port: p.port, key: p.key } : { address: p.address, port: p.port })),
        });
        next.set(k, { member: { name: m.name, catalog: c.cfg.zone, primaries: primaries.map((p) => p.address) }, file });
        if (primaries.length === 0) this.log.warn({ catalog: c.cfg.zone, zone: m.name }, `catalog zone '${c.cfg.zone}': member zone '${m.name}' has no primaries (set default-primaries)`);
      }
    }
    for (const [k, m] of next) if (!this.current.has(k)) this.log.info({ catalog: m.member.catalog, zone: m.member.name }, `catalog zone '${m.member.catalog}': adding member zone '${m.member.name}'`);
    const removed = [...this.current].filter(([k]) => !next.has(k)).map(([, m]) => m);
    this.current = next;
    this.secondaries.configure([...secondarySpecs(conf), ...secondarySpecs({ ...conf, zones })]);
    this.publish(this.members());
    for (const m of removed) {
      this.log.info({ catalog: m.member.catalog, zone: m.member.name }, `catalog zone '${m.member.catalog}': member zone '${m.member.name}' removed`);
      // BIND deletes the files it named itself for members that leave.
      if (m.file && path.basename(m.file).startsWith('__catz__')) rmSync(m.file, { force: true });
    }
  }

  stop(): void {
    for (const c of this.catalogs.values()) if (c.timer) clearTimeout(c.timer);
  }
}

// From a loaded named.conf to the views the DNS service answers from: one
// ServingView per `view` statement (its zones, its options over the global ones),
// or, without views, one implicit view named `_default` (BIND's name) that every
// request selects, exactly as before views existed. Reads zone files; no sockets.

import type { Diagnostic } from '../config/diagnostics.js';
import type { NamedConfig, ZoneConfig } from '../config/named-conf.js';
import type { ViewConfig } from '../config/named-conf-views.js';
import type { HostNetworks } from '../net/interfaces.js';
import { nameKey, parseName } from '../wire/dns-name.js';
import type { ServingView } from './pipeline.js';
import type { Zone } from './zone.js';
import { buildServingView, matchEnvironment, type FailedZone, type LoadedZone, type PreviousZones } from './view-builder.js';
import { MATCH_ALL, viewMatcher, type ViewMatcher } from './views.js';

/** BIND's name for the view of a configuration without `view` statements. */
export const DEFAULT_VIEW = '_default';

export interface ServedView {
  name: string;
  matches: ViewMatcher;
  view: ServingView;
  /** named.conf as this view sees it: its options and zones (for the resolver, DHCP names, empty zones). */
  conf: NamedConfig;
}

export interface BuiltViews {
  views: ServedView[];
  loaded: LoadedZone[];
  failed: FailedZone[];
  diagnostics: Diagnostic[];
}

/** Per view name, the zones it served: what a zone that fails at reload keeps serving. */
export type PreviousViews = (view: string) => PreviousZones | undefined;

const zoneKey = (name: string): string | undefined => {
  try {
    return nameKey(parseName(name.endsWith('.') ? name : `${name}.`));
  } catch {
    return undefined;
  }
};

/**
 * named.conf as one view sees it: the view's options and zones. An in-view zone
 * is listed without its file (it is not loaded twice: buildViews adds the other
 * view's copy), so the empty zones and forward zones still see it configured.
 */
export function viewScopedConf(conf: NamedConfig, v: ViewConfig): NamedConfig {
  // The view's keyring: the top-level keys and its own (BIND: one keyring per view).
  const keys = new Map([...conf.keys, ...v.keys]);
  return { ...conf, options: v.options, keys, viewKeys: new Map(), zones: v.zones.map((z) => (z.inView === undefined ? z : { ...z, file: undefined })), unservedZones: [], views: [] };
}

/** Loads every view's zones. In-view zones are the other view's Zone objects (one copy, served in both). */
export function buildViews(conf: NamedConfig, host: HostNetworks, previous?: PreviousViews): BuiltViews {
  const out: BuiltViews = { views: [], loaded: [], failed: [], diagnostics: [] };
  if (conf.views.length === 0) {
    const b = buildServingView(conf, host, previous?.(DEFAULT_VIEW));
    out.views.push({ name: DEFAULT_VIEW, matches: MATCH_ALL, view: b.view, conf });
    out.loaded.push(...b.loaded);
    out.failed.push(...b.failed);
    out.diagnostics.push(...b.diagnostics);
    return out;
  }
  const env = matchEnvironment(conf, host);
  const byName = new Map<string, ServedView>();
  for (const v of conf.views) {
    const scoped = viewScopedConf(conf, v);
    const b = buildServingView(scoped, host, previous?.(v.name));
    const view = b.view;
    for (const z of v.zones) {
      if (z.inView === undefined) continue;
      const other = byName.get(z.inView);
      const key = zoneKey(z.name);
      if (!other || key === undefined) continue;
      const shared = other.view.zones.find((x) => nameKey(x.origin) === key);
      if (shared) view.zones.unshift(shared);
      else {
        const origin = other.view.notLoaded?.find((o) => nameKey(o) === key);
        if (origin) (view.notLoaded ??= []).push(origin);
      }
      // The zone's own ACLs come with it.
      const q = other.view.zoneAllowQuery.get(key);
      if (q) view.zoneAllowQuery.set(key, q);
      const t = other.view.zoneAllowTransfer?.get(key);
      if (t) (view.zoneAllowTransfer ??= new Map()).set(key, t);
    }
    const sv: ServedView = { name: v.name, matches: viewMatcher(v, env), view, conf: scoped };
    byName.set(v.name, sv);
    out.views.push(sv);
    out.loaded.push(...b.loaded.map((l) => ({ ...l, view: v.name })));
    out.failed.push(...b.failed.map((f) => ({ ...f, view: v.name })));
    out.diagnostics.push(...b.diagnostics);
  }
  return out;
}

/** The zones each view serves now, for the next reload's `previous`. */
export function servedViews(views: readonly ServedView[]): PreviousViews {
  const m = new Map(views.map((v) => [v.name, new Map(v.view.zones.map((z) => [nameKey(z.origin), z]))]));
  return (name) => m.get(name);
}

/** The configured zone of a view serving `origin` (a nameKey), if any. */
function configuredZone(v: ServedView, key: string): ZoneConfig | undefined {
  return v.conf.zones.find((z) => zoneKey(z.name) === key);
}

/**
 * Where DHCP names go: a zone name served in several views gets them in the
 * first view that serves it (BIND sends a dynamic update to the first view that
 * matches the updater, the local DHCP server), and in every later view whose zone
 * of that name is the same zone (`in-view`) or is loaded from the same file.
 * Returns, per zone name, the first view's zone and the later views' zones that share it.
 */
export function namesTargets(views: readonly ServedView[]): { zones: Zone[]; conf: { zones: ZoneConfig[] }; sharing: Map<Zone, Zone[]> } {
  const zones: Zone[] = [];
  const confZones: ZoneConfig[] = [];
  const sharing = new Map<Zone, Zone[]>();
  const first = new Map<string, { zone: Zone; file?: string }>();
  for (const v of views) {
    for (const z of v.view.zones) {
      const zc = configuredZone(v, z.originKey);
      const f = first.get(z.originKey);
      if (!f) {
        if (!zc) continue; // a built-in empty zone
        first.set(z.originKey, { zone: z, file: zc.file });
        zones.push(z);
        confZones.push(zc);
        sharing.set(z, []);
        continue;
      }
      if (f.zone === z) continue;
      if (zc && (zc.inView !== undefined || (zc.file !== undefined && zc.file === f.file))) sharing.get(f.zone)?.push(z);
    }
  }
  return { zones, conf: { zones: confZones }, sharing };
}

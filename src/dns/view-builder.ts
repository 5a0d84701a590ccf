// From a loaded named.conf to what the DNS service runs: the ServingView the
// responder answers from (zones loaded, ACLs compiled) and the addresses to listen
// on. Reads zone files; no sockets.

import { existsSync } from 'node:fs';
import { readLatin1, tryReadText } from '../config/config-file.js';
import type { Diagnostic, Position } from '../config/diagnostics.js';
import type { NamedConfig, ListenOn, ZoneConfig } from '../config/named-conf.js';
import { compileAddressMatch, explicitAddresses, matchAddress, type AddressMatchList, type MatchEnvironment } from '../net/address-match.js';
import type { HostNetworks } from '../net/interfaces.js';
import { formatAddress } from '../net/ip.js';
import { nameKey, parseName } from '../wire/dns-name.js';
import type { AddressMatcher, ServingView } from './responder.js';
import type { ListenAddress } from './server.js';
import { loadZoneText } from './zone-loader.js';
import { emptyZones } from './empty-zones.js';
import { servedKeys } from './tsig-stage.js';
import { secondaryEntry } from './secondary-view.js';
import type { SecondaryEntry } from './pipeline.js';
import type { Zone } from './zone.js';
import type { RrlSettings } from './rrl.js';
import { effectiveRateLimit } from '../config/named-conf-rrl.js';

/** named fails a primary zone on bad owner names (check-names primary fail); named-checkzone only warns. */
const PRIMARY_CHECK_NAMES = 'fail';

/** BIND 9.18's default EDNS UDP payload size (max-udp-size). */
export const DEFAULT_UDP_SIZE = 1232;

export interface LoadedZone {
  name: string;
  /** The view it was loaded for, when there are views. */
  view?: string;
  serial: number;
  file: string;
}

/** A configured zone that did not load this time (named: "not loaded due to errors"). */
export interface FailedZone {
  name: string;
  /** The view it belongs to, when there are views. */
  view?: string;
  /** Serial of the earlier data still served (reload), absent when it answers SERVFAIL. */
  keptSerial?: number;
}

export interface BuiltView {
  view: ServingView;
  loaded: LoadedZone[];
  /** Zones whose file did not load: served from `previous` when given, else answered SERVFAIL. */
  failed: FailedZone[];
  /** Zone-file diagnostics; an error concerns only its zone (listed in `failed`). */
  diagnostics: Diagnostic[];
}

/** The zones served so far, by nameKey of their origin: what a zone that fails at reload keeps serving. */
export type PreviousZones = ReadonlyMap<string, Zone>;

/** The key of a configured zone name (as nameKey of its origin), or undefined for a name that cannot be one. */
function zoneKey(name: string): string | undefined {
  try {
    return nameKey(parseName(name.endsWith('.') ? name : `${name}.`));
  } catch {
    return undefined;
  }
}

/** The zones a built view serves, keyed for buildServingView's `previous`. */
export function servedZones(view: ServingView): Map<string, Zone> {
  return new Map(view.zones.map((z) => [nameKey(z.origin), z]));
}

/** An error about a zone as a whole, pointed at its named.conf line (quoted for the caret). */
function confDiagnostic(pos: Position, message: string): Diagnostic {
  const conf = tryReadText(pos.file);
  const lineText = 'text' in conf ? conf.text.split(/\r?\n/)[pos.line - 1] : undefined;
  return { severity: 'error', message, file: pos.file, line: pos.line, col: pos.col, lineText };
}

export function matchEnvironment(conf: NamedConfig, host: HostNetworks): MatchEnvironment {
  return { localhost: host.localhost, localnets: host.localnets, acls: conf.acls };
}

/**
 * Loads one configured zone's file as named does, adding the zone-level errors
 * (missing file, not loaded) at its named.conf line to `diagnostics`.
 */
function loadConfiguredZone(conf: NamedConfig, zc: ZoneConfig & { file: string }, diagnostics: Diagnostic[], loaded: LoadedZone[]): Zone | undefined {
  const at = zc.filePos ?? zc.pos;
  const read = tryReadText(zc.file, readLatin1);
  if ('reason' in read) {
    diagnostics.push(confDiagnostic(at, `zone ${zc.name}/IN: loading from master file ${zc.file} failed: ${read.reason}`));
    diagnostics.push(confDiagnostic(at, `zone ${zc.name}/IN: not loaded due to errors.`));
    return undefined;
  }
  const res = loadZoneText({ origin: zc.name, file: zc.file, directory: conf.options.directory, checkNames: PRIMARY_CHECK_NAMES, text: read.text });
  diagnostics.push(...res.diagnostics);
  if (!res.zone) {
    diagnostics.push(confDiagnostic(at, `zone ${zc.name}/IN: not loaded due to errors.`));
    return undefined;
  }
  loaded.push({ name: zc.name, serial: res.zone.serial, file: zc.file });
  return res.zone;
}

/** Loads the zones of the views Triad does not serve, only to report their errors (`triad check`). */
export function checkUnservedZones(conf: NamedConfig): { loaded: LoadedZone[]; diagnostics: Diagnostic[] } {
  const loaded: LoadedZone[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const zc of conf.unservedZones) {
    if (zc.type === 'primary' && zc.file !== undefined) loadConfiguredZone(conf, { ...zc, file: zc.file }, diagnostics, loaded);
  }
  return { loaded, diagnostics };
}

/**
 * Loads every zone Triad serves and compiles the ACLs. As named does, a zone
 * whose file does not load concerns only that zone: it keeps the data it had
 * (`previous`, at reload), else it is answered SERVFAIL; the others serve.
 */
export function buildServingView(conf: NamedConfig, host: HostNetworks, previous?: PreviousZones): BuiltView {
  const env = matchEnvironment(conf, host);
  const diagnostics: Diagnostic[] = [];
  const zones: Zone[] = [];
  const loaded: LoadedZone[] = [];
  const failed: FailedZone[] = [];
  const notLoaded: Uint8Array[] = [];
  const zoneAllowQuery = new Map<string, AddressMatcher>();
  const zoneAllowTransfer = new Map<string, AddressMatcher>();
  const secondaries = new Map<string, SecondaryEntry>();
  for (const zc of conf.zones) {
    if (zc.type === 'secondary') {
      // Transferred and kept by the main process (secondary.ts); SERVFAIL until a copy arrives.
      const key = zoneKey(zc.name);
      if (key === undefined) continue;
      const e = secondaryEntry(zc, env, conf.options.secondary?.allowNotify);
      secondaries.set(key, e);
      notLoaded.push(e.origin);
      if (zc.allowQuery) zoneAllowQuery.set(key, compileAddressMatch(zc.allowQuery, env));
      if (zc.allowTransfer) zoneAllowTransfer.set(key, compileAddressMatch(zc.allowTransfer, env));
      continue;
    }
    const servable = zc.type === 'primary';
    if (!servable || zc.file === undefined) continue;
    const key = zoneKey(zc.name);
    if (key === undefined) continue;
    let zone = loadConfiguredZone(conf, { ...zc, file: zc.file }, diagnostics, loaded);
    if (!zone) {
      const kept = previous?.get(key);
      failed.push({ name: zc.name, keptSerial: kept?.serial });
      if (!kept) {
        notLoaded.push(parseName(zc.name.endsWith('.') ? zc.name : `${zc.name}.`));
        continue;
      }
      zone = kept;
    }
    zones.push(zone);
    if (zc.allowQuery) zoneAllowQuery.set(key, compileAddressMatch(zc.allowQuery, env));
    if (zc.allowTransfer) zoneAllowTransfer.set(key, compileAddressMatch(zc.allowTransfer, env));
  }
  zones.push(...emptyZones(conf));
  const o = conf.options;
  const view: ServingView = {
    zones,
    notLoaded,
    allowQuery: o.allowQuery ? compileAddressMatch(o.allowQuery, env) : () => true,
    zoneAllowQuery,
    // BIND 9.18 allows transfers from anyone unless allow-transfer says otherwise.
    allowTransfer: o.allowTransfer ? compileAddressMatch(o.allowTransfer, env) : () => true,
    zoneAllowTransfer,
    secondaries,
    minimalResponses: o.minimalResponses,
    recursion: o.recursion,
    ...recursionAcls(conf, env),
    // BIND answers version.bind with its own version when `version` is unset; Triad answers its name.
    version: o.version === null ? undefined : (o.version ?? 'Triad'),
    udpSize: o.maxUdpSize ?? DEFAULT_UDP_SIZE,
    tsigKeys: servedKeys(conf),
    rateLimit: rateLimitSettings(conf, env),
  };
  return { view, loaded, failed, diagnostics };
}

/** rate-limit { … } with BIND's defaults; undefined when absent or when it limits nothing (every rate 0). */
export function rateLimitSettings(conf: NamedConfig, env: MatchEnvironment): RrlSettings | undefined {
  if (!conf.options.rateLimit) return undefined;
  const e = effectiveRateLimit(conf.options.rateLimit);
  const { exemptClients, ...rest } = e;
  if (Math.max(e.responsesPerSecond, e.referralsPerSecond, e.nodataPerSecond, e.nxdomainsPerSecond, e.errorsPerSecond, e.allPerSecond) === 0) return undefined;
  return { ...rest, exempt: exemptClients && exemptClients.length > 0 ? compileAddressMatch(exemptClients, env) : undefined };
}

const LOCAL: AddressMatchList = [{ kind: 'builtin', negated: false, name: 'localnets' }, { kind: 'builtin', negated: false, name: 'localhost' }];

/**
 * BIND 9.18's defaults (ARM, allow-recursion / allow-query-cache): allow-recursion
 * falls back to allow-query-cache, then allow-query, then `localnets; localhost;`;
 * allow-query-cache falls back to allow-recursion, then allow-query, then the same.
 * So a LAN is never an open resolver by accident.
 */
export function recursionAcls(conf: NamedConfig, env: MatchEnvironment): Pick<ServingView, 'allowRecursion' | 'allowQueryCache' | 'blackhole'> {
  const o = conf.options;
  const rec = o.allowRecursion ?? o.allowQueryCache ?? o.allowQuery ?? LOCAL;
  const cache = o.allowQueryCache ?? o.allowRecursion ?? o.allowQuery ?? LOCAL;
  return {
    allowRecursion: compileAddressMatch(rec, env),
    allowQueryCache: compileAddressMatch(cache, env),
    blackhole: o.blackhole && o.blackhole.length > 0 ? compileAddressMatch(o.blackhole, env) : undefined,
  };
}

/**
 * The sockets to open: every interface address of the family that the list
 * matches (as BIND), plus plain addresses named in the list even when no
 * interface carries them (Linux lets a process bind any 127/8 address; a
 * deliberate difference so tests and labs can use distinct loopback addresses).
 */
export function listenAddresses(conf: NamedConfig, host: HostNetworks): ListenAddress[] {
  const env = matchEnvironment(conf, host);
  const o = conf.options;
  const out = new Map<string, ListenAddress>();
  const add = (lists: ListenOn[], family: 4 | 6): void => {
    const effective = lists.length > 0 ? lists : [{ port: o.port, list: [{ kind: 'builtin', negated: false, name: 'any' }] as AddressMatchList, pos: { file: conf.file, line: 0, col: 0 } }];
    for (const l of effective) {
      for (const a of host.addresses) {
        if (a.address.family !== family || a.linkLocal) continue;
        if (matchAddress(l.list, env, a.address) === 1) out.set(`${a.text}#${l.port}`, { address: a.text, port: l.port });
      }
      for (const p of explicitAddresses(l.list)) {
        if (p.family !== family) continue;
        const text = formatAddress(p);
        out.set(`${text}#${l.port}`, { address: text, port: l.port });
      }
    }
  };
  add(o.listenOn, 4);
  add(o.listenOnV6, 6);
  return [...out.values()];
}

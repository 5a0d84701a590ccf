// Dynamic zones (primary zones with allow-update or update-policy) in the main
// process: the one place an UPDATE is decided (update-core.ts), made durable,
// and published. Each acknowledged change is appended to the zone's journal in
// the data directory and flushed to disk before the answer goes out; at start
// the journal is replayed over the zone file, as named replays its .jnl. The zone
// file itself is rewritten from memory a while after a change and at stop, as
// BIND does for dynamic zones; the journal is then emptied.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import type { NamedConfig, ZoneConfig } from '../config/named-conf.js';
import { amlIsNone, compileAddressMatch, type AddressMatchList, type MatchEnvironment } from '../net/address-match.js';
import { nameKey, nameToText } from '../wire/dns-name.js';
import type { ResourceRecord } from '../wire/rr-type.js';
import { decodeMessage, RCODE } from './message.js';
import { applyDiff, type ZoneDiff } from './zone-diff.js';
import { loadZoneFile } from './zone-loader.js';
import { zoneFileText } from './zone-writer.js';
import { writeFileAtomic } from '../fs/atomic-file.js';
import type { Zone } from './zone.js';
import { zoneOrigin } from './secondary-view.js';
import { decideUpdate, UPDATE_RCODE, type UpdatePermission, type UpdateRR } from './update-core.js';
import { policyMatcher, type Requester } from './update-policy.js';
import { sessionKeyName } from './session-key.js';
import { readJournalText, setAsideDamaged, type JournalRecord } from './journal-file.js';

/** How long after a change the zone file is rewritten (BIND dumps a dynamic zone some minutes later; sooner here). */
export const DUMP_DELAY_MS = 15_000;

/** An UPDATE as a worker (or the in-process host) hands it to the main process. */
export interface UpdateRequest {
  /** The zone section's name, as text. */
  zone: string;
  /** The whole message, base64 (it crosses IPC as JSON). */
  msg: string;
  address: string;
  /** The verified TSIG key name. */
  key?: string;
  tcp: boolean;
}

interface Dynamic {
  zc: ZoneConfig & { file: string };
  zone: Zone;
  journal: string;
  allow?: (address: string, key?: string) => boolean;
  policy?: (who: Requester) => (rr: UpdateRR) => boolean;
  dumpTimer?: NodeJS.Timeout;
  dirty: boolean;
}

/** Is this zone dynamic (the zone's allow-update, else the inherited one, not `none`; or any update-policy)? */
export function isDynamic(zc: ZoneConfig, conf: NamedConfig): boolean {
  if (zc.type !== 'primary' || !zc.file) return false;
  if (zc.update?.updatePolicy) return true;
  const acl = zoneAllowUpdate(zc, conf);
  return acl !== undefined && !amlIsNone(acl);
}

/** The zone's allow-update, else its view's, else the one in options. */
function zoneAllowUpdate(zc: ZoneConfig, conf: NamedConfig): AddressMatchList | undefined {
  const view = zc.view !== undefined ? conf.views.find((v) => v.name === zc.view) : undefined;
  return zc.update?.allowUpdate ?? view?.options.allowUpdate ?? conf.options.allowUpdate;
}

export type RecordLine = JournalRecord;
const b64 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');
const u8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
export const toLine = (r: ResourceRecord): RecordLine => [b64(r.owner), r.type, r.class, r.ttl, b64(r.rdata)];
export const fromLine = ([o, type, cls, ttl, rd]: RecordLine): ResourceRecord => ({ owner: u8(o), type, class: cls, ttl, rdata: u8(rd) });

export class DynamicZones {
  private zones = new Map<string, Dynamic>();
  /** Updates to one zone are decided one after another (each against the version the previous left). */
  private chain: Promise<unknown> = Promise.resolve();
  /** Counters: updates answered, refused, failed. */
  readonly counts = { updates: 0, refused: 0, applied: 0 };

  constructor(
    private readonly log: Logger,
    private readonly dataDir: string,
    /** Serve this version from now on (every worker, or this process's host). */
    /** Serve this version from now on; undefined: the zone is no longer dynamic (serve its file). */
    /** Resolves once every process serving the zone has the version (the answer waits for it). */
    private readonly publish: (name: string, zone: Zone | undefined, diff?: ZoneDiff) => void | Promise<void>,
    /**
     * After a change is durable: the hook that sends NOTIFY to the zone's secondaries
     * (RFC 1996). Left to the NOTIFY sender to fill in.
     */
    readonly onZoneChanged: (name: string, zone: Zone) => void = () => undefined,
    private readonly dumpDelayMs = DUMP_DELAY_MS,
  ) {}

  /**
   * The dynamic zones of `conf`. A zone already held keeps its version (named does
   * not reload a dynamic zone from its file); a new one is loaded from its file with
   * its journal replayed.
   */
  configure(conf: NamedConfig, env: MatchEnvironment): void {
    const keep = new Map<string, Dynamic>();
    for (const zc of conf.zones) {
      if (!isDynamic(zc, conf) || !zc.file) continue;
      const key = nameKey(zoneOrigin(zc.name));
      if (keep.has(key)) continue; // the same zone in a second view: the first is the dynamic one
      const policy = zc.update?.updatePolicy ? policyMatcher(zc.update.updatePolicy, zoneOrigin(zc.name), sessionKeyName(conf)) : undefined;
      const acl = zoneAllowUpdate(zc, conf);
      const allow = !policy && acl ? compileAddressMatch(acl, env) : undefined;
      const old = this.zones.get(key);
      if (old) {
        // The same object, changed in place: a pending dump timer holds it, and a copy
        // would leave that timer writing the old version and emptying the journal
        // of the changes made after the reload.
        Object.assign(old, { zc: zc as Dynamic['zc'], allow, policy });
        keep.set(key, old);
        continue;
      }
      const loaded = this.load(zc as Dynamic['zc'], conf.options.directory);
      if (!loaded) continue;
      keep.set(key, { zc: zc as Dynamic['zc'], zone: loaded.zone, journal: loaded.journal, allow, policy, dirty: loaded.replayed > 0 });
    }
    for (const [key, d] of this.zones) {
      if (keep.has(key)) continue;
      void this.flush(d);
      void this.publish(d.zc.name, undefined);
    }
    this.zones = keep;
    for (const d of this.zones.values()) {
      void this.publish(d.zc.name, d.zone);
      if (d.dirty) this.scheduleDump(d);
    }
  }

  /** Every dynamic zone's current version (for a worker that just started). */
  held(): [string, Zone][] {
    return [...this.zones.values()].map((d) => [d.zc.name, d.zone]);
  }

  /** The journal file of a zone. */
  journalPath(name: string): string {
    const safe = name.replace(/\.$/, '').toLowerCase().replace(/[^a-z0-9._-]/g, '_') || 'root';
    return path.join(this.dataDir, 'dns-dynamic', `${safe}.jnl`);
  }

  private load(zc: Dynamic['zc'], directory: string): { zone: Zone; journal: string; replayed: number } | undefined {
    // $INCLUDE resolves against named.conf's directory, as when the workers load the file.
    const r = loadZoneFile({ origin: zc.name, file: zc.file, directory });
    if (!r.zone) {
      this.log.error({ zone: zc.name, file: zc.file, errors: r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message) }, 'dynamic zone did not load; updates to it are refused');
      return undefined;
    }
    let zone = r.zone;
    const journal = this.journalPath(zc.name);
    let replayed = 0;
    let text = '';
    try {
      text = readFileSync(journal, 'latin1');
    } catch {
      // No journal: nothing changed since the file was written.
    }
    const read = readJournalText(text);
    if (read.damage.length > 0) {
      // The first few damaged lines by number; a long stretch of garbage is not logged line by line.
      for (const d of read.damage.slice(0, 10)) this.log.warn({ zone: zc.name }, `${journal}:${d.line}: ${d.message}`);
      if (read.damage.length > 10) this.log.warn({ zone: zc.name }, `${journal}: ${read.damage.length - 10} more damaged lines`);
      try {
        const aside = setAsideDamaged(journal, read.intactText);
        this.log.warn({ zone: zc.name, journal, kept: read.entries.length, damagedCopy: aside }, 'zone journal damaged: its intact changes are replayed; the damaged file is kept aside');
      } catch (err) {
        this.log.error({ zone: zc.name, journal, err: err instanceof Error ? err.message : String(err) }, 'zone journal damaged and cannot be rewritten');
      }
    }
    for (const { entry: e } of read.entries) {
      if (e.from !== zone.serial) continue; // already in the zone file
      try {
        zone = applyDiff(zone, { deletions: e.del.map(fromLine), additions: e.add.map(fromLine), serial: e.to });
        replayed++;
      } catch (err) {
        this.log.error({ zone: zc.name, journal, err: err instanceof Error ? err.message : String(err) }, 'journal does not fit the zone file; the rest of it is ignored');
        break;
      }
    }
    if (replayed > 0) this.log.info({ zone: zc.name, journal, changes: replayed, serial: zone.serial }, 'dynamic zone: journal replayed');
    return { zone, journal, replayed };
  }

  /** Decides an UPDATE (RFC 2136 §3) for the zone it names; resolves to the rcode. */
  update(req: UpdateRequest): Promise<number> {
    const run = this.chain.then(() => this.updateNow(req));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async updateNow(req: UpdateRequest): Promise<number> {
    this.counts.updates++;
    const d = this.zones.get(nameKey(zoneOrigin(req.zone)));
    if (!d) return RCODE.REFUSED;
    const msg = decodeMessage(u8(req.msg));
    if (typeof msg === 'string') return RCODE.FORMERR;
    const toRR = (r: { name: Uint8Array; type: number; class: number; ttl: number; rdata: Uint8Array }): UpdateRR => r;
    // The TSIG record, if any, is the last additional and not part of the update.
    const prereqs = msg.answers.map(toRR);
    const updates = msg.authorities.map(toRR);
    const who: Requester = { address: req.address, signer: req.key, tcp: req.tcp };
    const perm: UpdatePermission = d.policy
      ? { kind: 'policy', allows: d.policy(who), signer: req.key, tcp: req.tcp }
      : { kind: 'acl', allowed: d.allow ? d.allow(req.address, req.key) : false };
    const r = decideUpdate(d.zone, prereqs, updates, perm);
    const zoneText = nameToText(d.zone.origin);
    if (r.refused) {
      this.counts.refused++;
      this.log.info({ zone: zoneText, client: req.address, key: req.key }, 'update denied');
      return r.rcode;
    }
    if (r.rcode !== RCODE.NOERROR) {
      this.log.info({ zone: zoneText, client: req.address, rcode: r.rcode }, r.rcode >= UPDATE_RCODE.YXDOMAIN && r.rcode <= UPDATE_RCODE.NXRRSET ? 'update prerequisite failed' : 'update failed');
      return r.rcode;
    }
    if (!r.diff) return RCODE.NOERROR;
    let next: Zone;
    try {
      next = applyDiff(d.zone, r.diff);
    } catch (err) {
      this.log.error({ zone: zoneText, err: err instanceof Error ? err.message : String(err) }, 'update does not fit the zone; nothing changed');
      return RCODE.SERVFAIL;
    }
    try {
      this.append(d, d.zone.serial, next.serial, r.diff);
    } catch (err) {
      // Not durable, so not acknowledged and not applied.
      this.log.error({ zone: zoneText, journal: d.journal, err: err instanceof Error ? err.message : String(err) }, 'cannot write the zone journal; update not applied');
      return RCODE.SERVFAIL;
    }
    d.zone = next;
    this.counts.applied++;
    this.log.info({ zone: zoneText, client: req.address, key: req.key, serial: next.serial }, 'update applied');
    this.scheduleDump(d);
    this.onZoneChanged(d.zc.name, next);
    // Answered once every worker serves the new version: whichever one a client asks next has it.
    await this.publish(d.zc.name, next, r.diff);
    return RCODE.NOERROR;
  }

  /** One line per change, flushed to disk before the answer (durable across kill -9). */
  private append(d: Dynamic, from: number, to: number, diff: ZoneDiff): void {
    const dir = path.dirname(d.journal);
    const created = !existsSync(d.journal);
    mkdirSync(dir, { recursive: true });
    const line = `${JSON.stringify({ from, to, del: diff.deletions.map(toLine), add: diff.additions.map(toLine) })}\n`;
    // Only for Triad's user and group (README: Running with least privilege).
    const fd = openSync(d.journal, 'a', 0o640);
    try {
      writeSync(fd, line);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // A new file's name must reach the disk too (the folder's entry).
    if (created) syncDir(dir);
  }

  private scheduleDump(d: Dynamic): void {
    d.dirty = true;
    if (d.dumpTimer) return;
    d.dumpTimer = setTimeout(() => {
      d.dumpTimer = undefined;
      void this.dump(d);
    }, this.dumpDelayMs);
    d.dumpTimer.unref();
  }

  /** Rewrites the zone file from memory; the journal is emptied when nothing changed meanwhile. */
  private async dump(d: Dynamic): Promise<void> {
    const zone = d.zone;
    try {
      await writeFileAtomic(d.zc.file, zoneFileText(zone));
      if (d.zone === zone) {
        writeFileSync(d.journal, '');
        d.dirty = false;
      }
    } catch (err) {
      this.log.error({ zone: d.zc.name, file: d.zc.file, err: err instanceof Error ? err.message : String(err) }, 'cannot write the dynamic zone file; the journal keeps the changes');
    }
  }

  /** At stop: every changed zone written to its file (synchronously enough: awaited). */
  private flush(d: Dynamic): Promise<void> {
    if (d.dumpTimer) clearTimeout(d.dumpTimer);
    d.dumpTimer = undefined;
    return d.dirty ? this.dump(d) : Promise.resolve();
  }

  async stop(): Promise<void> {
    await this.chain;
    if (this.zones.size > 0) this.log.info({ updates: this.counts.updates, applied: this.counts.applied, refused: this.counts.refused }, 'dynamic updates');
    await Promise.all([...this.zones.values()].map((d) => this.flush(d)));
  }
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems cannot fsync a folder; the data itself is flushed.
  }
}

// Sends DHCP names to the DNS servers named by dhcpd.conf `zone` statements, as RFC 2136
// updates signed with the zone's TSIG key, following ISC dhcpd's conflict rules
// (ddns-plan.ts). Names in zones without a `zone` statement are left to Triad's own DNS
// service (the name-registration channel), unchanged.
//
// State is kept per leased address: what was added, so a release removes it and a renewal
// with the same name sends nothing (update-optimization, ISC's default); the records are
// removed when the lease ends without a renewal. The state is written to a small file in
// the data directory (ISC keeps it in the lease file), so a restart still removes them.

import dgram from 'node:dgram';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import type { Logger } from '../log.js';
import type { NameBinding, NameEvent } from '../net/name-registration.js';
import type { DdnsConf, DdnsZoneConf } from '../config/dhcpd-ddns.js';
import { keyId } from '../config/named-conf-keys.js';
import { buildUpdate, updateAnswer, UPDATE_RCODE_NAMES } from '../wire/dns-update.js';
import { formatIPv4 } from '../wire/ipv4.js';
import { signRequest, type TsigAlgorithm, type TsigKey } from '../wire/tsig.js';
import { identityFromKey } from './dhcid.js';
import {
  afterForwardAdd, afterForwardReplace, forwardAdd, forwardRemove, forwardReplace, ownerRemove, reverseAdd, reverseName,
  reverseRemove, zoneFor, type NameFacts, type UpdateBody,
} from './ddns-plan.js';

export interface DdnsOutSettings {
  ddns: DdnsConf;
  style?: string;
  /** update-conflict-detection (default on). */
  conflictDetection?: boolean;
  /** update-optimization (default on). */
  optimization?: boolean;
}

interface Held {
  facts: NameFacts;
  owner: string;
  expires: number;
  fwd?: DdnsZoneConf;
  rev?: DdnsZoneConf;
  revName: string;
  timer?: NodeJS.Timeout;
}

/** One entry of the state file. */
interface Saved {
  ip: number;
  fqdn: string;
  ttl: number;
  style: string;
  owner: string;
  expires: number | null;
  fwd?: string;
  rev?: string;
  revName: string;
}

/** One update's outcome: the RCODE, or why no answer counts. */
export type Sent = { rcode: number } | { error: string };

const TRIES = 3;

export class DdnsOut {
  private held = new Map<number, Held>();
  /** Updates run one after another, in the order the leases changed. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private settings: () => DdnsOutSettings,
    private log: Logger,
    /** Where what was added is kept across restarts (none: memory only). */
    private stateFile?: string,
    /** The DNS port (53; tests may point elsewhere). */
    private port = 53,
  ) {}

  /** Reads the state a previous run left; entries whose zone is no longer configured are dropped. */
  async load(): Promise<void> {
    if (!this.stateFile) return;
    let saved: unknown;
    try {
      saved = JSON.parse(await readFile(this.stateFile, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ file: this.stateFile, err: String(err) }, 'cannot read what was sent to other DNS servers; starting without it');
      return;
    }
    if (!Array.isArray(saved)) return;
    const zones = this.settings().ddns.zones;
    for (const e of saved as Saved[]) {
      const client = typeof e?.owner === 'string' ? identityFromKey(e.owner) : undefined;
      if (!client || typeof e.ip !== 'number' || typeof e.fqdn !== 'string') continue;
      const fwd = e.fwd ? zones.find((z) => z.name === e.fwd) : undefined;
      const rev = e.rev ? zones.find((z) => z.name === e.rev) : undefined;
      if (!fwd && !rev) continue;
      const h: Held = { facts: { fqdn: e.fqdn, ip: e.ip, ttl: e.ttl, style: e.style === 'standard' ? 'standard' : 'interim', client }, owner: e.owner, expires: e.expires ?? Infinity, fwd, rev, revName: e.revName };
      this.held.set(e.ip, h);
      this.arm(h, h.expires);
    }
  }

  private async save(): Promise<void> {
    if (!this.stateFile) return;
    const out: Saved[] = [...this.held.values()].map((h) => ({
      ip: h.facts.ip, fqdn: h.facts.fqdn, ttl: h.facts.ttl, style: h.facts.style, owner: h.owner,
      expires: Number.isFinite(h.expires) ? h.expires : null, fwd: h.fwd?.name, rev: h.rev?.name, revName: h.revName,
    }));
    try {
      await writeFile(`${this.stateFile}.tmp`, JSON.stringify(out));
      await rename(`${this.stateFile}.tmp`, this.stateFile);
    } catch (err) {
      this.log.warn({ file: this.stateFile, err: String(err) }, 'cannot write what was sent to other DNS servers');
    }
  }

  /** Whether any name goes to another server at all. */
  get active(): boolean {
    const s = this.settings();
    return (s.style === 'standard' || s.style === 'interim') && s.ddns.zones.length > 0;
  }

  /**
   * The events for Triad's own zones: a binding's A or PTR that goes to another server is
   * taken out (so the DNS service does not also consider it), a binding left with neither
   * is dropped.
   */
  forOwnZones(events: NameEvent[]): NameEvent[] {
    if (!this.active) return events;
    const zones = this.settings().ddns.zones;
    const out: NameEvent[] = [];
    for (const e of events) {
      if (e.kind !== 'bind') {
        out.push(e);
        continue;
      }
      const b = e.binding;
      const forward = b.forward && !zoneFor(zones, b.fqdn);
      const reverse = b.reverse && !zoneFor(zones, reverseName(b.ip, b.revDomain));
      if (forward === b.forward && reverse === b.reverse) out.push(e);
      else if (forward || reverse) out.push({ kind: 'bind', binding: { ...b, forward, reverse } });
    }
    return out;
  }

  handle(events: NameEvent[]): void {
    if (!this.active) return;
    for (const e of events) this.queue = this.queue.then(() => (e.kind === 'bind' ? this.bind(e.binding) : this.unbind(e.ip))).catch((err: unknown) => this.log.error({ err }, 'DNS update failed'));
  }

  /** Waits for the updates queued so far (stop, tests). */
  async idle(): Promise<void> {
    await this.queue;
  }

  stop(): void {
    for (const h of this.held.values()) if (h.timer) clearTimeout(h.timer);
  }

  private async bind(b: NameBinding): Promise<void> {
    const s = this.settings();
    const style = s.style === 'standard' ? 'standard' : 'interim';
    const client = identityFromKey(b.owner);
    if (!client) return;
    const revName = reverseName(b.ip, b.revDomain);
    const fwd = b.forward ? zoneFor(s.ddns.zones, b.fqdn) : undefined;
    const rev = b.reverse ? zoneFor(s.ddns.zones, revName) : undefined;
    if (!fwd && !rev) return;
    const facts: NameFacts = { fqdn: b.fqdn, ip: b.ip, ttl: b.ttl, style, client };
    const prev = this.held.get(b.ip);
    if (prev && prev.facts.fqdn === b.fqdn && prev.facts.ip === b.ip && sameClient(prev.facts, facts) && s.optimization !== false) {
      prev.expires = b.expires;
      this.arm(prev, b.expires);
      await this.save();
      return;
    }
    if (prev) await this.remove(b.ip, prev);
    const cd = s.conflictDetection !== false;
    let forwardOk = true;
    if (fwd) {
      let r = await this.send(fwd, forwardAdd(facts, cd));
      let next = 'rcode' in r ? afterForwardAdd(r.rcode, cd) : 'failed';
      if (next === 'replace') {
        r = await this.send(fwd, forwardReplace(facts));
        next = 'rcode' in r ? afterForwardReplace(r.rcode) : 'failed';
      }
      const m = `forward map from ${b.fqdn} to ${formatIPv4(b.ip)}`;
      if (next === 'done') this.log.info({ zone: fwd.name }, `Added new ${m}`);
      else if (next === 'conflict') this.log.warn({ zone: fwd.name }, `${cap(m)} FAILED: the name belongs to another client (its ${style === 'standard' ? 'DHCID' : 'TXT'} record is not this client's)`);
      else this.log.warn({ zone: fwd.name }, `${cap(m)} FAILED: ${why(r)}`);
      forwardOk = next === 'done';
    }
    const h: Held = { facts, owner: b.owner, expires: b.expires, fwd: forwardOk ? fwd : undefined, rev: undefined, revName };
    // ISC adds the PTR only once the forward name is this client's.
    if (rev && forwardOk) {
      const r = await this.send(rev, reverseAdd(facts, revName));
      if ('rcode' in r && r.rcode === 0) {
        h.rev = rev;
        this.log.info({ zone: rev.name }, `Added reverse map from ${revName} to ${b.fqdn}`);
      } else this.log.warn({ zone: rev.name }, `Reverse map from ${revName} to ${b.fqdn} FAILED: ${why(r)}`);
    }
    if (!h.fwd && !h.rev) return this.save();
    this.held.set(b.ip, h);
    this.arm(h, b.expires);
    await this.save();
  }

  private arm(h: Held, expires: number): void {
    if (h.timer) clearTimeout(h.timer);
    h.timer = undefined;
    if (!Number.isFinite(expires)) return;
    // setTimeout holds at most 2^31-1 ms: longer leases re-arm.
    const ms = Math.max(0, expires * 1000 - Date.now());
    h.timer = setTimeout(() => {
      if (ms > 2 ** 31 - 1) return this.arm(h, expires);
      this.queue = this.queue.then(() => this.unbind(h.facts.ip));
    }, Math.min(ms, 2 ** 31 - 1));
    h.timer.unref();
  }

  private async unbind(ip: number): Promise<void> {
    const h = this.held.get(ip);
    if (h) await this.remove(ip, h);
  }

  private async remove(ip: number, h: Held): Promise<void> {
    if (h.timer) clearTimeout(h.timer);
    this.held.delete(ip);
    await this.save();
    const f = h.facts;
    if (h.fwd) {
      const r = await this.send(h.fwd, forwardRemove(f));
      if ('rcode' in r && r.rcode === 0) {
        this.log.info({ zone: h.fwd.name }, `Removed forward map from ${f.fqdn} to ${formatIPv4(f.ip)}`);
        const r2 = await this.send(h.fwd, ownerRemove(f));
        if (!('rcode' in r2) || (r2.rcode !== 0 && r2.rcode !== 8 && r2.rcode !== 7)) this.log.warn({ zone: h.fwd.name }, `Removing the ${f.style === 'standard' ? 'DHCID' : 'TXT'} record of ${f.fqdn} FAILED: ${why(r2)}`);
      } else this.log.warn({ zone: h.fwd.name }, `Removing forward map from ${f.fqdn} to ${formatIPv4(f.ip)} FAILED: ${why(r)}`);
    }
    if (h.rev) {
      const r = await this.send(h.rev, reverseRemove(f, h.revName));
      if ('rcode' in r && r.rcode === 0) this.log.info({ zone: h.rev.name }, `Removed reverse map on ${h.revName}`);
      else this.log.warn({ zone: h.rev.name }, `Removing reverse map on ${h.revName} FAILED: ${why(r)}`);
    }
  }

  private key(zone: DdnsZoneConf): TsigKey | undefined {
    if (zone.key === undefined) return undefined;
    const k = this.settings().ddns.keys.get(keyId(zone.key));
    return k && !k.unusable ? { name: k.name, algorithm: k.hmac as TsigAlgorithm, secret: k.secret, ...(k.digestBits ? { digestBits: k.digestBits } : {}) } : undefined;
  }

  /** Sends one update to the zone's servers in turn, retrying over UDP (RFC 2136 §6 leaves the transport to the client). */
  async send(zone: DdnsZoneConf, body: UpdateBody): Promise<Sent> {
    const key = this.key(zone);
    // A zone naming a key that cannot sign (warned when the file was read) sends nothing.
    if (zone.key !== undefined && !key) return { error: `key ${zone.key} cannot sign updates` };
    let last: Sent = { error: 'no server' };
    for (const server of zone.servers) {
      for (let attempt = 0; attempt < TRIES; attempt++) {
        const id = randomInt(0x10000);
        const plain = buildUpdate({ id, zone: zone.name, ...body });
        const ex = key ? signRequest(plain, key) : undefined;
        const answer = await exchange(ex?.message ?? plain, server, this.port, 1000 * 2 ** attempt, id);
        if (!answer) {
          last = { error: `no answer from ${formatIPv4(server)}` };
          continue;
        }
        if (ex) {
          const c = ex.check(answer.msg);
          if (!c.ok) return { error: `the answer from ${formatIPv4(server)} failed its TSIG check (${c.reason})` };
        }
        return { rcode: answer.rcode };
      }
    }
    return last;
  }
}

function exchange(msg: Uint8Array, server: number, port: number, timeoutMs: number, id: number): Promise<{ msg: Uint8Array; rcode: number } | undefined> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const done = (v: { msg: Uint8Array; rcode: number } | undefined): void => {
      clearTimeout(timer);
      sock.close();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.on('error', () => done(undefined));
    sock.on('message', (m, rinfo) => {
      // Only the server's answer to this ID counts; anything else is ignored.
      const a = updateAnswer(m);
      if (!a || a.id !== id || rinfo.address !== formatIPv4(server)) return;
      done({ msg: new Uint8Array(m), rcode: a.rcode });
    });
    sock.send(msg, port, formatIPv4(server));
  });
}

function sameClient(a: NameFacts, b: NameFacts): boolean {
  const x = a.client;
  const y = b.client;
  return Buffer.compare(Buffer.from(x.uid ?? []), Buffer.from(y.uid ?? [])) === 0 && x.hwType === y.hwType && Buffer.compare(Buffer.from(x.hwAddr), Buffer.from(y.hwAddr)) === 0;
}

function why(r: Sent): string {
  return 'rcode' in r ? (UPDATE_RCODE_NAMES[r.rcode] ?? `RCODE ${r.rcode}`) : r.error;
}

function cap(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}

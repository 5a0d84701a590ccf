// Reading a zone transfer a primary sends us (pure; the socket is in xfr-client.ts).
// The messages of one TCP stream are fed in order; the reader checks them as BIND's
// xfrin does and yields a full zone (AXFR, RFC 5936), a list of differences
// (IXFR, RFC 1995 §4), or "up to date". Anything wrong throws XfrError, and the
// caller keeps the version it has: nothing half-read is ever served.

import type { DecodedMessage } from './message.js';
import { RCODE } from './message.js';
import type { ZoneDiff } from './zone-diff.js';
import { isSubdomain, nameEquals, nameToText } from '../wire/dns-name.js';
import { CLASS_IN, T, typeToText, type ResourceRecord } from '../wire/rr-type.js';

/** Limits on what one transfer may bring (a zone is refused past them, the old version stays). */
export interface XfrLimits {
  /** Records in the whole transfer (BIND's max-records; unlimited by default there). */
  maxRecords: number;
  /** Octets of all messages together. */
  maxBytes: number;
}

export const DEFAULT_XFR_LIMITS: XfrLimits = { maxRecords: 2_000_000, maxBytes: 512 * 1024 * 1024 };

export type XfrResult =
  | { kind: 'uptodate'; serial: number }
  | { kind: 'axfr'; serial: number; records: ResourceRecord[] }
  | { kind: 'ixfr'; serial: number; diffs: ZoneDiff[] };

/** Why a transfer was turned down; `fallback` means an AXFR should be tried instead of this IXFR. */
export class XfrError extends Error {
  constructor(
    message: string,
    readonly fallback = false,
  ) {
    super(message);
  }
}

/** RFC 1982 §3.2: a is greater than b in serial number arithmetic (32 bits). */
export function serialGt(a: number, b: number): boolean {
  const d = ((a >>> 0) - (b >>> 0)) >>> 0;
  return d !== 0 && d < 0x80000000;
}

/** SERIAL of an SOA RDATA (after MNAME and RNAME, uncompressed). */
export function soaSerial(rd: Uint8Array): number {
  let i = 0;
  for (let k = 0; k < 2; k++) {
    while (i < rd.length && rd[i] !== 0) i += rd[i] + 1;
    i++;
  }
  if (i + 20 > rd.length) throw new XfrError('malformed SOA record');
  return ((rd[i] << 24) >>> 0) + ((rd[i + 1] << 16) | (rd[i + 2] << 8) | rd[i + 3]);
}

/** The five SOA timers (serial, refresh, retry, expire, minimum), seconds. */
export function soaTimers(rd: Uint8Array): { serial: number; refresh: number; retry: number; expire: number; minimum: number } {
  const s = soaSerial(rd);
  const at = rd.length - 16;
  const u32 = (o: number): number => ((rd[o] << 24) >>> 0) + ((rd[o + 1] << 16) | (rd[o + 2] << 8) | rd[o + 3]);
  return { serial: s, refresh: u32(at), retry: u32(at + 4), expire: u32(at + 8), minimum: u32(at + 12) };
}

type Phase = 'first' | 'second' | 'axfr' | 'ixfr-del' | 'ixfr-add' | 'done';

export class TransferReader {
  private phase: Phase = 'first';
  private firstSoa: ResourceRecord | undefined;
  private records: ResourceRecord[] = [];
  private diffs: ZoneDiff[] = [];
  private cur: { from: number; to: number; deletions: ResourceRecord[]; additions: ResourceRecord[] } | undefined;
  private count = 0;
  private bytes = 0;
  private messages = 0;

  /**
   * @param origin the zone (wire form)
   * @param qtype T.AXFR or T.IXFR
   * @param ourSerial the serial we hold (sent with an IXFR)
   */
  constructor(
    private readonly origin: Uint8Array,
    private readonly qtype: number,
    private readonly ourSerial: number | undefined,
    private readonly limits: XfrLimits = DEFAULT_XFR_LIMITS,
  ) {}

  get done(): boolean {
    return this.phase === 'done';
  }

  /** Feeds one message of the stream (`size`: its length on the wire). */
  push(m: DecodedMessage, size: number): void {
    const zone = nameToText(this.origin);
    if (this.phase === 'done') throw new XfrError('data after the end of the transfer');
    this.messages++;
    this.bytes += size;
    if (this.bytes > this.limits.maxBytes) throw new XfrError(`transfer larger than ${this.limits.maxBytes} octets`);
    if (m.rcode !== RCODE.NOERROR) {
      // A primary that cannot do IXFR may answer NOTIMP/FORMERR/REFUSED to it: BIND tries AXFR then.
      const ixfr = this.qtype === T.IXFR && this.messages === 1;
      throw new XfrError(`primary answered rcode ${m.rcode}`, ixfr && m.rcode !== RCODE.NOTAUTH && m.rcode !== RCODE.SERVFAIL);
    }
    if (this.messages === 1 && m.questions.length > 0) {
      const q = m.questions[0];
      if (!nameEquals(q.name, this.origin) || q.type !== this.qtype) throw new XfrError('answer to another question');
    }
    if (this.messages === 1 && m.answers.length === 0) throw new XfrError(`empty answer: no SOA of ${zone}`);
    for (const a of m.answers) {
      this.count++;
      if (this.count > this.limits.maxRecords) throw new XfrError(`more than ${this.limits.maxRecords} records`);
      const rr: ResourceRecord = { owner: a.name, type: a.type, class: a.class, ttl: a.ttl, rdata: a.rdata };
      this.record(rr, zone);
    }
  }

  private record(rr: ResourceRecord, zone: string): void {
    if (this.phase === 'done') throw new XfrError('records after the closing SOA');
    if (rr.class !== CLASS_IN) throw new XfrError(`${nameToText(rr.owner)} ${typeToText(rr.type)}: class ${rr.class} in a class IN zone`);
    // RFC 5936 §3.3 / BIND: a record outside the zone fails the whole transfer.
    if (!isSubdomain(rr.owner, this.origin)) throw new XfrError(`${nameToText(rr.owner)} ${typeToText(rr.type)}: outside zone ${zone}`);
    const isSoa = rr.type === T.SOA && nameEquals(rr.owner, this.origin);
    if (rr.type === T.SOA && !isSoa) throw new XfrError(`${nameToText(rr.owner)}: SOA below the zone apex`);
    switch (this.phase) {
      case 'first':
        if (!isSoa) throw new XfrError(`the transfer does not start with the SOA of ${zone}`);
        soaSerial(rr.rdata);
        this.firstSoa = rr;
        this.phase = 'second';
        return;
      case 'second': {
        const first = this.firstSoa as ResourceRecord;
        const fs = soaSerial(first.rdata);
        if (isSoa && this.qtype === T.IXFR && this.ourSerial !== undefined && soaSerial(rr.rdata) === this.ourSerial && fs !== this.ourSerial) {
          // RFC 1995 §4: incremental: old SOA, deletions, new SOA, additions, …, the first SOA again.
          if (!serialGt(fs, this.ourSerial)) throw new XfrError(`IXFR to serial ${fs}, not newer than ours (${this.ourSerial})`);
          this.cur = { from: this.ourSerial, to: -1, deletions: [rr], additions: [] };
          this.phase = 'ixfr-del';
          return;
        }
        if (isSoa) {
          // A zone of just its SOA: the closing SOA.
          this.records.push(first);
          this.close(rr);
          return;
        }
        this.records.push(first, rr);
        this.phase = 'axfr';
        return;
      }
      case 'axfr':
        if (isSoa) this.close(rr);
        else this.records.push(rr);
        return;
      case 'ixfr-del': {
        const c = this.cur as NonNullable<TransferReader['cur']>;
        if (!isSoa) {
          c.deletions.push(rr);
          return;
        }
        const to = soaSerial(rr.rdata);
        if (!serialGt(to, c.from)) throw new XfrError(`IXFR difference from serial ${c.from} to ${to} goes backwards`);
        c.to = to;
        c.additions.push(rr);
        this.phase = 'ixfr-add';
        return;
      }
      case 'ixfr-add': {
        const c = this.cur as NonNullable<TransferReader['cur']>;
        if (!isSoa) {
          c.additions.push(rr);
          return;
        }
        this.diffs.push({ deletions: c.deletions, additions: c.additions, serial: c.to });
        const s = soaSerial(rr.rdata);
        const final = soaSerial((this.firstSoa as ResourceRecord).rdata);
        if (s === final && c.to === final) {
          this.cur = undefined;
          this.phase = 'done';
          return;
        }
        if (s !== c.to) throw new XfrError(`IXFR difference starts at serial ${s}, the previous one ended at ${c.to}`);
        this.cur = { from: s, to: -1, deletions: [rr], additions: [] };
        this.phase = 'ixfr-del';
        return;
      }
    }
  }

  private close(rr: ResourceRecord): void {
    const fs = soaSerial((this.firstSoa as ResourceRecord).rdata);
    if (soaSerial(rr.rdata) !== fs) throw new XfrError(`closing SOA serial ${soaSerial(rr.rdata)} differs from the first (${fs})`);
    this.phase = 'done';
  }

  /**
   * The outcome once the stream ended. A single SOA answering an IXFR means we are
   * current (RFC 1995 §4) unless it is newer, then the primary wants an AXFR.
   */
  result(): XfrResult {
    const first = this.firstSoa;
    if (this.phase === 'second' && first && this.qtype === T.IXFR) {
      const s = soaSerial(first.rdata);
      if (this.ourSerial !== undefined && !serialGt(s, this.ourSerial)) return { kind: 'uptodate', serial: s };
      throw new XfrError('IXFR answered with a newer SOA alone', true);
    }
    if (this.phase !== 'done' || !first) throw new XfrError(this.phase === 'first' ? 'no records received' : 'the transfer ended before its closing SOA');
    const serial = soaSerial(first.rdata);
    if (this.diffs.length > 0) return { kind: 'ixfr', serial, diffs: this.diffs };
    return { kind: 'axfr', serial, records: this.records };
  }
}

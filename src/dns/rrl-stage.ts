// The response-rate-limiting stage: the last step before a UDP response leaves.
// It reads what kind of response it is from the rendered bytes (so cached and
// freshly built answers are treated alike), asks the limiter (rrl.ts), and sends
// the response, an empty truncated copy of it (a "slip": TC=1, the question only,
// the rcode kept for NXDOMAIN, as BIND sends), or nothing. Views without
// `rate-limit` have no stage at all.

import { FLAG_AA, RCODE_NAMES, readName } from './message.js';
import { RateLimiter, type RrlResponse } from './rrl.js';
import type { ClientInfo } from './pipeline.js';
import { nameToText } from '../wire/dns-name.js';

/** Where the stage's lines go: the burst lines (BIND's rate-limit category) and each limited query (query-errors, debug). */
export interface RrlLog {
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

const T_NS = 2;
const T_SOA = 6;
const T_OPT = 41;

export class RrlStage {
  constructor(
    readonly limiter: RateLimiter,
    private readonly log: RrlLog | undefined,
    private readonly clock: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** The response to send instead of `out`: `out` itself, a slip, or null (drop). */
  apply(out: Uint8Array, client: ClientInfo): Uint8Array | null {
    const r = classifyResponse(out);
    if (!r) return out;
    const v = this.limiter.check(client.address, client.transport, r, this.clock());
    if (v.log) for (const line of v.log) this.log?.info({ category: 'rate-limit' }, line);
    if (v.action === 'ok') return out;
    this.log?.debug({ category: 'query-errors', client: `${client.address}#${client.port}` }, this.limiter.describeQuery(client.address, r, v.action));
    return v.action === 'drop' ? null : slip(out, r.kind === 'referral');
  }
}

/** What kind of response this is for the limiter; undefined for what is never limited (not a QUERY answer). */
export function classifyResponse(out: Uint8Array): RrlResponse | undefined {
  if (out.length < 12) return undefined;
  const opcode = (out[2] >> 3) & 0xf;
  if (opcode !== 0) return undefined;
  const rcode = out[3] & 0xf;
  const qd = (out[4] << 8) | out[5];
  const an = (out[6] << 8) | out[7];
  const ns = (out[8] << 8) | out[9];
  if (rcode !== 0 && rcode !== 3) return { kind: 'error', name: '', qtype: 0, qclass: 0, rcode: RCODE_NAMES[rcode] ?? `RCODE${rcode}` };
  if (qd !== 1) return undefined;
  const q = readName(out, 12);
  if (typeof q === 'string' || q[1] + 4 > out.length) return undefined;
  const name = plain(q[0]);
  const qtype = (out[q[1]] << 8) | out[q[1] + 1];
  const qclass = (out[q[1] + 2] << 8) | out[q[1] + 3];
  const base = { qtype, qclass };
  if (rcode === 0 && an > 0) return { kind: 'answer', name, ...base };
  // No answer: the first authority record tells a referral (NS, not authoritative) and the zone (SOA).
  let owner: string | undefined;
  let type = 0;
  if (ns > 0) {
    const o = readName(out, q[1] + 4);
    if (typeof o !== 'string' && o[1] + 2 <= out.length) {
      owner = plain(o[0]);
      type = (out[o[1]] << 8) | out[o[1] + 1];
    }
  }
  if (rcode === 3) return { kind: 'nxdomain', name: type === T_SOA && owner !== undefined ? owner : name, ...base };
  const aa = (((out[2] << 8) | out[3]) & FLAG_AA) !== 0;
  if (!aa && type === T_NS && owner !== undefined) return { kind: 'referral', name: owner, ...base };
  return { kind: 'nodata', name, ...base };
}

/**
 * The slip BIND sends: the header with TC=1, the question, the OPT (if any);
 * NXDOMAIN keeps its rcode, anything else is NOERROR. A referral's slip has AA
 * set, as BIND's (it decides before the referral clears AA).
 */
export function slip(out: Uint8Array, referral = false): Uint8Array {
  const qEnd = questionEnd(out);
  const opt = optRecord(out);
  const res = new Uint8Array(qEnd + (opt?.length ?? 0));
  res.set(out.subarray(0, qEnd));
  if (opt) res.set(opt, qEnd);
  res[2] |= referral ? 0x06 : 0x02;
  if ((res[3] & 0xf) !== 3) res[3] &= 0xf0;
  res[6] = res[7] = res[8] = res[9] = 0;
  res[10] = 0;
  res[11] = opt ? 1 : 0;
  return res;
}

function plain(wire: Uint8Array): string {
  const t = nameToText(wire).toLowerCase();
  return t === '.' ? '' : t.slice(0, -1);
}

function questionEnd(out: Uint8Array): number {
  const qd = (out[4] << 8) | out[5];
  let i = 12;
  for (let k = 0; k < qd; k++) {
    const n = readName(out, i);
    if (typeof n === 'string') return 12;
    i = n[1] + 4;
  }
  return Math.min(i, out.length);
}

/** The OPT record of the additional section (copied), if there is one. */
function optRecord(out: Uint8Array): Uint8Array | undefined {
  let i = questionEnd(out);
  const total = ((out[6] << 8) | out[7]) + ((out[8] << 8) | out[9]) + ((out[10] << 8) | out[11]);
  for (let k = 0; k < total; k++) {
    const start = i;
    const n = readName(out, i);
    if (typeof n === 'string' || n[1] + 10 > out.length) return undefined;
    const type = (out[n[1]] << 8) | out[n[1] + 1];
    const rdlen = (out[n[1] + 8] << 8) | out[n[1] + 9];
    i = n[1] + 10 + rdlen;
    if (i > out.length) return undefined;
    if (type === T_OPT) return out.slice(start, i);
  }
  return undefined;
}

// The CHAOS source: BIND's built-in `_bind` view, class CH: version.bind,
// hostname.bind and id.server. Other CH names pass on (and are REFUSED).

import { OPCODE_QUERY } from '../message.js';
import type { Handler, Source } from '../pipeline.js';
import { parseName } from '../../wire/dns-name.js';
import { CLASS_CH, T, type ResourceRecord } from '../../wire/rr-type.js';
import { ZoneTable } from '../zone-table.js';
import { buildZone, type Zone } from '../zone.js';
import { zoneReply } from './authoritative.js';

export const chaosSource: Source = (env): Handler => {
  const table = new ZoneTable([chaosZone('hostname.bind.', env.hostname), chaosZone('id.server.', undefined),
    chaosZone('version.bind.', env.view.version)]);
  return {
    name: 'chaos',
    answer(ctx) {
      if (ctx.q.opcode !== OPCODE_QUERY || ctx.q.question.class !== CLASS_CH) return undefined;
      const zone = table.find(ctx.q.question.name);
      return zone ? zoneReply(env.view, ctx, zone, undefined) : undefined;
    },
  };
};

/** One CH zone; `txt` undefined is `version none` (NODATA, as BIND). */
function chaosZone(origin: string, txt: string | undefined): Zone {
  const o = parseName(origin);
  const soa = concat(o, parseName('hostmaster.' + origin), u32s([0, 28800, 7200, 604800, 86400]));
  const records: ResourceRecord[] = [
    { owner: o, type: T.SOA, class: CLASS_CH, ttl: 86400, rdata: soa },
    { owner: o, type: T.NS, class: CLASS_CH, ttl: 0, rdata: o },
  ];
  if (txt !== undefined) {
    const b = Buffer.from(txt, 'latin1').subarray(0, 255);
    records.push({ owner: o, type: T.TXT, class: CLASS_CH, ttl: 0, rdata: concat(Uint8Array.of(b.length), b) });
  }
  return buildZone(o, CLASS_CH, records, 0);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function u32s(vals: number[]): Uint8Array {
  const out = new Uint8Array(vals.length * 4);
  vals.forEach((v, i) => new DataView(out.buffer).setUint32(i * 4, v));
  return out;
}

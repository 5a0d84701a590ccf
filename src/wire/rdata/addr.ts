// IPv6 text forms exactly as BIND's inet_pton/inet_ntop accept and print them: the
// longest zero run compressed, the IPv4-mapped/compatible forms printed with a dotted
// tail (IPv4 text is in wire/ipv4.ts).

import { ipv4FromText, ipv4ToText } from '../ipv4.js';

export function ipv6FromText(s: string): Uint8Array | undefined {
  if (s.length === 0 || s.length > 45) return undefined;
  const out = new Uint8Array(16);
  let head: string[];
  let tail: string[];
  const dbl = s.indexOf('::');
  if (dbl >= 0) {
    if (s.indexOf('::', dbl + 1) >= 0) return undefined;
    const a = s.slice(0, dbl);
    const b = s.slice(dbl + 2);
    head = a === '' ? [] : a.split(':');
    tail = b === '' ? [] : b.split(':');
  } else {
    head = s.split(':');
    tail = [];
  }
  const words: number[] = [];
  const parseGroups = (groups: string[], isLast: boolean): number[] | undefined => {
    const w: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i];
      if (isLast && i === groups.length - 1 && g.includes('.')) {
        const v4 = ipv4FromText(g);
        if (!v4) return undefined;
        w.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      w.push(parseInt(g, 16));
    }
    return w;
  };
  const hw = parseGroups(head, dbl < 0);
  const tw = parseGroups(tail, true);
  if (!hw || !tw) return undefined;
  if (dbl >= 0) {
    if (hw.length + tw.length > 7) return undefined;
    words.push(...hw, ...new Array<number>(8 - hw.length - tw.length).fill(0), ...tw);
  } else {
    if (hw.length !== 8) return undefined;
    words.push(...hw);
  }
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i] >> 8;
    out[2 * i + 1] = words[i] & 0xff;
  }
  return out;
}

export function ipv6ToText(b: Uint8Array, off = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase < 0) {
        curBase = i;
        curLen = 1;
      } else curLen++;
    } else if (curBase >= 0) {
      if (bestBase < 0 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase >= 0 && (bestBase < 0 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase >= 0 && bestLen < 2) bestBase = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) s += ':';
      continue;
    }
    if (i !== 0) s += ':';
    // An IPv4-compatible or IPv4-mapped address keeps its dotted tail.
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      s += ipv4ToText(b, off + 12);
      break;
    }
    s += words[i].toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) s += ':';
  return s;
}

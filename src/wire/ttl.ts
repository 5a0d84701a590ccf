// TTL text as BIND writes it in zone files and named.conf.

/**
 * BIND's TTL syntax: a plain number, or numbers with w/d/h/m/s units
 * (`1h30m`, case-insensitive). Returns undefined when the text is not a TTL;
 * throws a range error above 2^32-1.
 */
export function parseTtl(text: string): number | undefined {
  if (text.length === 0) return undefined;
  if (/^[0-9]+$/.test(text)) {
    const v = Number(text);
    return v > 0xffffffff ? NaN : v;
  }
  let total = 0;
  let i = 0;
  while (i < text.length) {
    let j = i;
    while (j < text.length && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x39) j++;
    if (j === i) return undefined;
    const n = Number(text.slice(i, j));
    const u = text[j];
    if (u === undefined) return undefined; // a bare number after a unit is not a TTL
    const mult = UNITS[u.toLowerCase()];
    if (mult === undefined) return undefined;
    total += n * mult;
    i = j + 1;
  }
  return total > 0xffffffff ? NaN : total;
}

const UNITS: Record<string, number> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };

// The DNS benches' data: the 10,000-name zone and the query files, one definition for
// bench:dns and the hand-run tools that measure the same load (dns-cache-rss.ts).

export const NAMES = 10_000;
export const ZONE = 'bench.test';

export function zoneText(): string {
  const lines = [
    '$TTL 3600',
    `@ IN SOA ns.${ZONE}. hostmaster.${ZONE}. ( 1 3600 900 604800 300 )`,
    '  IN NS ns',
    'ns IN A 10.0.0.1',
    'alias IN CNAME h1',
  ];
  for (let i = 0; i < NAMES; i++) lines.push(`h${i} IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  return lines.join('\n') + '\n';
}

/** The authoritative mix: 95 % existing names, 5 % names that do not exist. */
export function queryFile(): string {
  const out: string[] = [];
  let x = 12345;
  const rnd = (n: number): number => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x % n;
  };
  for (let i = 0; i < 100_000; i++) {
    out.push(rnd(100) < 5 ? `nx${rnd(1_000_000)}.${ZONE} A` : `h${rnd(NAMES)}.${ZONE} A`);
  }
  return out.join('\n') + '\n';
}

/** Existing names only (random order): with a warmed cache every query is a hit. */
export function cacheQueryFile(): string {
  const out: string[] = [];
  let x = 777;
  for (let i = 0; i < 100_000; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out.push(`h${x % NAMES}.${ZONE} A`);
  }
  return out.join('\n') + '\n';
}

/** Every name once, to warm a cache. */
export function warmFile(): string {
  return Array.from({ length: NAMES }, (_, i) => `h${i}.${ZONE} A`).join('\n') + '\n';
}

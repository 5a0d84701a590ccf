// The options block of the named.conf files peer tests write for a reference
// BIND (`named`) and for Triad: authoritative only, on one loopback address and a
// test's own port. For BIND (`bind: true`) also what keeps a test's named to its
// temporary folder and off the network: no pid file, no session key, no DNSSEC
// trust-anchor upkeep (it would try to reach the root servers), no rndc channel.

export interface NamedOptions {
  directory: string;
  port: number;
  /** The IPv4 address to listen on. */
  addr: string;
  /** Also listen on this IPv6 address (the same port); otherwise `listen-on-v6 { none; }`. */
  v6?: string;
  /** The file is for BIND (true) or only for Triad (false, the default: the statements above are left out). */
  bind?: boolean;
  /** More statements inside `options { }`, one per entry, e.g. `notify no`. */
  extra?: readonly string[];
}

/** `options { … };` (and for BIND `controls { };`), ending with a newline. */
export function namedOptions(o: NamedOptions): string {
  const lines = [
    `directory "${o.directory}"`,
    ...(o.bind ? ['pid-file none', 'session-keyfile none'] : []),
    `listen-on port ${o.port} { ${o.addr}; }`,
    o.v6 ? `listen-on-v6 port ${o.port} { ${o.v6}; }` : 'listen-on-v6 { none; }',
    'recursion no',
    ...(o.bind ? ['dnssec-validation no'] : []),
    ...(o.extra ?? []),
  ];
  return `options {\n${lines.map((l) => `    ${l};\n`).join('')}};\n${o.bind ? 'controls { };\n' : ''}`;
}

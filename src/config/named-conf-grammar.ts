// BIND 9.18's statement and option names with a coarse value type, so that a
// real-world named.conf loads: an option Triad does not implement is still
// type-checked where the type is simple, then accepted with one warning.
// Source of the names: the BIND 9.18 ARM grammar (options, view and zone clauses).
//
// Type spec: alternatives separated by `|`; each is a type or a literal keyword.
//   bool, int, qstr (quoted string), str (quoted or bare), dur (TTL or ISO 8601),
//   size (number with k/m/g), pct (N%), aml (address-match block), `*` (not checked:
//   multi-word or nested syntax). A trailing `+` means the option may occur more than once.

export type OptionTable = Readonly<Record<string, string>>;

const AML = 'aml';
const SOURCE = '*'; // ( addr | * ) [ port ( int | * ) ] [ dscp int ]
const REMOTES = '*'; // [ port N ] { addr [port N] [key K] [tls T]; ... }

/** Options valid in `options` and in `view` (BIND's shared namedconf/view clauses). */
const SHARED: OptionTable = {
  'allow-new-zones': 'bool',
  'allow-notify': AML,
  'allow-query': AML,
  'allow-query-cache': AML,
  'allow-query-cache-on': AML,
  'allow-query-on': AML,
  'allow-recursion': AML,
  'allow-recursion-on': AML,
  'allow-transfer': '*',
  'allow-update': AML,
  'allow-update-forwarding': AML,
  'also-notify': REMOTES,
  'alt-transfer-source': SOURCE,
  'alt-transfer-source-v6': SOURCE,
  'attach-cache': 'str',
  'auth-nxdomain': 'bool',
  'auto-dnssec': 'allow|maintain|off',
  'catalog-zones': '*',
  'check-dup-records': 'fail|warn|ignore',
  'check-integrity': 'bool',
  'check-mx': 'fail|warn|ignore',
  'check-mx-cname': 'fail|warn|ignore',
  'check-names': '*+',
  'check-sibling': 'bool',
  'check-spf': 'warn|ignore',
  'check-srv-cname': 'fail|warn|ignore',
  'check-wildcard': 'bool',
  'clients-per-query': 'int',
  'deny-answer-addresses': '*',
  'deny-answer-aliases': '*',
  dialup: 'notify|notify-passive|passive|refresh|bool',
  'disable-algorithms': '*+',
  'disable-ds-digests': '*+',
  'disable-empty-zone': 'str+',
  dns64: '*+',
  'dns64-contact': 'str',
  'dns64-server': 'str',
  'dnskey-sig-validity': 'int',
  'dnsrps-enable': 'bool',
  'dnsrps-options': '*',
  'dnssec-accept-expired': 'bool',
  'dnssec-dnskey-kskonly': 'bool',
  'dnssec-loadkeys-interval': 'int',
  'dnssec-must-be-secure': '*+',
  'dnssec-policy': 'str',
  'dnssec-secure-to-insecure': 'bool',
  'dnssec-update-mode': 'maintain|no-resign',
  'dnssec-validation': 'yes|no|auto|bool',
  dnstap: '*',
  'dual-stack-servers': '*',
  'edns-udp-size': 'int',
  'empty-contact': 'str',
  'empty-server': 'str',
  'empty-zones-enable': 'bool',
  'fetch-quota-params': '*',
  'fetches-per-server': '*',
  'fetches-per-zone': '*',
  forward: 'first|only',
  forwarders: '*',
  'glue-cache': 'bool',
  'ipv4only-contact': 'str',
  'ipv4only-enable': 'bool',
  'ipv4only-server': 'str',
  'ixfr-from-differences': 'primary|master|secondary|slave|bool',
  'key-directory': 'qstr',
  'lame-ttl': 'dur',
  'lmdb-mapsize': 'size',
  'masterfile-format': 'raw|text',
  'masterfile-style': 'full|relative',
  'max-cache-size': 'default|unlimited|size|pct',
  'max-cache-ttl': 'dur',
  'max-clients-per-query': 'int',
  'max-ixfr-ratio': 'unlimited|pct',
  'max-journal-size': 'default|unlimited|size',
  'max-ncache-ttl': 'dur',
  'max-records': 'int',
  'max-recursion-depth': 'int',
  'max-recursion-queries': 'int',
  'max-refresh-time': 'int',
  'max-retry-time': 'int',
  'max-stale-ttl': 'dur',
  'max-transfer-idle-in': 'int',
  'max-transfer-idle-out': 'int',
  'max-transfer-time-in': 'int',
  'max-transfer-time-out': 'int',
  'max-udp-size': 'int',
  'max-zone-ttl': 'unlimited|dur',
  'message-compression': 'bool',
  'min-cache-ttl': 'dur',
  'min-ncache-ttl': 'dur',
  'min-refresh-time': 'int',
  'min-retry-time': 'int',
  'minimal-any': 'bool',
  'minimal-responses': 'no-auth|no-auth-recursive|bool',
  'multi-master': 'bool',
  'new-zones-directory': 'qstr',
  'no-case-compress': AML,
  'nocookie-udp-size': 'int',
  notify: 'explicit|master-only|primary-only|bool',
  'notify-delay': 'int',
  'notify-source': SOURCE,
  'notify-source-v6': SOURCE,
  'notify-to-soa': 'bool',
  'nsec3-test-zone': 'bool',
  'nta-lifetime': 'dur',
  'nta-recheck': 'dur',
  'nxdomain-redirect': 'str',
  'parental-source': SOURCE,
  'parental-source-v6': SOURCE,
  plugin: '*+',
  'preferred-glue': 'str',
  prefetch: '*',
  'provide-ixfr': 'bool',
  'qname-minimization': 'strict|relaxed|disabled|off',
  'query-source': '*',
  'query-source-v6': '*',
  'rate-limit': '*',
  recursion: 'bool',
  'request-expire': 'bool',
  'request-ixfr': 'bool',
  'request-nsid': 'bool',
  'require-server-cookie': 'bool',
  'resolver-nonbackoff-tries': 'int',
  'resolver-query-timeout': 'int',
  'resolver-retry-interval': 'int',
  'response-padding': '*',
  'response-policy': '*',
  'root-delegation-only': '*',
  'root-key-sentinel': 'bool',
  'rrset-order': '*',
  'send-cookie': 'bool',
  'serial-update-method': 'date|increment|unixtime',
  server: '*+',
  'servfail-ttl': 'dur',
  'sig-signing-nodes': 'int',
  'sig-signing-signatures': 'int',
  'sig-signing-type': 'int',
  'sig-validity-interval': '*',
  sortlist: AML,
  'stale-answer-client-timeout': 'disabled|off|int',
  'stale-answer-enable': 'bool',
  'stale-answer-ttl': 'dur',
  'stale-cache-enable': 'bool',
  'stale-refresh-time': 'dur',
  'suppress-initial-notify': 'bool',
  'synth-from-dnssec': 'bool',
  'transfer-format': 'many-answers|one-answer',
  'transfer-source': SOURCE,
  'transfer-source-v6': SOURCE,
  'trust-anchor-telemetry': 'bool',
  'try-tcp-refresh': 'bool',
  'update-check-ksk': 'bool',
  'use-alt-transfer-source': 'bool',
  'v6-bias': 'int',
  'validate-except': '*',
  'zero-no-soa-ttl': 'bool',
  'zero-no-soa-ttl-cache': 'bool',
  'zone-statistics': 'full|terse|none|bool',
};

/** Options valid only in the global `options` block. */
export const OPTIONS: OptionTable = {
  ...SHARED,
  'answer-cookie': 'bool',
  'automatic-interface-scan': 'bool',
  'avoid-v4-udp-ports': '*',
  'avoid-v6-udp-ports': '*',
  'bindkeys-file': 'qstr',
  blackhole: AML,
  'cookie-algorithm': 'aes|siphash24',
  'cookie-secret': 'str+',
  coresize: 'default|unlimited|size',
  datasize: 'default|unlimited|size',
  directory: 'qstr',
  'dnstap-identity': 'none|hostname|qstr',
  'dnstap-output': '*',
  'dnstap-version': 'none|qstr',
  dscp: 'int',
  'dump-file': 'qstr',
  files: 'default|unlimited|size',
  'flush-zones-on-shutdown': 'bool',
  'fstrm-set-buffer-hint': 'int',
  'fstrm-set-flush-timeout': 'int',
  'fstrm-set-input-queue-size': 'int',
  'fstrm-set-output-notify-threshold': 'int',
  'fstrm-set-output-queue-model': 'mpsc|spsc',
  'fstrm-set-output-queue-size': 'int',
  'fstrm-set-reopen-interval': 'dur',
  'geoip-directory': 'none|qstr',
  'heartbeat-interval': 'int',
  hostname: 'none|qstr',
  'http-listener-clients': 'int',
  'http-port': 'int',
  'http-streams-per-connection': 'int',
  'https-port': 'int',
  'interface-interval': 'dur',
  'keep-response-order': AML,
  'listen-on': '*+',
  'listen-on-v6': '*+',
  'lock-file': 'none|qstr',
  'managed-keys-directory': 'qstr',
  'match-mapped-addresses': 'bool',
  memstatistics: 'bool',
  'memstatistics-file': 'qstr',
  'pid-file': 'none|qstr',
  port: 'int',
  querylog: 'bool',
  'random-device': 'none|qstr',
  'recursing-file': 'qstr',
  'recursive-clients': 'int',
  'reserved-sockets': 'int',
  reuseport: 'bool',
  'secroots-file': 'qstr',
  'serial-query-rate': 'int',
  'server-id': 'none|hostname|qstr',
  'session-keyalg': 'str',
  'session-keyfile': 'none|qstr',
  'session-keyname': 'str',
  stacksize: 'default|unlimited|size',
  'startup-notify-rate': 'int',
  'statistics-file': 'qstr',
  'tcp-advertised-timeout': 'int',
  'tcp-clients': 'int',
  'tcp-idle-timeout': 'int',
  'tcp-initial-timeout': 'int',
  'tcp-keepalive-timeout': 'int',
  'tcp-listen-queue': 'int',
  'tcp-receive-buffer': 'int',
  'tcp-send-buffer': 'int',
  'tkey-dhkey': '*',
  'tkey-domain': 'qstr',
  'tkey-gssapi-credential': 'qstr',
  'tkey-gssapi-keytab': 'qstr',
  'tls-port': 'int',
  'transfer-message-size': 'int',
  'transfers-in': 'int',
  'transfers-out': 'int',
  'transfers-per-ns': 'int',
  'udp-receive-buffer': 'int',
  'udp-send-buffer': 'int',
  'use-v4-udp-ports': '*',
  'use-v6-udp-ports': '*',
  version: 'none|qstr',
};

/** Clauses valid inside `view` (besides `zone`, handled by the parser). */
export const VIEW: OptionTable = {
  ...SHARED,
  dlz: '*+',
  dyndb: '*+',
  key: '*+',
  'managed-keys': '*+',
  'match-clients': AML,
  'match-destinations': AML,
  'match-recursive-only': 'bool',
  'trust-anchors': '*+',
  'trusted-keys': '*+',
};

/** Zone clauses (the union over zone types; TYPE_RESTRICTIONS narrows some). */
export const ZONE: OptionTable = {
  'allow-notify': AML,
  'allow-query': AML,
  'allow-query-on': AML,
  'allow-transfer': '*',
  'allow-update': AML,
  'allow-update-forwarding': AML,
  'also-notify': REMOTES,
  'alt-transfer-source': SOURCE,
  'alt-transfer-source-v6': SOURCE,
  'auto-dnssec': 'allow|maintain|off',
  'check-dup-records': 'fail|warn|ignore',
  'check-integrity': 'bool',
  'check-mx': 'fail|warn|ignore',
  'check-mx-cname': 'fail|warn|ignore',
  'check-names': 'fail|warn|ignore',
  'check-sibling': 'bool',
  'check-spf': 'warn|ignore',
  'check-srv-cname': 'fail|warn|ignore',
  'check-wildcard': 'bool',
  database: 'str',
  'delegation-only': 'bool',
  dialup: 'notify|notify-passive|passive|refresh|bool',
  dlz: 'str',
  'dnskey-sig-validity': 'int',
  'dnssec-dnskey-kskonly': 'bool',
  'dnssec-loadkeys-interval': 'int',
  'dnssec-policy': 'str',
  'dnssec-secure-to-insecure': 'bool',
  'dnssec-update-mode': 'maintain|no-resign',
  file: 'qstr',
  forward: 'first|only',
  forwarders: '*',
  'in-view': 'str',
  'inline-signing': 'bool',
  'ixfr-from-differences': 'bool',
  journal: 'qstr',
  'key-directory': 'qstr',
  'masterfile-format': 'raw|text',
  'masterfile-style': 'full|relative',
  masters: REMOTES,
  'max-ixfr-ratio': 'unlimited|pct',
  'max-journal-size': 'default|unlimited|size',
  'max-records': 'int',
  'max-refresh-time': 'int',
  'max-retry-time': 'int',
  'max-transfer-idle-in': 'int',
  'max-transfer-idle-out': 'int',
  'max-transfer-time-in': 'int',
  'max-transfer-time-out': 'int',
  'max-zone-ttl': 'unlimited|dur',
  'min-refresh-time': 'int',
  'min-retry-time': 'int',
  'multi-master': 'bool',
  notify: 'explicit|master-only|primary-only|bool',
  'notify-delay': 'int',
  'notify-source': SOURCE,
  'notify-source-v6': SOURCE,
  'notify-to-soa': 'bool',
  'nsec3-test-zone': 'bool',
  'parental-agents': REMOTES,
  'parental-source': SOURCE,
  'parental-source-v6': SOURCE,
  primaries: REMOTES,
  'request-expire': 'bool',
  'request-ixfr': 'bool',
  'serial-update-method': 'date|increment|unixtime',
  'server-addresses': '*',
  'server-names': '*',
  'sig-signing-nodes': 'int',
  'sig-signing-signatures': 'int',
  'sig-signing-type': 'int',
  'sig-validity-interval': '*',
  'transfer-source': SOURCE,
  'transfer-source-v6': SOURCE,
  'try-tcp-refresh': 'bool',
  type: '*',
  'update-check-ksk': 'bool',
  'update-policy': '*',
  'use-alt-transfer-source': 'bool',
  'zero-no-soa-ttl': 'bool',
  'zone-statistics': 'full|terse|none|bool',
};

/** Top-level statements other than options/acl/zone/view/include/key/logging/controls. */
export const TOP_LEVEL_OTHER: OptionTable = {
  dlz: '*+',
  'dnssec-policy': '*+',
  dyndb: '*+',
  http: '*+',
  'managed-keys': '*+',
  masters: '*+',
  primaries: '*+',
  'parental-agents': '*+',
  plugin: '*+',
  server: '*+',
  'statistics-channels': '*+',
  tls: '*+',
  'trust-anchors': '*+',
  'trusted-keys': '*+',
};

export type ZoneType = 'primary' | 'secondary' | 'forward' | 'hint' | 'stub' | 'static-stub' | 'mirror' | 'redirect' | 'delegation-only';

/** `type` values BIND 9.18 accepts, old names mapped to new. */
export const ZONE_TYPES: Readonly<Record<string, ZoneType>> = {
  primary: 'primary',
  master: 'primary',
  secondary: 'secondary',
  slave: 'secondary',
  forward: 'forward',
  hint: 'hint',
  stub: 'stub',
  'static-stub': 'static-stub',
  mirror: 'mirror',
  redirect: 'redirect',
  'delegation-only': 'delegation-only',
};

/**
 * Options BIND 9.18 rejects in a zone of the given type ("option 'X' is not allowed
 * in 'T' zone"), measured with named-checkconf 9.18.49, one option at a time.
 */
export const NOT_ALLOWED_IN: Readonly<Partial<Record<ZoneType, readonly string[]>>> = {
  secondary: ['allow-update', 'check-dup-records', 'check-integrity', 'check-mx', 'check-mx-cname', 'check-sibling', 'check-spf', 'check-srv-cname', 'check-wildcard', 'delegation-only', 'dnssec-secure-to-insecure', 'max-zone-ttl', 'serial-update-method', 'server-addresses', 'server-names', 'update-policy'],
  forward: ['allow-notify', 'allow-query', 'allow-query-on', 'allow-transfer', 'allow-update', 'allow-update-forwarding', 'also-notify', 'alt-transfer-source', 'alt-transfer-source-v6', 'auto-dnssec', 'check-dup-records', 'check-integrity', 'check-mx', 'check-mx-cname', 'check-names', 'check-sibling', 'check-spf', 'check-srv-cname', 'check-wildcard', 'dialup', 'dnskey-sig-validity', 'dnssec-dnskey-kskonly', 'dnssec-loadkeys-interval', 'dnssec-policy', 'dnssec-secure-to-insecure', 'dnssec-update-mode', 'file', 'inline-signing', 'ixfr-from-differences', 'journal', 'key-directory', 'masterfile-format', 'masterfile-style', 'masters', 'max-ixfr-ratio', 'max-journal-size', 'max-records', 'max-refresh-time', 'max-retry-time', 'max-transfer-idle-in', 'max-transfer-idle-out', 'max-transfer-time-in', 'max-transfer-time-out', 'max-zone-ttl', 'min-refresh-time', 'min-retry-time', 'multi-master', 'notify', 'notify-delay', 'notify-source', 'notify-source-v6', 'notify-to-soa', 'nsec3-test-zone', 'parental-agents', 'parental-source', 'parental-source-v6', 'primaries', 'request-expire', 'request-ixfr', 'serial-update-method', 'server-addresses', 'server-names', 'sig-signing-nodes', 'sig-signing-signatures', 'sig-signing-type', 'sig-validity-interval', 'transfer-source', 'transfer-source-v6', 'try-tcp-refresh', 'update-check-ksk', 'update-policy', 'use-alt-transfer-source', 'zero-no-soa-ttl', 'zone-statistics'],
  hint: ['allow-notify', 'allow-query', 'allow-query-on', 'allow-transfer', 'allow-update', 'allow-update-forwarding', 'also-notify', 'alt-transfer-source', 'alt-transfer-source-v6', 'auto-dnssec', 'check-dup-records', 'check-integrity', 'check-mx', 'check-mx-cname', 'check-sibling', 'check-spf', 'check-srv-cname', 'check-wildcard', 'dialup', 'dnskey-sig-validity', 'dnssec-dnskey-kskonly', 'dnssec-loadkeys-interval', 'dnssec-policy', 'dnssec-secure-to-insecure', 'dnssec-update-mode', 'forward', 'forwarders', 'inline-signing', 'ixfr-from-differences', 'journal', 'key-directory', 'masterfile-format', 'masterfile-style', 'masters', 'max-ixfr-ratio', 'max-journal-size', 'max-records', 'max-refresh-time', 'max-retry-time', 'max-transfer-idle-in', 'max-transfer-idle-out', 'max-transfer-time-in', 'max-transfer-time-out', 'max-zone-ttl', 'min-refresh-time', 'min-retry-time', 'multi-master', 'notify', 'notify-delay', 'notify-source', 'notify-source-v6', 'notify-to-soa', 'nsec3-test-zone', 'parental-agents', 'parental-source', 'parental-source-v6', 'primaries', 'request-expire', 'request-ixfr', 'serial-update-method', 'server-addresses', 'server-names', 'sig-signing-nodes', 'sig-signing-signatures', 'sig-signing-type', 'sig-validity-interval', 'transfer-source', 'transfer-source-v6', 'try-tcp-refresh', 'update-check-ksk', 'update-policy', 'use-alt-transfer-source', 'zero-no-soa-ttl', 'zone-statistics'],
  stub: ['allow-notify', 'allow-transfer', 'allow-update', 'allow-update-forwarding', 'also-notify', 'alt-transfer-source', 'alt-transfer-source-v6', 'auto-dnssec', 'check-dup-records', 'check-integrity', 'check-mx', 'check-mx-cname', 'check-sibling', 'check-spf', 'check-srv-cname', 'check-wildcard', 'dialup', 'dnskey-sig-validity', 'dnssec-dnskey-kskonly', 'dnssec-loadkeys-interval', 'dnssec-policy', 'dnssec-secure-to-insecure', 'dnssec-update-mode', 'inline-signing', 'ixfr-from-differences', 'journal', 'key-directory', 'max-ixfr-ratio', 'max-journal-size', 'max-transfer-idle-out', 'max-transfer-time-out', 'max-zone-ttl', 'notify', 'notify-delay', 'notify-source', 'notify-source-v6', 'notify-to-soa', 'nsec3-test-zone', 'parental-agents', 'parental-source', 'parental-source-v6', 'request-expire', 'request-ixfr', 'serial-update-method', 'server-addresses', 'server-names', 'sig-signing-nodes', 'sig-signing-signatures', 'sig-signing-type', 'sig-validity-interval', 'try-tcp-refresh', 'update-check-ksk', 'update-policy', 'zero-no-soa-ttl'],
  primary: ['allow-notify', 'allow-update-forwarding', 'delegation-only', 'in-view', 'masters', 'max-refresh-time', 'max-retry-time', 'max-transfer-idle-in', 'max-transfer-time-in', 'min-refresh-time', 'min-retry-time', 'multi-master', 'primaries', 'request-expire', 'request-ixfr', 'server-addresses', 'server-names', 'transfer-source', 'transfer-source-v6', 'try-tcp-refresh', 'use-alt-transfer-source'],
};

/** The first alternative list for a spec, and whether it may repeat. */
export function specOf(spec: string): { alternatives: string[]; multi: boolean } {
  const multi = spec.endsWith('+');
  return { alternatives: (multi ? spec.slice(0, -1) : spec).split('|'), multi };
}

const BOOL = new Set(['yes', 'no', 'true', 'false', '1', '0']);

export function parseBool(word: string): boolean | undefined {
  const w = word.toLowerCase();
  if (!BOOL.has(w)) return undefined;
  return w === 'yes' || w === 'true' || w === '1';
}

/** Does one value word (kind as tokenized) fit one alternative of a spec? */
export function valueFits(alt: string, value: string, quoted: boolean): boolean {
  switch (alt) {
    case 'bool':
      return !quoted && parseBool(value) !== undefined;
    case 'int':
      return !quoted && /^(0x[0-9a-f]+|[0-9]+)$/i.test(value);
    case 'qstr':
      return quoted;
    case 'str':
      return true;
    case 'dur':
      return !quoted && (/^[0-9]+$/.test(value) || /^([0-9]+[smhdw])+$/i.test(value) || /^P([0-9]+[YMWD])*(T([0-9]+[HMS])+)?$/i.test(value));
    case 'size':
      return !quoted && /^[0-9]+[kmg]?$/i.test(value);
    case 'pct':
      return !quoted && /^[0-9]+%$/.test(value);
    default:
      return !quoted && value.toLowerCase() === alt;
  }
}

/** BIND's wording for the first alternative that failed, e.g. "boolean expected". */
export function expectedText(alternatives: string[]): string {
  if (alternatives.includes('bool') && alternatives.length === 1) return 'boolean expected';
  const types = alternatives.filter((a) => ['bool', 'int', 'qstr', 'str', 'dur', 'size', 'pct'].includes(a));
  if (types.length === 1 && types[0] === 'qstr') return 'expected quoted string';
  if (alternatives.length === 1) {
    switch (alternatives[0]) {
      case 'int':
        return 'expected number';
      case 'qstr':
        return 'expected quoted string';
      case 'dur':
        return 'expected ISO 8601 duration or TTL value';
      case 'size':
        return 'expected integer and optional unit';
    }
  }
  const words = alternatives.map((a) => ({ bool: 'yes|no', int: '<integer>', qstr: '<quoted string>', str: '<string>', dur: '<duration>', size: '<size>', pct: '<percentage>' })[a] ?? a);
  return `expected one of ${words.join(' | ')}`;
}

/** logging { category NAME { … }; }: the categories BIND 9.18 knows. */
export const LOG_CATEGORIES: ReadonlySet<string> = new Set([
  'client', 'cname', 'config', 'database', 'default', 'delegation-only', 'dispatch', 'dnssec', 'dnstap', 'edns-disabled',
  'general', 'lame-servers', 'network', 'notify', 'nsid', 'queries', 'query-errors', 'rate-limit', 'resolver', 'rpz',
  'rpz-passthru', 'security', 'serve-stale', 'spill', 'sslkeylog', 'trust-anchor-telemetry', 'unmatched', 'update',
  'update-security', 'xfer-in', 'xfer-out', 'zoneload',
]);

/** Channels every BIND configuration has. */
export const BUILTIN_LOG_CHANNELS: ReadonlySet<string> = new Set(['default_syslog', 'default_debug', 'default_stderr', 'default_logfile', 'null']);

/** logging { channel NAME { … }; } clauses; `file`, `syslog` and `severity` take extra words and are checked by the parser. */
export const LOG_CHANNEL: OptionTable = {
  buffered: 'bool',
  file: '*',
  null: '*',
  'print-category': 'bool',
  'print-severity': 'bool',
  'print-time': 'iso8601|iso8601-utc|local|bool',
  severity: '*',
  stderr: '*',
  syslog: '*',
};

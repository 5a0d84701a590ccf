// dhcpd.conf's statements for DNS updates sent to other servers (dhcpd.conf(5) "DYNAMIC DNS
// UPDATES", ISC dhcpd 4.4):
//
//   key DHCP_UPDATER { algorithm hmac-sha256; secret "base64…"; };
//   zone example.org. { primary 192.0.2.53; key DHCP_UPDATER; }
//
// `key` has named.conf's syntax (tsig-keygen and ddns-confgen output can be pasted or
// included); the secret may also be written without quotes, as ISC allows. `zone` names
// the server (`primary`, `primary6`, `secondary`) that takes updates for a zone, and the
// key that signs them. The parser (dhcpd-conf.ts) hands the block's tokens here.

import type { DiagnosticSink, Position } from './diagnostics.js';
import type { Token } from './tokenizer.js';
import { parseIPv4 } from '../wire/ipv4.js';
import { decodeBase64, KEY_ALGORITHMS, keyId } from './named-conf-keys.js';

export interface DdnsKeyConf {
  name: string;
  /** Base algorithm, lower case (`hmac-sha256`). */
  hmac: string;
  /** Truncated MAC length in bits (`hmac-sha256-128`). */
  digestBits?: number;
  secret: Uint8Array;
  pos: Position;
  /** Why updates cannot be signed with it (ISC dhcpd accepts such a key when it reads the file). */
  unusable?: string;
}

export interface DdnsZoneConf {
  /** Absolute, lower case, with the trailing dot. */
  name: string;
  /** IPv4 servers, in order (primary, then secondary). */
  servers: number[];
  /** Key name (as written), when updates are signed. */
  key?: string;
  pos: Position;
}

export interface DdnsConf {
  keys: Map<string, DdnsKeyConf>;
  zones: DdnsZoneConf[];
}

export function newDdnsConf(): DdnsConf {
  return { keys: new Map(), zones: [] };
}

/** The token stream of the dhcpd.conf parser. */
export interface TokenSource {
  peek(): Token;
  next(): Token;
}

const isP = (t: Token, v: string): boolean => t.kind === 'punct' && t.value === v;

/** Reads `{ word value… ; … }` (and an optional `;` after it) into statements; false on a structural error. */
function readBlock(src: TokenSource, sink: DiagnosticSink): { kw: Token; args: Token[] }[] | undefined {
  const open = src.next();
  if (!isP(open, '{')) {
    sink.error(open, 'expecting left brace.');
    return undefined;
  }
  const out: { kw: Token; args: Token[] }[] = [];
  for (;;) {
    const t = src.next();
    if (t.kind === 'eof') {
      sink.error(t, "unexpected end of file: missing '}'");
      return undefined;
    }
    if (isP(t, '}')) break;
    if (isP(t, ';')) continue;
    const args: Token[] = [];
    for (;;) {
      const a = src.next();
      if (a.kind === 'eof' || isP(a, '}') || isP(a, '{')) {
        sink.error(a, 'semicolon expected.');
        return undefined;
      }
      if (isP(a, ';')) break;
      args.push(a);
    }
    out.push({ kw: t, args });
  }
  if (isP(src.peek(), ';')) src.next();
  return out;
}

/** `key NAME { algorithm ALG; secret SECRET; }` */
export function parseDdnsKey(nameTok: Token, src: TokenSource, sink: DiagnosticSink, conf: DdnsConf): void {
  const body = readBlock(src, sink);
  if (!body) return;
  let alg: Token | undefined;
  let secret: { text: string; at: Token } | undefined;
  for (const s of body) {
    if (s.kw.value === 'algorithm' && s.args.length === 1) alg = s.args[0];
    else if (s.kw.value === 'secret' && s.args.length > 0) secret = { text: s.args.map((a) => a.value).join(''), at: s.args[0] };
    else sink.error(s.kw, `${s.kw.value}: expecting algorithm or secret in key ${nameTok.value}`);
  }
  // ISC dhcpd accepts a key it cannot sign with when it reads the file (its own conformance
  // files have one with no secret and an unknown algorithm); updates naming it fail later.
  // So these are warnings here, and the updates of a zone naming the key are not sent.
  const id = keyId(nameTok.value);
  if (conf.keys.has(id)) return sink.error(nameTok, `key '${nameTok.value}': already defined`);
  const unusable = (at: Token, why: string): void => {
    sink.warning(at, `key '${nameTok.value}': ${why}; updates signed with it are not sent`);
    conf.keys.set(id, { name: nameTok.value, hmac: '', secret: new Uint8Array(0), pos: nameTok, unusable: why });
  };
  if (!alg) return unusable(nameTok, 'no algorithm specified');
  if (!secret) return unusable(nameTok, 'no secret specified');
  // ISC also accepts the long names (HMAC-MD5.SIG-ALG.REG.INT) and a trailing dot.
  const m = /^(hmac-[a-z0-9]+?)(?:\.sig-alg\.reg\.int)?\.?(?:-(\d+))?$/.exec(alg.value.toLowerCase());
  if (!m || !(m[1] in KEY_ALGORITHMS)) return unusable(alg, `unknown algorithm '${alg.value}'`);
  const bytes = decodeBase64(secret.text);
  if (!bytes) return unusable(secret.at, 'bad base64 encoding');
  conf.keys.set(id, { name: nameTok.value, hmac: m[1], ...(m[2] ? { digestBits: Number(m[2]) } : {}), secret: bytes, pos: nameTok });
}

/** `zone NAME { primary ADDR…; secondary ADDR…; key KEY; }` */
export function parseDdnsZone(nameTok: Token, src: TokenSource, sink: DiagnosticSink, conf: DdnsConf): void {
  const body = readBlock(src, sink);
  if (!body) return;
  const name = `${nameTok.value.toLowerCase().replace(/\.$/, '')}.`;
  const zone: DdnsZoneConf = { name, servers: [], pos: nameTok };
  for (const s of body) {
    switch (s.kw.value) {
      case 'primary':
      case 'secondary':
        for (const a of s.args) {
          if (isP(a, ',')) continue;
          const ip = parseIPv4(a.value);
          if (ip === undefined) sink.error(a, `${a.value}: expecting an IPv4 address (names of servers are not looked up)`);
          else zone.servers.push(ip);
        }
        break;
      case 'primary6':
      case 'secondary6':
        sink.warning(s.kw, `${s.kw.value}: updates are sent over IPv4 only; ignored`);
        break;
      case 'key':
        if (s.args.length !== 1) sink.error(s.kw, 'key: expecting one key name');
        else zone.key = s.args[0].value;
        break;
      default:
        sink.error(s.kw, `${s.kw.value}: expecting primary, secondary or key in zone ${nameTok.value}`);
    }
  }
  if (!zone.servers.length) return sink.error(nameTok, `zone ${nameTok.value}: no primary server`);
  conf.zones.push(zone);
}

/** After the whole file: every zone's key must be defined. */
export function checkDdnsConf(conf: DdnsConf, sink: DiagnosticSink): void {
  for (const z of conf.zones) if (z.key !== undefined && !conf.keys.has(keyId(z.key))) sink.error(z.pos, `zone ${z.name}: key ${z.key} is not defined`);
}

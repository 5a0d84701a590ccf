// Dynamic update settings of named.conf (RFC 2136, BIND 9.18): `allow-update`,
// `update-policy` in a zone, and the session key options that `update-policy local`
// and `nsupdate -l` share.

import type { DiagnosticSink } from './diagnostics.js';
import type { AddressMatchList } from '../net/address-match.js';
import type { Token } from './tokenizer.js';

/** A statement as named-conf.ts hands it over (words, then an optional block). */
interface Clause {
  words: Token[];
  block?: Clause[];
}

export interface UpdateClauseParser {
  aml(block: never[] | Clause[], used: boolean): AddressMatchList;
}

/** Rule types Triad decides; the Kerberos and Windows ones are parsed and refuse every update. */
export const RULE_TYPES = new Set([
  'name', 'subdomain', 'zonesub', 'wildcard', 'self', 'selfsub', 'selfwild', 'tcp-self', '6to4-self', 'external',
  'krb5-self', 'krb5-selfsub', 'krb5-subdomain', 'krb5-subdomain-self-rhs', 'ms-self', 'ms-selfsub', 'ms-subdomain', 'ms-subdomain-self-rhs',
]);
/** Rule types without a NAME field. */
const NO_NAME = new Set(['zonesub']);

export interface UpdatePolicyRule {
  grant: boolean;
  /** A key name (a leading `*.` matches any key below), or a Kerberos principal. */
  identity: string;
  ruleType: string;
  /** The rule's name field (absent for zonesub; for self-type rules it is a placeholder). */
  name?: string;
  /** Type mnemonics as written; empty: every type but NS, SOA and DNSSEC ones (BIND). */
  types: string[];
  pos: { file: string; line: number; col: number };
}

/** `update-policy local;` is `grant SESSION-KEY zonesub any;`. */
export type UpdatePolicy = { local: true } | { local: false; rules: UpdatePolicyRule[] };

export interface UpdateSettings {
  allowUpdate?: AddressMatchList;
  updatePolicy?: UpdatePolicy;
}

/** options { session-keyfile; session-keyname; session-keyalg; } */
export interface SessionKeySettings {
  /** null: `session-keyfile none` (no key written). */
  file?: string | null;
  name?: string;
  algorithm?: string;
}

/** A zone clause about updates; true when handled (stored in `into`). */
export function updateClause(p: UpdateClauseParser, sink: DiagnosticSink, s: Clause, into: UpdateSettings): boolean {
  const head = s.words[0];
  const name = head.value.toLowerCase();
  if (name === 'allow-update') {
    into.allowUpdate = p.aml(s.block ?? [], true);
    return true;
  }
  if (name !== 'update-policy') return false;
  if (!s.block) {
    const v = s.words[1];
    if (v?.value.toLowerCase() === 'local' && s.words.length === 2) into.updatePolicy = { local: true };
    else sink.error(v ?? head, "'update-policy' takes 'local' or a list of rules in braces");
    return true;
  }
  const rules: UpdatePolicyRule[] = [];
  for (const r of s.block) {
    const w = r.words;
    const verb = w[0]?.value.toLowerCase();
    if (verb !== 'grant' && verb !== 'deny') {
      sink.error(w[0] ?? head, `'${w[0]?.value ?? ''}': an update-policy rule starts with 'grant' or 'deny'`);
      continue;
    }
    const identity = w[1];
    const type = w[2];
    if (!identity || !type || !RULE_TYPES.has(type.value.toLowerCase())) {
      sink.error(type ?? identity ?? w[0], `update-policy: ${type ? `unknown rule type '${type.value}'` : 'missing identity or rule type'}`);
      continue;
    }
    const ruleType = type.value.toLowerCase();
    let i = 3;
    let ruleName: string | undefined;
    if (!NO_NAME.has(ruleType)) {
      if (!w[i]) {
        sink.error(type, `update-policy: rule type '${ruleType}' needs a name`);
        continue;
      }
      ruleName = w[i++].value;
    }
    const norm = (x: string): string => x.toLowerCase().replace(/\.$/, '');
    if ((ruleType === 'self' || ruleType === 'selfsub' || ruleType === 'selfwild') && ruleName !== undefined && norm(ruleName) !== norm(identity.value)) {
      // named-checkconf's rule: these rule types take the identity again as their name.
      sink.error(w[3], 'identity and name fields are not the same');
      continue;
    }
    const types = w.slice(i).map((t) => t.value.toUpperCase());
    if (ruleType.startsWith('krb5-') || ruleType.startsWith('ms-') || ruleType === 'external') {
      sink.warning(type, `update-policy rule type '${ruleType}' is not implemented by Triad; this rule never grants an update`);
    }
    rules.push({ grant: verb === 'grant', identity: identity.value, ruleType, name: ruleName, types, pos: { file: w[0].file, line: w[0].line, col: w[0].col } });
  }
  into.updatePolicy = { local: false, rules };
  return true;
}

/** An options clause about the session key; true when handled. */
export function sessionKeyClause(s: Clause, into: SessionKeySettings): boolean {
  const name = s.words[0].value.toLowerCase();
  const v = s.words[1];
  if (!v) return false;
  if (name === 'session-keyfile') into.file = v.value.toLowerCase() === 'none' && v.kind !== 'string' ? null : v.value;
  else if (name === 'session-keyname') into.name = v.value;
  else if (name === 'session-keyalg') into.algorithm = v.value.toLowerCase();
  else return false;
  return true;
}

// Evaluates dhcpd.conf expressions (dhcp-eval(5)) against a request, for class
// membership (`match if`, `match` + `subclass`) — vendor-class, user-class, hardware, PXE.
// Expressions are compiled to closures when the configuration is loaded.

import type { ClassDecl, DhcpdConf, Scope } from '../config/dhcpd-conf.js';
import type { Expr } from '../config/dhcpd-expr.js';
import { OPT, type DhcpPacket } from './packet.js';

type Value = Buffer | boolean | number | undefined;

export interface EvalEnv {
  req: DhcpPacket;
  conf: DhcpdConf;
  known: boolean;
}

function optionValue(env: EvalEnv, space: string, name: string): Buffer | undefined {
  const def = env.conf.optionTable.lookup(space, name);
  if (!def) return undefined;
  if (space === 'dhcp') return env.req.options.get(def.code);
  if (space === 'agent') {
    const rai = env.req.options.get(OPT.AGENT_INFO);
    if (!rai) return undefined;
    for (let i = 0; i + 1 < rai.length; ) {
      const code = rai[i];
      const len = rai[i + 1];
      if (code === def.code) return rai.subarray(i + 2, i + 2 + len);
      i += 2 + len;
    }
  }
  return undefined;
}

const toBuf = (v: Value): Buffer | undefined => (Buffer.isBuffer(v) ? v : typeof v === 'number' ? Buffer.from(String(v)) : undefined);

type Compiled = (env: EvalEnv) => Value;

const compiled = new WeakMap<Expr, Compiled>();

/** The value of `e` for a request; `e` is compiled to a closure the first time (see compileExpressions). */
export function evaluate(e: Expr, env: EvalEnv): Value {
  let f = compiled.get(e);
  if (!f) compiled.set(e, (f = compile(e)));
  return f(env);
}

/**
 * Compiles every expression of the file (class `match if`, `match`, `spawn with`, and `if`
 * conditions in any scope) when the configuration is loaded, so a request only runs closures.
 */
export function compileExpressions(conf: DhcpdConf): void {
  const scopes = new Set<Scope>([conf.global, ...conf.sharedNetworks.map((n) => n.scope), ...conf.subnets.map((x) => x.scope), ...conf.pools.map((p) => p.scope), ...conf.hosts.map((h) => h.scope)]);
  const exprs: Expr[] = [];
  for (const cls of conf.classes.values()) {
    for (const e of [cls.matchIf, cls.match, cls.spawn]) if (e) exprs.push(e);
    scopes.add(cls.scope);
    for (const sub of cls.subclasses.values()) scopes.add(sub);
  }
  const seen = new Set<Scope>();
  const visit = (s: Scope | undefined): void => {
    for (; s && !seen.has(s); s = s.parent) {
      seen.add(s);
      for (const chain of s.conditionals ?? []) {
        for (const branch of chain) {
          if (branch.cond) exprs.push(branch.cond);
          visit(branch.scope);
        }
      }
    }
  };
  for (const s of scopes) visit(s);
  for (const e of exprs) if (!compiled.has(e)) compiled.set(e, compile(e));
}

function compile(e: Expr): Compiled {
  switch (e.op) {
    case 'const': {
      const data = e.data;
      return () => data;
    }
    case 'num': {
      const value = e.value;
      return () => value;
    }
    case 'option': {
      const { space, name } = e;
      return (env) => optionValue(env, space, name);
    }
    case 'exists': {
      const { space, name } = e;
      return (env) => optionValue(env, space, name) !== undefined;
    }
    case 'hardware':
      return (env) => Buffer.concat([Buffer.from([env.req.htype]), env.req.chaddr.subarray(0, Math.min(env.req.hlen, 16))]);
    case 'known':
      return (env) => env.known;
    case 'var':
      return () => undefined;
    case 'not': {
      const a = compile(e.a);
      return (env) => {
        const x = a(env);
        return x === undefined ? undefined : !x;
      };
    }
    case 'and': {
      const a = compile(e.a);
      const b = compile(e.b);
      return (env) => a(env) === true && b(env) === true;
    }
    case 'or': {
      const a = compile(e.a);
      const b = compile(e.b);
      return (env) => a(env) === true || b(env) === true;
    }
    case '=':
    case '!=': {
      const a = compile(e.a);
      const b = compile(e.b);
      const negate = e.op === '!=';
      return (env) => {
        const x = toBuf(a(env));
        const y = toBuf(b(env));
        if (!x || !y) return negate ? undefined : false;
        return negate ? !x.equals(y) : x.equals(y);
      };
    }
    case '~=':
    case '~~': {
      const a = compile(e.a);
      const re = e.re;
      // A constant pattern was compiled when the file was read (an invalid one is an error there).
      if (re) {
        return (env) => {
          const x = toBuf(a(env));
          return x ? re.test(x.toString('latin1')) : false;
        };
      }
      const b = compile(e.b);
      const flags = e.op === '~~' ? 'i' : '';
      return (env) => {
        const x = toBuf(a(env));
        const y = toBuf(b(env));
        if (!x || !y) return false;
        try {
          return new RegExp(y.toString('latin1'), flags).test(x.toString('latin1'));
        } catch {
          return false;
        }
      };
    }
    case 'call':
      return compileCall(e.name, e.args.map(compile));
  }
}

function compileCall(name: string, args: Compiled[]): Compiled {
  const v = (i: number, env: EvalEnv): Value => (args[i] ? args[i](env) : undefined);
  const n = (i: number, env: EvalEnv): number | undefined => {
    const x = v(i, env);
    return typeof x === 'number' ? x : undefined;
  };
  switch (name) {
    case 'substring':
      return (env) => {
        const d = toBuf(v(0, env));
        const off = n(1, env);
        const len = n(2, env);
        if (!d || off === undefined || len === undefined) return undefined;
        return d.subarray(Math.min(off, d.length), Math.min(off + len, d.length));
      };
    case 'suffix':
      return (env) => {
        const d = toBuf(v(0, env));
        const len = n(1, env);
        if (!d || len === undefined) return undefined;
        return d.subarray(Math.max(0, d.length - len));
      };
    case 'concat':
      return (env) => {
        const parts = args.map((_, i) => toBuf(v(i, env)));
        return parts.some((p) => !p) ? undefined : Buffer.concat(parts as Buffer[]);
      };
    case 'ucase':
    case 'lcase': {
      const upper = name === 'ucase';
      return (env) => {
        const d = toBuf(v(0, env));
        if (!d) return undefined;
        const s = d.toString('latin1');
        return Buffer.from(upper ? s.toUpperCase() : s.toLowerCase(), 'latin1');
      };
    }
    case 'encode-int':
      return (env) => {
        const x = n(0, env);
        const bits = n(1, env);
        if (x === undefined || !bits) return undefined;
        const b = Buffer.alloc(bits / 8);
        if (bits === 8) b.writeUInt8(x & 0xff);
        else if (bits === 16) b.writeUInt16BE(x & 0xffff);
        else b.writeUInt32BE(x >>> 0);
        return b;
      };
    case 'extract-int':
      return (env) => {
        const d = toBuf(v(0, env));
        const bits = n(1, env);
        if (!d || !bits || d.length < bits / 8) return undefined;
        return bits === 8 ? d[0] : bits === 16 ? d.readUInt16BE(0) : d.readUInt32BE(0);
      };
    case 'pick-first-value':
      return (env) => {
        for (let i = 0; i < args.length; i++) {
          const x = v(i, env);
          if (x !== undefined) return x;
        }
        return undefined;
      };
    default:
      return () => undefined;
  }
}

/** One class the request belongs to; `sub` is the (declared or spawned) subclass's data, hex. */
export interface Membership {
  cls: ClassDecl;
  sub?: string;
  scopes: Scope[];
}

/** The classes the request belongs to, in declaration order. */
export function memberships(conf: DhcpdConf, req: DhcpPacket, known: boolean): Membership[] {
  const env: EvalEnv = { req, conf, known };
  const out: Membership[] = [];
  for (const cls of conf.classes.values()) {
    const m = member(cls, env);
    if (m) out.push(m);
  }
  return out;
}

/** Classes the request belongs to, most specific scope first (subclass before its class). */
export function classify(conf: DhcpdConf, req: DhcpPacket, known: boolean): { names: string[]; scopes: Scope[] } {
  const names: string[] = [];
  const scopes: Scope[] = [];
  for (const m of memberships(conf, req, known)) {
    names.push(m.cls.name);
    scopes.push(...m.scopes);
  }
  return { names, scopes };
}

function member(cls: ClassDecl, env: EvalEnv): Membership | undefined {
  if (cls.matchIf && evaluate(cls.matchIf, env) !== true) return undefined;
  if (cls.match) {
    const d = toBuf(evaluate(cls.match, env));
    if (!d) return undefined;
    const sub = cls.subclasses.get(d.toString('hex'));
    return sub ? { cls, sub: d.toString('hex'), scopes: [sub, cls.scope] } : undefined;
  }
  if (cls.spawn) {
    // dhcpd.conf(5) SPAWNING CLASSES: each value is a subclass of its own (declared ones
    // keep their scope); a client whose packet gives no value is in no subclass.
    const d = toBuf(evaluate(cls.spawn, env));
    if (!d) return cls.matchIf ? { cls, scopes: [cls.scope] } : undefined;
    const key = d.toString('hex');
    const sub = cls.subclasses.get(key);
    return { cls, sub: key, scopes: sub ? [sub, cls.scope] : [cls.scope] };
  }
  return cls.matchIf ? { cls, scopes: [cls.scope] } : undefined;
}

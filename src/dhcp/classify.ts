// Evaluates dhcpd.conf expressions (dhcp-eval(5)) against a request, for class
// membership (`match if`, `match` + `subclass`) — vendor-class, user-class, hardware, PXE.

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

export function evaluate(e: Expr, env: EvalEnv): Value {
  switch (e.op) {
    case 'const':
      return e.data;
    case 'num':
      return e.value;
    case 'option':
      return optionValue(env, e.space, e.name);
    case 'exists':
      return optionValue(env, e.space, e.name) !== undefined;
    case 'hardware':
      return Buffer.concat([Buffer.from([env.req.htype]), env.req.chaddr.subarray(0, Math.min(env.req.hlen, 16))]);
    case 'known':
      return env.known;
    case 'var':
      return undefined;
    case 'not': {
      const a = evaluate(e.a, env);
      return a === undefined ? undefined : !a;
    }
    case 'and':
      return evaluate(e.a, env) === true && evaluate(e.b, env) === true;
    case 'or':
      return evaluate(e.a, env) === true || evaluate(e.b, env) === true;
    case '=':
    case '!=': {
      const a = toBuf(evaluate(e.a, env));
      const b = toBuf(evaluate(e.b, env));
      if (!a || !b) return e.op === '!=' ? undefined : false;
      return e.op === '=' ? a.equals(b) : !a.equals(b);
    }
    case '~=':
    case '~~': {
      const a = toBuf(evaluate(e.a, env));
      if (e.re) return a ? e.re.test(a.toString('latin1')) : false;
      const b = toBuf(evaluate(e.b, env));
      if (!a || !b) return false;
      try {
        return new RegExp(b.toString('latin1'), e.op === '~~' ? 'i' : '').test(a.toString('latin1'));
      } catch {
        return false;
      }
    }
    case 'call':
      return call(e.name, e.args, env);
  }
}

function call(name: string, args: Expr[], env: EvalEnv): Value {
  const v = (i: number): Value => (args[i] ? evaluate(args[i], env) : undefined);
  const n = (i: number): number | undefined => {
    const x = v(i);
    return typeof x === 'number' ? x : undefined;
  };
  switch (name) {
    case 'substring': {
      const d = toBuf(v(0));
      const off = n(1);
      const len = n(2);
      if (!d || off === undefined || len === undefined) return undefined;
      return d.subarray(Math.min(off, d.length), Math.min(off + len, d.length));
    }
    case 'suffix': {
      const d = toBuf(v(0));
      const len = n(1);
      if (!d || len === undefined) return undefined;
      return d.subarray(Math.max(0, d.length - len));
    }
    case 'concat': {
      const parts = args.map((_, i) => toBuf(v(i)));
      return parts.some((p) => !p) ? undefined : Buffer.concat(parts as Buffer[]);
    }
    case 'ucase':
    case 'lcase': {
      const d = toBuf(v(0));
      if (!d) return undefined;
      const s = d.toString('latin1');
      return Buffer.from(name === 'ucase' ? s.toUpperCase() : s.toLowerCase(), 'latin1');
    }
    case 'encode-int': {
      const x = n(0);
      const bits = n(1);
      if (x === undefined || !bits) return undefined;
      const b = Buffer.alloc(bits / 8);
      if (bits === 8) b.writeUInt8(x & 0xff);
      else if (bits === 16) b.writeUInt16BE(x & 0xffff);
      else b.writeUInt32BE(x >>> 0);
      return b;
    }
    case 'extract-int': {
      const d = toBuf(v(0));
      const bits = n(1);
      if (!d || !bits || d.length < bits / 8) return undefined;
      return bits === 8 ? d[0] : bits === 16 ? d.readUInt16BE(0) : d.readUInt32BE(0);
    }
    case 'pick-first-value':
      for (let i = 0; i < args.length; i++) {
        const x = v(i);
        if (x !== undefined) return x;
      }
      return undefined;
    default:
      return undefined;
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

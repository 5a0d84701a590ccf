// Domain names in wire form (RFC 1035 §3.1): length-prefixed labels ending in a
// zero octet. Presentation form follows BIND: `\.`, `\\` and `\DDD` escapes.

export const MAX_NAME = 255; // RFC 1035 §2.3.4, octets in wire form
export const MAX_LABEL = 63;

export const ROOT: Uint8Array = Uint8Array.of(0);

export class NameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NameError';
  }
}

/**
 * Parses a presentation-form name. A name without a trailing dot is relative to
 * `origin` (a wire name); `@` alone is the origin. Throws NameError on bad syntax.
 */
export function parseName(text: string, origin?: Uint8Array): Uint8Array {
  if (text === '@') {
    if (!origin) throw new NameError("'@' used without an origin");
    return origin;
  }
  if (text === '.') return ROOT;
  if (text.length === 0) throw new NameError('empty name');
  const out: number[] = [];
  let label: number[] = [];
  let absolute = false;
  const endLabel = (): void => {
    if (label.length === 0) throw new NameError(`empty label in '${text}'`);
    if (label.length > MAX_LABEL) throw new NameError(`label longer than ${MAX_LABEL} octets in '${text}'`);
    out.push(label.length, ...label);
    label = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) {
      const d1 = text.charCodeAt(i + 1);
      if (d1 >= 0x30 && d1 <= 0x39) {
        const ddd = text.slice(i + 1, i + 4);
        if (!/^[0-9]{3}$/.test(ddd)) throw new NameError(`bad escape in '${text}'`);
        const v = Number(ddd);
        if (v > 255) throw new NameError(`bad escape in '${text}'`);
        label.push(v);
        i += 3;
      } else if (i + 1 < text.length) {
        label.push(d1 & 0xff);
        i += 1;
      } else {
        throw new NameError(`trailing backslash in '${text}'`);
      }
      continue;
    }
    if (c === 0x2e /* . */) {
      endLabel();
      if (i === text.length - 1) absolute = true;
      continue;
    }
    if (c > 0xff) throw new NameError(`non-ASCII character in '${text}'`);
    label.push(c);
  }
  if (!absolute) {
    endLabel();
    if (!origin) throw new NameError(`relative name '${text}' without an origin`);
    for (const b of origin) out.push(b);
  } else {
    out.push(0);
  }
  if (out.length > MAX_NAME) throw new NameError(`name longer than ${MAX_NAME} octets: '${text}'`);
  return Uint8Array.from(out);
}

const SPECIAL = new Set([0x22, 0x28, 0x29, 0x2e, 0x3b, 0x5c, 0x40, 0x24]); // " ( ) . ; \ @ $

/** BIND-style presentation form of a wire name, always absolute (trailing dot). */
export function nameToText(wire: Uint8Array, offset = 0): string {
  let s = '';
  let i = offset;
  for (;;) {
    const len = wire[i];
    if (len === 0 || len === undefined) break;
    for (let j = i + 1; j <= i + len; j++) {
      const b = wire[j];
      if (SPECIAL.has(b)) s += '\\' + String.fromCharCode(b);
      else if (b <= 0x20 || b >= 0x7f) s += '\\' + String(b).padStart(3, '0');
      else s += String.fromCharCode(b);
    }
    s += '.';
    i += len + 1;
  }
  return s === '' ? '.' : s;
}

/** Length in octets of the uncompressed wire name starting at `offset`. */
export function nameLength(wire: Uint8Array, offset = 0): number {
  let i = offset;
  while (wire[i] !== 0) i += wire[i] + 1;
  return i - offset + 1;
}

/** Case-insensitive lookup key (RFC 4343): the wire form with ASCII folded to lower case, as a latin1 string. */
export function nameKey(wire: Uint8Array, offset = 0): string {
  let s = '';
  let i = offset;
  for (;;) {
    const len = wire[i];
    s += String.fromCharCode(len);
    if (len === 0) break;
    for (let j = i + 1; j <= i + len; j++) {
      const b = wire[j];
      s += String.fromCharCode(b >= 0x41 && b <= 0x5a ? b + 32 : b);
    }
    i += len + 1;
  }
  return s;
}

export function nameEquals(a: Uint8Array, b: Uint8Array): boolean {
  return nameKey(a) === nameKey(b);
}

export function labelCount(wire: Uint8Array): number {
  let n = 0;
  let i = 0;
  while (wire[i] !== 0) {
    n++;
    i += wire[i] + 1;
  }
  return n;
}

/** The name with its first label removed; the root stays the root. */
export function parentName(wire: Uint8Array): Uint8Array {
  if (wire[0] === 0) return wire;
  return wire.subarray(wire[0] + 1);
}

/** True when `name` equals `zone` or lies below it. */
export function isSubdomain(name: Uint8Array, zone: Uint8Array): boolean {
  const nk = nameKey(name);
  const zk = nameKey(zone);
  if (nk.length < zk.length) return false;
  if (!nk.endsWith(zk)) return false;
  if (nk.length === zk.length) return true;
  // The suffix must start on a label boundary.
  let i = 0;
  while (i < nk.length - zk.length) i += nk.charCodeAt(i) + 1;
  return i === nk.length - zk.length;
}

/** Prepends one label (raw octets) to a wire name. */
export function prependLabel(label: Uint8Array, name: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + label.length + name.length);
  out[0] = label.length;
  out.set(label, 1);
  out.set(name, 1 + label.length);
  return out;
}

/** DNSSEC canonical ordering of names (RFC 4034 §6.1): compare labels right to left, case-folded. */
export function compareNames(a: Uint8Array, b: Uint8Array): number {
  const la = labelsOf(a);
  const lb = labelsOf(b);
  for (let i = 1; i <= Math.min(la.length, lb.length); i++) {
    const x = la[la.length - i];
    const y = lb[lb.length - i];
    const n = Math.min(x.length, y.length);
    for (let j = 0; j < n; j++) {
      const cx = lower(x[j]);
      const cy = lower(y[j]);
      if (cx !== cy) return cx - cy;
    }
    if (x.length !== y.length) return x.length - y.length;
  }
  return la.length - lb.length;
}

function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b + 32 : b;
}

export function labelsOf(wire: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  while (wire[i] !== 0) {
    out.push(wire.subarray(i + 1, i + 1 + wire[i]));
    i += wire[i] + 1;
  }
  return out;
}

/**
 * Wire form of a name written as plain dot-separated labels (each label's characters
 * taken as octets, no escapes; a trailing dot optional; empty labels skipped), as DHCP
 * options carry host and domain names; undefined when a label is longer than 63 octets.
 */
export function plainNameToWire(text: string): Buffer | undefined {
  const out: number[] = [];
  for (const p of text.replace(/\.$/, '').split('.')) {
    if (p === '') continue;
    const b = Buffer.from(p, 'latin1');
    if (b.length > MAX_LABEL) return undefined;
    out.push(b.length, ...b);
  }
  out.push(0);
  return Buffer.from(out);
}

/**
 * The labels of a wire name at the start of `b`, as octets joined by dots (no escapes,
 * no trailing dot); the root label may be missing at the end of `b`, as some DHCP
 * clients send it (RFC 4702 §2.3.1). Undefined when a label is too long or runs past `b`.
 */
export function plainNameFromWire(b: Uint8Array): string | undefined {
  const labels: string[] = [];
  for (let i = 0; i < b.length; ) {
    const n = b[i];
    if (n === 0) break;
    if (n > MAX_LABEL || i + 1 + n > b.length) return undefined;
    labels.push(Buffer.from(b.subarray(i + 1, i + 1 + n)).toString('latin1'));
    i += 1 + n;
  }
  return labels.join('.');
}

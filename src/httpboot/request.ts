// The pure decisions of the HTTP boot server: which file a request target names (confined
// to the root as the TFTP server confines names), and which bytes a Range header asks for
// (RFC 9110 §14). Sockets and files are server.ts's business.

export interface Refusal {
  status: 400 | 403 | 404;
  /** Why, for the log line. */
  reason: string;
}

/**
 * The request target's path relative to the root, or a refusal. The query is ignored;
 * percent-escapes are decoded once (RFC 3986 §2.1), and what they decode to is judged
 * like any other name: a `..` component, a NUL, a backslash or an over-long component is
 * refused, never normalised into something else. An absolute-form target
 * (`GET http://host/path`) is read for its path.
 */
export function targetPath(target: string): string | Refusal {
  let p = target;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) {
    const slash = p.indexOf('/', p.indexOf('//') + 2);
    p = slash < 0 ? '/' : p.slice(slash);
  }
  if (!p.startsWith('/')) return { status: 400, reason: 'the request target is not a path' };
  const q = p.search(/[?#]/);
  if (q >= 0) p = p.slice(0, q);
  let decoded: string;
  try {
    decoded = decodeURIComponent(p);
  } catch {
    return { status: 400, reason: 'a malformed percent-escape in the path' };
  }
  if (decoded.includes('\0')) return { status: 400, reason: 'NUL in the path' };
  if (decoded.includes('\\')) return { status: 403, reason: 'a backslash in the path' };
  const parts = decoded.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.some((s) => s === '..')) return { status: 403, reason: "a '..' component in the path" };
  if (parts.some((s) => Buffer.byteLength(s) > 255)) return { status: 404, reason: 'a path component longer than 255 octets' };
  if (parts.length === 0) return { status: 404, reason: 'the root itself (no listings are served)' };
  return parts.join('/');
}

/** What a Range header asks of a file of `size` octets. */
export type RangeAnswer =
  /** No usable range: the whole file (200). */
  | { kind: 'whole' }
  /** One range, inclusive ends (206). */
  | { kind: 'part'; start: number; end: number }
  /** Nothing of it lies in the file (416). */
  | { kind: 'unsatisfiable' };

/**
 * RFC 9110 §14.1.2 byte ranges. One range is served as 206; a header that does not parse,
 * names another unit, or asks for several ranges is answered with the whole file (a server
 * may ignore Range, §14.2) — boot loaders ask for one range at a time.
 */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { kind: 'whole' };
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!m) return { kind: 'whole' };
  const specs = m[1].split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (specs.length !== 1) return { kind: 'whole' };
  const r = /^([0-9]*)\s*-\s*([0-9]*)$/.exec(specs[0]);
  if (!r || (r[1] === '' && r[2] === '')) return { kind: 'whole' };
  if (r[1] === '') {
    // A suffix: the last N octets.
    const n = Number(r[2]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'part', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(r[1]);
  let end = r[2] === '' ? size - 1 : Number(r[2]);
  if (r[2] !== '' && end < start) return { kind: 'whole' }; // invalid: ignored (§14.1.1)
  if (start >= size) return { kind: 'unsatisfiable' };
  if (end >= size) end = size - 1;
  return { kind: 'part', start, end };
}

/** A media type by file name; boot loaders ignore it, browsers and curl show it. */
export function contentType(name: string): string {
  const ext = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
  switch (ext) {
    case 'ipxe':
    case 'txt':
    case 'cfg':
    case 'conf':
      return 'text/plain; charset=utf-8';
    case 'html':
    case 'htm':
      return 'text/html; charset=utf-8';
    case 'iso':
      return 'application/x-iso9660-image';
    default:
      return 'application/octet-stream';
  }
}

// A small scripted DNS server for resolver tests: it serves a few records of one
// zone like a plain authoritative server, except for the questions a test scripts,
// which get exactly the (deliberately sloppy) answer written down: wrong AA bits,
// junk in any section, bad glue, CNAMEs out of the zone, upward referrals…
// It runs on Triad's own UDP/TCP server (src/dns/server.ts) with a handler that
// builds the reply, and counts the questions it gets.
import { decodeMessage, MessageWriter, FLAG_AA, FLAG_QR, type Question } from '../../src/dns/message.js';
import { isSubdomain, nameKey, nameToText, parseName } from '../../src/wire/dns-name.js';
import { T } from '../../src/wire/rr-type.js';
import { startDnsServer, type DnsServer } from '../../src/dns/server.js';

export interface Rec {
  name: string;
  type: number;
  ttl?: number;
  rdata: Uint8Array;
}

export interface Reply {
  rcode?: number;
  aa?: boolean;
  answer?: Rec[];
  authority?: Rec[];
  additional?: Rec[];
}

const n = (s: string): Uint8Array => parseName(s.endsWith('.') ? s : `${s}.`);

export const rr = {
  a: (name: string, ip: string, ttl = 300): Rec => ({ name, type: T.A, ttl, rdata: Uint8Array.from(ip.split('.').map(Number)) }),
  ns: (name: string, host: string, ttl = 300): Rec => ({ name, type: T.NS, ttl, rdata: n(host) }),
  cname: (name: string, target: string, ttl = 300): Rec => ({ name, type: T.CNAME, ttl, rdata: n(target) }),
  txt: (name: string, text: string, ttl = 300): Rec => ({ name, type: T.TXT, ttl, rdata: Uint8Array.from([text.length, ...Buffer.from(text)]) }),
  soa: (zone: string, ttl = 300, minimum = 300): Rec => {
    const times = Buffer.alloc(20);
    [1, 3600, 900, 604800, minimum].forEach((v, i) => times.writeUInt32BE(v, i * 4));
    return { name: zone, type: T.SOA, ttl, rdata: Buffer.concat([n(`ns.${zone}`), n(`hostmaster.${zone}`), times]) };
  },
};

export interface ScriptedServer {
  address: string;
  server: DnsServer;
  /** Questions received, "name/TYPE-number" (lower case, final dot). */
  asked: string[];
  count(name: string, type?: number): number;
  close(): Promise<void>;
}

/**
 * Serves `zones` from `records` (exact-name matches: data with AA, else NODATA or
 * NXDOMAIN with the zone's SOA) on address:port; `script(q)` may return the reply
 * for a question instead (undefined: the plain answer; null: no answer at all).
 */
export async function startScripted(address: string, port: number, zones: string[], records: Rec[],
  script: (q: Question, qname: string) => Reply | null | undefined = () => undefined): Promise<ScriptedServer> {
  const asked: string[] = [];
  const plain = (q: Question): Reply => {
    // The closest of our zones: its apex SOA and NS are made up when the records do not give them.
    const zone = zones.filter((z) => isSubdomain(q.name, n(z))).sort((a, b) => b.length - a.length)[0];
    if (zone === undefined) return { rcode: 5 };
    const all = [rr.soa(zone), ...zones.map((z) => rr.ns(z, `ns.${z}`)), ...records];
    const at = all.filter((r) => nameKey(n(r.name)) === nameKey(q.name));
    const data = at.filter((r) => r.type === q.type);
    if (data.length) return { aa: true, answer: data };
    const cname = at.find((r) => r.type === T.CNAME);
    if (cname) return { aa: true, answer: [cname] };
    const exists = all.some((r) => isSubdomain(n(r.name), q.name));
    return { aa: true, rcode: exists ? 0 : 3, authority: [rr.soa(zone)] };
  };
  const handler = {
    respond(msg: Uint8Array): Uint8Array | null {
      const m = decodeMessage(msg);
      if (typeof m === 'string' || m.questions.length !== 1) return null;
      const q = m.questions[0];
      const qname = nameToText(q.name).toLowerCase();
      asked.push(`${qname}/${q.type}`);
      const scripted = script(q, qname);
      if (scripted === null) return null;
      const r = scripted ?? plain(q);
      const w = new MessageWriter(new Uint8Array(4096));
      const sections = [r.answer ?? [], r.authority ?? [], r.additional ?? []];
      const edns = m.additionals.some((x) => x.type === T.OPT);
      w.u16(m.id);
      w.u16(FLAG_QR | (m.flags & 0x0100) | (r.aa ? FLAG_AA : 0) | ((r.rcode ?? 0) & 0xf));
      w.u16(1);
      w.u16(sections[0].length);
      w.u16(sections[1].length);
      w.u16(sections[2].length + (edns ? 1 : 0));
      w.name(q.name, true);
      w.u16(q.type);
      w.u16(q.class);
      for (const s of sections) for (const x of s) w.rr(n(x.name), x.type, 1, x.ttl ?? 300, x.rdata);
      if (edns) {
        w.u8(0);
        w.u16(T.OPT);
        w.u16(1232);
        w.u32(0);
        w.u16(0);
      }
      return w.result();
    },
  };
  const server = await startDnsServer({ listen: [{ address, port }], responder: handler, exclusive: true });
  return {
    address, server, asked,
    count: (name, type = T.A) => asked.filter((k) => k === `${name.toLowerCase()}/${type}`).length,
    close: () => server.close(),
  };
}

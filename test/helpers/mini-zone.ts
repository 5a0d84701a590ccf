// Builds small zones for unit tests without the zone-file loader: one record a
// line, `owner ttl type rdata…`, owners relative to the origin, a handful of types.
import { parseName } from '../../src/wire/dns-name.js';
import { T, CLASS_IN, type ResourceRecord } from '../../src/wire/rr-type.js';
import { buildZone, type Zone } from '../../src/dns/zone.js';

function u16(n: number): number[] {
  return [n >> 8, n & 0xff];
}
function u32(n: number): number[] {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

export function miniZone(origin: string, text: string): Zone {
  const o = parseName(origin.endsWith('.') ? origin : origin + '.');
  const n = (s: string): number[] => Array.from(parseName(s, o));
  const records: ResourceRecord[] = [];
  let serial = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith(';')) continue;
    const [owner, ttlText, type, ...rest] = line.split(/\s+/);
    const ttl = Number(ttlText);
    let rdata: number[];
    switch (type) {
      case 'A': rdata = rest[0].split('.').map(Number); break;
      case 'AAAA': {
        const [head, tail] = rest[0].split('::');
        const h = head ? head.split(':') : [];
        const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
        const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
        rdata = groups.flatMap((g) => u16(parseInt(g, 16)));
        break;
      }
      case 'NS': case 'CNAME': case 'DNAME': case 'PTR': rdata = n(rest[0]); break;
      case 'MX': rdata = [...u16(Number(rest[0])), ...n(rest[1])]; break;
      case 'SRV': rdata = [...u16(Number(rest[0])), ...u16(Number(rest[1])), ...u16(Number(rest[2])), ...n(rest[3])]; break;
      case 'TXT': rdata = rest.join(' ').split('|').flatMap((s) => [s.length, ...Buffer.from(s, 'latin1')]); break;
      case 'SOA': {
        const nums = rest.slice(2).map(Number);
        serial = nums[0];
        rdata = [...n(rest[0]), ...n(rest[1]), ...nums.flatMap(u32)];
        break;
      }
      default: {
        const m = /^TYPE(\d+)$/.exec(type);
        if (!m) throw new Error(`miniZone: unsupported type ${type}`);
        rdata = Array.from(Buffer.from(rest[0], 'hex'));
        records.push({ owner: parseName(owner, o), type: Number(m[1]), class: CLASS_IN, ttl, rdata: Uint8Array.from(rdata) });
        continue;
      }
    }
    records.push({ owner: parseName(owner, o), type: (T as Record<string, number>)[type], class: CLASS_IN, ttl, rdata: Uint8Array.from(rdata) });
  }
  return buildZone(o, CLASS_IN, records, serial);
}

/** The tri.test fixture (test/fixtures/dns/tri.test.zone), reduced to what unit tests need. */
export const TRI = `
@ 3600 SOA ns1 hostmaster 7 3600 900 604800 600
@ 3600 NS ns1
@ 3600 NS ns2.other.test.
@ 3600 MX 10 mail
@ 3600 A 10.0.0.1
ns1 3600 A 10.0.0.1
ns1 3600 AAAA 2001:db8::1
www 3600 A 10.0.0.80
www 3600 AAAA 2001:db8::80
WWW2 3600 A 10.0.0.81
mx 3600 MX 10 mail
mx 3600 MX 20 mail2.other.test.
mail 3600 A 10.0.0.25
_sip._udp 3600 SRV 0 5 5060 sip
sip 3600 A 10.0.0.50
*.wild 3600 A 10.0.0.99
sub.wild 3600 A 10.0.0.98
*.ent 3600 TXT under ent
a.b.ent 3600 A 10.0.0.7
c1 3600 CNAME c2
c2 3600 CNAME www
cext 3600 CNAME www.other.test.
cloop1 3600 CNAME cloop2
cloop2 3600 CNAME cloop1
cnx 3600 CNAME nothere
dn 3600 DNAME other.test.
child 3600 NS ns1.child
child 3600 NS ns.other.test.
child 3600 TYPE43 30390801abababababababababababababababababababab
ns1.child 3600 A 10.0.1.1
unk 3600 TYPE65534 abcdef
`;

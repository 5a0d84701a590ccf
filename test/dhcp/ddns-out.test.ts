// DHCP names sent to another DNS server: the owner records (RFC 4701 DHCID, ISC's interim
// TXT), the RFC 2136 messages ISC dhcpd sends, and the conflict decisions (RFC 4703).
import t from 'tap';
import { createHash } from 'node:crypto';
import { dhcidRdata, identityFromKey, interimTxt } from '../../src/dhcp/dhcid.js';
import {
  afterForwardAdd, afterForwardReplace, forwardAdd, forwardRemove, forwardReplace, ownerRemove, reverseAdd, reverseName, zoneFor, type NameFacts,
} from '../../src/dhcp/ddns-plan.js';
import { buildUpdate, updateAnswer, UPDATE_RCODE } from '../../src/wire/dns-update.js';
import { clientKey } from '../../src/dhcp/lease.js';
import { DdnsOut } from '../../src/dhcp/ddns-out.js';
import { createLogger } from '../../src/log.js';
import type { NameEvent } from '../../src/net/name-registration.js';
import { CLASS_ANY, CLASS_IN, CLASS_NONE, T } from '../../src/wire/rr-type.js';

const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');
const hex = (s: string): Buffer => Buffer.from(s.replace(/[: ]/g, ''), 'hex');

t.test('DHCID: the RFC 4701 §3.6 examples', async (t) => {
  t.equal(b64(dhcidRdata({ hwType: 1, hwAddr: hex('01:02:03:04:05:06') }, 'client.example.com.')), 'AAABxLmlskllE0MVjd57zHcWmEH3pCQ6VytcKD//7es/deY=', 'hardware type and address (identifier type 0)');
  t.equal(b64(dhcidRdata({ uid: hex('01:07:08:09:0a:0b:0c'), hwType: 1, hwAddr: hex('070809') }, 'chi.example.com.')), 'AAEBOSD+XR3Os/0LozeXVqcNc7FwCfQdWL3b/NaiUDlW2No=', 'client identifier (type 1)');
  // RFC 4361: type 255, IAID, then the DUID of the example.
  t.equal(b64(dhcidRdata({ uid: hex('ff 00 00 00 01 00:01:00:06:41:2d:f1:66:01:02:03:04:05:06'), hwType: 1, hwAddr: hex('00') }, 'chi6.example.com.')), 'AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=', 'DUID (type 2)');
  t.equal(b64(dhcidRdata({ hwType: 1, hwAddr: hex('010203040506') }, 'CLIENT.Example.com.')), 'AAABxLmlskllE0MVjd57zHcWmEH3pCQ6VytcKD//7es/deY=', 'the name is compared without case');
});

t.test('interim TXT as ISC writes it', async (t) => {
  const byId = interimTxt({ uid: hex('01 02 00 00 00 66 01'), hwType: 1, hwAddr: hex('020000006601') });
  t.equal(byId, '31' + createHash('md5').update(hex('01020000006601')).digest('hex'), 'client identifier: "31" then the MD5 of the identifier in hex');
  const byHw = interimTxt({ hwType: 1, hwAddr: hex('020000006601') });
  t.equal(byHw, '00' + createHash('md5').update(hex('01020000006601')).digest('hex'), 'hardware address: "00", then the MD5 of type and address');
  t.equal(byHw.length, 34);
  t.not(byHw, interimTxt({ hwType: 1, hwAddr: hex('020000006602') }), 'another address, another value');
});

t.test('the identity behind a lease key', async (t) => {
  t.same(identityFromKey(clientKey(hex('0102'), 1, hex('aabb'))), { uid: hex('0102'), hwType: 0, hwAddr: Buffer.alloc(0) });
  t.same(identityFromKey(clientKey(undefined, 1, hex('020000006601'))), { hwType: 1, hwAddr: hex('020000006601') });
  t.equal(identityFromKey('bogus'), undefined);
});

const facts: NameFacts = { fqdn: 'pc1.example.org.', ip: 0xc0a87505, ttl: 300, style: 'standard', client: { hwType: 1, hwAddr: hex('020000006601') } };

t.test('adding: the name must be free, then the owner record must be ours', async (t) => {
  const add = forwardAdd(facts, true);
  t.same(add.prerequisites.map((r) => [r.name, r.type, r.cls]), [['pc1.example.org.', T.ANY, CLASS_NONE]], 'prerequisite: name not in use (RFC 2136 §2.4.5)');
  t.same(add.updates.map((r) => [r.type, r.cls, r.ttl]), [[T.A, CLASS_IN, 300], [T.DHCID, CLASS_IN, 300]], 'adds A and DHCID');
  t.same(Buffer.from(add.updates[0].rdata), Buffer.from([192, 168, 117, 5]));
  const rep = forwardReplace(facts);
  t.same(rep.prerequisites.map((r) => [r.type, r.cls]), [[T.DHCID, CLASS_IN]], 'prerequisite: our DHCID (value-dependent)');
  t.same(rep.updates.map((r) => [r.type, r.cls]), [[T.A, CLASS_ANY], [T.A, CLASS_IN]], 'replaces the A RRset');
  const interim = forwardAdd({ ...facts, style: 'interim' }, true);
  t.equal(interim.updates[1].type, T.TXT, 'interim: a TXT record');
  const blind = forwardAdd(facts, false);
  t.same(blind.prerequisites, [], 'update-conflict-detection false: no prerequisite');
  t.same(blind.updates.map((r) => [r.type, r.cls]), [[T.A, CLASS_ANY], [T.DHCID, CLASS_ANY], [T.A, CLASS_IN], [T.DHCID, CLASS_IN]]);
});

t.test('conflict decisions', async (t) => {
  t.equal(afterForwardAdd(UPDATE_RCODE.NOERROR, true), 'done');
  t.equal(afterForwardAdd(UPDATE_RCODE.YXDOMAIN, true), 'replace', 'name in use: try as its owner');
  t.equal(afterForwardAdd(UPDATE_RCODE.REFUSED, true), 'failed');
  t.equal(afterForwardAdd(UPDATE_RCODE.YXDOMAIN, false), 'failed');
  t.equal(afterForwardReplace(UPDATE_RCODE.NOERROR), 'done', 'our name: A replaced');
  t.equal(afterForwardReplace(UPDATE_RCODE.NXRRSET), 'conflict', 'another client\'s DHCID (or none): left alone');
  t.equal(afterForwardReplace(UPDATE_RCODE.NXDOMAIN), 'conflict');
  t.equal(afterForwardReplace(UPDATE_RCODE.SERVFAIL), 'failed');
});

t.test('reverse and removal', async (t) => {
  t.equal(reverseName(0xc0a87505), '5.117.168.192.in-addr.arpa.');
  t.equal(reverseName(0xc0a87505, 'rev.example.'), '5.117.168.192.rev.example.');
  const r = reverseAdd(facts, reverseName(facts.ip));
  t.same(r.updates.map((u) => [u.type, u.cls]), [[T.PTR, CLASS_ANY], [T.PTR, CLASS_IN]], 'PTR RRset replaced');
  const rm = forwardRemove(facts);
  t.same(rm.prerequisites.map((u) => [u.type, u.cls]), [[T.DHCID, CLASS_IN]], 'only while the DHCID is ours');
  t.same(rm.updates.map((u) => [u.type, u.cls]), [[T.A, CLASS_NONE]], 'deletes our A record only');
  const own = ownerRemove(facts);
  t.same(own.prerequisites.map((u) => [u.type, u.cls]), [[T.A, CLASS_NONE], [T.AAAA, CLASS_NONE], [T.DHCID, CLASS_IN]], 'DHCID goes once no address is left');
});

t.test('zone selection: the longest configured suffix', async (t) => {
  const zones = [{ name: 'example.org.' }, { name: 'lab.example.org.' }, { name: '168.192.in-addr.arpa.' }];
  t.equal(zoneFor(zones, 'pc.lab.example.org.')?.name, 'lab.example.org.');
  t.equal(zoneFor(zones, 'pc.example.org.')?.name, 'example.org.');
  t.equal(zoneFor(zones, 'pc.notexample.org.'), undefined);
  t.equal(zoneFor(zones, '5.117.168.192.in-addr.arpa.')?.name, '168.192.in-addr.arpa.');
});

t.test('message bytes', async (t) => {
  const msg = Buffer.from(buildUpdate({ id: 0x1234, zone: 'example.org.', ...forwardAdd(facts, true) }));
  t.equal(msg.readUInt16BE(0), 0x1234);
  t.equal(msg.readUInt16BE(2), 5 << 11, 'opcode UPDATE');
  t.same([msg.readUInt16BE(4), msg.readUInt16BE(6), msg.readUInt16BE(8), msg.readUInt16BE(10)], [1, 1, 2, 0], 'ZOCOUNT PRCOUNT UPCOUNT ADCOUNT');
  t.same(msg.subarray(12, 25), Buffer.from('\x07example\x03org\x00', 'latin1'));
  t.equal(msg.readUInt16BE(25), T.SOA, 'zone section type SOA');
  const answer = Buffer.from(msg.subarray(0, 12));
  answer.writeUInt16BE((5 << 11) | 0x8000 | UPDATE_RCODE.YXDOMAIN, 2);
  t.same(updateAnswer(answer), { id: 0x1234, rcode: UPDATE_RCODE.YXDOMAIN });
  t.equal(updateAnswer(msg), undefined, 'a request is not an answer');
  t.equal(updateAnswer(msg.subarray(0, 5)), undefined, 'short');
});

t.test('names for other servers are not also offered to Triad\'s own zones', async (t) => {
  const zones = [{ name: 'ddns.lab.', servers: [0x7f000001], pos: { file: 'x', line: 1, col: 1 } }];
  const out = new DdnsOut(() => ({ ddns: { keys: new Map(), zones }, style: 'standard' }), createLogger({ level: 'silent' }));
  const bind = (fqdn: string): NameEvent => ({ kind: 'bind', binding: { fqdn, ip: 0xc0a87505, ttl: 300, expires: 0, owner: 'hw:1:020000000001', forward: true, reverse: true, revDomain: 'in-addr.arpa.' } });
  const unbind: NameEvent = { kind: 'unbind', ip: 0xc0a87505, owner: 'hw:1:020000000001' };
  t.same(out.forOwnZones([bind('pc.cafe.babe.'), unbind]), [bind('pc.cafe.babe.'), unbind], 'own names unchanged');
  const split = out.forOwnZones([bind('pc.ddns.lab.')]);
  t.equal(split.length, 1);
  t.same(split[0].kind === 'bind' ? [split[0].binding.forward, split[0].binding.reverse] : [], [false, true], 'the A goes elsewhere, the PTR stays with the own zones');
  const both = new DdnsOut(() => ({ ddns: { keys: new Map(), zones: [...zones, { ...zones[0], name: '168.192.in-addr.arpa.' }] }, style: 'standard' }), createLogger({ level: 'silent' }));
  t.same(both.forOwnZones([bind('pc.ddns.lab.')]), [], 'both elsewhere: nothing for the own zones');
  const off = new DdnsOut(() => ({ ddns: { keys: new Map(), zones }, style: 'none' }), createLogger({ level: 'silent' }));
  t.same(off.forOwnZones([bind('pc.ddns.lab.')]), [bind('pc.ddns.lab.')], 'updates off: everything as before');
});

// Dynamic update decisions without sockets: prerequisites (RFC 2136 §3.2), the
// permission check (allow-update, update-policy), and the update section applied
// as BIND applies it (CNAME rules, apex SOA/NS, serial increment).
import t from 'tap';
import { applyUpdates, checkPrerequisites, CLASS_ANY, CLASS_NONE, decideUpdate, nextSerial, TYPE_ANY, UPDATE_RCODE, type UpdateRR } from '../../src/dns/update-core.js';
import { policyMatcher } from '../../src/dns/update-policy.js';
import { applyDiff } from '../../src/dns/zone-diff.js';
import { RCODE } from '../../src/dns/message.js';
import { nameKey, parseName } from '../../src/wire/dns-name.js';
import { CLASS_IN, T } from '../../src/wire/rr-type.js';
import type { Zone } from '../../src/dns/zone.js';
import { miniZone } from '../helpers/mini-zone.js';

const BASE = `@ 300 SOA ns.ex.test. admin.ex.test. 10 3600 600 86400 60
@ 300 NS ns
ns 300 A 192.0.2.1
www 300 A 192.0.2.2
alias 300 CNAME www
deep.a 300 A 192.0.2.7`;
const zone = (): Zone => miniZone('ex.test', BASE);
const ip = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));
const rr = (name: string, type: number, cls: number, rdata: Uint8Array = new Uint8Array(0), ttl = 0): UpdateRR => ({ name: parseName(name), type, class: cls, ttl, rdata });
const add = (name: string, a: string, ttl = 300): UpdateRR => rr(name, T.A, CLASS_IN, ip(a), ttl);
const cname = (name: string, target: string): UpdateRR => rr(name, T.CNAME, CLASS_IN, parseName(target), 300);
const rdatas = (z: Zone, name: string, type: number): Uint8Array[] => z.nodes.get(nameKey(parseName(name)))?.rrsets.get(type)?.rdatas ?? [];
const apply = (z: Zone, ups: UpdateRR[]): Zone => {
  const { diff } = applyUpdates(z, ups);
  return diff ? applyDiff(z, diff) : z;
};

t.test('prerequisites', async (t) => {
  const z = zone();
  t.equal(checkPrerequisites(z, []), RCODE.NOERROR, 'none: holds');
  t.equal(checkPrerequisites(z, [rr('www.ex.test.', TYPE_ANY, CLASS_ANY)]), RCODE.NOERROR, 'name in use');
  t.equal(checkPrerequisites(z, [rr('nope.ex.test.', TYPE_ANY, CLASS_ANY)]), RCODE.NXDOMAIN, 'name not in use: NXDOMAIN');
  t.equal(checkPrerequisites(z, [rr('a.ex.test.', TYPE_ANY, CLASS_ANY)]), RCODE.NXDOMAIN, 'an empty non-terminal is not in use');
  t.equal(checkPrerequisites(z, [rr('www.ex.test.', TYPE_ANY, CLASS_NONE)]), UPDATE_RCODE.YXDOMAIN, 'name in use: YXDOMAIN');
  t.equal(checkPrerequisites(z, [rr('www.ex.test.', T.A, CLASS_ANY)]), RCODE.NOERROR, 'RRset exists');
  t.equal(checkPrerequisites(z, [rr('www.ex.test.', T.AAAA, CLASS_ANY)]), UPDATE_RCODE.NXRRSET, 'RRset missing: NXRRSET');
  t.equal(checkPrerequisites(z, [rr('www.ex.test.', T.A, CLASS_NONE)]), UPDATE_RCODE.YXRRSET, 'RRset present: YXRRSET');
  t.equal(checkPrerequisites(z, [rr('www.ex.test.', T.A, CLASS_IN, ip('192.0.2.2'))]), RCODE.NOERROR, 'value-dependent: equal');
  t.equal(checkPrerequisites(z, [rr('www.ex.test.', T.A, CLASS_IN, ip('192.0.2.3'))]), UPDATE_RCODE.NXRRSET, 'value-dependent: different');
  t.equal(checkPrerequisites(z, [rr('www.ex.test.', T.A, CLASS_IN, ip('192.0.2.2')), rr('www.ex.test.', T.A, CLASS_IN, ip('192.0.2.3'))]), UPDATE_RCODE.NXRRSET, 'value-dependent: the whole RRset must match');
  t.equal(checkPrerequisites(z, [rr('www.example.', TYPE_ANY, CLASS_ANY)]), UPDATE_RCODE.NOTZONE, 'outside the zone: NOTZONE');
  t.equal(checkPrerequisites(z, [{ ...rr('www.ex.test.', T.A, CLASS_ANY), ttl: 5 }]), RCODE.FORMERR, 'a TTL: FORMERR');
  t.equal(checkPrerequisites(z, [rr('www.ex.test.', T.A, CLASS_ANY, ip('1.2.3.4'))]), RCODE.FORMERR, 'RDATA with class ANY: FORMERR');
});

t.test('the update section as BIND applies it', async (t) => {
  const z = zone();
  let n = apply(z, [add('new.ex.test.', '192.0.2.9')]);
  t.equal(rdatas(n, 'new.ex.test.', T.A).length, 1, 'added');
  t.equal(n.serial, 11, 'the serial is incremented');
  t.equal(rdatas(z, 'new.ex.test.', T.A).length, 0, 'the old version is unchanged');
  t.same(applyUpdates(z, [add('www.ex.test.', '192.0.2.2')]), {}, 'adding what is there changes nothing (no serial bump)');
  t.same(applyUpdates(z, [rr('absent.ex.test.', T.A, CLASS_ANY)]), {}, 'deleting what is not there changes nothing');
  n = apply(z, [cname('www.ex.test.', 'ns.ex.test.')]);
  t.equal(rdatas(n, 'www.ex.test.', T.CNAME).length, 0, 'a CNAME beside other data is ignored');
  n = apply(z, [add('alias.ex.test.', '192.0.2.5')]);
  t.equal(rdatas(n, 'alias.ex.test.', T.A).length, 0, 'other data beside a CNAME is ignored');
  n = apply(z, [cname('alias.ex.test.', 'ns.ex.test.')]);
  t.equal(rdatas(n, 'alias.ex.test.', T.CNAME).length, 1, 'a CNAME replaces the CNAME');
  n = apply(z, [rr('ex.test.', T.NS, CLASS_ANY), rr('ex.test.', T.SOA, CLASS_ANY), rr('ex.test.', T.NS, CLASS_NONE, parseName('ns.ex.test.'))]);
  t.equal(rdatas(n, 'ex.test.', T.NS).length, 1, 'the apex keeps its NS');
  t.equal(rdatas(n, 'ex.test.', T.SOA).length, 1, 'and its SOA');
  n = apply(z, [rr('ex.test.', TYPE_ANY, CLASS_ANY)]);
  t.equal(rdatas(n, 'ex.test.', T.NS).length, 1, 'delete all at the apex keeps NS');
  n = apply(z, [add('www.ex.test.', '192.0.2.3', 900)]);
  t.same(n.nodes.get(nameKey(parseName('www.ex.test.')))?.rrsets.get(T.A)?.ttl, 900, 'the new TTL applies to the whole RRset');
  t.equal(rdatas(n, 'www.ex.test.', T.A).length, 2);
  n = apply(z, [add('x.ex.test.', '192.0.2.1'), rr('x.ex.test.', T.A, CLASS_NONE, ip('192.0.2.1'))]);
  t.equal(n, z, 'added then deleted in one message: no change');
  n = apply(z, [rr('deep.a.ex.test.', TYPE_ANY, CLASS_ANY)]);
  t.notOk(n.nodes.has(nameKey(parseName('a.ex.test.'))), 'the empty non-terminal goes with its last name');
  const soa = (serial: number): UpdateRR => {
    const rd = Uint8Array.from([...parseName('ns.ex.test.'), ...parseName('admin.ex.test.'), 0, 0, 0, 0, 0, 0, 14, 16, 0, 0, 2, 88, 0, 1, 81, 128, 0, 0, 0, 60]);
    new DataView(rd.buffer).setUint32(rd.length - 20, serial);
    return rr('ex.test.', T.SOA, CLASS_IN, rd, 300);
  };
  t.equal(apply(z, [soa(100)]).serial, 100, 'an SOA with a higher serial sets it');
  t.equal(apply(z, [soa(5), add('y.ex.test.', '192.0.2.1')]).serial, 11, 'a lower one is ignored; the serial is incremented');
  t.equal(nextSerial(0xffffffff), 1, 'the serial wraps past 0');
});

t.test('permission: allow-update before prerequisites, update-policy per change', async (t) => {
  const z = zone();
  const failing = [rr('nope.ex.test.', TYPE_ANY, CLASS_ANY)];
  t.same(decideUpdate(z, failing, [add('n.ex.test.', '192.0.2.1')], { kind: 'acl', allowed: false }), { rcode: RCODE.REFUSED, refused: true }, 'not allowed: REFUSED, whatever the prerequisites');
  t.equal(decideUpdate(z, failing, [add('n.ex.test.', '192.0.2.1')], { kind: 'acl', allowed: true }).rcode, RCODE.NXDOMAIN, 'allowed: the prerequisite decides');
  t.equal(decideUpdate(z, [], [add('n.example.', '192.0.2.1')], { kind: 'acl', allowed: true }).rcode, UPDATE_RCODE.NOTZONE, 'an update outside the zone: NOTZONE');
  t.equal(decideUpdate(z, [], [rr('n.ex.test.', T.A, CLASS_ANY, ip('1.2.3.4'))], { kind: 'acl', allowed: true }).rcode, RCODE.FORMERR, 'a delete with RDATA in class ANY: FORMERR');
  const policy = policyMatcher({ local: false, rules: [
    { grant: true, identity: 'upd', ruleType: 'name', name: 'www.ex.test.', types: ['A'], pos: { file: '', line: 0, col: 0 } },
    { grant: false, identity: 'upd', ruleType: 'subdomain', name: 'secret.ex.test', types: [], pos: { file: '', line: 0, col: 0 } },
    { grant: true, identity: '*.hosts', ruleType: 'zonesub', types: ['TXT'], pos: { file: '', line: 0, col: 0 } },
    { grant: true, identity: 'upd', ruleType: 'zonesub', types: [], pos: { file: '', line: 0, col: 0 } },
  ] }, parseName('ex.test.'));
  const perm = (signer: string | undefined, tcp = false) => ({ kind: 'policy' as const, allows: policy({ signer, address: '127.0.0.1', tcp }), signer, tcp });
  t.equal(decideUpdate(z, [], [add('www.ex.test.', '192.0.2.9')], perm('upd')).rcode, RCODE.NOERROR, 'name rule grants');
  t.equal(decideUpdate(z, [], [add('x.secret.ex.test.', '192.0.2.9')], perm('upd')).rcode, RCODE.REFUSED, 'the first matching rule (deny) decides');
  t.equal(decideUpdate(z, [], [add('other.ex.test.', '192.0.2.9')], perm('upd')).rcode, RCODE.NOERROR, 'zonesub without types grants ordinary types');
  t.equal(decideUpdate(z, [], [rr('ex.test.', T.NS, CLASS_IN, parseName('ns2.ex.test.'), 300)], perm('upd')).rcode, RCODE.REFUSED, 'but not NS');
  t.equal(decideUpdate(z, [], [rr('t.ex.test.', T.TXT, CLASS_IN, Uint8Array.of(1, 65), 300)], perm('a.hosts')).rcode, RCODE.NOERROR, 'a wildcard identity matches keys below it');
  t.equal(decideUpdate(z, [], [add('t.ex.test.', '192.0.2.1')], perm('a.hosts')).rcode, RCODE.REFUSED, 'only for the listed types');
  t.equal(decideUpdate(z, [], [add('www.ex.test.', '192.0.2.9')], perm(undefined)).rcode, RCODE.REFUSED, 'unsigned over UDP: REFUSED');
  t.equal(decideUpdate(z, [], [add('www.ex.test.', '192.0.2.9')], perm(undefined, true)).rcode, RCODE.REFUSED, 'unsigned over TCP matches no rule');
  const local = policyMatcher({ local: true }, parseName('ex.test.'), 'local-ddns');
  t.ok(local({ signer: 'local-ddns', address: '127.0.0.1', tcp: false })(add('a.b.ex.test.', '192.0.2.1')), 'update-policy local grants the session key anything in the zone');
  t.notOk(local({ signer: 'upd', address: '127.0.0.1', tcp: false })(add('a.ex.test.', '192.0.2.1')), 'and no other key');
});

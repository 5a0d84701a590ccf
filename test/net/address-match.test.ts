import t from 'tap';
import { compileAddressMatch, matchAddress, explicitAddresses, type AddressMatchList, type MatchEnvironment } from '../../src/net/address-match.js';
import { hostNetworksFrom } from '../../src/net/interfaces.js';
import { parseAddress, parsePrefix, type Prefix } from '../../src/net/ip.js';

const P = (s: string): Prefix => {
  const p = parsePrefix(s);
  if (!p) throw new Error(s);
  return p;
};
const pre = (s: string, negated = false) => ({ kind: 'prefix' as const, negated, prefix: P(s), text: s });
const A = (s: string) => {
  const a = parseAddress(s);
  if (!a) throw new Error(s);
  return a;
};

const host = hostNetworksFrom({
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
  eth0: [
    { address: '192.168.117.1', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '192.168.117.1/24' },
    { address: 'fd00:117::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: 'fd00:117::1/64', scopeid: 0 },
    { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: 'fe80::1/64', scopeid: 2 },
  ],
});

const env = (acls: Record<string, AddressMatchList> = {}): MatchEnvironment => ({ localhost: host.localhost, localnets: host.localnets, acls: new Map(Object.entries(acls)) });

t.test('interfaces: localhost is every address, localnets every network', async (t) => {
  t.equal(host.addresses.length, 4);
  t.ok(host.addresses.find((a) => a.text === 'fe80::1')?.linkLocal);
  const e = env();
  const lh: AddressMatchList = [{ kind: 'builtin', negated: false, name: 'localhost' }];
  const ln: AddressMatchList = [{ kind: 'builtin', negated: false, name: 'localnets' }];
  t.equal(matchAddress(lh, e, A('192.168.117.1')), 1, 'an interface address is localhost');
  t.equal(matchAddress(lh, e, A('192.168.117.2')), 0, 'a neighbour is not localhost');
  t.equal(matchAddress(ln, e, A('192.168.117.2')), 1, 'a neighbour is on localnets');
  t.equal(matchAddress(ln, e, A('127.9.9.9')), 1, '127/8 is a local net');
  t.equal(matchAddress(ln, e, A('fd00:117::99')), 1);
  t.equal(matchAddress(ln, e, A('10.0.0.1')), 0);
});

t.test('first match wins and negation denies', async (t) => {
  const list: AddressMatchList = [pre('192.168.117.5', true), pre('192.168.117.0/24')];
  const m = compileAddressMatch(list, env());
  t.notOk(m('192.168.117.5'));
  t.ok(m('192.168.117.6'));
  t.notOk(m('10.1.1.1'), 'no match means denied');
  const reversed = compileAddressMatch([pre('192.168.117.0/24'), pre('192.168.117.5', true)], env());
  t.ok(reversed('192.168.117.5'), 'the broader element first wins');
});

t.test('any, none, families and garbage', async (t) => {
  t.ok(compileAddressMatch([{ kind: 'builtin', negated: false, name: 'any' }], env())('::1'));
  t.notOk(compileAddressMatch([{ kind: 'builtin', negated: false, name: 'none' }], env())('127.0.0.1'));
  t.notOk(compileAddressMatch([{ kind: 'builtin', negated: true, name: 'any' }], env())('127.0.0.1'));
  const v4 = compileAddressMatch([pre('0.0.0.0/0')], env());
  t.ok(v4('8.8.8.8'));
  t.notOk(v4('::1'), 'an IPv4 prefix never matches IPv6');
  t.notOk(compileAddressMatch([pre('10.0.0.0/8')], env())('not-an-address'));
  t.notOk(compileAddressMatch([], env())('127.0.0.1'), 'an empty list allows nobody');
});

t.test('named acls and nested lists: a negative inner match is no match', async (t) => {
  const acls = { lab: [pre('192.168.117.0/24')], notfive: [pre('10.0.0.5', true), pre('10.0.0.0/8')] };
  const e = env(acls);
  t.ok(compileAddressMatch([{ kind: 'acl', negated: false, name: 'lab' }], e)('192.168.117.9'));
  t.notOk(compileAddressMatch([{ kind: 'acl', negated: true, name: 'lab' }, { kind: 'builtin', negated: false, name: 'any' }], e)('192.168.117.9'));
  // 10.0.0.5 matches `notfive` negatively: for the outer list that is "no match", so `any` decides.
  const m = compileAddressMatch([{ kind: 'acl', negated: true, name: 'notfive' }, { kind: 'builtin', negated: false, name: 'any' }], e);
  t.ok(m('10.0.0.5'), 'double negation never turns into a surprise deny/allow');
  t.notOk(m('10.0.0.6'));
  const nested = compileAddressMatch([{ kind: 'nested', negated: true, list: [pre('1.2.3.4')] }, { kind: 'builtin', negated: false, name: 'any' }], e);
  t.notOk(nested('1.2.3.4'));
  t.ok(nested('1.2.3.5'));
  t.notOk(compileAddressMatch([{ kind: 'acl', negated: false, name: 'missing' }], e)('1.2.3.4'));
  t.notOk(compileAddressMatch([{ kind: 'key', negated: false, name: 'k' }], e)('1.2.3.4'), 'key elements never match an address');
});

t.test('explicit addresses for listen-on', async (t) => {
  const list: AddressMatchList = [pre('127.0.0.5'), pre('127.0.0.0/8'), pre('127.0.0.6', true), pre('::1')];
  t.same(explicitAddresses(list).map((p) => p.length), [32, 128]);
});

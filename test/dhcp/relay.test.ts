// Relay agent decisions (RFC 1542 §4, RFC 3046, ISC dhcrelay's behaviour), without sockets.
import t from 'tap';
import { BOOTREPLY, MsgType, OPT, decodePacket, emptyPacket, type DhcpPacket } from '../../src/dhcp/packet.js';
import { agentInfoFor, defaultRelaySettings, encodeRelayed, parseAgentInfo, relayReply, relayRequest, type RelayInterface } from '../../src/dhcp/relay.js';

const ip = (s: string): number => s.split('.').reduce((a, b) => a * 256 + Number(b), 0);
const down: RelayInterface = { name: 'rdown', addresses: [ip('192.168.118.1'), ip('192.168.118.2')], downstream: true, upstream: true };
const up: RelayInterface = { name: 'rup', addresses: [ip('10.97.0.2')], downstream: true, upstream: true };
const own = new Set([...down.addresses, ...up.addresses]);

function discover(): DhcpPacket {
  const p = emptyPacket();
  p.xid = 0x1234;
  p.chaddr = Buffer.alloc(16);
  Buffer.from([2, 0, 0, 0, 0, 1]).copy(p.chaddr);
  p.options.set(OPT.MESSAGE_TYPE, Buffer.from([MsgType.DISCOVER]));
  p.options.set(OPT.CLIENT_ID, Buffer.from([1, 2, 0, 0, 0, 0, 1]));
  return p;
}

t.test('request: giaddr = first address of the receiving link, hops + 1, no option 82 without -a', async (t) => {
  const d = relayRequest(discover(), down, own, defaultRelaySettings());
  if (!('forward' in d)) return t.fail(d.drop);
  t.equal(d.forward.giaddr, ip('192.168.118.1'));
  t.equal(d.forward.hops, 1);
  t.notOk(d.forward.options.has(OPT.AGENT_INFO));
});

t.test('request: an existing giaddr is kept (multi-hop)', async (t) => {
  const p = discover();
  p.giaddr = ip('172.16.5.1');
  p.hops = 3;
  const d = relayRequest(p, down, own, defaultRelaySettings());
  if (!('forward' in d)) return t.fail(d.drop);
  t.equal(d.forward.giaddr, ip('172.16.5.1'));
  t.equal(d.forward.hops, 4);
});

t.test('request: hop limit (ISC: hops < max else drop; default 10)', async (t) => {
  const p = discover();
  p.hops = 9;
  t.ok('forward' in relayRequest(p, down, own, defaultRelaySettings()), '9 → 10 forwarded');
  p.hops = 10;
  t.ok('drop' in relayRequest(p, down, own, defaultRelaySettings()), '10 dropped');
  const s = { ...defaultRelaySettings(), maxHops: 2 };
  p.hops = 2;
  t.ok('drop' in relayRequest(p, down, own, s), '-c 2: hops 2 dropped');
});

t.test('request: our own relayed request is ignored; downstream-only rule', async (t) => {
  const p = discover();
  p.giaddr = ip('192.168.118.1');
  t.ok('drop' in relayRequest(p, up, own, defaultRelaySettings()));
  t.ok('drop' in relayRequest(discover(), { ...up, downstream: false }, own, defaultRelaySettings()));
});

t.test('option 82: circuit-id = interface name, remote-id configurable, last option, survives encoding', async (t) => {
  const s = { ...defaultRelaySettings(), agentInformation: true, remoteId: Buffer.from('lab-relay') };
  const d = relayRequest(discover(), down, own, s);
  if (!('forward' in d)) return t.fail(d.drop);
  t.same([...d.forward.options.keys()].at(-1), OPT.AGENT_INFO, 'option 82 last');
  const back = decodePacket(encodeRelayed(d.forward));
  const subs = parseAgentInfo(back.options.get(OPT.AGENT_INFO)!)!;
  t.same(subs.map((x) => [x.code, x.value.toString()]), [[1, 'rdown'], [2, 'lab-relay']]);
  t.equal(back.giaddr, ip('192.168.118.1'));
  t.equal(back.hops, 1);
});

t.test('option 82 already present: forward / append / replace / discard; giaddr 0 with 82 dropped', async (t) => {
  const p = discover();
  p.giaddr = ip('172.16.5.1');
  const theirs = Buffer.from([1, 3, 0x61, 0x62, 0x63]);
  p.options.set(OPT.AGENT_INFO, theirs);
  const run = (policy: 'forward' | 'append' | 'replace' | 'discard') => relayRequest(p, down, own, { ...defaultRelaySettings(), agentInformation: true, policy });
  const f = run('forward');
  t.ok('forward' in f && f.forward.options.get(OPT.AGENT_INFO)!.equals(theirs), 'forward keeps theirs');
  const a = run('append');
  t.ok('forward' in a && a.forward.options.get(OPT.AGENT_INFO)!.equals(Buffer.concat([theirs, agentInfoFor('rdown')])), 'append adds ours after theirs');
  const r = run('replace');
  t.ok('forward' in r && r.forward.options.get(OPT.AGENT_INFO)!.equals(agentInfoFor('rdown')), 'replace puts ours instead');
  t.ok('drop' in run('discard'), 'discard drops');
  const forged = discover();
  forged.options.set(OPT.AGENT_INFO, theirs);
  t.ok('drop' in relayRequest(forged, down, own, { ...defaultRelaySettings(), agentInformation: true }), 'RFC 3046 §2.1.1: client-sent 82 with giaddr 0 dropped');
});

function offer(giaddr: number, rai?: Buffer, flags = 0): DhcpPacket {
  const p = discover();
  p.op = BOOTREPLY;
  p.giaddr = giaddr;
  p.yiaddr = ip('192.168.118.100');
  p.flags = flags;
  p.options = new Map([[OPT.MESSAGE_TYPE, Buffer.from([MsgType.OFFER])], [OPT.SERVER_ID, Buffer.from([10, 97, 0, 1])]]);
  if (rai) p.options.set(OPT.AGENT_INFO, rai);
  return p;
}

t.test('reply: out of the giaddr link, option 82 stripped, to chaddr or broadcast', async (t) => {
  const s = { ...defaultRelaySettings(), agentInformation: true };
  const d = relayReply(offer(ip('192.168.118.1'), agentInfoFor('rdown')), up, [down, up], s);
  if (!('deliver' in d)) return t.fail(d.drop);
  t.equal(d.iface.name, 'rdown');
  t.notOk(d.deliver.options.has(OPT.AGENT_INFO), 'option 82 removed');
  t.same(d.dest, { kind: 'hw', mac: Buffer.from([2, 0, 0, 0, 0, 1]), ip: ip('192.168.118.100') });
  t.ok(!decodePacket(encodeRelayed(d.deliver)).options.has(OPT.AGENT_INFO), 'not on the wire either');
  const b = relayReply(offer(ip('192.168.118.1'), agentInfoFor('rdown'), 0x8000), up, [down, up], s);
  t.same('deliver' in b && b.dest, { kind: 'broadcast' }, 'broadcast bit → broadcast');
});

t.test('reply: mismatching or missing option 82 dropped (default), bogus giaddr dropped, upstream rule', async (t) => {
  const s = { ...defaultRelaySettings(), agentInformation: true };
  t.ok('drop' in relayReply(offer(ip('192.168.118.1')), up, [down, up], s), 'no option 82: dropped');
  t.ok('drop' in relayReply(offer(ip('192.168.118.1'), agentInfoFor('other')), up, [down, up], s), 'wrong circuit-id: dropped');
  const lax = relayReply(offer(ip('192.168.118.1')), up, [down, up], { ...s, dropMismatch: false });
  t.ok('deliver' in lax, 'without -D semantics: forwarded by giaddr');
  t.ok('drop' in relayReply(offer(ip('192.168.200.1'), agentInfoFor('rdown')), up, [down, up], s), 'bogus giaddr');
  t.ok('drop' in relayReply(offer(ip('192.168.118.1'), agentInfoFor('rdown')), { ...up, upstream: false }, [down, up], s), 'reply on downstream-only link');
  const rid = { ...s, remoteId: Buffer.from('x') };
  t.ok('drop' in relayReply(offer(ip('192.168.118.1'), agentInfoFor('rdown')), up, [down, up], rid), 'remote-id must match when configured');
  t.ok('deliver' in relayReply(offer(ip('192.168.118.1'), agentInfoFor('rdown', Buffer.from('x'))), up, [down, up], rid));
});

t.test('parseAgentInfo rejects truncated sub-options', async (t) => {
  t.equal(parseAgentInfo(Buffer.from([1, 5, 0x61])), undefined);
  t.same(parseAgentInfo(Buffer.alloc(0)), []);
});

t.test('command line: long options and dhcrelay flags mean the same', async (t) => {
  const { relayConfFromArgs, agentConfig } = await import('../../src/dhcp/relay-service.js');
  const { parseArgs } = await import('../../src/args.js');
  const long = agentConfig(relayConfFromArgs(parseArgs(['--interfaces', 'rdown,rup', '--servers', '10.97.0.1', '--agent-information', '--max-hops', '4', '--policy', 'append'], ['agent-information'])));
  const isc = agentConfig(relayConfFromArgs(parseArgs(['-a', '-c', '4', '-m', 'append', '-i', 'rdown', '-i', 'rup', '10.97.0.1'])));
  t.same(isc, long);
  t.same(long.servers, [0x0a610001]);
  t.equal(long.settings.maxHops, 4);
  t.throws(() => agentConfig(relayConfFromArgs(parseArgs(['--interfaces', 'x']))), /no DHCP server/);
  t.throws(() => agentConfig(relayConfFromArgs(parseArgs(['--interfaces', 'x', '--servers', 'dhcp.example']))), /IPv4 address is expected/);
});

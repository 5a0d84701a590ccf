// The TFTP protocol core without sockets: packets, option negotiation, the read
// transfer's state machine (windows, duplicates, timeouts, rollover), netascii.
import t from 'tap';
import { decodePacket, encodeAck, encodeData, encodeError, encodeOack, encodeRequest, OP } from '../../src/tftp/packet.js';
import { MAX_WINDOW_BYTES, negotiate, ReceiveState, SendState, toNetascii, type NegotiationLimits } from '../../src/tftp/transfer.js';

const lim: NegotiationLimits = { maxBlockSize: 65464, maxWindow: 64, refuse: [], defaultTimeoutMs: 1000 };
const opts = (o: Record<string, string>): [Map<string, string>, string[]] => [new Map(Object.entries(o)), Object.keys(o)];

t.test('packets: requests with options round-trip; malformed ones are reasons, not exceptions', async (t) => {
  const p = decodePacket(encodeRequest(OP.RRQ, 'pxelinux.0', 'octet', { BLKSIZE: '1468', tsize: '0' }));
  if (typeof p === 'string' || p.op !== OP.RRQ) return t.fail(String(p));
  t.equal(p.filename, 'pxelinux.0');
  t.same([...p.options], [['blksize', '1468'], ['tsize', '0']], 'option names are case-insensitive');
  t.equal(decodePacket(Buffer.alloc(0)), 'packet shorter than 4 octets');
  t.match(decodePacket(Buffer.from('\x00\x01file\x00oct', 'latin1')) as string, /NUL-terminated/);
  t.match(decodePacket(Buffer.from('\x00\x01file\x00mail\x00', 'latin1')) as string, /mode 'mail'/);
  t.match(decodePacket(Buffer.from('\x00\x01file\x00octet\x00blksize\x00', 'latin1')) as string, /option without a value/);
  t.match(decodePacket(Buffer.from('\x00\x01\x00octet\x00', 'latin1')) as string, /empty file name/);
  t.match(decodePacket(Buffer.from([0, 9, 0, 0])) as string, /unknown opcode 9/);
  t.match(decodePacket(Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(600, 0x41), Buffer.from([0])])) as string, /NUL-terminated/);
  t.same(decodePacket(encodeAck(65536 + 7)), { op: OP.ACK, block: 7 });
  t.same(decodePacket(encodeError(1, 'File not found')), { op: OP.ERROR, code: 1, message: 'File not found' });
  const d = decodePacket(encodeData(3, Buffer.from('abc')));
  t.same(typeof d !== 'string' && d.op === OP.DATA ? [d.block, d.data.toString()] : d, [3, 'abc']);
  t.same(encodeOack(new Map([['blksize', '1024']])), Buffer.from('\x00\x06blksize\x001024\x00', 'latin1'));
});

t.test('negotiation: RFC 2347/2348/2349/7440', async (t) => {
  t.equal(negotiate(...opts({}), 'octet', false, 100, lim).oack, undefined, 'no options: no OACK, DATA 1 first');
  const n = negotiate(...opts({ blksize: '1468', tsize: '0', timeout: '3', windowsize: '16', foo: 'bar' }), 'octet', false, 123456, lim);
  t.same([...(n.oack ?? [])], [['blksize', '1468'], ['tsize', '123456'], ['timeout', '3'], ['windowsize', '16']], 'unknown options are left out');
  t.same([n.blksize, n.windowsize, n.timeoutMs], [1468, 16, 3000]);
  t.equal(negotiate(...opts({ blksize: '65464' }), 'octet', false, 1, { ...lim, maxBlockSize: 1468 }).blksize, 1468, '--blocksize caps blksize');
  t.equal(negotiate(...opts({ blksize: '7' }), 'octet', false, 1, lim).oack, undefined, 'blksize below 8 is ignored');
  t.equal(negotiate(...opts({ blksize: '70000' }), 'octet', false, 1, lim).oack, undefined, 'blksize above 65464 is ignored');
  t.equal(negotiate(...opts({ timeout: '0' }), 'octet', false, 1, lim).oack, undefined, 'timeout 0 is ignored');
  t.equal(negotiate(...opts({ tsize: '0' }), 'netascii', false, 1, lim).oack, undefined, 'no tsize in netascii (its length is unknown before conversion)');
  t.equal(negotiate(...opts({ tsize: '0', blksize: '1024' }), 'octet', false, 1, { ...lim, refuse: ['tsize', 'blksize'] }).oack, undefined, '--refuse');
  const w = negotiate(...opts({ blksize: '65464', windowsize: '1000' }), 'octet', false, 1, lim);
  t.ok(w.windowsize * w.blksize <= MAX_WINDOW_BYTES, 'window bytes are bounded');
  t.equal(w.oack?.get('windowsize'), String(w.windowsize), 'the smaller window is answered');
  t.equal(negotiate(...opts({ tsize: '4096' }), 'octet', true, undefined, lim).oack?.get('tsize'), '4096', 'a WRQ tsize is echoed');
});

/** Drives a transfer of a `size`-byte file with a perfect client; returns the wire block numbers sent. */
function drive(size: number, blksize: number, windowsize: number, oack: boolean): { wires: number[]; st: SendState } {
  const st = new SendState({ blksize, windowsize, timeoutMs: 1000, maxRetries: 5, oack });
  const lastIndex = Math.floor(size / blksize) + 1;
  const wires: number[] = [];
  let a = st.start();
  if (a.kind === 'oack') a = st.onAck(0);
  for (let guard = 0; guard < 1e6; guard++) {
    if (a.kind !== 'send') break;
    let top = 0;
    for (const i of a.blocks) {
      const len = i < lastIndex ? blksize : size - (lastIndex - 1) * blksize;
      st.noteBlock(i, len);
      wires.push(i & 0xffff);
      top = i;
      if (len < blksize) break;
    }
    a = st.onAck(top & 0xffff);
  }
  t.equal(a.kind, 'done');
  return { wires, st };
}

t.test('sizes 0, 511, 512, 513: the last block is short (an empty one after a full one)', async (t) => {
  t.same(drive(0, 512, 1, false).wires, [1]);
  t.same(drive(511, 512, 1, false).wires, [1]);
  t.same(drive(512, 512, 1, false).wires, [1, 2]);
  t.same(drive(513, 512, 1, true).wires, [1, 2]);
  t.same(drive(5000, 512, 4, true).wires, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

t.test('rollover: past 65535 blocks the wire number starts again at 0', async (t) => {
  const { wires, st } = drive(70000 * 512 + 100, 512, 1, false);
  t.equal(wires.length, 70001);
  t.same(wires.slice(65533, 65538), [65534, 65535, 0, 1, 2]);
  t.equal(st.acked, 70001);
  const w = drive(70000 * 512, 512, 16, true);
  t.equal(w.wires.length, 70001);
});

t.test("duplicate ACKs are never answered with data (Sorcerer's Apprentice)", async (t) => {
  const st = new SendState({ blksize: 512, windowsize: 1, timeoutMs: 1000, maxRetries: 5, oack: false });
  t.same(st.start(), { kind: 'send', blocks: [1] });
  st.noteBlock(1, 512);
  t.same(st.onAck(1), { kind: 'send', blocks: [2] });
  t.same(st.onAck(1), { kind: 'wait' }, 'the duplicate ACK 1 sends nothing');
  t.same(st.onAck(7), { kind: 'wait' }, 'an ACK for a block never sent is ignored');
  st.noteBlock(2, 512);
  t.same(st.onAck(2), { kind: 'send', blocks: [3] });
});

t.test('OACK: only ACK 0 starts the data; a timeout resends the OACK', async (t) => {
  const st = new SendState({ blksize: 1024, windowsize: 2, timeoutMs: 1000, maxRetries: 5, oack: true });
  t.same(st.start(), { kind: 'oack' });
  t.same(st.onAck(1), { kind: 'wait' });
  t.same(st.onTimeout(), { kind: 'oack' });
  t.same(st.onAck(0), { kind: 'send', blocks: [1, 2] });
});

t.test('windows (RFC 7440): a partial ACK moves the window from the acknowledged block', async (t) => {
  const st = new SendState({ blksize: 512, windowsize: 4, timeoutMs: 1000, maxRetries: 5, oack: false });
  t.same(st.start(), { kind: 'send', blocks: [1, 2, 3, 4] });
  for (let i = 1; i <= 4; i++) st.noteBlock(i, 512);
  t.same(st.onAck(2), { kind: 'send', blocks: [3, 4, 5, 6] });
  t.same(st.onAck(2), { kind: 'wait' });
});

t.test('timeouts: the window is resent with back-off, then the transfer fails', async (t) => {
  const st = new SendState({ blksize: 512, windowsize: 2, timeoutMs: 1000, maxRetries: 3, oack: false });
  st.start();
  st.noteBlock(1, 512);
  st.noteBlock(2, 512);
  t.equal(st.timeoutMs(), 1000);
  t.same(st.onTimeout(), { kind: 'send', blocks: [1, 2] });
  t.equal(st.timeoutMs(), 2000);
  t.same(st.onTimeout(), { kind: 'send', blocks: [1, 2] });
  t.equal(st.timeoutMs(), 4000);
  t.same(st.onAck(1), { kind: 'send', blocks: [2, 3] });
  t.equal(st.timeoutMs(), 1000, 'progress resets the back-off');
  st.onTimeout();
  st.onTimeout();
  st.onTimeout();
  t.equal(st.onTimeout().kind, 'fail');
});

t.test('netascii: LF becomes CR LF, CR becomes CR NUL', async (t) => {
  t.same(toNetascii(Buffer.from('a\nb\rc')), Buffer.from('a\r\nb\r\0c', 'latin1'));
  const plain = Buffer.from('plain');
  t.equal(toNetascii(plain), plain);
});

t.test('uploads: blocks in order are taken once; duplicates and gaps re-ACK the last good block', async (t) => {
  const st = new ReceiveState({ blksize: 4, windowsize: 1, timeoutMs: 1000, maxRetries: 2, oack: false });
  t.same(st.start(), { kind: 'ack', block: 0 });
  t.match(st.onData(1, Buffer.from('abcd')), { kind: 'accept', index: 1, ack: 1, last: false });
  t.same(st.onData(1, Buffer.from('abcd')), { kind: 'ack', block: 1 }, 'a repeated block is acknowledged again, not written again');
  t.same(st.onData(3, Buffer.from('abcd')), { kind: 'ack', block: 1 }, 'a gap: the last good block');
  t.match(st.onData(2, Buffer.from('xy')), { kind: 'accept', index: 2, ack: 2, last: true });
  t.same(st.onData(2, Buffer.from('xy')), { kind: 'ack', block: 2 }, 'the last ACK again when it was lost');
  t.match(new ReceiveState({ blksize: 4, windowsize: 1, timeoutMs: 1000, maxRetries: 2, oack: false }).onData(1, Buffer.alloc(5)), { kind: 'fail' });
});

t.test('uploads: a window is acknowledged once, at its end; timeouts re-ACK with back-off, then fail', async (t) => {
  const st = new ReceiveState({ blksize: 4, windowsize: 3, timeoutMs: 1000, maxRetries: 2, oack: true });
  t.same(st.start(), { kind: 'oack' });
  t.same(st.onTimeout(), { kind: 'oack' });
  t.match(st.onData(1, Buffer.alloc(4)), { kind: 'accept', ack: undefined });
  t.match(st.onData(2, Buffer.alloc(4)), { kind: 'accept', ack: undefined });
  t.match(st.onData(3, Buffer.alloc(4)), { kind: 'accept', ack: 3 });
  t.same(st.onTimeout(), { kind: 'ack', block: 3 });
  t.equal(st.timeoutMs(), 2000);
  t.same(st.onTimeout(), { kind: 'ack', block: 3 });
  t.equal(st.onTimeout().kind, 'fail', 'after maxRetries');
  const r = new ReceiveState({ blksize: 512, windowsize: 1, timeoutMs: 1000, maxRetries: 2, oack: false });
  for (let i = 1; i <= 65536; i++) r.onData(i & 0xffff, Buffer.alloc(512));
  t.equal(r.got, 65536, 'block numbers roll over on uploads too');
});

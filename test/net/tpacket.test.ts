import t from 'tap';
import { RingReader, ringGeometry, TP_STATUS_KERNEL, TP_STATUS_USER, tpacketReq } from '../../src/net/tpacket.js';

t.test('ring geometry: whole frames per block, blocks of pages, at least the frames asked for', async (t) => {
  const g = ringGeometry(4096);
  t.same(g, { blockSize: 1 << 17, blockNr: 64, frameSize: 2048, frameNr: 4096, size: 64 << 17 });
  const odd = ringGeometry(100, 4096, 1 << 16);
  t.equal(odd.frameNr % (odd.blockSize / odd.frameSize), 0, 'frames fill whole blocks');
  t.ok(odd.frameNr >= 100);
  t.equal(odd.size, odd.blockSize * odd.blockNr);
  t.throws(() => ringGeometry(64, 3000), /power of two/);
  t.throws(() => ringGeometry(64, 2048, 6000), /multiple of the page/);
});

t.test('tpacket_req carries block size, block count, frame size, frame count', async (t) => {
  const b = tpacketReq(ringGeometry(128));
  t.same([b.readUInt32LE(0), b.readUInt32LE(4), b.readUInt32LE(8), b.readUInt32LE(12)], [1 << 17, 2, 2048, 128]);
});

/** A ring of `nr` frames of 2048 bytes; frame(i, len) hands frame i to user space as the kernel would. */
function fakeRing(nr: number) {
  const buf = Buffer.alloc(nr * 2048);
  const v = new Uint32Array(buf.buffer, buf.byteOffset, buf.length >> 2);
  const frame = (i: number, len: number, status = TP_STATUS_USER) => {
    buf.writeUInt32LE(len, i * 2048 + 4);
    buf.writeUInt32LE(Math.min(len, 1918), i * 2048 + 8);
    buf.writeUInt16LE(130, i * 2048 + 12);
    buf.writeUInt32LE(status, i * 2048); // last, as the kernel does
  };
  const status = (i: number) => buf.readUInt32LE(i * 2048);
  return { v, frame, status };
}

t.test('RingReader takes ready frames in order, at most a batch, and gives them back on the next take', async (t) => {
  const ring = fakeRing(4);
  const meta = Array.from({ length: 2 }, () => ({ len: 0, wireLen: 0, status: 0 }));
  const rd = new RingReader(ring.v, 2048, 4, meta);
  t.equal(rd.take(), 0, 'empty ring: nothing');
  ring.frame(0, 60, TP_STATUS_USER | 8);
  ring.frame(1, 3000);
  ring.frame(2, 70);
  t.equal(rd.take(), 2, 'a batch of 2 at most');
  t.same(meta[0], { len: 60, wireLen: 60, status: 9 }, 'lengths and tp_status (CSUMNOTREADY kept)');
  t.same(meta[1], { len: 1918, wireLen: 3000, status: 1 }, 'a frame longer than the ring frame: captured part and wire length');
  t.same([...rd.offs], [130, 2048 + 130], 'Ethernet header offsets in the ring');
  t.equal(ring.status(0), TP_STATUS_USER | 8, 'still held until the next take');
  t.equal(rd.take(), 1, 'the third frame');
  t.equal(ring.status(0), TP_STATUS_KERNEL, 'first batch given back');
  t.equal(ring.status(1), TP_STATUS_KERNEL);
  t.equal(ring.status(2), TP_STATUS_USER, 'the frame just taken is held');
  t.equal(rd.offs[0], 2 * 2048 + 130);
  // Wrap around: frames 3 and 0 (the kernel reuses frame 0 once it is given back).
  ring.frame(3, 80);
  ring.frame(0, 90);
  t.equal(rd.take(), 2, 'across the end of the ring');
  t.same([meta[0].wireLen, meta[1].wireLen], [80, 90]);
  t.same([...rd.offs], [3 * 2048 + 130, 130]);
  t.equal(ring.status(2), TP_STATUS_KERNEL);
  t.equal(rd.take(), 0);
  t.same([ring.status(3), ring.status(0)], [TP_STATUS_KERNEL, TP_STATUS_KERNEL], 'all given back after wrapping');
});

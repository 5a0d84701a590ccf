// The memory-mapped receive ring of an AF_PACKET socket (PACKET_RX_RING, TPACKET_V2;
// packet(7), Documentation/networking/packet_mmap.rst): its geometry and the per-frame
// header the kernel writes, as pure functions over the ring's bytes. The socket side is
// in packet-batch.ts.

export const PACKET_RX_RING = 5;
export const PACKET_VERSION = 10;
export const PACKET_RESERVE = 12;
export const TPACKET_V2 = 1;

/** tpacket2_hdr.tp_status: the frame belongs to user space (else to the kernel, 0). */
export const TP_STATUS_KERNEL = 0;
export const TP_STATUS_USER = 1;

/** sizeof(struct tpacket2_hdr). */
export const TPACKET2_HDR = 32;

export interface RingGeometry {
  blockSize: number;
  blockNr: number;
  frameSize: number;
  frameNr: number;
  /** Bytes to mmap. */
  size: number;
}

/**
 * A ring of `frames` frames of `frameSize` bytes (a power of two ≥ 2048 and ≤ the block),
 * in blocks of `blockSize` (a multiple of the page size holding whole frames): the
 * tpacket_req the kernel validates in packet_set_ring().
 */
export function ringGeometry(frames: number, frameSize = 2048, blockSize = 1 << 17): RingGeometry {
  if (frameSize < 2048 || frameSize & (frameSize - 1)) throw new Error(`ring frame size ${frameSize}: a power of two ≥ 2048`);
  if (blockSize % 4096 || blockSize % frameSize) throw new Error(`ring block size ${blockSize}: a multiple of the page and of the frame size`);
  const perBlock = blockSize / frameSize;
  const blockNr = Math.max(1, Math.ceil(frames / perBlock));
  return { blockSize, blockNr, frameSize, frameNr: blockNr * perBlock, size: blockSize * blockNr };
}

/** struct tpacket_req as the kernel reads it (four unsigned ints). */
export function tpacketReq(g: RingGeometry): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(g.blockSize, 0);
  b.writeUInt32LE(g.blockNr, 4);
  b.writeUInt32LE(g.frameSize, 8);
  b.writeUInt32LE(g.frameNr, 12);
  return b;
}

/** What the reader fills per frame (the same fields as the recvmmsg path's metadata). */
export interface RingMeta {
  len: number;
  wireLen: number;
  status: number;
}

/**
 * Walks a TPACKET_V2 receive ring in the kernel's order: take() hands the frames of
 * the previous call back to the kernel (their sends are done by then) and takes the
 * ready ones, at most `meta.length`; for frame i, `offs[i]` is where its Ethernet header
 * starts in the ring and `meta[i]` its lengths and tp_status. Pure over the ring's bytes.
 */
export class RingReader {
  readonly offs: Int32Array;
  private head = 0;
  private held = 0;
  constructor(
    private readonly ring32: Uint32Array,
    private readonly frameSize: number,
    private readonly frameNr: number,
    private readonly meta: RingMeta[],
  ) {
    this.offs = new Int32Array(meta.length);
  }

  take(): number {
    const r = this.ring32;
    const fs = this.frameSize;
    const nr = this.frameNr;
    let k = this.head - this.held;
    if (k < 0) k += nr;
    for (let i = 0; i < this.held; i++) {
      r[(k * fs) >> 2] = TP_STATUS_KERNEL;
      k = k + 1 === nr ? 0 : k + 1;
    }
    this.held = 0;
    const max = this.meta.length;
    let n = 0;
    let h = this.head;
    while (n < max) {
      const w = (h * fs) >> 2;
      const st = r[w];
      if (!(st & TP_STATUS_USER)) break;
      const m = this.meta[n];
      m.status = st;
      m.wireLen = r[w + 1]; // tp_len
      m.len = r[w + 2]; // tp_snaplen
      this.offs[n] = h * fs + (r[w + 3] & 0xffff); // tp_mac
      n++;
      h = h + 1 === nr ? 0 : h + 1;
    }
    this.head = h;
    this.held = n;
    return n;
  }
}

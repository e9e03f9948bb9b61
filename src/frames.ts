/**
 * The frame format of our TCP protocols (the worker's data channel, src/dataProtocol.ts; the
 * master's metadata calls, src/mux.ts; Raft messages, src/journal/raft/transport.ts):
 * [type: u8][payload length: u32 BE][payload]. Every length is bounded by the protocol before any
 * of the payload is buffered.
 *
 * FrameParser is the callback form for protocols of small frames (no lending, no back-pressure:
 * a frame is handed over as soon as it is whole, in the same turn as the read that completed it).
 */
import { InvalidArgumentError } from './errors.js';

export const FRAME_HEADER_BYTES = 5;

/** A frame's 5-byte header. */
export function frameHeader(type: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  h.writeUInt8(type, 0);
  h.writeUInt32BE(length, 1);
  return h;
}

/** A whole frame in one buffer (one write, one system call). */
export function encodeFrame(type: number, payload: Buffer | string): Buffer {
  const n = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const b = Buffer.allocUnsafe(FRAME_HEADER_BYTES + n);
  b.writeUInt8(type, 0);
  b.writeUInt32BE(n, 1);
  if (typeof payload === 'string') b.write(payload, FRAME_HEADER_BYTES);
  else payload.copy(b, FRAME_HEADER_BYTES);
  return b;
}

/**
 * Frames out of a byte stream. `maxPayload(type)`: the most bytes a frame of `type` may carry,
 * or -1 when no frame has that type. push() throws InvalidArgumentError (naming `what`) on a
 * header no frame may have; the stream cannot be resynchronised after that, so the caller closes
 * the connection. A payload handed to `onFrame` is a view valid only during the call when it lay
 * in one read (copy it to keep it), else a buffer of its own.
 */
export class FrameParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The header of the frame whose payload is awaited (type, length), if any. */
  private type = -1;
  private length = 0;
  private failed = false;

  constructor(
    private readonly what: string,
    private readonly maxPayload: (type: number) => number,
    private readonly onFrame: (type: number, payload: Buffer) => void,
  ) {}

  /** Bytes received but not yet handed over as frames. */
  get pending(): number { return this.buffered; }

  push(chunk: Buffer): void {
    if (this.failed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.type < 0) {
        if (this.buffered < FRAME_HEADER_BYTES) return;
        const head = this.take(FRAME_HEADER_BYTES);
        const type = head.readUInt8(0), length = head.readUInt32BE(1);
        const max = this.maxPayload(type);
        if (max < 0) { this.failed = true; throw new InvalidArgumentError(`${this.what}: unknown frame type ${type}`); }
        if (length > max) { this.failed = true; throw new InvalidArgumentError(`${this.what}: a frame of type ${type} claims ${length} bytes (at most ${max})`); }
        this.type = type;
        this.length = length;
      }
      if (this.buffered < this.length) return;
      const type = this.type;
      const payload = this.take(this.length);
      this.type = -1;
      this.onFrame(type, payload);
      if (this.failed) return;
    }
  }

  /** Stop handing frames over (the connection is being closed). */
  stop(): void { this.failed = true; this.chunks = []; this.buffered = 0; }

  /** The next n buffered bytes: a view when they lie in one chunk, else a copy. */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first!.length >= n) {
      const out = first!.subarray(0, n);
      if (first!.length === n) this.chunks.shift(); else this.chunks[0] = first!.subarray(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) this.chunks.shift(); else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}

/**
 * The worker's data channel (docs/architecture.md, Data channel): a small framed binary protocol
 * over plain TCP on the worker's rpc port, next to gRPC (the worker peeks at the first bytes:
 * the HTTP/2 preface goes to grpc-js, MAGIC to the data server). Block bytes travel in large
 * frames written straight from file reads, without per-message protobuf and HTTP/2 costs.
 *
 * A connection starts with MAGIC then a HELLO frame; then requests, one at a time:
 *   READ  {blockId, offset, length, promote}  -> HEADER {length}, DATA*, END   | ERROR
 *   WRITE {blockId, spaceToReserve, tierAlias, pinned} -> ACCEPTED, then the client sends DATA*,
 *         END and gets DONE {length} | ERROR (after an ERROR in a write the worker closes).
 * A frame is [type: u8][payload length: u32 BE][payload] (src/frames.ts); control payloads are JSON objects of
 * at most MAX_CONTROL_BYTES, DATA payloads at most MAX_DATA_BYTES. ERROR carries our typed error
 * (errors.ts code, message, extra) so the client throws the same classes as over gRPC.
 */
import type net from 'node:net';
import type { Socket } from 'node:net';
import { AlluxioError, NotLeaderError, errorFromCode, InvalidArgumentError, UnavailableError, TimeoutError } from './errors.js';
import { BufferPool } from './bufferPool.js';
import { FRAME_HEADER_BYTES, frameHeader } from './frames.js';

export { FRAME_HEADER_BYTES, frameHeader };

/** First bytes of a data connection (an HTTP/2 connection starts with "PRI "). */
export const MAGIC = Buffer.from('ALXD');
export const PROTOCOL_VERSION = 1;

export const enum Frame {
  HELLO = 1, READ = 2, WRITE = 3, DATA = 4, END = 5, HEADER = 6, ACCEPTED = 7, DONE = 8, ERROR = 9,
}
const LAST_FRAME = Frame.ERROR;

export const MAX_CONTROL_BYTES = 64 * 1024;
export const MAX_DATA_BYTES = 4 * 1024 * 1024;
/** Size of the DATA frames senders write. */
export const DATA_FRAME_BYTES = 2 * 1024 * 1024;
/** Bytes a FrameReader buffers before it stops reading the socket (TCP flow control takes over). */
const READ_HIGH_WATER = 2 * MAX_DATA_BYTES + FRAME_HEADER_BYTES;

/**
 * A received frame: a DATA frame's payload as the views of the socket reads it arrived in (no
 * copy; from a slab socket, readIntoSlabs, they are lent: BufferPool.give returns each); a control
 * frame's payload is a copy (small, and parsed after later reads).
 */
export class DataFrame {
  constructor(readonly type: Frame, readonly parts: Buffer[], readonly length: number) {}
  /** The payload in one buffer (a copy when it spans several reads). */
  get payload(): Buffer { return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.length); }
}

/** A whole control frame with a JSON payload. */
export function controlFrame(type: Frame, body: unknown = {}): Buffer {
  const json = Buffer.from(JSON.stringify(body));
  if (json.length > MAX_CONTROL_BYTES) throw new InvalidArgumentError(`data channel: a control frame of ${json.length} bytes (at most ${MAX_CONTROL_BYTES})`);
  return Buffer.concat([frameHeader(type, json.length), json]);
}

/** The ERROR frame for any thrown value (typed errors keep their code). */
export function errorFrame(e: unknown): Buffer {
  const body: { code: string; message: string; extra: Record<string, string> } = { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e), extra: {} };
  if (e instanceof AlluxioError) {
    body.code = e.code;
    if ('path' in e && typeof (e as any).path === 'string') body.extra.path = (e as any).path;
    if (e instanceof NotLeaderError && e.leader) body.extra.leader = e.leader;
  }
  if (body.message.length > 16 * 1024) body.message = `${body.message.slice(0, 16 * 1024)}...`;
  return controlFrame(Frame.ERROR, body);
}

/** The typed error an ERROR frame carries. */
export function errorOfFrame(payload: Buffer, target: string): AlluxioError {
  let body: any;
  try { body = JSON.parse(payload.toString('utf8')); } catch { body = undefined; }
  if (!body || typeof body.code !== 'string' || typeof body.message !== 'string') return errorFromCode('INTERNAL', `${target} sent a malformed error frame`);
  const extra = body.extra && typeof body.extra === 'object' ? body.extra : {};
  return errorFromCode(body.code, body.message, extra);
}

/** A control frame's JSON object; InvalidArgumentError when it is not one. */
export function controlBody(f: DataFrame, what: string): Record<string, unknown> {
  let v: unknown;
  try { v = JSON.parse(f.payload.toString('utf8')); } catch { throw new InvalidArgumentError(`data channel: ${what} is not JSON`); }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidArgumentError(`data channel: ${what} is not an object`);
  return v as Record<string, unknown>;
}

/** The connection closed (or failed) where a frame was expected. */
export class ConnectionClosedError extends UnavailableError {}

/**
 * Frames from a socket, in order. Memory is bounded: a frame header claiming more than its
 * type allows fails at once (before any payload is buffered), and the socket is paused while
 * READ_HIGH_WATER bytes wait to be consumed. `next()` resolves with null on a clean end between
 * frames, rejects with ConnectionClosedError on an end or error mid-frame, with
 * InvalidArgumentError on a malformed frame, with TimeoutError when no frame completes in time.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  /**
   * `external`: the socket's bytes come through push() (a socket created with `onread`, see
   * readIntoSlabs), not 'data' events.
   */
  constructor(private readonly socket: Socket, private readonly what: string, initial?: Buffer, external = false) {
    if (initial?.length) { this.chunks.push(initial); this.buffered = initial.length; }
    if (!external) socket.on('data', (c: Buffer) => { if (!this.push(c)) socket.pause(); });
    socket.on('end', () => { this.ended = true; this.wake?.(); });
    socket.on('close', () => { this.ended = true; this.wake?.(); });
    socket.on('error', (e) => { this.failure ??= e; this.wake?.(); });
  }

  /** Bytes from the socket; false when the reader wants no more for now (pause the socket). */
  push(c: Buffer): boolean {
    this.chunks.push(c);
    this.buffered += c.length;
    this.wake?.();
    return this.buffered <= READ_HIGH_WATER;
  }

  /** Bytes received but not yet consumed as frames. */
  get pending(): number { return this.buffered; }

  async next(timeoutMs = 0): Promise<DataFrame | null> {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    if (timeoutMs > 0) timer = setTimeout(() => { timedOut = true; this.wake?.(); }, timeoutMs);
    try {
      for (;;) {
        const f = this.take();
        if (f) return f;
        if (this.failure) throw new ConnectionClosedError(`${this.what}: the connection failed: ${this.failure.message}`);
        if (this.ended || this.socket.destroyed) {
          if (this.buffered === 0) return null;
          throw new ConnectionClosedError(`${this.what}: the connection closed in the middle of a frame`);
        }
        if (timedOut) throw new TimeoutError(`${this.what}: no complete frame within ${timeoutMs} ms`);
        if (this.socket.isPaused()) this.socket.resume();
        await new Promise<void>((r) => { this.wake = r; });
        this.wake = undefined;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** One whole frame off the buffer, or undefined; throws on a header no frame may have. */
  private take(): DataFrame | undefined {
    if (this.buffered < FRAME_HEADER_BYTES) return undefined;
    const head = this.chunks[0]!.length >= FRAME_HEADER_BYTES ? this.chunks[0]! : Buffer.concat(this.chunks, FRAME_HEADER_BYTES);
    const type = head.readUInt8(0), length = head.readUInt32BE(1);
    if (type < Frame.HELLO || type > LAST_FRAME) throw new InvalidArgumentError(`${this.what}: unknown frame type ${type}`);
    const max = type === Frame.DATA ? MAX_DATA_BYTES : MAX_CONTROL_BYTES;
    if (length > max) throw new InvalidArgumentError(`${this.what}: a frame of type ${type} claims ${length} bytes (at most ${max})`);
    if (this.buffered < FRAME_HEADER_BYTES + length) return undefined;
    this.consume(FRAME_HEADER_BYTES);
    let parts = this.consume(length, type === Frame.DATA);
    if (type !== Frame.DATA && parts.length && parts[0]!.length) parts = [Buffer.concat(parts, length)];
    if (this.buffered <= READ_HIGH_WATER && this.socket.isPaused() && !this.ended) this.socket.resume();
    return new DataFrame(type, parts, length);
  }

  /**
   * The next n bytes, as views of the chunks they lie in (`lend`: lent to the consumer, see
   * BufferPool). A chunk consumed to its end drops the hold it had on its slab; the views
   * returned are valid until the caller's current synchronous step ends, or until given back when lent.
   */
  private consume(n: number, lend = false): Buffer[] {
    this.buffered -= n;
    const out: Buffer[] = [];
    const done: Buffer[] = [];
    while (n > 0) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n);
      const last = out[out.length - 1];
      if (last && last.buffer === c.buffer && last.byteOffset + last.length === c.byteOffset) {
        // Consecutive socket reads into one slab: one view (fewer parts to hand through).
        out[out.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + k);
      } else {
        out.push(c.subarray(0, k));
      }
      if (k === c.length) { this.chunks.shift(); done.push(c); } else this.chunks[0] = c.subarray(k);
      n -= k;
    }
    if (lend) for (let i = 0; i < out.length; i++) out[i] = BufferPool.lend(out[i]!);
    for (const c of done) BufferPool.drop(c); // after the lending holds: a slab is never free in between
    if (!out.length) out.push(Buffer.alloc(0));
    return out;
  }
}

const SLAB_BYTES = 4 * 1024 * 1024;
const MIN_READ_BYTES = 256 * 1024;
/** The slabs of every slab socket of this process; at most 16 free ones (64 MiB) are kept. */
const SLABS = new BufferPool(SLAB_BYTES, 16);

/**
 * net.connect's `onread` for a socket whose bytes go to `push`: each read lands in the unused
 * rest of a 4 MiB slab (a new slab when less than 256 KiB is left). Reads then take whatever the
 * kernel holds (often MiBs) instead of 64 KiB each: fewer syscalls and events per GiB. Slabs come
 * from a BufferPool: one is reused only once nothing holds it any more, neither this filler, nor
 * a chunk the FrameReader has not consumed, nor a DATA payload view lent to a consumer that has
 * not given it back (never given back: the slab is garbage-collected, a new one allocated).
 */
export function readIntoSlabs(push: (chunk: Buffer) => void): net.OnReadOpts {
  let slab = SLABS.takeHeld(), used = 0;
  return {
    buffer: () => {
      if (slab.length - used < MIN_READ_BYTES) { BufferPool.drop(slab); slab = SLABS.takeHeld(); used = 0; }
      return slab.subarray(used);
    },
    callback: (n: number, buf: Uint8Array) => {
      used += n;
      const chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
      BufferPool.hold(chunk); // the reader's, until it consumed the chunk
      push(chunk);
      return true; // pausing is the caller's socket.pause() (returning false stops reading in a way resume() does not undo)
    },
  };
}

/**
 * Write to a socket respecting backpressure: resolves at once while the socket takes more,
 * else on 'drain'; rejects with ConnectionClosedError when the socket closes first. `written`
 * (one buffer only): called once the socket is done with it (the buffer may be reused).
 */
export function writeTo(socket: Socket, buf: Buffer | Buffer[], what: string, written?: () => void): Promise<void> {
  if (socket.destroyed || !socket.writable) { written?.(); return Promise.reject(new ConnectionClosedError(`${what}: the connection is closed`)); }
  let ok = true;
  if (Array.isArray(buf)) {
    socket.cork();
    for (const b of buf) ok = socket.write(b);
    socket.uncork();
  } else {
    ok = socket.write(buf, written && (() => written()));
  }
  if (ok) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (e?: Error) => { socket.off('drain', onDrain); socket.off('close', onClose); if (e) reject(e); else resolve(); };
    const onDrain = () => done();
    const onClose = () => done(new ConnectionClosedError(`${what}: the connection closed`));
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  });
}

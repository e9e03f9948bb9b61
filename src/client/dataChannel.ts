/**
 * Client side of a worker's data channel (src/dataProtocol.ts): a small pool of TCP connections
 * per worker, each carrying one block read or write at a time. Errors are the typed errors of
 * src/errors.ts, as over gRPC: the worker's ERROR frames carry their class; a connection that
 * cannot be made, a worker that does not answer within WORKER_CONNECT_TIMEOUT_MS, or one that
 * goes away mid-stream is an UnavailableError (so writes move to another worker and reads wait
 * for a restarting holder, as before).
 */
import net from 'node:net';
import {
  MAGIC, PROTOCOL_VERSION, Frame, FrameReader, DATA_FRAME_BYTES, type DataFrame, readIntoSlabs,
  frameHeader, controlFrame, errorOfFrame, writeTo, ConnectionClosedError,
} from '../dataProtocol.js';
import { AlluxioError, FailedPreconditionError, InternalError, TimeoutError, UnavailableError } from '../errors.js';

/**
 * Longest wait for the next frame of a block read once it started (a worker frozen mid-stream,
 * or a path that silently dropped): then UnavailableError, and the read goes elsewhere or waits
 * as for a worker that does not answer. As the worker's alluxio.worker.network.keepalive.timeout.
 */
const READ_STALL_MS = 30_000;
/** Idle connections kept per worker; more concurrent streams open more, closed when done. */
const POOL_SIZE = 4;
/** An idle connection older than this is closed rather than reused (the worker closes idle ones after alluxio.worker.network.keepalive.timeout, 30 s). */
const IDLE_MS = 10_000;

/** One data connection: MAGIC and HELLO sent, frames in and out. */
export class DataConnection {
  readonly reader: FrameReader;
  idleSince = 0;
  private constructor(readonly socket: net.Socket, readonly target: string, reader: FrameReader) {
    this.reader = reader;
    socket.on('error', () => { /* seen by the reader */ });
  }

  static open(host: string, port: number, target: string, secret: string | undefined, timeoutMs: number): Promise<DataConnection> {
    return new Promise((resolve, reject) => {
      let reader: FrameReader | undefined;
      const s = net.connect({ host, port, noDelay: true, onread: readIntoSlabs((c) => { if (!reader!.push(c)) s.pause(); }) });
      reader = new FrameReader(s, `data channel to ${target}`, undefined, true);
      const timer = setTimeout(() => { s.destroy(); reject(new UnavailableError(`${target} is unavailable: no connection within ${timeoutMs} ms`)); }, timeoutMs);
      s.once('error', (e) => { clearTimeout(timer); s.destroy(); reject(new UnavailableError(`${target} is unavailable: ${e.message}`)); });
      s.once('connect', () => {
        clearTimeout(timer);
        const c = new DataConnection(s, target, reader!);
        s.write(Buffer.concat([MAGIC, controlFrame(Frame.HELLO, { version: PROTOCOL_VERSION, secret: secret ?? '' })]));
        resolve(c);
      });
    });
  }

  get usable(): boolean { return !this.socket.destroyed && this.socket.writable && this.reader.pending === 0; }

  send(type: Frame, body: unknown = {}): Promise<void> { return this.wrap(writeTo(this.socket, controlFrame(type, body), this.what)); }

  /** DATA frames for `buf` (views, no copies), waiting for the socket to drain. */
  async sendData(buf: Buffer): Promise<void> {
    for (let off = 0; off < buf.length; off += DATA_FRAME_BYTES) {
      const piece = buf.subarray(off, off + DATA_FRAME_BYTES);
      await this.wrap(writeTo(this.socket, [frameHeader(Frame.DATA, piece.length), piece], this.what));
    }
  }

  /** The next frame; a closed connection or a frame not in time is an UnavailableError. */
  async next(timeoutMs = 0): Promise<DataFrame> {
    let f: DataFrame | null;
    try { f = await this.reader.next(timeoutMs); } catch (e) { throw this.unavailable(e); }
    if (!f) throw new ConnectionClosedError(`${this.target} is unavailable: the worker closed the data connection`);
    return f;
  }

  destroy(): void { this.socket.destroy(); }

  private get what(): string { return `data channel to ${this.target}`; }

  private wrap(p: Promise<void>): Promise<void> { return p.catch((e) => { throw this.unavailable(e); }); }

  private unavailable(e: unknown): AlluxioError {
    if (e instanceof UnavailableError) return e;
    if (e instanceof TimeoutError) return new UnavailableError(`${this.target} is unavailable: ${e.message}`, { cause: e });
    if (e instanceof AlluxioError) return e;
    return new UnavailableError(`${this.target} is unavailable: ${(e as Error)?.message ?? e}`, { cause: e });
  }
}

/** A block upload on the data channel: the interface of the gRPC UploadStream. */
export interface BlockUpload {
  /** Resolves once the worker accepted the stream; rejects with its refusal or failure. */
  readonly accepted: Promise<void>;
  write(buf: Buffer): Promise<void>;
  /** Ends the block; resolves with { length } once the worker committed it. */
  close(): Promise<any>;
  cancel(): void;
}

/** The data channel to one worker: a pool of connections. */
export class DataChannel {
  private idle: DataConnection[] = [];
  private closed = false;
  private readonly host: string;
  private readonly port: number;

  constructor(readonly target: string, private readonly secret: string | undefined, private readonly connectTimeoutMs: number) {
    const i = target.lastIndexOf(':');
    this.host = target.slice(0, i).replace(/^\[(.*)\]$/, '$1');
    this.port = Number(target.slice(i + 1));
  }

  /** An idle connection (reused: true) or a new one. */
  async acquire(): Promise<{ conn: DataConnection; reused: boolean }> {
    if (this.closed) throw new UnavailableError(`the data channel to ${this.target} is closed`);
    for (let c = this.idle.pop(); c; c = this.idle.pop()) {
      if (c.usable && Date.now() - c.idleSince < IDLE_MS) { c.socket.ref(); return { conn: c, reused: true }; }
      c.destroy();
    }
    return { conn: await DataConnection.open(this.host, this.port, this.target, this.secret, this.connectTimeoutMs), reused: false };
  }

  /** A connection whose last request ended cleanly goes back to the pool. */
  release(c: DataConnection): void {
    if (this.closed || !c.usable || this.idle.length >= POOL_SIZE) { c.destroy(); return; }
    c.idleSince = Date.now();
    c.socket.unref(); // an idle pooled connection never keeps the process alive
    this.idle.push(c);
  }

  close(): void {
    this.closed = true;
    for (const c of this.idle) c.destroy();
    this.idle = [];
  }

  /**
   * A request's first answer frame, on a pooled connection or a new one: a pooled connection the
   * worker closed meanwhile (idle timeout, restart) is replaced once by a new one. No answer within
   * `answerMs` (a frozen worker) is an UnavailableError.
   */
  private async request(type: Frame, body: unknown, answerMs = this.connectTimeoutMs): Promise<{ conn: DataConnection; first: DataFrame }> {
    for (;;) {
      const { conn, reused } = await this.acquire();
      try {
        await conn.send(type, body);
        return { conn, first: await conn.next(answerMs) };
      } catch (e) {
        conn.destroy();
        if (!(reused && e instanceof ConnectionClosedError)) throw e;
      }
    }
  }

  /** Bytes [offset, offset + length) of a block (length 0: to its end). */
  async *readBlock(blockId: number, offset: number, length: number, promote: boolean): AsyncIterable<Buffer> {
    // A promotion moves the block between tiers before the answer: it may take longer than a connection.
    const { conn, first } = await this.request(Frame.READ, { blockId, offset, length, promote }, promote ? READ_STALL_MS : this.connectTimeoutMs);
    let clean = false;
    try {
      if (first.type === Frame.ERROR) { clean = true; throw errorOfFrame(first.payload, this.target); }
      if (first.type !== Frame.HEADER) throw new InternalError(`${this.target} answered a block read with frame type ${first.type}`);
      let got = 0;
      for (;;) {
        const f = await conn.next(READ_STALL_MS);
        if (f.type === Frame.DATA) {
          got += f.length;
          for (const part of f.parts) yield part; // the socket's own buffers: no copy
          continue;
        }
        if (f.type === Frame.END) break;
        if (f.type === Frame.ERROR) { clean = true; throw errorOfFrame(f.payload, this.target); }
        throw new InternalError(`${this.target} sent frame type ${f.type} in a block read`);
      }
      clean = true;
      const expected = Number(JSON.parse(first.payload.toString('utf8')).length);
      if (got !== expected) throw new FailedPreconditionError(`block ${blockId}: ${this.target} announced ${expected} bytes and sent ${got}`);
    } finally {
      // Abandoned mid-stream (or broken): the connection goes, and the worker frees the stream.
      if (clean) this.release(conn); else conn.destroy();
    }
  }

  writeBlock(blockId: number, spaceToReserve: number, tierAlias: string, pinned: boolean): BlockUpload {
    return new DataUpload(this, this.request(Frame.WRITE, { blockId, spaceToReserve, tierAlias, pinned }), this.target);
  }
}

/** One block write: ACCEPTED, DATA frames, END, then DONE { length } or ERROR. */
class DataUpload implements BlockUpload {
  readonly accepted: Promise<void>;
  private readonly done: Promise<{ length: number }>;
  private conn: DataConnection | undefined;
  private failure: Error | undefined;
  private cancelled = false;

  constructor(private readonly channel: DataChannel, opened: Promise<{ conn: DataConnection; first: DataFrame }>, private readonly target: string) {
    this.accepted = opened.then(({ conn, first }) => {
      this.conn = conn;
      if (this.cancelled) conn.destroy();
      if (first.type === Frame.ERROR) { conn.destroy(); throw errorOfFrame(first.payload, target); }
      if (first.type !== Frame.ACCEPTED) { conn.destroy(); throw new InternalError(`${target} answered a block write with frame type ${first.type}`); }
    });
    // The worker's answer (DONE, or ERROR at any time, e.g. out of space mid-block) is read as it comes.
    this.done = this.accepted.then(async () => {
      const f = await this.conn!.next();
      if (f.type === Frame.DONE) {
        const length = Number(JSON.parse(f.payload.toString('utf8')).length);
        this.channel.release(this.conn!);
        return { length };
      }
      this.conn!.destroy();
      if (f.type === Frame.ERROR) throw errorOfFrame(f.payload, target);
      throw new InternalError(`${target} answered a block write with frame type ${f.type}`);
    });
    this.done.catch((e) => { this.failure ??= e; this.conn?.destroy(); });
    this.accepted.catch(() => { /* surfaced by the caller's await, or by write/close */ });
  }

  async write(buf: Buffer): Promise<void> {
    await this.accepted;
    if (this.failure) throw this.failure;
    try {
      await this.conn!.sendData(buf);
    } catch (e) {
      // A worker that failed the block says why (ERROR frame) before it closes: prefer that.
      throw await this.reason(e);
    }
    if (this.failure) throw this.failure;
  }

  async close(): Promise<any> {
    await this.accepted;
    if (this.failure) throw this.failure;
    try { await this.conn!.send(Frame.END); } catch (e) { throw await this.reason(e); }
    return this.done;
  }

  cancel(): void {
    this.cancelled = true;
    this.conn?.destroy();
  }

  /** The worker's own error when it sent one (within a moment), else `e`. */
  private async reason(e: unknown): Promise<Error> {
    const r = await Promise.race([this.done.then(() => undefined, (f) => f as Error), new Promise<undefined>((res) => setTimeout(res, 200))]);
    return r ?? (e as Error);
  }
}

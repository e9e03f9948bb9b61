/**
 * The worker's data channel server (src/dataProtocol.ts) and the one listening socket of the
 * worker's rpc port (src/sharedPort.ts: the HTTP/2 preface goes to grpc-js, MAGIC to the data
 * protocol, anything else is closed). Every data connection proves the cluster secret in its HELLO first, as gRPC
 * calls do in their metadata. Requests run one at a time per connection, each through the
 * worker's serve() (refused with WorkerShuttingDownError while draining, counted in flight).
 */
import net from 'node:net';
import fs from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { SharedPort } from '../../sharedPort.js';
import {
  MAGIC, PROTOCOL_VERSION, Frame, FrameReader, FRAME_HEADER_BYTES, DATA_FRAME_BYTES, type DataFrame,
  controlFrame, errorFrame, controlBody, writeTo, ConnectionClosedError,
} from '../../dataProtocol.js';
import { FailedPreconditionError, InvalidArgumentError, type WorkerShuttingDownError } from '../../errors.js';
import { nonNegativeInt, boundedString } from '../validate.js';
import { notAMemberError, secretMatches } from '../../clusterSecret.js';
import type { Logger } from '../../log.js';
import { BufferPool } from '../../bufferPool.js';

/** A block locked for reading: bytes [start, end) of `file`; release() when done. */
export interface BlockReadHandle { file: string; start: number; end: number; release(): void }
/** A block being written: write() its bytes, then commit() (its length) or abort(). */
export interface BlockWriteHandle { write(parts: Buffer[], length: number): Promise<void>; commit(): Promise<number>; abort(): Promise<void> }

/** What the data server needs from the worker. */
export interface BlockService {
  /** The worker's serve(): runs `body` unless draining (then `refuse`), counted in flight. */
  serve(what: string, refuse: (e: WorkerShuttingDownError) => void, body: () => Promise<void>): void;
  openBlockRead(r: { blockId: number; offset: number; length: number; promote: boolean }): Promise<BlockReadHandle>;
  openBlockWrite(h: { blockId: number; spaceToReserve: number; tierAlias: string; pinned: boolean }): Promise<BlockWriteHandle>;
}

export interface DataServerOptions {
  /** The cluster secret; undefined: any caller (NOSASL, or no secret file). */
  secret: string | undefined;
  /** Longest wait for a peer's bytes: first bytes, HELLO, the next request, the rest of a frame or a write's next frame. */
  timeoutMs: number;
  /** Named in errors: "worker h1:29999". */
  name: string;
  log: Logger;
  /** Connections that are HTTP/2 (gRPC). */
  http2: (socket: Duplex) => void;
}

export class DataServer {
  /** Data connections (not those handed to gRPC). */
  private readonly sockets = new Set<net.Socket>();
  private readonly port: SharedPort;
  /** DATA frame buffers (header + payload), reused across frames, reads and connections: new ones per read cost page faults and major GCs. */
  private readonly frames = new BufferPool(FRAME_HEADER_BYTES + DATA_FRAME_BYTES, 8);

  constructor(private readonly svc: BlockService, private readonly opts: DataServerOptions) {
    this.port = new SharedPort({ timeoutMs: opts.timeoutMs, http2: opts.http2, protocols: [{ magic: MAGIC, accept: (s, rest) => this.take(s, rest) }] });
  }

  /** Listen on host:port (0: any free port); resolves with the bound port. */
  listen(host: string, port: number): Promise<number> { return this.port.listen(host, port); }

  /** Stop accepting; destroy every connection (data ones mid-request too, and those handed to gRPC). */
  close(): Promise<void> { return this.port.close(); }

  /** Open data connections (tests). */
  get connections(): number { return this.sockets.size; }

  /** DATA frame buffers back in the pool, free for the next frame (tests). */
  get freeFrameBuffers(): number { return this.frames.held; }

  /** A connection that started with MAGIC (SharedPort). */
  private take(s: net.Socket, rest: Buffer): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    s.on('error', () => { /* seen by the reader as a failed connection */ });
    void this.connection(s, rest).catch((e) => {
      this.opts.log.warn(`Data connection from ${s.remoteAddress}: ${(e as Error).message}`);
      s.destroy();
    });
  }

  /** One data connection: HELLO, then requests until the peer closes. */
  private async connection(s: net.Socket, initial: Buffer): Promise<void> {
    const what = `data channel of ${this.opts.name}`;
    const reader = new FrameReader(s, what, initial);
    s.resume();
    const fail = async (e: unknown) => {
      // A typed error frame, then close (the stream cannot be resynchronised).
      if (!s.destroyed && s.writable) await writeTo(s, errorFrame(e), what).catch(() => {});
      s.end();
      setTimeout(() => s.destroy(), 1000).unref();
    };
    let hello: DataFrame | null;
    try { hello = await reader.next(this.opts.timeoutMs); } catch (e) { await fail(e); return; }
    if (!hello) { s.destroy(); return; }
    try { this.checkHello(hello); } catch (e) { await fail(e); return; }
    for (;;) {
      let f: DataFrame | null;
      try {
        f = await reader.next(this.opts.timeoutMs);
      } catch (e) {
        // A peer idle past the timeout between requests is closed quietly; garbage gets an error.
        if (e instanceof InvalidArgumentError) await fail(e); else s.destroy();
        return;
      }
      if (!f) { s.end(); return; }
      let keep: boolean;
      if (f.type === Frame.READ) keep = await this.request('block read', s, () => this.read(s, f!, what));
      else if (f.type === Frame.WRITE) keep = await this.request('block write', s, () => this.write(s, reader, f!, what));
      else { await fail(new InvalidArgumentError(`${what}: frame type ${f.type} is not a request`)); return; }
      if (!keep) { s.end(); setTimeout(() => s.destroy(), 1000).unref(); return; } // its error frame is sent
    }
  }

  private checkHello(f: DataFrame): void {
    if (f.type !== Frame.HELLO) throw new InvalidArgumentError(`data channel of ${this.opts.name}: the first frame must be HELLO, not type ${f.type}`);
    const h = controlBody(f, 'HELLO');
    if (h.version !== PROTOCOL_VERSION) {
      throw new FailedPreconditionError(`data channel of ${this.opts.name} speaks protocol version ${PROTOCOL_VERSION}, not ${String(h.version).slice(0, 20)}`, { hint: 'run the same Alluxio version on clients and workers' });
    }
    const secret = this.opts.secret;
    if (!secret) return;
    if (!secretMatches(h.secret, secret)) {
      throw notAMemberError(this.opts.name);
    }
  }

  /**
   * Run one request through the worker's serve(); resolves when it is over with whether the
   * connection may take another (false after a write's error, when the peer may still be sending).
   */
  private request(what: string, s: net.Socket, body: () => Promise<boolean>): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      this.svc.serve(what, (e) => { writeTo(s, errorFrame(e), what).then(() => resolve(what !== 'block write'), () => resolve(false)); }, async () => {
        let keep = false;
        try { keep = await body(); } finally { resolve(keep && !s.destroyed); }
      });
    });
  }

  /** READ: HEADER, DATA frames straight from file reads (the next read overlaps the send), END; or ERROR. */
  private async read(s: net.Socket, f: DataFrame, what: string): Promise<boolean> {
    let h: BlockReadHandle;
    try {
      const q = controlBody(f, 'READ');
      h = await this.svc.openBlockRead({
        blockId: nonNegativeInt(q.blockId, 'READ blockId'), offset: nonNegativeInt(q.offset, 'READ offset'), length: nonNegativeInt(q.length, 'READ length'), promote: q.promote === true,
      });
    } catch (e) {
      await writeTo(s, errorFrame(e), what).catch(() => {});
      return true;
    }
    try {
      await writeTo(s, controlFrame(Frame.HEADER, { length: h.end - h.start }), what);
      if (h.end > h.start) {
        const fh = await fs.open(h.file, 'r');
        // Frame buffers go back to the pool once the socket is done with them (at most two per read are in use).
        try {
          let pos = h.start;
          let sending: Promise<void> = Promise.resolve();
          while (pos < h.end) {
            const n = Math.min(DATA_FRAME_BYTES, h.end - pos);
            const buf = this.frames.take(); // the frame header, then the file's bytes read in place
            let bytesRead: number;
            try {
              ({ bytesRead } = await fh.read(buf, FRAME_HEADER_BYTES, n, pos));
              if (bytesRead === 0) throw new FailedPreconditionError(`block file ${h.file} is shorter than its block (${pos} < ${h.end})`);
            } catch (e) { this.frames.give(buf); throw e; }
            buf.writeUInt8(Frame.DATA, 0);
            buf.writeUInt32BE(bytesRead, 1);
            await sending;
            sending = writeTo(s, buf.subarray(0, FRAME_HEADER_BYTES + bytesRead), what, () => this.frames.give(buf));
            sending.catch(() => { /* awaited before the next frame; a file read failing meanwhile wins */ });
            pos += bytesRead;
          }
          await sending;
        } finally { await fh.close(); }
      }
      await writeTo(s, controlFrame(Frame.END), what);
      return true;
    } catch (e) {
      if (e instanceof ConnectionClosedError || s.destroyed) { s.destroy(); return false; } // the client left: nothing to tell
      this.opts.log.warn(`${what}: read of ${h.file} failed: ${(e as Error).message}`);
      await writeTo(s, errorFrame(e), what).catch(() => {});
      return true;
    } finally {
      h.release();
    }
  }

  /** WRITE: ACCEPTED, then DATA frames written to the temp block in order, END; DONE {length} or ERROR. */
  private async write(s: net.Socket, reader: FrameReader, f: DataFrame, what: string): Promise<boolean> {
    let w: BlockWriteHandle | undefined;
    try {
      await writeTo(s, controlFrame(Frame.ACCEPTED), what); // the client may go on: the drain waits for this stream
      const q = controlBody(f, 'WRITE');
      w = await this.svc.openBlockWrite({
        blockId: nonNegativeInt(q.blockId, 'WRITE blockId'), spaceToReserve: nonNegativeInt(q.spaceToReserve, 'WRITE spaceToReserve'),
        tierAlias: boundedString(q.tierAlias ?? '', 'WRITE tierAlias'), pinned: q.pinned === true,
      });
      for (;;) {
        // The socket is not read while the file write lags: the reader pauses it past its high-water mark.
        const d = await reader.next(this.opts.timeoutMs);
        if (!d) throw new ConnectionClosedError(`${what}: the client closed the connection before the end of block ${String(q.blockId)}`);
        if (d.type === Frame.END) break;
        if (d.type !== Frame.DATA) throw new InvalidArgumentError(`${what}: frame type ${d.type} in the middle of a block write`);
        await w.write(d.parts, d.length);
      }
      const length = await w.commit();
      w = undefined;
      await writeTo(s, controlFrame(Frame.DONE, { length }), what);
      return true;
    } catch (e) {
      if (w) await w.abort().catch((err) => this.opts.log.warn(`${what}: abort failed: ${(err as Error).message}`));
      if (e instanceof ConnectionClosedError || s.destroyed) { s.destroy(); return false; }
      await writeTo(s, errorFrame(e), what).catch(() => {});
      return false;
    }
  }
}

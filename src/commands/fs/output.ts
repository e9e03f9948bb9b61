/**
 * Where `fs cat` and `fs copyToLocal` put the bytes they read: large writes, one in flight while
 * the next fills (the client keeps receiving meanwhile), and memory bounded by two batches.
 * Buffers are kept as the client yields them (never copied, never converted) until written;
 * then `written` (when given) hands each back, e.g. to the read's BufferPool
 * (src/bufferPool.ts), so the client reads the next bytes into memory already mapped.
 */
import fs from 'node:fs';
import tty from 'node:tty';

/** Bytes gathered before one writev: large enough that the system call count does not matter. */
export const BATCH_BYTES = 8 * 1024 * 1024;
/** ...or this many buffers (IOV_MAX on Linux), whichever comes first. */
const MAX_BUFFERS = 1024;

export interface ByteSink {
  /** Queue `b`; resolves when more may be queued (backpressure), rejects with the write error. */
  write(b: Buffer): Promise<void>;
  /** Write what is queued; rejects with the write error. */
  end(): Promise<void>;
}

/** Every byte of `bufs` to `fd` (writev; a short write goes on with the rest). */
function writevAll(fd: number, bufs: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (list: Buffer[]): void => {
      fs.writev(fd, list, (err, n) => {
        if (err) { reject(err); return; }
        let rest = n;
        let i = 0;
        while (i < list.length && rest >= list[i]!.length) rest -= list[i++]!.length;
        if (i === list.length) { resolve(); return; }
        step([list[i]!.subarray(rest), ...list.slice(i + 1)]);
      });
    };
    step(bufs);
  });
}

/**
 * Batched writes to a file descriptor in blocking mode (a regular file, a character device such
 * as /dev/null): writev in the thread pool, so the event loop keeps receiving data meanwhile.
 */
export class FdSink implements ByteSink {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private error: unknown;

  /** `written`: called with each buffer once all its bytes are written (it may be reused then). */
  constructor(private readonly fd: number, private readonly batchBytes = BATCH_BYTES, private readonly written?: (b: Buffer) => void) {}

  async write(b: Buffer): Promise<void> {
    if (this.error) throw this.error;
    if (b.length === 0) return;
    this.pending.push(b);
    this.pendingBytes += b.length;
    if (this.pendingBytes >= this.batchBytes || this.pending.length >= MAX_BUFFERS) await this.flush();
  }

  /** Wait for the write in flight, then start the next with what is pending. */
  private async flush(): Promise<void> {
    await this.inFlight;
    if (this.error) throw this.error;
    const bufs = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    // Failures are kept and thrown by the next write/end: never an unhandled rejection.
    this.inFlight = writevAll(this.fd, bufs).then(() => { if (this.written) for (const b of bufs) this.written(b); }, (e: unknown) => { this.error = e; });
  }

  async end(): Promise<void> {
    if (this.pending.length) await this.flush();
    await this.inFlight;
    if (this.error) throw this.error;
  }

  /** Wait for the write in flight, if any, without writing more (before closing the descriptor after a failure). */
  async settled(): Promise<void> {
    await this.inFlight;
  }
}

/** Writes to a stream (a pipe, a socket, a terminal), waiting for 'drain' when it is full. */
export class StreamSink implements ByteSink {
  /** `written`: as FdSink's. */
  constructor(private readonly stream: NodeJS.WritableStream, private readonly written?: (b: Buffer) => void) {}

  async write(b: Buffer): Promise<void> {
    const written = this.written;
    const more = written ? this.stream.write(b, (e) => { if (!e) written(b); }) : this.stream.write(b);
    if (!more) await new Promise((r) => this.stream.once('drain', r));
  }

  async end(): Promise<void> {}
}

/**
 * Standard output as a sink. A regular file or a character device (`> file`, `> /dev/null`) is
 * written with FdSink; a pipe, socket or terminal goes through process.stdout (Node keeps those
 * non-blocking), whose 'error' handler in cli.ts ends the command on EPIPE/ENOSPC. FdSink's
 * errors are handed to that same handler, so every output reports failures alike.
 */
export function stdoutSink(written?: (b: Buffer) => void): ByteSink {
  let st: fs.Stats | undefined;
  try { st = fs.fstatSync(1); } catch { /* closed: process.stdout reports it */ }
  if (!st || !(st.isFile() || (st.isCharacterDevice() && !tty.isatty(1)))) return new StreamSink(process.stdout, written);
  const sink = new FdSink(1, BATCH_BYTES, written);
  const handOver = async (p: Promise<void>): Promise<void> => {
    try { await p; } catch (e) {
      process.stdout.emit('error', e);
      throw e;
    }
  };
  return { write: (b) => handOver(sink.write(b)), end: () => handOver(sink.end()) };
}

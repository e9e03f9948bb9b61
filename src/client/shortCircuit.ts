/**
 * Short-circuit I/O (as Alluxio's, alluxio.user.short.circuit.enabled): a client on the same host
 * as a worker reads block files and writes temp block files itself, with large positional reads
 * and writes, instead of receiving or sending every byte over the worker's data stream. The worker
 * locks (read) or creates and reserves (write) the block and answers with its file's path over a
 * bidi stream that is the session (src/server/worker/localSessions.ts): ending it releases the
 * lock or commits the block, cancelling it aborts the block.
 *
 * Used only for a worker whose advertised host resolves to an address of one of this process's
 * network interfaces (loopback included), and only while the client can open its files: a file it
 * cannot open (another user's worker folder, another host's file system behind the same name)
 * sends that block through the data stream and the worker is not tried again for a while.
 * docs/architecture.md, Short-circuit I/O.
 */
import os from 'node:os';
import dns from 'node:dns/promises';
import fsp from 'node:fs/promises';
import type * as grpc from '@grpc/grpc-js';
import type { Config } from '../conf/index.js';
import { fromServiceError } from '../rpc.js';
import { createLogger, type Logger } from '../log.js';
import { FailedPreconditionError, UnavailableError } from '../errors.js';
import { WORKER_CONNECT_TIMEOUT_MS, type WorkerClient } from './workerClient.js';
import type { BufferPool } from '../bufferPool.js';

/** Bytes per read of a block file (and the most a write is split into). */
export const LOCAL_READ_BUFFER = 4 * 1024 * 1024;
/** A write session reserves space in steps of this much (at most up to the block size). */
const RESERVE_STEP = 16 * 1024 * 1024;
/** How long a worker whose files this client could not open is not tried again. */
const UNUSABLE_MS = 60_000;

/**
 * The block file of a local worker could not be opened by this client (permissions, not the
 * same file system): the caller uses the worker's data stream for it.
 */
export class LocalFileUnusableError extends Error {}

/** The client side of one session stream: requests out, answers in order, keep-alives. */
class Session {
  private answers: any[] = [];
  private waiting: { resolve: (v: any) => void; reject: (e: Error) => void } | undefined;
  /** Set when the stream is over (worker error, end, cancel): no lock or reservation is held any more. */
  failure: Error | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private overNow!: () => void;
  /** Resolves when the stream is over. */
  readonly over$ = new Promise<void>((r) => { this.overNow = r; });

  constructor(private readonly call: grpc.ClientDuplexStream<any, any>, private readonly target: string, what: string) {
    call.on('data', (msg: any) => {
      if (this.waiting) { const w = this.waiting; this.waiting = undefined; w.resolve(msg); } else this.answers.push(msg);
    });
    call.on('error', (e: grpc.ServiceError) => this.over(e?.metadata ? fromServiceError(e, target) : e));
    call.on('end', () => this.over(new UnavailableError(`${target} ended the ${what} session`)));
  }

  private over(e: Error): void {
    this.failure ??= e;
    this.overNow();
    clearInterval(this.keepAliveTimer);
    if (this.waiting) { const w = this.waiting; this.waiting = undefined; w.reject(this.failure); }
  }

  send(msg: unknown): void { if (!this.failure) this.call.write(msg); }

  /** The next answer; rejects when the session is over first, or after WORKER_CONNECT_TIMEOUT_MS (a frozen worker). */
  next(what: string, timeoutMs = WORKER_CONNECT_TIMEOUT_MS): Promise<any> {
    if (this.answers.length) return Promise.resolve(this.answers.shift());
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        this.cancel();
        reject(new UnavailableError(`${this.target} is unavailable: no answer to ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = { resolve: (v) => { clearTimeout(timer); resolve(v); }, reject: (e) => { clearTimeout(timer); reject(e); } };
    });
  }

  /** Keep the session alive: a request at a third of the worker's session timeout. */
  keepAlive(sessionTimeoutMs: number, msg: unknown): void {
    const every = Math.max(100, Math.floor(Number(sessionTimeoutMs) / 3) || 20_000);
    this.keepAliveTimer = setInterval(() => this.send(msg), every);
    this.keepAliveTimer.unref();
  }

  /** End the session normally (the worker releases the lock or commits the block). */
  end(): void { clearInterval(this.keepAliveTimer); if (!this.failure) this.call.end(); }

  /** Abandon the session (the worker aborts a block being written). */
  cancel(): void { clearInterval(this.keepAliveTimer); this.failure ??= new FailedPreconditionError('session cancelled'); this.call.cancel(); }
}

export class ShortCircuit {
  readonly enabled: boolean;
  readonly log: Logger;
  /** Is this host one of ours? By worker host name, resolved once. */
  private localHosts = new Map<string, Promise<boolean>>();
  /** Workers (host:port) whose files this client could not open, until when. */
  private unusable = new Map<string, number>();

  constructor(conf: Config, log?: Logger) {
    this.enabled = conf.getBool('alluxio.user.short.circuit.enabled');
    // Debug lines go to stderr: stdout may carry file data (fs cat).
    this.log = log ?? createLogger('ShortCircuit', (l) => process.stderr.write(l + '\n'));
  }

  /** Short-circuit may be used with the worker at `addr` (enabled, on this host, its files openable). */
  async usable(addr: { host: string; rpcPort: number }): Promise<boolean> {
    if (!this.enabled) return false;
    const key = `${addr.host}:${addr.rpcPort}`;
    const until = this.unusable.get(key);
    if (until !== undefined) {
      if (Date.now() < until) return false;
      this.unusable.delete(key);
    }
    return this.isLocal(addr.host);
  }

  /**
   * Is `host` this host: does it resolve to an address of one of this process's network
   * interfaces (resolved once per name)? The client's one notion of locality: short-circuit,
   * the order in which a block's holders are tried, and the worker a write goes to.
   */
  isLocal(host: string): Promise<boolean> {
    let local = this.localHosts.get(host);
    if (!local) this.localHosts.set(host, (local = isLocalHost(host)));
    return local;
  }

  private markUnusable(target: string, what: string, e: unknown): LocalFileUnusableError {
    this.unusable.set(target, Date.now() + UNUSABLE_MS);
    const msg = `cannot open ${what} of worker ${target} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): using its data stream instead, and for the next ${UNUSABLE_MS / 1000} s`;
    this.log.debug(msg);
    return new LocalFileUnusableError(msg);
  }

  /**
   * Bytes [from, length) of block `blockId`, read from its file on the local worker `c` in buffers
   * of LOCAL_READ_BUFFER, new ones, or with `buffers` ones taken from that pool (of its size; the
   * consumer gives them back). Throws LocalFileUnusableError (before any byte) when the file cannot
   * be opened; a session the worker ends meanwhile fails the read (the bytes are then not trusted).
   */
  async *read(c: WorkerClient, blockId: number, from: number, length: number, promote: boolean, buffers?: BufferPool): AsyncGenerator<Buffer> {
    const s = new Session(await c.openLocalBlock(), c.address, 'short-circuit read');
    try {
      s.send({ blockId, promote });
      const r = await s.next(`a short-circuit read of block ${blockId}`);
      s.keepAlive(r.sessionTimeoutMs, { keepAlive: true });
      if (Number(r.length) !== length) throw new FailedPreconditionError(`block ${blockId} on ${c.address} is ${r.length} bytes, the master says ${length}`);
      let fh: fsp.FileHandle;
      try { fh = await fsp.open(String(r.path), 'r'); } catch (e) { throw this.markUnusable(c.address, `block file ${r.path}`, e); }
      this.log.debug(`short-circuit read of block ${blockId} (${length} bytes) from ${r.path}`);
      try {
        const step = buffers?.bufferBytes ?? LOCAL_READ_BUFFER;
        for (let pos = from; pos < length;) {
          const n = Math.min(step, length - pos);
          const buf = buffers ? buffers.take(n) : Buffer.allocUnsafe(n);
          try {
            for (let got = 0; got < n;) {
              const { bytesRead } = await fh.read(buf, got, n - got, pos + got);
              if (bytesRead === 0) throw new FailedPreconditionError(`block file ${r.path} of block ${blockId} ends at ${pos + got}, expected ${length} bytes`);
              got += bytesRead;
            }
            if (s.failure) throw s.failure; // the lock may be gone: these bytes are not trusted
          } catch (e) {
            buffers?.give(buf); // never handed out
            throw e;
          }
          pos += n;
          yield buf;
        }
      } finally { await fh.close(); }
    } finally { s.end(); }
  }

  /**
   * A new block written straight into its temp file on the local worker `c`; close() commits it.
   * Throws LocalFileUnusableError when the temp file cannot be opened (the session is cancelled:
   * the worker aborts the block).
   */
  async create(c: WorkerClient, blockId: number, blockSize: number, pinned: boolean, tierAlias = ''): Promise<LocalBlockWriter> {
    const s = new Session(await c.createLocalBlock(), c.address, 'short-circuit write');
    try {
      s.send({ blockId, tierAlias, spaceToReserve: Math.min(blockSize, RESERVE_STEP), pinned });
      const r = await s.next(`a short-circuit write of block ${blockId}`);
      s.keepAlive(r.sessionTimeoutMs, { keepAlive: true });
      let fh: fsp.FileHandle;
      try { fh = await fsp.open(String(r.path), 'r+'); } catch (e) {
        // The worker aborts the block before the caller writes it again through the data stream (same id).
        s.send({ abort: true });
        await Promise.race([s.over$, new Promise((res) => setTimeout(res, WORKER_CONNECT_TIMEOUT_MS).unref())]);
        throw this.markUnusable(c.address, `temp block file ${r.path}`, e);
      }
      this.log.debug(`short-circuit write of block ${blockId} to ${r.path}`);
      return new LocalBlockWriter(s, fh, blockId, blockSize, Number(r.reserved), c.address);
    } catch (e) {
      s.cancel();
      throw e;
    }
  }
}

/** A block being written into its temp file on a local worker (same methods as the data stream's UploadStream). */
export class LocalBlockWriter {
  private written = 0;
  private closed = false;

  constructor(private readonly s: Session, private readonly fh: fsp.FileHandle, readonly blockId: number,
    private readonly blockSize: number, private reserved: number, private readonly target: string) {}

  async write(buf: Buffer): Promise<void> {
    if (this.s.failure) throw this.s.failure;
    const end = this.written + buf.length;
    if (end > this.reserved) {
      // More space, in steps (a block never needs more than its size, unless the caller writes more).
      const more = Math.max(end - this.reserved, Math.min(RESERVE_STEP, this.blockSize - this.reserved));
      this.s.send({ spaceToReserve: more });
      this.reserved = Number((await this.s.next(`reserving ${more} bytes for block ${this.blockId}`)).reserved);
      if (this.reserved < end) throw new FailedPreconditionError(`${this.target} reserved ${this.reserved} bytes for block ${this.blockId}, ${end} needed`);
    }
    for (let off = 0; off < buf.length;) {
      const { bytesWritten } = await this.fh.write(buf, off, buf.length - off, this.written + off);
      off += bytesWritten;
    }
    this.written = end;
    if (this.s.failure) throw this.s.failure;
  }

  /**
   * End the session: the worker commits the block; resolves with { length }, then closes the
   * file. When the commit fails the file stays open for readBack() (until cancel()).
   */
  async close(): Promise<{ length: number }> {
    if (this.s.failure) throw this.s.failure;
    this.s.end();
    const r = await this.s.next(`the commit of block ${this.blockId}`, 60_000);
    if (!r.committed) throw new FailedPreconditionError(`${this.target} did not commit block ${this.blockId}`);
    this.closed = true;
    await this.fh.close();
    return { length: Number(r.length) };
  }

  /**
   * The first `length` bytes written, read back from the open file (for a retry on another
   * worker: the client keeps no copy of a local block; an abort's or a restart's unlink leaves
   * the open file readable).
   */
  async readBack(length: number): Promise<Buffer> {
    if (length > this.written) throw new FailedPreconditionError(`block ${this.blockId}: ${length} bytes asked back, ${this.written} were written`);
    const buf = Buffer.allocUnsafe(length);
    for (let n = 0; n < length;) {
      const { bytesRead } = await this.fh.read(buf, n, length - n, n);
      if (bytesRead === 0) throw new FailedPreconditionError(`temp block file of block ${this.blockId} on ${this.target} ends at ${n} bytes, ${length} were written`);
      n += bytesRead;
    }
    return buf;
  }

  /** Abandon the block: the worker aborts it. */
  cancel(): void {
    this.s.cancel();
    if (!this.closed) { this.closed = true; void this.fh.close().catch(() => {}); }
  }
}

/** Does `host` resolve to an address of one of this process's network interfaces? */
export async function isLocalHost(host: string): Promise<boolean> {
  const mine = new Set(Object.values(os.networkInterfaces()).flatMap((l) => (l ?? []).map((i) => i.address)));
  try {
    const addrs = await dns.lookup(host, { all: true });
    return addrs.some((a) => mine.has(a.address));
  } catch {
    return false;
  }
}

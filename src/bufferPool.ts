/**
 * Buffers a reader lends to its consumer and gets back (FileSystem.read's `buffers` option): the
 * client reads the next bytes into memory the consumer returned instead of into new memory.
 * A new multi-MiB buffer is fresh pages from the kernel: every read into one page-faults on each
 * of its pages, and freeing it unmaps them again (a tmpfs file read into fresh 4 MiB buffers goes
 * at about half the speed of reads into reused ones, docs/benchmarks.md bench:io).
 *
 * The contract: the consumer calls give(b) once it is done with a buffer the read yielded; after
 * that its bytes belong to the next read. Buffers it does not give back are simply
 * garbage-collected (new memory is allocated instead), so forgetting one costs speed, never data.
 * give() of a buffer the read did not lend, or of the same buffer twice, does nothing.
 *
 * Memory is counted per ArrayBuffer: one buffer of a pool may carry several lent views (the data
 * channel's socket reads land in 4 MiB slabs, src/dataProtocol.ts, and each DATA frame's payload is
 * a view of one); it goes back to its pool's free list when the last hold on it is dropped.
 * give() on any pool returns a view to the pool it came from.
 */
export class BufferPool {
  private free: ArrayBuffer[] = [];

  /** `bufferBytes`: size of each buffer; at most `keep` free ones are held. */
  constructor(readonly bufferBytes: number, private readonly keep = 8) {
    if (!Number.isInteger(bufferBytes) || bufferBytes <= 0) throw new RangeError(`BufferPool: buffer size must be a positive integer, not ${bufferBytes}`);
  }

  /** A buffer of `n` bytes (n <= bufferBytes), lent: one given back before, else a new one. */
  take(n = this.bufferBytes): Buffer {
    const b = this.takeHeld(n);
    lentViews.add(b);
    return b;
  }

  /**
   * A buffer of `n` bytes with one hold on its memory that only drop() releases (not lent: for
   * an owner that hands out views of it with lend()).
   */
  takeHeld(n = this.bufferBytes): Buffer {
    if (n > this.bufferBytes) throw new RangeError(`BufferPool: ${n} bytes asked from a pool of ${this.bufferBytes}-byte buffers`);
    // Not zeroed (malloc, not calloc: zeroing reused heap memory showed as memset in the kept-buffer
    // read profile); every user overwrites the bytes it exposes (socket reads, file reads, copies).
    const ab = this.free.pop() ?? (Buffer.allocUnsafeSlow(this.bufferBytes).buffer as ArrayBuffer);
    holds.set(ab, { pool: this, n: 1 });
    return Buffer.from(ab, 0, n);
  }

  /** Give back a buffer the read lent (to the pool it came from, whichever that is). */
  give(b: Uint8Array): void { BufferPool.give(b); }

  static give(b: Uint8Array): void {
    if (!lentViews.delete(b)) return;
    BufferPool.drop(b);
  }

  /** One more hold on the memory of `b` (nothing for memory no pool owns). */
  static hold(b: Uint8Array): void {
    const h = holds.get(b.buffer as ArrayBuffer);
    if (h) h.n++;
  }

  /** `b`, held (hold) and lent to a consumer who gives it back with give(). */
  static lend(b: Buffer): Buffer {
    if (!holds.has(b.buffer as ArrayBuffer)) return b;
    BufferPool.hold(b);
    lentViews.add(b);
    return b;
  }

  /** Drop one hold on the memory of `b`; the last one returns it to its pool. */
  static drop(b: Uint8Array): void {
    const ab = b.buffer as ArrayBuffer;
    const h = holds.get(ab);
    if (!h) return;
    if (--h.n > 0) return;
    holds.delete(ab);
    if (h.pool.free.length < h.pool.keep) h.pool.free.push(ab);
  }

  /** Free buffers held now (tests). */
  get held(): number { return this.free.length; }
}

/** Memory pools own and hand out: its pool and how many holds are on it. */
const holds = new WeakMap<ArrayBuffer, { pool: BufferPool; n: number }>();
/** The views lent to consumers and not given back yet. */
const lentViews = new WeakSet<Uint8Array>();

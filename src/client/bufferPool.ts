/**
 * Buffers a reader lends to its consumer and gets back (FileSystem.read's `buffers` option): the
 * client reads the next bytes into a buffer the consumer returned instead of into new memory.
 * A new multi-MiB buffer is fresh pages from the kernel: every read into one page-faults on each
 * of its pages, and freeing it unmaps them again (a tmpfs file read into fresh 4 MiB buffers goes
 * at about half the speed of one read into reused ones, docs/benchmarks.md bench:io).
 *
 * The contract: the consumer calls give(b) once it is done with a buffer the read yielded (also a
 * view of it); after that the buffer's bytes belong to the next read. Buffers it does not give
 * back are simply garbage-collected (a new one is allocated instead), so forgetting one costs
 * speed, never data; a buffer not from this pool is ignored by give().
 */
export class BufferPool {
  private free: ArrayBuffer[] = [];
  /** Every buffer this pool allocated and has lent out (weakly: one never given back is collected). */
  private readonly lent = new WeakSet<ArrayBuffer>();

  /** `bufferBytes`: size of each buffer; at most `keep` free ones are held. */
  constructor(readonly bufferBytes: number, private readonly keep = 8) {
    if (!Number.isInteger(bufferBytes) || bufferBytes <= 0) throw new RangeError(`BufferPool: buffer size must be a positive integer, not ${bufferBytes}`);
  }

  /** A buffer of `n` bytes (n <= bufferBytes): one given back before, else a new one. */
  take(n = this.bufferBytes): Buffer {
    if (n > this.bufferBytes) throw new RangeError(`BufferPool: ${n} bytes asked from a pool of ${this.bufferBytes}-byte buffers`);
    const ab = this.free.pop() ?? new ArrayBuffer(this.bufferBytes);
    this.lent.add(ab);
    return Buffer.from(ab, 0, n);
  }

  /**
   * Give back a buffer (or a view of one) that take() lent: it may be handed out again at once.
   * Anything else, or one given back twice, is ignored.
   */
  give(b: Uint8Array): void {
    const ab = b.buffer as ArrayBuffer;
    if (!this.lent.has(ab)) return;
    this.lent.delete(ab);
    if (this.free.length < this.keep) this.free.push(ab);
  }

  /** Free buffers held now (tests). */
  get held(): number { return this.free.length; }
}

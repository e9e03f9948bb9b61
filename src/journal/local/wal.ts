/**
 * Append-only segmented write-ahead log for the local journal.
 *
 * Layout: `<dir>/<20-digit first index>.log`. Each segment starts with a 16-byte header
 * (magic `AXJLWAL1`, u64 LE first index, which must match the file name), followed by records:
 *
 * ```
 * off 0   u32 LE  payload length (> 0)
 * off 4   u32 LE  crc32 of the payload (zlib.crc32)
 * off 8   u32 LE  crc32 of bytes 0..7 (header check: a damaged length is caught before it is trusted,
 *                  so a flipped bit in a length field is never mistaken for a torn tail)
 * off 12  payload bytes (the caller's encoding; the local journal uses UTF-8 JSON)
 * ```
 *
 * Record indexes are implicit: the segment's first index plus the record's position. Segments are
 * rolled (a new file started) before a batch once the active one reaches `segmentBytes`; a batch is
 * never split across segments. A new segment is preallocated to `segmentBytes` (a sparse file of
 * zeros), so that a durable write lands inside the file instead of growing it (no file size to
 * commit with each write: ~45 µs less per O_DSYNC write of a few hundred bytes on ext4 here).
 * With durability on, the space just ahead of the records is also written with zeros, a chunk
 * (ZERO_CHUNK_BYTES) at a time in the background (see `zeroAhead`): a durable write into a hole
 * allocates the block, and that allocation is file-system metadata that the write's sync must
 * commit (an ext4 journal transaction, serialised across the whole file system) about once per
 * 4 KiB block, i.e. every ~12 records of the embedded journal; a write over blocks already
 * written is data only. Not on tmpfs: memory has no such metadata, the zeros would only take
 * room (and make a full tmpfs show later). Zero bytes after the last record are that unused
 * space, not damage.
 *
 * Recovery on open (see `Wal.open`): an incomplete or damaged record at the very end of the LAST
 * segment, with no valid record anywhere after it, is a torn tail of a write that was never
 * acknowledged: it is truncated away and reported as a warning. Any other damage is a
 * JournalCorruptError naming file, byte offset and record index; nothing is ever deleted for it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { promisify } from 'node:util';
import { InternalError, JournalCorruptError } from '../../errors.js';
import { fsyncDir, readdirOrEmpty } from '../../fsutil.js';
import { journalMetrics } from '../../metrics/index.js';

const writeAsync = promisify(fs.write);

export const SEGMENT_MAGIC = Buffer.from('AXJLWAL1', 'latin1');
export const SEGMENT_HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 12;
/** Upper bound on one record's payload; anything larger is refused at append and is damage at read. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

const CORRUPT_HINT =
  'the journal is damaged; restore the journal folder from a checkpoint/backup (the files were left untouched, nothing was deleted)';

/** `00000000000000000042.log` for first index 42. */
export function segmentFileName(firstIndex: number): string {
  return `${String(firstIndex).padStart(20, '0')}.log`;
}
const SEGMENT_NAME_RE = /^(\d{20})\.log$/;

interface Segment {
  /** Index of the first record this segment holds (or would hold when empty). */
  readonly first: number;
  readonly file: string;
}

export interface WalOpenOptions {
  /** The log folder (created if missing). */
  dir: string;
  /** Roll to a new segment once the active one reaches this size. */
  segmentBytes?: number;
  /** Make each batch durable (O_DSYNC writes) and fsync directories (default true). Off only for tests and benches. */
  fsync?: boolean;
  /**
   * Entries up to this index are covered by the loaded checkpoint: they are not handed to `onRecord`,
   * segments holding only such entries are not even read, and a log that starts after it is an error.
   */
  coveredIndex: number;
  /** Called, in index order, with each valid record whose index is > coveredIndex, and the segment file holding it. */
  onRecord: (payload: Buffer, index: number, file: string) => void;
}

/** Why a record at a given offset is not valid, or null when a valid record starts there. */
export function recordProblem(buf: Buffer, off: number): string | null {
  const left = buf.length - off;
  if (left < RECORD_HEADER_BYTES) return `incomplete record header (${left} of ${RECORD_HEADER_BYTES} bytes)`;
  const len = buf.readUInt32LE(off);
  if (crc32(buf.subarray(off, off + 8)) !== buf.readUInt32LE(off + 8)) return 'record header checksum mismatch';
  if (len === 0 || len > MAX_RECORD_BYTES) return `invalid record length ${len}`;
  if (len > left - RECORD_HEADER_BYTES) return `incomplete record payload (${left - RECORD_HEADER_BYTES} of ${len} bytes)`;
  const start = off + RECORD_HEADER_BYTES;
  if (crc32(buf.subarray(start, start + len)) !== buf.readUInt32LE(off + 4)) return 'record payload checksum mismatch';
  return null;
}

/**
 * Whether any valid record starts anywhere in `buf` after `from`. Used to tell a torn tail (nothing
 * valid follows the damage) from corruption in the middle. Cheap per offset: most offsets fail the
 * length plausibility test before any checksum is computed.
 */
export function validRecordAfter(buf: Buffer, from: number, dataEnd: number): number | undefined {
  // A record starts with a non-zero length, so none starts at or after `dataEnd`.
  const end = Math.min(buf.length - RECORD_HEADER_BYTES, dataEnd - 1);
  for (let off = from + 1; off <= end; off++) {
    const len = buf.readUInt32LE(off);
    if (len === 0 || len > end - off) continue;
    if (recordProblem(buf, off) === null) return off;
  }
  return undefined;
}

const ZEROS = Buffer.alloc(64 * 1024);

/** How much of the active segment is written with zeros ahead of the records at a time (see zeroAhead). */
export const ZERO_CHUNK_BYTES = 1024 * 1024;
let zeroChunk: Buffer | undefined;
const TMPFS_MAGIC = 0x01021994;

/** Whether writing zeros ahead pays off in `dir` (see the file comment): not on tmpfs. */
function zeroFillPays(dir: string): boolean {
  try { return fs.statfsSync(dir).type !== TMPFS_MAGIC; } catch { return true; }
}

/** Offset just past the last non-zero byte of `buf` at or after `from` (`from` when none). */
export function endOfData(buf: Buffer, from: number): number {
  let end = buf.length;
  while (end > from) {
    const start = Math.max(from, end - ZEROS.length);
    if (!buf.subarray(start, end).equals(ZEROS.subarray(0, end - start))) break;
    end = start;
  }
  while (end > from && buf[end - 1] === 0) end--;
  return end;
}

export class Wal {
  private readonly dir: string;
  private readonly segmentBytes: number;
  private readonly doFsync: boolean;
  /** All segments, oldest first; the last one is the active (appended) one. */
  private segments: Segment[] = [];
  private fd = -1;
  /** Bytes in the active segment (next write position). */
  private size = 0;
  /** Records in the active segment. */
  private activeCount = 0;
  private last = 0;
  private appending = false;
  /** Bytes of the active segment known to be written (records or zeros): appends below it allocate nothing. */
  private zeroedTo = 0;
  /** The background zero fill in flight (zeroAhead), if any. */
  private filling: Promise<void> | undefined;
  /** Bumped whenever the active segment changes or is cut back: a fill started before does not count. */
  private fillGen = 0;
  /** A zero fill failed (a full disk) in this segment: appends write into the holes, as without it. */
  private fillBroken = false;
  /** Zero fills done (test/bench hook). */
  zeroFills = 0;
  /** Write zeros ahead of the records (durability on, not on tmpfs). */
  private zeroFill = false;
  /** Number of durable batch writes done (test/bench hook for group commit). */
  syncs = 0;
  /** Number of batches appended. */
  batches = 0;

  private constructor(dir: string, segmentBytes: number, doFsync: boolean) {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    this.doFsync = doFsync;
  }

  /** Index of the last durable record (or the covered index when the log holds nothing newer). */
  get lastIndex(): number {
    return this.last;
  }

  /** File names of the segments (oldest first), for tests and tools. */
  segmentFiles(): string[] {
    return this.segments.map((s) => s.file);
  }

  /** First indexes of the segment files in `dir`, sorted (without reading them). */
  static listSegments(dir: string): number[] {
    const names = readdirOrEmpty(dir);
    const firsts: number[] = [];
    for (const n of names) {
      const m = SEGMENT_NAME_RE.exec(n);
      if (m) firsts.push(Number(m[1]));
    }
    return firsts.sort((a, b) => a - b);
  }

  /**
   * Scan the log, hand every record after `coveredIndex` to `onRecord`, repair a torn tail, and
   * return a Wal ready to append after the last valid record. Warnings are returned, not logged.
   */
  static open(opts: WalOpenOptions): { wal: Wal; warnings: string[] } {
    const warnings: string[] = [];
    const wal = new Wal(opts.dir, opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES, opts.fsync ?? true);
    fs.mkdirSync(opts.dir, { recursive: true });
    wal.zeroFill = wal.doFsync && zeroFillPays(opts.dir);
    const covered = opts.coveredIndex;
    const firsts = Wal.listSegments(opts.dir);
    wal.segments = firsts.map((first) => ({ first, file: path.join(opts.dir, segmentFileName(first)) }));

    if (wal.segments.length === 0) {
      wal.startSegment(covered + 1);
      wal.last = covered;
      return { wal, warnings };
    }
    if (firsts[0]! > covered + 1) {
      throw new JournalCorruptError(
        `journal log in ${opts.dir} starts at entry ${firsts[0]} but the checkpoint covers entries only up to ${covered}: entries ${covered + 1}..${firsts[0]! - 1} are missing`,
        { hint: CORRUPT_HINT },
      );
    }

    // End index of the previous scanned segment; -1 until the first scanned one.
    let prevEnd = -1;
    const lastSeg = wal.segments.length - 1;
    for (let i = 0; i <= lastSeg; i++) {
      const seg = wal.segments[i]!;
      const isLast = i === lastSeg;
      // A non-last segment whose successor starts at or before covered+1 holds only covered entries.
      if (!isLast && wal.segments[i + 1]!.first <= covered + 1) continue;
      if (prevEnd >= 0 && seg.first !== prevEnd + 1) {
        throw new JournalCorruptError(
          seg.first > prevEnd + 1
            ? `journal log is missing entries ${prevEnd + 1}..${seg.first - 1}: the segment before ${seg.file} ends at ${prevEnd}`
            : `journal segment ${seg.file} starts at entry ${seg.first} but the previous segment already holds entries up to ${prevEnd}`,
          { hint: CORRUPT_HINT },
        );
      }
      const { count, validEnd } = wal.scanSegment(seg, isLast, covered, opts.onRecord, warnings);
      prevEnd = seg.first + count - 1;
      if (isLast) {
        wal.fd = fs.openSync(seg.file, wal.appendFlags());
        wal.size = validEnd;
        wal.zeroedTo = validEnd; // what lies beyond may be holes
        wal.activeCount = count;
        wal.last = prevEnd;
      }
    }

    if (wal.last < covered) {
      // The log ends before the checkpoint (it was trimmed by hand, or lost with fsync off): start a
      // new segment right after the checkpoint so indexes stay unique; the old ones are all covered.
      warnings.push(
        `journal log in ${opts.dir} ends at entry ${wal.last}, before the checkpoint at ${covered}; continuing after the checkpoint`,
      );
      fs.closeSync(wal.fd);
      wal.startSegment(covered + 1);
      wal.last = covered;
    }
    return { wal, warnings };
  }

  /**
   * Validate one segment, feeding its records to `onRecord`. Returns the number of valid records and
   * the byte offset where they end. Repairs a torn tail of the last segment (see the file comment).
   */
  private scanSegment(
    seg: Segment,
    isLast: boolean,
    covered: number,
    onRecord: (payload: Buffer, index: number, file: string) => void,
    warnings: string[],
  ): { count: number; validEnd: number } {
    const buf = fs.readFileSync(seg.file);
    const corrupt = (offset: number, index: number | undefined, why: string): JournalCorruptError =>
      new JournalCorruptError(
        `journal segment ${seg.file} is corrupt at byte offset ${offset}` +
          (index === undefined ? '' : ` (record index ${index})`) + `: ${why}`,
        { hint: CORRUPT_HINT },
      );

    if (buf.length < SEGMENT_HEADER_BYTES) {
      if (!isLast) throw corrupt(0, undefined, `segment header is incomplete (${buf.length} bytes)`);
      // Crash while creating the segment: nothing was ever appended to it. Rewrite its header.
      warnings.push(
        `journal: repaired torn segment header of ${seg.file} at byte offset 0: dropped ${buf.length} bytes`,
      );
      this.writeSegmentHeader(seg.file, seg.first);
      return { count: 0, validEnd: SEGMENT_HEADER_BYTES };
    }
    if (!buf.subarray(0, 8).equals(SEGMENT_MAGIC)) throw corrupt(0, undefined, 'not a journal segment (bad magic)');
    const headerFirst = Number(buf.readBigUInt64LE(8));
    if (headerFirst !== seg.first) {
      throw corrupt(8, undefined, `header says first entry ${headerFirst} but the file name says ${seg.first}`);
    }

    let off = SEGMENT_HEADER_BYTES;
    let count = 0;
    // Zeros after the last record are preallocated space never written to: the log ends there.
    const dataEnd = endOfData(buf, off);
    while (off < dataEnd) {
      const problem = recordProblem(buf, off);
      const index = seg.first + count;
      if (problem !== null) {
        if (!isLast) throw corrupt(off, index, `${problem}, in a segment that is not the last one`);
        const later = validRecordAfter(buf, off, dataEnd);
        if (later !== undefined) {
          throw corrupt(off, index, `${problem}, and a valid record follows at byte offset ${later}`);
        }
        const dropped = dataEnd - off;
        const fd = fs.openSync(seg.file, 'r+');
        try {
          // Cut the torn bytes, keeping the preallocated size (zeros from `off` on).
          fs.ftruncateSync(fd, off);
          fs.ftruncateSync(fd, Math.max(off, buf.length));
          if (this.doFsync) fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
        warnings.push(
          `journal: truncated torn tail of ${seg.file} at byte offset ${off}: dropped ${dropped} bytes (${problem}; ` +
            `the write of entry ${index} and later was interrupted and never acknowledged)`,
        );
        break;
      }
      const len = buf.readUInt32LE(off);
      const start = off + RECORD_HEADER_BYTES;
      if (index > covered) onRecord(buf.subarray(start, start + len), index, seg.file);
      off = start + len;
      count++;
    }
    return { count, validEnd: off };
  }

  private writeSegmentHeader(file: string, first: number): void {
    const hdr = Buffer.alloc(SEGMENT_HEADER_BYTES);
    SEGMENT_MAGIC.copy(hdr, 0);
    hdr.writeBigUInt64LE(BigInt(first), 8);
    const fd = fs.openSync(file, 'w');
    try {
      fs.writeSync(fd, hdr, 0, hdr.length, 0);
      // The header is durable before the file grows: a crash never leaves a long file of zeros
      // without its header.
      if (this.doFsync) fs.fsyncSync(fd);
      fs.ftruncateSync(fd, Math.max(SEGMENT_HEADER_BYTES, this.segmentBytes));
      if (this.doFsync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (this.doFsync) fsyncDir(this.dir);
  }

  /**
   * The active segment is opened with O_DSYNC when durability is on: each write returns only once
   * its data (and the file size) is on stable storage, as write + fdatasync would, in one system
   * call and one trip through libuv's thread pool instead of two.
   */
  private appendFlags(): number {
    return fs.constants.O_RDWR | (this.doFsync ? fs.constants.O_DSYNC : 0);
  }

  /** Create a new, empty active segment starting at `first` and open it for appending. */
  private startSegment(first: number): void {
    const file = path.join(this.dir, segmentFileName(first));
    this.writeSegmentHeader(file, first);
    const existing = this.segments.findIndex((s) => s.first === first);
    if (existing >= 0) this.segments.splice(existing, 1);
    this.segments.push({ first, file });
    this.fd = fs.openSync(file, this.appendFlags());
    this.size = SEGMENT_HEADER_BYTES;
    this.activeCount = 0;
    this.zeroedTo = SEGMENT_HEADER_BYTES;
    this.fillGen++;
    this.fillBroken = false;
  }

  /**
   * Write zeros over the holes of the active segment from `zeroedTo` on, ZERO_CHUNK_BYTES at a
   * time (at least up to `need`, never past the segment's preallocated size), so that the records
   * appended there later overwrite written blocks instead of allocating them (see the file
   * comment): one allocation, committed once, per chunk instead of one per 4 KiB block. Runs
   * beside appends (they write below `zeroedTo`, the fill at or above it). Never fails: with no
   * room for the zeros (a full disk), appends just write into the holes as before.
   */
  private async zeroAhead(need: number): Promise<void> {
    const from = this.zeroedTo;
    const to = Math.min(this.segmentBytes, Math.max(need, from + ZERO_CHUNK_BYTES));
    if (to <= from || this.fillBroken) return;
    const gen = this.fillGen;
    const fd = this.fd;
    zeroChunk ??= Buffer.alloc(ZERO_CHUNK_BYTES);
    try {
      for (let off = from; off < to && gen === this.fillGen;) {
        const { bytesWritten } = await writeAsync(fd, zeroChunk, 0, Math.min(zeroChunk.length, to - off), off);
        off += bytesWritten;
      }
      if (gen === this.fillGen) {
        this.zeroedTo = Math.max(this.zeroedTo, to);
        this.zeroFills++;
      }
    } catch {
      if (gen === this.fillGen) this.fillBroken = true;
    }
  }

  /** Start filling the next chunk in the background once less than half a chunk of zeros is left. */
  private maybeZeroAhead(): void {
    if (!this.zeroFill || this.filling || this.fillBroken || this.zeroedTo >= this.segmentBytes) return;
    if (this.zeroedTo - this.size >= ZERO_CHUNK_BYTES / 2) return;
    const p: Promise<void> = this.zeroAhead(this.size).finally(() => { if (this.filling === p) this.filling = undefined; });
    this.filling = p;
  }

  /**
   * Append a batch of payloads as consecutive records: one durable write (group commit).
   * Returns the index of the first record. Not re-entrant: the caller runs a single flusher.
   */
  async append(payloads: readonly Buffer[]): Promise<number> {
    if (this.fd < 0) throw new InternalError('journal log is closed');
    if (this.appending) throw new InternalError('concurrent Wal.append calls (the journal must run a single flusher)');
    this.appending = true;
    try {
      if (this.size >= this.segmentBytes && this.activeCount > 0) {
        await this.filling; // it writes through the old segment's descriptor
        // Roll: the previous batch is already durable; the new segment is created and its directory
        // entry synced before any record goes into it. The old segment stays active until the new
        // one exists, so a failed roll (a full disk) can simply be tried again.
        const old = this.fd;
        this.startSegment(this.last + 1);
        fs.closeSync(old);
      }
      let total = 0;
      for (const p of payloads) {
        if (p.length === 0 || p.length > MAX_RECORD_BYTES) throw new InternalError(`invalid journal record size ${p.length}`);
        total += RECORD_HEADER_BYTES + p.length;
      }
      const buf = Buffer.allocUnsafe(total);
      let off = 0;
      for (const p of payloads) {
        buf.writeUInt32LE(p.length, off);
        buf.writeUInt32LE(crc32(p), off + 4);
        buf.writeUInt32LE(crc32(buf.subarray(off, off + 8)), off + 8);
        p.copy(buf, off + RECORD_HEADER_BYTES);
        off += RECORD_HEADER_BYTES + p.length;
      }
      if (this.zeroFill && this.size + total > this.zeroedTo && !this.fillBroken) {
        // The records would reach past the zeros: finish (or do) the fill first.
        await this.filling;
        if (this.size + total > this.zeroedTo) await this.zeroAhead(this.size + total);
      }
      // A regular-file write normally completes in one call; loop in case it is short. With
      // O_DSYNC (see appendFlags) the data is durable when the write returns.
      const t0 = performance.now();
      let done = 0;
      try {
        while (done < total) {
          const { bytesWritten } = await writeAsync(this.fd, buf, done, total - done, this.size + done);
          done += bytesWritten;
        }
      } catch (e) {
        // A failed write (a full disk) may have left part of the batch, whole records included,
        // past the end: cut it back to zeros (truncation needs no space) so that the next batch,
        // written at the same offset, cannot be followed by valid-looking records of this one.
        if (done > 0) {
          await this.filling;
          this.fillGen++;
          this.zeroedTo = this.size; // holes again from here
          fs.ftruncateSync(this.fd, this.size);
          fs.ftruncateSync(this.fd, Math.max(this.size, this.segmentBytes));
          if (this.doFsync) fs.fsyncSync(this.fd);
        }
        throw e;
      }
      journalMetrics.flush.observe(performance.now() - t0);
      if (this.doFsync) this.syncs++;
      this.batches++;
      this.size += total;
      this.activeCount += payloads.length;
      const first = this.last + 1;
      this.last += payloads.length;
      this.maybeZeroAhead();
      return first;
    } finally {
      this.appending = false;
    }
  }

  /**
   * Delete every non-active segment whose records all have index <= `index` (they are covered by a
   * checkpoint). Returns the deleted file paths.
   */
  deleteCoveredSegments(index: number): string[] {
    const deleted: string[] = [];
    while (this.segments.length > 1 && this.segments[1]!.first - 1 <= index) {
      const seg = this.segments.shift()!;
      fs.rmSync(seg.file, { force: true });
      deleted.push(seg.file);
    }
    if (deleted.length > 0 && this.doFsync) fsyncDir(this.dir);
    return deleted;
  }

  close(): void {
    if (this.fd >= 0) {
      const fd = this.fd;
      this.fd = -1;
      this.fillGen++;
      // A zero fill in flight still writes through the descriptor: close it after (never let
      // the number be reused by another file while zeros may still be written to it).
      if (this.filling) void this.filling.then(() => { try { fs.closeSync(fd); } catch { /* nothing to close */ } });
      else fs.closeSync(fd);
    }
  }
}

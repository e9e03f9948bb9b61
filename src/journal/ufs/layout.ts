/**
 * On-disk layout of the shared (UFS) journal and its read side: epoch claims and marks, the
 * history they define, and an incremental, read-only reader of the local journal's segment format.
 *
 * ```
 * <folder>/.alluxio-journal                  marker written by formatJournal (format.ts)
 * <folder>/epochs/<20-digit E>.claim         leader of epoch E started taking over (empty file)
 * <folder>/epochs/<20-digit E>.mark          JSON {epoch, prev, base}: epoch E's records start at base+1
 * <folder>/log/<20-digit E>/<first>.log      epoch E's segments (local/wal.ts format, CRC per record)
 * <folder>/log/<first>.log                   "epoch 0": what the local journal wrote (single master, before)
 * <folder>/checkpoints/<index>.ckpt          checkpoints (local/checkpoint.ts format)
 * ```
 *
 * The history: start at the newest mark and follow `prev`; that chain, oldest first, gives each
 * epoch on it the range (base, next's base] (the newest: (base, ∞)). A record counts only when it
 * lies in its epoch's directory inside that range. The `base` of a mark is the SEAL of the previous
 * epoch: what the previous epoch's directory holds past it (a record appended by a fenced-off
 * leader, a torn tail) is ignored by every reader. Epochs not on the chain (a leader that died
 * before writing its mark, or one that was overtaken while writing it) are ignored entirely.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JournalCorruptError } from '../../errors.js';
import { fsyncDir, readdirOrEmpty } from '../../fsutil.js';
import {
  RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, SEGMENT_MAGIC, Wal, endOfData, recordProblem, segmentFileName, validRecordAfter,
} from '../local/wal.js';

export const EPOCHS_DIR = 'epochs';
export const LOG_DIR = 'log';
export const CHECKPOINTS_DIR = 'checkpoints';

const CLAIM_RE = /^(\d{20})\.claim$/;
const MARK_RE = /^(\d{20})\.mark$/;
const pad = (n: number): string => String(n).padStart(20, '0');

export interface EpochMark {
  readonly epoch: number;
  /** The epoch whose records precede this one's (0: none, the journal's first epoch). */
  readonly prev: number;
  /** The seal: the last index of the history before this epoch; this epoch's records start at base + 1. */
  readonly base: number;
  /** The address of the master that leads this epoch (standbys announce it). */
  readonly leader?: string;
}

/**
 * Epoch E's segments. Epoch 0 is the log the local journal wrote in `log/` itself (the folder was
 * used by a single master before ZooKeeper was enabled): the root of the history.
 */
export function epochLogDir(folder: string, epoch: number): string {
  return epoch === 0 ? path.join(folder, LOG_DIR) : path.join(folder, LOG_DIR, pad(epoch));
}

/** Epochs that have a log directory. */
export function listEpochLogDirs(folder: string): number[] {
  return readdirOrEmpty(path.join(folder, LOG_DIR)).filter((n) => /^\d{20}$/.test(n)).map(Number).sort((a, b) => a - b);
}

/** The highest epoch any master claimed or marked in `folder` (0 when none): the fencing check. */
export function newestEpoch(folder: string): number {
  let max = 0;
  for (const n of readdirOrEmpty(path.join(folder, EPOCHS_DIR))) {
    const m = CLAIM_RE.exec(n) ?? MARK_RE.exec(n);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max;
}

function writeDurably(dir: string, name: string, content: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `${name}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path.join(dir, name));
  fsyncDir(dir);
}

/** Step 1 of a takeover: from here on the previous leader's post-write check fails. */
export function writeClaim(folder: string, epoch: number): void {
  writeDurably(path.join(folder, EPOCHS_DIR), `${pad(epoch)}.claim`, '');
}

/** Step 3 of a takeover (after catching up): the seal of the previous epoch and this epoch's start. */
export function writeMark(folder: string, mark: EpochMark): void {
  writeDurably(path.join(folder, EPOCHS_DIR), `${pad(mark.epoch)}.mark`, JSON.stringify(mark) + '\n');
}

export function readMarks(folder: string): Map<number, EpochMark> {
  const dir = path.join(folder, EPOCHS_DIR);
  const marks = new Map<number, EpochMark>();
  for (const n of readdirOrEmpty(dir)) {
    const m = MARK_RE.exec(n);
    if (!m) continue;
    const file = path.join(dir, n);
    let mark: EpochMark;
    try {
      mark = JSON.parse(fs.readFileSync(file, 'utf8')) as EpochMark;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new JournalCorruptError(`epoch mark ${file} is unreadable: ${(e as Error).message}`, { hint: 'restore the journal folder from a backup' });
    }
    if (mark.epoch !== Number(m[1]) || !Number.isSafeInteger(mark.base) || !Number.isSafeInteger(mark.prev)) {
      throw new JournalCorruptError(`epoch mark ${file} is invalid: ${JSON.stringify(mark)}`, { hint: 'restore the journal folder from a backup' });
    }
    marks.set(mark.epoch, mark);
  }
  return marks;
}

/** One epoch of the history with the range of indexes it contributes: (base, end]. */
export interface ChainLink {
  readonly epoch: number;
  readonly base: number;
  /** Infinity for the newest epoch (still being written). */
  readonly end: number;
  /** Who led it (from its mark). */
  readonly leader?: string;
}

/** The history's epochs, oldest first (see the file comment). Empty when nothing was ever marked. */
export function historyChain(folder: string): ChainLink[] {
  const marks = readMarks(folder);
  const local = Wal.listSegments(epochLogDir(folder, 0)).length > 0;
  if (marks.size === 0) return local ? [{ epoch: 0, base: 0, end: Infinity }] : [];
  const links: ChainLink[] = [];
  let cur: EpochMark | undefined = marks.get(Math.max(...marks.keys()));
  let end = Infinity;
  while (cur) {
    links.push({ epoch: cur.epoch, base: cur.base, end, ...(cur.leader !== undefined ? { leader: cur.leader } : {}) });
    end = cur.base;
    if (cur.prev === 0) {
      if (local && cur.base > 0) links.push({ epoch: 0, base: 0, end: cur.base });
      break;
    }
    const prev = marks.get(cur.prev);
    // The leader that compacted removed marks whose ranges lie below the checkpoint (see compact).
    if (!prev) break;
    cur = prev;
  }
  return links.reverse();
}

/** The link holding `index`, or undefined. */
export function linkFor(chain: readonly ChainLink[], index: number): ChainLink | undefined {
  return chain.find((l) => l.base < index && index <= l.end);
}

/** Where a reader stands inside one epoch's log: the segment holding the next index and the byte offset there. */
export interface ReadPosition {
  readonly epoch: number;
  readonly segFirst: number;
  readonly offset: number;
  /** Index of the next record at `offset`. */
  readonly next: number;
}

export type ReadOutcome =
  /** Records read up to the link's end, or up to the last valid record of a segment still written. */
  | { kind: 'ok'; pos: ReadPosition }
  /** The segment holding the next index is gone (compacted away): reload from the newest checkpoint. */
  | { kind: 'gone' };

const CHUNK = 1 << 20;

/**
 * Read records of `link`'s epoch from `pos` (when undefined: from index `from`, searching the
 * segment holding it), handing each one with index in [from, upTo] to `onRecord`. Read-only: never repairs.
 * A segment followed by another one of the same epoch must be complete; the last segment's
 * reading stops at the first record that is not (yet) valid: a write in flight, a torn tail.
 * `strict`: the caller seals here, so damage followed by a valid record is corruption (as in the
 * local journal's recovery).
 */
export function readEpoch(
  folder: string, link: ChainLink, pos: ReadPosition | undefined, from: number, upTo: number, strict: boolean,
  onRecord: (payload: Buffer, index: number, file: string) => void,
): ReadOutcome {
  const dir = epochLogDir(folder, link.epoch);
  const firsts = Wal.listSegments(dir);
  const next = pos?.next ?? from;
  if (next > upTo) return { kind: 'ok', pos: pos ?? { epoch: link.epoch, segFirst: next, offset: SEGMENT_HEADER_BYTES, next } };
  // The segment holding `next`: the last one starting at or before it.
  let si = -1;
  for (let i = 0; i < firsts.length; i++) if (firsts[i]! <= next) si = i;
  if (si < 0) {
    // Nothing written yet at `next` in this epoch, or compacted away.
    if (firsts.length === 0 && link.end === Infinity) return { kind: 'ok', pos: { epoch: link.epoch, segFirst: next, offset: SEGMENT_HEADER_BYTES, next } };
    if (firsts.length === 0 && next > link.end) return { kind: 'ok', pos: { epoch: link.epoch, segFirst: next, offset: SEGMENT_HEADER_BYTES, next } };
    return { kind: 'gone' };
  }
  let segFirst = firsts[si]!;
  let offset = pos && pos.segFirst === segFirst ? pos.offset : SEGMENT_HEADER_BYTES;
  let at = pos && pos.segFirst === segFirst ? pos.next : segFirst;
  for (;;) {
    const file = path.join(dir, segmentFileName(segFirst));
    const isLast = si === firsts.length - 1;
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
      throw e;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (offset === SEGMENT_HEADER_BYTES) {
        const hdr = Buffer.alloc(SEGMENT_HEADER_BYTES);
        const n = fs.readSync(fd, hdr, 0, SEGMENT_HEADER_BYTES, 0);
        if (n < SEGMENT_HEADER_BYTES) {
          if (isLast) return { kind: 'ok', pos: { epoch: link.epoch, segFirst, offset, next: at } };
          throw corrupt(file, 0, at, 'segment header is incomplete');
        }
        if (!hdr.subarray(0, 8).equals(SEGMENT_MAGIC) || Number(hdr.readBigUInt64LE(8)) !== segFirst) {
          throw corrupt(file, 0, at, 'bad segment header');
        }
      }
      let chunk = CHUNK;
      while (at <= upTo && offset < size) {
        const buf = Buffer.alloc(Math.min(chunk, size - offset));
        const view = buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, offset));
        const cut = offset + view.length < size; // the chunk ends before the file does
        let off = 0;
        let stop = false;
        while (at <= upTo) {
          const problem = recordProblem(view, off);
          if (problem === null) {
            const plen = view.readUInt32LE(off);
            const start = off + RECORD_HEADER_BYTES;
            // A segment found by a fresh position may start before `next` (after a reload).
            if (at >= from) onRecord(view.subarray(start, start + plen), at, file);
            off = start + plen;
            at++;
            continue;
          }
          if (cut && problem.startsWith('incomplete')) {
            // A record cut by the chunk boundary: read again from it, with room for it.
            if (off === 0) chunk = Math.max(chunk * 2, RECORD_HEADER_BYTES + view.readUInt32LE(0));
            break;
          }
          // The end of what is written (zeros: preallocated space), a write in flight, or damage.
          // In a segment followed by another, only zeros may follow the records: the next segment must
          // start right here (checked below), so damage shows as entries missing between the two.
          if (strict && isLast) {
            const whole = fs.readFileSync(file);
            const later = validRecordAfter(whole, offset + off, endOfData(whole, offset + off));
            if (later !== undefined) throw corrupt(file, offset + off, at, `${problem}, and a valid record follows at byte offset ${later}`);
          }
          stop = true;
          break;
        }
        offset += off;
        if (stop) break;
      }
    } finally {
      fs.closeSync(fd);
    }
    if (at > upTo || isLast) return { kind: 'ok', pos: { epoch: link.epoch, segFirst, offset, next: at } };
    // Move to the next segment of this epoch; it must start right where this one ended.
    si++;
    if (firsts[si] !== at) throw corrupt(path.join(dir, segmentFileName(firsts[si]!)), 0, at, `segment starts at entry ${firsts[si]} but the previous one ends at ${at - 1}`);
    segFirst = firsts[si]!;
    offset = SEGMENT_HEADER_BYTES;
  }
}

function corrupt(file: string, offset: number, index: number, why: string): JournalCorruptError {
  return new JournalCorruptError(`journal segment ${file} is corrupt at byte offset ${offset} (record index ${index}): ${why}`, {
    hint: 'the shared journal is damaged; restore the journal folder from a checkpoint/backup (the files were left untouched)',
  });
}

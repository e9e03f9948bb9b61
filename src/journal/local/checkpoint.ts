/**
 * Checkpoint files of the local journal: `<dir>/<20-digit index>.ckpt`, each holding the state
 * machine snapshot taken right after entry `index` was applied.
 *
 * ```
 * off 0   8 bytes  magic `AXJLCKP1`
 * off 8   u64 LE   index (must match the file name)
 * off 16  u64 LE   snapshot length
 * off 24  u32 LE   crc32 of the snapshot bytes
 * off 28  u32 LE   crc32 of bytes 0..27 (header check)
 * off 32  snapshot bytes
 * ```
 *
 * Written to a temp file, fsynced, renamed into place and the directory fsynced, so a checkpoint
 * file that exists under its final name is complete (a crash leaves at most a `.tmp` file behind).
 *
 * Checkpointer: when and how a group-commit journal (the local journal, the shared UFS journal's
 * leader) takes its checkpoints; the Raft journal has its own snapshot rules (raft/storage.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { ConfigError, JournalCorruptError } from '../../errors.js';
import { fsyncDir, readdirOrEmpty } from '../../fsutil.js';
import { journalMetrics } from '../../metrics/index.js';
import type { JournalEvents } from '../events.js';

export const CHECKPOINT_MAGIC = Buffer.from('AXJLCKP1', 'latin1');
export const CHECKPOINT_HEADER_BYTES = 32;
const NAME_RE = /^(\d{20})\.ckpt$/;
const TMP_SUFFIX = '.tmp';

export function checkpointFileName(index: number): string {
  return `${String(index).padStart(20, '0')}.ckpt`;
}

export interface CheckpointRef {
  readonly index: number;
  readonly file: string;
}

/** Checkpoint files in `dir`, newest (highest index) first. Missing dir → []. */
export function listCheckpoints(dir: string): CheckpointRef[] {
  const names = readdirOrEmpty(dir);
  const refs: CheckpointRef[] = [];
  for (const n of names) {
    const m = NAME_RE.exec(n);
    if (m) refs.push({ index: Number(m[1]), file: path.join(dir, n) });
  }
  return refs.sort((a, b) => b.index - a.index);
}

function encodeHeader(index: number, data: Buffer): Buffer {
  const hdr = Buffer.alloc(CHECKPOINT_HEADER_BYTES);
  CHECKPOINT_MAGIC.copy(hdr, 0);
  hdr.writeBigUInt64LE(BigInt(index), 8);
  hdr.writeBigUInt64LE(BigInt(data.length), 16);
  hdr.writeUInt32LE(crc32(data), 24);
  hdr.writeUInt32LE(crc32(hdr.subarray(0, 28)), 28);
  return hdr;
}

/** Why the checkpoint file content is invalid, or null when it is a valid checkpoint of `index`. */
export function checkpointProblem(buf: Buffer, index: number): string | null {
  if (buf.length < CHECKPOINT_HEADER_BYTES) return `file is too short (${buf.length} bytes)`;
  if (!buf.subarray(0, 8).equals(CHECKPOINT_MAGIC)) return 'bad magic (not a checkpoint file)';
  if (crc32(buf.subarray(0, 28)) !== buf.readUInt32LE(28)) return 'header checksum mismatch';
  const hIndex = Number(buf.readBigUInt64LE(8));
  if (hIndex !== index) return `header says index ${hIndex} but the file name says ${index}`;
  const len = Number(buf.readBigUInt64LE(16));
  if (len !== buf.length - CHECKPOINT_HEADER_BYTES) {
    return `snapshot length ${len} does not match the file size (${buf.length - CHECKPOINT_HEADER_BYTES} bytes of snapshot)`;
  }
  if (crc32(buf.subarray(CHECKPOINT_HEADER_BYTES)) !== buf.readUInt32LE(24)) return 'snapshot checksum mismatch';
  return null;
}


/**
 * Durably write the checkpoint of `index` (temp file, fsync, rename, directory fsync). Asynchronous
 * so that proposals keep flowing while a large snapshot is written. Returns the file path.
 */
export async function writeCheckpoint(dir: string, index: number, data: Buffer, fsync = true): Promise<string> {
  await fs.promises.mkdir(dir, { recursive: true });
  const file = path.join(dir, checkpointFileName(index));
  const tmp = file + TMP_SUFFIX;
  const fh = await fs.promises.open(tmp, 'w');
  try {
    // Explicit loop: one pwrite is capped (about 2 GiB on Linux), and a large snapshot may exceed it.
    let pos = 0;
    for (const part of [encodeHeader(index, data), data]) {
      let done = 0;
      while (done < part.length) {
        const { bytesWritten } = await fh.write(part, done, Math.min(part.length - done, 1 << 30), pos);
        done += bytesWritten;
        pos += bytesWritten;
      }
    }
    if (fsync) await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.promises.rename(tmp, file);
  if (fsync) fsyncDir(dir);
  journalMetrics.snapshots.inc();
  return file;
}

/** Remove leftover temp files of interrupted checkpoint writes (they are never valid checkpoints). */
export function removeCheckpointTemps(dir: string): string[] {
  const names = readdirOrEmpty(dir);
  const removed: string[] = [];
  for (const n of names) {
    if (n.endsWith('.ckpt' + TMP_SUFFIX)) {
      fs.rmSync(path.join(dir, n), { force: true });
      removed.push(path.join(dir, n));
    }
  }
  return removed;
}

/** Delete all but the `keep` newest checkpoint files. Returns the deleted paths. */
export function pruneCheckpoints(dir: string, keep: number): string[] {
  const old = listCheckpoints(dir).slice(keep);
  for (const c of old) fs.rmSync(c.file, { force: true });
  return old.map((c) => c.file);
}

export interface LoadedCheckpoint {
  /** 0 when there is no usable checkpoint (the log must then start at entry 1). */
  readonly index: number;
  readonly data: Buffer | undefined;
  readonly file: string | undefined;
  readonly warnings: string[];
}

/**
 * Load the newest valid checkpoint. When newer ones are corrupt, fall back to an older one (or to
 * none) only if the log still holds every entry after it, i.e. `logFirstIndex <= fallback + 1`;
 * otherwise throw JournalCorruptError: the state in between would be lost.
 *
 * @param logFirstIndex first index held by the log (its oldest segment), or undefined when empty.
 */
export function loadNewestCheckpoint(dir: string, logFirstIndex: number | undefined): LoadedCheckpoint {
  const warnings: string[] = [];
  const corrupt: string[] = [];
  for (const ref of listCheckpoints(dir)) {
    const buf = fs.readFileSync(ref.file);
    const problem = checkpointProblem(buf, ref.index);
    if (problem === null) {
      if (corrupt.length > 0) ensureLogCovers(ref.index, logFirstIndex, corrupt);
      if (corrupt.length > 0) {
        warnings.push(`journal: ${corrupt.join('; ')}; falling back to checkpoint ${ref.file} and replaying the log after entry ${ref.index}`);
      }
      return { index: ref.index, data: buf.subarray(CHECKPOINT_HEADER_BYTES), file: ref.file, warnings };
    }
    corrupt.push(`checkpoint ${ref.file} is corrupt (${problem})`);
  }
  if (corrupt.length > 0) {
    ensureLogCovers(0, logFirstIndex, corrupt);
    warnings.push(`journal: ${corrupt.join('; ')}; no older checkpoint, replaying the whole log from entry 1`);
  }
  return { index: 0, data: undefined, file: undefined, warnings };
}

function ensureLogCovers(index: number, logFirstIndex: number | undefined, corrupt: string[]): void {
  if (logFirstIndex !== undefined && logFirstIndex <= index + 1) return;
  throw new JournalCorruptError(
    `${corrupt.join('; ')}; cannot fall back to ${index === 0 ? 'an empty state' : `checkpoint ${index}`}: ` +
      (logFirstIndex === undefined ? 'the log is empty' : `the log starts at entry ${logFirstIndex}`) +
      ` so entries ${index + 1}.. are missing`,
    { hint: 'restore the journal folder (or its newest checkpoint) from a backup; nothing was deleted' },
  );
}

/** Checkpoint files a journal keeps (the newest plus one older fallback). */
export const CHECKPOINTS_KEPT = 2;

export interface CheckpointerOptions {
  /** The checkpoint folder. */
  readonly dir: string;
  /** An automatic checkpoint once this many entries were applied since the last one (> 0). */
  readonly periodEntries: number;
  readonly fsync: boolean;
  /** Where each checkpoint written is recorded (snapshot-taken, the Journal page). */
  readonly events: JournalEvents;
  /** Told why an automatic checkpoint failed. */
  readonly log: (msg: string) => void;
}

/**
 * The checkpoints of a journal that applies entries in group-commit batches: the index the newest
 * one covers; requested checkpoints run one at a time in request order, each snapshotting the
 * state as of the moment it runs; automatic ones start in the background every `periodEntries`
 * applied entries and never block the flusher. What a checkpoint covers and what it lets the
 * journal delete stays the journal's (local: its log segments; UFS: the leader's compaction).
 */
export class Checkpointer {
  /** The index the newest checkpoint covers (0: none). */
  index = 0;
  private chain: Promise<void> = Promise.resolve();
  private autoPending = false;

  constructor(private readonly o: CheckpointerOptions) {
    if (!(o.periodEntries > 0)) throw new ConfigError(`checkpointPeriodEntries must be > 0, got ${o.periodEntries}`);
  }

  /** Run `take` once every checkpoint requested before it has finished; resolves or rejects as it does. */
  run(take: () => Promise<void>): Promise<void> {
    const run = this.chain.then(take);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** After a batch applied up to `applied`: call `request` in the background when a period's entries accumulated and no automatic one is pending. */
  maybe(applied: number, request: () => Promise<void>): void {
    if (this.autoPending || applied - this.index < this.o.periodEntries) return;
    this.autoPending = true;
    request()
      .catch((e: unknown) => this.o.log(`journal: automatic checkpoint failed: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => { this.autoPending = false; });
  }

  /** Durably write the checkpoint of `index` and record it (`epoch`: the UFS journal's epoch it was written under). */
  async write(index: number, data: Buffer, epoch?: number): Promise<void> {
    await writeCheckpoint(this.o.dir, index, data, this.o.fsync);
    this.index = index;
    this.o.events.record(epoch === undefined
      ? { kind: 'snapshot-taken', index, detail: `wrote checkpoint ${index}` }
      : { kind: 'snapshot-taken', index, term: epoch, detail: `wrote checkpoint ${index} (epoch ${epoch})` });
  }

  /** Delete all but the CHECKPOINTS_KEPT newest checkpoint files. */
  prune(): void {
    pruneCheckpoints(this.o.dir, CHECKPOINTS_KEPT);
  }

  /** Resolves once every checkpoint requested so far has finished (close). */
  idle(): Promise<void> {
    return this.chain;
  }
}

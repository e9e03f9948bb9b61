/**
 * LocalJournal: the single-master journal. A durable append-only log (wal.ts) plus periodic
 * checkpoints (checkpoint.ts) in a formatted journal folder:
 *
 * ```
 * <folder>/.alluxio-journal          marker written by formatJournal
 * <folder>/log/<first index>.log     write-ahead log segments
 * <folder>/checkpoints/<index>.ckpt  state machine snapshots
 * ```
 *
 * Proposals are group-committed: a single flusher takes everything queued, writes it with one
 * durable write (O_DSYNC), then applies the entries in index order and settles their promises.
 * While a batch is being written, new proposals accumulate for the next one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ConfigError, InternalError, JournalCorruptError } from '../../errors.js';
import { isJournalFormatted } from '../format.js';
import type { AnyEntry, Journal, JournalEntry, JournalStats, StateMachine } from '../types.js';
import { Checkpointer, loadNewestCheckpoint, removeCheckpointTemps } from './checkpoint.js';
import { MAX_RECORD_BYTES, Wal } from './wal.js';
import { fsyncDir } from '../../fsutil.js';
import { isDiskFull, DiskFullState } from '../diskFull.js';
import { JournalEvents } from '../events.js';

export interface LocalJournalOptions {
  folder: string;
  /** Checkpoint automatically after this many entries since the last checkpoint (default 2,000,000). */
  checkpointPeriodEntries?: number;
  /** Wait this long before each batch to gather more proposals (default 0: flush as soon as the previous fsync ends). */
  flushBatchMs?: number;
  /** Make every batch durable (default true). Turning it off loses acknowledged entries on a power cut. */
  fsync?: boolean;
  /** Receives warnings (torn tail repaired, checkpoint fallback, failed automatic checkpoint). */
  log?: (msg: string) => void;
  /** Roll log segments at this size in bytes (default 64 MiB). */
  segmentBytes?: number;
  /** Who writes this journal, for error messages (the master's address). */
  who?: string;
}

export interface LocalJournalStats extends JournalStats {
  /** Durable batch writes since start (group commit: far fewer than entries under load). */
  readonly fsyncs: number;
  /** Batches written since start. */
  readonly batches: number;
  /** Milliseconds of the whole start(), including opening and scanning files. */
  readonly startMs: number;
}

/** Bounds on one group-commit batch, so a huge backlog is written in reasonably sized pieces. */
const MAX_BATCH_ENTRIES = 32_768;
const MAX_BATCH_BYTES = 32 * 1024 * 1024;

/** A proposal waiting for its batch (both group-commit journals). */
export interface Pending {
  readonly json: string;
  readonly payload: Buffer;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Check a proposal with the state machine's decode (what replay decodes was accepted here) and
 * encode it as a record payload. Throws the decode error, or InternalError when it cannot be
 * serialized or is larger than a record may be.
 */
export function encodeProposal<E extends JournalEntry>(sm: StateMachine<E>, entry: E): { json: string; payload: Buffer } {
  sm.decode(entry);
  let json: string;
  try {
    json = JSON.stringify(entry);
  } catch (e) {
    throw new InternalError(`journal entry of type ${entry.type} cannot be serialized: ${(e as Error).message}`, { cause: e });
  }
  const payload = Buffer.from(json, 'utf8');
  if (payload.length > MAX_RECORD_BYTES) throw new InternalError(`journal entry of type ${entry.type} is too large (${payload.length} bytes)`);
  return { json, payload };
}

/** How many of the queued proposals the next group-commit batch takes (bounded in entries and bytes). */
export function batchLength(queue: readonly { readonly payload: Buffer }[]): number {
  let n = 0;
  let bytes = 0;
  while (n < queue.length && n < MAX_BATCH_ENTRIES && (n === 0 || bytes + queue[n]!.payload.length <= MAX_BATCH_BYTES)) {
    bytes += queue[n]!.payload.length;
    n++;
  }
  return n;
}

/** Decode and apply one record read back from the log (replay); a record that does not decode is JournalCorruptError. */
export function replayRecord<E extends JournalEntry>(sm: StateMachine<E>, payload: Buffer, index: number, file: string): void {
  let entry: E;
  try {
    entry = sm.decode(JSON.parse(payload.toString('utf8')));
  } catch (e) {
    // The checksum matched, so these bytes were written like this: not a torn write.
    const what = e instanceof SyntaxError ? 'is not valid JSON' : 'is not an entry this master knows';
    throw new JournalCorruptError(`journal entry ${index} in ${file} ${what}: ${(e as Error).message}`, {
      hint: 'restore the journal folder from a checkpoint/backup (or run the version of Alluxio that wrote it)', cause: e,
    });
  }
  try {
    sm.apply(entry, index);
  } catch {
    // Deterministic rejection: apply threw for this entry when it was proposed, too.
  }
}

/**
 * Apply a durable batch of proposals in index order (`first` on) and settle each with apply's
 * result or error; `onIndex` is told each index before it is applied.
 */
export function applyProposals<E extends JournalEntry>(
  sm: StateMachine<E>, batch: readonly { readonly json: string; resolve(v: unknown): void; reject(e: unknown): void }[], first: number,
  onIndex: (index: number) => void,
): void {
  for (let i = 0; i < batch.length; i++) {
    const p = batch[i]!;
    const index = first + i;
    onIndex(index);
    // Apply the decoded form, exactly what replay will see, so live state and replayed state
    // cannot diverge on values JSON does not round-trip (undefined, Date, Buffer, ...).
    let result: unknown;
    try {
      result = sm.apply(JSON.parse(p.json) as E, index);
    } catch (e) {
      p.reject(e);
      continue;
    }
    p.resolve(result);
  }
}

/** Reject every one of `items` with `err`. */
export function rejectAll(items: readonly Pending[], err: Error): void {
  for (const p of items) p.reject(err);
}

/**
 * The single group-commit flusher of a journal (local, and the shared UFS journal's leader).
 * `propose` checks and encodes an entry (encodeProposal), queues it and starts `loop` one
 * event-loop turn later unless it runs, so that one turn's proposals form one batch. The loop
 * clears `active` itself, in a `finally` of the same turn that finds the queue empty (no await in
 * between), so a proposal made by a settled caller's continuation always finds a flusher or
 * starts one.
 */
export class Flusher {
  active = false;
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly loop: () => Promise<void>) {}

  /** Queue `entry` on `queue`; settles when its batch was written and applied, or failed. */
  propose<E extends JournalEntry>(sm: StateMachine<E>, entry: E, queue: Pending[]): Promise<unknown> {
    let json: string;
    let payload: Buffer;
    try {
      ({ json, payload } = encodeProposal(sm, entry));
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      queue.push({ json, payload, resolve, reject });
      if (this.active) return;
      this.active = true;
      this.done = new Promise<void>((done) => setImmediate(() => void this.loop().finally(done)));
    });
  }

  /** Resolves once no flush runs (everything queued before was written or refused). */
  async idle(): Promise<void> {
    while (this.active) await this.done;
  }
}

type State = 'new' | 'starting' | 'running' | 'closing' | 'closed';

export class LocalJournal<E extends JournalEntry = AnyEntry> implements Journal<E> {
  readonly elected = false;
  /** Checkpoints this master wrote (the Journal page). */
  readonly events = new JournalEvents();
  private readonly folder: string;
  private readonly logDir: string;
  private readonly ckptDir: string;
  private readonly ckpt: Checkpointer;
  private readonly flushBatchMs: number;
  private readonly fsync: boolean;
  private readonly segmentBytes: number | undefined;
  private readonly log: (msg: string) => void;

  private state: State = 'new';
  private sm: StateMachine<E> | undefined;
  private wal: Wal | undefined;
  private queue: Pending[] = [];
  private readonly flusher = new Flusher(() => this.flushLoop());
  /** Set on the first write/fsync failure; every later proposal is rejected with it (fail-stop). */
  private failure: Error | undefined;
  /** The last write found the disk full (cleared by the next write that succeeds). */
  private readonly diskFull: DiskFullState;
  private applied = 0;
  private closePromise: Promise<void> | undefined;
  private replayedEntries = 0;
  private replayMs = 0;
  private startMs = 0;

  constructor(opts: LocalJournalOptions) {
    this.folder = opts.folder;
    this.logDir = path.join(opts.folder, 'log');
    this.ckptDir = path.join(opts.folder, 'checkpoints');
    this.flushBatchMs = opts.flushBatchMs ?? 0;
    this.fsync = opts.fsync ?? true;
    this.segmentBytes = opts.segmentBytes;
    this.log = opts.log ?? ((msg) => process.emitWarning(msg, 'JournalWarning'));
    this.diskFull = new DiskFullState(opts.who ?? 'this master', this.folder, this.log);
    this.ckpt = new Checkpointer({ dir: this.ckptDir, periodEntries: opts.checkpointPeriodEntries ?? 2_000_000, fsync: this.fsync, events: this.events, log: this.log });
    if (!(this.flushBatchMs >= 0)) throw new ConfigError(`flushBatchMs must be >= 0, got ${this.flushBatchMs}`);
  }

  async start(sm: StateMachine<E>): Promise<void> {
    if (this.state !== 'new') throw new InternalError(`journal ${this.folder} was already started`);
    this.state = 'starting';
    try {
      this.startInner(sm);
    } catch (e) {
      this.state = 'closed';
      throw e;
    }
    this.state = 'running';
  }

  private startInner(sm: StateMachine<E>): void {
    const t0 = performance.now();
    if (!isJournalFormatted(this.folder)) {
      throw new ConfigError(`journal folder ${this.folder} is not formatted`, {
        hint: "run 'alluxio format' (or 'alluxio formatJournal')",
      });
    }
    const createdLog = fs.mkdirSync(this.logDir, { recursive: true });
    const createdCkpt = fs.mkdirSync(this.ckptDir, { recursive: true });
    if ((createdLog !== undefined || createdCkpt !== undefined) && this.fsync) fsyncDir(this.folder);
    removeCheckpointTemps(this.ckptDir);

    const t1 = performance.now();
    const ck = loadNewestCheckpoint(this.ckptDir, Wal.listSegments(this.logDir)[0]);
    for (const w of ck.warnings) this.log(w);
    if (ck.data !== undefined) sm.restore(ck.data);

    let replayed = 0;
    const { wal, warnings } = Wal.open({
      dir: this.logDir,
      fsync: this.fsync,
      coveredIndex: ck.index,
      ...(this.segmentBytes !== undefined ? { segmentBytes: this.segmentBytes } : {}),
      onRecord: (payload, index, file) => {
        replayRecord(sm, payload, index, file);
        replayed++;
      },
    });
    for (const w of warnings) this.log(w);
    // Segments a previous run could not delete (it stopped between checkpoint and compaction).
    wal.deleteCoveredSegments(ck.index);

    this.sm = sm;
    this.wal = wal;
    this.applied = wal.lastIndex;
    this.ckpt.index = ck.index;
    this.replayedEntries = replayed;
    const t2 = performance.now();
    this.replayMs = t2 - t1;
    this.startMs = t2 - t0;
  }

  propose(entry: E): Promise<unknown> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.state !== 'running') {
      return Promise.reject(new InternalError(
        this.state === 'new' || this.state === 'starting' ? `journal ${this.folder} is not started` : `journal ${this.folder} is closed`,
      ));
    }
    return this.flusher.propose(this.sm!, entry, this.queue);
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        if (this.failure !== undefined) {
          rejectAll(this.queue.splice(0), this.failure);
          break;
        }
        if (this.flushBatchMs > 0) await new Promise((r) => setTimeout(r, this.flushBatchMs));
        const batch = this.takeBatch();
        let first: number;
        try {
          first = await this.wal!.append(batch.map((p) => p.payload));
        } catch (e) {
          if (!isDiskFull(e)) { this.failStop(e, batch); break; }
          // Not written, not applied, not acknowledged: refuse this batch, keep the journal open.
          this.diskFull.failed(e);
          rejectAll(batch, this.diskFull.error!);
          continue;
        }
        this.diskFull.succeeded();
        this.applyBatch(batch, first);
        this.ckpt.maybe(this.applied, () => this.checkpoint());
      }
    } catch (e) {
      // Not reachable by design (append and apply errors are handled above); fail safe if it is.
      this.failStop(e, []);
    } finally {
      this.flusher.active = false;
    }
  }

  private takeBatch(): Pending[] {
    const n = batchLength(this.queue);
    if (n === this.queue.length) {
      const all = this.queue;
      this.queue = [];
      return all;
    }
    return this.queue.splice(0, n);
  }

  /** Apply a durable batch in index order and settle each proposal with apply's result or error. */
  private applyBatch(batch: Pending[], first: number): void {
    applyProposals(this.sm!, batch, first, (index) => { this.applied = index; });
  }

  private failStop(cause: unknown, batch: Pending[]): void {
    const msg = cause instanceof Error ? cause.message : String(cause);
    this.failure = new InternalError(
      `journal write to ${this.logDir} failed (${msg}); the journal stopped accepting proposals (fail-stop)`,
      { cause, hint: 'check the disk (space, permissions, I/O errors) and restart the master; acknowledged entries are safe' },
    );
    this.log(this.failure.message);
    rejectAll(batch, this.failure);
    rejectAll(this.queue.splice(0), this.failure);
  }

  checkpoint(): Promise<void> {
    if (this.state !== 'running') return Promise.reject(new InternalError(`journal ${this.folder} is not running`));
    return this.ckpt.run(() => this.checkpointNow());
  }

  private async checkpointNow(): Promise<void> {
    const sm = this.sm;
    const wal = this.wal;
    if (sm === undefined || wal === undefined) return;
    // Synchronous snapshot between two batches: the state is exactly that after entry `index`.
    const index = this.applied;
    if (index <= this.ckpt.index) return;
    await this.ckpt.write(index, sm.snapshot());
    this.ckpt.prune();
    wal.deleteCoveredSegments(index);
  }

  isLeader(): boolean {
    return this.state === 'running' && this.failure === undefined;
  }

  /** The only writer applies every entry before acknowledging it: reads need no round. */
  readBarrier(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.state !== 'running') return Promise.reject(new InternalError(`journal ${this.folder} is not running`));
    return Promise.resolve();
  }

  stats(): LocalJournalStats {
    return {
      type: 'LOCAL',
      lastIndex: this.wal?.lastIndex ?? 0,
      checkpointIndex: this.ckpt.index,
      replayedEntries: this.replayedEntries,
      replayMs: this.replayMs,
      appliedIndex: this.applied,
      commitIndex: this.wal?.lastIndex ?? 0,
      fsyncs: this.wal?.syncs ?? 0,
      batches: this.wal?.batches ?? 0,
      startMs: this.startMs,
      ...(this.diskFull.error ? { writeError: this.diskFull.error.message } : {}),
    };
  }

  /** Log segment file paths, oldest first (for tests and tools). */
  segmentFiles(): string[] {
    return this.wal?.segmentFiles() ?? [];
  }

  /** Flush every queued proposal, wait for a running checkpoint, close the log. Idempotent. */
  close(): Promise<void> {
    this.closePromise ??= this.closeInner();
    return this.closePromise;
  }

  private async closeInner(): Promise<void> {
    if (this.state !== 'running') {
      this.state = 'closed';
      return;
    }
    this.state = 'closing'; // new proposals are refused from here on
    await this.flusher.idle();
    await this.ckpt.idle();
    this.wal?.close();
    this.state = 'closed';
  }
}

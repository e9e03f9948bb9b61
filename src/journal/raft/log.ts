/**
 * The in-memory Raft log of one node: a snapshot prefix (index/term only, plus the snapshot itself
 * when we have one) followed by contiguous entries. Tracks three cursors:
 *
 *   snapIndex <= applied <= committed <= lastIndex,   stabled <= lastIndex
 *
 * `stabled` is the last index handed to the driver for persisting; entries after it are
 * "unstable" and are handed out in the next Ready. `durable` (<= stabled) is the last index the
 * driver reported durable: the same as `stabled` except on a leader, whose own write may still be
 * on its way to the disk while it goes on (Raft thesis §10.2.1, see core.ts). Entries up to
 * `durable` are on disk exactly as in this log. A snapshot received from the leader is unstable
 * until the driver persisted it (`pendingSnapshot`).
 *
 * Pure data structure: no I/O, no clocks.
 */
import { type Entry, type Snapshot, RaftInvariantError } from './types.js';

export class RaftLog {
  /** Index/term of the last entry covered by the snapshot (0/0 when none). */
  private snapIndex = 0;
  private snapTerm = 0;
  /** The newest snapshot, kept to send to lagging followers. */
  snapshot: Snapshot | undefined;
  /** A snapshot received from the leader that the driver has not persisted yet. */
  pendingSnapshot: Snapshot | undefined;
  /** entries[i].index === snapIndex + 1 + i. */
  private entries: Entry[] = [];
  stabled = 0;
  durable = 0;
  committed = 0;
  applied = 0;

  /** Restore from durable state: the snapshot (if any) and the persisted entries after it. */
  constructor(snapshot: Snapshot | undefined, entries: readonly Entry[], commit: number, applied: number | undefined) {
    if (snapshot) {
      this.snapshot = snapshot;
      this.snapIndex = snapshot.index;
      this.snapTerm = snapshot.term;
    }
    // Storage may still hold entries the snapshot covers: skip them.
    for (const e of entries) {
      if (e.index <= this.snapIndex) continue;
      if (e.index !== this.lastIndex() + 1) {
        throw new RaftInvariantError(`restored log is not contiguous: entry ${e.index} after ${this.lastIndex()}`);
      }
      this.entries.push(e);
    }
    this.stabled = this.lastIndex();
    this.durable = this.stabled;
    this.committed = Math.max(this.snapIndex, Math.min(commit, this.lastIndex()));
    this.applied = Math.max(this.snapIndex, Math.min(applied ?? this.snapIndex, this.committed));
  }

  firstIndex(): number {
    return this.snapIndex + 1;
  }

  lastIndex(): number {
    return this.snapIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex())!;
  }

  /** Index of the last entry covered by the snapshot. */
  snapshotIndex(): number {
    return this.snapIndex;
  }

  /** Term of the entry at `i`; undefined when compacted away (i < snapIndex) or not yet appended. */
  term(i: number): number | undefined {
    if (i === this.snapIndex) return this.snapTerm;
    if (i < this.snapIndex || i > this.lastIndex()) return undefined;
    return this.entries[i - this.snapIndex - 1]!.term;
  }

  matchTerm(i: number, term: number): boolean {
    return this.term(i) === term;
  }

  /** The entry at `i`, if present in memory (not compacted). */
  entry(i: number): Entry | undefined {
    if (i <= this.snapIndex || i > this.lastIndex()) return undefined;
    return this.entries[i - this.snapIndex - 1];
  }

  /**
   * Entries in [lo, hi] (inclusive), at most `max` of them. Undefined when lo was compacted away.
   */
  slice(lo: number, hi: number, max = Infinity): Entry[] | undefined {
    if (lo <= this.snapIndex) return undefined;
    hi = Math.min(hi, this.lastIndex(), lo + max - 1);
    if (hi < lo) return [];
    return this.entries.slice(lo - this.snapIndex - 1, hi - this.snapIndex);
  }

  /** All entries in memory (after the snapshot). */
  allEntries(): readonly Entry[] {
    return this.entries;
  }

  /** Is (term, index) at least as up to date as our last entry? (Raft §5.4.1) */
  isUpToDate(index: number, term: number): boolean {
    const lt = this.lastTerm();
    return term > lt || (term === lt && index >= this.lastIndex());
  }

  /**
   * Append entries that follow our log or overwrite a suffix of it (the caller has checked they
   * agree with the log up to their first index - 1). Returns the index of the first entry that
   * replaced an existing one (the truncation point), or undefined if nothing was truncated.
   */
  append(ents: readonly Entry[]): number | undefined {
    if (ents.length === 0) return undefined;
    const first = ents[0]!.index;
    if (first <= this.committed) {
      throw new RaftInvariantError(`append at ${first} would overwrite committed entries (commit ${this.committed})`);
    }
    if (first > this.lastIndex() + 1) {
      throw new RaftInvariantError(`append at ${first} leaves a gap after ${this.lastIndex()}`);
    }
    let truncatedAt: number | undefined;
    if (first <= this.lastIndex()) {
      truncatedAt = first;
      this.entries.length = first - this.snapIndex - 1;
      // Anything we had persisted from `first` on is no longer our log.
      this.stabled = Math.min(this.stabled, first - 1);
      this.durable = Math.min(this.durable, first - 1);
    }
    for (const e of ents) this.entries.push(e);
    return truncatedAt;
  }

  /**
   * The index of the first entry in `ents` that is not already in our log with the same term
   * (0 when all are present). Entries are assumed contiguous.
   */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Fast backtracking: the largest index <= `index` whose term is <= `term`. Everything above it
   * cannot match a log whose entry at `index` has `term`. Indexes we cannot see (compacted) are
   * returned as is.
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    if (i <= this.snapIndex) return i;
    while (i > this.snapIndex) {
      if (this.term(i)! <= term) return i;
      i--;
    }
    return this.snapIndex;
  }

  /**
   * Follower side of App: if our log has (prevIndex, prevTerm), merge `ents` and advance commit
   * to min(commit, last new index). Returns the last new index, or undefined on mismatch.
   * The second value tells whether a suffix of the log was truncated.
   */
  maybeAppend(prevIndex: number, prevTerm: number, commit: number, ents: readonly Entry[]): { lastNew: number; truncatedAt?: number } | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + ents.length;
    const ci = this.findConflict(ents);
    let truncatedAt: number | undefined;
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new RaftInvariantError(`entry ${ci} conflicts with a committed entry (commit ${this.committed})`);
      }
      truncatedAt = this.append(ents.slice(ci - prevIndex - 1));
    }
    this.commitTo(Math.min(commit, lastNew));
    return truncatedAt === undefined ? { lastNew } : { lastNew, truncatedAt };
  }

  /** Raise the commit index (never lowers it). */
  commitTo(i: number): boolean {
    if (i <= this.committed) return false;
    if (i > this.lastIndex()) {
      throw new RaftInvariantError(`commit ${i} is beyond the last index ${this.lastIndex()}`);
    }
    this.committed = i;
    return true;
  }

  appliedTo(i: number): void {
    if (i < this.applied || i > this.committed) {
      throw new RaftInvariantError(`applied ${i} outside [${this.applied}, ${this.committed}]`);
    }
    this.applied = i;
  }

  /** Entries after the last persisted index. */
  unstableEntries(): Entry[] {
    return this.entries.slice(Math.max(this.stabled, this.snapIndex) - this.snapIndex);
  }

  /** The driver took entries up to (index, term) to persist; ignored if the log changed meanwhile. */
  stableTo(index: number, term: number): void {
    if (this.matchTerm(index, term) && index > this.stabled) this.stabled = index;
  }

  /**
   * The driver's write of entries up to (index, term) is durable; ignored if the log changed
   * meanwhile (an entry's index and term identify the whole prefix before it: Log Matching).
   * Writes are durable in the order they were handed out, so the prefix is on disk too.
   */
  durableTo(index: number, term: number): boolean {
    if (!this.matchTerm(index, term) || index <= this.durable || index > this.stabled) return false;
    this.durable = index;
    return true;
  }

  /** Committed entries not yet applied (those a pending snapshot covers excluded). */
  nextCommittedEntries(): Entry[] {
    const lo = Math.max(this.applied, this.snapIndex) + 1;
    if (lo > this.committed) return [];
    return this.slice(lo, this.committed) ?? [];
  }

  hasNextCommittedEntries(): boolean {
    return Math.max(this.applied, this.snapIndex) < this.committed;
  }

  /**
   * Replace the whole log with a snapshot received from the leader. The snapshot stays pending
   * until the driver persisted and restored it (`snapshotApplied`).
   */
  restore(s: Snapshot): void {
    this.entries = [];
    this.snapIndex = s.index;
    this.snapTerm = s.term;
    this.snapshot = s;
    this.pendingSnapshot = s;
    this.committed = s.index;
    this.stabled = s.index;
    // Nothing of the new log is on disk until the driver persisted the snapshot (snapshotDurable).
    this.durable = Math.min(this.durable, s.index);
  }

  /** The driver persisted the pending snapshot `s` (with nothing after it in the log yet). */
  snapshotDurable(s: Snapshot): void {
    if (this.snapIndex === s.index && this.durable < s.index) this.durable = s.index;
  }

  /** The driver persisted the pending snapshot and restored its state machine from it. */
  snapshotApplied(s: Snapshot): void {
    if (this.pendingSnapshot === s) this.pendingSnapshot = undefined;
    if (this.applied < s.index) this.applied = s.index;
  }

  /** Drop entries up to `s.index` (<= applied): the application took snapshot `s`. */
  compact(s: Snapshot): void {
    if (s.index <= this.snapIndex) return;
    if (s.index > this.applied) {
      throw new RaftInvariantError(`cannot compact to ${s.index}: only ${this.applied} applied`);
    }
    this.entries = this.entries.slice(s.index - this.snapIndex);
    this.snapIndex = s.index;
    this.snapTerm = s.term;
    this.snapshot = s;
  }
}

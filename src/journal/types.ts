/**
 * The narrow journal interface every master state change goes through.
 * Implementations: local/ (single master, durable append-only file) now; raft/ (embedded Raft) next.
 *
 * Contract: `propose` resolves only after the entry is durable (fsync'd, group-committed with
 * concurrent proposals) AND applied to the state machine, and returns what `apply` returned; if
 * `apply` threw, `propose` rejects with that same error. Entries are applied strictly in index
 * order, exactly once per process lifetime, also during replay at `start`.
 */
export interface JournalEntry {
  /** Discriminator, e.g. 'mkdir', 'createFile'. */
  readonly type: string;
  readonly [field: string]: unknown;
}

export interface StateMachine {
  /** Deterministic: the same entries in the same order give the same state and results. */
  apply(entry: JournalEntry, index: number): unknown;
  /** Serialize the whole state (for a checkpoint). */
  snapshot(): Buffer;
  /** Replace the whole state with a snapshot produced by `snapshot()`. */
  restore(data: Buffer): void;
}

export interface JournalStats {
  readonly type: string;
  /** Index of the last durable entry (0 when empty). */
  readonly lastIndex: number;
  /** Index covered by the newest checkpoint (0 when none). */
  readonly checkpointIndex: number;
  /** Entries replayed by the last start(). */
  readonly replayedEntries: number;
  /** Milliseconds start() spent restoring and replaying. */
  readonly replayMs: number;
  /** Why writes are refused right now (the journal folder is full), absent when they are not. */
  readonly writeError?: string;
}

export interface Journal {
  /** Restore the newest checkpoint, replay the log into `sm`, then accept proposals. */
  start(sm: StateMachine): Promise<void>;
  propose(entry: JournalEntry): Promise<unknown>;
  /** Write a checkpoint of the state machine and drop log segments it covers. */
  checkpoint(): Promise<void>;
  /** Whether this journal may accept proposals (always true for the local journal once started). */
  isLeader(): boolean;
  stats(): JournalStats;
  close(): Promise<void>;
}

/**
 * The narrow journal interface every master state change goes through, generic over the state
 * machine's entry type. Implementations: local/ (single master, durable append-only file) and
 * raft/ (embedded Raft). The master asks the interface, never the class, what it needs: whether
 * leadership is elected, a read barrier, quorum administration.
 *
 * Entries enter a journal as proposals and, for Raft, from other masters; they come back from
 * disk on replay. Each is checked once where it enters, by the state machine's `decode`: a bad
 * proposal is refused before it is written; a bad entry already in the log is a
 * JournalCorruptError naming the log and the index (replay stops; a Raft member stops applying).
 *
 * Contract: `propose` resolves only after the entry is durable (fsync'd, group-committed with
 * concurrent proposals) AND applied to the state machine, and returns what `apply` returned; if
 * `apply` threw, `propose` rejects with that same error. Entries are applied strictly in index
 * order, exactly once per process lifetime, also during replay at `start`.
 */
import type { JournalEvents } from './events.js';

export interface JournalEntry {
  /** Discriminator, e.g. 'mkdir', 'createFile'. */
  readonly type: string;
}

/** An entry of any shape: for state machines that take any object with a type (tests, tools). */
export interface AnyEntry extends JournalEntry {
  readonly [field: string]: unknown;
}

/**
 * What a journal drives. `E` is the state machine's entry union (the master's: MasterEntry in
 * server/master/entries.ts); the journal never looks inside an entry beyond `type`.
 */
export interface StateMachine<E extends JournalEntry = AnyEntry> {
  /**
   * Check a value decoded from JSON (a proposal before it is written, an entry read back from
   * disk or received from another master) against `E`, and return it typed. Throws a typed
   * error naming the entry type and field (the master: InvalidEntryError). Journals call it
   * once per entry where it enters them, so `apply` can trust the types.
   */
  decode(v: unknown): E;
  /** Deterministic: the same entries in the same order give the same state and results. */
  apply(entry: E, index: number): unknown;
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
  /** Index of the last entry applied to the state machine. */
  readonly appliedIndex: number;
  /** Index of the last entry known committed (the local journal: its last durable entry). */
  readonly commitIndex: number;
  /** This member's address in a replicated journal (Raft: host:embedded journal port); absent otherwise. */
  readonly memberId?: string;
  /** Why writes are refused right now (the journal folder is full), absent when they are not. */
  readonly writeError?: string;
}

/** A member of the embedded journal's quorum, as the leader sees it. */
export interface QuorumMemberInfo {
  id: string;
  available: boolean;
  role: 'leader' | 'follower';
  recovering: boolean;
  /** The last index the leader knows it holds. */
  match?: number;
  /** The leader's last index minus match. */
  lag?: number;
  /** Milliseconds since this master last heard from the member (0 for itself; absent when never). */
  lastContactMs?: number;
}

export interface QuorumInfo { leader: string; term: number; members: QuorumMemberInfo[] }

/** Membership administration of a replicated journal (fsadmin journal quorum ...). */
export interface QuorumAdmin {
  /** Members, their state and lag (complete on the leader). */
  info(): QuorumInfo;
  /** Add or remove one voter; resolves once the change is committed and applied. */
  change(op: 'add' | 'remove', member: string): Promise<void>;
  /** Hand leadership to `to` (a voter); resolves when `to` leads, rejects after `timeoutMs`. */
  transferLeadership(to: string, timeoutMs: number): Promise<void>;
}

export interface Journal<E extends JournalEntry = AnyEntry> {
  /** Restore the newest checkpoint, replay the log into `sm`, then accept proposals. */
  start(sm: StateMachine<E>): Promise<void>;
  /** Rejects with the state machine's decode error, writing nothing, when `entry` is not an E. */
  propose(entry: E): Promise<unknown>;
  /** Write a checkpoint of the state machine and drop log segments it covers. */
  checkpoint(): Promise<void>;
  /** Whether this journal may accept proposals (always true for the local journal once started). */
  isLeader(): boolean;
  /**
   * Leadership comes from an election and may move (announced through the journal's
   * onRoleChange hook): a new leader must see an entry of its own applied before it serves
   * (everything committed before is then applied). False: the journal is the only writer and
   * leads from start() on, with its whole log applied.
   */
  readonly elected: boolean;
  /**
   * Resolves when this journal may serve a linearizable read of the state machine: at once for
   * a single writer, after a ReadIndex round (leadership confirmed by a quorum, everything
   * committed before applied) for Raft. Rejects (NotLeaderError, the journal's failure) otherwise.
   */
  readBarrier(): Promise<void>;
  /** Quorum administration; absent for a journal without members (the local journal). */
  readonly quorum?: QuorumAdmin;
  /** What this master saw happen to the journal (leader changes, transfers, snapshots...: events.ts). */
  readonly events?: JournalEvents;
  stats(): JournalStats;
  close(): Promise<void>;
}

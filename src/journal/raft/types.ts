/**
 * Plain data types shared by the pure Raft core (core.ts), its log (log.ts), progress tracking
 * (progress.ts) and the driver that feeds it. Everything here is serializable data: no classes
 * with behaviour except the two error types at the bottom.
 */
import { AlluxioError } from '../../errors.js';

export type NodeId = string;

/**
 * One log entry. `data` is opaque to the core: the JSON of a journal entry for 'normal' entries
 * (the empty string for the no-op a new leader appends), the JSON of a {@link ConfChange} for
 * 'conf' entries.
 */
export interface Entry {
  term: number;
  index: number;
  type: 'normal' | 'conf';
  data: string;
}

/**
 * The durable part of a node's state besides the log. `vote` is '' when the node has not voted.
 * `recovering` (absent when false) marks a node that lost its log and has not caught up yet: it
 * must survive a restart, or the node would vote again before it caught up.
 */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
  recovering?: true;
}

/** A state-machine snapshot covering the log up to and including `index` (whose term is `term`). */
export interface Snapshot {
  index: number;
  term: number;
  /** The voter configuration in force at `index` (conf entries up to `index` applied). */
  voters: NodeId[];
  data: string;
}

/** Single-server membership change, carried JSON-encoded in a 'conf' entry. */
export interface ConfChange {
  op: 'add' | 'remove';
  node: NodeId;
}

export type MessageType =
  | 'PreVote'
  | 'PreVoteResp'
  | 'Vote'
  | 'VoteResp'
  | 'App'
  | 'AppResp'
  | 'Heartbeat'
  | 'HeartbeatResp'
  | 'Snap'
  | 'TimeoutNow'
  | 'ReadIndex'
  | 'ReadIndexResp';

/**
 * A message between two nodes. Every message carries the sender's term (for PreVote: the term the
 * sender would campaign at; for a granted PreVoteResp: that same future term).
 *
 * Field use by type:
 * - (Pre)Vote: index/logTerm = candidate's last index/term; context = 'transfer' when the
 *   campaign was started by TimeoutNow (bypasses the leader lease).
 * - (Pre)VoteResp: reject.
 * - App: index/logTerm = the entry preceding `entries`; commit = leader's commit.
 * - AppResp: index = last index known to match (accept) or the rejected App's index (reject);
 *   rejectHint/logTerm = the follower's guess of where the logs may match (fast backtracking).
 * - Heartbeat: commit = min(leader commit, follower match); context = pending read-index context.
 * - HeartbeatResp: context echoed; reject + index = the follower's last index when the heartbeat's
 *   commit lies beyond it (the leader believes it holds entries it does not: its log was lost).
 * - AppResp and HeartbeatResp: recovering = the sender lost its log and has not caught up yet
 *   (the leader does not count it toward a commit, a read or its quorum).
 * - App and Heartbeat to a recovering follower: recoverAt = the index of the leader's no-op that
 *   the follower must hold, committed, before it votes and counts again (see core.ts).
 * - Snap: snapshot.
 * - ReadIndex: context (a follower forwarding a read to the leader).
 * - ReadIndexResp: index (the read index), context.
 */
export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  logTerm?: number;
  index?: number;
  entries?: Entry[];
  commit?: number;
  reject?: boolean;
  rejectHint?: number;
  snapshot?: Snapshot;
  context?: string;
  recovering?: boolean;
  recoverAt?: number;
}

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** Volatile state the driver may want to observe (who leads, what we are); never persisted. */
export interface SoftState {
  leader: NodeId;
  role: Role;
}

/** A linearizable read may be served once the state machine has applied `index`. */
export interface ReadState {
  index: number;
  context: string;
}

/**
 * One batch of work for the driver. Handle it in this order, then call `advance(rd)`:
 * 1. persist `snapshot` (if any), `entries` (replacing any stored entries at the same indexes and
 *    after) and `hardState` (if any) — durably;
 * 2. send `messages`;
 * 3. restore `snapshot` into the state machine (if any), then apply `committedEntries`;
 * 4. serve `readStates` (the state machine has already applied their index).
 * A leader (and no snapshot in the Ready) may instead send first and hand its write to the disk
 * without waiting, then `advance(rd, false)`, and report `persisted(index, term)` once the write
 * is durable; its writes must reach the disk in Ready order (core.ts, "Leader's own write").
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  messages: Message[];
  readStates: ReadState[];
}

export interface RaftConfig {
  id: NodeId;
  /**
   * Initial voters, used only when storage is empty: they are then written to the log as committed
   * conf entries 1..n (term 1), identically on every initial node. A node joining an existing
   * cluster starts with [] and learns the configuration from the leader's log or snapshot.
   */
  voters: NodeId[];
  /** Election timeout base in ticks; the randomized timeout is in [electionTicks, 2*electionTicks). */
  electionTicks: number;
  /** A leader sends heartbeats every heartbeatTicks ticks. Must be < electionTicks. */
  heartbeatTicks: number;
  /** Injected randomness in [0, 1): the core never calls Math.random. */
  random: () => number;
  /** Leader steps down without a quorum; followers honour a leader lease. Default true. */
  checkQuorum?: boolean;
  /** Campaign with a pre-vote round first. Default true. */
  preVote?: boolean;
  /** Max entries in one App message. Default 64. */
  maxEntriesPerMsg?: number;
  /** Max unacknowledged App messages per follower in replicate state. Default 16. */
  maxInflight?: number;
  /** Index the state machine has already applied at start (default: the snapshot's index, or 0). */
  applied?: number;
  /**
   * This node lost its log (its storage was wiped, or re-seeded with formatJournal) while the
   * cluster went on: with empty storage it does not bootstrap, and until it has caught up with a
   * leader it neither votes nor counts toward a commit or a quorum (see core.ts, "Recovering").
   */
  recovering?: boolean;
}

/** The durable state restored at start (from the WAL). `entries` follow the snapshot, if any. */
export interface RaftState {
  hardState: HardState;
  snapshot?: Snapshot;
  entries: Entry[];
}

export interface ProgressStatus {
  match: number;
  next: number;
  state: 'probe' | 'replicate' | 'snapshot';
  /** The follower said it lost its log and is catching up (not counted toward commit or quorum). */
  recovering?: boolean;
}

export interface RaftStatus {
  id: NodeId;
  term: number;
  role: Role;
  leader: NodeId;
  commit: number;
  applied: number;
  lastIndex: number;
  voters: NodeId[];
  /** This node lost its log and has not caught up with a leader yet (it does not vote). */
  recovering?: boolean;
  /** Leader only: replication progress of every voter (itself included). */
  progress?: Record<NodeId, ProgressStatus>;
}

/** A membership change was refused (another is uncommitted, the node is already a voter, ...). */
export class ConfChangeRefusedError extends AlluxioError {
  readonly code = 'CONF_CHANGE_REFUSED';
}

/** The core's own invariants were violated (a bug, or storage handed back inconsistent state). */
export class RaftInvariantError extends AlluxioError {
  readonly code = 'RAFT_INVARIANT';
}

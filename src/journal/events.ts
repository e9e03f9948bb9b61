/**
 * What a journal saw happen to its cluster, kept in this master's memory for the Journal/HA page
 * (server/master/webJournal.ts): leader changes with their term and, when this master knows it,
 * why (an election after a timeout, a pre-vote after the leader's connections were reset, a
 * leadership transfer, a step-down on a lost quorum, a ZooKeeper election); leadership transfers
 * requested here; quorum membership changes; snapshots (checkpoints) taken and installed.
 *
 * One small observer API for every journal: a bounded ring (the newest `capacity` events; older
 * ones are dropped and counted) and `onEvent` listeners. Nothing here is persisted or sent: each
 * master shows what it saw itself since it started, and a restarted master starts empty.
 */

import { journalMetrics } from '../metrics/index.js';

export type JournalEventKind =
  /** A leader was seen for a term (newLeader; oldLeader: the previous one this master knew). */
  | 'leader'
  /** This master stopped leading (reason). */
  | 'step-down'
  /** A leadership transfer was requested on this master (fsadmin journal quorum elect), or it failed. */
  | 'transfer'
  /** A quorum membership change was committed (op, member). */
  | 'membership'
  /** This master wrote a snapshot / checkpoint covering `index`. */
  | 'snapshot-taken'
  /** This master installed the leader's snapshot covering `index`. */
  | 'snapshot-installed'
  /** ZooKeeper mode: this master won or lost the election. */
  | 'election';

export interface JournalEvent {
  /** 1, 2, 3 ... in the order this master recorded them. */
  readonly seq: number;
  /** Wall-clock time (ms since the epoch) when this master recorded it. */
  readonly timeMs: number;
  readonly kind: JournalEventKind;
  /** The Raft term (ZooKeeper mode: the epoch) the event belongs to. */
  readonly term?: number;
  readonly oldLeader?: string;
  readonly newLeader?: string;
  /** Why, when this master knows it. */
  readonly reason?: string;
  readonly op?: 'add' | 'remove';
  readonly member?: string;
  /** Log index (membership entry, snapshot). */
  readonly index?: number;
  /** One line for people. */
  readonly detail: string;
}

export type JournalEventInput = Omit<JournalEvent, 'seq' | 'timeMs'>;

/** Events this master remembers by default (alluxio has no such property; the page shows them all). */
export const JOURNAL_EVENTS_KEPT = 100;

export class JournalEvents {
  private readonly ring: JournalEvent[] = [];
  private readonly listeners = new Set<(e: JournalEvent) => void>();
  private seq = 0;
  private leaderSeen = '';
  private termSeen: number | undefined;

  constructor(readonly capacity = JOURNAL_EVENTS_KEPT, private readonly now: () => number = Date.now) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`journal event capacity must be a positive integer, got ${capacity}`);
  }

  /** Record one event (the oldest goes when the ring is full) and tell the listeners. */
  record(input: JournalEventInput): JournalEvent {
    const e: JournalEvent = { seq: ++this.seq, timeMs: this.now(), ...input };
    this.ring.push(e);
    if (this.ring.length > this.capacity) this.ring.shift();
    for (const l of this.listeners) {
      try { l(e); } catch { /* a listener's failure is its own */ }
    }
    return e;
  }

  /**
   * A leader seen for `term`: recorded when it differs from the last leader or term this master
   * saw (the same leader re-elected in a later term is a new event); oldLeader is the previous
   * one ('' when none was known). Returns undefined when nothing changed. The one place every
   * journal's leader changes pass: Master.JournalLeaderChanges counts them here.
   */
  leader(newLeader: string, term: number, reason: string | undefined): JournalEvent | undefined {
    if (newLeader === '' || (newLeader === this.leaderSeen && term === this.termSeen)) return undefined;
    const oldLeader = this.leaderSeen;
    this.leaderSeen = newLeader;
    this.termSeen = term;
    const why = reason ? `: ${reason}` : '';
    journalMetrics.leaderChanges.inc();
    return this.record({
      kind: 'leader', term, oldLeader, newLeader, ...(reason ? { reason } : {}),
      detail: oldLeader ? `leader ${oldLeader} -> ${newLeader} in term ${term}${why}` : `leader ${newLeader} in term ${term}${why}`,
    });
  }

  /** The last leader recorded ('' when none). */
  lastLeader(): string { return this.leaderSeen; }

  /** Newest first. */
  list(): JournalEvent[] { return this.ring.slice().reverse(); }

  /** Events recorded since this master started that the ring no longer holds. */
  get dropped(): number { return this.seq - this.ring.length; }

  /** Call `listener` with every event recorded from now on; returns the unsubscribe function. */
  onEvent(listener: (e: JournalEvent) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }
}

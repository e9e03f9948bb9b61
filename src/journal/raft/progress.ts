/**
 * What the leader knows about each follower's log, and the flow control of App messages to it.
 *
 * States (as in etcd-io/raft, written afresh here):
 * - probe: we do not know where the follower's log ends. Send one App at a time (the "probe")
 *   and wait for its answer; a rejection moves `next` back (using the follower's hint).
 * - replicate: the follower's log matches up to `match`; stream Apps optimistically, advancing
 *   `next` as we send, with at most `maxInflight` of them unacknowledged (pipelining).
 * - snapshot: `next` was compacted away; a snapshot is on its way. Send nothing else until the
 *   follower reports having it (or the leader gives up on it after an election timeout).
 *
 * A follower can also turn out to have lost entries the leader counted as replicated (its storage
 * was wiped): a rejection, or a heartbeat answer, showing a log that ends below `match` makes the
 * leader forget `match` (`lostLog`) and probe from the follower's real last index. Counting it as
 * up to date would let the leader believe in a quorum it does not have (issue #10, defect 7).
 *
 * Pure data; no I/O.
 */
import type { NodeId, ProgressStatus } from './types.js';

/** A bounded FIFO of the last indexes of unacknowledged App messages. */
export class Inflights {
  private readonly items: number[] = [];
  constructor(readonly capacity: number) {}

  get count(): number {
    return this.items.length;
  }
  full(): boolean {
    return this.items.length >= this.capacity;
  }
  /** Record an App whose last entry is `index` (indexes are added in increasing order). */
  add(index: number): void {
    this.items.push(index);
  }
  /** An ack up to `index` frees every App ending at or before it. */
  freeLE(index: number): void {
    let n = 0;
    while (n < this.items.length && this.items[n]! <= index) n++;
    this.items.splice(0, n);
  }
  /** Forget the oldest App (it was probably lost) so the flow can resume. */
  freeFirst(): void {
    this.items.shift();
  }
  reset(): void {
    this.items.length = 0;
  }
}

export class Progress {
  /** Highest index known to be replicated on the follower. */
  match = 0;
  /** Next index to send. */
  next: number;
  state: ProgressStatus['state'] = 'probe';
  /** In probe state: an App is outstanding, wait for its answer (or a heartbeat reply). */
  probeSent = false;
  /** In snapshot state: the index of the snapshot sent. */
  pendingSnapshot = 0;
  /** In snapshot state: ticks since the snapshot was sent (the leader gives up on it eventually). */
  snapshotAge = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** The follower said it lost its log and has not caught up yet (see core.ts, "Recovering"). */
  recovering = false;
  /** Recovering: the index of the no-op it must hold, committed, to count again. */
  recoverAt = 0;
  readonly inflights: Inflights;

  constructor(next: number, maxInflight: number) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  private resetState(state: ProgressStatus['state']): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotAge = 0;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // Coming back from a snapshot, the follower has at least the snapshot (if it arrived).
    if (this.state === 'snapshot') {
      const snap = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, snap + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** The follower accepted entries up to `n`. Returns whether `match` moved. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * The follower rejected an App whose preceding index was `rejected`, and hinted that its log may
   * match up to `matchHint`. Returns false when the rejection is stale (out of order).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      // An App is only sent from match on, so a rejection below match answers an older one.
      if (rejected < this.match) return false;
      // A follower that holds `match` accepts an App there and hints at least `match`; one that
      // does not has lost entries it acknowledged.
      if (matchHint < this.match) this.lostLog(matchHint);
      else this.becomeProbe();
      return true;
    }
    // Probe: only the answer to the outstanding probe counts.
    if (this.next - 1 !== rejected) return false;
    if (matchHint < this.match) this.match = 0;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /**
   * The follower's log ends at `lastIndex`, below what it acknowledged (its storage was lost):
   * nothing it acknowledged counts any more; probe from its real end.
   */
  lostLog(lastIndex: number): void {
    this.match = 0;
    this.resetState('probe');
    this.next = Math.max(1, lastIndex + 1);
  }

  /** An App covering entries up to `last` (or none) was just sent. */
  sentEntries(count: number, last: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = last + 1;
        this.inflights.add(last);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /** Should we hold back App messages to this follower? */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  status(): ProgressStatus {
    const st: ProgressStatus = { match: this.match, next: this.next, state: this.state };
    if (this.recovering) st.recovering = true;
    return st;
  }
}

/** Votes needed for a majority of `n` voters. */
export function quorum(n: number): number {
  return Math.floor(n / 2) + 1;
}

/**
 * The highest index replicated on a majority of `voters`, given each voter's match index
 * (missing voters count as 0). 0 when there are no voters.
 */
export function committedIndex(voters: readonly NodeId[], match: (id: NodeId) => number): number {
  if (voters.length === 0) return 0;
  const m = voters.map(match).sort((a, b) => b - a);
  return m[quorum(voters.length) - 1]!;
}

/** Outcome of an election given the votes received so far. */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): 'won' | 'lost' | 'pending' {
  let granted = 0;
  let rejected = 0;
  for (const v of voters) {
    const g = votes.get(v);
    if (g === true) granted++;
    else if (g === false) rejected++;
  }
  const q = quorum(voters.length);
  if (granted >= q) return 'won';
  if (voters.length - rejected < q) return 'lost';
  return 'pending';
}

/**
 * Leader election for a journal whose masters share storage instead of replicating it (the
 * ZooKeeper mode: alluxio.zookeeper.enabled with alluxio.master.journal.type=UFS). The journal
 * (journal/ufs) asks an election, never ZooKeeper itself, whether it leads and under which epoch;
 * the ZooKeeper implementation lives in journal/zk, tests drive a fake one.
 *
 * Epochs fence writers: every leadership any master of the cluster gains has an epoch strictly
 * greater than every earlier one (ZooKeeper gives it: a versioned epoch node or the election
 * node's sequence), and the shared journal tags segments and records with it, so a master that
 * lost leadership (even one that slept through it) can be told apart and refused.
 */

/** What changed: this master gained leadership under `epoch`, or lost it (`reason`). */
export type ElectionEvent =
  | { readonly leader: true; readonly epoch: number }
  | { readonly leader: false; readonly reason: string };

export interface LeaderElection {
  /** Connect (a fresh session per process incarnation) and enter the election as a candidate. */
  start(): Promise<void>;
  /** This master leads now (as far as the election knows without asking). */
  isLeader(): boolean;
  /** The epoch of this master's current leadership; undefined when it does not lead. */
  epoch(): number | undefined;
  /** Called on every change, in order. */
  onChange(listener: (e: ElectionEvent) => void): void;
  /**
   * Ask the election service now whether this master still leads under `epoch` (a round trip:
   * the session is alive and no later epoch exists). The shared journal calls it before it
   * acknowledges writes of a group commit; false or a rejection means: do not acknowledge.
   */
  confirm(epoch: number): Promise<boolean>;
  /** The address the current leader published (its rpc host:port), if any leads. */
  leaderAddress(): Promise<string | undefined>;
  /** Leave the election (the leader steps down) and close the session. */
  close(): Promise<void>;
}

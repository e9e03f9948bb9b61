/**
 * The pure Raft state machine (convention 1, after etcd-io/raft's design; written from the Raft
 * paper and thesis, not from etcd's code).
 *
 * Inputs:  tick(), step(message), propose(data), proposeConfChange(cc), transferLeadership(to),
 *          readIndex(ctx), compact(index, data), campaign(), peerLost(peer).
 * Output:  ready() -> Ready, then advance(ready) once the driver has handled it.
 *
 * The core performs no I/O and reads no clock or random source of its own: time is the number of
 * tick() calls, randomness comes from cfg.random. Messages produced while handling an input are
 * only handed out in a Ready, together with the entries and hard state they depend on; the driver
 * persists those before sending the messages, so e.g. a vote or an App acknowledgement is never
 * sent before it is durable.
 *
 * Features: randomized election timeouts; pre-vote; check-quorum with a leader lease; log
 * replication with probe/replicate/snapshot progress states, pipelining (maxInflight) and
 * batching (maxEntriesPerMsg); fast log backtracking with reject hints; commitment by counting
 * replicas of current-term entries only; snapshots for followers whose next entry was compacted;
 * single-server membership changes effective on append; leadership transfer via TimeoutNow;
 * linearizable reads via ReadIndex; term fencing of stale nodes.
 *
 * Recovering (a member that lost its log, issue #10 defect 7). Raft assumes storage is never
 * lost: a node whose raft/ folder was wiped has forgotten its vote (it could vote twice in a
 * term) and the entries it acknowledged (a majority that counted it may no longer hold a
 * committed entry; with its vote, a leader lacking that entry could be elected). A node started
 * with `recovering` (the driver knows its storage was lost) therefore starts with an empty log
 * (no bootstrap), grants no vote or pre-vote and never campaigns, and marks its answers
 * `recovering`, so that the leader does not count it toward a commit, a read or its quorum.
 * A leader that hears a follower is recovering forgets its match and appends a no-op at index r
 * (every entry the follower may have acknowledged before is below r), and tells it r
 * (`recoverAt`) in its appends and heartbeats. The follower leaves the recovering state once it
 * holds r and knows r committed: committing r took a majority without it, so the leader was
 * current and had every committed entry, and the follower has them all now. It then records its
 * vote for that leader (the only one it may have voted for in that term and still count) and
 * counts again. Durable (HardState.recovering) until then. This survives the loss of one
 * member's storage at a time; losing a majority's copies of an entry loses the entry.
 *
 * Leader's own write (issue #14, Raft thesis §10.2.1). A leader sends its appends before its own
 * write is durable, and the driver lets it go on while that write is on its way to the disk
 * (advance(rd, false), then persisted(index, term) once durable): acknowledgements that arrive
 * meanwhile are counted at once. An entry is committed when a majority of voters holds it
 * DURABLY: the followers' match indexes (a follower acknowledges only what it persisted), and
 * the leader's own copy only up to the index its disk made durable (`durable`), never its
 * in-memory log. So two followers of three can commit an entry the leader has not written yet;
 * a leader whose disk is done but has no follower's answer cannot, and a single-member cluster
 * commits once its own write is durable. A leader that crashes before its write is durable may
 * lose the entry locally, but a majority has it, so any leader elected later has it too (the
 * election restriction, §5.4.1) and the restarted member gets it back from that leader. Writes
 * complete in the order they were handed out, and the commit index is persisted in a later
 * write than the entries it covers, so a restarted member's commit never lies past its log.
 *
 * Connection-reset elections (issue #14). When a leader's process dies, the kernel resets its
 * TCP connections at once; the driver reports that to the core as peerLost(leader) (both
 * streams to the leader closed by the other side: reset or EOF, never a timeout or our own
 * cancel). A follower told so forfeits its lease on that leader (it grants pre-votes from now
 * on) and starts a pre-vote round at once instead of waiting for its election timeout. Nothing
 * else changes: a pre-vote changes no term and no vote, and the others still ignore pre-votes
 * while their own lease on a leader they hear holds, so the round succeeds only when a majority
 * also saw the reset (the leader died) or stopped hearing the leader for an election timeout.
 * A reset seen by one follower only (a flaky link to a healthy leader) therefore cannot depose
 * the leader: the pre-candidate's round stays open until the leader's next heartbeat makes it a
 * follower again. A paused, slow or partitioned leader resets nothing and keeps the normal
 * timeouts. Two details keep such a round fast: its pre-votes are sent again on every tick to
 * the voters that have not answered (a voter that ignored the first one because its own reset
 * notice came a moment later grants the next; one that starts a reset round itself is asked
 * again at once), and two pre-candidates of reset rounds for the same term do not both win and
 * split the election: each grants only the better one (more up-to-date log, then lower id) and,
 * granting, withdraws its own round (and, withdrawn, still grants only candidates better than
 * itself, so that a worse one cannot collect the withdrawn votes). Once the election timer runs
 * out, a normal round replaces all this.
 */
import { NotLeaderError, UsageError } from '../../errors.js';
import { configFromLog, encodeConfChange, normalizeVoters } from './config.js';
import { RaftLog } from './log.js';
import { Progress, committedIndex, quorum, voteResult } from './progress.js';
import {
  type ConfChange,
  ConfChangeRefusedError,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type RaftConfig,
  RaftInvariantError,
  type RaftState,
  type RaftStatus,
  type ReadState,
  type Ready,
  type Role,
  type Snapshot,
  type SoftState,
} from './types.js';

/** Context marking a Vote sent because of TimeoutNow: voters skip the leader-lease check. */
export const TRANSFER_CONTEXT = 'transfer';

/** A message as built by the core: `from` is filled in, `term` defaults to the current term. */
type OutMessage = Omit<Message, 'from' | 'term'> & { term?: number };

type CampaignKind = 'pre-vote' | 'election' | 'transfer';

/** A read waiting for a heartbeat quorum to confirm the leader still leads. */
interface PendingRead {
  index: number;
  context: string;
  from: NodeId;
  acks: Set<NodeId>;
}

export class RaftCore {
  readonly id: NodeId;
  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private readonly random: () => number;
  private readonly checkQuorum: boolean;
  private readonly preVote: boolean;
  private readonly maxEntriesPerMsg: number;
  private readonly maxInflight: number;

  /** Lost its log and not caught up yet: no votes, not counted (see the module comment). */
  private recovering = false;
  /** Recovering: the leader's no-op to reach (index, in term), 0 when not told yet. */
  private recoverAt = { term: 0, index: 0 };
  private term = 0;
  private vote: NodeId = '';
  private lead: NodeId = '';
  private role: Role = 'follower';
  private readonly log: RaftLog;

  /** Current configuration (sorted) and the index of the last conf entry in the log. */
  private voters: NodeId[] = [];
  private pendingConfIndex = 0;

  /** Leader only: per-voter replication progress (the leader's own entry included). */
  private prs = new Map<NodeId, Progress>();
  /** Candidate / pre-candidate: votes received. */
  private readonly votes = new Map<NodeId, boolean>();

  private electionElapsed = 0;
  /** Pre-candidate: this round was started by peerLost (see the module comment). */
  private resetRound = false;
  /** Follower: withdrew its reset round for a better candidate (grants only better ones). */
  private resetWithdrawn = false;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /** Leader only: the target of a leadership transfer in progress ('' when none). */
  private leadTransferee: NodeId = '';
  /** Leader: the commit index followers were last told about in a broadcast (see handleAppendResponse). */
  private commitAnnounced = 0;

  /** Leader only: reads waiting for the leader's first commit in its term. */
  private queuedReads: { from: NodeId; context: string }[] = [];
  /** Leader only: reads waiting for a heartbeat quorum. */
  private pendingReads: PendingRead[] = [];
  /** Confirmed reads waiting until applied >= index. */
  private readyReads: ReadState[] = [];

  /** Messages produced since the last ready(). */
  private msgs: Message[] = [];
  private prevSoft: SoftState;
  private prevHard: HardState;
  /** A Ready was handed out and not yet advanced. */
  private outstanding = false;

  constructor(cfg: RaftConfig, restored?: RaftState) {
    if (!(cfg.heartbeatTicks > 0) || !(cfg.electionTicks > cfg.heartbeatTicks)) {
      throw new UsageError(`raft: need 0 < heartbeatTicks (${cfg.heartbeatTicks}) < electionTicks (${cfg.electionTicks})`);
    }
    this.id = cfg.id;
    this.electionTimeout = cfg.electionTicks;
    this.heartbeatTimeout = cfg.heartbeatTicks;
    this.random = cfg.random;
    this.checkQuorum = cfg.checkQuorum ?? true;
    this.preVote = cfg.preVote ?? true;
    this.maxEntriesPerMsg = Math.max(1, cfg.maxEntriesPerMsg ?? 64);
    this.maxInflight = Math.max(1, cfg.maxInflight ?? 16);

    let hs = restored?.hardState ?? { term: 0, vote: '', commit: 0 };
    // What storage holds needs no re-persisting (commit may have been clamped to the log).
    this.prevHard = { ...hs };
    let entries = restored?.entries ?? [];
    const empty = !restored?.snapshot && entries.length === 0 && hs.term === 0;
    // A recovering node learns log and configuration from the leader: it must not bootstrap.
    this.recovering = hs.recovering === true || (empty && cfg.recovering === true);
    const bootstrap = empty && cfg.voters.length > 0 && !this.recovering;
    if (bootstrap) {
      // Bootstrap: the initial configuration becomes committed conf entries 1..n at term 1,
      // identical on every initial node, so the log alone always determines the configuration
      // (a node joining later starts with no voters and learns everything from the leader).
      entries = normalizeVoters(cfg.voters).map((node, i) => ({ term: 1, index: i + 1, type: 'conf' as const, data: encodeConfChange({ op: 'add', node }) }));
      hs = { term: 1, vote: '', commit: entries.length };
    }
    this.log = new RaftLog(restored?.snapshot, entries, hs.commit, cfg.applied);
    if (bootstrap) this.log.stabled = 0; // handed out (to be persisted) in the first Ready
    this.term = hs.term;
    this.vote = hs.vote;
    this.recomputeConfig();
    this.becomeFollower(this.term, '');
    this.prevSoft = this.softState();
  }

  // ------------------------------------------------------------------ inputs

  /** One unit of logical time. */
  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  /** Start an election now (pre-vote first when enabled). No-op for a leader or a non-voter. */
  campaign(): void {
    if (this.role === 'leader') return;
    this.startCampaign(this.preVote ? 'pre-vote' : 'election');
  }

  /**
   * The driver saw both connections to `peer` closed by the other side (its process died; see the
   * module comment). For a follower of `peer`: forfeit the lease and start a pre-vote round now.
   * Ignored otherwise, and without pre-vote (a real election could depose a healthy leader).
   */
  peerLost(peer: NodeId): void {
    if (!this.preVote || this.role !== 'follower' || peer === this.id || peer !== this.lead) return;
    // No leader, no lease: from now on we grant pre-votes. The round below lasts an election
    // timeout; then the normal timer campaigns again, as it would have without the reset.
    this.lead = '';
    this.electionElapsed = 0;
    if (!this.promotable()) return;
    this.startCampaign('pre-vote');
    if ((this.role as Role) === 'pre-candidate') this.resetRound = true; // (one voter: already leader)
  }

  /** Append `data` as a normal entry. Returns its index. Leader only. */
  propose(data: string): number {
    this.checkCanPropose();
    return this.appendEntry('normal', data);
  }

  /** Append a single-server membership change. Returns its index. Leader only, one at a time. */
  proposeConfChange(cc: ConfChange): number {
    this.checkCanPropose();
    if (this.pendingConfIndex > this.log.committed) {
      throw new ConfChangeRefusedError(`membership change at index ${this.pendingConfIndex} is not committed yet`);
    }
    // Raft thesis erratum: a new leader must commit an entry of its own term before changing the
    // configuration, or two single-server changes could be decided by disjoint majorities.
    if (this.log.term(this.log.committed) !== this.term) {
      throw new ConfChangeRefusedError('the leader has not committed an entry in its term yet');
    }
    if (cc.op === 'add' && this.voters.includes(cc.node)) {
      throw new ConfChangeRefusedError(`${cc.node} is already a voter`);
    }
    if (cc.op === 'remove') {
      if (!this.voters.includes(cc.node)) throw new ConfChangeRefusedError(`${cc.node} is not a voter`);
      if (this.voters.length === 1) throw new ConfChangeRefusedError(`cannot remove the last voter ${cc.node}`);
    }
    return this.appendEntry('conf', encodeConfChange(cc));
  }

  /**
   * Hand leadership to `to`: bring it up to date, then tell it to campaign at once (TimeoutNow).
   * Proposals are refused meanwhile; the transfer is abandoned after an election timeout.
   */
  transferLeadership(to: NodeId): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.lead || undefined);
    if (to === this.id) {
      this.leadTransferee = '';
      return;
    }
    if (!this.voters.includes(to)) throw new UsageError(`cannot transfer leadership to ${to}: not a voter`);
    if (this.leadTransferee === to) return;
    if (this.prs.get(to)?.recovering) throw new UsageError(`cannot transfer leadership to ${to}: it lost its log and is still catching up`);
    this.leadTransferee = to;
    // The transfer must finish within one election timeout.
    this.electionElapsed = 0;
    const pr = this.prs.get(to)!;
    if (pr.match === this.log.lastIndex()) this.send({ type: 'TimeoutNow', to });
    else this.sendAppend(to);
  }

  /**
   * Request a linearizable read. The ReadState (index, context) comes out in a later Ready once
   * leadership at `index` was confirmed and the state machine applied `index`. Followers forward
   * the request to the leader. Requests are dropped if leadership changes meanwhile: callers time
   * out and retry.
   */
  readIndex(context: string): void {
    if (this.role === 'leader') this.handleReadIndex(this.id, context);
    else if (this.lead !== '') this.send({ type: 'ReadIndex', to: this.lead, context });
    else throw new NotLeaderError(undefined);
  }

  /**
   * The application took a snapshot of its state at `index` (<= applied): drop the log up to it.
   * Returns the snapshot (with its term and voters filled in) for the driver to persist, or
   * undefined when `index` is not beyond the current snapshot.
   */
  compact(index: number, snapshotData: string): Snapshot | undefined {
    if (index <= this.log.snapshotIndex()) return undefined;
    if (index > this.log.applied) {
      throw new RaftInvariantError(`cannot compact to ${index}: only ${this.log.applied} applied`);
    }
    const snap: Snapshot = {
      index,
      term: this.log.term(index)!,
      voters: configFromLog(this.baseVoters(), this.log.allEntries(), index).voters,
      data: snapshotData,
    };
    this.log.compact(snap);
    return snap;
  }

  /** Process one message from another node. */
  step(m: Message): void {
    if (m.to !== this.id) return;
    if (m.term > this.term) {
      if (m.type === 'PreVote' || m.type === 'Vote') {
        // Leader lease: while we hear from a leader, a (pre-)candidate is someone partitioned
        // away or removed; ignore it so it cannot disrupt the cluster. TimeoutNow campaigns skip this.
        const inLease = this.checkQuorum && this.lead !== '' && this.electionElapsed < this.electionTimeout;
        if (inLease && m.context !== TRANSFER_CONTEXT) return;
      }
      if (m.type === 'PreVote') {
        // A pre-vote never changes our term.
      } else if (m.type === 'PreVoteResp' && !m.reject) {
        // Granted pre-votes carry the future term we would campaign at; tallied below.
      } else {
        const fromLeader = m.type === 'App' || m.type === 'Heartbeat' || m.type === 'Snap';
        this.becomeFollower(m.term, fromLeader ? m.from : '');
      }
    } else if (m.term < this.term) {
      // Fencing: a stale node gets no acknowledgement, only our term, so that it steps down.
      if ((this.checkQuorum || this.preVote) && (m.type === 'App' || m.type === 'Heartbeat')) {
        this.send({ type: 'AppResp', to: m.from });
      } else if (m.type === 'PreVote') {
        this.send({ type: 'PreVoteResp', to: m.from, reject: true });
      }
      return;
    }

    if (m.type === 'PreVote' || m.type === 'Vote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'candidate':
      case 'pre-candidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
    }
  }

  // ------------------------------------------------------------------ Ready

  hasReady(): boolean {
    if (this.outstanding) return false;
    if (!sameSoft(this.softState(), this.prevSoft)) return true;
    if (!sameHard(this.hardState(), this.prevHard)) return true;
    if (this.log.pendingSnapshot) return true;
    if (this.log.unstableEntries().length > 0) return true;
    if (this.log.hasNextCommittedEntries()) return true;
    if (this.msgs.length > 0) return true;
    return this.readyReads.some((r) => r.index <= this.log.applied);
  }

  /** The next batch of work. Must be followed by advance(rd) before the next ready(). */
  ready(): Ready {
    if (this.outstanding) throw new RaftInvariantError('ready() called twice without advance()');
    this.outstanding = true;
    const rd: Ready = {
      entries: this.log.unstableEntries(),
      committedEntries: this.log.nextCommittedEntries(),
      messages: this.msgs,
      readStates: this.readyReads.filter((r) => r.index <= this.log.applied),
    };
    this.msgs = [];
    this.readyReads = this.readyReads.filter((r) => r.index > this.log.applied);
    const soft = this.softState();
    if (!sameSoft(soft, this.prevSoft)) {
      rd.softState = soft;
      this.prevSoft = soft;
    }
    const hard = this.hardState();
    if (!sameHard(hard, this.prevHard)) {
      rd.hardState = hard;
      this.prevHard = hard;
    }
    if (this.log.pendingSnapshot) rd.snapshot = this.log.pendingSnapshot;
    return rd;
  }

  /**
   * The driver persisted, sent and applied `rd`. With `durable` false (a leader only, and no
   * snapshot in `rd`), its entries were handed to the disk but may not be durable yet: the driver
   * reports that later with persisted(); until then the leader does not count them as its own
   * copy toward a commit (see "Leader's own write" in the module comment).
   */
  advance(rd: Ready, durable = true): void {
    if (!this.outstanding) throw new RaftInvariantError('advance() without a ready()');
    if (!durable && rd.snapshot) throw new RaftInvariantError('a snapshot must be durable before advance()');
    this.outstanding = false;
    if (rd.snapshot) {
      this.log.snapshotApplied(rd.snapshot);
      this.log.snapshotDurable(rd.snapshot);
    }
    const lastEnt = rd.entries[rd.entries.length - 1];
    if (lastEnt) this.log.stableTo(lastEnt.index, lastEnt.term);
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied && lastApplied.index > this.log.applied) this.log.appliedTo(lastApplied.index);
    if (durable && lastEnt) this.persisted(lastEnt.index, lastEnt.term);
  }

  /**
   * The driver's write of this node's entries up to (index, term) is durable (writes complete in
   * the order their Readys were handed out). Ignored if the log changed meanwhile. On a leader
   * its own copy now counts toward a commit, which may commit entries (in the next Ready).
   */
  persisted(index: number, term: number): void {
    if (this.log.durableTo(index, term)) this.maybeCommit();
  }

  /** The last index of this node's log known durable on its disk (see persisted()). */
  durableIndex(): number {
    return this.log.durable;
  }

  /** Role, leader and term: what the hot paths ask (status() builds the whole picture). */
  roleInfo(): { role: Role; leader: NodeId; term: number } {
    return { role: this.role, leader: this.lead, term: this.term };
  }

  status(): RaftStatus {
    const st: RaftStatus = {
      id: this.id,
      term: this.term,
      role: this.role,
      leader: this.lead,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      voters: [...this.voters],
    };
    if (this.recovering) st.recovering = true;
    if (this.role === 'leader') {
      st.progress = {};
      for (const [id, pr] of [...this.prs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) st.progress[id] = pr.status();
    }
    return st;
  }

  /** Read-only view of the log, for tests and tooling. */
  logView(): { snapshotIndex: number; snapshotTerm: number; entries: readonly Entry[]; stabled: number; durable: number; committed: number; applied: number } {
    return {
      snapshotIndex: this.log.snapshotIndex(),
      snapshotTerm: this.log.term(this.log.snapshotIndex()) ?? 0,
      entries: this.log.allEntries(),
      stabled: this.log.stabled,
      durable: this.log.durable,
      committed: this.log.committed,
      applied: this.log.applied,
    };
  }

  /** Id of the leadership-transfer target in progress ('' when none). */
  transferee(): NodeId {
    return this.leadTransferee;
  }

  // ------------------------------------------------------------------ roles

  private softState(): SoftState {
    return { leader: this.lead, role: this.role };
  }

  private hardState(): HardState {
    const hs: HardState = { term: this.term, vote: this.vote, commit: this.log.committed };
    if (this.recovering) hs.recovering = true;
    return hs;
  }

  /** Can this node campaign? Only voters that have their log, and not while restoring a snapshot. */
  private promotable(): boolean {
    return this.voters.includes(this.id) && !this.log.pendingSnapshot && !this.recovering;
  }

  /** Common part of every role change. */
  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = '';
    }
    this.lead = '';
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.electionTimeout + Math.floor(this.random() * this.electionTimeout);
    this.leadTransferee = '';
    this.resetRound = false;
    this.resetWithdrawn = false;
    this.votes.clear();
    this.prs = new Map();
    this.queuedReads = [];
    this.pendingReads = [];
  }

  private becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.role = 'follower';
    this.lead = lead;
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.role = 'leader';
    this.lead = this.id;
    for (const v of this.voters) this.prs.set(v, this.newProgress());
    const self = this.prs.get(this.id);
    if (self) {
      // The leader's own log is, trivially, replicated to itself.
      self.maybeUpdate(this.log.lastIndex());
      self.becomeReplicate();
    }
    // The no-op lets the leader commit (by counting) everything older as soon as possible.
    this.appendEntry('normal', '');
  }

  private newProgress(): Progress {
    const pr = new Progress(this.log.lastIndex() + 1, this.maxInflight);
    pr.recentActive = true;
    return pr;
  }

  private startCampaign(kind: CampaignKind): void {
    if (!this.promotable()) return;
    let voteTerm: number;
    if (kind === 'pre-vote') {
      // Ask whether we could win at term+1, without touching our term.
      this.role = 'pre-candidate';
      this.lead = '';
      this.resetRound = false;
      this.votes.clear();
      voteTerm = this.term + 1;
    } else {
      this.reset(this.term + 1);
      this.role = 'candidate';
      this.vote = this.id;
      voteTerm = this.term;
    }
    this.votes.set(this.id, true);
    if (this.poll() !== 'pending') return; // single voter: already decided
    for (const to of this.voters) if (to !== this.id) this.sendVoteRequest(kind, to, voteTerm);
  }

  private sendVoteRequest(kind: CampaignKind, to: NodeId, voteTerm: number): void {
    const m: Message = { type: kind === 'pre-vote' ? 'PreVote' : 'Vote', from: this.id, to, term: voteTerm, index: this.log.lastIndex(), logTerm: this.log.lastTerm() };
    if (kind === 'transfer') m.context = TRANSFER_CONTEXT;
    this.msgs.push(m);
  }

  /** Count the votes; act on a decision. */
  private poll(): 'won' | 'lost' | 'pending' {
    const res = voteResult(this.voters, this.votes);
    if (res === 'won') {
      if (this.role === 'pre-candidate') this.startCampaign('election');
      else this.becomeLeader();
    } else if (res === 'lost') {
      this.becomeFollower(this.term, '');
    }
    return res;
  }

  // ------------------------------------------------------------------ ticks

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.campaign();
    } else if (this.role === 'pre-candidate' && this.resetRound) {
      // A reset round asks again whoever has not answered (see the module comment).
      for (const to of this.voters) if (to !== this.id && !this.votes.has(to)) this.sendVoteRequest('pre-vote', to, this.term + 1);
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    for (const pr of this.prs.values()) {
      // A snapshot unanswered for an election timeout is presumed lost: probe again.
      if (pr.state === 'snapshot' && ++pr.snapshotAge >= this.electionTimeout) pr.becomeProbe();
    }
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum && !this.quorumActive()) {
        // Cut off from a majority: stop acting as leader (our lease lapsed everywhere else).
        this.becomeFollower(this.term, '');
        return;
      }
      this.leadTransferee = ''; // a transfer that took a whole election timeout is abandoned
    }
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.pendingReads[this.pendingReads.length - 1]?.context);
    }
    if (this.log.committed > this.commitAnnounced) this.bcastAppend();
  }

  /** Did a quorum of voters talk to us since the last check? Resets the activity flags. */
  private quorumActive(): boolean {
    let active = 0;
    for (const v of this.voters) {
      const pr = this.prs.get(v);
      if (v === this.id || (pr?.recentActive && !pr.recovering)) active++;
      if (pr && v !== this.id) pr.recentActive = false;
    }
    return active >= quorum(this.voters.length);
  }

  // ------------------------------------------------------------------ leader

  private checkCanPropose(): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.lead || undefined);
    if (this.leadTransferee !== '') {
      throw new NotLeaderError(this.leadTransferee, `leadership transfer to ${this.leadTransferee} in progress`);
    }
    if (!this.voters.includes(this.id)) throw new NotLeaderError(undefined, 'this leader is being removed from the cluster');
  }

  private appendEntry(type: Entry['type'], data: string): number {
    const e: Entry = { term: this.term, index: this.log.lastIndex() + 1, type, data };
    this.log.append([e]);
    this.prs.get(this.id)?.maybeUpdate(e.index);
    if (type === 'conf') this.recomputeConfig();
    this.maybeCommit();
    this.bcastAppend();
    return e.index;
  }

  /** Send the next App (or a snapshot) to `to` unless flow control pauses it. Returns whether sent. */
  private sendAppend(to: NodeId, sendIfEmpty = true): boolean {
    const pr = this.prs.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const ents = this.log.slice(pr.next, this.log.lastIndex(), this.maxEntriesPerMsg);
    if (prevTerm === undefined || ents === undefined) return this.sendSnapshot(to, pr);
    if (ents.length === 0 && !sendIfEmpty) return false;
    const m: OutMessage = { type: 'App', to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.log.committed };
    if (pr.recovering) m.recoverAt = pr.recoverAt;
    this.send(m);
    pr.sentEntries(ents.length, prevIndex + ents.length);
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    const snap = this.log.snapshot;
    if (!snap) throw new RaftInvariantError(`entry ${pr.next} is compacted but there is no snapshot`);
    pr.becomeSnapshot(snap.index);
    this.send({ type: 'Snap', to, snapshot: snap });
    return true;
  }

  private bcastAppend(): void {
    for (const to of this.prs.keys()) if (to !== this.id) this.sendAppend(to);
    this.commitAnnounced = this.log.committed;
  }

  private bcastHeartbeat(context?: string): void {
    for (const [to, pr] of this.prs) {
      if (to === this.id) continue;
      // Never tell a follower to commit beyond what it is known to hold.
      const m: OutMessage = { type: 'Heartbeat', to, commit: Math.min(pr.match, this.log.committed) };
      if (context !== undefined) m.context = context;
      if (pr.recovering) m.recoverAt = pr.recoverAt;
      this.send(m);
    }
    this.commitAnnounced = this.log.committed; // a heartbeat carries the commit index too
  }

  /** Advance commit to the highest current-term index a majority holds. */
  private maybeCommit(): boolean {
    if (this.role !== 'leader') return false;
    // A recovering follower's acknowledgements do not count, and the leader's own copy counts
    // only as far as its disk has made it durable (see the module comment).
    const mci = committedIndex(this.voters, (v) => {
      if (v === this.id) return Math.min(this.log.durable, this.log.lastIndex());
      const pr = this.prs.get(v);
      return pr && !pr.recovering ? pr.match : 0;
    });
    // Only entries of the current term are committed by counting (Raft §5.4.2).
    if (mci <= this.log.committed || this.log.term(mci) !== this.term) return false;
    this.log.commitTo(mci);
    this.afterLeaderCommit();
    return true;
  }

  private afterLeaderCommit(): void {
    // Reads queued before the leader's first commit in its term can proceed now.
    if (this.queuedReads.length > 0 && this.log.term(this.log.committed) === this.term) {
      const q = this.queuedReads;
      this.queuedReads = [];
      for (const r of q) this.handleReadIndex(r.from, r.context);
    }
    // A leader that removed itself steps down once the change is committed (thesis §4.2.2),
    // handing over to an up-to-date voter so that no election timeout is lost.
    if (!this.voters.includes(this.id) && this.pendingConfIndex <= this.log.committed) {
      this.bcastAppend(); // let the others learn the commit index
      const heir = this.voters.find((v) => this.prs.get(v)?.match === this.log.lastIndex() && !this.prs.get(v)?.recovering);
      if (heir !== undefined) this.send({ type: 'TimeoutNow', to: heir });
      this.becomeFollower(this.term, '');
    }
  }

  private stepLeader(m: Message): void {
    const pr = this.prs.get(m.from);
    switch (m.type) {
      case 'AppResp':
        if (pr) this.handleAppendResponse(m, pr);
        return;
      case 'HeartbeatResp':
        if (!pr) return;
        pr.recentActive = true;
        if (this.noteRecovering(pr, m) && this.role !== 'leader') return;
        // The follower's log ends below the commit index we told it: it lost entries it had
        // acknowledged. Forget its match and repair it from its real end.
        if (m.reject && (m.index ?? 0) < pr.match) pr.lostLog(m.index ?? 0);
        pr.probeSent = false;
        // All in-flight Apps may have been lost: free one slot so that replication resumes.
        if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirst();
        if (pr.match < this.log.lastIndex()) this.sendAppend(m.from);
        // A recovering follower cannot vouch for our leadership (it may not know the latest term).
        if (m.context !== undefined && !pr.recovering) this.ackRead(m.from, m.context);
        return;
      case 'ReadIndex':
        if (m.context !== undefined) this.handleReadIndex(m.from, m.context);
        return;
      default:
        // App/Heartbeat/Snap at our term cannot come from another leader; responses to old
        // campaigns and TimeoutNow are meaningless for a leader.
        return;
    }
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (this.noteRecovering(pr, m) && this.role !== 'leader') return;
    if (m.reject) {
      // Fast backtracking: skip over whole terms the follower cannot match.
      let hint = m.rejectHint ?? 0;
      if (m.logTerm !== undefined && m.logTerm > 0) hint = this.log.findConflictByTerm(hint, m.logTerm);
      // (maybeDecrTo also finds a follower that lost entries it acknowledged: hint < match.)
      if (pr.maybeDecrTo(m.index ?? 0, hint)) this.sendAppend(m.from);
      return;
    }
    if (!pr.maybeUpdate(m.index ?? 0)) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(pr.match);
    }
    // A new commit index is not broadcast at once: followers learn it from the next append
    // (under load, right away) or, when idle, at the next tick. Followers only apply what a
    // leader already applied, so their lag is invisible to clients; this halves the messages
    // per write at low concurrency (no empty append + response per commit).
    if (this.maybeCommit() && this.role !== 'leader') return; // stepped down after committing its own removal
    // Stream whatever else the follower is missing, as far as the inflight window allows.
    while (this.sendAppend(m.from, false)) {
      /* keep sending */
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send({ type: 'TimeoutNow', to: m.from });
    }
  }

  /**
   * Track whether a follower says it lost its log (see the module comment). The first time: forget
   * what it acknowledged before and append the no-op it must reach. When it stops saying so, its
   * match counts again, which may commit (returns whether it did).
   */
  private noteRecovering(pr: Progress, m: Message): boolean {
    if (m.recovering === true) {
      if (pr.recovering) return false;
      pr.recovering = true;
      pr.match = 0;
      pr.recoverAt = this.log.lastIndex() + 1;
      this.appendEntry('normal', '');
      return false;
    }
    if (!pr.recovering) return false;
    pr.recovering = false;
    pr.recoverAt = 0;
    return this.maybeCommit();
  }

  private handleReadIndex(from: NodeId, context: string): void {
    if (this.voters.length === 1 && this.voters[0] === this.id) {
      this.deliverRead(from, this.log.committed, context);
      return;
    }
    // Until it commits an entry of its term, the leader does not know the latest commit index.
    if (this.log.term(this.log.committed) !== this.term) {
      this.queuedReads.push({ from, context });
      return;
    }
    if (this.pendingReads.some((r) => r.context === context)) return;
    this.pendingReads.push({ index: this.log.committed, context, from, acks: new Set([this.id]) });
    this.bcastHeartbeat(context);
  }

  /** A heartbeat answer for read `context`: once a quorum answered, it and all older reads are confirmed. */
  private ackRead(from: NodeId, context: string): void {
    const i = this.pendingReads.findIndex((r) => r.context === context);
    if (i < 0) return;
    const r = this.pendingReads[i]!;
    r.acks.add(from);
    const acked = this.voters.filter((v) => r.acks.has(v)).length;
    if (acked < quorum(this.voters.length)) return;
    const done = this.pendingReads.splice(0, i + 1);
    for (const d of done) this.deliverRead(d.from, d.index, d.context);
  }

  private deliverRead(from: NodeId, index: number, context: string): void {
    if (from === this.id) this.readyReads.push({ index, context });
    else this.send({ type: 'ReadIndexResp', to: from, index, context });
  }

  // ------------------------------------------------------------------ candidate & follower

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'App':
      case 'Heartbeat':
      case 'Snap':
        // Someone won this term.
        this.becomeFollower(this.term, m.from);
        this.stepFollower(m);
        return;
      case 'PreVoteResp':
      case 'VoteResp': {
        if ((m.type === 'PreVoteResp') !== (this.role === 'pre-candidate')) return; // stale round
        if (!this.votes.has(m.from)) this.votes.set(m.from, !m.reject);
        this.poll();
        return;
      }
      default:
        return;
    }
  }

  private stepFollower(m: Message): void {
    if (this.recovering && m.recoverAt !== undefined && (m.type === 'App' || m.type === 'Heartbeat')) {
      this.recoverAt = { term: m.term, index: m.recoverAt };
    }
    switch (m.type) {
      case 'App':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        return;
      case 'Heartbeat': {
        this.electionElapsed = 0;
        this.lead = m.from;
        this.log.commitTo(Math.min(m.commit ?? 0, this.log.lastIndex()));
        this.maybeFinishRecovery();
        const resp: OutMessage = { type: 'HeartbeatResp', to: m.from };
        if (m.context !== undefined) resp.context = m.context;
        // The leader counts entries up to `commit` as ours, but our log is shorter: we lost it.
        if ((m.commit ?? 0) > this.log.lastIndex()) {
          resp.reject = true;
          resp.index = this.log.lastIndex();
        }
        this.send(resp);
        return;
      }
      case 'Snap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'TimeoutNow':
        // The leader hands over to us: campaign now, skipping pre-vote and the voters' lease.
        this.startCampaign('transfer');
        return;
      case 'ReadIndexResp':
        if (m.index !== undefined && m.context !== undefined) this.readyReads.push({ index: m.index, context: m.context });
        return;
      default:
        return;
    }
  }

  private handleAppend(m: Message): void {
    const prevIndex = m.index ?? 0;
    if (prevIndex < this.log.committed) {
      // Everything up to commit is known to match; tell the leader where to continue.
      this.send({ type: 'AppResp', to: m.from, index: this.log.committed });
      return;
    }
    const ents = m.entries ?? [];
    const res = this.log.maybeAppend(prevIndex, m.logTerm ?? 0, m.commit ?? 0, ents);
    if (res) {
      if (res.truncatedAt !== undefined || ents.some((e) => e.type === 'conf')) this.recomputeConfig();
      this.maybeFinishRecovery();
      this.send({ type: 'AppResp', to: m.from, index: res.lastNew });
      return;
    }
    // Mismatch: hint the last index that could match, judging by terms (fast backtracking).
    const hintIndex = this.log.findConflictByTerm(Math.min(prevIndex, this.log.lastIndex()), m.logTerm ?? 0);
    this.send({ type: 'AppResp', to: m.from, index: prevIndex, reject: true, rejectHint: hintIndex, logTerm: this.log.term(hintIndex) ?? 0 });
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    if (!s) return;
    if (s.index <= this.log.committed) {
      this.send({ type: 'AppResp', to: m.from, index: this.log.committed });
      return;
    }
    if (this.log.matchTerm(s.index, s.term)) {
      // We already have the snapshot's last entry: just fast-forward commit.
      this.log.commitTo(s.index);
      this.maybeFinishRecovery();
      this.send({ type: 'AppResp', to: m.from, index: this.log.committed });
      return;
    }
    this.log.restore(s);
    this.recomputeConfig();
    this.maybeFinishRecovery();
    this.send({ type: 'AppResp', to: m.from, index: this.log.lastIndex() });
  }

  /**
   * A recovering follower caught up: it holds the no-op the leader of our term appended when it
   * heard we lost our log, and knows it committed (see the module comment). Count again, and
   * record the vote for that leader so that no other candidate of this term gets one from us.
   */
  private maybeFinishRecovery(): void {
    if (!this.recovering || this.lead === '' || this.role !== 'follower') return;
    const r = this.recoverAt;
    if (r.term !== this.term || r.index === 0 || this.log.committed < r.index) return;
    // Our committed prefix is the leader's; below a snapshot the term is not kept, and need not be.
    if (r.index >= this.log.snapshotIndex() && this.log.term(r.index) !== this.term) return;
    this.recovering = false;
    this.recoverAt = { term: 0, index: 0 };
    if (this.vote === '') this.vote = this.lead;
  }

  private handleVoteRequest(m: Message): void {
    const isPre = m.type === 'PreVote';
    const respType = isPre ? 'PreVoteResp' : 'VoteResp';
    if (this.recovering) {
      // We forgot whom we voted for and which entries we acknowledged: no vote until caught up.
      this.send({ type: respType, to: m.from, reject: true });
      return;
    }
    const candidate = this.role === 'pre-candidate' && this.resetRound;
    if (isPre && (candidate || (this.role === 'follower' && this.resetWithdrawn)) && m.term === this.term + 1) {
      // Reset rounds for the same term: only the better candidate goes on (module comment).
      if (this.betterCandidate(m)) {
        this.send({ type: respType, to: m.from, term: m.term });
        if (candidate) {
          this.becomeFollower(this.term, ''); // still no leader, so no lease: its Vote is granted
          this.resetWithdrawn = true;
        }
      } else {
        this.send({ type: respType, to: m.from, reject: true });
        // It campaigns, so it holds no lease any more: ask it again now rather than next tick.
        if (candidate && !this.votes.has(m.from)) this.sendVoteRequest('pre-vote', m.from, this.term + 1);
      }
      return;
    }
    // We can vote for m.from if we already did, or have voted for no one and know no leader in
    // this term; a pre-vote for a future term is always possible.
    const canVote = this.vote === m.from || (this.vote === '' && this.lead === '') || (isPre && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.index ?? 0, m.logTerm ?? 0)) {
      // Answer with the request's term so the (pre-)candidate does not take it for stale.
      this.send({ type: respType, to: m.from, term: m.term });
      if (!isPre) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, to: m.from, reject: true });
    }
  }

  /** A (pre-)vote request's log is more up to date than ours, or as up to date and its id lower. */
  private betterCandidate(m: Message): boolean {
    const lt = m.logTerm ?? 0;
    const li = m.index ?? 0;
    const ot = this.log.lastTerm();
    const oi = this.log.lastIndex();
    if (lt !== ot) return lt > ot;
    if (li !== oi) return li > oi;
    return m.from < this.id;
  }

  // ------------------------------------------------------------------ helpers

  private baseVoters(): readonly NodeId[] {
    return this.log.snapshot?.voters ?? [];
  }

  /**
   * Recompute the configuration from the snapshot and every conf entry in the log (conf entries
   * take effect on append, and are undone if a conflicting leader truncates them away).
   */
  private recomputeConfig(): void {
    const { voters, lastConfIndex } = configFromLog(this.baseVoters(), this.log.allEntries());
    this.voters = voters;
    this.pendingConfIndex = lastConfIndex;
    if (this.role !== 'leader') return;
    for (const id of [...this.prs.keys()]) if (!voters.includes(id)) this.prs.delete(id);
    for (const v of voters) if (!this.prs.has(v)) this.prs.set(v, this.newProgress());
    if (this.leadTransferee !== '' && !voters.includes(this.leadTransferee)) this.leadTransferee = '';
  }

  private send(m: OutMessage): void {
    const out: Message = { ...m, from: this.id, term: m.term ?? this.term };
    if (this.recovering && (m.type === 'AppResp' || m.type === 'HeartbeatResp')) out.recovering = true;
    this.msgs.push(out);
  }
}

function sameSoft(a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role;
}

function sameHard(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit && a.recovering === b.recovering;
}

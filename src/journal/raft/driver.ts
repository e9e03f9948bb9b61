/**
 * The one driver of the pure Raft core (convention 1): it owns the clock (ticks), the disk
 * (RaftStorage) and the network (Transport), and processes one Ready at a time in the only safe
 * order: persist entries and hard state, then send messages, then apply committed entries to the
 * state machine, then advance. A leader alone does not wait for its own write (core.ts, "Leader's
 * own write"): it sends, hands the write to the disk and goes on; the disk reports back. It
 * implements the narrow Journal interface, so the master does not know whether it runs on the
 * local journal or on Raft.
 *
 * Fencing: a proposal resolves only when its entry (same index AND term) is applied after being
 * committed, so a deposed leader can never acknowledge a write; if another entry is applied at its
 * index, the proposal fails with NotLeaderError and the client retries on the new leader (creates
 * and deletes carry opIds, so a retry is applied once).
 *
 * Lost storage (issue #10, defect 7): `memberStamp` is a file outside `dir` that the driver
 * creates once its Raft state is durable. Empty Raft storage next to an existing stamp means the
 * state was lost (raft/ wiped, marker kept), and `rejoin` means the journal was re-seeded with
 * formatJournal while the cluster ran: either way the core starts `recovering` (no bootstrap, no
 * vote, not counted until caught up: core.ts) instead of bootstrapping a log of its own.
 *
 * A leader that steps down because it lost its quorum (check-quorum: no majority answered for an
 * election timeout) fails its pending writes at once with UnavailableError naming itself, so a
 * client is told within about an election timeout and retries elsewhere (opIds make that safe),
 * instead of waiting for the write timeout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AnyEntry, Journal, JournalEntry, JournalStats, QuorumAdmin, QuorumInfo, QuorumMemberInfo, StateMachine } from '../types.js';
import { NotLeaderError, TimeoutError, InternalError, UnavailableError, JournalCorruptError } from '../../errors.js';
import { fsyncDir } from '../../fsutil.js';
import { isDiskFull, DiskFullState } from '../diskFull.js';
import { RaftCore, TRANSFER_CONTEXT } from './core.js';
import { decodeConfChange } from './config.js';
import { JournalEvents } from '../events.js';
import { RaftStorage } from './storage.js';
import type { Transport } from './transport.js';
import { trace } from './trace.js';
import type { Entry, Message, NodeId, Ready, Role } from './types.js';

export interface RaftJournalOptions {
  id: NodeId;
  /** Initial voters (used when the log holds no snapshot or configuration). */
  voters: NodeId[];
  /** Directory of this node's Raft state. */
  dir: string;
  transport: Transport;
  /** Milliseconds per tick. */
  tickMs: number;
  electionTicks: number;
  heartbeatTicks: number;
  random?: () => number;
  fsync?: boolean;
  /** Take a snapshot after this many applied entries (default 100,000). */
  snapshotEvery?: number;
  /** Fail a proposal not applied within this time (alluxio.master.embedded.journal.write.timeout). */
  writeTimeoutMs?: number;
  /**
   * A file (outside `dir`) created once this member's Raft state is durable; found with empty
   * storage, it means the storage was lost and the member rejoins recovering.
   */
  memberStamp?: string;
  /** With empty storage: rejoin a running cluster recovering instead of bootstrapping (re-seed). */
  rejoin?: boolean;
  log?: (msg: string) => void;
  /** Who this master is, for error messages (its rpc address; default: the node id). */
  who?: string;
  /** Role or leader changed (the master switches serving mode without restarting servers). */
  onRoleChange?: (role: Role, leader: NodeId, term: number) => void;
}

/** First wait before a save that found the disk full is tried again; doubled up to the max. */
const DISK_FULL_RETRY_MS = 100;
const DISK_FULL_RETRY_MAX_MS = 2000;

/**
 * How sure this master is of why an election started: it saw the cause itself (the leader's
 * connections reset, a transfer), it campaigned on its own timer, or it only got another
 * master's vote request.
 */
const enum CauseRank { Heard = 0, OwnTimeout = 1, Seen = 2 }

interface Pending { term: number; resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }

export class RaftJournal<E extends JournalEntry = AnyEntry> implements Journal<E> {
  readonly elected = true;
  /** fsadmin journal quorum info / add / remove / elect. */
  readonly quorum: QuorumAdmin = {
    info: () => this.quorumInfo(),
    change: (op, member) => this.changeMembership(op, member),
    transferLeadership: (to, timeoutMs) => this.transferLeadership(to, timeoutMs),
  };
  private core!: RaftCore;
  private storage!: RaftStorage;
  private sm!: StateMachine<E>;
  private ticker: NodeJS.Timeout | undefined;
  private pending = new Map<number, Pending>();
  private processing = false;
  private again = false;
  /** The last save queued (see queueSave); saves run one after the other, in Ready order. */
  private diskTail: Promise<void> = Promise.resolve();
  /** The queued save that has not started yet (later saves join it), if any. */
  private diskNext: { save: QueuedSave; run: Promise<boolean> } | undefined;
  private closed = false;
  private failure: Error | undefined;
  /** The last save found the disk full; it is being retried (see persist). */
  private readonly diskFull: DiskFullState;
  private role: Role = 'follower';
  private leader: NodeId = '';
  private appliedSinceSnapshot = 0;
  /** Linearizable reads: callers waiting for the read index in flight / the next one. */
  private readSeq = 0;
  private readInFlight: { context: string; waiters: { resolve(): void; reject(e: Error): void }[]; timer: NodeJS.Timeout } | undefined;
  private readQueued: { resolve(): void; reject(e: Error): void }[] = [];
  private replayed = 0;
  /** When a message from each peer last arrived (ms), for quorum info. */
  private lastHeard = new Map<NodeId, number>();
  private replayMs = 0;
  /** The member stamp exists (or none is kept). */
  private stamped = true;
  private recovering = false;
  /** Leader changes, transfers, membership changes and snapshots this master saw (the Journal page). */
  readonly events = new JournalEvents();
  /** Why the next leader change happens, as far as this master saw it start (see noteCause). */
  private cause: { reason: string; rank: CauseRank; atMs: number } | undefined;
  /** Entries up to this index were committed before this process started (their replay is no event). */
  private commitAtStart = 0;

  constructor(private readonly opts: RaftJournalOptions) {
    this.diskFull = new DiskFullState(opts.who ?? opts.id, path.dirname(opts.dir), (m) => opts.log?.(`raft ${m}`));
  }

  async start(sm: StateMachine<E>): Promise<void> {
    const t0 = performance.now();
    this.sm = sm;
    const { storage, state, warnings } = RaftStorage.open(this.opts.dir, { fsync: this.opts.fsync ?? true });
    for (const w of warnings) this.opts.log?.(w);
    this.storage = storage;
    if (state.snapshot) sm.restore(Buffer.from(state.snapshot.data, 'base64'));
    const applied = state.snapshot?.index ?? 0;
    const empty = !state.snapshot && state.entries.length === 0 && state.hardState.term === 0;
    const stamp = this.opts.memberStamp;
    this.stamped = stamp === undefined || fs.existsSync(stamp);
    const lost = empty && stamp !== undefined && this.stamped;
    if (lost) {
      this.opts.log?.(`WARN raft journal: ${this.opts.dir} is empty but ${stamp} says this master had a Raft log: its storage was lost. `
        + 'Rejoining as a recovering member: it does not vote or count toward the quorum until it has caught up from the leader');
    } else if (empty && this.opts.rejoin) {
      this.opts.log?.(`raft journal: re-seeded; rejoining the cluster as a recovering member until it has caught up from the leader`);
    }
    this.core = new RaftCore({
      id: this.opts.id, voters: this.opts.voters, electionTicks: this.opts.electionTicks, heartbeatTicks: this.opts.heartbeatTicks,
      random: this.opts.random ?? Math.random, applied, recovering: lost || (empty && this.opts.rejoin === true),
    }, state);
    this.recovering = this.core.status().recovering === true;
    this.commitAtStart = state.hardState.commit;
    this.replayMs = performance.now() - t0;
    this.opts.transport.onMessage((m) => {
      if (this.closed) return;
      // A campaign message does not show that the sender follows anyone (it may be cut off).
      if (m.type !== 'PreVote' && m.type !== 'Vote') this.lastHeard.set(m.from, Date.now());
      this.noteIncoming(m);
      if (trace) traceMessage(trace, m);
      this.core.step(m);
      this.kick();
    });
    this.opts.transport.onPeerLost((peer) => {
      if (this.closed) return;
      // Both connections to the peer were closed by its side: its process is gone (transport.ts).
      // The core starts a pre-vote at once if it was our leader (core.ts, peerLost).
      if (this.core.roleInfo().leader === peer && this.core.roleInfo().role === 'follower') {
        this.opts.log?.(`raft journal: the connections to leader ${peer} were reset; asking the others for a pre-vote now`);
        this.noteCause(`pre-vote after the connections to leader ${peer} were reset`, CauseRank.Seen);
      }
      this.core.peerLost(peer);
      this.kick();
    });
    this.ticker = setInterval(() => { if (!this.closed) { this.core.tick(); this.kick(); } }, this.opts.tickMs);
    this.kick();
  }

  /** Process Readys until none is left; re-entrant calls just ask for another round. */
  private kick(): void {
    if (this.processing) { this.again = true; return; }
    this.processing = true;
    void this.loop().finally(() => { this.processing = false; });
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        while (!this.closed && this.core.hasReady()) await this.handle(this.core.ready());
      } while (this.again && !this.closed);
    } catch (e) {
      this.fail(e);
    }
  }

  /** Disk failure: stop (fail-stop) rather than run with state we could not persist. */
  private fail(e: unknown): void {
    if (this.failure) return;
    this.failure = e instanceof Error ? e : new Error(String(e));
    this.opts.log?.(`raft journal stopped: ${this.failure.message}`);
    for (const [, p] of this.pending) { clearTimeout(p.timer); p.reject(this.failure); }
    this.pending.clear();
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
  }

  /**
   * Persist a Ready's save after every save queued before it (each with its disk-full retries):
   * the disk sees the Readys in order even while a leader goes on without waiting for its own
   * write. Resolves false, writing nothing, once the journal is closed.
   */
  private queueSave(save: SaveRequest): Promise<boolean> {
    // A save that has not started yet takes this one in: one write for both, as when a leader
    // waited for each write and the next Ready gathered everything that came meanwhile.
    const next = this.diskNext;
    if (next && !next.save.snapshot && !save.snapshot) {
      mergeSave(next.save, save);
      return next.run;
    }
    const queued: { save: QueuedSave; run: Promise<boolean> } = { save: { ...save, entries: [...save.entries] }, run: Promise.resolve(false) };
    queued.run = this.diskTail.then(() => {
      if (this.diskNext === queued) this.diskNext = undefined; // started: nothing joins it any more
      return this.closed ? false : this.persist(queued.save).then(() => true);
    });
    this.diskNext = queued;
    this.diskTail = queued.run.then(() => undefined, () => undefined);
    return queued.run;
  }

  private async handle(rd: Ready): Promise<void> {
    // A leader does not wait for its own write (Raft thesis §10.2.1, core.ts "Leader's own
    // write"): its messages (appends, heartbeats) claim nothing about its disk, and the core
    // counts its own copy toward a commit only once the write is durable (persisted(), below),
    // so acknowledgements that arrive meanwhile are processed, and may commit, at once. Everyone
    // else persists first: an append or vote response promises durability. A snapshot (only a
    // follower installs one) is always persisted first.
    const leader = (rd.softState?.role ?? this.role) === 'leader' && !rd.snapshot;
    if (!leader) this.noteOutgoing(rd.messages); // a leader sends no campaign
    const save: SaveRequest = { entries: rd.entries };
    if (rd.hardState) save.hardState = rd.hardState;
    if (rd.snapshot) save.snapshot = rd.snapshot;
    const last = rd.entries[rd.entries.length - 1];
    const lastNew = last?.index ?? 0;
    if (leader && this.diskFull.error) {
      // Our own write is waiting for space (persist): do not go on leading meanwhile. Sending
      // nothing (no heartbeat either), we let the followers elect a master whose disk has room,
      // as they did when every Ready waited for the leader's own write.
      await this.diskTail;
      if (this.closed) return;
    }
    if (leader) {
      if (rd.messages.length > 0) {
        this.opts.transport.send(rd.messages);
        if (trace) traceSend(trace, rd.messages);
      }
      // The followers' legs (network, their write, network) are the longer ones, so they start
      // first. The framed wire has written the appends to their sockets by now; a peer reached
      // over the gRPC fallback gets them only when this turn of the event loop ends (HTTP/2
      // flushes in the check phase), and handing our own write to the thread pool first would
      // hold them back (and contend with the pool thread for its queue). One turn: ~8 µs.
      if (rd.entries.length > 0) {
        await new Promise<void>((r) => setImmediate(r));
        if (this.closed) return; // closed meanwhile: the storage may be closed too
        trace?.('write', lastNew);
      }
      if (rd.entries.length > 0 || rd.hardState) {
        this.queueSave(save).then((ok) => {
          if (!ok) return;
          if (lastNew) trace?.('saved', lastNew);
          if (this.closed) return;
          if (!this.stamped) this.writeStamp();
          if (last) { this.core.persisted(last.index, last.term); this.kick(); }
        }).catch((e: unknown) => { if (!this.closed) this.fail(e); });
      }
      // Committed means a majority holds the entry durably, whether or not our own copy is yet.
      this.applyCommitted(rd.committedEntries, 0, rd.committedEntries.length);
    } else {
      await this.persistThenSend(rd, save, lastNew);
      if (this.closed) return;
    }
    for (const rs of rd.readStates) this.readDone(rs.context);
    if (rd.softState) {
      const changed = rd.softState.role !== this.role || rd.softState.leader !== this.leader;
      const lostQuorum = this.role === 'leader' && rd.softState.role !== 'leader' && rd.softState.leader === '';
      this.role = rd.softState.role;
      this.leader = rd.softState.leader;
      if (lostQuorum) this.failPending();
      const term = this.core.roleInfo().term;
      if (lostQuorum) {
        this.events.record({ kind: 'step-down', term, oldLeader: this.opts.id, reason: 'lost quorum', detail: `${this.opts.id} stepped down in term ${term}: no majority answered within an election timeout (lost quorum)` });
      }
      if (this.leader !== '' && this.events.leader(this.leader, term, this.freshCause()) !== undefined) this.cause = undefined;
      if (changed) this.opts.onRoleChange?.(this.role, this.leader, term);
    }
    if (rd.hardState && this.recovering && !rd.hardState.recovering) {
      this.recovering = false;
      this.opts.log?.(`raft journal: caught up with leader ${this.leader} at index ${rd.hardState.commit}; this master votes and counts toward the quorum again`);
    }
    // 4. advance (a leader's own write is reported durable later: persisted() above)
    this.core.advance(rd, !leader);
    await this.maybeSnapshot();
  }

  /**
   * Everyone but a leader: 1. persist, 2. send, 3. restore the snapshot and apply. Committed
   * entries from before this Ready's own new ones are applied while its write is in the thread
   * pool rather than after it (they are committed: a majority holds them durably): on a follower,
   * that apply would otherwise sit between its write and its acknowledgement. Entries this Ready
   * persists are applied only once it is durable, and nothing is applied early next to a snapshot.
   */
  private async persistThenSend(rd: Ready, save: SaveRequest, lastNew: number): Promise<void> {
    const firstNew = rd.entries[0]?.index ?? Infinity;
    let early = 0;
    if (!rd.snapshot) while (early < rd.committedEntries.length && rd.committedEntries[early]!.index < firstNew) early++;
    // 1. persist (and apply what is already committed meanwhile)
    if (lastNew) trace?.('write', lastNew);
    const saved = this.queueSave(save);
    try {
      this.applyCommitted(rd.committedEntries, 0, early);
    } catch (e) {
      await saved.catch(() => undefined);
      throw e;
    }
    if (!await saved) return; // closed
    if (lastNew) trace?.('saved', lastNew);
    if (!this.stamped) this.writeStamp();
    // 2. send
    if (rd.messages.length) {
      this.opts.transport.send(rd.messages);
      if (lastNew) trace?.('acksent', lastNew);
    }
    // 3. apply
    if (rd.snapshot) {
      this.sm.restore(Buffer.from(rd.snapshot.data, 'base64'));
      this.opts.log?.(`raft journal: installed the leader's snapshot at index ${rd.snapshot.index} (term ${rd.snapshot.term})`);
      this.events.record({ kind: 'snapshot-installed', index: rd.snapshot.index, term: rd.snapshot.term, detail: `installed the leader's snapshot at index ${rd.snapshot.index} (term ${rd.snapshot.term})` });
      for (const [index, p] of this.pending) if (index <= rd.snapshot.index) this.settle(index, p, new NotLeaderError(this.leaderHint()));
    }
    this.applyCommitted(rd.committedEntries, early, rd.committedEntries.length);
  }

  /** Apply committed entries [from, to) and settle the proposals waiting for them (see fencing). */
  private applyCommitted(entries: Ready['committedEntries'], from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const e = entries[i]!;
      let result: unknown;
      let error: Error | undefined;
      // Replayed entries and the bootstrap configuration (entries 1..n of term 1) are no change seen here.
      if (e.type === 'conf' && e.index > this.commitAtStart && !(e.term === 1 && e.index <= this.opts.voters.length)) this.noteConfChange(e.data, e.index, e.term);
      if (e.type === 'normal' && e.data !== '') {
        try { result = this.sm.apply(this.decode(e.data, e.index), e.index); } catch (err) {
          if (err instanceof JournalCorruptError) throw err; // not applied: the journal stops (see loop)
          error = err as Error;
        }
        this.replayed++;
        this.appliedSinceSnapshot++;
      }
      const p = this.pending.get(e.index);
      if (p) {
        if (p.term !== e.term) this.settle(e.index, p, new NotLeaderError(this.leaderHint(), 'leadership changed before the write committed; it was not applied'));
        else if (error) this.settle(e.index, p, error);
        else { clearTimeout(p.timer); this.pending.delete(e.index); p.resolve(result); trace?.('apply', e.index); }
      }
    }
  }

  /**
   * A committed entry (from this node's log on disk or from the leader) as the state machine's
   * entry type. One it does not know is a JournalCorruptError: skipping it would silently leave
   * this replica's state different from the others', so the journal stops instead (fail-stop).
   */
  private decode(data: string, index: number): E {
    try {
      return this.sm.decode(JSON.parse(data));
    } catch (e) {
      const what = e instanceof SyntaxError ? 'is not valid JSON' : 'is not an entry this master knows';
      throw new JournalCorruptError(`raft journal entry ${index} in ${this.opts.dir} ${what}: ${(e as Error).message}`, {
        hint: 'run the same Alluxio version on every master; if it is, restore this master\'s journal (format it to re-seed it from the others)', cause: e,
      });
    }
  }

  /** ReadIndex (see read()). */
  readBarrier(): Promise<void> { return this.read(); }

  /**
   * Wait until this node may serve a linearizable read: it is the leader, confirmed by a quorum
   * after the read began, and has applied everything committed before (Raft's ReadIndex). Many
   * concurrent readers share one round.
   */
  read(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.diskFull.error) return Promise.reject(this.diskFull.error);
    if (!this.isLeader()) return Promise.reject(new NotLeaderError(this.leaderHint()));
    return new Promise<void>((resolve, reject) => {
      this.readQueued.push({ resolve, reject });
      if (!this.readInFlight) this.startRead();
    });
  }

  private startRead(): void {
    const waiters = this.readQueued.splice(0);
    if (!waiters.length) return;
    const context = `r${++this.readSeq}`;
    const timer = setTimeout(() => {
      if (this.readInFlight?.context !== context) return;
      this.readInFlight = undefined;
      for (const w of waiters) w.reject(new NotLeaderError(this.leaderHint(), 'leadership could not be confirmed for a read (no quorum?)'));
      this.startRead();
    }, Math.max(1000, this.opts.tickMs * this.opts.electionTicks * 2));
    timer.unref();
    this.readInFlight = { context, waiters, timer };
    try {
      this.core.readIndex(context);
    } catch (e) {
      clearTimeout(timer);
      this.readInFlight = undefined;
      for (const w of waiters) w.reject(e as Error);
      return;
    }
    this.kick();
  }

  private readDone(context: string): void {
    const r = this.readInFlight;
    if (!r || r.context !== context) return;
    clearTimeout(r.timer);
    this.readInFlight = undefined;
    for (const w of r.waiters) w.resolve();
    this.startRead();
  }

  /**
   * We stepped down because no majority answered for an election timeout: fail every pending
   * write now, naming this master, rather than at the write timeout. The entries may still be
   * committed by a later leader; clients retry (with their opIds) and learn the outcome.
   */
  private failPending(): void {
    if (this.pending.size === 0) return;
    const n = this.pending.size;
    const err = new UnavailableError(`master ${this.opts.id} lost contact with a majority of the embedded journal quorum and stepped down as leader; `
      + `${n} write${n === 1 ? '' : 's'} in progress may or may not have been applied`, {
      hint: 'check that a majority of the masters in alluxio.master.embedded.journal.addresses run and reach each other: alluxio fsadmin journal quorum info -domain MASTER',
    });
    this.opts.log?.(`WARN raft journal: ${err.message}`);
    for (const [index, p] of [...this.pending]) this.settle(index, p, err);
  }

  /** Record that this member's Raft state is durable (see memberStamp). */
  private writeStamp(): void {
    const file = this.opts.memberStamp!;
    const tmp = `${file}.tmp`;
    try {
      fs.writeFileSync(tmp, JSON.stringify({ id: this.opts.id, since: new Date().toISOString() }) + '\n');
      const fd = fs.openSync(tmp, 'r');
      try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
      fs.renameSync(tmp, file);
      fsyncDir(path.dirname(file));
    } catch (e) {
      if (!isDiskFull(e)) throw e;
      return; // written after the next successful save
    }
    this.stamped = true;
  }

  /**
   * Save a Ready's entries and hard state. A full disk (ENOSPC, EDQUOT) is waited out, not
   * fail-stop (issue #10, defect 6): nothing of this Ready was sent as durable (a leader's
   * appends claim nothing about its own disk, and its own copy does not count toward a commit
   * until durable), so the same save is simply tried again (later saves wait for it)
   * with backoff until space returns. Meanwhile writes and reads are refused at once with an
   * error naming this master and its folder, and a leader that cannot save soon loses its
   * followers to another master whose disk has room; when the save succeeds, everything goes on
   * from where it stopped.
   */
  private async persist(save: SaveRequest): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.storage.save(save);
        break;
      } catch (e) {
        if (!isDiskFull(e) || this.closed) throw e;
        if (this.diskFull.failed(e)) {
          for (const [index, p] of this.pending) this.settle(index, p, this.diskFull.error!);
          this.failReads(this.diskFull.error!);
        }
        await new Promise((r) => setTimeout(r, Math.min(DISK_FULL_RETRY_MS * 2 ** Math.min(attempt, 10), DISK_FULL_RETRY_MAX_MS)));
      }
    }
    this.diskFull.succeeded();
  }

  /** Reject every read waiting for a ReadIndex round, in flight or queued. */
  private failReads(e: Error): void {
    const readers = [...(this.readInFlight?.waiters ?? []), ...this.readQueued.splice(0)];
    if (this.readInFlight) clearTimeout(this.readInFlight.timer);
    this.readInFlight = undefined;
    for (const w of readers) w.reject(e);
  }

  private settle(index: number, p: Pending, e: Error): void {
    clearTimeout(p.timer);
    this.pending.delete(index);
    p.reject(e);
  }

  private async maybeSnapshot(): Promise<void> {
    if (this.appliedSinceSnapshot < (this.opts.snapshotEvery ?? 100_000)) return;
    const applied = this.core.status().applied;
    // A leader may have applied entries its own write has not made durable yet (committed by its
    // followers): the snapshot waits until its log on disk reaches them (asked again next Ready).
    if (this.core.durableIndex() < applied) return;
    this.appliedSinceSnapshot = 0;
    const snap = this.core.compact(applied, this.sm.snapshot().toString('base64'));
    try {
      if (snap) {
        await this.storage.compact(snap);
        this.events.record({ kind: 'snapshot-taken', index: snap.index, term: snap.term, detail: `took a snapshot at index ${snap.index} (term ${snap.term})` });
      }
    } catch (e) {
      // No room for the snapshot file: the log on disk stays whole (nothing was deleted for it),
      // so this only postpones compaction to the next snapshot.
      if (!isDiskFull(e)) throw e;
      this.opts.log?.(`raft journal: no room for a snapshot in ${this.opts.dir} (${(e as NodeJS.ErrnoException).code}); compaction postponed`);
    }
  }

  private leaderHint(): string | undefined { return this.leader && this.leader !== this.opts.id ? this.leader : undefined; }

  propose(entry: E): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.diskFull.error) return Promise.reject(this.diskFull.error);
    if (this.closed) return Promise.reject(new InternalError('journal is closed'));
    let index: number;
    try {
      this.sm.decode(entry); // checked before it enters the log: every replica can apply it
      index = this.core.propose(JSON.stringify(entry));
    } catch (e) {
      return Promise.reject(e);
    }
    trace?.('propose', index);
    return this.waitApplied(index, this.core.roleInfo().term);
  }

  /**
   * Add or remove one voter (single-server change). Resolves once the change is committed and
   * applied; refused (ConfChangeRefusedError) while another change is uncommitted.
   */
  changeMembership(op: 'add' | 'remove', node: NodeId): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    let index: number;
    try {
      index = this.core.proposeConfChange({ op, node });
    } catch (e) {
      return Promise.reject(e);
    }
    return this.waitApplied(index, this.core.roleInfo().term).then(() => undefined);
  }

  private waitApplied(index: number, term: number): Promise<unknown> {
    const p = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.get(index)?.timer === timer) {
          this.pending.delete(index);
          reject(new TimeoutError(`journal entry ${index} was not committed within ${this.opts.writeTimeoutMs ?? 30_000} ms (no quorum?)`));
        }
      }, this.opts.writeTimeoutMs ?? 30_000);
      timer.unref();
      this.pending.set(index, { term, resolve, reject, timer });
    });
    this.kick();
    return p;
  }

  /** Hand leadership to `to` (a voter); resolves when `to` leads, rejects after `timeoutMs`. */
  async transferLeadership(to: NodeId, timeoutMs: number): Promise<void> {
    if (!this.isLeader()) throw new NotLeaderError(this.leaderHint());
    if (to === this.opts.id) return;
    this.core.transferLeadership(to);
    const term = this.core.roleInfo().term;
    this.events.record({ kind: 'transfer', term, oldLeader: this.opts.id, newLeader: to, reason: 'requested', detail: `leadership transfer ${this.opts.id} -> ${to} requested in term ${term} (fsadmin journal quorum elect)` });
    this.noteCause(`leadership transfer from ${this.opts.id} requested here`, CauseRank.Seen);
    this.kick();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const st = this.core.status();
      if (st.leader === to && st.role !== 'leader') return;
      await new Promise((r) => setTimeout(r, this.opts.tickMs));
    }
    this.events.record({ kind: 'transfer', term, oldLeader: this.opts.id, newLeader: to, reason: 'timed out', detail: `leadership transfer ${this.opts.id} -> ${to} did not complete within ${timeoutMs} ms` });
    throw new TimeoutError(`leadership did not move to ${to} within ${timeoutMs} ms`);
  }

  /**
   * Remember why an election is starting, for the next leader change this master records. A
   * reason replaces the one noted unless that one is still fresh (younger than two election
   * timeouts) and at least as sure (CauseRank).
   */
  private noteCause(reason: string, rank: CauseRank): void {
    const c = this.cause;
    if (c && this.freshCause() !== undefined && c.rank >= rank) return;
    this.cause = { reason, rank, atMs: Date.now() };
  }

  /** The noted reason if still fresh (see noteCause). */
  private freshCause(): string | undefined {
    const c = this.cause;
    if (!c || Date.now() - c.atMs > 2 * this.opts.tickMs * this.opts.electionTicks) return undefined;
    return c.reason;
  }

  /** Campaign messages from others: a transfer's vote says so (TRANSFER_CONTEXT); TimeoutNow makes this master the transferee. */
  private noteIncoming(m: Message): void {
    if (m.type === 'TimeoutNow') this.noteCause(`leadership transfer from ${m.from}`, CauseRank.Seen);
    else if (m.type === 'Vote' && m.context === TRANSFER_CONTEXT) this.noteCause(`leadership transfer to ${m.from}`, CauseRank.Seen);
    else if (m.type === 'PreVote' || m.type === 'Vote') this.noteCause(`election started by ${m.from}`, CauseRank.Heard);
  }

  /** Our own campaign: unless a surer reason is noted (reset, transfer), it began on the election timeout. */
  private noteOutgoing(msgs: readonly Message[]): void {
    for (const m of msgs) {
      if (m.type !== 'PreVote' && m.type !== 'Vote') continue;
      if (m.context === TRANSFER_CONTEXT) this.noteCause('leadership transfer (TimeoutNow)', CauseRank.Seen);
      else this.noteCause(`election by ${this.opts.id} after the election timeout (no word from a leader)`, CauseRank.OwnTimeout);
      return;
    }
  }

  /** A committed membership change (conf entry) as an event. */
  private noteConfChange(data: string, index: number, term: number): void {
    let cc;
    try { cc = decodeConfChange(data); } catch { return; }
    this.events.record({ kind: 'membership', op: cc.op, member: cc.node, index, term, detail: `${cc.op === 'add' ? 'added' : 'removed'} ${cc.node} ${cc.op === 'add' ? 'to' : 'from'} the quorum (entry ${index}, term ${term})` });
  }

  /**
   * Members, their state and lag as this node sees them (complete on the leader). `available`: it
   * answered within two election timeouts (the leader itself always); `match`: the last index
   * the leader knows it holds (0 until it acknowledged anything, and again after it lost its
   * log); `lag`: the leader's last index minus match; `recovering`: it lost its log and does not
   * count toward the quorum until it has caught up.
   */
  quorumInfo(): QuorumInfo {
    const st = this.core.status();
    const fresh = Math.max(1000, 2 * this.opts.tickMs * this.opts.electionTicks);
    const now = Date.now();
    return {
      leader: st.leader, term: st.term,
      members: st.voters.map((id) => {
        const pr = st.progress?.[id];
        const m: QuorumMemberInfo = {
          id, role: id === st.leader ? 'leader' : 'follower',
          available: id === this.opts.id || now - (this.lastHeard.get(id) ?? 0) < fresh,
          recovering: id === this.opts.id ? st.recovering === true : pr?.recovering === true,
        };
        if (pr) { m.match = pr.match; m.lag = Math.max(0, st.lastIndex - pr.match); }
        if (id === this.opts.id) m.lastContactMs = 0;
        else if (this.lastHeard.has(id)) m.lastContactMs = now - this.lastHeard.get(id)!;
        return m;
      }),
    };
  }

  /** Current role and leader id ('' when unknown). */
  roleInfo(): { role: Role; leader: NodeId; term: number } {
    return this.core.roleInfo();
  }

  async checkpoint(): Promise<void> {
    await this.diskTail; // a leader's own writes durable first (see maybeSnapshot)
    this.appliedSinceSnapshot = Number.MAX_SAFE_INTEGER;
    await this.maybeSnapshot();
  }

  isLeader(): boolean { return !this.closed && this.core?.roleInfo().role === 'leader'; }

  stats(): JournalStats {
    const st = this.core.status();
    return {
      type: 'EMBEDDED', lastIndex: st.lastIndex, checkpointIndex: this.core.logView().snapshotIndex, replayedEntries: this.replayed, replayMs: Math.round(this.replayMs),
      appliedIndex: st.applied, commitIndex: st.commit, memberId: this.opts.id,
      ...(this.diskFull.error ? { writeError: this.diskFull.error.message } : {}),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    for (const [index, p] of this.pending) this.settle(index, p, new NotLeaderError(this.leaderHint(), 'journal closed before the write committed'));
    this.failReads(new NotLeaderError(this.leaderHint(), 'journal closed'));
    await this.opts.transport.close();
    await this.storage?.close();
  }
}

type SaveRequest = Parameters<RaftStorage['save']>[0];
/** A queued save, with entries of its own that later saves may join (queueSave). */
type QueuedSave = Omit<SaveRequest, 'entries'> & { entries: Entry[] };

/**
 * Fold a later Ready's save into an earlier one that has not started: its entries replace the
 * earlier ones from their first index on (as the storage replaces a rewritten suffix), its hard
 * state is the newer one.
 */
function mergeSave(into: QueuedSave, add: SaveRequest): void {
  const first = add.entries[0]?.index;
  if (first !== undefined) {
    let keep = into.entries.length;
    while (keep > 0 && into.entries[keep - 1]!.index >= first) keep--;
    into.entries.length = keep;
    into.entries.push(...add.entries);
  }
  if (add.hardState) into.hardState = add.hardState;
}

/** Trace stage `send`: appends carrying entries up to this index handed to the transport. */
function traceSend(t: (stage: string, index: number) => void, msgs: readonly Message[]): void {
  let last = 0;
  for (const m of msgs) if (m.type === 'App' && m.entries?.length) last = Math.max(last, m.entries[m.entries.length - 1]!.index);
  if (last) t('send', last);
}

/** Trace stages of an arriving message (see trace.ts): an append with entries, an acknowledgement. */
function traceMessage(t: (stage: string, index: number) => void, m: Message): void {
  if (m.type === 'App' && m.entries?.length) t('append', m.entries[m.entries.length - 1]!.index);
  else if (m.type === 'AppResp' && !m.reject) t('ack', m.index ?? 0);
}

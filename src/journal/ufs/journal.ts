/**
 * UfsJournal: the shared journal of the ZooKeeper mode (alluxio.master.journal.type=UFS with
 * alluxio.zookeeper.enabled). Every master sees the journal folder; a LeaderElection (election.ts)
 * says who leads and under which epoch. Layout and history rules: layout.ts. The leader writes
 * the local journal's formats (local/wal.ts segments with CRC per record, local/checkpoint.ts
 * checkpoints) with group commit; standbys tail the folder.
 *
 * Standbys poll the folder every `pollMs` (alluxio.master.journal.tailer.sleep.time, 1 s as in
 * Alluxio) and apply every valid record of the history; their lag behind the leader's durable
 * writes is bounded by one poll interval plus the time to read what was written meanwhile
 * (measured: 100,000 entries replay in about 0.2 s here), so a new leader replays only that tail.
 * A standby announces a new epoch's leader (named in its mark) through onRoleChange('follower'). A standby whose segment was compacted away (the leader
 * checkpointed) reloads from the newest checkpoint; so does one that applied a record a later
 * seal left out (only possible for a record in flight while the leadership changed).
 *
 * Taking over under epoch E (the election's event), in order:
 *   1. write the claim `epochs/E.claim` (durable): from now on the previous leader's checks fail;
 *   2. catch up fully: read the history to its end (a torn tail is not damage; damage followed by
 *      a valid record is JournalCorruptError, as in the local journal);
 *   3. write the mark `epochs/E.mark` {epoch E, prev, base L}: L, the last index read, SEALS the
 *      previous epoch (readers ignore whatever its directory holds past L); an epoch without a
 *      mark, or one the chain of marks skips, is ignored entirely;
 *   4. open `log/E/` (a fresh directory: an old leader can never write into it, nor truncate a
 *      file of it) and accept proposals; announce the role (onRoleChange, as the Raft journal).
 *
 * Fencing, for each group-commit batch of the leader of epoch E:
 *   a. before appending: the newest epoch claimed or marked in the folder is E, else step down
 *      and append nothing (a master waking from a long pause stops here);
 *   b. append with one durable write (O_DSYNC, as the local journal);
 *   c. `election.confirm(E)` (a round trip) and again the newest epoch in the folder: a newer
 *      claim fails the whole batch with NotLeaderError and steps down; a failed confirm with no
 *      newer claim fails it too, but applies it (durable before any claim, it is history for
 *      every later leader) and steps down unless the election still says this master leads E
 *      (a transient failure to ask); only a confirmed batch is acknowledged.
 * What remains: a pause between (a) and (b) lets an old leader physically append records after
 * the new leader's claim. Either the new leader's catch-up (2) read them, and they are part of the
 * history but were never acknowledged (the check in c sees the claim), the ambiguous outcome a
 * failed write has in any replicated log; or it did not, and they lie past the seal (3), ignored
 * by every reader. An acknowledged batch was durable before (c) saw no claim, so the new leader's
 * catch-up, which starts after its claim, reads it: it is always inside the seal. Every reader
 * applies the same chain of sealed ranges, so every master replays the folder to the same state.
 * This relies on the shared storage giving a reader what a completed fsync'd write and rename
 * wrote (POSIX semantics, as a local or cluster file system gives; NFS close-to-open caching is
 * enough because the claim and the mark are new files).
 *
 * Only the leader checkpoints and compacts: it deletes segments and epoch directories the newest
 * checkpoint covers, epochs off the chain, and claims of older epochs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ConfigError, InternalError, JournalCorruptError, NotLeaderError } from '../../errors.js';
import { fsyncDir } from '../../fsutil.js';
import type { LeaderElection, ElectionEvent } from '../election.js';
import { JournalEvents } from '../events.js';
import { isJournalFormatted } from '../format.js';
import type { AnyEntry, Journal, JournalEntry, JournalStats, StateMachine } from '../types.js';
import type { Role } from '../raft/types.js';
import { Checkpointer, loadNewestCheckpoint, removeCheckpointTemps } from '../local/checkpoint.js';
import { Wal, segmentFileName } from '../local/wal.js';
import { Flusher, applyProposals, batchLength, rejectAll, replayRecord, type Pending } from '../local/journal.js';
import {
  CHECKPOINTS_DIR, EPOCHS_DIR, LOG_DIR, epochLogDir, historyChain, linkFor, listEpochLogDirs, newestEpoch, readEpoch,
  writeClaim, writeMark, type ChainLink, type ReadPosition,
} from './layout.js';

export interface UfsJournalOptions {
  /** The shared journal folder (alluxio.master.journal.folder), formatted once. */
  folder: string;
  election: LeaderElection;
  /** This master's address, announced as leader and named in messages. */
  who: string;
  /** Standby poll interval in ms (alluxio.master.journal.tailer.sleep.time; default 1000). */
  pollMs?: number;
  checkpointPeriodEntries?: number;
  /** Durable writes (default true); off only for tests and benches. */
  fsync?: boolean;
  segmentBytes?: number;
  log?: (msg: string) => void;
  /** Role changes, as the Raft journal announces them: 'leader' with this master and the epoch, or 'follower'. */
  onRoleChange?: (role: Role, leader: string, term: number) => void;
}

export interface UfsJournalStats extends JournalStats {
  /** The epoch this master leads under (undefined as a standby) and the newest epoch seen in the folder. */
  readonly epoch: number | undefined;
  readonly newestEpoch: number;
  /** Entries the last takeover read before leading (the tail). */
  readonly takeoverReplayed: number;
  /** Entries applied by tailing as a standby since start. */
  readonly tailedEntries: number;
  /** Reloads from the newest checkpoint (segment compacted away, or an applied record left out by a seal). */
  readonly reloads: number;
  readonly fsyncs: number;
}

/** Reloads one catch-up may do before it gives up (a leader compacting faster than we read). */
const MAX_RELOADS = 5;

type RoleState = 'standby' | 'takingOver' | 'leader';

export class UfsJournal<E extends JournalEntry = AnyEntry> implements Journal<E> {
  readonly elected = true;
  /** Elections, leaders seen (by epoch) and checkpoints this master saw (the Journal page). */
  readonly events = new JournalEvents();
  private readonly folder: string;
  private readonly ckptDir: string;
  private readonly election: LeaderElection;
  private readonly pollMs: number;
  private readonly ckpt: Checkpointer;
  private readonly fsync: boolean;
  private readonly log: (msg: string) => void;

  private state: 'new' | 'running' | 'closing' | 'closed' = 'new';
  private role: RoleState = 'standby';
  private epoch: number | undefined;
  private lastEpoch = 0;
  private sm: StateMachine<E> | undefined;
  private emptySnapshot: Buffer | undefined;
  private applied = 0;
  private pos: ReadPosition | undefined;
  private wal: Wal | undefined;
  private queue: Pending[] = [];
  private readonly flusher = new Flusher(() => this.flushLoop());
  private failure: Error | undefined;
  /** Takeovers, step-downs and polls run one at a time, in order. */
  private ops: Promise<void> = Promise.resolve();
  private pollQueued = false;
  private timer: NodeJS.Timeout | undefined;
  private lastTailError = '';
  private closePromise: Promise<void> | undefined;
  private replayedEntries = 0;
  private replayMs = 0;
  private takeoverReplayed = 0;
  private tailedEntries = 0;
  private reloads = 0;

  constructor(private readonly opts: UfsJournalOptions) {
    this.folder = opts.folder;
    this.ckptDir = path.join(opts.folder, CHECKPOINTS_DIR);
    this.election = opts.election;
    this.pollMs = opts.pollMs ?? 1000;
    this.fsync = opts.fsync ?? true;
    this.log = opts.log ?? ((msg) => process.emitWarning(msg, 'JournalWarning'));
    if (!(this.pollMs > 0)) throw new ConfigError(`the journal tailer poll interval must be > 0 ms, got ${this.pollMs}`);
    this.ckpt = new Checkpointer({ dir: this.ckptDir, periodEntries: opts.checkpointPeriodEntries ?? 2_000_000, fsync: this.fsync, events: this.events, log: this.log });
  }

  /** Replay the history as a standby, then enter the election and tail until elected. */
  async start(sm: StateMachine<E>): Promise<void> {
    if (this.state !== 'new') throw new InternalError(`journal ${this.folder} was already started`);
    const t0 = performance.now();
    if (!isJournalFormatted(this.folder)) {
      throw new ConfigError(`shared journal folder ${this.folder} is not formatted`, { hint: "run 'alluxio format' (or 'alluxio formatJournal') once, from one master" });
    }
    for (const d of [EPOCHS_DIR, LOG_DIR, CHECKPOINTS_DIR]) {
      if (fs.mkdirSync(path.join(this.folder, d), { recursive: true }) !== undefined && this.fsync) fsyncDir(this.folder);
    }
    this.sm = sm;
    this.emptySnapshot = sm.snapshot();
    this.state = 'running';
    try {
      this.reload();
      this.replayedEntries = this.catchUp(false);
    } catch (e) {
      this.state = 'closed';
      throw e;
    }
    this.replayMs = performance.now() - t0;
    this.election.onChange((e) => this.onElection(e));
    this.timer = setInterval(() => this.schedulePoll(), this.pollMs);
    this.timer.unref();
    try {
      await this.election.start();
    } catch (e) {
      clearInterval(this.timer);
      this.state = 'closed';
      throw e;
    }
  }

  // ------------------------------------------------------------------ reading (standby, takeover)

  /** Restore the newest checkpoint (or the empty state) and read from there. */
  private reload(): void {
    const sm = this.sm!;
    removeCheckpointTemps(this.ckptDir);
    const chain = historyChain(this.folder);
    let firstLog: number | undefined;
    for (const l of chain) {
      const firsts = Wal.listSegments(epochLogDir(this.folder, l.epoch)).filter((f) => f > l.base && f <= l.end);
      if (firsts.length) { firstLog = Math.max(firsts[0]!, l.base + 1); break; }
    }
    let ck: ReturnType<typeof loadNewestCheckpoint> | undefined;
    for (let attempt = 1; ck === undefined; attempt++) {
      try {
        ck = loadNewestCheckpoint(this.ckptDir, firstLog);
      } catch (e) {
        // The leader pruned the checkpoint between the listing and the read: list again.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw e;
      }
    }
    for (const w of ck.warnings) this.log(w);
    sm.restore(ck.data ?? this.emptySnapshot!);
    this.applied = ck.index;
    this.ckpt.index = ck.index;
    this.pos = undefined;
  }

  /**
   * Read and apply the history from `applied` to its current end. Returns the entries applied.
   * `strict`: this master seals the end (takeover), so damage before it is corruption.
   */
  private catchUp(strict: boolean): number {
    const sm = this.sm!;
    const before = this.applied;
    let reloaded = 0;
    let extra = 0;
    const reloadOrFail = (why: string): void => {
      if (++reloaded > MAX_RELOADS) throw new JournalCorruptError(`shared journal ${this.folder}: ${why}, still after ${MAX_RELOADS} reloads from the newest checkpoint`, { hint: 'check that no other process writes the journal folder; restore it from a backup' });
      this.log(`journal: ${why}; reloading from the newest checkpoint`);
      this.reloads++;
      extra += this.applied; // entries applied before the reload still count as applied
      this.reload();
      extra -= this.applied;
    };
    for (let guard = 0; guard < 100_000; guard++) {
      const chain = historyChain(this.folder);
      if (chain.length === 0) break;
      let link: ChainLink | undefined;
      if (this.pos !== undefined) {
        link = chain.find((l) => l.epoch === this.pos!.epoch);
        if (link === undefined || this.applied > link.end) {
          reloadOrFail(`entries up to ${this.applied} were read from epoch ${this.pos.epoch}, which a later seal ends at ${link?.end ?? 'nothing'}`);
          continue;
        }
        if (this.applied === link.end) { this.pos = undefined; continue; }
      } else {
        link = linkFor(chain, this.applied + 1);
        if (link === undefined) {
          if (this.applied + 1 <= chain[0]!.base) { reloadOrFail(`the history now starts after entry ${chain[0]!.base} (compacted)`); continue; }
          break; // nothing after `applied` yet
        }
      }
      const r = readEpoch(this.folder, link, this.pos, this.applied + 1, link.end, strict && link.end === Infinity, (payload, index, file) => {
        replayRecord(sm, payload, index, file);
        this.applied = index;
      });
      if (r.kind === 'gone') { reloadOrFail(`the segment holding entry ${this.applied + 1} of epoch ${link.epoch} is gone (compacted)`); continue; }
      this.pos = r.pos;
      if (this.applied === link.end) { this.pos = undefined; continue; }
      if (link.end !== Infinity) {
        // Everything up to a seal was durable before the seal was written: a sealed range that
        // cannot be read to its end has lost records.
        throw new JournalCorruptError(`shared journal ${this.folder}: epoch ${link.epoch} is sealed at entry ${link.end} but its log (${epochLogDir(this.folder, link.epoch)}) ends at entry ${this.applied}`, {
          hint: 'restore the journal folder from a backup; nothing was deleted',
        });
      }
      break;
    }
    return this.applied - before + extra;
  }

  /** Read what the leader appended, now, as a standby (the timer does this every pollMs); resolves once read. */
  poll(): Promise<void> {
    this.schedulePoll();
    return this.ops;
  }

  private schedulePoll(): void {
    if (this.pollQueued || this.role !== 'standby' || this.state !== 'running') return;
    this.pollQueued = true;
    this.enqueue(async () => {
      this.pollQueued = false;
      if (this.role !== 'standby' || this.state !== 'running') return;
      try {
        this.tailedEntries += this.catchUp(false);
        this.lastTailError = '';
        this.announceLeader();
      } catch (e) {
        const msg = `journal: tailing ${this.folder} failed: ${(e as Error).message}`;
        if (msg !== this.lastTailError) this.log(msg);
        this.lastTailError = msg;
      }
    });
  }

  /** As a standby: a newer epoch's mark names its leader; announce it as the Raft journal announces a new leader. */
  private announceLeader(): void {
    const newest = historyChain(this.folder).at(-1);
    if (newest === undefined || newest.epoch <= this.lastEpoch || this.role !== 'standby') return;
    this.lastEpoch = newest.epoch;
    this.events.leader(newest.leader ?? '', newest.epoch, `epoch ${newest.epoch} appeared in the shared journal`);
    this.opts.onRoleChange?.('follower', newest.leader ?? '', newest.epoch);
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.ops.then(op);
    this.ops = run.catch((e: unknown) => this.log(`journal: ${(e as Error).message}`));
    return this.ops;
  }

  // ------------------------------------------------------------------ role changes

  private onElection(e: ElectionEvent): void {
    if (this.state !== 'running') return;
    this.events.record(e.leader
      ? { kind: 'election', term: e.epoch, newLeader: this.opts.who, reason: 'won', detail: `won the ZooKeeper election (epoch ${e.epoch})` }
      : { kind: 'election', oldLeader: this.opts.who, reason: e.reason, detail: `lost the ZooKeeper election: ${e.reason}` });
    if (e.leader) void this.enqueue(() => this.takeOver(e.epoch));
    else void this.enqueue(() => this.stepDown(`lost the election: ${e.reason}`));
  }

  private async takeOver(epoch: number): Promise<void> {
    if (this.state !== 'running' || this.role === 'leader') return;
    const newest = newestEpoch(this.folder);
    if (newest >= epoch || epoch < 1) {
      // A stale event (a later leader already claimed), or an election whose epochs went
      // backwards (a new ZooKeeper ensemble, a wiped election path): never write under it.
      this.log(`journal: not taking over the shared journal ${this.folder} as epoch ${epoch}: the folder already has epoch ${newest}` +
        ' (if no master leads: the election\'s epoch counter was reset; restore it above this value, or reformat the journal)');
      return;
    }
    this.role = 'takingOver';
    try {
      writeClaim(this.folder, epoch);
      const tail = this.catchUp(true);
      const chain = historyChain(this.folder);
      const prev = chain.length ? chain[chain.length - 1]!.epoch : 0;
      if (newestEpoch(this.folder) > epoch) throw new NotLeaderError(undefined, `epoch ${newestEpoch(this.folder)} took over while epoch ${epoch} was catching up`);
      const dir = epochLogDir(this.folder, epoch);
      if (Wal.listSegments(dir).length > 0) throw new InternalError(`journal log directory ${dir} of the new epoch ${epoch} is not empty: the election gave an epoch twice`);
      writeMark(this.folder, { epoch, prev, base: this.applied, leader: this.opts.who });
      const { wal } = Wal.open({
        dir, fsync: this.fsync, coveredIndex: this.applied,
        ...(this.opts.segmentBytes !== undefined ? { segmentBytes: this.opts.segmentBytes } : {}),
        onRecord: () => { throw new InternalError(`journal log directory ${dir} of a new epoch holds records`); },
      });
      if (this.fsync) fsyncDir(path.dirname(dir));
      this.wal = wal;
      this.pos = undefined;
      this.epoch = epoch;
      this.lastEpoch = epoch;
      this.takeoverReplayed = tail;
      this.failure = undefined;
      this.role = 'leader';
      this.log(`journal: leading epoch ${epoch} from entry ${this.applied + 1} (sealed epoch ${prev} at ${this.applied}; caught up ${tail} entries)`);
      this.events.leader(this.opts.who, epoch, `won the ZooKeeper election; took over the shared journal after epoch ${prev}`);
    } catch (e) {
      this.role = 'standby';
      this.log(`journal: could not take over as epoch ${epoch}: ${(e as Error).message}`);
      return;
    }
    this.opts.onRoleChange?.('leader', this.opts.who, epoch);
  }

  private async stepDown(reason: string): Promise<void> {
    if (this.role === 'standby') return;
    const epoch = this.epoch ?? this.lastEpoch;
    this.role = 'standby';
    this.epoch = undefined;
    rejectAll(this.queue.splice(0), new NotLeaderError(undefined, `not the leader any more (${reason})`));
    await this.flusher.idle();
    this.wal?.close();
    this.wal = undefined;
    this.pos = undefined;
    this.log(`journal: standing down from epoch ${epoch}: ${reason}`);
    this.events.record({ kind: 'step-down', term: epoch, oldLeader: this.opts.who, reason, detail: `stood down from epoch ${epoch}: ${reason}` });
    this.opts.onRoleChange?.('follower', '', epoch);
  }

  // ------------------------------------------------------------------ writing (leader)

  propose(entry: E): Promise<unknown> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.state !== 'running') return Promise.reject(new InternalError(`journal ${this.folder} is ${this.state === 'new' ? 'not started' : 'closed'}`));
    if (this.role !== 'leader') return Promise.reject(new NotLeaderError(undefined));
    return this.flusher.propose(this.sm!, entry, this.queue);
  }

  /**
   * The single flusher. flusher.active is cleared in the same turn as the queue is found empty
   * (a `finally` right after the loop, no await in between), so a proposal made by a settled
   * caller's continuation always finds a flusher or starts one.
   */
  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const epoch = this.epoch;
        const wal = this.wal;
        if (this.role !== 'leader' || epoch === undefined || wal === undefined || this.failure) {
          rejectAll(this.queue.splice(0), this.failure ?? new NotLeaderError(undefined));
          return;
        }
        const batch = this.takeBatch();
        // (a) Fence before appending.
        const before = newestEpoch(this.folder);
        if (before > epoch) {
          this.fenced(batch, epoch, `epoch ${before} took over the journal folder`, false);
          return;
        }
        // (b) One durable write.
        let first: number;
        try {
          first = await wal.append(batch.map((p) => p.payload));
        } catch (e) {
          this.failure = new InternalError(`shared journal write to ${this.folder} failed (${(e as Error).message}); this master leaves the election so another one takes over`, {
            cause: e, hint: 'check the shared storage (space, permissions, mount) and restart the master; acknowledged entries are safe',
          });
          this.log(this.failure.message);
          rejectAll(batch, this.failure);
          rejectAll(this.queue.splice(0), this.failure);
          void this.election.close().catch(() => undefined);
          return;
        }
        // (c) Confirm, and re-check the folder, after the write is durable and before acknowledging.
        let confirmed = false;
        let why = '';
        try {
          confirmed = await this.election.confirm(epoch);
          if (!confirmed) why = 'the election no longer confirms it';
        } catch (e) {
          why = `confirming it failed: ${(e as Error).message}`;
        }
        const after = newestEpoch(this.folder);
        if (after > epoch || this.epoch !== epoch) {
          // The batch may lie past the next seal or inside it: step down and let the history decide.
          this.fenced(batch, epoch, after > epoch ? `epoch ${after} claimed the journal folder` : 'this master stepped down meanwhile');
          return;
        }
        if (!confirmed) {
          // No newer claim after the write: the batch was durable before any, so whoever leads
          // next reads it (it is history). Apply it, so this state stays that of the log, but do
          // not acknowledge it; stay leader only if the election still says so (a transient
          // failure to ask, e.g. a ZooKeeper connection that comes back with its session).
          const err = new NotLeaderError(undefined, `leadership of journal epoch ${epoch} could not be confirmed (${why}); the write was not acknowledged (it is in the journal)`);
          applyProposals(this.sm!, batch.map((p) => ({ json: p.json, resolve: () => p.reject(err), reject: () => p.reject(err) })), first, (index) => { this.applied = index; });
          if (!(this.election.isLeader() && this.election.epoch() === epoch)) {
            this.fenced([], epoch, why);
            return;
          }
          continue;
        }
        this.applyBatch(batch, first);
        this.ckpt.maybe(this.applied, () => this.checkpoint());
      }
    } finally {
      this.flusher.active = false;
    }
  }

  /** Fail `batch` (and everything queued) unacknowledged and step down. */
  private fenced(batch: Pending[], epoch: number, why: string, written = true): void {
    const err = new NotLeaderError(undefined, `leadership of journal epoch ${epoch} was lost (${why}); the write was not acknowledged` +
      (written ? ' and may or may not be in the journal' : ' and nothing was written'));
    rejectAll(batch, err);
    rejectAll(this.queue.splice(0), err);
    void this.enqueue(() => this.stepDown(why));
  }

  private takeBatch(): Pending[] {
    return this.queue.splice(0, batchLength(this.queue));
  }

  private applyBatch(batch: Pending[], first: number): void {
    applyProposals(this.sm!, batch, first, (index) => { this.applied = index; });
  }

  // ------------------------------------------------------------------ checkpoints and compaction (leader)

  /** Leader only: write a checkpoint of the applied state and compact what it covers. */
  checkpoint(): Promise<void> {
    if (this.state !== 'running') return Promise.reject(new InternalError(`journal ${this.folder} is not running`));
    if (this.role !== 'leader') return Promise.reject(new NotLeaderError(undefined, 'only the leader checkpoints the shared journal'));
    return this.ckpt.run(() => this.checkpointNow());
  }

  private async checkpointNow(): Promise<void> {
    const epoch = this.epoch;
    const wal = this.wal;
    if (epoch === undefined || wal === undefined) return;
    const index = this.applied;
    if (index <= this.ckpt.index) return;
    const data = this.sm!.snapshot();
    if (newestEpoch(this.folder) > epoch) return; // fenced: a later leader owns the folder
    await this.ckpt.write(index, data, epoch);
    if (this.epoch !== epoch || newestEpoch(this.folder) > epoch) return; // compaction is the leader's alone
    this.ckpt.prune();
    this.compact(epoch, index);
  }

  /** Delete what checkpoint `index` covers: segments, whole older epochs, epochs off the chain, old claims and marks. */
  private compact(epoch: number, index: number): void {
    this.wal?.deleteCoveredSegments(index);
    const chain = historyChain(this.folder);
    const onChain = new Map(chain.map((l) => [l.epoch, l]));
    const dropped: number[] = [];
    const root = onChain.get(0);
    if (root !== undefined && root.end <= index) {
      // Epoch 0 (the local journal's segments in log/ itself): its files, not the directory.
      for (const first of Wal.listSegments(epochLogDir(this.folder, 0))) fs.rmSync(path.join(epochLogDir(this.folder, 0), segmentFileName(first)), { force: true });
      dropped.push(0);
    }
    for (const e of listEpochLogDirs(this.folder)) {
      if (e >= epoch) continue;
      const link = onChain.get(e);
      if (link !== undefined && link.end > index) continue;
      fs.rmSync(epochLogDir(this.folder, e), { recursive: true, force: true });
      dropped.push(e);
    }
    const epochsDir = path.join(this.folder, EPOCHS_DIR);
    const oldestKept = chain.find((l) => l.end > index)?.epoch ?? epoch;
    for (const n of fs.readdirSync(epochsDir)) {
      const m = /^(\d{20})\.(claim|mark)$/.exec(n);
      if (!m) continue;
      const e = Number(m[1]);
      if (e < epoch && (m[2] === 'claim' || e < oldestKept)) fs.rmSync(path.join(epochsDir, n), { force: true });
    }
    if (this.fsync) { fsyncDir(epochsDir); fsyncDir(path.join(this.folder, LOG_DIR)); }
    if (dropped.length) this.log(`journal: compaction after checkpoint ${index} removed the logs of epochs ${dropped.join(', ')}`);
  }

  // ------------------------------------------------------------------ Journal

  isLeader(): boolean {
    return this.state === 'running' && this.role === 'leader' && this.failure === undefined;
  }

  /** Leader: the election confirms this epoch (a round trip); a standby: NotLeaderError. */
  async readBarrier(): Promise<void> {
    const epoch = this.epoch;
    if (!this.isLeader() || epoch === undefined) throw this.failure ?? new NotLeaderError(undefined);
    let ok = false;
    try { ok = await this.election.confirm(epoch); } catch { ok = false; }
    if (!ok || newestEpoch(this.folder) > epoch) throw new NotLeaderError(undefined, `leadership of journal epoch ${epoch} could not be confirmed for a read`);
  }

  stats(): UfsJournalStats {
    const last = this.wal?.lastIndex ?? this.applied;
    return {
      type: 'UFS', lastIndex: last, checkpointIndex: this.ckpt.index, replayedEntries: this.replayedEntries, replayMs: this.replayMs,
      appliedIndex: this.applied, commitIndex: this.applied,
      epoch: this.epoch, newestEpoch: newestEpoch(this.folder), takeoverReplayed: this.takeoverReplayed, tailedEntries: this.tailedEntries,
      reloads: this.reloads, fsyncs: (this.wal?.syncs ?? 0),
      ...(this.failure ? { writeError: this.failure.message } : {}),
    };
  }

  /** Leave the election (after flushing what is queued), stop tailing. Idempotent. */
  close(): Promise<void> {
    this.closePromise ??= this.closeInner();
    return this.closePromise;
  }

  private async closeInner(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.state !== 'running') { this.state = 'closed'; return; }
    this.state = 'closing';
    await this.flusher.idle();
    await this.ckpt.idle();
    await this.ops;
    this.wal?.close();
    this.wal = undefined;
    this.role = 'standby';
    this.epoch = undefined;
    this.state = 'closed';
    await this.election.close();
  }
}

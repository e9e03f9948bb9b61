/**
 * Test-only helpers around the pure Raft core: a seeded random source, an in-memory "WAL"
 * (MemStorage), a node wrapper that drives Readys in the required order (persist, send, apply,
 * advance) with a toy state machine, and compact one-line formatters used by the golden tests.
 */
import { RaftCore } from '../../../src/journal/raft/core.js';
import { decodeConfChange } from '../../../src/journal/raft/config.js';
import type { Entry, HardState, Message, NodeId, RaftConfig, RaftState, Ready, ReadState, Snapshot } from '../../../src/journal/raft/types.js';

/** Deterministic pseudo-random numbers in [0, 1) (32-bit linear congruential generator). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

/** What a node has durably written: survives crash/restart. */
export class MemStorage {
  hardState: HardState = { term: 0, vote: '', commit: 0 };
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];

  /** Persist the durable parts of a Ready (snapshot, then entries, then hard state). */
  save(rd: Ready): void {
    if (rd.snapshot) {
      this.snapshot = rd.snapshot;
      this.entries = [];
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index;
      this.entries = this.entries.filter((e) => e.index < first).concat(rd.entries.map((e) => ({ ...e })));
    }
    if (rd.hardState) this.hardState = { ...rd.hardState };
  }

  /** The application took snapshot `s`: keep it and drop the entries it covers. */
  compact(s: Snapshot): void {
    this.snapshot = s;
    this.entries = this.entries.filter((e) => e.index > s.index);
  }

  state(): RaftState {
    const st: RaftState = { hardState: { ...this.hardState }, entries: this.entries.map((e) => ({ ...e })) };
    if (this.snapshot) st.snapshot = this.snapshot;
    return st;
  }
}

/** One applied normal entry of the toy state machine. */
export interface Applied {
  index: number;
  term: number;
  data: string;
}

/** A node: core + storage + toy state machine (the list of applied non-empty normal entries). */
export class TestNode {
  core: RaftCore;
  readonly storage = new MemStorage();
  /** The state machine: every applied non-empty normal entry, in order. */
  sm: Applied[] = [];
  /** Every entry applied in this incarnation (including no-ops and conf), for safety checks. */
  appliedLog: Applied[] = [];
  readStates: ReadState[] = [];
  /**
   * Slow disk: as leader, this node goes on without waiting for its own write, as the driver
   * does (core.ts, "Leader's own write"); its Readys wait here, in order, until completeWrites()
   * makes them durable. A crash loses those not completed.
   */
  slowDisk = false;
  readonly diskQueue: Ready[] = [];

  constructor(readonly cfg: RaftConfig) {
    this.core = new RaftCore(cfg);
  }

  get id(): NodeId {
    return this.cfg.id;
  }

  /** Handle one Ready if there is one; returns it (its messages are for the caller to route). */
  processReady(): Ready | undefined {
    if (!this.core.hasReady()) return undefined;
    const rd = this.core.ready();
    const async = this.slowDisk && this.core.roleInfo().role === 'leader' && !rd.snapshot;
    // 1. persist (a slow disk's leader only queues its write; everyone else waits for the queue)
    if (async) this.diskQueue.push(rd);
    else {
      this.completeWrites();
      this.storage.save(rd);
    }
    // 2. (the caller sends rd.messages)
    // 3. apply
    if (rd.snapshot) {
      this.sm = JSON.parse(rd.snapshot.data) as Applied[];
    }
    for (const e of rd.committedEntries) {
      const a = { index: e.index, term: e.term, data: e.data };
      this.appliedLog.push(a);
      if (e.type === 'normal' && e.data !== '') this.sm.push(a);
    }
    this.readStates.push(...rd.readStates);
    this.core.advance(rd, !async);
    return rd;
  }

  /** The oldest `n` queued writes (all by default) become durable, and the core is told. */
  completeWrites(n = Infinity): void {
    for (let i = 0; i < n && this.diskQueue.length > 0; i++) {
      const rd = this.diskQueue.shift()!;
      this.storage.save(rd);
      const last = rd.entries[rd.entries.length - 1];
      if (last) this.core.persisted(last.index, last.term);
    }
  }

  /** Take an application snapshot at `index` and compact both the core and storage. */
  compact(index: number): Snapshot | undefined {
    // As the driver: no snapshot beyond what this node's own disk holds (a leader may apply
    // entries its followers made durable before its own write is done).
    if (this.core.durableIndex() < index) return undefined;
    const data = JSON.stringify(this.sm.filter((a) => a.index <= index));
    const snap = this.core.compact(index, data);
    if (snap) this.storage.compact(snap);
    return snap;
  }

  /**
   * Lose the disk as well: volatile state and storage are gone and the node starts again empty
   * (its raft/ folder was wiped). `recovering` is what the driver passes when it can tell (the
   * journal folder says this member had a Raft log before, or it was re-seeded with formatJournal).
   */
  wipe(recovering: boolean): void {
    this.diskQueue.length = 0;
    this.storage.hardState = { term: 0, vote: '', commit: 0 };
    this.storage.snapshot = undefined;
    this.storage.entries = [];
    this.sm = [];
    this.appliedLog = [];
    this.readStates = [];
    this.core = new RaftCore({ ...this.cfg, recovering }, this.storage.state());
  }

  /** Lose all volatile state and start again from storage. */
  restart(): void {
    this.diskQueue.length = 0; // writes not completed before the crash are lost
    const st = this.storage.state();
    this.sm = st.snapshot ? (JSON.parse(st.snapshot.data) as Applied[]) : [];
    this.appliedLog = [];
    this.readStates = [];
    this.core = new RaftCore({ ...this.cfg, applied: st.snapshot?.index ?? 0 }, st);
  }
}

// ------------------------------------------------------------------ formatting

export function fmtEntry(e: Entry): string {
  let body: string;
  if (e.type === 'conf') {
    const cc = decodeConfChange(e.data);
    body = `conf ${cc.op} ${cc.node}`;
  } else {
    body = e.data === '' ? '(noop)' : JSON.stringify(e.data);
  }
  return `${e.term}/${e.index} ${body}`;
}

export function fmtSnapshot(s: Snapshot): string {
  return `${s.term}/${s.index} voters=[${s.voters.join(',')}] data=${s.data}`;
}

export function fmtMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case 'PreVote':
    case 'Vote':
      s += ` last=${m.logTerm}/${m.index}`;
      break;
    case 'PreVoteResp':
    case 'VoteResp':
      s += m.reject ? ' rejected' : ' granted';
      break;
    case 'App':
      s += ` prev=${m.logTerm}/${m.index} commit=${m.commit}`;
      if (m.entries && m.entries.length > 0) s += ` [${m.entries.map(fmtEntry).join(', ')}]`;
      break;
    case 'AppResp':
      if (m.reject) s += ` rejected index=${m.index} hint=${m.logTerm}/${m.rejectHint}`;
      else if (m.index !== undefined) s += ` index=${m.index}`;
      break;
    case 'Heartbeat':
      s += ` commit=${m.commit}`;
      break;
    case 'HeartbeatResp':
      if (m.reject) s += ` rejected last=${m.index}`;
      break;
    case 'Snap':
      s += ` snapshot=${fmtSnapshot(m.snapshot!)}`;
      break;
    case 'ReadIndexResp':
      s += ` index=${m.index}`;
      break;
    default:
      break;
  }
  if (m.context !== undefined) s += ` ctx=${m.context}`;
  if (m.recovering) s += ' recovering';
  if (m.recoverAt !== undefined) s += ` recoverAt=${m.recoverAt}`;
  return s;
}

/** The lines describing a Ready except its messages (without the header). */
export function fmtReady(rd: Ready): string[] {
  const out: string[] = [];
  if (rd.softState) out.push(`soft: leader=${rd.softState.leader || '-'} role=${rd.softState.role}`);
  if (rd.hardState) out.push(`hard: term=${rd.hardState.term} vote=${rd.hardState.vote || '-'} commit=${rd.hardState.commit}${rd.hardState.recovering ? ' recovering' : ''}`);
  if (rd.snapshot) out.push(`snapshot: ${fmtSnapshot(rd.snapshot)}`);
  for (const e of rd.entries) out.push(`entry: ${fmtEntry(e)}`);
  for (const e of rd.committedEntries) out.push(`apply: ${fmtEntry(e)}`);
  for (const r of rd.readStates) out.push(`read: index=${r.index} ctx=${r.context}`);
  return out;
}

/** Numeric-aware id order ("2" before "10"). */
export function byId(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
